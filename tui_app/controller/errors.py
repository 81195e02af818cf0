"""The controller's typed errors: each says what happened and what the trader can do."""

from __future__ import annotations


class ControllerError(Exception):
    """Base class. `str(error)` is a one-line message fit for a notification or a CLI."""

    retryable = False


class MetadataNotFound(ControllerError):
    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(
            f"order {order_id} is not known here nor on the indexer: check the id "
            "(`dydx-tui orders --status all` lists them)"
        )


class OrderExpired(ControllerError):
    def __init__(self, order_id: str, detail: str) -> None:
        self.order_id = order_id
        super().__init__(f"order {order_id} has already expired ({detail}): nothing to cancel")


class AlreadyCancelled(ControllerError):
    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"order {order_id} is already cancelled")


class AlreadyFilled(ControllerError):
    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"order {order_id} is already filled: nothing to cancel")


class InvalidMetadata(ControllerError):
    def __init__(self, order_id: str, reason: str) -> None:
        self.order_id = order_id
        super().__init__(f"stored data of order {order_id} cannot build a cancel: {reason}")


class InvalidOrder(ControllerError):
    """A request refused before anything was sent; names the field and why."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class NetworkError(ControllerError):
    """The node or indexer could not be reached; nothing was sent. Try again."""

    retryable = True


class OutcomeUnknown(ControllerError):
    """A request may or may not have landed (timeout); reconciliation will settle it."""


class ChainRejected(ControllerError):
    def __init__(
        self, codespace: str, code: int, raw_log: str, *, order_id: str | None = None
    ) -> None:
        self.codespace = codespace
        self.code = code
        self.raw_log = raw_log
        self.order_id = order_id  # the order's row (now `rejected`), when there is one
        super().__init__(f"the chain refused it ({codespace} {code}): {raw_log}")


class RateLimited(ControllerError):
    retryable = True

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        super().__init__(f"too many requests: try again in {wait_seconds:.1f} s")


class ReadOnly(ControllerError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"trading is disabled: {reason}")
