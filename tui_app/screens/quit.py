"""Quitting while a request is in flight: ask first (its outcome would be unknown)."""

from __future__ import annotations

from collections.abc import Iterable

from tui_app.screens.confirm import ConfirmScreen


class QuitScreen(ConfirmScreen):
    """Dismisses True when the trader still wants to quit."""

    def __init__(self, in_flight: Iterable[str]) -> None:
        names = ", ".join(sorted(in_flight)) or "a request"
        super().__init__(
            "Quit while a request is in flight?",
            f"Still waiting for: {names}.\n"
            "If you quit now its outcome is unknown here; the next start reconciles it "
            "with the indexer.",
            confirm_label="Quit anyway",
        )
