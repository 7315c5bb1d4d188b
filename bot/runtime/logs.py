"""How the running bot logs: readable text by default, or one JSON object per line
(`MOTCUA_LOG_FORMAT=json`) for journald, Docker or a log collector, which can then filter by
level or logger without parsing free text.

Log messages must not carry personal data. The desk handles citizens' names, citizen ID
numbers, phone numbers, addresses, dates of birth, the text they type and the files they send;
none of it may appear in a log message, its arguments or an exception message raised on purpose.
Logs are copied, shipped and kept far longer and more widely than the database, outside the
consent the citizen gave (Nghị định 13/2023/NĐ-CP). Log what happened and to which record (a
case id or code, an outbox message id, a file's unique id, an error from Telegram or Zalo), never
who the person is or what they wrote. The formatter cannot tell personal data from the rest, so
this rule is kept where messages are written, not here.

httpx is kept at WARNING in both formats: at INFO it logs every request's URL, and the Telegram
Bot API's URLs contain the bot's token.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Literal

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET_LOGGERS = ("httpx", "fontTools")
"""Libraries that log every request or every font subset at INFO."""


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC, ISO 8601 with milliseconds), level,
    logger, message, and the exception's traceback text when there is one. Newlines inside the
    message or traceback are escaped by JSON, so a record never spans two lines."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: Literal["text", "json"], level: int = logging.INFO) -> None:
    """Send every log record to stderr in the chosen format (systemd and Docker collect stderr)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
