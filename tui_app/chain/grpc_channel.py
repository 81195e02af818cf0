"""The gRPC channel to the validator: keepalive options and a deadline on every call.

dydx-v4-client's stubs are called without a timeout, so a hung node would hold the
worker thread forever. `DeadlineInterceptor` gives each call the deadline of the gateway
job it runs in (see worker.CALL_DEADLINE), so the thread is free when the caller gives up.
"""

from __future__ import annotations

import collections
import time

import grpc

from tui_app.chain.worker import CALL_DEADLINE

# Keepalive: notice a dead connection (a NAT dropping it, a node gone) within ~40 s
# instead of on the next call's deadline. Pings also while idle, so the first call after
# a quiet minute does not hit a half-open socket.
KEEPALIVE_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
)
CHANNEL_OPTIONS: tuple[tuple[str, int], ...] = (
    *KEEPALIVE_OPTIONS,
    # Reconnect quickly after a node restart (defaults: 1 s initial, 120 s max).
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 5_000),
    # Retries are ours (only for idempotent calls or identical signed bytes).
    ("grpc.enable_retries", 0),
    ("grpc.max_receive_message_length", 32 * 1024 * 1024),
)


class _CallDetails(
    collections.namedtuple(
        "_CallDetails",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,
):
    pass


class DeadlineInterceptor(grpc.UnaryUnaryClientInterceptor):
    """Sets the current job's remaining time as the timeout of calls that have none."""

    def intercept_unary_unary(self, continuation, client_call_details, request):
        deadline = CALL_DEADLINE.get()
        if deadline is not None and client_call_details.timeout is None:
            remaining = max(0.001, deadline - time.monotonic())
            client_call_details = _CallDetails(
                client_call_details.method,
                remaining,
                client_call_details.metadata,
                client_call_details.credentials,
                client_call_details.wait_for_ready,
                client_call_details.compression,
            )
        return continuation(client_call_details, request)


def make_channel(target: str, *, secure: bool) -> tuple[grpc.Channel, grpc.Channel]:
    """(raw channel to close later, intercepted channel for the stubs)."""
    if "://" in target:
        raise ValueError(f"gRPC target {target!r} must be host:port, without a scheme")
    options = list(CHANNEL_OPTIONS)
    if secure:
        raw = grpc.secure_channel(target, grpc.ssl_channel_credentials(), options=options)
    else:
        raw = grpc.insecure_channel(target, options=options)
    return raw, grpc.intercept_channel(raw, DeadlineInterceptor())
