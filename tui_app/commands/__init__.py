"""Subcommands of `dydx-tui` other than the TUI itself (no UI imports here)."""
