"""IndexerFeed: the indexer's WebSocket (and REST when it must) applied to one AccountState.

    state = AccountState(address, 0)
    feed = IndexerFeed.from_config(config, state, node_height=gateway.latest_block_height)
    feed.on_status(show_status)          # ConnectionStatus, on change (at most ~1/s for rates)
    async with feed:                     # runs until the block ends
        feed.set_focus("ETH-USD")        # order book and trades of one market

- Subscribes to v4_markets, v4_block_height, v4_subaccounts ({address}/{n}) and, for the
  market in focus, v4_orderbook (batched) and v4_trades. Every (re)connect subscribes
  again, and the fresh snapshots replace the state they cover.
- A message-id gap, a rejected subaccount message or an update for an unknown order makes
  the state ask for a resync: the feed unsubscribes and subscribes v4_subaccounts again
  (a new snapshot), at most once per `resync_interval` (the indexer closes a socket that
  subscribes more than twice a second to one channel and id).
- After `reconnects_before_polling` failed reconnects it polls REST every
  `poll_interval_seconds` (applied as snapshots), while the WebSocket keeps trying; the
  first live connection stops the polling.
- Nothing a server sends can raise out of here: bad frames are counted and logged.

No UI imports: the app adapts the status callback and the state's listeners to messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui_app.feed.backoff import Backoff
from tui_app.feed.log_limit import limited_logger
from tui_app.feed.rate import RateMeter
from tui_app.feed.rest_poller import RestPoller, RestRateLimited, RestUnavailable
from tui_app.feed.rest_snapshot import parse_snapshot
from tui_app.feed.status import ConnectionStatus, WsState
from tui_app.feed.subscriptions import (
    SUBACCOUNTS,
    Subscription,
    account_subscriptions,
    focus_subscriptions,
)
from tui_app.feed.ws_session import Send, SessionSettings, WebSocketSession
from tui_app.models import ErrorMessage, RejectCounter, SubaccountsSubscribed, parse_message
from tui_app.state import AccountState

if TYPE_CHECKING:
    from tui_app.config import FeedSettings, ResolvedConfig

log = logging.getLogger(__name__)
# What the indexer sends wrong (rejected frames, error messages), at most 20 lines / 10 s.
wire_log = limited_logger("tui_app.feed.wire")

StatusCallback = Callable[[ConnectionStatus], Any]
NodeHeight = Callable[[], Awaitable[int]]


def session_settings(feed: FeedSettings) -> SessionSettings:
    silence = feed.silence_timeout_seconds
    return SessionSettings(
        max_message_bytes=feed.max_frame_bytes,
        # Ping often enough that a dead peer is noticed within the silence timeout.
        ping_interval=min(10.0, silence / 2),
        ping_timeout=min(10.0, silence / 2),
        silence_timeout=silence,
        open_timeout=min(10.0, feed.rest_timeout_seconds),
    )


class IndexerFeed:
    def __init__(
        self,
        state: AccountState,
        *,
        ws_url: str,
        rest_url: str,
        settings: FeedSettings | None = None,
        network: str = "local",
        chain_id: str = "",
        focus: str | None = None,
        node_height: NodeHeight | None = None,
        session: SessionSettings | None = None,
        resync_interval: float = 5.0,
        probe_interval: float = 3.0,
        status_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if settings is None:
            from tui_app.config import FeedSettings

            settings = FeedSettings()
        self.state = state
        self.settings = settings
        self.node_height = node_height
        self.resync_interval = resync_interval
        self.probe_interval = probe_interval
        self.status_interval = status_interval
        self._clock = clock

        backoff = Backoff(
            initial=settings.reconnect_min_seconds,
            maximum=settings.reconnect_max_seconds,
            jitter=settings.reconnect_jitter,
        )
        self.session = WebSocketSession(ws_url, session or session_settings(settings), backoff)
        self.poller = RestPoller(
            rest_url,
            state.address,
            state.subaccount_number,
            timeout=settings.rest_timeout_seconds,
            max_retries=settings.rest_max_retries,
            backoff=Backoff(initial=settings.reconnect_min_seconds, maximum=5.0),
        )
        self.rejects = RejectCounter(wire_log)
        self._subaccount = Subscription(SUBACCOUNTS, state.channel_id)

        # Counters (tests, benchmarks and the status screen read them).
        self.messages = 0
        self.connects = 0
        self.resyncs = 0
        self.polls = 0
        self.internal_errors = 0
        self.last_reconnect_seconds: float | None = None  # drop -> live, the last time
        self.last_resync_reason = ""

        self._focus = focus
        self._subscribed_focus: str | None = None
        self._send: Send | None = None
        self._send_lock = asyncio.Lock()
        self._rate = RateMeter()
        self._last_message_at: float | None = None
        self._dropped_at: float | None = None
        self._ws_state = WsState.CONNECTING
        self._failed_reconnects = 0
        self._polling = False
        self._last_error = ""
        self._lag: int | None = None
        self._rest_rtt_ms: float | None = None
        self._rate_limited_until: float | None = None
        self._last_resync_at: float | None = None
        self._resync_task: asyncio.Task[None] | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._poll_now = asyncio.Event()
        # Set by the first subaccount snapshot (WebSocket or REST); the launcher waits on it.
        self.first_snapshot = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._listeners: list[StatusCallback] = []
        self._status = ConnectionStatus(
            network=network,
            chain_id=chain_id,
            max_reconnects_before_polling=settings.reconnects_before_polling,
        )

    @classmethod
    def from_config(
        cls,
        config: ResolvedConfig,
        state: AccountState | None = None,
        **options: Any,
    ) -> IndexerFeed:
        """A feed for the resolved config's endpoints, account and feed settings."""
        if state is None:
            state = AccountState(config.address, config.subaccount_number)
        return cls(
            state,
            ws_url=config.endpoints.ws_url,
            rest_url=config.endpoints.rest_url,
            settings=config.settings.feed,
            network=config.network,
            chain_id=config.chain_id,
            **options,
        )

    # ----- reading ----------------------------------------------------------------------

    @property
    def status(self) -> ConnectionStatus:
        """The current status (recomputed: rates and heights are read on demand)."""
        return self._current_status()

    @property
    def focus(self) -> str | None:
        return self._focus

    @property
    def polling(self) -> bool:
        return self._polling

    def on_status(self, callback: StatusCallback) -> Callable[[], None]:
        """Call `callback(status)` whenever the status changes; returns an unsubscriber.

        Subscribing to a running feed also calls it once with the current status (it may
        have gone live before the subscriber came)."""
        self._listeners.append(callback)
        if self._tasks:
            try:
                callback(self._status)
            except Exception:
                log.exception("feed status callback %r failed", callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    # ----- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        if self._tasks:
            raise RuntimeError("the feed is already running")
        self._tasks = [
            asyncio.create_task(self.session.run(self), name="feed-websocket"),
            asyncio.create_task(self._status_loop(), name="feed-status"),
            asyncio.create_task(self._probe_loop(), name="feed-probes"),
        ]

    async def stop(self) -> None:
        tasks = [*self._tasks, self._poll_task, self._resync_task]
        self._tasks = []
        self._poll_task = self._resync_task = None
        for task in tasks:
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in tasks if t is not None), return_exceptions=True)
        self._send = None
        self._polling = False
        self._ws_state = WsState.STOPPED
        self.state.feed_live = False
        await self.poller.aclose()  # the REST client's connections (reopened on demand)
        self._publish()

    async def run(self) -> None:
        """Run until cancelled. A feed already started (the launcher starts it before the
        UI is up, so the snapshots arrive while Textual loads) is joined, not restarted."""
        if not self._tasks:
            await self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            await self.stop()

    async def __aenter__(self) -> IndexerFeed:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ----- control ----------------------------------------------------------------------

    def set_focus(self, ticker: str | None) -> None:
        """Follow another market's order book and trades (None: none)."""
        if ticker == self._focus:
            return
        self._focus = ticker
        if self._send is not None:
            self._spawn(self._switch_focus(), "feed-focus")

    def request_resync(self, reason: str) -> None:
        """Rebuild the subaccount from a fresh snapshot (rate-limited)."""
        self.state.request_resync(reason)
        self._schedule_resync()

    # ----- SessionHandler (called by WebSocketSession) ------------------------------------

    async def on_open(self, send: Send) -> None:
        self._send = send
        self._subscribed_focus = self._focus
        requests = [s.subscribe() for s in account_subscriptions_for(self.state)]
        requests += [s.subscribe() for s in focus_subscriptions(self._focus)]
        self.state.note_request_sent(len(requests))
        async with self._send_lock:
            for request in requests:
                await send(request)

    def on_message(self, raw: str | bytes) -> None:
        """One frame: parse, apply, count. Never raises."""
        now = self._clock()
        self.messages += 1
        self._rate.add(now)
        self._last_message_at = now
        try:
            message = parse_message(raw, self.rejects)
            if type(message) is ErrorMessage:
                # Subscription errors (unknown ticker...) and protocol complaints.
                wire_log.warning("indexer error message: %s", message.message[:200])
                self._last_error = f"indexer: {message.message[:200]}"
            self.state.apply(message)
            if type(message) is SubaccountsSubscribed:
                self._failed_reconnects = 0  # this connection works
                self.first_snapshot.set()
        except Exception:  # a bug must not take the connection down
            self.internal_errors += 1
            log.exception("feed: failed to handle a message")
        if self.state.needs_resync:
            self._schedule_resync()

    def on_state(self, state: WsState, attempt: int, error: str) -> None:
        # `attempt` is the session's count, which also counts connections that dropped
        # soon after opening (for its backoff). Polling waits for reconnects that failed
        # since the last subaccount snapshot: a connection that delivered one worked.
        now = self._clock()
        if error:
            self._last_error = error
        if state is WsState.LIVE:
            self.connects += 1
            if self._dropped_at is not None:
                self.last_reconnect_seconds = now - self._dropped_at
                self._dropped_at = None
            self._last_error = ""
            self._stop_polling()
        elif state is WsState.RECONNECTING:
            if self._dropped_at is None:
                self._dropped_at = now
            if error:  # the session reports each failure once with its reason
                self._failed_reconnects += 1
            self._send = None
            self.state.connection_lost()
            if self._failed_reconnects >= self.settings.reconnects_before_polling:
                self._start_polling()
        self._ws_state = state
        self.state.feed_live = state is WsState.LIVE
        self._publish()

    # ----- resync -----------------------------------------------------------------------

    def _schedule_resync(self) -> None:
        if self._resync_task is None and self._tasks:
            self._resync_task = self._spawn(self._resync(), "feed-resync")

    async def _resync(self) -> None:
        try:
            if self._last_resync_at is not None:
                wait = self._last_resync_at + self.resync_interval - self._clock()
                if wait > 0:
                    await asyncio.sleep(wait)
            if not self.state.needs_resync:
                return  # a snapshot (reconnect, poll) healed it meanwhile
            reason = self.state.resync_reasons[-1] if self.state.resync_reasons else "?"
            self._last_resync_at = self._clock()
            self.resyncs += 1
            self.last_resync_reason = reason
            log.info("feed: resync of %s (%s)", self.state.channel_id, reason)
            send = self._send
            if send is not None:
                async with self._send_lock:
                    self.state.note_request_sent(2)
                    await send(self._subaccount.unsubscribe())
                    await send(self._subaccount.subscribe())
            elif self._polling:
                self._poll_now.set()
            # Otherwise the next connection's snapshot heals it.
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket closed under us: the reconnect resubscribes
            log.info("feed: resync request not sent: %s", exc)
        finally:
            self._resync_task = None
            self._publish()

    # ----- focus ------------------------------------------------------------------------

    async def _switch_focus(self) -> None:
        send = self._send
        if send is None:
            return
        async with self._send_lock:
            old, new = self._subscribed_focus, self._focus
            if old == new or send is not self._send:
                return
            requests = [s.unsubscribe() for s in focus_subscriptions(old)]
            requests += [s.subscribe() for s in focus_subscriptions(new)]
            self.state.note_request_sent(len(requests))
            try:
                for request in requests:
                    await send(request)
            except Exception as exc:
                log.info("feed: focus change not sent (%s); the reconnect subscribes", exc)
                return
            self._subscribed_focus = new

    # ----- REST polling -----------------------------------------------------------------

    def _start_polling(self) -> None:
        if self._polling:
            return
        log.warning(
            "indexer WebSocket failed %d times: polling REST every %.1f s meanwhile",
            self.settings.reconnects_before_polling,
            self.settings.poll_interval_seconds,
        )
        self._polling = True
        if self._tasks:
            self._poll_task = self._spawn(self._poll_loop(), "feed-poll")

    def _stop_polling(self) -> None:
        if not self._polling:
            return
        log.info("indexer WebSocket is back: polling stops")
        self._polling = False
        task, self._poll_task = self._poll_task, None
        if task is not None:
            task.cancel()

    async def _poll_loop(self) -> None:
        while True:
            delay = self.settings.poll_interval_seconds
            try:
                await self.poll_once()
            except RestRateLimited as exc:
                delay = max(delay, exc.retry_after)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("feed: REST poll failed")
            self._poll_now.clear()
            try:
                async with asyncio.timeout(delay):  # not wait_for (see ws_session._read)
                    await self._poll_now.wait()
            except TimeoutError:
                pass

    async def poll_once(self) -> None:
        """One REST poll applied as snapshots. Raises RestRateLimited (after noting it)."""
        try:
            snapshot = await self.poller.poll()
        except RestRateLimited as exc:
            self._note_rate_limited(exc)
            raise
        except RestUnavailable as exc:
            self._last_error = str(exc)
            self._publish()
            return
        except Exception as exc:  # 4xx, bad JSON...: reported, polling goes on
            self._last_error = f"indexer REST: {type(exc).__name__}: {exc}"[:300]
            self._publish()
            return
        self.polls += 1
        self._rate_limited_until = None
        self._rest_rtt_ms = snapshot.round_trip_ms
        for message in parse_snapshot(snapshot, self.state.channel_id, self.rejects):
            self.on_message_parsed(message)
        if self.state.snapshot_received:
            self.first_snapshot.set()
        self._publish()

    def on_message_parsed(self, message: Any) -> None:
        """Apply an already parsed message (REST snapshots) like a WebSocket one."""
        now = self._clock()
        self._rate.add(now)
        self._last_message_at = now
        self.state.apply(message)

    def _note_rate_limited(self, exc: RestRateLimited) -> None:
        self._rate_limited_until = self._clock() + exc.retry_after
        self._last_error = str(exc)
        log.warning("%s", exc)
        self._publish()

    # ----- probes and status ------------------------------------------------------------

    async def _probe_loop(self) -> None:
        # Not at once: at start the probe's requests (and the REST client's first import)
        # would compete with the snapshots and the TUI's first frame for the loop.
        while True:
            await asyncio.sleep(self.probe_interval)
            await self.probe_once()

    async def probe_once(self) -> None:
        """Indexer lag (node height - indexer height) and, without a ping RTT, REST RTT."""
        if self.node_height is not None:
            try:
                node = await self.node_height()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("feed: node height probe failed: %s", exc)
            else:
                indexer = self.state.block_height
                self._lag = None if indexer is None else node - indexer
        limited = self._rate_limited_until is not None and self._clock() < (
            self._rate_limited_until
        )
        if self.session.latency is None and not limited:
            try:
                self._rest_rtt_ms = await self.poller.time_round_trip_ms()
            except asyncio.CancelledError:
                raise
            except RestRateLimited as exc:
                self._note_rate_limited(exc)
            except Exception as exc:
                log.debug("feed: REST time probe failed: %s", exc)
        self._publish()

    async def _status_loop(self) -> None:
        while True:
            await asyncio.sleep(self.status_interval)
            self._publish()

    def _current_status(self) -> ConnectionStatus:
        now = self._clock()
        state = self.state
        ws_rtt = self.session.latency
        limited = self._rate_limited_until
        if limited is not None and now >= limited:
            limited = self._rate_limited_until = None
        ws_state = self._ws_state
        if self._polling and ws_state is not WsState.LIVE:
            ws_state = WsState.POLLING
        return self._status.with_changes(
            ws_state=ws_state,
            reconnect_attempt=self._failed_reconnects,
            last_message_at=self._last_message_at,
            messages_per_second=round(self._rate.per_second(now), 1),
            block_height=state.block_height,
            block_time=state.block_time,
            indexer_lag_blocks=self._lag,
            round_trip_ms=round(ws_rtt * 1000, 1) if ws_rtt is not None else self._rest_rtt_ms,
            rest_rate_limited_until=limited,
            last_error=self._last_error,
            resyncs=self.resyncs,
            rejected_messages=self.rejects.total,
            extra={
                "rtt_source": "ws ping" if ws_rtt is not None else "rest /v4/time",
                "polls": str(self.polls),
                "connects": str(self.connects),
            },
        )

    def _publish(self) -> None:
        status = self._current_status()
        if status == self._status:
            return
        self._status = status
        for callback in tuple(self._listeners):
            try:
                callback(status)
            except Exception:  # one broken subscriber must not stop the feed
                log.exception("feed status callback %r failed", callback)

    def _spawn(self, coro: Awaitable[None], name: str) -> asyncio.Task[None]:
        return asyncio.get_running_loop().create_task(coro, name=name)  # type: ignore[arg-type]


def account_subscriptions_for(state: AccountState) -> list[Subscription]:
    return account_subscriptions(state.address, state.subaccount_number)


def block_age_seconds(status: ConnectionStatus, now: datetime | None = None) -> float | None:
    """Seconds since the latest block's time (None before the first block)."""
    if status.block_time is None:
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (now - status.block_time).total_seconds())
