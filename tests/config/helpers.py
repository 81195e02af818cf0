"""Shared by the config tests: a marker mnemonic and a search for pieces of it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bip_utils import Bip39MnemonicGenerator

# A valid 24-word phrase made for these tests only, never funded. Tests search for any three
# consecutive words of it wherever the app could leak it.
MARKER_MNEMONIC = str(
    Bip39MnemonicGenerator().FromEntropy(hashlib.sha256(b"dydx-tui marker mnemonic").digest())
)
MARKER_WORDS = MARKER_MNEMONIC.split()
MARKER_ADDRESS = "dydx1nr97ey073nlxkuzjvp0vv9yhg447ywnjrax24k"


def marker_leaks(text: str) -> list[str]:
    """Every run of three consecutive marker words found in `text` (any spacing)."""
    squashed = " ".join(text.split())
    triples = {" ".join(MARKER_WORDS[i : i + 3]) for i in range(len(MARKER_WORDS) - 2)}
    return sorted(t for t in triples if t in squashed)


def write_private(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path
