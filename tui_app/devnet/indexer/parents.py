"""Parent subaccounts: how dYdX's indexer groups child subaccounts under a parent.

A parent number P is below 128; its children are P + 128 * k for k = 0..999 (P itself is
its first child). socks forwards every `v4_subaccounts` message a second time on
`v4_parent_subaccounts`, under `{address}/{child mod 128}`, with the child's number in the
envelope's `subaccountNumber`, minus transfers between two children of the same parent.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from tui_app.devnet.types import SubaccountId

from .render import dec

MAX_PARENT_SUBACCOUNTS = 128
CHILD_SUBACCOUNT_MULTIPLIER = 1000
MAX_CHILD_NUMBER = MAX_PARENT_SUBACCOUNTS * CHILD_SUBACCOUNT_MULTIPLIER  # 128000


def parent_number(child: int) -> int:
    """The parent of a child subaccount number (postgres' getParentSubaccountNum)."""
    if child > MAX_CHILD_NUMBER:
        raise ValueError(
            f"Child subaccount number must be less than or equal to {MAX_CHILD_NUMBER}"
        )
    return child % MAX_PARENT_SUBACCOUNTS


def is_child_of(child: int, parent: int) -> bool:
    return child < MAX_CHILD_NUMBER and child % MAX_PARENT_SUBACCOUNTS == parent


def parent_channel_id(subaccount: SubaccountId) -> str | None:
    """The v4_parent_subaccounts id a child's messages go to (None beyond the children)."""
    if subaccount.number > MAX_CHILD_NUMBER:
        return None
    return f"{subaccount.owner}/{parent_number(subaccount.number)}"


def parent_contents(contents: dict) -> dict:
    """A v4_subaccounts message as the parent channel forwards it: a transfer between two
    children of the same parent is dropped (the rest of the message still goes out)."""
    transfer = contents.get("transfers")
    if transfer is None:
        return contents
    sender, recipient = transfer.get("sender", {}), transfer.get("recipient", {})
    if sender.get("address") != recipient.get("address"):
        return contents
    sender_number = sender.get("subaccountNumber")
    recipient_number = recipient.get("subaccountNumber")
    if sender_number is None or recipient_number is None:
        return contents  # a deposit or withdrawal (a wallet on one side)
    if parent_number(sender_number) != parent_number(recipient_number):
        return contents
    return {k: v for k, v in contents.items() if k != "transfers"}


def sum_strings(values: list[str]) -> str:
    """comlink's Big.js sum of decimal strings (plain notation at USDC's 6 decimals)."""
    return dec(sum((Decimal(v) for v in values), Decimal(0)))


# ---- socks' id check: JavaScript's Number() on the part after the slash -------------------

_JS_WHITESPACE = (
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PREFIXED = {
    "0x": re.compile(r"[0-9a-fA-F]+"),
    "0o": re.compile(r"[0-7]+"),
    "0b": re.compile(r"[01]+"),
}
_BASES = {"0x": 16, "0o": 8, "0b": 2}


def js_number(text: str) -> float:
    """`Number(text)` as JavaScript computes it (NaN for what it cannot read)."""
    text = text.strip(_JS_WHITESPACE)
    if not text:
        return 0.0
    prefix = text[:2].lower()
    if prefix in _PREFIXED:
        digits = text[2:]
        if not _PREFIXED[prefix].fullmatch(digits):
            return math.nan
        return float(int(digits, _BASES[prefix]))
    if text in ("Infinity", "+Infinity"):
        return math.inf
    if text == "-Infinity":
        return -math.inf
    if _DECIMAL.fullmatch(text):
        return float(text)
    return math.nan


def valid_subaccount_channel_id(sub_id: str, maximum: int) -> bool:
    """socks' check of a subaccount channel id: two parts, and JavaScript's Number() of the
    second below `maximum` (the address, and that the number is whole, are left to
    comlink, whose 400 becomes socks' "could not fetch" error)."""
    parts = sub_id.split("/")
    if len(parts) != 2:
        return False
    number = js_number(parts[1])
    return not math.isnan(number) and number < maximum


def valid_parent_channel_id(sub_id: str) -> bool:
    """v4_parent_subaccounts: a parent number below 128."""
    return valid_subaccount_channel_id(sub_id, MAX_PARENT_SUBACCOUNTS)


_JS_INT = re.compile(r"[-+]?[0-9]+")  # validator.js isInt, leading zeroes allowed


def parse_js_int(raw: str | None, below: int) -> int | None:
    """express-validator's isInt with gt -1 and lt `below`; None when it fails."""
    if raw is None or not _JS_INT.fullmatch(raw):
        return None
    number = int(raw)
    return number if 0 <= number < below else None


def parse_parent_number(raw: str | None) -> int | None:
    """comlink's check of `parentSubaccountNumber` (isInt, 0..127); None when it fails."""
    return parse_js_int(raw, MAX_PARENT_SUBACCOUNTS)


PARENT_NUMBER_MESSAGE = (
    f"parentSubaccountNumber must be a non-negative integer less than {MAX_PARENT_SUBACCOUNTS}"
)
