"""Switches that make the devnet misbehave on purpose (all off by default).

One `Faults` object is shared by the validator and the indexer of a devnet; tests and the
admin endpoint flip its fields. Reads happen on the devnet's event loop; writes from other
threads are single attribute assignments, which is safe in CPython.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GrpcFaults:
    # Answer every call with UNAVAILABLE.
    unavailable: bool = False
    # Never answer (the caller's deadline fires).
    hang: bool = False


@dataclass
class Faults:
    # Added to every gRPC call, REST request and WebSocket message (models a distant node).
    latency_ms: int = 0
    grpc: GrpcFaults = None  # type: ignore[assignment]
    # Stop producing blocks (the chain's height stays put).
    freeze_blocks: bool = False

    def __post_init__(self) -> None:
        if self.grpc is None:
            self.grpc = GrpcFaults()
