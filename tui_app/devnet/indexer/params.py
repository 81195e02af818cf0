"""Query-string validation with comlink's error shape.

comlink validates with express-validator v6; a failure is a 400 whose body lists one item
per bad parameter: `{"errors": [{"value", "msg", "param", "location"}]}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from multidict import MultiMapping

from tui_app.devnet.accounts import is_valid_address

MAX_SUBACCOUNT_NUMBER = 128_000
MAX_LIMIT = 1000


class ParamError(Exception):
    def __init__(self, items: list[dict]) -> None:
        super().__init__(items)
        self.items = items

    def body(self) -> dict:
        return {"errors": self.items}


def error_item(param: str, value: object, msg: str, location: str = "query") -> dict:
    return {"value": value, "msg": msg, "param": param, "location": location}


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
        return self.integer("limit", 1, MAX_LIMIT, default=MAX_LIMIT) or MAX_LIMIT

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
