"""How many `v4_subaccounts` order updates per second parse_message + AccountState.apply
sustain on one core. Run: .venv/bin/python benchmarks/parse_apply.py [count]

Messages are compact JSON shaped like the real captures (one order per channel_data,
full fields, status cycling through OPEN with growing fills, then FILLED), over 1,000
live orders; no network, no UI.
"""

from __future__ import annotations

import json
import sys
import time

from tui_app import ids
from tui_app.models import parse_message
from tui_app.state import AccountState

ADDRESS = "dydx1kzsvkf2ghjqlysuffdkhcdctknl4rsvcx5hkm5"
ORDERS = 1_000


def order_update(message_id: int, client_id: int, step: int) -> bytes:
    filled = min(step, 5)
    order = {
        "id": ids.order_uuid(ADDRESS, 0, client_id, 1, 64),
        "subaccountId": ids.subaccount_uuid(ADDRESS, 0),
        "clientId": str(client_id),
        "clientMetadata": "0",
        "clobPairId": "1",
        "createdAtHeight": "18786007",
        "goodTilBlockTime": "2024-09-09T11:19:22.000Z",
        "orderFlags": "64",
        "postOnly": False,
        "price": "2666.4",
        "reduceOnly": False,
        "side": "BUY",
        "size": "0.005",
        "status": "FILLED" if filled == 5 else "OPEN",
        "ticker": "ETH-USD",
        "timeInForce": "GTT",
        "totalFilled": f"0.00{filled}",
        "type": "LIMIT",
        "updatedAt": "2024-08-12T11:19:22.082Z",
        "updatedAtHeight": str(18786007 + step),
    }
    envelope = {
        "type": "channel_data",
        "connection_id": "643c68a7-d84c-4929-97c2-23f471931825",
        "message_id": message_id,
        "id": f"{ADDRESS}/0",
        "channel": "v4_subaccounts",
        "version": "3.0.0",
        "contents": {"blockHeight": str(18786006 + step), "orders": [order]},
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    frames = [order_update(i + 1, i % ORDERS, i // ORDERS) for i in range(count)]
    state = AccountState(ADDRESS, 0)
    state.subscribe(lambda change: None)

    # CPU time of this process: the machine may be shared, and waiting for a core is not
    # the parser's cost.
    start = time.process_time()
    for raw in frames:
        state.apply(parse_message(raw))
    elapsed = time.process_time() - start
    seen = len(state.orders)

    # The parts alone, over the same frames (the first ones are mostly OPEN orders, the
    # later ones FILLED repeats, which parse a little faster).
    # (Each result is dropped at once, as in the app: keeping 100,000 messages would time
    # the garbage collector walking them.)
    parse_only = time.process_time()
    for raw in frames:
        parse_message(raw)
    parse_elapsed = time.process_time() - parse_only
    messages = [parse_message(raw) for raw in frames]
    fresh = AccountState(ADDRESS, 0)
    fresh.subscribe(lambda change: None)
    apply_only = time.process_time()
    for message in messages:
        fresh.apply(message)
    apply_elapsed = time.process_time() - apply_only

    print(f"{count} order updates ({len(frames[0])} bytes each), {seen} orders tracked")
    print(f"parse + apply: {count / elapsed:,.0f}/s ({elapsed / count * 1e6:.1f} us each)")
    print(
        f"parse only:    {count / parse_elapsed:,.0f}/s ({parse_elapsed / count * 1e6:.1f} us each)"
    )
    print(
        f"apply only:    {count / apply_elapsed:,.0f}/s ({apply_elapsed / count * 1e6:.1f} us each)"
    )
    print(f"resync needed: {state.needs_resync}, apply errors: {state.apply_errors}")


if __name__ == "__main__":
    main()
