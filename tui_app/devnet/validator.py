"""The devnet's validator gRPC endpoint: what the real `dydx_v4_client.NodeClient` talks to.

A `grpc.aio` server built on the servicer base classes `v4_proto` ships, answering from a
`Chain` (see chain_api.md). It implements what the client and the app use: auth accounts,
latest block / node info, BroadcastTx / Simulate / GetTx, and cheap dYdX module queries
(clob pairs, oracle prices, perpetuals, subaccounts, bank balances). Other methods answer
UNIMPLEMENTED, as the generated base classes do.

Status codes and messages follow cosmos-sdk's gRPC services (e.g. "account X not found",
"tx not found: HASH"); protocol rejections of a tx come back inside `TxResponse` with a
non-zero code, never as a gRPC error — except from Simulate, which cosmos reports as an
UNKNOWN status carrying the raw log.

The server must run on the devnet's own event loop and thread. `NodeClient` uses blocking
stubs, so a NodeClient awaited on the same loop would deadlock it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import grpc
from google.protobuf.any_pb2 import Any
from google.protobuf.message import DecodeError, Message
from google.protobuf.timestamp_pb2 import Timestamp
from v4_proto.cosmos.auth.v1beta1 import query_pb2 as auth_query
from v4_proto.cosmos.auth.v1beta1 import query_pb2_grpc as auth_grpc
from v4_proto.cosmos.auth.v1beta1.auth_pb2 import BaseAccount
from v4_proto.cosmos.bank.v1beta1 import query_pb2 as bank_query
from v4_proto.cosmos.bank.v1beta1 import query_pb2_grpc as bank_grpc
from v4_proto.cosmos.base.abci.v1beta1.abci_pb2 import GasInfo, Result, TxResponse
from v4_proto.cosmos.base.tendermint.v1beta1 import query_pb2 as tm_query
from v4_proto.cosmos.base.tendermint.v1beta1 import query_pb2_grpc as tm_grpc
from v4_proto.cosmos.base.tendermint.v1beta1 import types_pb2 as sdk_types
from v4_proto.cosmos.base.v1beta1.coin_pb2 import Coin
from v4_proto.cosmos.crypto.secp256k1.keys_pb2 import PubKey
from v4_proto.cosmos.tx.v1beta1 import service_pb2 as tx_service
from v4_proto.cosmos.tx.v1beta1 import service_pb2_grpc as tx_grpc
from v4_proto.cosmos.tx.v1beta1.tx_pb2 import Tx
from v4_proto.dydxprotocol.clob import clob_pair_pb2
from v4_proto.dydxprotocol.clob import query_pb2 as clob_query
from v4_proto.dydxprotocol.clob import query_pb2_grpc as clob_grpc
from v4_proto.dydxprotocol.perpetuals import perpetual_pb2
from v4_proto.dydxprotocol.perpetuals import query_pb2 as perp_query
from v4_proto.dydxprotocol.perpetuals import query_pb2_grpc as perp_grpc
from v4_proto.dydxprotocol.prices import market_price_pb2
from v4_proto.dydxprotocol.prices import query_pb2 as prices_query
from v4_proto.dydxprotocol.prices import query_pb2_grpc as prices_grpc
from v4_proto.dydxprotocol.subaccounts import query_pb2 as sub_query
from v4_proto.dydxprotocol.subaccounts import query_pb2_grpc as sub_grpc
from v4_proto.dydxprotocol.subaccounts import subaccount_pb2
from v4_proto.dydxprotocol.subaccounts.asset_position_pb2 import AssetPosition
from v4_proto.dydxprotocol.subaccounts.perpetual_position_pb2 import PerpetualPosition
from v4_proto.tendermint.p2p.types_pb2 import DefaultNodeInfo, ProtocolVersion
from v4_proto.tendermint.types import block_pb2
from v4_proto.tendermint.types import types_pb2 as tm_types
from v4_proto.tendermint.version.types_pb2 import Consensus

from tui_app.devnet.events import BlockCommitted
from tui_app.devnet.faults import Faults
from tui_app.devnet.markets import MarketParams
from tui_app.devnet.params import USDC_ASSET_ID
from tui_app.devnet.types import SubaccountId

if TYPE_CHECKING:
    from tui_app.devnet.chain import Chain

log = logging.getLogger(__name__)

# What the node reports about itself (GetNodeInfo), modelled on a dYdX v8 localnet node.
APP_NAME = "dydxprotocold"
APP_VERSION_NAME = "dydxprotocol"
APP_VERSION = "devnet"
NODE_MONIKER = "dydx-tui-devnet"
COMETBFT_VERSION = "0.38.12"
BLOCK_PROTOCOL = 11
# How many committed block times GetBlockByHeight remembers.
BLOCK_TIMES_KEPT = 10_000

UNAVAILABLE_DETAIL = "devnet fault injection: unavailable"
Behavior = Callable[[Message, grpc.aio.ServicerContext], Awaitable[Message]]


# --------------------------------------------------------------------------- encodings


def pack_any(message: Message) -> Any:
    """`Any` with a cosmos-style type URL ("/pkg.Type", not "type.googleapis.com/...")."""
    packed = Any()
    packed.Pack(message, type_url_prefix="/")
    return packed


def serializable_int(value: int) -> bytes:
    """dYdX's `dtypes.SerializableInt` wire form: Go's big.Int GobEncode.

    One byte (version 1 << 1, low bit set if negative), then the big-endian magnitude.
    """
    header = 0x02 | (1 if value < 0 else 0)
    magnitude = abs(value)
    return bytes([header]) + magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "big")


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def rfc3339(moment: datetime) -> str:
    """Go's time.RFC3339 as cosmos prints a tx's timestamp ("2024-05-01T12:00:00Z")."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def oracle_price_value(market: MarketParams, price: Decimal) -> int:
    """The prices module's integer price: price = value * 10^exponent (rounded down)."""
    return int(price.scaleb(-market.oracle_exponent))


# --------------------------------------------------------------------------- faults


class FaultInterceptor(grpc.aio.ServerInterceptor):
    """Applies `Faults` (latency, unavailable, hang) before every unary call.

    Every call passes through here, so it also turns the generated base classes'
    synchronous "not implemented" stubs into a proper UNIMPLEMENTED status.
    """

    def __init__(self, faults: Faults) -> None:
        self._faults = faults

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            # Streaming methods (none implemented here) answer UNIMPLEMENTED.
            return None
        return grpc.unary_unary_rpc_method_handler(
            self._wrap(handler.unary_unary),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _wrap(self, behavior: Behavior) -> Behavior:
        async def with_faults(request, context):
            await self._apply(context)
            try:
                result = behavior(request, context)
            except NotImplementedError:
                # The generated base classes' stubs are plain functions that raise this.
                await context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not implemented!")
            return await result

        return with_faults

    async def _apply(self, context: grpc.aio.ServicerContext) -> None:
        faults = self._faults
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.grpc.unavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, UNAVAILABLE_DETAIL)
        if faults.grpc.hang:
            # Never answer: the caller's deadline fires, or stop() cancels us.
            await asyncio.Event().wait()


# --------------------------------------------------------------------------- auth + bank


class AuthQuery(auth_grpc.QueryServicer):
    def __init__(self, chain: Chain) -> None:
        self._chain = chain

    async def Account(self, request, context):
        account = await self._base_account(request.address, context)
        return auth_query.QueryAccountResponse(account=pack_any(account))

    async def AccountInfo(self, request, context):
        account = await self._base_account(request.address, context)
        return auth_query.QueryAccountInfoResponse(info=account)

    async def _base_account(self, address: str, context) -> BaseAccount:
        if not address:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Address cannot be empty")
        account = self._chain.accounts.get(address)
        if account is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"account {address} not found")
        base = BaseAccount(
            address=account.address,
            account_number=account.account_number,
            sequence=account.sequence,
        )
        if account.public_key is not None:
            base.pub_key.CopyFrom(pack_any(PubKey(key=account.public_key)))
        return base


class BankQuery(bank_grpc.QueryServicer):
    """Wallet balances from the chain's bank (`tui_app/devnet/bank.py`)."""

    def __init__(self, chain: Chain) -> None:
        self._chain = chain

    async def AllBalances(self, request, context):
        return bank_query.QueryAllBalancesResponse(balances=self._balances(request.address))

    async def Balance(self, request, context):
        for coin in self._balances(request.address):
            if coin.denom == request.denom:
                return bank_query.QueryBalanceResponse(balance=coin)
        return bank_query.QueryBalanceResponse(balance=Coin(denom=request.denom, amount="0"))

    def _balances(self, address: str) -> list[Coin]:
        return [
            Coin(denom=denom, amount=str(amount))
            for denom, amount in self._chain.bank.balances(address)
        ]


# --------------------------------------------------------------------------- blocks


class BlockTimes:
    """Times of committed blocks, learnt from the chain's BlockCommitted events."""

    def __init__(self, chain: Chain) -> None:
        self._chain = chain
        self._times: OrderedDict[int, datetime] = OrderedDict()
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        self._record(self._chain.height, self._chain.block_time)
        self._unsubscribe = self._chain.subscribe(self._on_event)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def get(self, height: int) -> datetime | None:
        if height == self._chain.height:
            return self._chain.block_time
        if height == self._chain.params.genesis_height:
            return self._chain.genesis_time
        return self._times.get(height)

    def _on_event(self, event) -> None:
        if isinstance(event, BlockCommitted):
            self._record(event.height, event.time)

    def _record(self, height: int, time: datetime) -> None:
        self._times[height] = time
        while len(self._times) > BLOCK_TIMES_KEPT:
            self._times.popitem(last=False)


class TendermintService(tm_grpc.ServiceServicer):
    def __init__(self, chain: Chain, block_times: BlockTimes, listen_addr: str) -> None:
        self._chain = chain
        self._block_times = block_times
        self._listen_addr = listen_addr

    async def GetLatestBlock(self, request, context):
        height = self._chain.height
        return tm_query.GetLatestBlockResponse(**self._block(height, self._chain.block_time))

    async def GetBlockByHeight(self, request, context):
        height = request.height
        if height > self._chain.height:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                "requested block height is bigger then the chain length",
            )
        time = self._block_times.get(height) if height > 0 else None
        if time is None:
            await context.abort(
                grpc.StatusCode.NOT_FOUND, f"block at height {height} is not available"
            )
        return tm_query.GetBlockByHeightResponse(**self._block(height, time))

    async def GetNodeInfo(self, request, context):
        chain_id = self._chain.chain_id
        node_info = DefaultNodeInfo(
            protocol_version=ProtocolVersion(p2p=8, block=BLOCK_PROTOCOL, app=0),
            default_node_id="0" * 40,
            listen_addr=self._listen_addr,
            network=chain_id,
            version=COMETBFT_VERSION,
            moniker=NODE_MONIKER,
        )
        version = tm_query.VersionInfo(
            name=APP_VERSION_NAME,
            app_name=APP_NAME,
            version=APP_VERSION,
            go_version="go1.22",
            cosmos_sdk_version="v0.50",
        )
        return tm_query.GetNodeInfoResponse(
            default_node_info=node_info, application_version=version
        )

    async def GetSyncing(self, request, context):
        return tm_query.GetSyncingResponse(syncing=False)

    def _block(self, height: int, time: datetime) -> dict:
        """block_id, the legacy `block` and `sdk_block`: the client reads block.header."""
        chain = self._chain
        block_id = tm_types.BlockID(hash=chain.block_hash(height))
        last_block_id = tm_types.BlockID()
        if height > chain.params.genesis_height:
            last_block_id.hash = chain.block_hash(height - 1)
        fields = dict(
            version=Consensus(block=BLOCK_PROTOCOL),
            chain_id=chain.chain_id,
            height=height,
            time=timestamp(time),
            last_block_id=last_block_id,
        )
        return dict(
            block_id=block_id,
            block=block_pb2.Block(header=tm_types.Header(**fields)),
            sdk_block=sdk_types.Block(header=sdk_types.Header(**fields)),
        )


# --------------------------------------------------------------------------- txs


class TxService(tx_grpc.ServiceServicer):
    def __init__(self, chain: Chain) -> None:
        self._chain = chain

    async def BroadcastTx(self, request, context):
        if not request.tx_bytes:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "invalid empty tx")
        mode = request.mode
        if mode not in (tx_service.BROADCAST_MODE_SYNC, tx_service.BROADCAST_MODE_ASYNC):
            name = tx_service.BroadcastMode.Name(mode).removeprefix("BROADCAST_MODE_").lower()
            await context.abort(
                grpc.StatusCode.UNKNOWN,
                f"unsupported return type {name}; supported types: sync, async",
            )
        result = self._chain.check_tx(request.tx_bytes)
        if mode == tx_service.BROADCAST_MODE_ASYNC:
            # CometBFT answers an async broadcast before CheckTx: only the hash comes back.
            return tx_service.BroadcastTxResponse(tx_response=TxResponse(txhash=result.txhash))
        return tx_service.BroadcastTxResponse(tx_response=tx_response(result))

    async def Simulate(self, request, context):
        tx_bytes = request.tx_bytes
        if not tx_bytes and request.HasField("tx"):
            # Deprecated field (the Python client uses it): re-serialize, as cosmos does.
            tx_bytes = request.tx.SerializeToString()
        if not tx_bytes:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "empty txBytes is not allowed")
        result = self._chain.simulate_tx(tx_bytes)
        if result.code != 0:
            await context.abort(
                grpc.StatusCode.UNKNOWN,
                f"{result.raw_log} With gas wanted: '{result.gas_wanted}' "
                f"and gas used: '{result.gas_used}' ",
            )
        return tx_service.SimulateResponse(
            gas_info=GasInfo(gas_wanted=result.gas_wanted, gas_used=result.gas_used),
            result=Result(),
        )

    async def GetTx(self, request, context):
        if not request.hash:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "tx hash cannot be empty")
        stored = self._chain.get_tx(request.hash.upper())
        if stored is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"tx not found: {request.hash}")
        response = tx_response(stored.result, height=stored.height, time=stored.time)
        tx = _decode_tx_message(stored.tx_bytes)
        if tx is None:
            return tx_service.GetTxResponse(tx_response=response)
        response.tx.CopyFrom(pack_any(tx))
        return tx_service.GetTxResponse(tx=tx, tx_response=response)


def tx_response(result, height: int | None = None, time: datetime | None = None) -> TxResponse:
    """A cosmos TxResponse from a chain TxResult (height 0 for CheckTx results)."""
    return TxResponse(
        height=result.height if height is None else height,
        txhash=result.txhash,
        codespace=result.codespace,
        code=result.code,
        raw_log=result.raw_log,
        gas_wanted=result.gas_wanted,
        gas_used=result.gas_used,
        timestamp=rfc3339(time) if time is not None else "",
    )


def _decode_tx_message(tx_bytes: bytes) -> Tx | None:
    # TxRaw and Tx share field numbers, so raw bytes parse as a Tx.
    try:
        return Tx.FromString(tx_bytes)
    except DecodeError:
        return None


# --------------------------------------------------------------------------- dYdX modules


class ClobQuery(clob_grpc.QueryServicer):
    def __init__(self, chain: Chain) -> None:
        self._chain = chain

    async def ClobPair(self, request, context):
        market = self._chain.markets.get(request.id)
        if market is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "not found")
        return clob_query.QueryClobPairResponse(clob_pair=clob_pair(market))

    async def ClobPairAll(self, request, context):
        markets = sorted(self._chain.markets.values(), key=lambda m: m.clob_pair_id)
        return clob_query.QueryClobPairAllResponse(clob_pair=[clob_pair(m) for m in markets])


def clob_pair(market: MarketParams) -> clob_pair_pb2.ClobPair:
    return clob_pair_pb2.ClobPair(
        id=market.clob_pair_id,
        perpetual_clob_metadata=clob_pair_pb2.PerpetualClobMetadata(
            perpetual_id=market.perpetual_id
        ),
        step_base_quantums=market.step_base_quantums,
        subticks_per_tick=market.subticks_per_tick,
        quantum_conversion_exponent=market.quantum_conversion_exponent,
        status=clob_pair_pb2.ClobPair.STATUS_ACTIVE,
    )


class PricesQuery(prices_grpc.QueryServicer):
    def __init__(self, chain: Chain) -> None:
        self._chain = chain

    async def MarketPrice(self, request, context):
        for market in self._chain.markets.values():
            if market.market_id == request.id:
                return prices_query.QueryMarketPriceResponse(market_price=self._price(market))
        await context.abort(grpc.StatusCode.NOT_FOUND, "not found")

    async def AllMarketPrices(self, request, context):
        markets = sorted(self._chain.markets.values(), key=lambda m: m.market_id)
        return prices_query.QueryAllMarketPricesResponse(
            market_prices=[self._price(m) for m in markets]
        )

    def _price(self, market: MarketParams) -> market_price_pb2.MarketPrice:
        price = self._chain.oracle_price(market.clob_pair_id)
        return market_price_pb2.MarketPrice(
            id=market.market_id,
            exponent=market.oracle_exponent,
            price=oracle_price_value(market, price),
        )


class PerpetualsQuery(perp_grpc.QueryServicer):
    def __init__(self, chain: Chain) -> None:
        self._chain = chain

    async def Perpetual(self, request, context):
        for market in self._chain.markets.values():
            if market.perpetual_id == request.id:
                return perp_query.QueryPerpetualResponse(perpetual=self._perpetual(market))
        await context.abort(grpc.StatusCode.NOT_FOUND, "not found")

    async def AllPerpetuals(self, request, context):
        markets = sorted(self._chain.markets.values(), key=lambda m: m.perpetual_id)
        return perp_query.QueryAllPerpetualsResponse(
            perpetual=[self._perpetual(m) for m in markets]
        )

    def _perpetual(self, market: MarketParams) -> perpetual_pb2.Perpetual:
        market_type = (
            perpetual_pb2.PERPETUAL_MARKET_TYPE_ISOLATED
            if market.market_type == "ISOLATED"
            else perpetual_pb2.PERPETUAL_MARKET_TYPE_CROSS
        )
        params = perpetual_pb2.PerpetualParams(
            id=market.perpetual_id,
            ticker=market.ticker,
            market_id=market.market_id,
            atomic_resolution=market.atomic_resolution,
            liquidity_tier=0,  # the devnet has no liquidity tiers; mainnet's large-cap is 0
            market_type=market_type,
        )
        return perpetual_pb2.Perpetual(
            params=params,
            funding_index=serializable_int(0),
            open_interest=serializable_int(self._open_interest(market.perpetual_id)),
        )

    def _open_interest(self, perpetual_id: int) -> int:
        """Sum of long positions in base quantums (equals the sum of shorts)."""
        return sum(
            max(position.quantums, 0)
            for subaccount in self._chain.subaccounts()
            for position in subaccount.positions.values()
            if position.perpetual_id == perpetual_id
        )


class SubaccountsQuery(sub_grpc.QueryServicer):
    def __init__(self, chain: Chain) -> None:
        self._chain = chain

    async def Subaccount(self, request, context):
        sub_id = SubaccountId(request.owner, request.number)
        subaccount = self._chain.subaccount(sub_id)
        if subaccount is None:
            # x/subaccounts answers an empty subaccount for an id it has never seen.
            empty = subaccount_pb2.Subaccount(id=_subaccount_id(sub_id))
            return sub_query.QuerySubaccountResponse(subaccount=empty)
        return sub_query.QuerySubaccountResponse(subaccount=subaccount_message(subaccount))

    async def SubaccountAll(self, request, context):
        subaccounts = sorted(self._chain.subaccounts(), key=lambda s: s.id)
        return sub_query.QuerySubaccountAllResponse(
            subaccount=[subaccount_message(s) for s in subaccounts]
        )


def _subaccount_id(sub_id: SubaccountId) -> subaccount_pb2.SubaccountId:
    return subaccount_pb2.SubaccountId(owner=sub_id.owner, number=sub_id.number)


def subaccount_message(subaccount) -> subaccount_pb2.Subaccount:
    """The x/subaccounts Subaccount: USDC as asset 0, non-zero perpetual positions."""
    assets = []
    if subaccount.usdc_quantums != 0:
        assets.append(
            AssetPosition(
                asset_id=USDC_ASSET_ID, quantums=serializable_int(subaccount.usdc_quantums)
            )
        )
    positions = [
        PerpetualPosition(
            perpetual_id=position.perpetual_id,
            quantums=serializable_int(position.quantums),
            funding_index=serializable_int(0),
            quote_balance=serializable_int(0),
        )
        for _, position in sorted(subaccount.positions.items())
        if position.quantums != 0
    ]
    return subaccount_pb2.Subaccount(
        id=_subaccount_id(subaccount.id),
        asset_positions=assets,
        perpetual_positions=positions,
        margin_enabled=True,
    )


# --------------------------------------------------------------------------- server


class ValidatorServer:
    """The gRPC server; start() and stop() must be awaited on the devnet's loop."""

    def __init__(
        self, chain: Chain, faults: Faults, host: str = "127.0.0.1", port: int = 9090
    ) -> None:
        self._chain = chain
        self._faults = faults
        self._host = host
        self._port = port
        self._server: grpc.aio.Server | None = None
        self._block_times = BlockTimes(chain)

    @property
    def address(self) -> str:
        return f"{self._host}:{self._port}"

    @property
    def port(self) -> int:
        return self._port

    async def start(self) -> int:
        """Bind and serve; returns the bound port (port 0 picks a free one)."""
        if self._server is not None:
            raise RuntimeError("validator server already started")
        server = grpc.aio.server(
            interceptors=[FaultInterceptor(self._faults)],
            # Without this, a second server could silently share the port (Linux SO_REUSEPORT).
            options=[("grpc.so_reuseport", 0)],
        )
        self._port = server.add_insecure_port(f"{self._host}:{self._port}")
        self._add_servicers(server)
        self._block_times.start()
        await server.start()
        self._server = server
        log.info("devnet validator gRPC listening on %s", self.address)
        return self._port

    async def stop(self, grace: float | None = 0.5) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._block_times.stop()
        await server.stop(grace)
        log.info("devnet validator gRPC stopped")

    def _add_servicers(self, server: grpc.aio.Server) -> None:
        chain = self._chain
        auth_grpc.add_QueryServicer_to_server(AuthQuery(chain), server)
        bank_grpc.add_QueryServicer_to_server(BankQuery(chain), server)
        tm_grpc.add_ServiceServicer_to_server(
            TendermintService(chain, self._block_times, self.address), server
        )
        tx_grpc.add_ServiceServicer_to_server(TxService(chain), server)
        clob_grpc.add_QueryServicer_to_server(ClobQuery(chain), server)
        prices_grpc.add_QueryServicer_to_server(PricesQuery(chain), server)
        perp_grpc.add_QueryServicer_to_server(PerpetualsQuery(chain), server)
        sub_grpc.add_QueryServicer_to_server(SubaccountsQuery(chain), server)
