"""What the measurements showed and why (appended to RESULTS.md). Written from the full
run and profiles (pyinstrument, asyncio's slow-callback log, gc callbacks, per-phase
timing on the database thread, CPU time of each frame) of the misses; update it when the
figures change."""

FINDINGS = """
## Findings

Run on 2 cores with nothing else running. Each devnet runs in a process of its own, as a
remote node and indexer would (benchmarks/devnet_process.py), one at a time, and none
beside the CPU-bound groups: an idle devnet still makes blocks and feeds its indexer,
and beside the feed group two of them halved its rate. The same code runs at different
speeds from run to run on this host (json.loads of a feed message: ~50,000 to
~105,000/s, recorded above). During this run's cancel-all group everything was slow, the
baseline too (the `NodeClient.cancel_order` loop of 500 took 3.4 s instead of 1.9 s), so
that group was measured again right after (`--only cancel-all`): its rows above come
from that run. Single figures move by 20-30% between runs; ratios to a baseline measured
in the same run move less.

**Met:** cancel-all of 500 short-term orders at 50 ms in 165 ms median (152-237), 324x
faster than the `NodeClient.cancel_order` loop (the loop pays an account query and a
broadcast per order; cancel-all asks the height once and sends five MsgBatchCancel txs
at once; 92x for 100, 31x for 50 long-term; 105 ms for 500 on loopback); place back to
back within 0.94x (loopback) and 0.98x (50 ms) of the bare client; the store's
insert+update p99 1.62 ms and lookup p99 0.058 ms; update latency at 1,000/s p50 12.3
ms, p99 25.6 ms on loopback; the 1,000/s burst's longest stall 28-40 ms (0 ms) and 19-46
ms (50 ms); scale (10 vs 10,000 open orders) 1.32x CPU and 1.13x latency; start to live
data 0.80-0.85 s; peak RSS 145 MB.

**Missed, and why:**

1. *place one at a time on loopback: 1.59x the bare client (12.1 vs 7.6 ms); 1.05x at 50
   ms.* Back to back (a ladder), places within a quarter block share one height
   (tui_app/controller/recent_block.py: 15 of 200 asked the node) and we are faster than
   the bare client, which asks for the account before every order. One at a time, both
   make two requests (we ask the height, it asks the account: the same ~1.2 ms on
   loopback, measured side by side), and a place also commits the order's metadata
   durably before its tx may leave (WAL, synchronous=FULL; signed meanwhile): ~0.8 ms
   median on a quiet disk, more on a busy one, plus the hops between the app's loop, the
   database thread and the gateway's thread. That commit is the point of the store
   ("metadata written first"), and 1.2x of a 5-8 ms loopback place leaves no room for it.
   At 50 ms it is lost in the round trips.
2. *feed: 44,600/s median (50,400 best), target 50,000/s; `json.loads` alone 102,000/s.*
   Parts alone: `parse_message` 68,000/s, pydantic's `validate_json` 75,800/s, apply
   206,000/s. A message's ~11 us of validation: JSON parsing 1.4 us; each Decimal field
   ~0.5 us (string, ASCII pattern, `Decimal()`), x3; each integer sent as text ~0.36 us,
   x8; each datetime ~0.27 us, x2; the order model's instance and fields-set ~1-1.5 us;
   defaults of ~10 absent fields ~0.5-0.9 us. Tried, no gain: pydantic's string caching
   and by-name options, a JSON-only Decimal branch, pattern-then-convert chains,
   `from_json` + `validate_python`, field order, skipping the message union. Left: looser
   integer parsing (would accept "1_000", " 12 ", "12.0": refused by our parsing rules);
   orders as plain dataclasses instead of models (~1.5 us, touches ~40 uses); a faster
   JSON library (validating from Python objects was not faster).
3. *update latency at 1,000/s with 50 ms: p99 196 ms (median 81), target the bare
   WebSocket client's p99 + 33 ms.* On loopback the target is met (p99 25.6 ms, was 68):
   the table draws each row as one line from cells rendered once, a flush marks its rows
   dirty together, tables and the header no longer ask for whole-screen layouts, and the
   main screen paints right after a flush instead of on Textual's 60 Hz grid. With 50
   ms the time is lost before the row is updated (row updated: p99 179 ms): messages
   arrive in bunches after the devnet's delay, and the loop works through a bunch
   (inflate, parse, apply) before it paints.
4. *UI stall during cancel-all of 500: 67-91 ms (0 ms), 51-58 ms (50 ms); was 82-110 and
   95-212 ms.* Done: the result list draws only the lines on screen (no per-cell
   measuring), the modal keeps its drawing of the main screen and redraws it only when
   the main screen changed, one layout instead of two when it opens, 100 per-order
   messages per turn of the loop, and full garbage collections wait for a quiet second
   (tui_app/gc_schedule.py; they took 30-50 ms with 500 orders). Left: opening the
   confirmation (Textual's first full frame of the main screen, dimmed, and the modal:
   30-60 ms of CPU in one step).

**Fixed this session** (commits on main): the store's schema 2 (insert 9 -> 6 WAL pages,
update 7 -> 4: two indexes no query needed dropped, audit ids without AUTOINCREMENT) and a
checkpoint catch-up after a background pass, so the WAL starts anew under a steady stream
of commits (commits that grow the file: ~1,000 -> 455 of 2,000); the tables' own row
renderer (20 changed rows: table render 7.0 -> 2.6 ms CPU a frame); the main screen's
finer paint grid (rows updated -> painted p99 ~27 -> ~8 ms); no layouts from row counts or
the header's balances; the cancel-all result list, modal and garbage-collector work above;
places in quick succession share one height request; the benchmark's devnets one at a
time, its feed group with the heap before it frozen as the app freezes its own.

**Bug found while benchmarking** (earlier): quitting while the cancel-all screen's
per-order messages were still queued crashed in `DydxApp.set_order_note`; the app now
ignores notes once the table is gone.
"""
