"""A fake Telegram Bot API server for end-to-end tests of the real bot process.

The bot talks HTTP to this server exactly as it would to api.telegram.org; the test
thread plays the users (queues updates) and inspects what the bot sent. Every request is
checked against api.json so that a contract mistake fails the test instead of production.
"""

from __future__ import annotations

import copy
import email.message
import http
import itertools
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from sandbox.http_body import read_body
from sandbox.multipart import parse_multipart
from sandbox.waits import Waits

from .models import BotMessage, FakeFile, RecordedRequest
from .spec import Upload, load_spec
from .tg_html import parse_html, utf16_len
from .webhook import DEFAULT_MAX_CONNECTIONS, Delivery, WebhookConfig, WebhookSender

BUNDLED_SPEC_PATH = Path(__file__).parent / "telegram-bot-api/api.json"
# The project's shared copy of the official spec is the reference where it exists (developers and
# CI have it beside the checkout); the bundled copy lets the sandbox run on a commune's machine.
SHARED_SPEC_PATH = Path(__file__).resolve().parents[3] / "shared/telegram-bot-api/api.json"
DEFAULT_SPEC_PATH = SHARED_SPEC_PATH if SHARED_SPEC_PATH.exists() else BUNDLED_SPEC_PATH
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files on the cloud Bot API
FIRST_UPDATE_ID = 1000
# Methods that put a message into a chat: Telegram refuses them for users who never
# started the bot ("Forbidden: bot can't initiate conversation with a user").
_DELIVERING_METHODS = {"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"}
# send* methods that put nothing into the chat, so they are exempt from the message rate limits.
_NOT_A_MESSAGE = {"sendChatAction"}
_BLOCKED = "Forbidden: bot was blocked by the user"
_MEDIA_KEYS = ("photo", "document", "video", "audio")
_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
_WEBHOOK_ACTIVE = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """An error answer {"ok": false, ...}; raised by method handlers."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass
class _QueuedUpdate:
    update: dict
    delivered: bool = False


@dataclass
class _Fault:
    """A pending fail_next / delay_next rule."""

    remaining: int
    method: str | None  # None: every Bot API method except getUpdates (and file downloads)
    status: int = 0
    seconds: float = 0.0

    def matches(self, method: str) -> bool:
        return method == self.method if self.method is not None else method not in ("getUpdates", "<file>")


def _is_delivering(method: str) -> bool:
    """send*, copy* and forward* methods: they address a chat that must be open to the bot."""
    return method.startswith("send") or method in _DELIVERING_METHODS


@dataclass
class _StoredFile:
    file: FakeFile
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None



class _Handler(BaseHTTPRequestHandler):
    """Thin HTTP adapter; all logic lives in FakeBotAPI.handle_http."""

    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: with Nagle on, the body waits for the client's delayed
    # ACK (~40 ms on Linux), capping one keep-alive connection at ~25 requests/s.
    disable_nagle_algorithm = True
    api: FakeBotAPI  # set on the per-server subclass

    def do_GET(self) -> None:
        body = read_body(self)
        if body is None:
            return
        status, payload, content_type = self.api.handle_http(self.path, self.headers.get("Content-Type", ""), body)
        send_answer(self, status, payload, content_type)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        """Keep pytest output clean; every request is in FakeBotAPI.requests anyway."""


def send_answer(handler: BaseHTTPRequestHandler, status: int, payload: bytes, content_type: str) -> None:
    """Write a whole HTTP answer; a client that gave up (e.g. a killed bot whose long poll was just
    answered) is no error."""
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog of 5 resets connections when a broadcast opens
    # dozens of them at once.
    request_queue_size = 128


class FakeBotAPI(Waits[int, BotMessage]):
    """Fake Bot API on http://127.0.0.1:<random port>; see the package docstring for usage.

    With `enforce_limits=True` (or after `enforce_limits()`) message-sending calls beyond
    Telegram's broadcast limits are answered 429 with retry_after and listed in
    `limit_violations` (not in `violations`: a bot that honours retry_after is correct).

    A send with `allow_paid_broadcast` ignores the free limit and counts only toward
    PAID_LIMIT, which every send counts toward; a free send must fit both. Telegram does not say
    whether free sends made during a paid broadcast still get their own 30 a second; this
    model assumes they do (only the total is capped at PAID_LIMIT)."""

    # Telegram's documented broadcast limits (core.telegram.org/bots/faq): about 30 messages
    # per second overall and about one message per second to the same chat; with Paid
    # Broadcasts, up to 1000 messages per second (core.telegram.org/bots/api#paid-broadcasts).
    GLOBAL_LIMIT = 30
    PAID_LIMIT = 1000
    PER_CHAT_LIMIT = 1
    LIMIT_WINDOW = 1.0  # seconds, rolling

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        spec_path: Path = DEFAULT_SPEC_PATH,
        bot_username: str = "motcua_test_bot",
        *,
        enforce_limits: bool = False,
    ) -> None:
        self.token = token
        self.spec = load_spec(Path(spec_path))
        bot_id = token.split(":", 1)[0]
        self.bot_user = {
            "id": int(bot_id) if bot_id.isdigit() else 123456,
            "is_bot": True,
            "first_name": "Motcua Test Bot",
            "username": bot_username,
        }
        # Bound (and listening) right away so `url` is known before start(); connections wait in the backlog.
        self._server = _Server(("127.0.0.1", 0), type("Handler", (_Handler,), {"api": self}))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.limit_violations: list[str] = []  # 429 answers given while limits are enforced
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._stopping = False
        self._next_update_id = FIRST_UPDATE_ID
        self._pending: list[_QueuedUpdate] = []
        self._sent_updates: dict[int, dict] = {}  # every update ever queued, by update_id
        self._polls_received = 0
        self._held_polls = 0
        self._inflight = 0
        self._last_request = time.monotonic()
        self._next_message_id = 1  # one counter for user and bot messages, so ids never clash
        self._ids = itertools.count(1)  # files, callback queries, media groups
        self._users: dict[int, dict] = {}  # private chat id -> User who wrote to the bot
        self._messages: dict[int, list[BotMessage]] = {}
        self._user_messages: dict[tuple[int, int], dict] = {}
        self._events: dict[int, list[str | BotMessage]] = {}  # per-chat transcript, in order
        self._callback_chats: dict[str, int] = {}
        self._answered: set[str] = set()
        self._callback_answers: list[tuple[int, dict]] = []
        self._files: dict[str, _StoredFile] = {}
        self._paths: dict[str, str] = {}  # file_path -> file_id
        # Rate limits and fault injection.
        self._limits_on = enforce_limits
        self._global_limit = self.GLOBAL_LIMIT
        self._paid_limit = self.PAID_LIMIT
        self._per_chat_limit = self.PER_CHAT_LIMIT
        self._window = self.LIMIT_WINDOW
        self._recent: deque[float] = deque()  # times of free sends within the last window, overall
        self._recent_all: deque[float] = deque()  # times of all sends (free and paid) within the last window
        self._recent_by_chat: dict[Any, deque[float]] = {}
        self._penalty_until = 0.0  # a global 429 told the bot to wait until then (free sends)
        self._paid_penalty_until = 0.0  # the same, for going over PAID_LIMIT (every send)
        self._chat_penalty_until: dict[Any, float] = {}
        self._flood_waits: dict[Any, float] = {}  # flood_wait(): 429 for a chat whether or not limits are on
        self._delivery_log: list[tuple[float, Any, str]] = []
        self._blocked: set[Any] = set()
        self._failures: list[_Fault] = []
        self._delays: list[_Fault] = []
        self._slow_chats: dict[Any, float] = {}  # slow_chat(): seconds each message to the chat is held
        self._held_sends: dict[Any, int] = {}  # calls slow_chat() is holding, per chat
        self._webhook = WebhookSender(self)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Release held long polls, then stop serving and close the socket (idempotent)."""
        if self._closed:
            return
        self._closed = True
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._webhook.stop()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> FakeBotAPI:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------ simulating users
    def send_text(self, chat_id: int, text: str, *, first_name: str = "Test", language_code: str = "vi") -> int:
        """A user types `text` in the private chat; commands get a bot_command entity."""
        with self._cond:
            self._users[chat_id] = {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
            message = self._user_message(chat_id, {"text": text})
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
            return self._queue([{"message": message}])[0]

    def press(self, chat_id: int, callback_data: str, *, message_id: int | None = None) -> int:
        """The user presses an inline button of a bot message (default: the latest one that
        has a button with this callback_data, else the latest bot message)."""
        with self._cond:
            visible = [m for m in self._messages.get(chat_id, []) if not m.deleted]
            if message_id is not None:
                target = next((m for m in visible if m.message_id == message_id), None)
            else:
                with_button = [m for m in visible if any(b.get("callback_data") == callback_data for row in m.buttons for b in row)]
                target = (with_button or visible or [None])[-1]
            if target is None:
                raise AssertionError(f"chat {chat_id}: no bot message to press {callback_data!r} on\n{self._transcript(chat_id)}")
            query = {
                "id": str(7_000_000_000_000_000 + next(self._ids)),
                "from": self._user(chat_id),
                "message": copy.deepcopy(target.raw),
                "chat_instance": str(chat_id * 31 + 7),
                "data": callback_data,
            }
            return self._queue([{"callback_query": query}])[0]

    def add_file(self, content: bytes, *, file_size: int | None = None) -> FakeFile:
        """Make `content` downloadable; `file_size` overrides the declared size."""
        with self._cond:
            return self._store_file(content, "documents", "", file_size=file_size).file

    def send_photo(
        self, chat_id: int, content: bytes | FakeFile, *, caption: str | None = None, media_group_id: str | None = None
    ) -> int:
        """The user sends a photo (sizes: a thumbnail, then the full photo as `content`)."""
        with self._cond:
            return self._queue([{"message": self._user_photo(chat_id, content, caption, media_group_id)}])[0]

    def send_album(self, chat_id: int, contents: list[bytes]) -> list[int]:
        """Several photos with one media_group_id, queued atomically so one getUpdates gets them all."""
        with self._cond:
            group = str(13_000_000_000_000_000 + next(self._ids))
            return self._queue([{"message": self._user_photo(chat_id, c, None, group)} for c in contents])

    def send_document(
        self, chat_id: int, content: bytes | FakeFile, *, file_name: str, mime_type: str | None, caption: str | None = None
    ) -> int:
        """The user sends a file; pass a FakeFile from add_file(file_size=...) to fake a big one."""
        with self._cond:
            if isinstance(content, FakeFile):
                stored = self._files[content.file_id]
            else:
                stored = self._store_file(content, "documents", "", file_name=file_name, mime_type=mime_type)
            document = {**self._file_fields(stored.file), "file_name": file_name}
            if mime_type is not None:
                document["mime_type"] = mime_type
            fields: dict[str, Any] = {"document": document}
            if caption is not None:
                fields["caption"] = caption
            return self._queue([{"message": self._user_message(chat_id, fields)}])[0]

    def push_update(self, update: dict) -> int:
        """Queue a raw update as is; an update_id is assigned only if it has none (a reused id
        simulates Telegram re-delivering an update that was never confirmed)."""
        with self._cond:
            update = copy.deepcopy(update)
            if "update_id" not in update:
                return self._queue([update])[0]
            earlier = self._sent_updates.get(update["update_id"])
            if earlier is not None and earlier != update:
                raise AssertionError(f"update_id {update['update_id']} was already used for another update: {earlier}")
            for obj in update.values():
                if isinstance(obj, dict) and isinstance(obj.get("message_id"), int):
                    self._next_message_id = max(self._next_message_id, obj["message_id"] + 1)
            self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
            return self._enqueue([update])[0]

    def register_users(self, chat_ids: Iterable[int], *, first_name: str = "Test", language_code: str = "vi") -> None:
        """Mark users as having started the bot earlier, without queuing any update, so the bot
        may message them (cheap way to create thousands of subscribers)."""
        ids = list(chat_ids)
        bad = [chat_id for chat_id in ids if not isinstance(chat_id, int) or isinstance(chat_id, bool) or chat_id <= 0]
        if bad:
            raise ValueError(f"user ids must be positive integers, got {bad[:5]}")
        with self._cond:
            for chat_id in ids:
                self._users.setdefault(
                    chat_id, {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
                )

    def block_chat(self, chat_id: int) -> None:
        """The user blocks the bot: every later send*/copy*/forward* call to the chat gets
        403 "Forbidden: bot was blocked by the user" (recorded, not a violation)."""
        with self._cond:
            if isinstance(chat_id, int) and chat_id > 0:
                self._users.setdefault(chat_id, {"id": chat_id, "is_bot": False, "first_name": "Test", "language_code": "vi"})
            self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        with self._cond:
            self._blocked.discard(chat_id)

    # --------------------------------------------------------- limits and faults
    def enforce_limits(self, on: bool = True, *, per_second: int | None = None, per_chat_per_second: int | None = None,
                       paid_per_second: int | None = None) -> None:
        """Switch Telegram's rate limits on or off (default limits: GLOBAL_LIMIT messages per
        rolling LIMIT_WINDOW overall, PAID_LIMIT with `allow_paid_broadcast`, PER_CHAT_LIMIT per
        chat). Counted: every accepted send*/copy*/forward* call except sendChatAction; an album
        (sendMediaGroup) or a copyMessages/forwardMessages batch counts as one message. Sends made
        while the limits were off still count in the rolling window."""
        with self._cond:
            self._limits_on = on
            if per_second is not None:
                self._global_limit = per_second
            if paid_per_second is not None:
                self._paid_limit = paid_per_second
            if per_chat_per_second is not None:
                self._per_chat_limit = per_chat_per_second

    @property
    def limits_enforced(self) -> bool:
        with self._cond:
            return self._limits_on

    def flood_wait(self, chat_id: int, seconds: int) -> None:
        """Telegram tells the bot to wait before writing to this chat again: for `seconds`, every
        message to it is answered 429 with retry_after (listed in `limit_violations`), whether or
        not the limits are enforced; other chats are not affected."""
        with self._cond:
            self._flood_waits[chat_id] = time.monotonic() + seconds

    def fail_next(self, count: int, *, status: int = 502, method: str | None = None) -> None:
        """Answer the next `count` matching requests with a 5xx error, without processing them
        (method=None: any Bot API method except getUpdates; "<file>" targets file downloads)."""
        if not 500 <= status <= 599:
            raise ValueError(f"fail_next injects server errors (5xx), got {status}")
        if count > 0:
            with self._cond:
                self._failures.append(_Fault(count, method, status=status))

    def delay_next(self, count: int, seconds: float, *, method: str | None = None) -> None:
        """Hold the next `count` matching requests for `seconds` before processing and answering
        them (to trigger client timeouts). The request is still carried out after the delay even
        if the client gave up, as a slow Telegram would: a retry then delivers twice."""
        if count > 0:
            with self._cond:
                self._delays.append(_Fault(count, method, seconds=seconds))

    def slow_chat(self, chat_id: int, seconds: float) -> None:
        """Hold every valid send*/copy*/forward* call to this chat for `seconds` before carrying
        it out and answering, as a slow link to one recipient would; other chats' calls are not
        held. Lets a test make one chat's work measurably long without timing races. A call held
        already is held for the new time (counted from its arrival): 0 lets it through now."""
        with self._cond:
            self._slow_chats[chat_id] = seconds
            self._cond.notify_all()

    def held_sends(self, chat_id: int) -> int:
        """How many calls to this chat `slow_chat` is holding right now."""
        with self._cond:
            return self._held_sends.get(chat_id, 0)

    # ------------------------------------------------------------------- sandbox
    def conversation(self, chat_id: int) -> list[tuple[str, dict]]:
        """The private chat as its user sees it, oldest first: ("user", Message) for what the
        user sent and ("bot", Message) for what the bot sent (edits applied, deleted messages
        left out), as deep copies. One message_id counter serves both sides, so it orders them."""
        with self._cond:
            items = [("user", m) for (chat, _), m in self._user_messages.items() if chat == chat_id]
            items += [("bot", m.raw) for m in self._messages.get(chat_id, []) if not m.deleted]
            items.sort(key=lambda item: item[1]["message_id"])
            return copy.deepcopy(items)

    def file_content(self, file_id: str) -> tuple[bytes, str | None, str | None] | None:
        """(content, file_name, mime_type) of a file the server holds, or None."""
        with self._cond:
            stored = self._files.get(file_id)
            return None if stored is None else (stored.content, stored.file_name, stored.mime_type)

    def counters(self) -> dict[str, int]:
        """The next update_id, message_id and file/query number, to be given back to
        `resume_counters` by a later server that talks to the same bot database."""
        with self._cond:
            n = next(self._ids)
            self._ids = itertools.count(n)
            return {"update_id": self._next_update_id, "message_id": self._next_message_id, "id": n}

    def resume_counters(self, counters: dict[str, int]) -> None:
        """Continue numbering after `counters` (never going back), so that update ids the bot has
        already processed, and message and file ids it has stored, are not handed out again."""
        with self._cond:
            self._next_update_id = max(self._next_update_id, int(counters.get("update_id", 0)))
            self._next_message_id = max(self._next_message_id, int(counters.get("message_id", 0)))
            n = next(self._ids)
            self._ids = itertools.count(max(n, int(counters.get("id", 0))))

    # ----------------------------------------------------------------- observing
    def bot_messages(self, chat_id: int) -> list[BotMessage]:
        """Copies of what the bot sent to the chat, in order, edits applied, deleted ones flagged."""
        with self._cond:
            return copy.deepcopy(self._messages.get(chat_id, []))

    def messages_per_chat(self, *, contains: str | None = None) -> dict[int, int]:
        """Number of bot messages accepted per chat (deleted ones included, an album counts each
        item), optionally only those whose current text/caption contains `contains`."""
        with self._cond:
            if contains is None:
                return {chat: len(messages) for chat, messages in self._messages.items() if messages}
            counts = {}
            for chat, messages in self._messages.items():
                n = sum(1 for m in messages if m.text is not None and contains in m.text)
                if n:
                    counts[chat] = n
            return counts

    def delivery_log(self) -> list[tuple[float, int, str]]:
        """(time.monotonic(), chat_id, method) of every accepted send*/copy*/forward* call (except
        sendChatAction), in order of acceptance: one entry per call, so an album is one entry."""
        with self._cond:
            return list(self._delivery_log)

    @property
    def delivery_count(self) -> int:
        """len(delivery_log()) without copying it: cheap enough for a wait_until predicate."""
        with self._cond:
            return len(self._delivery_log)

    def peak_rate(self, window: float = 1.0) -> int:
        """Most accepted sends within any `window` seconds (overall), from the delivery log."""
        with self._cond:
            times = [entry[0] for entry in self._delivery_log]
        peak = start = 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            peak = max(peak, end - start + 1)
        return peak

    def unconfirmed_updates(self) -> list[int]:
        """Ids of the updates queued and not yet confirmed by a getUpdates offset above them,
        delivered or not: once confirmed, Telegram never gives an update again."""
        with self._cond:
            return [queued.update["update_id"] for queued in self._pending]

    def transcript(self, chat_id: int) -> str:
        """Human-readable conversation of the chat, for assertion messages."""
        with self._cond:
            return self._transcript(chat_id)

    def wait_idle(self, quiet: float = 0.6, timeout: float = 15.0) -> None:
        """Wait until every queued update was delivered and confirmed by a later offset, no
        request is being processed, and none arrived for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                quiet_left = quiet - (now - self._last_request)
                if not self._pending and self._inflight == 0 and quiet_left <= 0:
                    return
                if now >= deadline:
                    pending = [q.update["update_id"] for q in self._pending]
                    raise AssertionError(
                        f"bot not idle after {timeout}s: unconfirmed updates {pending}, "
                        f"{self._inflight} request(s) in progress{self._violation_note()}"
                    )
                self._cond.wait(min(deadline - now, max(quiet_left, 0.05)))

    def wait_answered(self, timeout: float = 15.0) -> None:
        """Wait until every button press made so far was answered (answerCallbackQuery),
        which the bot does once it has acted on the press. A quiet period alone (`wait_idle`)
        can end while a slow database step is still deciding what a press does."""
        try:
            self.wait_until(lambda: self._unanswered() == [], timeout)
        except AssertionError:
            raise AssertionError(f"button presses never answered: {self._unanswered()}{self._violation_note()}") from None

    def _unanswered(self) -> list[str]:
        with self._cond:
            return [query_id for query_id in self._callback_chats if query_id not in self._answered]

    @property
    def webhook_url(self) -> str | None:
        """The URL the bot set with setWebhook; None while it polls."""
        with self._cond:
            return self._webhook.config.url if self._webhook.config is not None else None

    def webhook_deliveries(self) -> list[Delivery]:
        """Every POST of an update to the webhook, in order of completion: (update id, HTTP status
        or None, the connection error)."""
        with self._cond:
            return list(self._webhook.deliveries)

    @property
    def polls_received(self) -> int:
        """getUpdates calls received so far, counted on arrival (RecordedRequest is added only when a
        long poll returns): wait for it to grow to know a (re)started bot has begun polling."""
        with self._cond:
            return self._polls_received

    @property
    def polling(self) -> bool:
        """True while a getUpdates long poll is being held: the bot has started and waits for users."""
        with self._cond:
            return self._held_polls > 0

    def callback_answers(self, chat_id: int) -> list[dict]:
        """answerCallbackQuery parameters for queries pressed in the chat, in order."""
        with self._cond:
            return [copy.deepcopy(params) for chat, params in self._callback_answers if chat == chat_id]

    def assert_no_violations(self) -> None:
        with self._cond:
            if self.violations:
                raise AssertionError("Bot API contract violations:\n" + "\n".join(f"  - {v}" for v in self.violations))

    def reset_violations(self) -> None:
        with self._cond:
            self.violations.clear()

    # ------------------------------------------------------------------- HTTP side
    def handle_http(self, raw_path: str, content_type: str, body: bytes) -> tuple[int, bytes, str]:
        """Answer one HTTP request: (status, body, Content-Type). Runs on a server thread."""
        split = urlsplit(raw_path)
        path = unquote(split.path)
        is_download = path.startswith("/file/bot")
        prefix = "/file/bot" if is_download else "/bot"
        token, _, method = path.removeprefix(prefix).partition("/")
        long_poll = method == "getUpdates" and not is_download
        with self._cond:
            self._last_request = time.monotonic()
            self._inflight += 0 if long_poll else 1
        try:
            if not path.startswith(prefix) or not method:
                error = ApiError(404, "Not Found")
                return (*self._fail(path, {}, {}, error, f"{path}: not a Bot API path"), "application/json")
            if token != self.token:
                error = ApiError(401, "Unauthorized")
                return (*self._fail(method, {}, {}, error, f"{method}: wrong bot token {token!r}"), "application/json")
            with self._cond:
                delay = self._take_fault(self._delays, "<file>" if is_download else method)
                failure = self._take_fault(self._failures, "<file>" if is_download else method)
            if delay is not None:
                self._pause(delay.seconds)
            if is_download:
                return self._download(method, failure)
            return (*self._call(method, split.query, content_type, body, failure), "application/json")
        finally:
            with self._cond:
                self._last_request = time.monotonic()
                self._inflight -= 0 if long_poll else 1
                self._cond.notify_all()

    def _take_fault(self, rules: list[_Fault], method: str) -> _Fault | None:
        """Consume one use of the first rule matching `method` (lock held)."""
        for rule in rules:
            if rule.matches(method):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    rules.remove(rule)
                return rule
        return None

    def _hold(self, chat_id: Any) -> None:
        """`slow_chat`'s hold: until the chat's current slowness, counted from arrival, is over."""
        arrived = time.monotonic()
        with self._cond:
            if not self._slow_chats.get(chat_id):
                return
            self._held_sends[chat_id] = self._held_sends.get(chat_id, 0) + 1
        try:
            self._wait_until(lambda: arrived + self._slow_chats.get(chat_id, 0.0))
        finally:
            with self._cond:
                self._held_sends[chat_id] -= 1

    def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        self._wait_until(lambda: deadline)

    def _wait_until(self, deadline: Callable[[], float]) -> None:
        """Sleep without holding the lock until `deadline()` (read again whenever the lock is
        notified, so a test may move it); stop() cuts it short so shutdown never hangs."""
        with self._cond:
            while not self._stopping and (remaining := deadline() - time.monotonic()) > 0:
                self._cond.wait(remaining)

    def _injected(self, method: str, params: dict, files: dict[str, bytes], status: int) -> tuple[int, bytes]:
        """A fail_next answer: the request never reached "Telegram", so it is neither validated nor carried out."""
        return self._fail(method, params, files, ApiError(status, http.HTTPStatus(status).phrase))

    def _download(self, file_path: str, failure: _Fault | None = None) -> tuple[int, bytes, str]:
        with self._cond:
            file_id = self._paths.get(file_path)
            params = {"file_path": file_path}
            if failure is not None:
                return (*self._injected("<file>", params, {}, failure.status), "application/json")
            if file_id is None:
                return (*self._fail("<file>", params, {}, ApiError(404, "Not Found")), "application/json")
            self.requests.append(RecordedRequest("<file>", params, {}, 200))
            return 200, self._files[file_id].content, "application/octet-stream"

    def _call(self, method: str, query: str, content_type: str, body: bytes, failure: _Fault | None = None) -> tuple[int, bytes]:
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        uploads: dict[str, Upload] = {}
        header = email.message.Message()
        header["Content-Type"] = content_type or "application/octet-stream"
        media_type = header.get_content_type()
        try:
            if media_type == "application/json" and body:
                decoded = json.loads(body)
                if not isinstance(decoded, dict):
                    raise ValueError("a JSON body must be an object")
                params.update(decoded)
            elif media_type == "application/x-www-form-urlencoded":
                params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            elif media_type == "multipart/form-data":
                fields, uploads = parse_multipart(body, header.get_boundary() or "")
                params.update(fields)
            elif body:
                raise ValueError(f"unsupported Content-Type {content_type!r}")
        except ValueError as exc:
            return self._fail(method, params, {}, ApiError(400, f"Bad Request: {exc}"), f"{method}: {exc}")
        files = {name: upload.data for name, upload in uploads.items()}
        if failure is not None:
            return self._injected(method, params, files, failure.status)
        if method not in self.spec.methods:
            error = ApiError(400, f"Bad Request: unknown method {method!r}")  # real Telegram: 404 Not Found
            return self._fail(method, params, files, error, f"{method}: unknown Bot API method")
        decoded, problems = self.spec.check_request(method, params, uploads)
        if problems:
            error = ApiError(400, "Bad Request: " + "; ".join(problems))
            recorded = {**params, **decoded}  # keep unknown parameters visible in the record
            return self._fail(method, recorded, files, error, *(f"{method}: {p}" for p in problems))
        if _is_delivering(method):
            self._hold(decoded.get("chat_id"))
        with self._cond:
            chat_id = decoded.get("chat_id")
            delivering = _is_delivering(method)
            if delivering and isinstance(chat_id, int) and chat_id > 0 and chat_id not in self._users:
                error = ApiError(403, "Forbidden: bot can't initiate conversation with a user")
                return self._fail(method, decoded, files, error, f"{method}: chat {chat_id} never wrote to the bot")
            counted = delivering and method not in _NOT_A_MESSAGE and "chat_id" in decoded
            now = time.monotonic()
            if counted:
                refusal = self._rate_gate(chat_id, now, paid=decoded.get("allow_paid_broadcast") is True)
                if refusal is not None:
                    return self._too_many(method, decoded, files, chat_id, *refusal)
            if delivering and chat_id in self._blocked:
                return self._fail(method, decoded, files, ApiError(403, _BLOCKED))
            handler = getattr(self, f"_m_{method}", None)
            try:
                result = handler(decoded, uploads) if handler else True
            except ApiError as error:
                return self._fail(method, decoded, files, error)
            self.requests.append(RecordedRequest(method, decoded, files, 200))
            if counted:
                self._delivery_log.append((now, chat_id, method))
            # Serialize under the lock: stored messages are mutated by later edits.
            return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode("utf-8")

    def _fail(self, method: str, params: dict, files: dict[str, bytes], error: ApiError, *violations: str) -> tuple[int, bytes]:
        """Record a failed call (and the contract violations it shows) and build the error answer."""
        with self._cond:
            self.violations += violations
            self.requests.append(RecordedRequest(method, params, files, error.status, error.description))
        body = {"ok": False, "error_code": error.status, "description": error.description}
        return error.status, json.dumps(body, ensure_ascii=False).encode("utf-8")

    def _rate_gate(self, chat_id: Any, now: float, *, paid: bool) -> tuple[int, str] | None:
        """Admit one message to `chat_id` at `now`, or return (retry_after, which limit) while
        the limits are enforced (lock held). Admitted sends are remembered even when off."""
        cutoff = now - self._window
        recent, recent_all = self._recent, self._recent_all
        for times in (recent, recent_all):
            while times and times[0] <= cutoff:
                times.popleft()
        chat_recent = self._recent_by_chat.get(chat_id)
        if chat_recent is None:
            chat_recent = self._recent_by_chat[chat_id] = deque()
        while chat_recent and chat_recent[0] <= cutoff:
            chat_recent.popleft()
        if now < self._flood_waits.get(chat_id, 0.0):
            return math.ceil(self._flood_waits[chat_id] - now), "sent during a flood wait for this chat"
        if self._limits_on:
            if now < self._paid_penalty_until:
                return math.ceil(self._paid_penalty_until - now), "sent before the retry_after of an earlier 429 (paid broadcast limit) elapsed"
            if not paid and now < self._penalty_until:
                return math.ceil(self._penalty_until - now), "sent before the retry_after of an earlier 429 (overall limit) elapsed"
            if now < self._chat_penalty_until.get(chat_id, 0.0):
                wait = math.ceil(self._chat_penalty_until[chat_id] - now)
                return wait, "sent before the retry_after of an earlier 429 for this chat elapsed"
            if len(recent_all) >= self._paid_limit:
                wait = max(1, math.ceil(recent_all[0] + self._window - now))
                self._paid_penalty_until = now + wait
                return wait, f"more than {self._paid_limit} messages within {self._window:g}s overall, paid broadcast included"
            if not paid and len(recent) >= self._global_limit:
                wait = max(1, math.ceil(recent[0] + self._window - now))
                self._penalty_until = now + wait
                return wait, f"more than {self._global_limit} messages within {self._window:g}s overall"
            if len(chat_recent) >= self._per_chat_limit:
                wait = max(1, math.ceil(chat_recent[0] + self._window - now))
                self._chat_penalty_until[chat_id] = now + wait
                return wait, f"more than {self._per_chat_limit} message(s) within {self._window:g}s to the same chat"
        if not paid:
            recent.append(now)
        recent_all.append(now)
        chat_recent.append(now)
        return None

    def _too_many(self, method: str, params: dict, files: dict[str, bytes], chat_id: Any, retry_after: int, reason: str) -> tuple[int, bytes]:
        """Telegram's flood-control answer; listed in limit_violations, not in violations (lock held)."""
        description = f"Too Many Requests: retry after {retry_after}"
        self.limit_violations.append(f"{method} to chat {chat_id}: {reason} (429, retry_after {retry_after})")
        self.requests.append(RecordedRequest(method, params, files, 429, description))
        body = {"ok": False, "error_code": 429, "description": description, "parameters": {"retry_after": retry_after}}
        return 429, json.dumps(body, ensure_ascii=False).encode("utf-8")

    # ------------------------------------------------------------ method handlers
    # Each runs with self._cond held and gets already validated, decoded parameters.
    def _m_getMe(self, p: dict, uploads: dict[str, Upload]) -> dict:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _m_getUpdates(self, p: dict, uploads: dict[str, Upload]) -> list[dict]:
        """Long poll: confirm updates below `offset`, then wait up to `timeout` for any."""
        self._polls_received += 1
        if self._webhook.config is not None:
            raise ApiError(409, _WEBHOOK_ACTIVE)
        generation = self._polls_received
        self._cond.notify_all()  # an older poll still waiting is terminated with 409, as on Telegram
        offset = p.get("offset", 0)
        if offset > 0:
            # Only delivered updates are confirmed, so a re-pushed old update_id still gets delivered.
            self._pending = [q for q in self._pending if not (q.delivered and q.update["update_id"] < offset)]
        deadline = time.monotonic() + p.get("timeout", 0)
        while not self._pending and not self._stopping:
            if generation != self._polls_received:
                raise ApiError(409, _CONFLICT)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._held_polls += 1
            try:
                self._cond.wait(remaining)
            finally:
                self._held_polls -= 1
        batch = self._pending[: p.get("limit", 100)]
        for queued in batch:
            queued.delivered = True
        return [queued.update for queued in batch]

    def _m_deleteWebhook(self, p: dict, uploads: dict[str, Upload]) -> bool:
        self._webhook.clear()
        if p.get("drop_pending_updates"):
            self._pending.clear()  # Telegram really drops them: a bot started this way loses queued messages
        return True

    def _m_setWebhook(self, p: dict, uploads: dict[str, Upload]) -> bool:
        """Like a local Bot API server (`--local`), plain HTTP URLs are accepted: Telegram's cloud
        wants HTTPS on port 443, 80, 88 or 8443."""
        if not p["url"]:
            return self._m_deleteWebhook(p, uploads)
        if not p["url"].startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if p.get("drop_pending_updates"):
            self._pending.clear()
        self._webhook.set(WebhookConfig(p["url"], p.get("secret_token"),
                                        p.get("max_connections", DEFAULT_MAX_CONNECTIONS), p.get("allowed_updates")))
        return True

    def _m_getWebhookInfo(self, p: dict, uploads: dict[str, Upload]) -> dict:
        return self._webhook.info()

    def _m_getFile(self, p: dict, uploads: dict[str, Upload]) -> dict:
        stored = self._files.get(p["file_id"])
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if stored.file.file_size > DOWNLOAD_LIMIT:
            raise ApiError(400, "Bad Request: file is too big")
        return {**self._file_fields(stored.file), "file_path": stored.file.file_path}

    def _m_sendMessage(self, p: dict, uploads: dict[str, Upload]) -> dict:
        content = self._formatted(p["text"], p.get("parse_mode"), p.get("entities"), "text", "entities")
        return self._post(p, "sendMessage", content).raw

    def _m_sendPhoto(self, p: dict, uploads: dict[str, Upload]) -> dict:
        stored = self._resolve_file(uploads.get("photo") or p["photo"], uploads, "photos", ".jpg")
        return self._post(p, "sendPhoto", {"photo": self._photo_sizes(stored), **self._caption(p)}).raw

    def _m_sendDocument(self, p: dict, uploads: dict[str, Upload]) -> dict:
        stored = self._resolve_file(uploads.get("document") or p["document"], uploads, "documents", "")
        return self._post(p, "sendDocument", {"document": self._document(stored), **self._caption(p)}).raw

    def _m_sendMediaGroup(self, p: dict, uploads: dict[str, Upload]) -> list[dict]:
        group = str(13_000_000_000_000_000 + next(self._ids))
        files = [self._resolve_file(item["media"], uploads, item["type"] + "s", "") for item in p["media"]]
        sent = []
        for item, stored in zip(p["media"], files):
            media: dict[str, Any]
            if item["type"] == "document":
                media = {"document": self._document(stored)}
            elif item["type"] == "video":
                media = {"video": {**self._file_fields(stored.file), "width": 1280, "height": 720, "duration": 1}}
            elif item["type"] == "audio":
                media = {"audio": {**self._file_fields(stored.file), "duration": 1}}
            else:  # photo (live_photo is rendered as a plain photo)
                media = {"photo": self._photo_sizes(stored)}
            content = {**media, **self._caption(item), "media_group_id": group}
            sent.append(self._post({**p, "parse_mode": item.get("parse_mode")}, "sendMediaGroup", content).raw)
        return sent

    def _m_copyMessage(self, p: dict, uploads: dict[str, Upload]) -> dict:
        source = self._find_any(p["from_chat_id"], p["message_id"])
        if source is None:
            raise ApiError(400, "Bad Request: message to copy not found")
        keys = ("text", "entities", "caption", "caption_entities", *_MEDIA_KEYS)
        content = {k: copy.deepcopy(v) for k, v in source.items() if k in keys}
        if "caption" in p:  # replaces (or, if empty, removes) the original caption
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._caption(p))
        return {"message_id": self._post(p, "copyMessage", content).message_id}

    def _m_editMessageText(self, p: dict, uploads: dict[str, Upload]) -> dict | bool:
        message = self._editable(p)
        if message is None:
            return True  # inline message: Telegram answers True
        if "text" not in message.raw:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        content = self._formatted(p["text"], p.get("parse_mode"), p.get("entities"), "text", "entities")
        return self._apply_edit(message, content, ("text", "entities"), p)

    def _m_editMessageCaption(self, p: dict, uploads: dict[str, Upload]) -> dict | bool:
        message = self._editable(p)
        if message is None:
            return True
        if not any(key in message.raw for key in _MEDIA_KEYS):
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        return self._apply_edit(message, self._caption(p), ("caption", "caption_entities"), p)

    def _m_editMessageReplyMarkup(self, p: dict, uploads: dict[str, Upload]) -> dict | bool:
        message = self._editable(p)
        if message is None:
            return True
        return self._apply_edit(message, {}, (), p)

    def _m_deleteMessage(self, p: dict, uploads: dict[str, Upload]) -> bool:
        message = self._find_bot_message(p["chat_id"], p["message_id"])
        if message is not None:
            message.deleted = True
        elif self._user_messages.pop((p["chat_id"], p["message_id"]), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _m_answerCallbackQuery(self, p: dict, uploads: dict[str, Upload]) -> bool:
        query_id = p["callback_query_id"]
        if query_id not in self._callback_chats or query_id in self._answered:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._answered.add(query_id)
        self._callback_answers.append((self._callback_chats[query_id], p))
        return True

    # ------------------------------------------------------------------- helpers
    def _queue(self, updates: list[dict]) -> list[int]:
        numbered = []
        for update in updates:
            numbered.append({"update_id": self._next_update_id, **update})
            self._next_update_id += 1
        return self._enqueue(numbered)

    def _enqueue(self, updates: list[dict]) -> list[int]:
        """Validate, register chats/messages/queries and queue (lock held)."""
        for update in updates:
            problems = self.spec.check_object(update, "Update")
            if problems:
                raise AssertionError("invalid Update built by the test: " + "; ".join(problems))
        for update in updates:
            for obj in update.values():
                if not isinstance(obj, dict):
                    continue
                if "chat_instance" in obj:  # callback_query
                    chat = obj.get("message", {}).get("chat", {}).get("id", obj["from"]["id"])
                    self._callback_chats[obj["id"]] = chat
                    self._events.setdefault(chat, []).append(f"> user pressed {obj.get('data')!r}")
                elif "message_id" in obj and "chat" in obj:
                    chat = obj["chat"]["id"]
                    self._user_messages[(chat, obj["message_id"])] = obj
                    self._events.setdefault(chat, []).append(f"> user: {self._summary(obj)}")
                if obj.get("from") and obj["from"]["id"] > 0:
                    self._users.setdefault(obj["from"]["id"], obj["from"])
            self._sent_updates[update["update_id"]] = update
            self._pending.append(_QueuedUpdate(update))
        self._cond.notify_all()
        return [update["update_id"] for update in updates]

    @staticmethod
    def _summary(message: dict) -> str:
        for key in _MEDIA_KEYS:
            if key in message:
                return f"[{key}] {message.get('caption', '')}".rstrip()
        return repr(message.get("text"))

    def _user(self, chat_id: int) -> dict:
        return copy.deepcopy(self._users.get(chat_id) or {"id": chat_id, "is_bot": False, "first_name": "Test", "language_code": "vi"})

    def _chat(self, chat_id: int) -> dict:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": self._users.get(chat_id, {}).get("first_name", "Test")}
        return {"id": chat_id, "type": "supergroup" if chat_id < -1_000_000_000_000 else "group", "title": "Test group"}

    def _user_message(self, chat_id: int, content: dict) -> dict:
        user = self._user(chat_id)
        self._users.setdefault(chat_id, user)
        message_id = self._next_message_id
        self._next_message_id += 1
        return {"message_id": message_id, "from": user, "chat": self._chat(chat_id), "date": int(time.time()), **content}

    def _user_photo(self, chat_id: int, content: bytes | FakeFile, caption: str | None, group: str | None) -> dict:
        stored = self._files[content.file_id] if isinstance(content, FakeFile) else self._store_file(content, "photos", ".jpg")
        fields: dict[str, Any] = {"photo": self._photo_sizes(stored)}
        if caption is not None:
            fields["caption"] = caption
        if group is not None:
            fields["media_group_id"] = group
        return self._user_message(chat_id, fields)

    def _store_file(self, content: bytes, folder: str, ext: str, *, file_size: int | None = None, **meta: str | None) -> _StoredFile:
        n = next(self._ids)
        size = len(content) if file_size is None else file_size
        file = FakeFile(f"FAKE{folder[:3].upper()}{n:06d}", f"U{n:06d}", size, f"{folder}/file_{n}{ext}")
        stored = self._files[file.file_id] = _StoredFile(file, content, **meta)
        self._paths[file.file_path] = file.file_id
        return stored

    @staticmethod
    def _file_fields(file: FakeFile) -> dict:
        return {"file_id": file.file_id, "file_unique_id": file.file_unique_id, "file_size": file.file_size}

    def _photo_sizes(self, full: _StoredFile) -> list[dict]:
        """Telegram lists several sizes, smallest first, each with its own file_id."""
        thumb = self._store_file(full.content, "photos", ".jpg")
        return [
            {**self._file_fields(thumb.file), "width": 90, "height": 68},
            {**self._file_fields(full.file), "width": 1280, "height": 960},
        ]

    def _document(self, stored: _StoredFile) -> dict:
        document = self._file_fields(stored.file)
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return document

    def _resolve_file(self, value: Upload | str, uploads: dict[str, Upload], folder: str, ext: str) -> _StoredFile:
        """An InputFile or String parameter: uploaded part, attach:// part, URL or known file_id."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = uploads[value.removeprefix("attach://")]
        if isinstance(value, Upload):
            return self._store_file(value.data, folder, ext, file_name=value.filename, mime_type=value.content_type)
        if value.startswith(("http://", "https://")):
            return self._store_file(b"", folder, ext, file_name=value.rsplit("/", 1)[-1] or None)
        if value not in self._files:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return self._files[value]

    @staticmethod
    def _formatted(text: str, parse_mode: str | None, entities: list | None, text_key: str, entities_key: str) -> dict:
        """Text as Telegram stores it: HTML turned into plain text + entities."""
        if parse_mode == "HTML":
            text, entities = parse_html(text)
        result: dict[str, Any] = {text_key: text}
        if entities:
            result[entities_key] = entities
        return result

    def _caption(self, p: dict) -> dict:
        if not p.get("caption"):
            return {}
        return self._formatted(p["caption"], p.get("parse_mode"), p.get("caption_entities"), "caption", "caption_entities")

    def _post(self, p: dict, method: str, content: dict) -> BotMessage:
        """Store a new bot message in p["chat_id"] and return it (lock held)."""
        chat_id = p["chat_id"]
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        raw = {"message_id": self._next_message_id, "from": dict(self.bot_user), "chat": self._chat(chat_id), "date": int(time.time())}
        raw.update(content)
        self._next_message_id += 1
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            raw["reply_markup"] = copy.deepcopy(markup)
        message = BotMessage(raw["message_id"], chat_id, method, None, p.get("parse_mode"), [], raw=raw,
                             sent_at=time.monotonic())
        if isinstance(markup, dict) and "keyboard" in markup:
            message.reply_keyboard = markup["keyboard"]
        self._refresh(message)
        self._messages.setdefault(chat_id, []).append(message)
        self._events.setdefault(chat_id, []).append(message)
        return message

    @staticmethod
    def _refresh(message: BotMessage) -> None:
        """Re-derive the convenience fields of a BotMessage from its raw Message."""
        raw = message.raw
        message.text = raw.get("text", raw.get("caption"))
        message.buttons = raw.get("reply_markup", {}).get("inline_keyboard", [])
        message.photo_file_id = raw["photo"][-1]["file_id"] if "photo" in raw else None
        message.document_file_id = raw["document"]["file_id"] if "document" in raw else None
        message.media_group = "media_group_id" in raw

    def _find_bot_message(self, chat_id: Any, message_id: int) -> BotMessage | None:
        return next((m for m in self._messages.get(chat_id, []) if m.message_id == message_id and not m.deleted), None)

    def _find_any(self, chat_id: Any, message_id: int) -> dict | None:
        message = self._find_bot_message(chat_id, message_id)
        return message.raw if message else self._user_messages.get((chat_id, message_id))

    def _editable(self, p: dict) -> BotMessage | None:
        """The bot message an edit* call addresses; None for inline messages."""
        if "chat_id" not in p:
            return None
        message = self._find_bot_message(p["chat_id"], p["message_id"])
        if message is None:
            if (p["chat_id"], p["message_id"]) in self._user_messages:
                raise ApiError(400, "Bad Request: message can't be edited")
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _apply_edit(self, message: BotMessage, content: dict, keys: tuple[str, ...], p: dict) -> dict:
        """Replace `keys` with `content` and the inline keyboard with p's (omitted = removed, as on Telegram)."""
        raw = message.raw
        markup = p.get("reply_markup")
        if all(raw.get(k) == content.get(k) for k in keys) and raw.get("reply_markup") == markup:
            raise ApiError(400, _NOT_MODIFIED)
        for key in keys:
            raw.pop(key, None)
        raw.update(content)
        raw.pop("reply_markup", None)
        if markup:
            raw["reply_markup"] = copy.deepcopy(markup)
        raw["edit_date"] = int(time.time())
        if keys:
            message.parse_mode = p.get("parse_mode")
        message.edited = True
        self._refresh(message)
        return raw

    def _transcript(self, chat_id: int) -> str:
        lines = [e if isinstance(e, str) else "< bot " + e.describe() for e in self._events.get(chat_id, [])]
        return f"transcript of chat {chat_id}:\n" + ("\n".join(f"  {line}" for line in lines) or "  (empty)")

