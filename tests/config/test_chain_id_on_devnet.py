"""The chain id check end to end: resolved config -> real NodeClient -> the devnet's node."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tui_app.config import ENV_GRPC_ADDR, ENV_MNEMONIC, ResolvedConfig, load_config
from tui_app.devnet.accounts import ALICE
from tui_app.devnet.node import Devnet, DevnetConfig
from tui_app.networks import NetworkMismatch, chain_id_from_node_info, check_chain_id

QUIET = DevnetConfig(
    grpc_port=0, rest_port=0, ws_port=0, block_time=Decimal("0.2"), synthetic_traders=False
)


async def node_chain_id(resolved: ResolvedConfig) -> str:
    from dydx_v4_client.node.client import NodeClient

    node_config = resolved.node_config()
    try:
        client = await NodeClient.connect(node_config)
        # NodeClient's "async" calls block; run them on a worker thread with their own loop.
        info = await asyncio.to_thread(asyncio.run, client.get_node_info())
        return chain_id_from_node_info(info)
    finally:
        node_config.channel.close()


async def test_local_matches_the_devnet_and_testnet_does_not():
    async with Devnet(QUIET) as devnet:
        grpc_addr = devnet.endpoints.grpc
        assert grpc_addr is not None

        local = load_config(environ={ENV_GRPC_ADDR: grpc_addr})
        assert await check_chain_id(local.chain_id, lambda: node_chain_id(local)) == (
            "localdydxprotocol"
        )

        # A testnet config pointed (by mistake) at a local node: refused before any signing.
        # (testnet normally uses TLS; the devnet speaks plaintext, so only the address moves.)
        environ = {ENV_GRPC_ADDR: grpc_addr, ENV_MNEMONIC: ALICE.mnemonic}
        testnet = load_config(cli_network="testnet", environ=environ)
        testnet = testnet.model_copy(
            update={"endpoints": testnet.endpoints.model_copy(update={"grpc_tls": False})}
        )
        with pytest.raises(NetworkMismatch) as caught:
            await check_chain_id(
                testnet.chain_id, lambda: node_chain_id(testnet), where=grpc_addr
            )
        assert "localdydxprotocol" in str(caught.value)
        assert "dydx-testnet-4" in str(caught.value)
