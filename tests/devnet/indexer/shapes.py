"""Structural comparison of our messages with real captures: keys and value types."""

from __future__ import annotations

from typing import Any

# Fields the current indexer sends that the 2024 captures predate (protocol notes 1.6, 1.9;
# candles' book mid prices: v4-chain ender's CandlesGenerator, after the July 2024 capture).
NEWER_FIELDS = frozenset(
    {"affiliateRevShare", "defaultFundingRate1H", "orderbookMidPriceOpen", "orderbookMidPriceClose"}
)
# Objects keyed by ticker or symbol: their values are compared, not their keys.
MAPS = frozenset({"openPerpetualPositions", "assetPositions", "markets", "oraclePrices", "trading"})


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return type(value).__name__


def shape_differences(ours: Any, real: Any, path: str = "$") -> list[str]:
    """Where `ours` differs from `real` in keys or value types (values are not compared)."""
    if path.rsplit(".", 1)[-1] in MAPS and isinstance(real, dict) and isinstance(ours, dict):
        if real and ours:
            first = next(iter(ours.values())), next(iter(real.values()))
            return shape_differences(*first, f"{path}[*]")
        return []
    if isinstance(real, dict) and isinstance(ours, dict):
        problems = []
        missing = real.keys() - ours.keys()
        extra = ours.keys() - real.keys() - NEWER_FIELDS
        if missing:
            problems.append(f"{path}: missing {sorted(missing)}")
        if extra:
            problems.append(f"{path}: extra {sorted(extra)}")
        for key in real.keys() & ours.keys():
            problems += shape_differences(ours[key], real[key], f"{path}.{key}")
        return problems
    if isinstance(real, list) and isinstance(ours, list):
        if real and ours:
            return shape_differences(ours[0], real[0], f"{path}[0]")
        return []
    # A null in the capture may be a value in ours (and the other way round) for nullable
    # fields such as exitPrice or goodTilBlockTime.
    if real is None or ours is None:
        return []
    if kind(ours) != kind(real):
        return [f"{path}: {kind(ours)} where the capture has {kind(real)}"]
    return []


def assert_same_shape(ours: Any, real: Any) -> None:
    problems = shape_differences(ours, real)
    assert not problems, "\n".join(problems)


def assert_dict_shape(ours: dict, real: dict) -> None:
    """Both dicts have the same keys (modulo newer fields) and value types."""
    assert_same_shape(ours, real)
