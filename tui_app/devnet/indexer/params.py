"""Query-string validation with comlink's error shape.

comlink validates with express-validator v6; a failure is a 400 whose body lists one item
per bad parameter: `{"errors": [{"value", "msg", "param", "location"}]}`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from multidict import MultiMapping

from tui_app.devnet.accounts import is_valid_address

from .parents import js_number

MAX_SUBACCOUNT_NUMBER = 128_000
MAX_LIMIT = 1000
LIMIT_MESSAGE = f"limit must be a positive integer that is not greater than max: {MAX_LIMIT}"


class ParamError(Exception):
    def __init__(self, items: list[dict]) -> None:
        super().__init__(items)
        self.items = items

    def body(self) -> dict:
        return {"errors": self.items}


def error_item(param: str, value: object, msg: str, location: str = "query") -> dict:
    return {"value": value, "msg": msg, "param": param, "location": location}


def missing_item(param: str, msg: str, location: str = "query") -> dict:
    """express-validator's item for an absent field: its value is undefined, which
    JSON.stringify leaves out."""
    return {"msg": msg, "param": param, "location": location}


def json_number(number: float) -> int | float | None:
    """A JavaScript number as JSON.stringify writes it (NaN and infinities become null)."""
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number


# validator.js isISO8601 (not strict): calendar dates with optional time and offset.
_ISO8601 = re.compile(
    r"[+-]?\d{4}(-\d{2}(-\d{2})?)?"
    r"([T ]\d{2}(:?\d{2}(:?\d{2}([.,]\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?"
)


def parse_iso8601(raw: str) -> datetime | None:
    """A date/time accepted by comlink's isISO8601 check, as UTC (None if rejected)."""
    if not _ISO8601.fullmatch(raw):
        return None
    text = raw.replace("Z", "+00:00").replace(",", ".")
    if len(text) == 4:
        text += "-01-01"
    elif len(text) == 7:
        text += "-01"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Params:
    """Reads typed values from a query string, collecting every error before raising."""

    def __init__(self, query: MultiMapping[str], location: str = "query") -> None:
        self.query = query
        self.location = location
        self.errors: list[dict] = []

    def _fail(self, name: str, value: object, msg: str) -> None:
        self.errors.append(error_item(name, value, msg, self.location))

    def check(self) -> None:
        if self.errors:
            raise ParamError(self.errors)

    def address(self, name: str = "address") -> str:
        value = self.query.get(name)
        if value is None:
            self._fail(name, value, f"{name} is required")
            return ""
        if not is_valid_address(value):
            self._fail(name, value, "address must be a valid dydx address")
        return value

    def subaccount_number(self, name: str = "subaccountNumber", required: bool = True) -> int:
        value = self.integer(name, 0, MAX_SUBACCOUNT_NUMBER, required=required)
        return value if value is not None else 0

    def integer(
        self, name: str, low: int, high: int, default: int | None = None, required: bool = False
    ) -> int | None:
        raw = self.query.get(name)
        if raw is None:
            if required:
                self._fail(name, raw, f"{name} is required")
            return default
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            self._fail(name, raw, f"{name} must be an integer between {low} and {high}")
            return default
        return value

    def limit(self) -> int:
        """comlink's limit: `+value` (a JavaScript number), a whole 1..1000, default 1000;
        the error item carries the converted value."""
        raw = self.query.get("limit")
        if raw is None:
            return MAX_LIMIT
        number = js_number(raw)
        if not math.isfinite(number) or not number.is_integer() or not 0 < number <= MAX_LIMIT:
            self._fail("limit", json_number(number), LIMIT_MESSAGE)
            return MAX_LIMIT
        return int(number)

    def choices(self, name: str, allowed: Iterable[str]) -> list[str] | None:
        """A comma-separated and/or repeated list of names; None when absent."""
        raws = self.query.getall(name, [])
        if not raws:
            return None
        allowed = set(allowed)
        values = [v for raw in raws for v in raw.split(",") if v]
        bad = [v for v in values if v not in allowed]
        if bad:
            self._fail(name, raws[0], f"{name} must be one of {', '.join(sorted(allowed))}")
        return values

    def choice(self, name: str, allowed: Iterable[str]) -> str | None:
        raw = self.query.get(name)
        if raw is not None and raw not in set(allowed):
            self._fail(name, raw, f"{name} must be one of {', '.join(sorted(allowed))}")
        return raw

    def timestamp(self, name: str) -> datetime | None:
        raw = self.query.get(name)
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            self._fail(name, raw, f"{name} must be a valid ISO 8601 date")
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def boolean(self, name: str) -> bool | None:
        raw = self.query.get(name)
        if raw is None:
            return None
        # dydx-v4-client sends Python's str(True) = "True"; be as lenient as comlink's
        # express-validator `isBoolean` (loose mode).
        lowered = raw.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        self._fail(name, raw, f"{name} must be a boolean")
        return None
