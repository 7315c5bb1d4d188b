"""Fake Telegram Bot API server for end-to-end tests of the motcua bot.

Start it, point the bot at ``server.url`` (python-telegram-bot: ``base_url=f"{url}/bot"``,
``base_file_url=f"{url}/file/bot"``), play users with ``send_text`` / ``press`` /
``send_photo`` ..., observe with ``bot_messages`` / ``wait_for_messages`` / ``wait_idle``,
and finish with ``assert_no_violations()``: every request is checked against the official
api.json, so a contract mistake fails the test instead of production.

For broadcasts: ``register_users`` creates subscribers cheaply, ``enforce_limits()`` answers
sends beyond Telegram's 30/s overall and 1/s per chat with 429 + retry_after (listed in
``limit_violations``), ``block_chat``, ``fail_next`` and ``delay_next`` inject the failures a
paced outbox must survive, and ``messages_per_chat`` / ``delivery_log`` / ``peak_rate`` check
the outcome. ``python -m tests.fakebot.bench`` measures the server's throughput.
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
