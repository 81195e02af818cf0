"""The app's widgets: header, network badge, live tables (orders, positions, fills,
history, markets) and the status bar. `format` holds the pure cell formatting."""
