"""parse_message's NaN/Infinity pre-scan: the three-byte search starts at the first
capital N, so a NaN after another N (an OPEN status, a LONG side) must still be found."""

from __future__ import annotations

import json

import pytest

from tui_app.models import parse_message
from tui_app.models.parsing import RejectReason


def frame_with(extra: str, *, status: str = "OPEN") -> str:
    order = {"id": "o1", "status": status, "side": "BUY", "size": "1", "price": "2"}
    envelope = {
        "type": "channel_data",
        "connection_id": "c",
        "message_id": 1,
        "id": "addr/0",
        "channel": "v4_subaccounts",
        "version": "3.0.0",
        "contents": {"orders": [order]},
    }
    text = json.dumps(envelope, separators=(",", ":"))
    return text[:-1] + "," + extra + "}"  # an extra, ignored key with a raw constant


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("as_bytes", [True, False])
def test_a_constant_after_an_earlier_capital_n_is_refused(constant, as_bytes):
    text = frame_with(f'"note":{constant}')
    assert text.index("N") < text.rindex(constant[-8:])  # OPEN comes first
    result = parse_message(text.encode() if as_bytes else text)
    assert result.reason is RejectReason.NON_FINITE_NUMBER


@pytest.mark.parametrize("as_bytes", [True, False])
def test_nan_inside_a_string_after_an_n_is_an_ordinary_frame(as_bytes):
    text = frame_with('"note":"NaN Infinity"')
    result = parse_message(text.encode() if as_bytes else text)
    assert result.contents.orders[0].status == "OPEN"
