"""Strict number types for indexer fields: decimals and integers sent as text.

The indexer sends prices, sizes, heights and ids as JSON strings. Python's own parsers are
too forgiving for money: `Decimal()` takes "NaN", "Infinity", "1_000", " 1 ", full-width and
Arabic-Indic digits, and "1e999999"; pydantic's lax int takes "1_000", " 12 " and "12.0".
So every such field must match one ASCII pattern first (reliability notes, "Bad input in
Python"). Floats are refused outright: a binary float is never a price.

The patterns run in pydantic's Rust core and the conversion is a direct call of `Decimal`
or `int`, with no Python function in between: this is the feed's hot path.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import GetPydanticSchema
from pydantic_core import core_schema as cs

# Plain decimal text; a short exponent is tolerated (JavaScript prints tiny rates as 1e-7),
# a long one ("1e999999") is not.
DECIMAL_PATTERN = r"^-?[0-9]{1,40}(?:\.[0-9]{1,40})?(?:[eE][+-]?[0-9]{1,2})?$"
NON_NEGATIVE_DECIMAL_PATTERN = DECIMAL_PATTERN.replace("^-?", "^")
INT_PATTERN = r"^-?[0-9]{1,20}$"
INT_LIMIT = 10**20  # heights, client ids and quantums all fit in 64 bits

_DECIMAL_RE = re.compile(DECIMAL_PATTERN)
_INT_RE = re.compile(INT_PATTERN)


def parse_decimal(value: Any) -> Decimal:
    """Strict parse for code outside the models (user input, config): ValueError if bad."""
    if type(value) is str and _DECIMAL_RE.match(value):
        return Decimal(value)
    if type(value) is int and -INT_LIMIT < value < INT_LIMIT:
        return Decimal(value)
    if type(value) is Decimal and value.is_finite():
        return value
    raise ValueError(f"not a plain decimal: {str(value)[:40]!r}")


def parse_int(value: Any) -> int:
    if type(value) is str and _INT_RE.match(value):
        return int(value)
    if type(value) is int and -INT_LIMIT < value < INT_LIMIT:
        return value
    raise ValueError(f"not a plain integer: {str(value)[:40]!r}")


def _finite_decimal(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("decimal must be finite")
    return value


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _decimal_schema(pattern: str, non_negative: bool) -> cs.CoreSchema:
    json_int = cs.int_schema(strict=True, gt=-INT_LIMIT, lt=INT_LIMIT)
    # A Decimal object only reaches here from Python code (tests, the controller).
    python_decimal = cs.no_info_after_validator_function(
        _finite_decimal, cs.is_instance_schema(Decimal)
    )
    branches: list[cs.CoreSchema] = [
        cs.no_info_after_validator_function(Decimal, cs.str_schema(pattern=pattern)),
        cs.no_info_after_validator_function(Decimal, json_int),
        python_decimal,
    ]
    if non_negative:
        branches[1] = cs.no_info_after_validator_function(
            Decimal, cs.int_schema(strict=True, ge=0, lt=INT_LIMIT)
        )
        branches[2] = cs.no_info_after_validator_function(_non_negative, python_decimal)
    return cs.union_schema(branches, mode="left_to_right")


_INT_SCHEMA = cs.union_schema(
    [
        # The pattern vets the text, then the Rust int parser converts it.
        cs.chain_schema([cs.str_schema(pattern=INT_PATTERN), cs.int_schema()]),
        cs.int_schema(strict=True, gt=-INT_LIMIT, lt=INT_LIMIT),
    ],
    mode="left_to_right",
)
_DEC_SCHEMA = _decimal_schema(DECIMAL_PATTERN, non_negative=False)
_NON_NEG_DEC_SCHEMA = _decimal_schema(NON_NEGATIVE_DECIMAL_PATTERN, non_negative=True)

Dec = Annotated[Decimal, GetPydanticSchema(lambda _tp, _handler: _DEC_SCHEMA)]
"""A signed decimal (sizes of positions, PnL, fees, funding)."""
NonNegDec = Annotated[Decimal, GetPydanticSchema(lambda _tp, _handler: _NON_NEG_DEC_SCHEMA)]
"""A decimal >= 0 (prices, order sizes)."""
IntText = Annotated[int, GetPydanticSchema(lambda _tp, _handler: _INT_SCHEMA)]
"""An integer the indexer may send as a string ("18794557") or as a JSON number."""
