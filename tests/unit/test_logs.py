"""JSON logs: one object per line with time, level, logger and message, the traceback when there
is one, and the format chosen by MOTCUA_LOG_FORMAT."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.runtime.logs import JsonFormatter, configure_logging
from bot.settings import Settings, SettingsError, load_settings


def record(message: str, *args: object, level: int = logging.WARNING, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord("handlers.files", level, __file__, 1, message, args, exc_info)  # type: ignore[arg-type]


def test_a_record_is_one_json_object_on_one_line() -> None:
    line = JsonFormatter().format(record("download of %s failed: %s", "AgADx", "timeout\nafter 20 s"))
    assert "\n" not in line
    entry = json.loads(line)
    assert set(entry) == {"time", "level", "logger", "message"}
    assert (entry["level"], entry["logger"]) == ("WARNING", "handlers.files")
    assert entry["message"] == "download of AgADx failed: timeout\nafter 20 s"
    assert datetime.fromisoformat(entry["time"]).utcoffset() is not None  # UTC, with its offset


def test_an_exception_comes_with_its_traceback_text() -> None:
    try:
        raise ValueError("bad payload")
    except ValueError:
        line = JsonFormatter().format(record("outbox message %s could not be sent", 7, level=logging.ERROR,
                                             exc_info=sys.exc_info()))
    entry = json.loads(line)
    assert entry["message"] == "outbox message 7 could not be sent"
    assert entry["exception"].startswith("Traceback") and "ValueError: bad payload" in entry["exception"]


def test_vietnamese_text_stays_readable() -> None:
    assert '"Lỗi mạng"' in JsonFormatter().format(record("Lỗi mạng"))


@pytest.fixture
def root_logging() -> Iterator[None]:
    """configure_logging replaces the root handlers: put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    httpx_level = logging.getLogger("httpx").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(httpx_level)


@pytest.mark.usefixtures("root_logging")
@pytest.mark.parametrize("log_format", ["text", "json"])
def test_configure_logging_writes_the_chosen_format_and_quiets_httpx(log_format: str,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(log_format)  # type: ignore[arg-type]
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    logging.getLogger("bot.runtime.background").info("scheduled jobs ran")
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot123:SECRET/getUpdates")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and "SECRET" not in stream.getvalue()
    if log_format == "json":
        assert json.loads(lines[0])["message"] == "scheduled jobs ran"
    else:
        assert lines[0].endswith("INFO bot.runtime.background: scheduled jobs ran")


def test_the_setting_accepts_text_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")  # no .env file
    monkeypatch.delenv("MOTCUA_LOG_FORMAT", raising=False)
    assert Settings().log_format == "text"
    monkeypatch.setenv("MOTCUA_LOG_FORMAT", "json")
    assert load_settings().log_format == "json"
    monkeypatch.setenv("MOTCUA_LOG_FORMAT", "xml")
    with pytest.raises(SettingsError, match="MOTCUA_LOG_FORMAT"):
        load_settings()
