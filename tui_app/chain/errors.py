"""Errors of the node gateway. None of them ever carries key material."""

from __future__ import annotations


class GatewayError(Exception):
    """Base class of everything NodeGateway raises."""


class OutcomeUnknown(GatewayError):
    """No answer in time (or the connection failed mid-call): the call may still land.

    Never treat this as "failed": a place or cancel that timed out must be settled by
    reconciliation against the indexer.
    """


class NetworkError(GatewayError):
    """The node could not be reached (after retries); nothing was changed. Retry later."""


class NodeError(GatewayError):
    """The node refused the call itself (a gRPC status such as INVALID_ARGUMENT)."""

    def __init__(self, status: str, details: str) -> None:
        self.status = status
        self.details = details
        super().__init__(f"node answered {status}: {details}")


class ChainIdMismatch(GatewayError):
    """The node serves another chain than the one chosen; nothing is signed for it."""

    def __init__(self, expected: str, actual: str) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"the node serves chain {actual!r}, not {expected!r}: check --network and the node URL"
        )


class SigningKeyError(GatewayError):
    """The signing key cannot be used (invalid mnemonic, or not the configured address)."""


class GatewayClosed(GatewayError):
    def __init__(self) -> None:
        super().__init__("the node gateway is closed")
