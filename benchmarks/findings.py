"""What the measurements showed and why (appended to RESULTS.md). Written from the full
run and profiles (pyinstrument, asyncio's slow-callback log, per-thread CPU) of the misses;
update it when the figures change."""

FINDINGS = """
## Findings

Run on 2 cores with nothing else running (load average 0.8). The benchmark's devnets run
in the same process as the measured parts (as `dydx-tui`'s embedded devnet does), so the
devnet's own work (CheckTx, its indexer JSON-encoding every update, 1,000 messages a
second in the latency rows) competes with the app for the GIL: a remote node and indexer
would not. Single figures still move by 20-30% between runs; ratios measured in the same
run move less.

**Met:** cancel-all is 158x faster than the `NodeClient.cancel_order` loop for 500
short-term orders at 50 ms (the loop pays an account query and a broadcast, two round
trips, per order; cancel-all sends five MsgBatchCancel txs at once; 82x for 100, 31x for
50 long-term); place at 50 ms within 1.04x of the bare client; scale (10 vs 10,000 open
orders) 0.94x CPU and 1.04x latency; store lookups p99 0.142 ms; start to live data
1.06-1.23 s; peak RSS 137 MB.

**Missed, and why:**

1. *cancel-all 500 short-term at 50 ms: 340 ms median (209 min), target 200 ms.* The
   floor is two round trips: the latest block (the targets are recorded as
   cancel_pending meanwhile, still before anything is sent), then the five batch txs at
   once. The rest is the in-process devnet: it answers each MsgBatchCancel only after
   its indexer has built and JSON-encoded the 100 order updates (`Chain.check_tx` ->
   `Clob.cancel_short_term` -> `Chain.emit_now` -> the indexer store, tui_app/devnet),
   on the GIL the app shares; per-thread CPU of one cancel-all of 500 at 50 ms: devnet
   100-210 ms, the app's loop 40-110 ms, SQLite 20-40 ms, gateway threads 10-30 ms. A
   validator answers CheckTx without indexer work. The "last acceptance shown" note (306
   ms median) is when the trader sees every order cancelled; the answers are then group
   committed (one fsync'd transaction at a time, each with every answer that arrived
   meanwhile). Fixed this session: the REST read of open orders is gone (targets from the
   live feed and the store, as `dydx-tui` wires it), store writes are one hop with many
   rows per statement, answers group committed, the devnet caches its UUIDv5 ids.
   After this run the devnet's WebSocket messages are built and encoded after the code
   that made the change returns (tui_app/devnet/indexer/ws.py `_on_change`), so a batch
   cancel is answered before its 100 updates are encoded: `--only cancel-all` re-run
   right after (5 runs, idle): 500 at 50 ms median 231 ms, min 203, max 233 (232x the
   loop); 100 at 50 ms 136 ms. The rest is the devnet's CheckTx itself on the shared GIL
   and two round trips.
2. *place on loopback: 1.67x the bare client (8.2 vs 4.9 ms); met at 50 ms (1.04x).* A
   place commits the pending row before sending and the answer after (WAL,
   synchronous=FULL: the order journal must survive power loss). On loopback those two
   fsyncs decide the ratio; with a distant node both sides pay the round trips and the
   fsyncs vanish in them. Kept on purpose.
3. *feed: 35,700/s median (40,300 best), target 50,000/s; `json.loads` alone 77,800/s.*
   Pydantic's typed validation of one order update (`validate_json`) alone runs at
   50,000/s here (about 2,000 instructions per present field plus ~9,000 per model,
   measured with cachegrind), apply alone at 137,000/s. Fixed this session: the
   validator called directly, a cheaper NaN/Infinity scan, the order update's hot path
   reads model fields from `__dict__` (pydantic's `__getattr__` makes every attribute
   read slow), status members from module globals, one change record per order: -14% of
   instructions per message, 45,900/s median in a separate run at a quieter moment.
   Closing the gap needs a lighter parse than full `IndexerOrder` validation (validate
   the fields shown, lazily), which would weaken what the state may assume: not done.
4. *store insert+update: p99 9.95 ms (median 2.07), target 2 ms.* Two durable commits:
   the same run's baseline, two bare `os.fsync` of a small write in the same directory,
   has a median of 0.39 ms and a p99 of 3.9 ms on this disk. Checkpoints run on their own
   thread (tui_app/store/checkpoint.py), each write is one hop to the database thread.
   In a quiet moment a quick run gave p99 1.14 ms. synchronous=FULL stays.
5. *update latency at 1,000/s: p99 612 ms at 0 ms, 1.6 s at 50 ms, target 33 ms* (at
   100/s: p50 11.6 ms, p99 80 ms; at 10/s p50 2.5 ms). Sustained for 5 s, 1,000 separate
   WebSocket messages a second saturate the app's one thread together with the
   in-process devnet producing them, and a queue builds (a 1-second burst: p99 145 ms).
   Profile during the burst: ~60% of the main thread is Textual painting the changed
   rows (`DataTable._render_line_in_row`, `StylesCache.render_line`, the compositor),
   the rest the WebSocket frames, parse and apply. Fixed this session: flushes at
   display rate with one frame in flight (was a 0.1 s interval), at most 200 rows per
   frame (visible first), only the changed cell's cached render dropped, row positions
   in O(1), body cells rendered straight from their Text (rich's Styled(Padding)
   render_lines path was half the paint; snapshots unchanged), the feed lets the loop run
   every 5 ms of message handling. Left: a row renderer of our own (a line per row,
   no per-cell rich segments) and coalescing order updates before parsing.
6. *UI stalls: cancel-all of 500 526-576 ms, 1,000/s burst 259-421 ms; target 50 ms.*
   Cancel-all: while the modal is open the main screen pauses, and the screen update
   after it closes removes ~500 rows from the open orders table, each removal bumps the
   DataTable's `_update_count` (every cached render invalid) and re-renders the visible
   table under the dimmed background (Textual's `BackgroundScreen`); asyncio's slow
   callback log shows the `screen_update` timer at 200-290 ms. The burst: the same
   painting as finding 5. C to every row shown cancelled: 1.5-2.4 s (was 3.3-4.1 s).
7. *memory*: peak RSS is read from VmHWM in a fresh process (ru_maxrss is carried across
   exec on Linux and would report the benchmark's own size).

**Bug found while benchmarking** (fixed in the benchmark's use, noted for the app):
quitting while the cancel-all screen's per-order messages are still queued used to
crash in `DydxApp.set_order_note`; the app now ignores notes once the table is gone, and
the benchmark closes the screen before leaving.
"""
