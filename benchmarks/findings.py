"""What the measurements showed and why (appended to RESULTS.md). Written from the full
run and profiles (pyinstrument, asyncio's slow-callback log, gc callbacks, per-phase
timing on the database thread, CPU time of each frame) of the misses; update it when the
figures change."""

FINDINGS = """
## Findings

Run on 2 cores with nothing else running. Each group runs in a fresh process of its own,
and each devnet in a process of its own, as a remote node and indexer would
(benchmarks/devnet_process.py), one at a time, and none beside the CPU-bound groups. The
same code runs at different speeds from run to run on this host (json.loads of a feed
message: ~50,000 to ~105,000/s, recorded above). The run before this one, 15 minutes
earlier, began at half speed (54,000/s): there cancel-all of 500 at 50 ms took 214 ms,
one-at-a-time place 1.27x, the feed 36,700/s and the store's p99 2.08 ms; `--only
cancel-all` right after gave 175 ms (148-288). Single figures move by 20-30% between runs;
ratios to a baseline measured in the same run move less.

**Met:** cancel-all of 500 short-term orders at 50 ms in 173 ms median (162-186), 311x
faster than the `NodeClient.cancel_order` loop (the loop pays an account query and a
broadcast per order; cancel-all asks the height once and sends five MsgBatchCancel txs
at once; 88x for 100, 27x for 50 long-term; 133 ms for 500 on loopback). A place takes the
block height the live feed heard from the indexer (tui_app/controller/recent_block.py:
1 of 40 one-at-a-time places asked the node), so at 50 ms it is one round trip: 0.52x the
bare client back to back and one at a time (56 vs 106 ms); 1.10x back to back on
loopback. Store: insert+update p99 1.86 ms, lookup p99 0.087 ms. Update latency at
1,000/s: p99 26.7 ms on loopback, and at 50 ms p99 73.9 ms against the bare WebSocket
client's wire (now met: each group runs in a process of its own; before, the heap the
feed and store groups left behind taxed it: p99 196 ms). The 1,000/s burst's longest stall
26-32 ms (0 ms) and 14-18 ms (50 ms). Scale 1.23x CPU and 1.04x latency; start to live data
1.19 / 1.43 s (this host's slow phase: `import textual` itself took 0.27 s; the same
commit measured alone: 1.13 / 1.12 s, the session's first commit 1.03 / 1.29 s); peak
RSS 140 MB.

**Missed, and why:**

1. *place one at a time on loopback: 1.31x the bare client (4.68 vs 3.58 ms); met at 50
   ms (0.53x).* No height request any more (the feed's height, vouched for by the node's
   answer at most 30 s before). What is left over the bare client's account query and
   broadcast is ours: the durable commit of the order's metadata before its tx may leave
   (WAL, synchronous=FULL, signed meanwhile: ~0.8 ms median on a quiet disk, its fsync
   alone 0.12 ms median here and up to several ms), the market lookup and validation
   (~0.4 ms) and the hops between the loop, the database thread and the gateway's thread.
   That commit is the point of the store ("metadata written first"); 1.2x of a 3.6 ms
   loopback place is 0.7 ms. Measured earlier the same day: 1.07x and 1.27x.
2. *feed: 46,700/s median (51,800 best), target 50,000/s; `json.loads` alone 108,800/s.*
   Parts alone: `parse_message` 66,400/s, pydantic's `validate_json` 69,000/s, apply
   218,000/s. A message's ~11 us of validation: JSON parsing 1.4 us; each Decimal field
   ~0.5 us (string, ASCII pattern, `Decimal()`), x3; each integer sent as text ~0.36 us,
   x8; each datetime ~0.27 us, x2; the order model's instance and fields-set ~1-1.5 us;
   defaults of ~10 absent fields ~0.5-0.9 us. Tried, no gain: pydantic's string caching
   and by-name options, a JSON-only Decimal branch, pattern-then-convert chains,
   `from_json` + `validate_python`, field order, skipping the message union. Left: looser
   integer parsing (would accept "1_000", " 12 ", "12.0": refused by our parsing rules);
   orders as plain dataclasses instead of models (~1.5 us, touches ~40 uses); a faster
   decoding library (msgspec-style structs; a change of the typed-message layer).
3. *UI stall during cancel-all of 500: 43-55 ms (0 ms), 23-55 ms (50 ms); was 67-91 and
   51-58.* One run in three of each passed 50 ms; measured alone before this run, on a
   slower moment of the host: 33-40 and 24-38 ms. Done this session: full garbage
   collections no longer land in it (they waited only for a quiet second, and came between
   C and y or before the indexer confirmed: 60-160 ms; now not while a dialog is open or a
   row awaits its confirmation), and they have much less to free: Textual's strips cached
   themselves (`divide` and `crop_extend` of a whole line), a reference cycle per line
   drawn, ~80,000 objects to free after a cancel-all; tui_app/widgets/strip_cycles.py
   returns them uncached (~26,000). The confirmation opens in two turns of the loop, the
   main screen drawn in the first (push_over in tui_app/screens/dimmed.py): 40-57 -> 30-40
   ms. The screen reports to the app in batches (one message for the 500 requests, one
   per batch tx's answers) instead of 1,000 messages handled back to back. Left: the
   modal's first frame (styles, layout, the dimmed background tinted: 30-40 ms), redraws
   of the dimmed main screen while its rows change (15-30 ms each, at most 4 a second),
   and the feed's bunches of order updates when the devnet's indexer reports 500 cancels.

**Fixed this session** (commits on main): places take the height the live feed heard
(above); strips freed by reference counting (above); full collections not during dialogs
or unconfirmed rows; the confirmation in two steps; batched cancel messages; anyio's
asyncio backend (imported by httpx's first request, 20-60 ms on the loop, once, in the
middle of a burst) imported in a worker thread; the benchmark's groups each in a fresh
process, and place measured with blocks going on.

**Bug found while benchmarking** (earlier): quitting while the cancel-all screen's
per-order messages were still queued crashed in `DydxApp.set_order_note`; the app now
ignores notes once the table is gone.
"""
