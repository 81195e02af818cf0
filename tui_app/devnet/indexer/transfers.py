"""The indexer's transfers: deposits, withdrawals and transfers between subaccounts.

One record per chain TransferCreated event, and its shapes: the `transfers` object of a
v4_subaccounts message (ender's `generateTransferContents`), comlink's
TransferResponseObject and ParentSubaccountTransferResponseObject. The `type` depends on
whose view it is (postgres' `getTransferType`): the sender sees TRANSFER_OUT, or
WITHDRAWAL when the recipient is a wallet; the recipient sees TRANSFER_IN, or DEPOSIT when
the sender is a wallet.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from tui_app.devnet.events import TransferCreated
from tui_app.devnet.types import SubaccountId

from . import ids
from .parents import parent_number
from .render import iso, usdc

USDC_SYMBOL = "USDC"


@dataclass(frozen=True)
class TransferRecord(TransferCreated):
    """The chain's event, with the indexer's views of it."""

    @classmethod
    def of(cls, event: TransferCreated) -> TransferRecord:
        return cls(**{f.name: getattr(event, f.name) for f in fields(event)})

    @property
    def subaccounts(self) -> list[SubaccountId]:
        """The subaccounts involved (one for a deposit or withdrawal, else two)."""
        return [s for s in (self.sender_subaccount, self.recipient_subaccount) if s is not None]

    @property
    def id(self) -> str:
        """postgres' TransferTable.uuid: JavaScript's `undefined` for an absent side."""
        parts = [
            ids.subaccount_uuid_of(self.sender_subaccount) if self.sender_subaccount else None,
            ids.subaccount_uuid_of(self.recipient_subaccount)
            if self.recipient_subaccount
            else None,
            self.sender_wallet,
            self.recipient_wallet,
            ids.event_id_hex(self.event_id),
            str(self.asset_id),
        ]
        return ids.uuid5_of("-".join("undefined" if p is None else p for p in parts))

    def type_for(self, sid: SubaccountId) -> str:
        if self.sender_subaccount == sid:
            return "TRANSFER_OUT" if self.recipient_subaccount else "WITHDRAWAL"
        return "TRANSFER_IN" if self.sender_subaccount else "DEPOSIT"

    def type_for_parent(self, address: str, parent: int) -> str:
        """comlink's parent view: the sender side if the sender is one of the parent's
        children, else the recipient side."""
        sender = self.sender_subaccount
        if sender and sender.owner == address and parent_number(sender.number) == parent:
            return "TRANSFER_OUT" if self.recipient_subaccount else "WITHDRAWAL"
        return "TRANSFER_IN" if sender else "DEPOSIT"

    # ---- shapes ------------------------------------------------------------------------

    def _party(self, sub: SubaccountId | None, wallet: str | None, key: str, number) -> dict:
        if sub is None:
            return {"address": wallet}  # JSON.stringify drops the undefined number
        return {"address": sub.owner, key: number(sub.number)}

    def _sides(self, key: str = "subaccountNumber", number=lambda n: n) -> tuple[dict, dict]:
        return (
            self._party(self.sender_subaccount, self.sender_wallet, key, number),
            self._party(self.recipient_subaccount, self.recipient_wallet, key, number),
        )

    def ws_object(self, sid: SubaccountId) -> dict:
        """The `transfers` object of v4_subaccounts, in ender's key order."""
        sender, recipient = self._sides()
        return {
            "sender": sender,
            "recipient": recipient,
            "symbol": USDC_SYMBOL,
            "size": usdc(self.quantums),
            "type": self.type_for(sid),
            "createdAt": iso(self.time),
            "createdAtHeight": str(self.height),
            "transactionHash": self.tx_hash,
        }

    def rest_object(self, sid: SubaccountId) -> dict:
        """comlink's TransferResponseObject, as seen from `sid`."""
        sender, recipient = self._sides()
        return self._rest(sender, recipient, self.type_for(sid))

    def parent_rest_object(self, address: str, parent: int) -> dict:
        """comlink's ParentSubaccountTransferResponseObject (parent numbers for sides)."""
        sender, recipient = self._sides("parentSubaccountNumber", parent_number)
        return self._rest(sender, recipient, self.type_for_parent(address, parent))

    def _rest(self, sender: dict, recipient: dict, transfer_type: str) -> dict:
        return {
            "id": self.id,
            "sender": sender,
            "recipient": recipient,
            "size": usdc(self.quantums),
            "createdAt": iso(self.time),
            "createdAtHeight": str(self.height),
            "symbol": USDC_SYMBOL,
            "type": transfer_type,
            "transactionHash": self.tx_hash,
        }

    def between_same_parent(self) -> bool:
        """Both sides are children of one parent (socks and comlink leave these out of a
        parent's view)."""
        sender, recipient = self.sender_subaccount, self.recipient_subaccount
        return (
            sender is not None
            and recipient is not None
            and sender.owner == recipient.owner
            and parent_number(sender.number) == parent_number(recipient.number)
        )
