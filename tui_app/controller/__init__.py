"""The order controller: place, cancel, cancel-all, close, reconcile (no UI imports).

Entry points (import them from their modules; this package imports nothing heavy, so the
UI can take `errors` and `requests` without grpc):

- `controller.OrderController`: the one object the TUI and the CLI call;
- `requests`: PlaceRequest, CancelScope and the outcomes; `errors`: the typed errors;
- `settings.ControllerSettings.from_config(resolved_config)`;
- `indexer.RestIndexerReader(RestPoller(...))` and `markets.IndexerMarkets(reader, live=...)`;
- `tui_app.commands.session.open_session` shows the whole assembly for the CLI.
"""
