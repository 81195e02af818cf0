"""Shared helpers for the app-layer tests: the captured indexer samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "indexer_samples"


def sample_bytes(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def sample_json(name: str) -> dict:
    return json.loads(sample_bytes(name))


@pytest.fixture
def samples_dir() -> Path:
    return SAMPLES
