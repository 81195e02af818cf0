"""Build real signed transactions with dydx-v4-client's own Builder, for chain tests."""

from __future__ import annotations

from dydx_v4_client.key_pair import KeyPair
from dydx_v4_client.node.builder import Builder
from dydx_v4_client.node.fee import calculate_fee
from dydx_v4_client.node.message import (
    batch_cancel,
    cancel_order,
    deposit,
    place_order,
    send_token,
    transfer,
    withdraw,
)
from dydx_v4_client.wallet import Wallet
from v4_proto.cosmos.base.v1beta1.coin_pb2 import Coin
from v4_proto.dydxprotocol.clob.order_pb2 import Order, OrderId
from v4_proto.dydxprotocol.clob.tx_pb2 import OrderBatch
from v4_proto.dydxprotocol.subaccounts.subaccount_pb2 import SubaccountId

from tui_app.devnet.accounts import TestAccount
from tui_app.devnet.params import CHAIN_ID, NATIVE_DENOM, USDC_DENOM

# What Simulate reports per message (the devnet's fixed gas figure).
GAS_USED = 100_000


class Signer:
    """One test account's wallet; each method returns signed tx bytes."""

    def __init__(self, account: TestAccount, account_number: int, chain_id: str = CHAIN_ID):
        self.account = account
        self.wallet = Wallet(KeyPair.from_mnemonic(account.mnemonic), account_number, 0)
        self.builder = Builder(chain_id, NATIVE_DENOM)
        self.subaccount = SubaccountId(owner=account.address, number=0)

    def order_id(self, client_id: int, flags: int = 0, clob_pair_id: int = 0) -> OrderId:
        return OrderId(
            subaccount_id=self.subaccount,
            client_id=client_id,
            order_flags=flags,
            clob_pair_id=clob_pair_id,
        )

    def place(self, client_id: int, side: int, quantums: int, subticks: int, *, flags: int = 0,
              clob_pair_id: int = 0, gtb: int = 0, gtbt: int = 0, tif: int = 0,
              reduce_only: bool = False, condition_type: int = 0,
              trigger_subticks: int = 0) -> bytes:
        order = Order(
            order_id=self.order_id(client_id, flags, clob_pair_id),
            side=side,
            quantums=quantums,
            subticks=subticks,
            time_in_force=tif,
            reduce_only=reduce_only,
            condition_type=condition_type,
            conditional_order_trigger_subticks=trigger_subticks,
        )
        if flags == 0:
            order.good_til_block = gtb
        else:
            order.good_til_block_time = gtbt
        return self._sign(place_order(order), stateful=flags != 0)

    def cancel(self, client_id: int, *, flags: int = 0, clob_pair_id: int = 0, gtb: int = 0,
               gtbt: int = 0) -> bytes:
        oid = self.order_id(client_id, flags, clob_pair_id)
        msg = cancel_order(oid, good_til_block=gtb or None, good_til_block_time=gtbt or None)
        return self._sign(msg, stateful=flags != 0)

    def batch_cancel(self, batches: dict[int, list[int]], gtb: int) -> bytes:
        msg = batch_cancel(
            self.subaccount,
            [OrderBatch(clob_pair_id=k, client_ids=v) for k, v in batches.items()],
            gtb,
        )
        return self._sign(msg, stateful=False)

    # ---- sending: deposits, withdrawals, transfers, bank sends (fee as NodeClient pays it)

    def sub(self, number: int = 0, owner: str | None = None) -> SubaccountId:
        return SubaccountId(owner=owner or self.account.address, number=number)

    def deposit(self, quantums: int, number: int = 0, asset_id: int = 0, **fee) -> bytes:
        msg = deposit(self.account.address, self.sub(number), asset_id, quantums)
        return self.sign_paying(msg, **fee)

    def withdraw(self, quantums: int, number: int = 0, recipient: str | None = None,
                 asset_id: int = 0, **fee) -> bytes:
        msg = withdraw(self.sub(number), recipient or self.account.address, asset_id, quantums)
        return self.sign_paying(msg, **fee)

    def transfer(self, quantums: int, recipient: SubaccountId, number: int = 0,
                 asset_id: int = 0, **fee) -> bytes:
        return self.sign_paying(transfer(self.sub(number), recipient, asset_id, quantums), **fee)

    def send_token(self, recipient: str, amount: int, denom: str = USDC_DENOM, **fee) -> bytes:
        return self.sign_paying(send_token(self.account.address, recipient, amount, denom), **fee)

    def sign_paying(self, message, gas_used: int = GAS_USED, fee_amount: int | None = None,
                    gas_limit: int | None = None) -> bytes:
        """Sign with the fee NodeClient.send computes from Simulate's gas (USDC)."""
        limit, amount = calculate_fee(gas_used)
        fee = Builder(self.builder.chain_id, USDC_DENOM).fee(
            limit if gas_limit is None else gas_limit,
            Coin(amount=str(amount if fee_amount is None else fee_amount), denom=USDC_DENOM),
        )
        tx = self.builder.build(self.wallet, message, fee)
        self.wallet.sequence += 1
        return tx.SerializeToString()

    def _sign(self, message, stateful: bool) -> bytes:
        tx = self.builder.build(self.wallet, message)
        if stateful:
            self.wallet.sequence += 1
        return tx.SerializeToString()
