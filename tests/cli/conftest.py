"""Run `dydx-tui` commands as subprocesses against a devnet, as a user or a script would."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.controller.conftest import devnet  # noqa: F401 (module-scoped in-process devnet)

READY_TIMEOUT = 30.0
CLI_TIMEOUT = 60.0


class SimProcess:
    """`python -m tui_app sim` on free ports; stdout read on a thread for the ready line."""

    def __init__(self, tmp_path: Path, *extra: str) -> None:
        self.stderr_path = tmp_path / "sim-stderr.txt"
        env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
        args = [sys.executable, "-m", "tui_app", "sim", "--grpc-port", "0", "--rest-port", "0",
                "--ws-port", "0", "--block-time", "1.0", "--log-file", str(tmp_path / "sim.log"),
                *extra]  # fmt: skip
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        try:
            self.ready = json.loads(self.lines.get(timeout=READY_TIMEOUT))
        except queue.Empty:
            self.stop()
            raise AssertionError(f"no ready line: {self.stderr_path.read_text()}") from None

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.decode())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


class Cli:
    """`dydx-tui ...` with the devnet's endpoints in the environment and a private XDG.

    `cli(...)` runs a fresh `python -m tui_app` process (the real thing, ~2 s of imports);
    `cli.inline(...)` runs the same `main()` in this process (fast; for the many checks).
    """

    def __init__(self, endpoints: dict, tmp_path: Path, db: Path) -> None:
        self.db = db
        self.config = tmp_path / "config.yaml"
        # Short-term orders live 20 blocks (20 s at 1 s a block): longer than a few commands.
        self.config.write_text("network: local\ntrading:\n  short_term_blocks: 20\n")
        self.log_file = tmp_path / "cli.log"
        self.env = dict(
            os.environ,
            DYDX_GRPC_ADDR=endpoints["grpc"],
            DYDX_REST_URL=endpoints["rest"],
            DYDX_WS_URL=endpoints["ws"],
            XDG_CONFIG_HOME=str(tmp_path / "config"),
            XDG_DATA_HOME=str(tmp_path / "data"),
            XDG_STATE_HOME=str(tmp_path / "state"),
        )
        for name in ("DYDX_MNEMONIC", "DYDX_MNEMONIC_FILE", "DYDX_TUI_CONFIG"):
            self.env.pop(name, None)

    def args(self, *args: str, db: bool = True) -> list[str]:
        return [sys.executable, "-m", "tui_app", *self.command(*args, db=db)]

    def command(self, *args: str, db: bool = True) -> list[str]:
        extra = ["--db", str(self.db), "--log-file", str(self.log_file)] if db else []
        if db and "--config" not in args:
            extra += ["--config", str(self.config)]
        return [*args, *extra]

    def inline(self, *args: str, db: bool = True) -> CliResult:
        """`main()` in this process, with this environment; output captured."""
        import contextlib
        import io
        import logging

        from tui_app.cli import main

        out, err = io.StringIO(), io.StringIO()
        saved_env = dict(os.environ)
        root = logging.getLogger()
        saved_handlers, saved_level = list(root.handlers), root.level
        os.environ.clear()
        os.environ.update(self.env)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(self.command(*args, db=db))
                except SystemExit as exc:  # argparse refusals
                    code = int(exc.code or 0)
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            for handler in list(root.handlers):
                root.removeHandler(handler)
                if handler not in saved_handlers:
                    handler.close()
            for handler in saved_handlers:
                root.addHandler(handler)
            root.setLevel(saved_level)
        return CliResult(code, out.getvalue(), err.getvalue())

    def __call__(self, *args: str, db: bool = True) -> CliResult:
        done = subprocess.run(
            self.args(*args, db=db), env=self.env, capture_output=True, text=True,
            timeout=CLI_TIMEOUT,
        )  # fmt: skip
        return CliResult(done.returncode, done.stdout, done.stderr)

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            self.args(*args), env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    process = SimProcess(tmp_path_factory.mktemp("sim"), "--no-traders")
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def cli(sim, tmp_path) -> Cli:
    return Cli(sim.ready, tmp_path, tmp_path / "orders.sqlite3")
