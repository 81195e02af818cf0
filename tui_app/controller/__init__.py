"""The order controller: place, cancel, cancel-all, close, reconcile (no UI imports)."""
