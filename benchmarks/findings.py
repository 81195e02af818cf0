"""What the measurements showed and why (appended to RESULTS.md). Written from the full
run and profiles (pyinstrument) of the misses; update it when the figures change."""

FINDINGS = """
## Findings

The machine has 2 cores and was shared during the run (other sessions ran the test suite
and a `dydx-tui` at the same time, load average around 2): absolute figures are noisy and
pessimistic, ratios measured in the same run less so. The benchmark's devnet runs in the
same process as the measured parts (as `dydx-tui`'s embedded devnet does), so it competes
for the GIL.

**Met:** cancel-all is ~137× faster than the NodeClient loop at 50 ms latency (the loop
pays an account query and a broadcast, two round trips, per order; cancel-all sends five
MsgBatchCancel txs at once); place at 50 ms latency is within 1.05× of the bare client;
scale CPU per update is within 2× (but see below).

**Missed, and why** (file:line at the time of the run; none of these modules is the
benchmark's, so they are reported, not changed):

1. *cancel-all 500 short-term at 50 ms: 393 ms median, target 200 ms* (137× faster
   than the loop: that part is met). The round trips are already down to two (the
   indexer's open orders and the latest block in parallel, then the five MsgBatchCancel
   txs at once on 8 gateway threads); the rest is CPU on the event loop. Profile
   (pyinstrument, one cancel-all of 500 at 50 ms, 454 ms, 360 ms of it CPU):
   - 176 ms `CancelAll._targets` -> `RestIndexerReader.open_orders`
     (tui_app/controller/cancel_all.py:113, controller/indexer.py:64): every REST
     request builds a new `httpx.AsyncClient`
     (dydx_v4_client/indexer/rest/shared/rest.py:17, used by tui_app/feed/rest_poller.py)
     whose SSL context load (`load_verify_locations`) costs 100-170 ms of CPU on the loop
     even for plain http; the round trip itself is 50 ms. The same cost makes a
     10-order cancel-all at 0 ms take 150 ms where the loop of 10 plain cancels takes 45.
   - ~110 ms in the store: the pending update of 500 rows, then one `update_orders`
     transaction per batch answer (five, serialized behind the store lock: 37 ms of
     waiting on `OrderStore._transaction`, store.py:434).
   - 80 ms the batch broadcasts (one 50 ms round trip plus signing).
   Fixed since: one shared `httpx.AsyncClient`; the benchmark's controller is now wired
   as `dydx-tui` wires it (`launch.open_parts`, live feed running), so the targets come
   from the live feed and the store, not from a REST read; the answers group committed
   (one transaction at a time with every answer that arrived meanwhile); the targets are
   recorded as cancel_pending while the node is asked for the height (still before
   anything is sent); every store write is one hop to the database thread with many
   rows per statement (each SQLite step drops the GIL, and taking it back waits behind
   the busy devnet and feed threads: a 500-row write took 50-150 ms of wall time for
   15 ms of CPU). Two quick re-measures before the group commit (one sample each,
   load average 3.2 and 3.8): 223 and 504 ms, the last acceptance shown after 184 and
   448 ms; 10 orders at 0 ms: 41 and 29 ms (was 154); 100 at 50 ms: 125 and 140 ms (was
   248). Repeated in a script on the same loaded machine: 230-650 ms, following the load.
   Timeline of 5 runs after the group commit (load average 3.6, ms from the call): the
   targets read 11-12, recorded 25-37 (inside the height's round trip), first batch
   answered 139-167, last 213-284, returned 216-291 (before the group commit: the last
   answer plus 36-60 ms of writing 500 rows).
   What is left is mostly not ours: per-thread CPU of one cancel-all of 500 at 50 ms
   (/proc/self/task, 5 runs): the devnet thread 100-210 ms, the app's loop 40-110 ms
   (feed updates included), the SQLite thread 20-40 ms, the gateway threads 10-30 ms.
   The devnet (in this process, same GIL) answers each MsgBatchCancel only after its
   indexer has built and sent the 100 order updates: `Chain.check_tx` ->
   `Clob.cancel_short_term` -> `Chain.emit_now` -> `IndexerStore._on_order_removed`
   (tui_app/devnet/chain.py, devnet/indexer/store.py) recomputes UUIDv5 ids per order
   (`devnet/indexer/ids.py`, a fifth of CheckTx in a profile of the devnet thread) and
   JSON-encodes each update before CheckTx returns. A validator answers CheckTx without
   indexer work. Devnet fixes (not ours here): cache the ids (`functools.lru_cache` on
   `ids._uuid5`), publish indexer events after the answer (`loop.call_soon`). Our
   remaining floor at 50 ms: two round trips (height, then the batches) plus one fsync'd
   transaction of 500 answers (10-15 ms of SQLite CPU, `UPDATE` of 500 rows with their
   status and open-order indexes).
2. *place at 0 ms: 1.95× the bare client (11.4 vs 5.8 ms median).* A place is: the
   latest block (a round trip) while the client id is committed, the pending row + audit
   committed (fsync), the broadcast, the answer committed (fsync). The bare client makes
   an account query and the broadcast. At loopback the two fsync'd commits (WAL,
   synchronous=FULL, kept: the order journal must survive power loss) decide the ratio:
   the raw fsync of this shared disk moves between 0.3 and 9 ms (see the store row's
   baseline), so quick re-measures gave 1.4× (5.4 vs 3.7 ms, quiet moment) to 3.1×
   (8 vs 2.6 ms and 13 vs 4.2 ms, load average 3.4). A profile of 40 places at a busy
   moment: of ~13 ms each, the answer's commit 4.4 ms, the pending row's 3.1 ms (each
   an fsync of 2-10 ms then), the broadcast 4.2 ms, the height and client id together
   ~2 ms. Since the run: one commit fewer before the send (the client id is committed
   during the height's round trip) and each commit is one hop to the database thread.
   At 50 ms latency both sides pay two round trips and the target is met (1.05× in the
   run, 1.03-1.10× in quick re-measures). Not met on loopback: the two durable commits
   are the price of write-first, then send.
3. *feed: ~21,000/s (36,000/s on an idle machine), target 50,000/s.* Half the time is
   pydantic's `validate_json` of the whole order (tui_app/models/parsing.py:80, ~12 us
   a message when idle), half `AccountState._apply_order`/`_store`
   (tui_app/state/account.py:434-470: merge, derive_status, expiry bookkeeping, change
   records). json.loads alone reaches only ~100,000/s here, so the target needs a
   lighter parse (e.g. validate only the fields shown) on this CPU.
4. *store: insert+update p99 ~22 ms (median 3.7 ms), lookup median 0.28 ms, p99 2.4 ms.*
   Two fsync'd commits per insert+update (synchronous=FULL, store.py:488) on a shared
   disk; a lookup is two hops to aiosqlite's thread (`execute`, then `fetchone`,
   store.py:606-609), ~0.1 ms each. Fixed since: a lookup reads a second SQLite
   connection on the caller's loop when no write of ours is in flight (WAL: a reader
   never waits for the writer and sees other processes' commits; with a write of ours in
   flight it waits for it on the database thread, as before): quick re-measure median
   0.068 ms, p99 0.154 ms (**met**). Each write is one hop (BEGIN..COMMIT in one function
   on the database thread), many rows per statement: insert+update median 1.2 ms (was
   3.7-7.8) but p99 15.7 ms, where the row's new baseline, two bare `os.fsync` of a small
   write in the same directory sampled in turn, has a median of 0.33 ms and a p99 of
   9.3 ms (a full-size `--only store` run at load average 4.4: ours median 8.0, p99
   19.6 ms; two fsyncs median 7.1, p99 11.8 ms; lookups median 0.062, p99 0.192 ms).
   Lookup p99 on this shared machine follows the other processes: the same quick run
   gave 0.1 to 4.2 ms at different moments (a process descheduled for a few ms shows up
   in 1% of 500 samples), with or without devnets running. The insert+update tail had
   one cause of ours: SQLite's automatic checkpoint runs inside the commit that takes
   the WAL past 1000 pages. Checkpoints now run on a thread of their own
   (tui_app/store/checkpoint.py, PASSIVE every 0.5 s; the automatic one only at 10,000
   pages). 300 insert+update on 20,000 rows, quiet disk: without any checkpoint p99
   1.41 ms, with the automatic one 2.26-2.59 ms; slow disk, alternating runs: p99
   14.7-16.1 ms (max 16-20) with the thread, 16.1-24.0 ms (max 20-28) without, where
   two bare fsyncs had a p99 of 10.9-11.8 ms. A quick `--only store` at a quiet moment
   (load average 1.5) after this: insert+update median 0.80, p99 1.14 ms (two bare
   fsyncs: median 0.19, p99 0.3 ms); lookups median 0.034, p99 0.067 ms: both targets
   met then. Two durable commits cannot have a p99
   under 2 ms on this disk when it is busy: the target is missed by the disk, and
   synchronous=FULL stays (an order journal must survive power loss; NORMAL could lose
   the last commits).
5. *update latency: the TUI shows an update 230-450 ms (p50) after the devnet emits it
   at 0 ms latency, where a bare WebSocket client has it in under 1 ms; seconds at
   1,000/s.* Profile of the running app at only 10 updates/s: 80% of the main thread is
   Textual re-rendering the open orders table. `KeyedTable.upsert`
   (tui_app/widgets/keyed_table.py:83) changes cells with `DataTable.update_cell`, and
   every update_cell bumps `DataTable._update_count`, which is part of the key of every
   cached cell, row and line render (textual/widgets/_data_table.py:906, 2131, 2281,
   2447): one changed cell re-renders every visible cell through rich, 100-300 ms a
   time here. It happens on every flush (tui_app/app.py `AppParts.flush_interval = 0.1`,
   which alone adds up to 100 ms), twice a second from `DydxApp.tick` (tui_app/app.py:
   refreshes every order row, and the age column changes every time), and on every
   block (app.py `on_account_updated` refreshes all orders when the height moves). Plus the feed's
   3-second REST round-trip probe (tui_app/feed/feed.py:447) pays the httpx SSL context
   (finding 1) on the loop: a 170 ms stall every 3 s. Fixes: render rows with a widget
   that re-renders only the changed line (or a DataTable subclass with per-row cache
   keys), move ages/countdowns out of the cells, flush at display rate (16-33 ms).
6. *UI stalls: 270-550 ms* during a 1,000/s burst and during cancel-all of 500 (the
   longest loop stall seen by a 5 ms sleep probe): the same full-table re-renders, plus
   the SSL context of cancel-all's REST read (finding 1) on the app's loop; cancel-all of
   500 through the screen (C, y) took 3.3-4.1 s until every row showed its cancel.
7. *scale: update latency with 10,000 open orders is 3.7 s median (23× the 10-order
   case).* The CPU-per-update row looks fine (1.5×) only because the main thread is
   saturated with 10,000 orders (the "busy when idle" note divided thread CPU by the
   nominal 4 s while the saturated loop slept far longer, hence 199%; fixed after the
   run to use the measured time): twice a second and on every block the app re-derives
   and re-renders all 10,000 rows (`DydxApp.tick` and `on_account_updated` call
   `refresh_orders` with no ids), so updates queue behind them. The subaccount snapshot
   holds at most 1,000 orders (as the real indexer's), so the benchmark sends the other
   9,000 as updates while the app runs.
8. *start: 2.3-2.9 s to the first live frame, target 1.5 s* (`import textual` alone:
   0.2-0.3 s). Most of it is imports before the first frame (dydx_v4_client, grpc,
   protobuf, pydantic models, aiohttp via the devnet package) plus the store, the gateway
   (chain-id check round trip) and the feed's snapshots before any row can show;
   `python -X importtime -m tui_app --help` shows the import part.
9. *memory*: see the row; peak RSS is read from VmHWM in a fresh process (ru_maxrss is
   carried across exec on Linux and would report the benchmark's own size).

**Bug found while benchmarking** (not a performance figure): quitting the app while the
cancel-all screen's per-order `CancelFinished` messages are still queued crashes it with
`NoMatches: No nodes match 'OrdersTable' on Screen(id='_default')` from
`DydxApp.set_order_note` (tui_app/app.py, called from `on_cancel_finished`):
the handler runs during shutdown after the widgets are gone. The benchmark now waits for
the screen's report and closes it before leaving the app.
"""
