"""Fake Telegram Bot API server: the emulator of `motcua sandbox` and of the end-to-end tests.

Start it, point the bot at ``server.url`` (python-telegram-bot: ``base_url=f"{url}/bot"``,
``base_file_url=f"{url}/file/bot"``), play users with ``send_text`` / ``press`` /
``send_photo`` ..., observe with ``bot_messages`` / ``wait_for_messages`` / ``wait_idle``,
and finish with ``assert_no_violations()``: every request is checked against the official
api.json, so a contract mistake fails the test instead of production.

For broadcasts: ``register_users`` creates subscribers cheaply, ``enforce_limits()`` answers
sends beyond Telegram's 30/s overall (1000/s with ``allow_paid_broadcast``) and 1/s per chat
with 429 + retry_after (listed in ``limit_violations``), ``block_chat``, ``fail_next`` and ``delay_next`` inject the failures a
paced outbox must survive, ``slow_chat`` makes one chat's sends slow, and ``messages_per_chat`` / ``delivery_log`` / ``peak_rate`` check
the outcome. ``python -m sandbox.botapi.bench`` measures the server's throughput.

For the sandbox page: ``conversation`` (both sides of a private chat, in order), ``file_content``,
and ``counters`` / ``resume_counters`` (a new server that talks to a kept bot database must not
reuse update, message or file ids). The spec is ``telegram-bot-api/api.json`` next to this file.
"""

from .models import BotMessage, FakeFile, RecordedRequest
from .server import ApiError, FakeBotAPI
from .spec import ApiSpec, Upload, load_spec
from .tg_html import HtmlParseError, parse_html

__all__ = [
    "ApiError",
    "ApiSpec",
    "BotMessage",
    "FakeBotAPI",
    "FakeFile",
    "HtmlParseError",
    "RecordedRequest",
    "Upload",
    "load_spec",
    "parse_html",
]
