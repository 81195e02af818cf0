"""Logging for the whole process: one handler on the root logger, to a file or stderr.

A TUI owns the terminal, so by default logs go to a file; `dydx-tui sim` may send them to
stderr instead (`--log-file -`). stdout is never used: it carries the sim's ready line.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from tui_app.locations import default_log_file

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
STDERR = "-"
_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
# Libraries that log every request at INFO (httpx: "HTTP Request: GET .../v4/time" every
# few seconds while polling): only their warnings, unless the trader asks for DEBUG.
CHATTY_LOGGERS = ("httpx", "httpcore")


def configure_logging(level: str = "INFO", log_file: str | Path | None = None) -> str:
    """Send all logs at `level` or above to `log_file` (default: the XDG state dir).

    Returns where the logs go ("<stderr>" or the file's path), for a startup message.
    """
    if log_file == STDERR:
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        target = "<stderr>"
    else:
        path = Path(log_file) if log_file is not None else default_log_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Bounded, so a devnet left running for days cannot fill the disk.
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
        target = str(path)
    handler.setFormatter(logging.Formatter(_FORMAT))

    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level.upper())
    chatty_level = logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty_level)
    logging.captureWarnings(True)
    return target
