"""Read-only questions to the node (chain id, latest height), with a deadline on each.

The status command and the feed's indexer-lag probe need no key, so they do not go
through `NodeGateway` (which signs); each call here is one gRPC request with `timeout=`
on a worker thread, so a hung node costs a deadline, never a frozen loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import grpc

from tui_app.chain.grpc_channel import make_channel


class NodeUnreachable(Exception):
    """The node did not answer (refused, timed out, or an error status)."""


@dataclass(frozen=True)
class NodeStatus:
    chain_id: str
    height: int


class NodeProbe:
    def __init__(self, target: str, *, secure: bool = False, timeout: float = 3.0) -> None:
        # Imported here: the stubs pull in the protobuf tree, which `--help` does not need.
        from v4_proto.cosmos.base.tendermint.v1beta1 import query_pb2, query_pb2_grpc

        self.target = target
        self.timeout = timeout
        self._requests = query_pb2
        self._channel, intercepted = make_channel(target, secure=secure)
        self._stub = query_pb2_grpc.ServiceStub(intercepted)

    async def chain_id(self) -> str:
        response = await self._call(self._stub.GetNodeInfo, self._requests.GetNodeInfoRequest())
        return str(response.default_node_info.network)

    async def latest_height(self) -> int:
        response = await self._call(
            self._stub.GetLatestBlock, self._requests.GetLatestBlockRequest()
        )
        return int(response.block.header.height)

    async def _call(self, method, request):
        try:
            return await asyncio.to_thread(method, request, timeout=self.timeout)
        except grpc.RpcError as exc:
            code = exc.code() if hasattr(exc, "code") else None
            name = code.name if code is not None else "error"
            raise NodeUnreachable(f"node {self.target}: {name}") from None

    def close(self) -> None:
        self._channel.close()
