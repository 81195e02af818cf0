"""The devnet chain: accounts, blocks, transactions and the event stream.

`Chain` is synchronous and single-threaded: the devnet runs it on its own event loop,
with the validator gRPC and the indexer on the same loop. See `chain_api.md` for the
contract the other devnet parts rely on.

Transactions follow the real node's path: `check_tx` is what BroadcastTx(SYNC) answers
(decode, authenticate, validate; short-term clob messages act at once in the memclob);
stateful messages wait for `produce_block`, which also expires orders, moves oracle
prices and lets the synthetic traders act. Deposits, withdrawals, transfers and bank sends
(`sending.py`) are stateful too: they pay a fee at CheckTx (`fees.py`) and move money when
their block is delivered.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from google.protobuf.any_pb2 import Any as AnyProto
from v4_proto.dydxprotocol.clob import tx_pb2

from tui_app.devnet import ante, errors, fees
from tui_app.devnet.accounts import TEST_ACCOUNTS, AccountRegistry
from tui_app.devnet.bank import Bank
from tui_app.devnet.clob import Clob, PendingStatefulTx, order_from_proto, order_id_from_proto
from tui_app.devnet.errors import ChainError
from tui_app.devnet.events import (
    BalanceChanged,
    BlockCommitted,
    ChainEvent,
    OraclePriceChanged,
    TransferCreated,
)
from tui_app.devnet.ledger import Ledger
from tui_app.devnet.markets import DEFAULT_MARKETS, MarketParams
from tui_app.devnet.params import (
    FLAG_SHORT_TERM,
    NATIVE_DENOM,
    USDC_ASSET_ID,
    USDC_DENOM,
    ChainParams,
)
from tui_app.devnet.sending import Movement, Sending, validate_basic
from tui_app.devnet.types import Order, OrderId, Subaccount, SubaccountId

log = logging.getLogger(__name__)

# What each test account holds in subaccount 0 at genesis (USDC).
GENESIS_USDC = Decimal(1_000_000)
# What each test account's wallet holds at genesis (base units), as dYdX's localnet
# genesis funds them: 100 billion USDC and 1,000,000 native tokens (18 decimals).
GENESIS_WALLET_USDC = 10**17
GENESIS_WALLET_NATIVE = 10**24
# Gas figures reported for clob txs (the chain gives them a free, infinite gas meter).
CLOB_GAS_USED = 0
SIMULATE_GAS_PER_MESSAGE = 100_000
TRANSFER_TYPE_URL = "/dydxprotocol.sending.MsgCreateTransfer"


@dataclass(frozen=True)
class TxResult:
    txhash: str
    code: int = 0
    codespace: str = ""
    raw_log: str = ""
    gas_wanted: int = 0
    gas_used: int = 0
    height: int = 0

    @staticmethod
    def failed(txhash: str, error: ChainError, gas_wanted: int = 0) -> TxResult:
        return TxResult(txhash, error.code, error.codespace, error.raw_log, gas_wanted)


@dataclass(frozen=True)
class StoredTx:
    tx_bytes: bytes
    result: TxResult
    height: int
    time: datetime


class Chain:
    def __init__(
        self,
        params: ChainParams | None = None,
        markets: Iterable[MarketParams] = DEFAULT_MARKETS,
        seed: int = 0,
        start_time: datetime | None = None,
    ) -> None:
        self.params = params or ChainParams()
        self.chain_id = self.params.chain_id
        self.seed = seed
        self.rng = random.Random(seed)
        self.markets: dict[int, MarketParams] = {m.clob_pair_id: m for m in markets}
        # Oracle prices by perpetual id (shared, updated in place, with the matching engine).
        self.oracles: dict[int, Decimal] = {
            m.perpetual_id: m.initial_oracle_price for m in self.markets.values()
        }
        self.accounts = AccountRegistry()
        self.ledger = Ledger()
        self.bank = Bank()
        self.sending = Sending(self.ledger, self.bank, self.accounts, self._usdc_change_result)
        self.height = self.params.genesis_height
        self.genesis_time = (start_time or datetime.now(UTC)).astimezone(UTC)
        self.block_time = self.genesis_time
        self._block_hashes: dict[int, bytes] = {self.height: _hash_block(self.height, b"")}
        self._event_index = 0
        self._listeners: list[Callable[[ChainEvent], None]] = []
        # Events of the CheckTx running now; the listeners get them after its answer.
        self._checktx_events: list[ChainEvent] | None = None
        self._undelivered: list[list[ChainEvent]] = []
        self._at_commit: list[Callable[[int, datetime], list[ChainEvent]]] = []
        self._pending_stateful: list[PendingStatefulTx] = []
        self._stored: dict[str, StoredTx] = {}
        # Recently seen tx hashes (a node's mempool cache), by the height they were seen at.
        self._tx_cache: dict[str, int] = {}
        self.clob = Clob(self.params, self.markets, self.oracles, self.ledger, self, self)
        self.traders = None
        for account in TEST_ACCOUNTS:
            self.fund(account.address, GENESIS_USDC)
            self.bank.mint(account.address, USDC_DENOM, GENESIS_WALLET_USDC)
        if self.params.synthetic_traders:
            from tui_app.devnet.traders import SyntheticTraders

            self.traders = SyntheticTraders(self, random.Random(seed + 1))

    # ------------------------------------------------------------------ setup

    def fund(self, address: str, usdc: Decimal, subaccount_number: int = 0) -> None:
        """Create the account (if new) and credit USDC to one of its subaccounts."""
        if address not in self.accounts:
            self.bank.mint(address, NATIVE_DENOM, GENESIS_WALLET_NATIVE)
        self.accounts.create(address)
        self.ledger.deposit(SubaccountId(address, subaccount_number), int(usdc.scaleb(6)))

    # ------------------------------------------------------------------ queries

    def block_hash(self, height: int) -> bytes:
        return self._block_hashes.get(height, b"")

    def market_by_ticker(self, ticker: str) -> MarketParams | None:
        return next((m for m in self.markets.values() if m.ticker == ticker), None)

    def oracle_price(self, clob_pair_id: int) -> Decimal:
        return self.oracles[self.markets[clob_pair_id].perpetual_id]

    def subaccount(self, subaccount_id: SubaccountId) -> Subaccount | None:
        return self.ledger.get(subaccount_id)

    def subaccounts(self) -> list[Subaccount]:
        return self.ledger.all()

    def equity_quote(self, subaccount_id: SubaccountId) -> int:
        sub = self.ledger.get(subaccount_id)
        if sub is None:
            return 0
        return int(self.ledger.equity(sub, self._by_perpetual(), self.oracles).scaleb(6))

    def free_collateral_quote(self, subaccount_id: SubaccountId) -> int:
        sub = self.ledger.get(subaccount_id)
        if sub is None:
            return 0
        free = self.ledger.free_collateral(sub, self._by_perpetual(), self.oracles)
        return int(free.scaleb(6))

    def open_orders(self) -> list[Order]:
        return self.clob.open_orders() + self.clob.untriggered_orders()

    def untriggered_orders(self) -> list[Order]:
        return self.clob.untriggered_orders()

    def order(self, order_id: OrderId) -> Order | None:
        return self.clob.find(order_id)

    def book_levels(self, clob_pair_id: int):
        from tui_app.devnet.types import Side

        book = self.clob.engine.books[clob_pair_id]
        return book.levels(Side.BUY), book.levels(Side.SELL)

    def get_tx(self, txhash: str) -> StoredTx | None:
        return self._stored.get(txhash.upper())

    # ------------------------------------------------------------------ events

    def subscribe(self, listener: Callable[[ChainEvent], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit_now(self, event: ChainEvent) -> None:
        """Hand `event` to the listeners (the indexer, block times). During a CheckTx it is
        queued and delivered right after the answer, in order (`_deliver_checktx_events`):
        a node answers CheckTx before its off-chain updates reach the indexer, and a batch
        of cancels must not wait for the indexer's work on the previous batch."""
        if self._checktx_events is not None:
            self._checktx_events.append(event)
            return
        if self._undelivered:  # keep the order: a CheckTx's events go first
            self.deliver_pending_events()
        self._deliver(event)

    def _deliver(self, event: ChainEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not break the chain
                log.exception("chain event listener failed on %s", type(event).__name__)

    def emit_at_commit(self, make: Callable[[int, datetime], list[ChainEvent]]) -> None:
        self._at_commit.append(make)

    def next_event_id(self) -> bytes:
        """Indexer event id: next block height, tx index + 2, event index (u32 big-endian)."""
        self._event_index += 1
        return struct.pack(">III", self.height + 1, 2, self._event_index)

    # ------------------------------------------------------------------ transactions

    def check_tx(self, tx_bytes: bytes) -> TxResult:
        """What BroadcastTx in SYNC mode answers; never raises for bad input."""
        self._checktx_events = events = []
        try:
            return self._check_tx(tx_bytes)
        finally:
            self._checktx_events = None
            if events:
                self._deliver_checktx_events(events)

    def _deliver_checktx_events(self, events: list[ChainEvent]) -> None:
        """On the next turn of the loop (after the answer is on its way), or at once when
        no loop runs (a test driving the chain by hand)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            for event in events:
                self._deliver(event)
            return
        self._undelivered.append(events)
        if len(self._undelivered) == 1:
            loop.call_soon(self.deliver_pending_events)

    def deliver_pending_events(self) -> None:
        """Hand every queued CheckTx event to the listeners now (also before a block's
        events, so that they keep their order)."""
        while self._undelivered:
            for event in self._undelivered.pop(0):
                self._deliver(event)

    def _check_tx(self, tx_bytes: bytes) -> TxResult:
        txhash = ante.tx_hash(tx_bytes)
        gas_wanted = 0
        try:
            decoded = ante.decode_tx(tx_bytes)
            gas_wanted = decoded.auth_info.fee.gas_limit
            if txhash in self._tx_cache:
                raise ChainError(errors.TX_IN_MEMPOOL_CACHE, "tx already exists in cache")
            short_term = self._classify(decoded.messages)
            self._check_timeout_height(decoded.timeout_height)
            if short_term:
                ante.authenticate(decoded, self.accounts, self.chain_id, check_sequence=False)
                self._run_short_term(decoded.messages[0], txhash)
            else:
                self._check_stateful_tx(decoded, txhash)
            self._tx_cache[txhash] = self.height
        except ChainError as exc:
            log.info("tx %s refused: code %s/%d %s", txhash, exc.codespace, exc.code, exc.raw_log)
            return TxResult.failed(txhash, exc, gas_wanted)
        return TxResult(txhash, gas_wanted=gas_wanted, gas_used=CLOB_GAS_USED)

    def _check_stateful_tx(self, decoded: ante.DecodedTx, txhash: str) -> None:
        """CheckTx of a stateful tx: stateless message checks, then (non-clob txs only) the
        fee against the minimum gas prices and the wallet, then signature and sequence;
        clob messages are checked against the book; the fee is paid and the sequence
        used, and the tx waits for the next block."""
        clob_messages = tuple(m for m in decoded.messages if not isinstance(m, AnyProto))
        sending = _unpack_sending(decoded.messages)
        fee = decoded.auth_info.fee
        pays_fee = not clob_messages  # a tx with a clob message is free on dYdX
        if pays_fee:
            fees.check_min_gas_prices(fee)
            fees.check_payable(self.bank, decoded.signer, fee)
        account = ante.authenticate(decoded, self.accounts, self.chain_id, check_sequence=True)
        if clob_messages:
            self._check_stateful(clob_messages)
            self.clob.accept_stateful(clob_messages)
        if pays_fee:
            fees.deduct(self.bank, decoded.signer, fee)
        account.sequence += 1
        self._pending_stateful.append(
            PendingStatefulTx(
                txhash, bytes(decoded.tx_bytes), decoded.messages, sending, fee.gas_limit
            )
        )

    def simulate_tx(self, tx_bytes: bytes) -> TxResult:
        """Check a tx and run its sending messages against the current state without
        changing anything (clob messages are only authenticated), as Simulate does."""
        txhash = ante.tx_hash(tx_bytes)
        try:
            decoded = ante.decode_tx(tx_bytes)
            short_term = self._classify(decoded.messages)
            sending = () if short_term else _unpack_sending(decoded.messages)
            ante.authenticate(decoded, self.accounts, self.chain_id, check_sequence=not short_term)
            if sending:
                fees.check_payable(self.bank, decoded.signer, decoded.auth_info.fee)
                self.sending.execute(list(sending), apply=False)
        except ChainError as exc:
            return TxResult.failed(txhash, exc)
        gas = SIMULATE_GAS_PER_MESSAGE * len(decoded.messages)
        return TxResult(txhash, gas_wanted=gas, gas_used=gas)

    def _classify(self, messages: tuple) -> bool:
        """True for a short-term clob tx (exactly one message, no sequence); else stateful.
        Sending messages may share a tx with stateful clob messages only as one
        MsgCreateTransfer (dYdX's clob ante rule)."""
        if len(messages) == 1 and _is_short_term_message(messages[0]):
            return True  # the hot path: one short-term place or cancel
        short = [m for m in messages if _is_short_term_message(m)]
        if short and len(messages) != 1:
            raise ChainError(
                errors.INVALID_REQUEST,
                "a transaction containing a short-term order message or MsgBatchCancel "
                "must contain exactly one message",
            )
        other = [m for m in messages if isinstance(m, AnyProto)]
        if other and len(other) != len(messages):
            if len(other) > 1 or other[0].type_url != TRANSFER_TYPE_URL:
                raise ChainError(
                    errors.INVALID_REQUEST,
                    "a transaction containing stateful clob messages may contain at most one "
                    "MsgCreateTransfer and no other message",
                )
        return False

    def _check_timeout_height(self, timeout_height: int) -> None:
        if timeout_height and timeout_height < self.height + 1:
            raise ChainError(
                errors.TX_TIMEOUT_HEIGHT,
                f"block height: {self.height + 1}, timeout height: {timeout_height}",
            )

    def _run_short_term(self, msg, txhash: str) -> None:
        if isinstance(msg, tx_pb2.MsgPlaceOrder):
            self.clob.place_short_term(_parse_order(msg), txhash)
        elif isinstance(msg, tx_pb2.MsgCancelOrder):
            self.clob.cancel_short_term(order_id_from_proto(msg.order_id), msg.good_til_block)
        else:
            self.clob.batch_cancel(msg)

    def _check_stateful(self, messages: tuple) -> None:
        for msg in messages:
            if isinstance(msg, tx_pb2.MsgPlaceOrder):
                self.clob.check_stateful_place(_parse_order(msg))
            else:
                order_id = order_id_from_proto(msg.order_id)
                if msg.WhichOneof("good_til_oneof") != "good_til_block_time":
                    raise ChainError(
                        errors.INVALID_GOOD_TIL_BLOCK_TIME,
                        "a stateful cancel needs a goodTilBlockTime",
                    )
                self.clob.check_stateful_cancel(order_id, msg.good_til_block_time)

    # ------------------------------------------------------------------ blocks

    def produce_block(self, time: datetime | None = None) -> int:
        """Commit the next block and emit its events; returns its height."""
        height = self.height + 1
        block_time = (time or self._default_next_time()).astimezone(UTC)
        if block_time <= self.block_time:
            block_time = self.block_time + timedelta(milliseconds=1)
        self._move_oracles(height, block_time)
        if self.traders is not None:
            self.traders.on_block(height)
        for tx in self._pending_stateful:
            failure = self.clob.deliver_stateful(tx)
            if failure is None and tx.sending:
                failure = self._deliver_sending(tx)
            gas_used = SIMULATE_GAS_PER_MESSAGE * len(tx.messages) if tx.sending else 0
            if failure is None:
                result = TxResult(tx.txhash, 0, "", "", tx.gas_limit, gas_used, height)
            else:
                result = TxResult(
                    tx.txhash,
                    failure.code,
                    failure.codespace,
                    failure.raw_log,
                    tx.gas_limit,
                    gas_used,
                    height,
                )
            self._stored[tx.txhash] = StoredTx(tx.tx_bytes, result, height, block_time)
        self._pending_stateful.clear()
        self.clob.expire(height, int(block_time.timestamp()))
        # EndBlocker: conditional orders trigger on this block's oracle prices.
        triggered = self.clob.trigger_conditional()
        self.height = height
        self.block_time = block_time
        self._block_hashes[height] = _hash_block(height, self._block_hashes.get(height - 1, b""))
        self._block_hashes.pop(height - 1000, None)
        self._event_index = 0
        makers, self._at_commit = self._at_commit, []
        for make in makers:
            for event in make(height, block_time):
                self.emit_now(event)
        self._forget_old_txs(height)
        self.emit_now(BlockCommitted(height, block_time))
        if triggered:
            # PrepareCheckState: triggered orders join the book; they match in the next block.
            self.clob.activate_triggered(triggered)
        return height

    def _deliver_sending(self, tx: PendingStatefulTx) -> ChainError | None:
        """Move the money of a tx's sending messages (all or nothing) in the block being
        built; report the transfers and new balances when it commits."""
        gas = SIMULATE_GAS_PER_MESSAGE * len(tx.messages)
        if tx.gas_limit < gas and len(tx.sending) == len(tx.messages):
            return ChainError(
                errors.OUT_OF_GAS,
                f"out of gas in location: devnet message execution; "
                f"gasWanted: {tx.gas_limit}, gasUsed: {gas}",
            )
        try:
            movements = self.sending.execute(list(tx.sending))
        except ChainError as exc:
            return exc
        for movement in movements:
            self.emit_at_commit(self._transfer_events(movement, tx.txhash, self.next_event_id()))
        return None

    def _transfer_events(
        self, movement: Movement, txhash: str, event_id: bytes
    ) -> Callable[[int, datetime], list[ChainEvent]]:
        def make(height: int, time: datetime) -> list[ChainEvent]:
            events: list[ChainEvent] = [
                TransferCreated(
                    movement.sender_subaccount,
                    movement.sender_wallet,
                    movement.recipient_subaccount,
                    movement.recipient_wallet,
                    USDC_ASSET_ID,
                    movement.quantums,
                    event_id,
                    txhash,
                    height,
                    time,
                )
            ]
            for sid in (movement.sender_subaccount, movement.recipient_subaccount):
                sub = self.ledger.get(sid) if sid is not None else None
                if sub is not None:
                    sub.updated_height = height
                    events.append(BalanceChanged(sid, sub.usdc_quantums, height, time))
            return events

        return make

    def _usdc_change_result(self, sid: SubaccountId, quote_delta: int) -> str:
        return self.ledger.usdc_change_result(sid, quote_delta, self._by_perpetual(), self.oracles)

    def _default_next_time(self) -> datetime:
        return max(datetime.now(UTC), self.block_time + timedelta(milliseconds=1))

    def _move_oracles(self, height: int, time: datetime) -> None:
        """A seeded random walk: each block moves each price by a few basis points."""
        for market in self.markets.values():
            basis_points = self.rng.randint(-8, 8)
            old = self.oracles[market.perpetual_id]
            new = (old * (10_000 + basis_points) / 10_000).quantize(
                Decimal(1).scaleb(market.oracle_exponent)
            )
            if new <= 0 or new == old:
                continue
            self.oracles[market.perpetual_id] = new
            self.emit_at_commit(
                lambda h, t, m=market, p=new: [OraclePriceChanged(m.ticker, m.market_id, p, h, t)]
            )

    def _forget_old_txs(self, height: int) -> None:
        horizon = height - self.params.short_block_window
        for txhash, seen in list(self._tx_cache.items()):
            if seen < horizon:
                del self._tx_cache[txhash]

    def _by_perpetual(self) -> dict[int, MarketParams]:
        return {m.perpetual_id: m for m in self.markets.values()}


def _unpack_sending(messages: tuple) -> tuple:
    """The tx's sending/bank messages as protos, each checked statelessly (ValidateBasic,
    which cosmos runs before the ante handler)."""
    sending = tuple(ante.unpack_other(m) for m in messages if isinstance(m, AnyProto))
    for msg in sending:
        validate_basic(msg)
    return sending


def _is_short_term_message(msg) -> bool:
    if isinstance(msg, tx_pb2.MsgBatchCancel):
        return True
    if isinstance(msg, tx_pb2.MsgPlaceOrder):
        return msg.order.order_id.order_flags == FLAG_SHORT_TERM
    if isinstance(msg, tx_pb2.MsgCancelOrder):
        return msg.order_id.order_flags == FLAG_SHORT_TERM
    return False


def _parse_order(msg: tx_pb2.MsgPlaceOrder) -> Order:
    try:
        return order_from_proto(msg.order)
    except ValueError as exc:  # an enum value the chain does not know
        raise ChainError(errors.INVALID_PLACE_ORDER, str(exc)) from None


def _hash_block(height: int, previous: bytes) -> bytes:
    return hashlib.sha256(previous + height.to_bytes(8, "big")).digest()
