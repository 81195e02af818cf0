"""The mnemonic never shows: not in reprs, logs, error messages, nor tracebacks with locals.

Tracebacks are rendered the way Textual's crash report does (rich, `show_locals=True`) and
by the standard library with `capture_locals=True`; every chained exception is included.
The marker phrase reaches the app through `os.environ` or files, as it would in real use, so
the test's own frames hold no copy of it.
"""

from __future__ import annotations

import io
import logging
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from rich.traceback import Traceback

from tests.config.helpers import (
    MARKER_ADDRESS,
    MARKER_MNEMONIC,
    MARKER_WORDS,
    marker_leaks,
    write_private,
)
from tui_app.config import (
    ENV_MNEMONIC,
    ENV_MNEMONIC_FILE,
    STARTUP_ERRORS,
    EnvOverrides,
    load_config,
)
from tui_app.devnet.accounts import BOB


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def rendered(exc: BaseException) -> str:
    """The exception as rich (Textual's crash report) and traceback print it, with locals."""
    parts = [str(exc), repr(exc)]
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(
        Traceback.from_exception(
            type(exc), exc, exc.__traceback__, show_locals=True, locals_max_string=10_000
        )
    )
    parts.append(console.file.getvalue())  # type: ignore[attr-defined]
    parts.extend(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
    # Suppressed contexts too: a crash reporter could walk them.
    seen = exc.__context__ or exc.__cause__
    while seen is not None:
        parts.append(repr(seen) + str(seen))
        parts.extend(
            traceback.TracebackException.from_exception(seen, capture_locals=True).format()
        )
        seen = seen.__context__ or seen.__cause__
    return "\n".join(parts)


def failure_of(call: Callable[[], object]) -> BaseException:
    try:
        call()
    except STARTUP_ERRORS as exc:
        return exc
    raise AssertionError("expected a refusal")


def assert_clean(text: str) -> None:
    leaks = marker_leaks(text)
    assert not leaks, f"mnemonic words leaked: {leaks}"


def test_marker_is_findable():
    # The search itself works (guards against a vacuous pass).
    assert marker_leaks(f"x {MARKER_MNEMONIC} y")
    assert marker_leaks(" ".join(MARKER_WORDS[5:8]).replace(" ", "\n  "))


def test_resolved_config_never_shows_the_mnemonic(
    monkeypatch: pytest.MonkeyPatch, debug_logs: pytest.LogCaptureFixture
):
    monkeypatch.setenv(ENV_MNEMONIC, MARKER_MNEMONIC)
    resolved = load_config(cli_network="testnet")
    assert resolved.address == MARKER_ADDRESS
    credentials = resolved.credentials
    for text in (
        repr(resolved),
        str(resolved),
        resolved.model_dump_json(),
        str(resolved.model_dump()),
        repr(credentials),
        str(credentials),
        repr(credentials.mnemonic),
        str(credentials.mnemonic),
        f"{credentials.mnemonic}",
        repr(EnvOverrides.from_environ()),
        debug_logs.text,
    ):
        assert_clean(text)
    # ... while the signer can still have it.
    assert credentials.mnemonic is not None
    assert credentials.mnemonic.get_secret_value() == MARKER_MNEMONIC


def test_mnemonic_file_path_is_fine_to_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    secret = write_private(tmp_path / "mnemonic", MARKER_MNEMONIC)
    monkeypatch.setenv(ENV_MNEMONIC_FILE, str(secret))
    resolved = load_config()
    assert_clean(repr(resolved))


def _scenario_address_mismatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_MNEMONIC, MARKER_MNEMONIC)
    (tmp_path / "c.yaml").write_text(f"network: testnet\naccount:\n  address: {BOB.address}\n")
    monkeypatch.setenv("DYDX_TUI_CONFIG", str(tmp_path / "c.yaml"))


def _scenario_bad_checksum(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = MARKER_WORDS[:-1] + ["zoo" if MARKER_WORDS[-1] != "zoo" else "abandon"]
    monkeypatch.setenv(ENV_MNEMONIC, " ".join(broken))


def _scenario_file_too_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = write_private(tmp_path / "mnemonic", MARKER_MNEMONIC, mode=0o644)
    monkeypatch.setenv(ENV_MNEMONIC_FILE, str(secret))


def _scenario_file_bad_phrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = write_private(tmp_path / "mnemonic", MARKER_MNEMONIC + " extra")
    monkeypatch.setenv(ENV_MNEMONIC_FILE, str(secret))


def _config_with(text: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (tmp_path / "c.yaml").write_text(text)
        monkeypatch.setenv("DYDX_TUI_CONFIG", str(tmp_path / "c.yaml"))

    return scenario


SCENARIOS = {
    "address mismatch": _scenario_address_mismatch,
    "invalid checksum": _scenario_bad_checksum,
    "file too open": _scenario_file_too_open,
    "file with a bad phrase": _scenario_file_bad_phrase,
    "phrase in the config": _config_with(f"account:\n  address: {MARKER_MNEMONIC}\n"),
    "phrase under a secret key": _config_with(f"mnemonic: {MARKER_MNEMONIC}\n"),
    "phrase in broken YAML": _config_with(f"note: {MARKER_MNEMONIC}\nendpoints: [\n"),
    # Too few words to look like a phrase: the schema error must not quote the value.
    "words in a wrong-typed value": _config_with(
        "account:\n  address: " + " ".join(MARKER_WORDS[:6]) + "\n"
    ),
    "words as an unknown key": _config_with(" ".join(MARKER_WORDS[:6]) + ": 1\n"),
    "words in a duplicated key": _config_with(
        f"x: {' '.join(MARKER_WORDS[:6])}\nx: {' '.join(MARKER_WORDS[:6])}\n"
    ),
    "words as a duplicated key": _config_with(
        f"{' '.join(MARKER_WORDS[:6])}: 1\n{' '.join(MARKER_WORDS[:6])}: 2\n"
    ),
    "words as a nested unknown key": _config_with(
        f"account:\n  {' '.join(MARKER_WORDS[:6])}: 1\n"
    ),
    "words as an action id": _config_with(f"keys:\n  {' '.join(MARKER_WORDS[:6])}: q\n"),
    "words as a key binding": _config_with(f"keys:\n  quit: {' '.join(MARKER_WORDS[:6])}\n"),
    "words in a bad URL": _config_with(
        "endpoints:\n  rest_url: http://" + "-".join(MARKER_WORDS[:6]) + " x\n"
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_refusals_never_show_the_mnemonic(
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    debug_logs: pytest.LogCaptureFixture,
):
    SCENARIOS[name](tmp_path, monkeypatch)
    exc = failure_of(lambda: load_config())
    assert_clean(rendered(exc))
    assert_clean(debug_logs.text)
