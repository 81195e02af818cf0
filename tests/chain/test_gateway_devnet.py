"""NodeGateway against the real devnet (validator gRPC on 127.0.0.1, port 0), as alice."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest
from pydantic import SecretStr

from tui_app.chain.errors import (
    ChainIdMismatch,
    NetworkError,
    OutcomeUnknown,
    SigningKeyError,
)
from tui_app.chain.gateway import GatewayConfig, NodeGateway
from tui_app.chain.orders import (
    ORDER_FLAGS_LONG_TERM,
    ORDER_FLAGS_SHORT_TERM,
    OrderKey,
    OrderSpec,
    Side,
    TimeInForce,
    build_cancel_order,
    build_order,
    build_place_order,
)
from tui_app.devnet.accounts import ALICE, BOB
from tui_app.devnet.node import Devnet, DevnetConfig
from tui_app.devnet.types import OrderId as DevnetOrderId
from tui_app.devnet.types import SubaccountId as DevnetSubaccountId

BTC, ETH = 0, 1
_next_client_id = iter(range(1000, 10**6))


@pytest.fixture(scope="module")
def devnet():
    config = DevnetConfig(
        grpc_port=0, rest_port=0, ws_port=0, block_time=Decimal("0.2"), synthetic_traders=False
    )
    with Devnet(config) as devnet:
        yield devnet


@pytest.fixture(autouse=True)
def _clear_faults(devnet):
    yield
    devnet.faults.grpc.hang = False
    devnet.faults.grpc.unavailable = False


def _config(devnet, **overrides) -> GatewayConfig:
    fields = dict(
        target=devnet.endpoints.grpc,
        chain_id=devnet.endpoints.chain_id,
        address=ALICE.address,
        call_timeout=5.0,
    )
    fields.update(overrides)
    return GatewayConfig(**fields)


@pytest.fixture
async def gateway(devnet):
    gateway = await NodeGateway.connect(_config(devnet), SecretStr(ALICE.mnemonic))
    try:
        yield gateway
    finally:
        await gateway.close()


def _key(flags: int, clob_pair_id: int = BTC) -> OrderKey:
    return OrderKey(ALICE.address, 0, next(_next_client_id), clob_pair_id, flags)


def _on_chain(devnet, key: OrderKey):
    order_id = DevnetOrderId(
        DevnetSubaccountId(key.owner, key.subaccount_number),
        key.client_id,
        key.order_flags,
        key.clob_pair_id,
    )
    return devnet.call(lambda: devnet.chain.order(order_id))


async def _wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def _block_time(gateway) -> int:
    return int((await gateway.latest_block()).time.timestamp())


def _resting_buy(key: OrderKey, *, gtb=None, gtbt=None, clob=BTC):
    # Far below the oracle price (BTC 60000, ETH 2600): it rests, it never fills.
    subticks = 3_000_000_000 if clob == BTC else 1_000_000_000
    return build_order(
        OrderSpec(key, Side.BUY, 10_000_000, subticks, TimeInForce.GTT,
                  good_til_block=gtb, good_til_block_time=gtbt)
    )  # fmt: skip


# ----- connecting --------------------------------------------------------------------------


async def test_queries(gateway, devnet):
    info = await gateway.node_info()
    assert info.chain_id == devnet.endpoints.chain_id
    h1 = await gateway.latest_block_height()
    await asyncio.sleep(0.5)
    block = await gateway.latest_block()
    assert block.height > h1 > 0 and block.time.tzinfo is not None
    account = await gateway.get_account()
    assert account.address == ALICE.address == gateway.address
    assert account.account_number == 0


async def test_wrong_chain_id_is_refused_before_anything_is_signed(devnet):
    with pytest.raises(ChainIdMismatch, match="dydx-mainnet-1"):
        await NodeGateway.connect(
            _config(devnet, chain_id="dydx-mainnet-1"), SecretStr(ALICE.mnemonic)
        )


async def test_key_of_another_address_is_refused(devnet):
    with pytest.raises(SigningKeyError, match="not the configured"):
        await NodeGateway.connect(_config(devnet), SecretStr(BOB.mnemonic))
    with pytest.raises(SigningKeyError, match="not a valid BIP39") as info:
        await NodeGateway.connect(_config(devnet), SecretStr("not a mnemonic at all"))
    assert "not a mnemonic at all" not in repr(info.value)


async def test_mnemonic_must_be_secret_and_is_never_kept_in_plain(devnet):
    with pytest.raises(TypeError) as info:
        await NodeGateway.connect(_config(devnet), ALICE.mnemonic)  # type: ignore[arg-type]
    assert ALICE.mnemonic not in str(info.value)
    gateway = await NodeGateway.connect(_config(devnet), SecretStr(ALICE.mnemonic))
    try:
        assert ALICE.mnemonic not in repr(gateway)
        for value in vars(gateway).values():
            assert ALICE.mnemonic not in repr(value)
            assert not isinstance(value, SecretStr)
    finally:
        await gateway.close()


# ----- short-term --------------------------------------------------------------------------


async def test_short_term_place_and_cancel(gateway, devnet):
    height = await gateway.latest_block_height()
    key = _key(ORDER_FLAGS_SHORT_TERM)
    result = await gateway.place_order(_resting_buy(key, gtb=height + 10))
    assert result.ok, result
    assert len(result.txhash) == 64
    assert _on_chain(devnet, key) is not None
    cancel = await gateway.cancel_order(key.proto(), good_til_block=height + 10)
    assert cancel.ok, cancel
    assert _on_chain(devnet, key) is None
    # The very same signed bytes again: "tx already in mempool cache" (sdk 19).
    replay = await gateway.cancel_order(key.proto(), good_til_block=height + 10)
    assert (replay.code, replay.codespace) == (19, "sdk")
    # The chain remembers the cancel: one with a GTB not above it is refused (clob 9).
    again = await gateway.cancel_order(key.proto(), good_til_block=height + 9)
    assert (again.code, again.codespace) == (9, "clob")


async def test_short_term_txs_do_not_query_the_account(gateway):
    await gateway.get_account()  # the account number is known from here on

    async def no_account_queries(address):
        raise AssertionError("short-term txs must not query the account")

    gateway._client.get_account = no_account_queries
    height = await gateway.latest_block_height()
    key = _key(ORDER_FLAGS_SHORT_TERM)
    assert (await gateway.place_order(_resting_buy(key, gtb=height + 10))).ok
    assert (await gateway.cancel_order(key.proto(), good_til_block=height + 10)).ok
    assert (await gateway.batch_cancel(0, {BTC: [key.client_id + 10**6]}, height + 10)).ok


async def test_batch_cancel_across_markets(gateway, devnet):
    height = await gateway.latest_block_height()
    keys = [_key(ORDER_FLAGS_SHORT_TERM, BTC), _key(ORDER_FLAGS_SHORT_TERM, BTC)]
    keys.append(_key(ORDER_FLAGS_SHORT_TERM, ETH))
    for key in keys:
        result = await gateway.place_order(
            _resting_buy(key, gtb=height + 10, clob=key.clob_pair_id)
        )
        assert result.ok, result
    assert all(_on_chain(devnet, key) is not None for key in keys)
    result = await gateway.batch_cancel(
        0, {BTC: [keys[0].client_id, keys[1].client_id], ETH: [keys[2].client_id]}, height + 12
    )
    assert result.ok, result
    assert all(_on_chain(devnet, key) is None for key in keys)


# ----- stateful ----------------------------------------------------------------------------------


async def test_long_term_place_and_cancel(gateway, devnet):
    gtbt = await _block_time(gateway) + 3600
    key = _key(ORDER_FLAGS_LONG_TERM)
    result = await gateway.place_order(_resting_buy(key, gtbt=gtbt))
    assert result.ok, result
    # Stateful orders enter the book with the next block.
    await _wait_for(lambda: _on_chain(devnet, key) is not None)
    cancel = await gateway.cancel_order(key.proto(), good_til_block_time=gtbt)
    assert cancel.ok, cancel
    await _wait_for(lambda: _on_chain(devnet, key) is None)


async def test_concurrent_long_term_txs_do_not_collide_on_sequence(gateway, devnet):
    gtbt = await _block_time(gateway) + 3600
    keys = [_key(ORDER_FLAGS_LONG_TERM) for _ in range(8)]
    start = (await gateway.get_account()).sequence
    results = await asyncio.gather(
        *(gateway.place_order(_resting_buy(key, gtbt=gtbt)) for key in keys)
    )
    assert [r.code for r in results] == [0] * 8, [r.raw_log for r in results if not r.ok]
    assert len({r.txhash for r in results}) == 8
    await _wait_for(lambda: all(_on_chain(devnet, key) is not None for key in keys))
    assert (await gateway.get_account()).sequence == start + 8
    # Several stateful cancels in one transaction, one sequence number.
    cancels = [build_cancel_order(key, good_til_block_time=gtbt) for key in keys]
    result = await gateway.broadcast_stateful(cancels)
    assert result.ok, result
    await _wait_for(lambda: all(_on_chain(devnet, key) is None for key in keys))
    assert (await gateway.get_account()).sequence == start + 9


async def test_sequence_is_resynced_after_another_client_used_the_account(gateway, devnet):
    gtbt = await _block_time(gateway) + 3600
    assert (await gateway.place_order(_resting_buy(_key(64), gtbt=gtbt))).ok
    # A second client (another process, say) spends sequence numbers behind our back.
    other = await NodeGateway.connect(_config(devnet), SecretStr(ALICE.mnemonic))
    try:
        for _ in range(2):
            assert (await other.place_order(_resting_buy(_key(64), gtbt=gtbt))).ok
    finally:
        await other.close()
    # Our counter is now stale: the chain answers "expected N", we resync and succeed.
    key = _key(64)
    result = await gateway.place_order(_resting_buy(key, gtbt=gtbt))
    assert result.ok, result
    await _wait_for(lambda: _on_chain(devnet, key) is not None)


async def test_stateful_refusal_does_not_consume_the_sequence(gateway):
    gtbt = await _block_time(gateway) + 3600
    unknown = _key(ORDER_FLAGS_LONG_TERM)
    refused = await gateway.broadcast_stateful([build_cancel_order(unknown, good_til_block_time=gtbt)])
    assert not refused.ok and refused.codespace == "clob"
    assert (await gateway.place_order(_resting_buy(_key(64), gtbt=gtbt))).ok


async def test_short_term_messages_cannot_be_batched_into_one_tx(gateway):
    height = await gateway.latest_block_height()
    msgs = [build_place_order(OrderSpec(_key(0), Side.BUY, 10**7, 10**9, good_til_block=height + 5))]
    with pytest.raises(ValueError, match="alone"):
        await gateway.broadcast_stateful(msgs * 2)


# ----- faults --------------------------------------------------------------------------------------


async def test_hung_node_raises_outcome_unknown_quickly_without_blocking_the_loop(gateway, devnet):
    height = await gateway.latest_block_height()
    devnet.faults.grpc.hang = True
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        started = time.monotonic()
        with pytest.raises(OutcomeUnknown, match="may still"):
            await gateway.latest_block_height(timeout=0.5)
        with pytest.raises(OutcomeUnknown):
            await gateway.place_order(
                _resting_buy(_key(ORDER_FLAGS_SHORT_TERM), gtb=height + 10), timeout=0.5
            )
        elapsed = time.monotonic() - started
    finally:
        task.cancel()
    assert elapsed < 1.6, elapsed
    # The caller's loop kept running the whole time (about 100 ticks of 10 ms).
    assert ticks > 0.5 * elapsed / 0.01, (ticks, elapsed)
    # The gRPC deadline freed the worker: the gateway works again once the node answers.
    devnet.faults.grpc.hang = False
    assert await gateway.latest_block_height(timeout=2.0) >= height


async def test_transient_unavailable_is_retried(devnet):
    config = _config(devnet, retry_attempts=6, retry_base_delay=0.1, retry_max_delay=0.2)
    async with await NodeGateway.connect(config, SecretStr(ALICE.mnemonic)) as gateway:
        devnet.faults.grpc.unavailable = True
        asyncio.get_running_loop().call_later(0.3, setattr, devnet.faults.grpc, "unavailable", False)
        assert await gateway.latest_block_height() > 0


async def test_persistent_unavailable(devnet):
    config = _config(devnet, retry_attempts=2, retry_base_delay=0.01, retry_max_delay=0.02)
    async with await NodeGateway.connect(config, SecretStr(ALICE.mnemonic)) as gateway:
        height = await gateway.latest_block_height()
        devnet.faults.grpc.unavailable = True
        with pytest.raises(NetworkError, match="after 3 tries"):
            await gateway.latest_block_height()
        # The first tx needs the account number: its query fails, nothing was sent.
        with pytest.raises(NetworkError):
            await gateway.place_order(_resting_buy(_key(0), gtb=height + 10))
        devnet.faults.grpc.unavailable = False
        await gateway.get_account()
        devnet.faults.grpc.unavailable = True
        # A broadcast cannot know whether its bytes got through before the failure.
        with pytest.raises(OutcomeUnknown):
            await gateway.place_order(_resting_buy(_key(0), gtb=height + 10))


async def test_on_retry_hears_every_unavailable_retry_on_the_worker_thread(devnet):
    import threading

    from tui_app.chain.retry_notice import retry_listener

    config = _config(devnet, retry_attempts=3, retry_base_delay=0.01, retry_max_delay=0.02)
    async with await NodeGateway.connect(config, SecretStr(ALICE.mnemonic)) as gateway:
        height = await gateway.latest_block_height()
        await gateway.get_account()  # so that the place below is the broadcast alone
        heard: list[tuple[int, int, str, bool]] = []

        def listener(attempt: int, limit: int, error: str) -> None:
            on_main = threading.current_thread() is threading.main_thread()
            heard.append((attempt, limit, error, on_main))

        devnet.faults.grpc.unavailable = True
        # The context variable, set by the caller, reaches the worker thread.
        with retry_listener(listener), pytest.raises(NetworkError, match="after 4 tries"):
            await gateway.latest_block_height()
        assert [(a, n) for a, n, _, _ in heard] == [(1, 3), (2, 3), (3, 3)]
        assert all("UNAVAILABLE" in error and not on_main for _, _, error, on_main in heard)
        # Per call, on a broadcast.
        heard.clear()
        with pytest.raises(OutcomeUnknown):
            await gateway.place_order(_resting_buy(_key(0), gtb=height + 10), on_retry=listener)
        assert [(a, n) for a, n, _, _ in heard] == [(1, 3), (2, 3), (3, 3)]
        # Outside the block, nobody is told.
        heard.clear()
        with pytest.raises(NetworkError):
            await gateway.latest_block_height()
        assert heard == []


# ----- send permits (write first, then send) -------------------------------------------------


async def _place_with_permit(gateway, flags):
    """A resting buy sent with a permit not yet decided: (its key, the permit, the task)."""
    from tui_app.chain.permit import SendPermit

    block = await gateway.latest_block()
    key = _key(flags)
    order = (_resting_buy(key, gtb=block.height + 10) if flags == ORDER_FLAGS_SHORT_TERM
             else _resting_buy(key, gtbt=int(block.time.timestamp()) + 60))  # fmt: skip
    permit = SendPermit()
    return key, permit, asyncio.ensure_future(gateway.place_order(order, permit=permit))


@pytest.mark.parametrize("flags", [ORDER_FLAGS_SHORT_TERM, ORDER_FLAGS_LONG_TERM])
async def test_a_permitted_place_waits_for_its_grant(gateway, devnet, flags):
    key, permit, placing = await _place_with_permit(gateway, flags)
    await asyncio.sleep(0.3)  # long enough to sign and send, were it allowed to
    assert not placing.done() and _on_chain(devnet, key) is None
    permit.grant()
    assert (await placing).ok
    await _wait_for(lambda: _on_chain(devnet, key) is not None)  # stateful: next block


@pytest.mark.parametrize("flags", [ORDER_FLAGS_SHORT_TERM, ORDER_FLAGS_LONG_TERM])
async def test_a_refused_permit_sends_nothing(gateway, devnet, flags):
    from tui_app.chain.permit import NotSent

    key, permit, placing = await _place_with_permit(gateway, flags)
    await asyncio.sleep(0.1)
    permit.refuse()
    with pytest.raises(NotSent):
        await placing
    await asyncio.sleep(0.3)
    assert _on_chain(devnet, key) is None
    # The stateful sequence was not used up: the next stateful tx goes through.
    if flags == ORDER_FLAGS_LONG_TERM:
        other = _key(flags)
        block = await gateway.latest_block()
        assert (await gateway.place_order(
            _resting_buy(other, gtbt=int(block.time.timestamp()) + 60))).ok  # fmt: skip
