"""Turn one raw WebSocket frame into a typed message, or into a counted rejection.

`parse_message` never raises. The fast path hands the bytes straight to pydantic's Rust
JSON parser. Only when that fails (or when the frame mentions NaN/Infinity, which that
parser would accept as numbers) does the slow path run the standard `json` module with
guards, to say *why* the frame is bad: invalid UTF-8, invalid JSON, a non-finite constant,
nesting too deep, not an object, an unknown type or channel, or fields that do not fit.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from tui_app.models.envelopes import CHANNELS, ENVELOPE_TYPES, MESSAGE_ADAPTER, ParsedMessage

logger = logging.getLogger("tui_app.models")

EXCERPT_CHARS = 200
_CHANNEL_IN_TEXT = re.compile(rb'"channel"\s*:\s*"([A-Za-z0-9_]{1,40})"')


class RejectReason(StrEnum):
    INVALID_UTF8 = "invalid_utf8"
    INVALID_JSON = "invalid_json"
    NON_FINITE_NUMBER = "non_finite_number"
    TOO_DEEP = "too_deep"
    NOT_AN_OBJECT = "not_an_object"
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_CHANNEL = "unknown_channel"
    INVALID_FIELDS = "invalid_fields"
    INTERNAL_ERROR = "internal_error"  # a bug in this module; still never raised


@dataclass(frozen=True, slots=True)
class MessageRejected:
    """A frame that was skipped: why, on which channel (if known), and what it began with."""

    reason: RejectReason
    detail: str
    channel: str | None
    excerpt: str


class _NonFiniteConstant(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NonFiniteConstant(name)


def parse_message(
    raw: str | bytes, counter: RejectCounter | None = None
) -> ParsedMessage | MessageRejected:
    """Parse one frame; a rejection is also recorded in `counter` when one is given."""
    if type(raw) is not bytes and type(raw) is not str:
        if isinstance(raw, bytearray | memoryview):
            raw = bytes(raw)
        else:
            raw = repr(raw)  # not a frame at all: reject it below as invalid JSON text
    try:
        result = _parse(raw)
    except Exception as exc:  # last line of defence: a bad frame must not reach the UI
        result = MessageRejected(
            RejectReason.INTERNAL_ERROR, repr(exc)[:200], _channel_from_text(raw), _excerpt(raw)
        )
    if counter is not None and type(result) is MessageRejected:
        counter.record(result)
    return result


# The adapter's own validator: TypeAdapter.validate_json is a Python wrapper around it.
_validate_json = MESSAGE_ADAPTER.validator.validate_json


def _parse(raw: str | bytes) -> ParsedMessage | MessageRejected:
    # The Rust parser reads NaN and Infinity as floats; send such frames the guarded way.
    # Many frames (fills, books, trades, filled orders) have no capital N at all, and a
    # one-byte search (memchr) says so in a fraction of the time of the three-byte one;
    # when there is one (an OPEN order), the three-byte search starts there.
    # (rfind, not `in`: it scans a frame about twice as fast.)
    if type(raw) is bytes:
        first_n = raw.find(b"N")
        suspicious = (first_n >= 0 and raw.find(b"NaN", first_n) >= 0) or (
            raw.rfind(b"Infinity") >= 0
        )
    else:
        text: str = raw  # type: ignore[assignment]
        first_n = text.find("N")
        suspicious = (first_n >= 0 and text.find("NaN", first_n) >= 0) or (
            text.rfind("Infinity") >= 0
        )
    if not suspicious:
        try:
            return _validate_json(raw)
        except ValidationError as exc:
            return _diagnose(raw, exc)
    rejection = _diagnose(raw, None)
    if rejection is not None:
        return rejection
    try:  # the NaN/Infinity text was inside a string: an ordinary frame after all
        return _validate_json(raw)
    except ValidationError as exc:
        return _diagnose(raw, exc) or _rejected(RejectReason.INVALID_FIELDS, exc, raw, None)


def _diagnose(raw: str | bytes, error: ValidationError | None) -> Any:
    """Find out why a frame is bad with the standard library; None if it is fine JSON."""
    if type(raw) is bytes:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return _rejected(RejectReason.INVALID_UTF8, str(exc), raw, None)
    else:
        text = raw  # type: ignore[assignment]
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except _NonFiniteConstant as exc:
        return _rejected(RejectReason.NON_FINITE_NUMBER, f"constant {exc}", raw, None)
    except RecursionError:
        return _rejected(RejectReason.TOO_DEEP, "nesting too deep", raw, None)
    except ValueError as exc:  # JSONDecodeError, and over-long integer text
        return _rejected(RejectReason.INVALID_JSON, str(exc), raw, None)
    if not isinstance(data, dict):
        return _rejected(RejectReason.NOT_AN_OBJECT, type(data).__name__, raw, None)
    channel = data.get("channel")
    channel = channel[:40] if isinstance(channel, str) else None
    if error is None:
        return None
    if _too_deep_for_rust(error):
        return _rejected(RejectReason.TOO_DEEP, "nesting too deep", raw, channel)
    kind = data.get("type")
    if kind not in ENVELOPE_TYPES:
        return _rejected(RejectReason.UNKNOWN_TYPE, f"type {str(kind)[:40]!r}", raw, channel)
    if kind in ("subscribed", "channel_data", "channel_batch_data") and channel not in CHANNELS:
        return _rejected(RejectReason.UNKNOWN_CHANNEL, f"channel {channel!r}", raw, channel)
    return _rejected(RejectReason.INVALID_FIELDS, _first_error(error), raw, channel)


def _too_deep_for_rust(error: ValidationError) -> bool:
    # The Rust parser stops at 200 levels, the json module much later.
    first = error.errors(include_url=False)[0]
    return first["type"] == "json_invalid" and "recursion" in str(first.get("ctx", ""))


def _first_error(error: ValidationError) -> str:
    errors = error.errors(include_url=False, include_input=False)
    first = errors[0]
    # Drop pydantic's internal union-branch names ("function-after[Decimal(), ...]").
    where = ".".join(str(part) for part in first["loc"] if "[" not in str(part))
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}"[:200] + more


def _rejected(
    reason: RejectReason, detail: str, raw: str | bytes, channel: str | None
) -> MessageRejected:
    if channel is None:
        channel = _channel_from_text(raw)
    return MessageRejected(reason, detail[:300], channel, _excerpt(raw))


def _channel_from_text(raw: str | bytes) -> str | None:
    head = raw[:4096]
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    match = _CHANNEL_IN_TEXT.search(head)
    return match.group(1).decode("ascii") if match else None


def _excerpt(raw: str | bytes) -> str:
    head = raw[: EXCERPT_CHARS * 4]
    if isinstance(head, bytes):
        head = head.decode("utf-8", "replace")
    text = head.encode("utf-8", "replace").decode("utf-8")  # drop lone surrogates
    return text[:EXCERPT_CHARS]


class RejectCounter:
    """Counts rejected frames by reason and channel, and logs each one."""

    def __init__(self, log: logging.Logger = logger) -> None:
        self._log = log
        self.by_reason: Counter[str] = Counter()
        self.by_channel: Counter[str] = Counter()
        self.last: MessageRejected | None = None

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())

    def record(self, rejection: MessageRejected) -> None:
        self.by_reason[rejection.reason] += 1
        self.by_channel[rejection.channel or "?"] += 1
        self.last = rejection
        self._log.warning(
            "indexer message rejected (%s) on channel %s: %s; excerpt %r",
            rejection.reason.value,
            rejection.channel or "?",
            rejection.detail,
            rejection.excerpt,
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the status screen and `dydx-tui status --json`."""
        return {
            "total": self.total,
            "by_reason": {str(k): v for k, v in sorted(self.by_reason.items())},
            "by_channel": dict(sorted(self.by_channel.items())),
        }
