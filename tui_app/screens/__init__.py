"""Screens: modal dialogs and forms the app shell pushes (UI layer, imports Textual).

One screen per module; `actions.TradingActions` runs the controller in workers for the
app's thin actions.
"""
