"""What the chain's CheckTx answers mean for a place or cancel (protocol notes 3.4, 3.7)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the gateway loads dydx_v4_client and grpc; annotations only
    from tui_app.chain.gateway import BroadcastResult


class Meaning(enum.Enum):
    ACCEPTED = "accepted"
    ALREADY_DONE = "already_done"  # the goal is already reached; not an error
    GONE = "gone"  # a stateful cancel found no order: ask the indexer what happened
    EXPIRED = "expired"  # good-til already passed
    TRANSIENT = "transient"  # worth another try a little later
    REJECTED = "rejected"


# (codespace, code) pairs.
TX_IN_MEMPOOL_CACHE = ("sdk", 19)  # the very same bytes were accepted before
CANCEL_ALREADY_EXISTS = ("clob", 9)  # a short-term cancel with >= GTB is on record
STATEFUL_CANCEL_EXISTS = ("clob", 32)  # one uncommitted stateful cancel per order
GTB_IN_PAST = ("clob", 10)
STATEFUL_GTBT_PASSED = ("clob", 3003)
STATEFUL_GONE = {("clob", 3006), ("clob", 3008), ("clob", 3009), ("clob", 3010)}
# Block rate limit; clob not initialised (node starting).
TRANSIENT = {("clob", 5001), ("clob", 47)}
BATCH_NONE_SUCCEEDED = ("clob", 46)


def classify_place(result: BroadcastResult) -> Meaning:
    key = (result.codespace, result.code)
    if result.ok:
        return Meaning.ACCEPTED
    if key == TX_IN_MEMPOOL_CACHE:
        return Meaning.ALREADY_DONE
    if key in TRANSIENT:
        return Meaning.TRANSIENT
    return Meaning.REJECTED


def classify_cancel(result: BroadcastResult) -> Meaning:
    key = (result.codespace, result.code)
    if result.ok:
        return Meaning.ACCEPTED
    if key in (TX_IN_MEMPOOL_CACHE, CANCEL_ALREADY_EXISTS, STATEFUL_CANCEL_EXISTS):
        return Meaning.ALREADY_DONE
    if key in STATEFUL_GONE:
        return Meaning.GONE
    if key in (GTB_IN_PAST, STATEFUL_GTBT_PASSED):
        return Meaning.EXPIRED
    if key in TRANSIENT:
        return Meaning.TRANSIENT
    return Meaning.REJECTED


def describe(result: BroadcastResult) -> str:
    if result.ok:
        return f"accepted (tx {result.txhash})"
    return f"{result.codespace} {result.code}: {result.raw_log}"
