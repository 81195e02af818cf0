"""The validator gRPC server, with raw gRPC stubs and with the real dydx_v4_client NodeClient.

The server runs on its own thread and loop (as the devnet runs it): NodeClient's blocking
stubs would deadlock a server on the test's own loop. Part one serves a small fake chain that
follows chain_api.md; part two serves the real `Chain`.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from dydx_v4_client.key_pair import KeyPair
from dydx_v4_client.network import make_local
from dydx_v4_client.node.builder import Builder
from dydx_v4_client.node.client import NodeClient
from dydx_v4_client.node.message import (
    order,
    order_id,
    place_order,
    subaccount,
)
from dydx_v4_client.wallet import Wallet
from v4_proto.cosmos.auth.v1beta1 import query_pb2 as auth_query
from v4_proto.cosmos.auth.v1beta1 import query_pb2_grpc as auth_grpc
from v4_proto.cosmos.auth.v1beta1.auth_pb2 import BaseAccount
from v4_proto.cosmos.bank.v1beta1 import query_pb2 as bank_query
from v4_proto.cosmos.bank.v1beta1 import query_pb2_grpc as bank_grpc
from v4_proto.cosmos.base.tendermint.v1beta1 import query_pb2 as tm_query
from v4_proto.cosmos.base.tendermint.v1beta1 import query_pb2_grpc as tm_grpc
from v4_proto.cosmos.crypto.secp256k1.keys_pb2 import PubKey
from v4_proto.cosmos.tx.v1beta1 import service_pb2 as tx_service
from v4_proto.cosmos.tx.v1beta1 import service_pb2_grpc as tx_grpc
from v4_proto.cosmos.tx.v1beta1.tx_pb2 import Tx
from v4_proto.dydxprotocol.clob import query_pb2 as clob_query
from v4_proto.dydxprotocol.clob import query_pb2_grpc as clob_grpc
from v4_proto.dydxprotocol.clob.clob_pair_pb2 import ClobPair
from v4_proto.dydxprotocol.clob.order_pb2 import Order
from v4_proto.dydxprotocol.clob.tx_pb2 import OrderBatch
from v4_proto.dydxprotocol.perpetuals import query_pb2 as perp_query
from v4_proto.dydxprotocol.perpetuals import query_pb2_grpc as perp_grpc
from v4_proto.dydxprotocol.prices import query_pb2 as prices_query
from v4_proto.dydxprotocol.prices import query_pb2_grpc as prices_grpc
from v4_proto.dydxprotocol.subaccounts import query_pb2 as sub_query
from v4_proto.dydxprotocol.subaccounts import query_pb2_grpc as sub_grpc

from tui_app.devnet import ante
from tui_app.devnet.accounts import ALICE, BOB, AccountRegistry
from tui_app.devnet.bank import Bank
from tui_app.devnet.errors import ChainError
from tui_app.devnet.events import BlockCommitted
from tui_app.devnet.faults import Faults
from tui_app.devnet.markets import DEFAULT_MARKETS
from tui_app.devnet.params import (
    CHAIN_ID,
    FLAG_LONG_TERM,
    FLAG_SHORT_TERM,
    NATIVE_DENOM,
    STATEFUL_FLAGS,
    USDC_DENOM,
    ChainParams,
)
from tui_app.devnet.types import OrderId, PerpetualPosition, Subaccount, SubaccountId
from tui_app.devnet.validator import ValidatorServer, serializable_int

ALICE_KEY = KeyPair.from_mnemonic(ALICE.mnemonic)
START = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


# --------------------------------------------------------------------------- harness


class LoopThread:
    """An event loop on its own thread: where the devnet (chain + server) lives."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-devnet")
        self._thread.start()

    def run(self, coro, timeout: float = 10.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run a plain function on the loop (chain state is only touched there)."""

        async def invoke():
            return fn()

        return self.run(invoke())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@dataclass
class Served:
    devnet: LoopThread
    chain: Any
    faults: Faults
    server: ValidatorServer
    port: int

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture
def devnet() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


def serve(devnet: LoopThread, make_chain: Callable[[], Any]) -> Iterator[Served]:
    chain = devnet.call(make_chain)
    faults = Faults()
    server = ValidatorServer(chain, faults, port=0)
    port = devnet.run(server.start())
    try:
        yield Served(devnet, chain, faults, server, port)
    finally:
        faults.grpc.hang = False
        devnet.run(server.stop(grace=0))


@pytest.fixture
def channel(served: Served) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(served.target) as chan:
        yield chan


# --------------------------------------------------------------------------- fake chain


@dataclass(frozen=True)
class FakeTxResult:
    txhash: str
    code: int = 0
    codespace: str = ""
    raw_log: str = ""
    gas_wanted: int = 0
    gas_used: int = 0
    height: int = 0


@dataclass(frozen=True)
class FakeStoredTx:
    tx_bytes: bytes
    result: FakeTxResult
    height: int
    time: datetime


class FakeChain:
    """Just enough of chain_api.md: real ante checks, every good tx lands in the next block."""

    GAS = 12_345

    def __init__(self) -> None:
        self.params = ChainParams()
        self.chain_id = self.params.chain_id
        self.genesis_time = START
        self.height = 5
        self.block_time = START + timedelta(seconds=4)
        self.accounts = AccountRegistry()
        self.accounts.create(ALICE.address)
        self.accounts.create(BOB.address)
        self.bank = Bank()
        self.bank.mint(ALICE.address, NATIVE_DENOM, 10**24)
        self.bank.mint(ALICE.address, USDC_DENOM, 10**17)
        self.markets = {m.clob_pair_id: m for m in DEFAULT_MARKETS}
        alice0 = SubaccountId(ALICE.address, 0)
        self._subaccounts = {
            alice0: Subaccount(
                alice0,
                usdc_quantums=1_000_000_000,
                positions={1: PerpetualPosition(1, quantums=-2_000_000_000)},
            )
        }
        self._listeners: list[Callable] = []
        self._pending: list[tuple[bytes, FakeTxResult]] = []
        self._stored: dict[str, FakeStoredTx] = {}

    def block_hash(self, height: int) -> bytes:
        return hashlib.sha256(f"block {height}".encode()).digest()

    def market_by_ticker(self, ticker: str):
        return next((m for m in self.markets.values() if m.ticker == ticker), None)

    def oracle_price(self, clob_pair_id: int):
        return self.markets[clob_pair_id].initial_oracle_price

    def subaccount(self, sub_id: SubaccountId) -> Subaccount | None:
        return self._subaccounts.get(sub_id)

    def subaccounts(self) -> list[Subaccount]:
        return list(self._subaccounts.values())

    def subscribe(self, listener):
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def check_tx(self, tx_bytes: bytes) -> FakeTxResult:
        result = self._check(tx_bytes, gas=0)
        if result.code == 0:
            self._pending.append((tx_bytes, result))
        return result

    def simulate_tx(self, tx_bytes: bytes) -> FakeTxResult:
        return self._check(tx_bytes, gas=self.GAS)

    def get_tx(self, txhash: str) -> FakeStoredTx | None:
        return self._stored.get(txhash)

    def produce_block(self, time: datetime | None = None) -> int:
        self.height += 1
        self.block_time = time or self.block_time + timedelta(seconds=1)
        for tx_bytes, result in self._pending:
            self._stored[result.txhash] = FakeStoredTx(
                tx_bytes, result, self.height, self.block_time
            )
        self._pending.clear()
        for listener in list(self._listeners):
            listener(BlockCommitted(self.height, self.block_time))
        return self.height

    def _check(self, tx_bytes: bytes, gas: int) -> FakeTxResult:
        txhash = ante.tx_hash(tx_bytes)
        try:
            decoded = ante.decode_tx(tx_bytes)
            stateful = any(_flags(m) in STATEFUL_FLAGS for m in decoded.messages)
            ante.authenticate(decoded, self.accounts, self.chain_id, check_sequence=stateful)
        except ChainError as exc:
            return FakeTxResult(txhash, exc.code, exc.codespace, exc.raw_log, gas, gas)
        return FakeTxResult(txhash, gas_wanted=gas, gas_used=gas)


def _flags(message) -> int:
    if hasattr(message, "order"):
        return message.order.order_id.order_flags
    if hasattr(message, "order_id"):
        return message.order_id.order_flags
    return FLAG_SHORT_TERM


@pytest.fixture
def served(devnet: LoopThread) -> Iterator[Served]:
    yield from serve(devnet, FakeChain)


def signed_tx(
    message,
    chain_id: str = CHAIN_ID,
    sequence: int = 0,
    account_number: int = 0,
) -> Tx:
    wallet = Wallet(ALICE_KEY, account_number, sequence)
    return Builder(chain_id, NATIVE_DENOM).build(wallet, message)


def short_term_order_msg(client_id: int = 1, good_til_block: int = 10):
    oid = order_id(ALICE.address, 0, client_id, 1, FLAG_SHORT_TERM)
    return place_order(
        order(oid, Order.Side.SIDE_BUY, 1_000_000, 2_000_000_000, 0, False, good_til_block)
    )


def expect_rpc_error(call: Callable[[], Any], code: grpc.StatusCode) -> str:
    with pytest.raises(grpc.RpcError) as info:
        call()
    assert info.value.code() == code, info.value.details()
    return info.value.details()


# --------------------------------------------------------------------------- server basics


def test_start_returns_a_free_port_and_address(served: Served) -> None:
    assert served.port > 0
    assert served.server.address == served.target


def test_stop_is_idempotent(devnet: LoopThread) -> None:
    server = ValidatorServer(devnet.call(FakeChain), Faults(), port=0)
    devnet.run(server.start())
    devnet.run(server.stop())
    devnet.run(server.stop())


def test_port_in_use_fails_to_start(devnet: LoopThread) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ValidatorServer(devnet.call(FakeChain), Faults(), port=port)
        with pytest.raises(RuntimeError):
            devnet.run(server.start())
        devnet.run(server.stop())


def test_unimplemented_method(channel: grpc.Channel) -> None:
    stub = clob_grpc.QueryStub(channel)
    request = clob_query.QueryEquityTierLimitConfigurationRequest()
    expect_rpc_error(
        lambda: stub.EquityTierLimitConfiguration(request), grpc.StatusCode.UNIMPLEMENTED
    )


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, b"\x02"), (1, b"\x02\x01"), (256, b"\x02\x01\x00"), (-256, b"\x03\x01\x00")],
)
def test_serializable_int_is_go_big_int_gob(value: int, encoded: bytes) -> None:
    assert serializable_int(value) == encoded


# --------------------------------------------------------------------------- auth, bank


def test_account_is_an_any_packed_base_account(served: Served, channel: grpc.Channel) -> None:
    served.chain.accounts.get(BOB.address).sequence = 4
    response = auth_grpc.QueryStub(channel).Account(
        auth_query.QueryAccountRequest(address=BOB.address)
    )
    assert response.account.type_url == "/cosmos.auth.v1beta1.BaseAccount"
    account = BaseAccount()
    assert response.account.Unpack(account)
    assert (account.address, account.account_number, account.sequence) == (BOB.address, 1, 4)
    assert not account.HasField("pub_key")


def test_account_shows_public_key_once_known(served: Served, channel: grpc.Channel) -> None:
    served.devnet.call(
        lambda: setattr(served.chain.accounts.get(ALICE.address), "public_key", b"\x02" * 33)
    )
    info = auth_grpc.QueryStub(channel).AccountInfo(
        auth_query.QueryAccountInfoRequest(address=ALICE.address)
    )
    assert info.info.pub_key.type_url == "/cosmos.crypto.secp256k1.PubKey"
    key = PubKey()
    info.info.pub_key.Unpack(key)
    assert key.key == b"\x02" * 33


def test_unknown_and_empty_account(channel: grpc.Channel) -> None:
    stub = auth_grpc.QueryStub(channel)
    stranger = "dydx1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqzzzzzz"
    details = expect_rpc_error(
        lambda: stub.Account(auth_query.QueryAccountRequest(address=stranger)),
        grpc.StatusCode.NOT_FOUND,
    )
    assert details == f"account {stranger} not found"
    expect_rpc_error(
        lambda: stub.Account(auth_query.QueryAccountRequest(address="")),
        grpc.StatusCode.INVALID_ARGUMENT,
    )


def test_bank_balances(channel: grpc.Channel) -> None:
    stub = bank_grpc.QueryStub(channel)
    balances = stub.AllBalances(bank_query.QueryAllBalancesRequest(address=ALICE.address))
    assert [c.denom for c in balances.balances] == [NATIVE_DENOM, USDC_DENOM]
    assert int(balances.balances[0].amount) > 0
    other = stub.Balance(bank_query.QueryBalanceRequest(address=ALICE.address, denom="uusdc"))
    assert (other.balance.denom, other.balance.amount) == ("uusdc", "0")


# --------------------------------------------------------------------------- blocks


def test_latest_block_fills_legacy_and_sdk_headers(served: Served, channel: grpc.Channel) -> None:
    block = tm_grpc.ServiceStub(channel).GetLatestBlock(tm_query.GetLatestBlockRequest())
    chain = served.chain
    for header in (block.block.header, block.sdk_block.header):
        assert header.height == chain.height == 5
        assert header.chain_id == CHAIN_ID
        assert header.time.ToDatetime(tzinfo=UTC) == chain.block_time
        assert header.last_block_id.hash == chain.block_hash(4)
    assert block.block_id.hash == chain.block_hash(5)


def test_block_by_height(served: Served, channel: grpc.Channel) -> None:
    stub = tm_grpc.ServiceStub(channel)
    first = served.devnet.call(served.chain.produce_block)
    served.devnet.call(served.chain.produce_block)

    block = stub.GetBlockByHeight(tm_query.GetBlockByHeightRequest(height=first))
    assert block.block.header.height == first
    assert block.block.header.time.ToDatetime(tzinfo=UTC) == START + timedelta(seconds=5)
    assert block.block_id.hash == served.chain.block_hash(first)

    too_high = tm_query.GetBlockByHeightRequest(height=first + 5)
    expect_rpc_error(lambda: stub.GetBlockByHeight(too_high), grpc.StatusCode.INVALID_ARGUMENT)
    unseen = tm_query.GetBlockByHeightRequest(height=3)  # before the server started
    expect_rpc_error(lambda: stub.GetBlockByHeight(unseen), grpc.StatusCode.NOT_FOUND)


def test_node_info_and_syncing(channel: grpc.Channel) -> None:
    stub = tm_grpc.ServiceStub(channel)
    info = stub.GetNodeInfo(tm_query.GetNodeInfoRequest())
    assert info.default_node_info.network == CHAIN_ID
    assert info.default_node_info.moniker
    assert info.application_version.app_name == "dydxprotocold"
    assert info.application_version.version
    assert stub.GetSyncing(tm_query.GetSyncingRequest()).syncing is False


# --------------------------------------------------------------------------- txs


def broadcast(channel: grpc.Channel, tx_bytes: bytes, mode=tx_service.BROADCAST_MODE_SYNC):
    request = tx_service.BroadcastTxRequest(tx_bytes=tx_bytes, mode=mode)
    return tx_grpc.ServiceStub(channel).BroadcastTx(request).tx_response


def test_broadcast_good_tx(channel: grpc.Channel) -> None:
    tx_bytes = signed_tx(short_term_order_msg()).SerializeToString()
    response = broadcast(channel, tx_bytes)
    assert response.code == 0
    assert response.txhash == hashlib.sha256(tx_bytes).hexdigest().upper()
    assert response.height == 0


def test_broadcast_bad_signature_is_a_response_not_an_error(channel: grpc.Channel) -> None:
    tx_bytes = signed_tx(short_term_order_msg(), chain_id="dydx-testnet-4").SerializeToString()
    response = broadcast(channel, tx_bytes)
    assert (response.codespace, response.code) == ("sdk", 4)
    assert response.raw_log.startswith("signature verification failed")


def test_broadcast_async_returns_only_the_hash(served: Served, channel: grpc.Channel) -> None:
    tx_bytes = signed_tx(short_term_order_msg(), chain_id="wrong").SerializeToString()
    response = broadcast(channel, tx_bytes, tx_service.BROADCAST_MODE_ASYNC)
    assert response.txhash == ante.tx_hash(tx_bytes)
    assert response.code == 0 and response.raw_log == ""


def test_broadcast_refuses_empty_tx_and_block_mode(channel: grpc.Channel) -> None:
    expect_rpc_error(lambda: broadcast(channel, b""), grpc.StatusCode.INVALID_ARGUMENT)
    tx_bytes = signed_tx(short_term_order_msg()).SerializeToString()
    details = expect_rpc_error(
        lambda: broadcast(channel, tx_bytes, tx_service.BROADCAST_MODE_BLOCK),
        grpc.StatusCode.UNKNOWN,
    )
    assert "unsupported return type block" in details


def test_simulate_with_bytes_and_with_deprecated_tx_field(channel: grpc.Channel) -> None:
    stub = tx_grpc.ServiceStub(channel)
    tx = signed_tx(short_term_order_msg())
    by_bytes = stub.Simulate(tx_service.SimulateRequest(tx_bytes=tx.SerializeToString()))
    by_tx = stub.Simulate(tx_service.SimulateRequest(tx=tx))
    for response in (by_bytes, by_tx):
        assert response.gas_info.gas_used == FakeChain.GAS
        assert response.gas_info.gas_wanted == FakeChain.GAS


def test_simulate_failure_is_an_unknown_status_with_the_log(channel: grpc.Channel) -> None:
    stub = tx_grpc.ServiceStub(channel)
    tx = signed_tx(short_term_order_msg(), chain_id="wrong")
    details = expect_rpc_error(
        lambda: stub.Simulate(tx_service.SimulateRequest(tx=tx)), grpc.StatusCode.UNKNOWN
    )
    assert details.startswith("signature verification failed")
    assert "unauthorized With gas wanted: '12345' and gas used: '12345'" in details
    expect_rpc_error(
        lambda: stub.Simulate(tx_service.SimulateRequest()), grpc.StatusCode.INVALID_ARGUMENT
    )


def test_get_tx(served: Served, channel: grpc.Channel) -> None:
    stub = tx_grpc.ServiceStub(channel)
    details = expect_rpc_error(
        lambda: stub.GetTx(tx_service.GetTxRequest(hash="AB" * 32)), grpc.StatusCode.NOT_FOUND
    )
    assert details == f"tx not found: {'AB' * 32}"

    tx = signed_tx(short_term_order_msg())
    txhash = broadcast(channel, tx.SerializeToString()).txhash
    height = served.devnet.call(served.chain.produce_block)
    found = stub.GetTx(tx_service.GetTxRequest(hash=txhash.lower()))
    assert found.tx == tx
    assert found.tx_response.txhash == txhash
    assert found.tx_response.height == height
    assert found.tx_response.timestamp == "2025-01-02T03:04:10Z"
    assert found.tx_response.tx.type_url == "/cosmos.tx.v1beta1.Tx"


# --------------------------------------------------------------------------- dYdX queries


def test_clob_pairs(channel: grpc.Channel) -> None:
    stub = clob_grpc.QueryStub(channel)
    pairs = stub.ClobPairAll(clob_query.QueryAllClobPairRequest()).clob_pair
    assert [p.id for p in pairs] == [0, 1, 5]
    eth = stub.ClobPair(clob_query.QueryGetClobPairRequest(id=1)).clob_pair
    assert eth.perpetual_clob_metadata.perpetual_id == 1
    assert (eth.step_base_quantums, eth.subticks_per_tick) == (1_000_000, 100_000)
    assert eth.quantum_conversion_exponent == -9
    assert eth.status == ClobPair.STATUS_ACTIVE
    expect_rpc_error(
        lambda: stub.ClobPair(clob_query.QueryGetClobPairRequest(id=99)),
        grpc.StatusCode.NOT_FOUND,
    )


def test_market_prices_are_integers_with_exponent(channel: grpc.Channel) -> None:
    stub = prices_grpc.QueryStub(channel)
    btc = stub.MarketPrice(prices_query.QueryMarketPriceRequest(id=0)).market_price
    assert (btc.id, btc.exponent, btc.price) == (0, -5, 6_000_000_000)  # 60000 USD
    every = stub.AllMarketPrices(prices_query.QueryAllMarketPricesRequest()).market_prices
    assert {p.id: p.price for p in every} == {0: 6_000_000_000, 1: 2_600_000_000, 5: 14_000_000_000}


def test_perpetuals(channel: grpc.Channel) -> None:
    stub = perp_grpc.QueryStub(channel)
    eth = stub.Perpetual(perp_query.QueryPerpetualRequest(id=1)).perpetual
    assert (eth.params.ticker, eth.params.market_id, eth.params.atomic_resolution) == (
        "ETH-USD",
        1,
        -9,
    )
    assert eth.open_interest == serializable_int(0)  # only a short in the fake chain
    every = stub.AllPerpetuals(perp_query.QueryAllPerpetualsRequest()).perpetual
    assert [p.params.id for p in every] == [0, 1, 5]


def test_subaccount(channel: grpc.Channel) -> None:
    stub = sub_grpc.QueryStub(channel)
    response = stub.Subaccount(sub_query.QueryGetSubaccountRequest(owner=ALICE.address, number=0))
    sub = response.subaccount
    assert (sub.id.owner, sub.id.number) == (ALICE.address, 0)
    (usdc,) = sub.asset_positions
    assert (usdc.asset_id, usdc.quantums) == (0, serializable_int(1_000_000_000))
    (eth,) = sub.perpetual_positions
    assert eth.perpetual_id == 1
    assert eth.quantums == b"\x03" + (2_000_000_000).to_bytes(4, "big")

    empty = stub.Subaccount(sub_query.QueryGetSubaccountRequest(owner=BOB.address, number=2))
    assert empty.subaccount.id.owner == BOB.address
    assert not empty.subaccount.asset_positions


# --------------------------------------------------------------------------- faults


def test_unavailable_fault(served: Served, channel: grpc.Channel) -> None:
    stub = tm_grpc.ServiceStub(channel)
    served.faults.grpc.unavailable = True
    details = expect_rpc_error(
        lambda: stub.GetSyncing(tm_query.GetSyncingRequest()), grpc.StatusCode.UNAVAILABLE
    )
    assert details == "devnet fault injection: unavailable"
    served.faults.grpc.unavailable = False
    assert stub.GetSyncing(tm_query.GetSyncingRequest()).syncing is False


def test_hang_fault_hits_the_deadline(served: Served, channel: grpc.Channel) -> None:
    stub = tm_grpc.ServiceStub(channel)
    served.faults.grpc.hang = True
    expect_rpc_error(
        lambda: stub.GetSyncing(tm_query.GetSyncingRequest(), timeout=0.3),
        grpc.StatusCode.DEADLINE_EXCEEDED,
    )
    served.faults.grpc.hang = False
    assert stub.GetSyncing(tm_query.GetSyncingRequest(), timeout=5).syncing is False


def test_latency_fault(served: Served, channel: grpc.Channel) -> None:
    stub = tm_grpc.ServiceStub(channel)
    stub.GetSyncing(tm_query.GetSyncingRequest())  # connect first
    served.faults.latency_ms = 200
    started = time.perf_counter()
    stub.GetSyncing(tm_query.GetSyncingRequest())
    assert time.perf_counter() - started >= 0.2


def test_stop_ends_a_hanging_call(devnet: LoopThread) -> None:
    faults = Faults()
    server = ValidatorServer(devnet.call(FakeChain), faults, port=0)
    port = devnet.run(server.start())
    faults.grpc.hang = True
    with grpc.insecure_channel(f"127.0.0.1:{port}") as chan:
        future = tm_grpc.ServiceStub(chan).GetSyncing.future(tm_query.GetSyncingRequest())
        time.sleep(0.2)
        devnet.run(server.stop(grace=0.1))
        with pytest.raises(grpc.RpcError):
            future.result(timeout=5)


# --------------------------------------------------------------------------- real NodeClient


def _real_chain():
    from tui_app.devnet.chain import Chain

    return Chain(ChainParams(synthetic_traders=False), start_time=START)


@pytest.fixture
def real(devnet: LoopThread) -> Iterator[Served]:
    pytest.importorskip("tui_app.devnet.chain")
    yield from serve(devnet, _real_chain)


async def connect(served: Served) -> NodeClient:
    return await NodeClient.connect(make_local(node_url=served.target).node)


def chain_order(served: Served, client_id: int, flags: int, clob_pair_id: int = 1):
    oid = OrderId(SubaccountId(ALICE.address, 0), client_id, flags, clob_pair_id)
    return served.devnet.call(lambda: served.chain.order(oid))


def buy(client_id: int, flags: int, **good_til) -> Order:
    oid = order_id(ALICE.address, 0, client_id, 1, flags)
    # 0.001 ETH at 2000 USD: rests well below the oracle price, never fills.
    return order(oid, Order.Side.SIDE_BUY, 1_000_000, 2_000_000_000, 0, False, **good_til)


def next_block(served: Served) -> int:
    """Commit a block one second later (the chain's default is the wall clock)."""
    chain = served.chain
    return served.devnet.call(lambda: chain.produce_block(chain.block_time + timedelta(seconds=1)))


def gtbt(served: Served, seconds: int = 3600) -> int:
    return int(served.chain.block_time.timestamp()) + seconds


async def test_node_client_reads_height_account_and_node_info(real: Served) -> None:
    node = await connect(real)
    assert await node.latest_block_height() == real.chain.height
    account = await node.get_account(ALICE.address)
    assert (account.address, account.account_number, account.sequence) == (ALICE.address, 0, 0)
    info = await node.get_node_info()
    assert info.default_node_info.network == CHAIN_ID
    wallet = await Wallet.from_mnemonic(node, ALICE.mnemonic, ALICE.address)
    assert wallet.address == ALICE.address


async def test_short_term_place_and_cancel(real: Served) -> None:
    node = await connect(real)
    wallet = await Wallet.from_mnemonic(node, ALICE.mnemonic, ALICE.address)
    gtb = await node.latest_block_height() + 10
    placed = await node.place_order(wallet, buy(21, FLAG_SHORT_TERM, good_til_block=gtb))
    assert placed.tx_response.code == 0, placed.tx_response.raw_log
    assert chain_order(real, 21, FLAG_SHORT_TERM) is not None

    oid = order_id(ALICE.address, 0, 21, 1, FLAG_SHORT_TERM)
    cancelled = await node.cancel_order(wallet, oid, good_til_block=gtb)
    assert cancelled.tx_response.code == 0, cancelled.tx_response.raw_log
    assert chain_order(real, 21, FLAG_SHORT_TERM) is None
    # Short-term txs consume no sequence.
    assert (await node.get_account(ALICE.address)).sequence == 0


async def test_long_term_place_and_cancel(real: Served) -> None:
    node = await connect(real)
    wallet = await Wallet.from_mnemonic(node, ALICE.mnemonic, ALICE.address)
    good_til = gtbt(real)
    placed = await node.place_order(wallet, buy(31, FLAG_LONG_TERM, good_til_block_time=good_til))
    assert placed.tx_response.code == 0, placed.tx_response.raw_log
    next_block(real)
    assert chain_order(real, 31, FLAG_LONG_TERM) is not None
    assert (await node.get_account(ALICE.address)).sequence == 1
    included = await node.query_transaction(placed.tx_response.txhash)
    assert included.body.messages[0].type_url == "/dydxprotocol.clob.MsgPlaceOrder"

    oid = order_id(ALICE.address, 0, 31, 1, FLAG_LONG_TERM)
    cancelled = await node.cancel_order(wallet, oid, good_til_block_time=good_til)
    assert cancelled.tx_response.code == 0, cancelled.tx_response.raw_log
    next_block(real)
    assert chain_order(real, 31, FLAG_LONG_TERM) is None
    assert (await node.get_account(ALICE.address)).sequence == 2


async def test_batch_cancel(real: Served) -> None:
    node = await connect(real)
    wallet = await Wallet.from_mnemonic(node, ALICE.mnemonic, ALICE.address)
    gtb = await node.latest_block_height() + 10
    for client_id in (41, 42):
        placed = await node.place_order(
            wallet, buy(client_id, FLAG_SHORT_TERM, good_til_block=gtb)
        )
        assert placed.tx_response.code == 0, placed.tx_response.raw_log
    batches = [OrderBatch(clob_pair_id=1, client_ids=[41, 42])]
    response = await node.batch_cancel_orders(
        wallet, subaccount(ALICE.address, 0), batches, gtb
    )
    assert response.tx_response.code == 0, response.tx_response.raw_log
    assert chain_order(real, 41, FLAG_SHORT_TERM) is None
    assert chain_order(real, 42, FLAG_SHORT_TERM) is None


async def test_bad_signature_is_refused(real: Served) -> None:
    node = await connect(real)
    tx = signed_tx(place_order(buy(51, FLAG_SHORT_TERM, good_til_block=5)), chain_id="other")
    response = (await node.broadcast(tx)).tx_response
    assert (response.codespace, response.code) == ("sdk", 4)
    assert "signature verification failed" in response.raw_log
    assert "chain-id (localdydxprotocol)" in response.raw_log


async def test_wrong_sequence_on_a_long_term_order(real: Served) -> None:
    node = await connect(real)
    message = place_order(buy(61, FLAG_LONG_TERM, good_til_block_time=gtbt(real)))
    response = (await node.broadcast(signed_tx(message, sequence=5))).tx_response
    assert (response.codespace, response.code) == ("sdk", 32)
    assert "account sequence mismatch, expected 0, got 5" in response.raw_log


async def test_good_til_block_beyond_the_window(real: Served) -> None:
    node = await connect(real)
    wallet = await Wallet.from_mnemonic(node, ALICE.mnemonic, ALICE.address)
    too_far = await node.latest_block_height() + 1000
    response = (
        await node.place_order(wallet, buy(71, FLAG_SHORT_TERM, good_til_block=too_far))
    ).tx_response
    assert (response.codespace, response.code) == ("clob", 11)
    assert "ShortBlockWindow" in response.raw_log


async def test_cancel_of_unknown_stateful_order(real: Served) -> None:
    node = await connect(real)
    wallet = await Wallet.from_mnemonic(node, ALICE.mnemonic, ALICE.address)
    oid = order_id(ALICE.address, 0, 81, 1, FLAG_LONG_TERM)
    response = (
        await node.cancel_order(wallet, oid, good_til_block_time=gtbt(real))
    ).tx_response
    assert (response.codespace, response.code) == ("clob", 3006)
    assert "does not exist" in response.raw_log

