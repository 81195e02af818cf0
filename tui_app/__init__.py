"""dydx-tui: a keyboard-driven terminal trading app for dYdX v4."""

__version__ = "0.1.0"
