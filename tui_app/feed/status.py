"""The feed's connection status, as data (the status bar and `dydx-tui status` show it)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime


class WsState(enum.Enum):
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    POLLING = "polling"
    STOPPED = "stopped"


@dataclass(frozen=True)
class ConnectionStatus:
    network: str
    chain_id: str
    ws_state: WsState = WsState.CONNECTING
    reconnect_attempt: int = 0
    max_reconnects_before_polling: int = 5
    # Monotonic seconds of the last indexer message (WebSocket or REST poll); None: never.
    last_message_at: float | None = None
    messages_per_second: float = 0.0
    block_height: int | None = None
    block_time: datetime | None = None
    # Node height minus indexer height (None until both are known).
    indexer_lag_blocks: int | None = None
    round_trip_ms: float | None = None
    rest_rate_limited_until: float | None = None
    last_error: str = ""
    resyncs: int = 0
    rejected_messages: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def with_changes(self, **changes) -> ConnectionStatus:
        return replace(self, **changes)

    @property
    def state_label(self) -> str:
        if self.ws_state is WsState.RECONNECTING:
            return f"reconnecting {self.reconnect_attempt}/{self.max_reconnects_before_polling}"
        return self.ws_state.value

    def message_age(self, now: float) -> float | None:
        return None if self.last_message_at is None else max(0.0, now - self.last_message_at)
