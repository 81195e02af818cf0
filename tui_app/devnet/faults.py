"""Switches that make the devnet misbehave on purpose (all off by default).

One `Faults` object is shared by the validator and the indexer of a devnet; tests and the
admin endpoint flip its fields. Reads happen on the devnet's event loop; writes from other
threads are single attribute assignments, which is safe in CPython.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class GrpcFaults:
    # Answer every call with UNAVAILABLE.
    unavailable: bool = False
    # Never answer (the caller's deadline fires).
    hang: bool = False


@dataclass
class IndexerFaults:
    """The indexer's switches; one-shot counters are used up by the messages they spoil."""

    # Refuse WebSocket handshakes (HTTP 503) until this time.monotonic() instant.
    ws_refuse_until: float = 0.0
    # Extra delay per channel (e.g. {"v4_orderbook": 2000}); later messages overtake them.
    ws_channel_delay_ms: dict[str, int] = field(default_factory=dict)
    # Channels whose updates are not sent at all (as if the producer had stalled).
    ws_silenced_channels: set[str] = field(default_factory=set)
    # The next N data messages skip one message_id each (a gap a client can detect).
    ws_skip_message_ids: int = 0
    # The next N data messages go out as broken JSON.
    ws_malformed_messages: int = 0
    # The next N data messages carry an extra, unknown field.
    ws_unknown_field_messages: int = 0
    # Answer every REST request with this status (429 or 500); None is normal service.
    rest_status: int | None = None
    # Never answer REST requests (the client's timeout fires).
    rest_hang: bool = False

    def refuse_ws_for(self, seconds: float) -> None:
        self.ws_refuse_until = time.monotonic() + seconds

    def ws_refusing(self) -> bool:
        return time.monotonic() < self.ws_refuse_until


@dataclass
class Faults:
    # Added to every gRPC call, REST request and WebSocket message (models a distant node).
    latency_ms: int = 0
    grpc: GrpcFaults = None  # type: ignore[assignment]
    # Stop producing blocks (the chain's height stays put).
    freeze_blocks: bool = False
    indexer: IndexerFaults = field(default_factory=IndexerFaults)

    def __post_init__(self) -> None:
        if self.grpc is None:
            self.grpc = GrpcFaults()
