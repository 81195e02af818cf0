"""A seeded generator of hostile indexer frames: real captures, mutated.

Each frame starts from a captured sample (tests/fixtures/indexer_samples) and gets one
mutation: none, a replaced leaf (wrong type, NaN text, huge or negative number, long
string, null), a deleted or added key, a bogus type or channel, cut-off or byte-flipped
JSON, invalid UTF-8, NaN/Infinity constants, deep nesting, a non-object. The same seed
gives the same frames, so a failure can be replayed.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "indexer_samples"

_JUNK: list[Any] = [
    None, True, -1, 0, 1e308, -1e-308, 2**70, "", "NaN", "Infinity", "-0", "1e999999",
    "１２３", "1_000", " 5 ", "x" * 5000, [], {}, [1, [2, [3]]], {"a": {"b": None}},
    "dydx1invalid", "00000000-0000-0000-0000-000000000000", 3.5, "\u0000\ud800",
]  # fmt: skip


def load_samples() -> list[dict]:
    samples = []
    for path in sorted(SAMPLES.glob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "type" in data:
            samples.append(data)
    return samples


class FrameFuzzer:
    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.samples = load_samples()
        self.message_id = 0

    def frames(self, count: int) -> list[str | bytes]:
        return [self.frame() for _ in range(count)]

    def frame(self) -> str | bytes:
        rng = self.rng
        data = json.loads(json.dumps(rng.choice(self.samples)))  # a deep copy
        self.message_id += 1
        data["connection_id"] = "fuzz"
        data["message_id"] = self.message_id
        mutation = rng.randrange(14)
        if mutation == 0:
            return json.dumps(data)  # a valid frame now and then
        if mutation in (1, 2, 3):
            self._replace_leaf(data)
        elif mutation == 4:
            self._delete_key(data)
        elif mutation == 5:
            self._pick_container(data)[f"unknown_{rng.randrange(100)}"] = rng.choice(_JUNK)
        elif mutation == 6:
            data["type"] = rng.choice(["", "subscribed", "channel_data", "bogus", 7, None])
        elif mutation == 7:
            data["channel"] = rng.choice(["v4_nope", "", None, 1, "v4_subaccounts"])
        elif mutation == 8:
            text = json.dumps(data)
            return text[: rng.randrange(len(text))]
        elif mutation == 9:
            raw = bytearray(json.dumps(data).encode())
            for _ in range(rng.randrange(1, 6)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            return bytes(raw)
        elif mutation == 10:
            return json.dumps(data).replace('"', "", 1).encode() + b"\xff\xfe"
        elif mutation == 11:
            text = json.dumps(data)
            return text.replace('"1"', rng.choice(["NaN", "Infinity", "-Infinity", "1e999"]), 1)
        elif mutation == 12:
            depth = rng.choice([50, 300, 5000])
            return '{"type":"channel_data","contents":' + "[" * depth + "]" * depth + "}"
        else:
            return rng.choice(["[]", "null", '"text"', "42", "", " ", "{}", "[{}]"])
        return json.dumps(data)

    def _containers(self, node: Any, found: list) -> list:
        if isinstance(node, dict):
            found.append(node)
            for value in node.values():
                self._containers(value, found)
        elif isinstance(node, list):
            for value in node:
                self._containers(value, found)
        return found

    def _pick_container(self, data: dict) -> dict:
        return self.rng.choice(self._containers(data, []))

    def _replace_leaf(self, data: dict) -> None:
        container = self._pick_container(data)
        if container:
            key = self.rng.choice(list(container))
            container[key] = self.rng.choice(_JUNK)

    def _delete_key(self, data: dict) -> None:
        container = self._pick_container(data)
        if container:
            del container[self.rng.choice(list(container))]
