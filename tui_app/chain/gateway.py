"""NodeGateway: every validator call, off the caller's loop, with a deadline.

    gateway = await NodeGateway.connect(GatewayConfig(target, chain_id), mnemonic)
    try:
        result = await gateway.place_order(order)      # BroadcastResult
    finally:
        await gateway.close()

- Stateful NodeClient calls run on ONE worker thread with its own loop (worker.py); the
  caller waits with a deadline and gets `OutcomeUnknown` when it passes (the call may land).
- Short-term txs and block queries need no sequence number, so they run on a small pool
  of further worker threads and can be in flight together (cancel-all sends its batch
  cancels concurrently); the gRPC channel is thread-safe and shared.
- Short-term place/cancel and batch cancel skip the chain's sequence check, so they are
  built and broadcast without the account query the package makes before every tx.
- Stateful txs (long-term place/cancel) use a local sequence counter, seeded from the
  account, serialized by a lock, resynced when the chain answers sequence mismatch.
- UNAVAILABLE is retried with backoff; a broadcast is retried with the *same signed
  bytes*, so a retry can never become a second, different transaction. Each retry is
  reported to `on_retry(attempt, limit, error)` (per call, or the listener of
  retry_notice.py), on the worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self, TypeVar

import grpc
from dydx_v4_client.key_pair import KeyPair
from dydx_v4_client.node.builder import DEFAULT_FEE, Builder, as_any
from dydx_v4_client.node.client import NodeClient
from dydx_v4_client.wallet import Wallet
from google.protobuf.message import Message
from pydantic import SecretStr
from v4_proto.dydxprotocol.clob.order_pb2 import Order, OrderId
from v4_proto.dydxprotocol.clob.tx_pb2 import MsgPlaceOrder

from tui_app.chain.errors import (
    ChainIdMismatch,
    GatewayClosed,
    NetworkError,
    NodeError,
    OutcomeUnknown,
    SigningKeyError,
)
from tui_app.chain.grpc_channel import make_channel
from tui_app.chain.orders import (
    OrderKey,
    build_batch_cancel,
    build_cancel_order,
    is_short_term_message,
)
from tui_app.chain.permit import SendPermit
from tui_app.chain.retry_notice import RetryCallback, notify_retry, retry_listener
from tui_app.chain.worker import LoopThread, remaining_time

log = logging.getLogger(__name__)

T = TypeVar("T")

USDC_DENOM = "ibc/8E27BA2D5493AF5636760E354E46004562C46AB7EC0CC4C1CA14E9E20E2545B5"
# gRPC statuses worth another try: the node was not reached or shed the load.
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE})
# gRPC statuses after which a broadcast certainly did not enter the mempool.
NOT_SENT = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.FAILED_PRECONDITION,
    }
)
SEQUENCE_MISMATCH_CODE = 32  # codespace "sdk" (clob 32 is something else)
_EXPECTED_SEQUENCE = re.compile(r"expected (\d+)")
MAX_SEQUENCE_RESYNCS = 3


@dataclass(frozen=True)
class GatewayConfig:
    target: str  # "host:port", no scheme
    chain_id: str
    secure: bool = False  # TLS; every public node wants it, the devnet does not
    usdc_denom: str = USDC_DENOM
    # The address the mnemonic must derive (a wrong key is refused before any signing).
    address: str | None = None
    call_timeout: float = 5.0
    retry_attempts: int = 3  # extra tries after the first UNAVAILABLE
    retry_base_delay: float = 0.1
    retry_max_delay: float = 1.0
    memo: str = "dydx-tui"
    # Threads for short-term txs and queries (each blocking call holds one thread).
    short_term_workers: int = 8  # cancel-all of 500 short-term orders: 5 batches at once


@dataclass(frozen=True)
class BroadcastResult:
    """The node's CheckTx answer. code 0: accepted into the mempool/memclob, not filled."""

    txhash: str
    code: int
    codespace: str
    raw_log: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    @property
    def is_sequence_mismatch(self) -> bool:
        return self.code == SEQUENCE_MISMATCH_CODE and self.codespace == "sdk"

    def expected_sequence(self) -> int | None:
        """The sequence the chain wants, from "account sequence mismatch, expected N, got M"."""
        match = _EXPECTED_SEQUENCE.search(self.raw_log)
        return int(match.group(1)) if match else None


@dataclass(frozen=True)
class BlockInfo:
    height: int
    time: datetime  # UTC


@dataclass(frozen=True)
class AccountInfo:
    address: str
    account_number: int
    sequence: int


@dataclass(frozen=True)
class NodeInfo:
    chain_id: str
    moniker: str
    app_version: str


class NodeGateway:
    """Owns a NodeClient, a Wallet and the worker thread they are used on."""

    def __init__(self, config: GatewayConfig) -> None:
        """Use `await NodeGateway.connect(config, mnemonic)`."""
        self.config = config
        self._worker = LoopThread(f"dydx-node-{config.target}")
        self._pool = [
            LoopThread(f"dydx-node-{config.target}-st{i}")
            for i in range(max(1, config.short_term_workers))
        ]
        self._in_flight = [0] * len(self._pool)  # per pool thread, touched on the caller's loop
        # Everything below is touched only on the worker thread.
        self._raw_channel: grpc.Channel | None = None
        self._client: NodeClient | None = None
        self._wallet: Wallet | None = None
        self._address = ""
        self._account_number: int | None = None
        self._sequence: int | None = None  # None: unknown, ask the node before the next use
        self._sequence_lock: asyncio.Lock | None = None

    def __repr__(self) -> str:
        return f"NodeGateway(target={self.config.target!r}, address={self._address!r})"

    # ----- lifecycle -------------------------------------------------------------------

    @classmethod
    async def connect(
        cls,
        config: GatewayConfig,
        mnemonic: SecretStr,
        *,
        verify_chain_id: bool = True,
        prefetch_account: bool = False,
    ) -> Self:
        """Start the workers, derive the key there, and (by default) check the chain id.

        `prefetch_account`: learn the account number now, so that the first short-term
        tx is one round trip (the trading commands and the app want that)."""
        if not isinstance(mnemonic, SecretStr):
            # Say nothing about the value: it may be the phrase itself.
            raise TypeError("the mnemonic must be a pydantic SecretStr")
        gateway = cls(config)
        gateway._worker.start()
        for thread in gateway._pool:
            thread.start()
        try:
            await gateway._run(lambda: gateway._setup(mnemonic), "connect", config.call_timeout)
            if verify_chain_id:
                info = await gateway.node_info()
                if info.chain_id != config.chain_id:
                    raise ChainIdMismatch(config.chain_id, info.chain_id)
            if prefetch_account:
                await gateway._prefetch_account_number()
        except BaseException:
            await gateway.close()
            raise
        return gateway

    async def _prefetch_account_number(self) -> None:
        """Learn the account number now, so the first short-term tx needs no extra round
        trip. Optional: an account the chain does not know yet is asked again later."""
        try:
            await self._run(self._query_account, "account query", self.config.call_timeout)
        except (NetworkError, NodeError, OutcomeUnknown) as exc:
            log.info("account number not known yet (%s); asked before the first tx", exc)

    async def close(self) -> None:
        if self._worker.running:
            try:
                await self._run(self._teardown, "close", self.config.call_timeout)
            except Exception:
                log.debug("node gateway: closing the channel failed", exc_info=True)
        await asyncio.gather(*(thread.stop() for thread in self._pool))
        await self._worker.stop()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def address(self) -> str:
        return self._address

    # ----- queries ---------------------------------------------------------------------

    async def latest_block(self, *, timeout: float | None = None) -> BlockInfo:
        async def job() -> BlockInfo:
            response = await self._retrying(lambda: self._node().latest_block())
            header = response.block.header
            moment = datetime.fromtimestamp(header.time.seconds, UTC).replace(
                microsecond=header.time.nanos // 1000
            )
            return BlockInfo(height=int(header.height), time=moment)

        # Stateless: on the pool, so it never waits behind a stateful broadcast.
        return await self._run_pooled(job, "latest block", timeout)

    async def latest_block_height(self, *, timeout: float | None = None) -> int:
        return (await self.latest_block(timeout=timeout)).height

    async def get_account(self, *, timeout: float | None = None) -> AccountInfo:
        async def job() -> AccountInfo:
            return await self._query_account()

        return await self._run(job, "account query", timeout)

    async def node_info(self, *, timeout: float | None = None) -> NodeInfo:
        async def job() -> NodeInfo:
            response = await self._retrying(lambda: self._node().get_node_info())
            return NodeInfo(
                chain_id=response.default_node_info.network,
                moniker=response.default_node_info.moniker,
                app_version=response.application_version.version,
            )

        return await self._run(job, "node info", timeout)

    # ----- transactions ----------------------------------------------------------------------

    async def place_order(
        self,
        order: Order,
        *,
        timeout: float | None = None,
        on_retry: RetryCallback | None = None,
        permit: SendPermit | None = None,
    ) -> BroadcastResult:
        """`permit`: sign now, broadcast once it is granted (see permit.py); the timeout
        counts from this call."""
        with _listening(on_retry):
            return await self._send(
                [MsgPlaceOrder(order=order)], "place order", timeout, permit=permit
            )

    async def cancel_order(
        self,
        order_id: OrderId,
        *,
        good_til_block: int | None = None,
        good_til_block_time: int | None = None,
        timeout: float | None = None,
        on_retry: RetryCallback | None = None,
    ) -> BroadcastResult:
        msg = build_cancel_order(
            OrderKey.from_proto(order_id),
            good_til_block=good_til_block,
            good_til_block_time=good_til_block_time,
        )
        with _listening(on_retry):
            return await self._send([msg], "cancel order", timeout)

    async def batch_cancel(
        self,
        subaccount_number: int,
        batches: Mapping[int, Sequence[int]],
        good_til_block: int,
        *,
        timeout: float | None = None,
    ) -> BroadcastResult:
        """Cancel short-term orders: {clob_pair_id: [client_id, ...]}, <= 100 ids in all."""
        msg = build_batch_cancel(self._address, subaccount_number, batches, good_til_block)
        return await self._send([msg], "batch cancel", timeout)

    async def broadcast_stateful(
        self, msgs: Sequence[Message], *, timeout: float | None = None
    ) -> BroadcastResult:
        """Several stateful (long-term) messages in one transaction, one sequence number."""
        return await self._send(list(msgs), f"stateful tx ({len(msgs)} msgs)", timeout)

    async def _send(
        self,
        msgs: list[Message],
        what: str,
        timeout: float | None,
        *,
        permit: SendPermit | None = None,
    ) -> BroadcastResult:
        if not msgs:
            raise ValueError("no messages to send")
        short = [is_short_term_message(m) for m in msgs]
        if any(short):
            # The chain refuses a short-term message with anything else in its tx.
            if len(msgs) != 1:
                raise ValueError("a short-term message must travel alone in its transaction")
            if self._account_number is None:
                # Once per gateway (the signature covers the account number), serialized.
                await self._run(self._query_account, "account query", timeout)
            return await self._run_pooled(
                lambda: self._send_short_term(msgs[0], permit), what, timeout
            )
        return await self._run(lambda: self._send_stateful(msgs, permit), what, timeout)

    # ----- on the worker thread -----------------------------------------------------------------

    async def _setup(self, mnemonic: SecretStr) -> None:
        key = _derive_key(mnemonic)
        if key is None:
            raise SigningKeyError("the mnemonic is not a valid BIP39 phrase")
        self._wallet = Wallet(key, account_number=0, sequence=0)
        self._address = self._wallet.address
        expected = self.config.address
        if expected is not None and expected != self._address:
            raise SigningKeyError(
                f"the mnemonic derives {self._address}, not the configured {expected}"
            )
        self._raw_channel, channel = make_channel(self.config.target, secure=self.config.secure)
        builder = Builder(self.config.chain_id, self.config.usdc_denom, memo=self.config.memo)
        # Constructed directly (not NodeClient.connect): no SequenceManager, so nothing
        # queries the account behind our back.
        self._client = NodeClient(channel, builder, manage_sequence=False)
        self._sequence_lock = asyncio.Lock()

    async def _teardown(self) -> None:
        if self._raw_channel is not None:
            self._raw_channel.close()
        self._raw_channel = self._client = None

    def _node(self) -> NodeClient:
        if self._client is None:
            raise GatewayClosed()
        return self._client

    async def _query_account(self) -> AccountInfo:
        account = await self._retrying(lambda: self._node().get_account(self._address))
        self._account_number = int(account.account_number)
        return AccountInfo(account.address, int(account.account_number), int(account.sequence))

    async def _send_short_term(self, msg: Message, permit: SendPermit | None) -> BroadcastResult:
        """On a pool thread: sign with a private wallet copy (the shared one belongs to the
        stateful worker, which changes its sequence)."""
        key = self._signing_wallet().key
        if self._account_number is None:
            await self._query_account()
        # Sequence 0: the chain does not check it for short-term messages, and the same
        # message always gives the same bytes, so a resent cancel is "already in cache".
        wallet = Wallet(key, account_number=self._account_number, sequence=0)  # type: ignore[arg-type]
        tx = self._node().builder.build(wallet, msg)
        await _granted(permit)
        return await self._broadcast(tx)

    async def _send_stateful(
        self, msgs: list[Message], permit: SendPermit | None
    ) -> BroadcastResult:
        wallet = self._signing_wallet()
        assert self._sequence_lock is not None
        # Before the sequence lock: a sequence number is taken only for a tx that may go.
        await _granted(permit)
        async with self._sequence_lock:
            result: BroadcastResult | None = None
            for _ in range(MAX_SEQUENCE_RESYNCS + 1):
                if self._sequence is None or self._account_number is None:
                    account = await self._query_account()
                    self._sequence = account.sequence
                wallet.account_number = self._account_number  # type: ignore[assignment]
                wallet.sequence = self._sequence
                tx = self._node().builder.build_transaction(
                    wallet, [as_any(m) for m in msgs], DEFAULT_FEE
                )
                try:
                    result = await self._broadcast(tx)
                except OutcomeUnknown:
                    # It may have used the sequence or not: ask the node next time.
                    self._sequence = None
                    raise
                if result.ok:
                    self._sequence += 1
                    return result
                if not result.is_sequence_mismatch:
                    # Refused at CheckTx: the sequence was not consumed.
                    return result
                expected = result.expected_sequence()
                log.info("sequence mismatch (had %s): resyncing to %s", wallet.sequence, expected)
                self._sequence = expected
            assert result is not None
            return result

    def _signing_wallet(self) -> Wallet:
        if self._wallet is None:
            raise GatewayClosed()
        return self._wallet

    async def _broadcast(self, tx: Any) -> BroadcastResult:
        try:
            response = await self._retrying(lambda: self._node().broadcast(tx), broadcast=True)
        except NetworkError as exc:
            # UNAVAILABLE can also mean the connection broke after the tx was sent.
            raise OutcomeUnknown(f"broadcast: {exc}") from None
        r = response.tx_response
        return BroadcastResult(r.txhash, int(r.code), r.codespace, r.raw_log)

    async def _retrying(
        self, call: Callable[[], Awaitable[T]], *, broadcast: bool = False
    ) -> T:
        """`call()` with retries on UNAVAILABLE, gRPC errors mapped to ours."""
        cfg = self.config
        for attempt in range(cfg.retry_attempts + 1):
            try:
                return await call()
            except grpc.RpcError as exc:
                status = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
                details = exc.details() if hasattr(exc, "details") else str(exc)
                if status == grpc.StatusCode.DEADLINE_EXCEEDED:
                    raise OutcomeUnknown(f"node did not answer in time: {details}") from None
                if status in RETRYABLE:
                    delay = _backoff(attempt, cfg.retry_base_delay, cfg.retry_max_delay)
                    left = remaining_time()
                    if attempt < cfg.retry_attempts and (left is None or left > delay):
                        log.info("node %s (%s); retry in %.2f s", status.name, details, delay)
                        notify_retry(attempt + 1, cfg.retry_attempts, f"{status.name} {details}")
                        await asyncio.sleep(delay)
                        continue
                    raise NetworkError(
                        f"node unreachable after {attempt + 1} tries: {status.name} {details}"
                    ) from None
                if broadcast and status not in NOT_SENT:
                    raise OutcomeUnknown(f"broadcast: {status.name} {details}") from None
                raise NodeError(status.name, details) from None
        raise AssertionError("unreachable")

    async def _run(
        self, job: Callable[[], Awaitable[T]], what: str, timeout: float | None
    ) -> T:
        return await self._worker.run(job, timeout or self.config.call_timeout, what)

    async def _run_pooled(
        self, job: Callable[[], Awaitable[T]], what: str, timeout: float | None
    ) -> T:
        """`job` on the least busy pool thread (for calls that need no sequence)."""
        index = min(range(len(self._pool)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1
        try:
            return await self._pool[index].run(job, timeout or self.config.call_timeout, what)
        finally:
            self._in_flight[index] -= 1


async def _granted(permit: SendPermit | None) -> None:
    """Wait for the caller's go-ahead (on the worker thread); a caller that gave up
    meanwhile (its deadline passed) is told "unknown" already: send nothing then."""
    if permit is None:
        return
    await permit.wait()
    left = remaining_time()
    if left is not None and left <= 0:
        raise OutcomeUnknown("place order: the deadline passed before it was sent")


def _listening(on_retry: RetryCallback | None) -> contextlib.AbstractContextManager[None]:
    """A per-call `on_retry` wins; without one, the caller's listener (if any) stays."""
    return contextlib.nullcontext() if on_retry is None else retry_listener(on_retry)


def _backoff(attempt: int, base: float, maximum: float) -> float:
    # Full jitter, so that several clients retrying a restarted node do not stay in step.
    return random.uniform(0, min(maximum, base * 2**attempt))


def _derive_key(mnemonic: SecretStr) -> KeyPair | None:
    """The key of the phrase, or None. Never raises: a traceback would show the phrase
    in this frame's locals (crash reports print them)."""
    try:
        return KeyPair.from_mnemonic(" ".join(mnemonic.get_secret_value().split()))
    except Exception:
        return None
