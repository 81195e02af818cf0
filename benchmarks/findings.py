"""What the measurements showed and why (appended to RESULTS.md). Written from the full
run and profiles (pyinstrument, asyncio's slow-callback log, gc callbacks, cachegrind,
per-thread CPU) of the misses; update it when the figures change."""

FINDINGS = """
## Findings

Run on 2 cores with nothing else running (load average 1.0). Each devnet runs in a
process of its own, as a remote node and indexer would (benchmarks/devnet_process.py):
its CheckTx, matching and indexer JSON work no longer take the GIL from the measured app.
Single figures still move by 20-30% between runs; ratios measured in the same run move
less (place measures ours and the bare client alternately, order by order).

**Met:** cancel-all of 500 short-term orders at 50 ms in 167 ms median (138-231), 324x
faster than the `NodeClient.cancel_order` loop (the loop pays an account query and a
broadcast, two round trips, per order; cancel-all asks for the height once, then sends
five MsgBatchCancel txs at once; 91x for 100, 31x for 50 long-term); place at 50 ms
within 1.02x of the bare client; scale (10 vs 10,000 open orders) 1.12x CPU and 1.05x
latency; store lookups p99 0.085 ms; start to live data 1.12-1.15 s; peak RSS 142 MB.

**Missed, and why:**

1. *place on loopback: 1.34x the bare client (5.91 vs 4.43 ms); met at 50 ms (1.02x).*
   Both make two requests: the bare client asks for the account, then broadcasts; a
   place asks for the latest block, commits the order's metadata (write first, WAL,
   synchronous=FULL) while the tx is signed on the gateway's thread, and broadcasts once
   the commit is done (`tui_app/chain/permit.py`); the accept answer is written behind.
   Medians of one place: height request with its thread hops ~2 ms, record built and
   commit started ~0.5 ms, commit 0.7-1.0 ms, commit to broadcast 0.13 ms, broadcast ~2.2
   ms. 1.2x leaves ~0.9 ms for the commit and every hop between the app's loop, the
   database thread and the gateway thread: close to the floor on this machine. Not done:
   taking the height from the live feed instead of asking (one request less, but an order
   could live a block less than asked, more if the indexer lags).
2. *feed: 40,900/s median (49,400 best), target 50,000/s; `json.loads` alone 92,400/s.*
   Pydantic's typed validation alone runs at 70,100/s (~12 us a message: ~8.7 us is the
   cost of a 25-field model at ~130 ns a field, the rest the int-as-text, Decimal and
   datetime fields), `parse_message` alone 66,000/s, apply alone 188,000/s. A quiet
   separate run gave 46,000-51,000/s. Reaching 50,000/s with margin needs fewer order
   fields validated on the hot path, which would weaken what the state may assume: not
   done. Tried and dropped (measured, no gain): skipping the message union after a byte
   check, cached Decimals and datetimes, other schema shapes for int-as-text fields.
3. *store insert+update: p99 4.11 ms (median 1.33), target 2 ms.* Two durable commits;
   the same run's baseline, two bare `os.fsync` of a small write in the same directory,
   has a median of 0.26 ms and a p99 of 1.4 ms. Per commit: ~0.5 ms of hops to and from
   the database thread and SQL, and 9-10 WAL pages (~40 KB: the row, five indexes, the
   audit row and its index, the AUTOINCREMENT counter) to fsync instead of one. Quiet
   runs: p99 1.3 ms. A place now waits only for the first of the two commits (the answer
   is written behind; every later store call waits for it). synchronous=FULL stays.
4. *update latency at 1,000/s: p50 22.6 ms, p99 68 ms at 0 ms (was 192 / 612 ms); at 50
   ms p50 86 ms, p99 162 ms (the bare WebSocket client: 51 ms); target two frames.* At
   100/s: p50 12 ms, p99 44 ms; at 10/s p50 2.6 ms. A frame with 20 changed rows costs
   ~9 ms of Textual rendering, 2-3 ms of row updates and ~4 ms of feed work, and Textual
   refreshes on a 60 Hz timer: a cycle is ~26 ms, and an update waits 1.5 cycles on
   average. Two frames at p99 needs a row renderer of our own (a line per row, no rich
   segments per cell).
5. *UI stalls: 1,000/s burst 41-53 ms at 0 ms, 54-80 ms at 50 ms; cancel-all of 500
   82-110 ms at 0 ms, 95-212 ms at 50 ms (was 526-576 ms); target 50 ms.* Cancel-all:
   opening the confirmation runs two full layouts and one render of the dimmed screen
   behind it (~20 ms); the results list adds 50 rows a frame, each batch re-rendering
   the visible rows (17-30 ms) and measuring the new cells (20-60 ms); full garbage
   collections of what the 500 orders made take 27-38 ms. The burst: the frames of
   finding 4. C to every row shown cancelled: 0.6-1.7 s.
6. *memory*: peak RSS is read from VmHWM in a fresh process (ru_maxrss is carried across
   exec on Linux and would report the benchmark's own size), with the collector handled
   as `dydx-tui` handles it (142 MB; 137 MB with it left on throughout). Making full
   collections 100 times rarer (to shorten stalls) cost 7 MB more and did not change the
   stall figures beyond their noise: not kept.

**Fixed this session** (commits on main): the devnet in its own process; the devnet
hands a CheckTx's events to its indexer after the answer (a batch cancel of 100 was
answered after ~20 ms of indexer work, now 6-8 ms); the benchmark's TUI handles the
garbage collector as `dydx-tui` does (full collections of the whole benchmark heap took
~200 ms); the latency watcher asks for one after-refresh callback per frame; a place
signs during its commit and no longer waits for the answer's commit, client ids come from
a committed reserve of 32; modal screens redraw the dimmed screen behind them only where
it changed (opening the cancel-all confirmation: 266 -> 90 ms); the table's render caches
keep only current renders (60,000 fewer objects for the collector with 500 orders).

**Bug found while benchmarking** (earlier): quitting while the cancel-all screen's
per-order messages were still queued crashed in `DydxApp.set_order_note`; the app now
ignores notes once the table is gone.
"""
