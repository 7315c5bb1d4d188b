"""A fake Zalo Official Account for end-to-end tests of the real bot process and for the sandbox.

The bot talks HTTP to this server exactly as it would to openapi.zalo.me and oauth.zaloapp.com;
the test thread plays the users (each event is POSTed to the bot's webhook, signed the way Zalo
signs it) and inspects what the bot sent. Every request is checked against the API's shape and
limits as the notes in /work/notes/zalo-oa-api.md describe them, so a contract mistake fails the
test instead of production. Rules the notes mark UNCONFIRMED are marked so here as well.
"""

from __future__ import annotations

import copy
import email.message
import hashlib
import http.client
import itertools
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from sandbox.http_body import read_body
from sandbox.multipart import parse_multipart
from sandbox.waits import Waits

from .models import WebhookDelivery, ZaloMessage, ZaloRequest, ZaloUser
from .shapes import (
    Outgoing,
    ZaloError,
    check_cs_message,
    check_template_message,
    invalid,
)
from .spec import (
    ACCESS_TOKEN_LIFETIME,
    ACK_DEADLINE,
    AUTHORIZATION_CODE_LIFETIME,
    CONSULTATION_WINDOW,
    DEAD_ROUTES,
    FILES_PREFIX,
    FREE_WINDOW,
    KNOWN_WRONG_PATHS,
    MIME_EXTENSIONS,
    OAUTH_ERRORS,
    OAUTH_PERMISSION,
    OAUTH_REF_DOC,
    OAUTH_TOKEN,
    OPENAPI_ROUTES,
    QUERY_BUTTON_TYPES,
    QUOTA,
    RATE_LIMIT_PER_MINUTE,
    REFRESH_TOKEN_LIFETIME,
    SEND_CS,
    SEND_TEMPLATE,
    UPLOAD_FILE,
    UPLOAD_GIF,
    UPLOAD_IMAGE,
    UPLOAD_LIMITS,
    UPLOAD_QUOTA_PER_MONTH,
    UPLOAD_TTL,
    UPLOAD_TYPES,
    USER_DETAIL,
    error_message,
    event_signature,
    pkce_challenge,
)

SIGNATURE_HEADER = "X-ZEvent-Signature"
VIETNAM = timezone(timedelta(hours=7))  # user_last_interaction_date is a calendar date in Vietnam
# A 1x1 PNG: what avatar and sticker URLs serve, so a bot that downloads them gets a real image.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cf"
    "c0f01f0005000201a5f4d5b20000000049454e44ae426082"
)
# Events that count as the user interacting with the OA and so reopen the 7-day window (§6.1).
_INTERACTIONS = ("follow", "user_submit_info", "user_click_chatnow")
# Events the OA side originates: sender.id is the OA and recipient.id the user (§1.2).
_OA_SIDE_PREFIXES = ("oa_send_", "user_received_message", "user_seen_message")
_Response = tuple[int, bytes, str, dict[str, str]]


@dataclass
class _Token:
    expires_at: float  # time.time()
    state: str = "valid"  # valid | used (refresh token spent) | revoked (access token replaced)


@dataclass
class _User:
    user_id: str
    user_id_by_app: str
    display_name: str
    follower: bool
    last_interaction: float | None
    shared_info: dict[str, str] | None = None


@dataclass
class _Upload:
    kind: str  # image | gif | file
    content: bytes
    name: str
    mime_type: str | None
    uploaded_at: float
    expired: bool = False


@dataclass
class _Hosted:
    content: bytes
    mime_type: str
    name: str


@dataclass
class _Fault:
    remaining: int
    error: int
    message: str | None
    path: str | None  # None: every openapi path

    def matches(self, path: str) -> bool:
        return self.path is None or self.path == path


@dataclass
class _Line:
    """A user-side transcript line; the webhook's answer is filled in once the POST returns
    (the line is added before, so a reply sent from inside the webhook call comes after it)."""

    text: str
    answers: list[str] = field(default_factory=list)
    event: dict[str, Any] | None = None  # the genuine event this line stands for, for conversation()

    def __str__(self) -> str:
        return self.text + (" -> " + ", ".join(self.answers) if self.answers else "")


@dataclass
class _Call:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lowercased names
    content_type: str
    body: bytes
    params: Any = None
    files: dict[str, bytes] = field(default_factory=dict)



def _dump(event: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON. Not Python's default separators or ASCII escapes, so a receiver that
    re-serializes the parsed JSON instead of hashing the raw bytes fails its signature check."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _media_type(content_type: str) -> tuple[str, str | None]:
    header = email.message.Message()
    header["Content-Type"] = content_type or "application/octet-stream"
    return header.get_content_type(), header.get_boundary()


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _extension(name: str | None) -> str | None:
    if not name or "." not in name:
        return None
    return name.rsplit(".", 1)[1].lower() or None


class _Handler(BaseHTTPRequestHandler):
    """Thin HTTP adapter; all logic lives in FakeZaloOA.handle_http."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes; see sandbox/botapi/server.py
    fake: FakeZaloOA  # set on the per-server subclass

    def do_GET(self) -> None:
        body = read_body(self)
        if body is None:
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, payload, content_type, extra = self.fake.handle_http(self.command, self.path, headers, body)
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Keep pytest output clean; every request is in FakeZaloOA.requests anyway."""


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a broadcast opens many connections at once
    daemon_threads = True


class FakeZaloOA(Waits[str, ZaloMessage]):
    """Fake Zalo OA API + OAuth + webhook emitter on http://127.0.0.1:<random port>.

    See the package docstring for usage. Knobs (plain attributes, change them any time):
    `webhook_url`; `rate_limit_per_minute`; `templates` (ZBS template id -> field names);
    `require_follower` (consultation sends to non-followers answer -213, UNCONFIRMED rule, off);
    `detail_requires_follower` (user/detail of a non-follower answers -213, on, as Chatwoot saw);
    `expired_token_error` (-216, or -220 which real code treats the same); `keep_old_access_token`
    (False: a refresh kills the previous access token at once, UNCONFIRMED, the stricter choice);
    `retry_delays` (empty: no webhook retries; e.g. tuple(d / 1000 for d in ZALO_RETRY_DELAYS));
    `echo_sends` (False: no oa_send_* echo events, whose existence for API sends is UNCONFIRMED);
    `ack_deadline`, `webhook_timeout`; `redirect_uri` (checked by /v4/oa/permission when set);
    `token_length` (issued tokens are long opaque strings; their real length is UNCONFIRMED and
    the 49-character doc sample is no length to size a database column by).

    Not modelled: user_send_business_card (shape UNCONFIRMED; send_event_named can build one),
    anonymous users, group chat, a per-user send limit (none is documented; inject -218 with
    fail_next), night-time blocking (promotion only). A sandbox that restarts against a kept bot
    database passes the stored tokens as access_token/refresh_token; message ids are random,
    so they cannot clash with stored ones."""

    _WHO = "user"
    _WHAT = "messages"

    def __init__(
        self,
        app_id: str = "3608465249012345678",
        oa_id: str = "388613280878808645",
        oa_secret_key: str = "oa-secret-key",
        app_secret: str = "app-secret-key",
        access_token: str | None = None,
        refresh_token: str | None = None,
        token_lifetime: float = ACCESS_TOKEN_LIFETIME,
        *,
        refresh_token_lifetime: float = REFRESH_TOKEN_LIFETIME,
        webhook_url: str | None = None,
    ) -> None:
        self.app_id = app_id
        self.oa_id = oa_id
        self.oa_secret_key = oa_secret_key
        self.app_secret = app_secret
        self.token_lifetime = token_lifetime
        self.refresh_token_lifetime = refresh_token_lifetime
        self.webhook_url = webhook_url
        self.rate_limit_per_minute = RATE_LIMIT_PER_MINUTE
        self.templates: dict[str, list[str]] = {}
        self.require_follower = False
        self.detail_requires_follower = True
        self.expired_token_error = -216
        self.keep_old_access_token = False
        self.retry_delays: tuple[float, ...] = ()
        self.echo_sends = False
        self.ack_deadline = ACK_DEADLINE
        self.webhook_timeout = 10.0
        self.redirect_uri: str | None = None
        self.token_length = 320
        self.requests: list[ZaloRequest] = []
        self.violations: list[str] = []
        self.deliveries: list[WebhookDelivery] = []
        self.refreshes = 0
        # Bound (and listening) right away so `url` is known before start().
        self._server = _Server(("127.0.0.1", 0), type("Handler", (_Handler,), {"fake": self}))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._token_numbers = itertools.count(2)
        now = time.time()
        self._access: dict[str, _Token] = {}
        self._refresh: dict[str, _Token] = {}
        self._current_access = access_token or self._mint("AT", 1)
        self._current_refresh = refresh_token or self._mint("RT", 1)
        self._access[self._current_access] = _Token(now + token_lifetime)
        self._refresh[self._current_refresh] = _Token(now + refresh_token_lifetime)
        self._codes: dict[str, tuple[float, str | None, bool]] = {}  # code -> (expires_at, challenge, used)
        self._refresh_failures: list[int] = []  # error codes for the next refresh attempts
        self._users: dict[str, _User] = {}
        self._messages: dict[str, list[ZaloMessage]] = {}
        self._events: dict[str, list[_Line | ZaloMessage]] = {}
        self._msg_ids: set[str] = set()
        self._user_msg_ids: dict[str, set[str]] = {}
        self._last_events: dict[str, tuple[bytes, dict[str, str]]] = {}
        self._uploads: dict[str, _Upload] = {}
        self._upload_times: deque[float] = deque()
        self._hosted: dict[str, _Hosted] = {}
        self._faults: list[_Fault] = []
        self._recent: deque[float] = deque()  # openapi request times within the last minute
        self._last_timestamp = 0
        self._inflight = 0
        self._pending = 0  # scheduled retries and echo deliveries not yet done
        self._timers: set[threading.Timer] = set()
        self._last_activity = time.monotonic()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Cancel pending webhook retries, stop serving and close the socket (idempotent)."""
        if self._closed:
            return
        self._closed = True
        with self._cond:
            timers = list(self._timers)
            self._timers.clear()
        for timer in timers:
            timer.cancel()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ tokens
    @property
    def access_token(self) -> str:
        """The newest access token issued (the one a correct bot uses)."""
        with self._cond:
            return self._current_access

    @property
    def refresh_token(self) -> str:
        """The newest refresh token issued; the only one a refresh may use (single use, §7.2)."""
        with self._cond:
            return self._current_refresh

    def expire_access_token(self) -> None:
        """The current access token expires now: every call with it answers `expired_token_error`
        (-216) and records no violation, since refreshing on -216 is the bot's correct path."""
        with self._cond:
            self._access[self._current_access].expires_at = time.time() - 1

    def expire_refresh_token(self) -> None:
        """The current refresh token expires (3 months passed): a refresh answers -14014, no violation."""
        with self._cond:
            self._refresh[self._current_refresh].expires_at = time.time() - 1

    def fail_refresh(self, times: int = 1, error: int = -14014) -> None:
        """The next `times` refresh_token requests answer `error` without being processed (tokens stay
        as they were): the bot's "refresh failed, alert staff" path. Not violations."""
        with self._cond:
            self._refresh_failures += [error] * times

    def authorization_code(self, code_challenge: str | None = None) -> str:
        """A fresh authorization code, as the OA admin's consent would deliver to the callback: valid
        10 minutes, single use; with a code_challenge the exchange must send the matching verifier."""
        with self._cond:
            code = secrets.token_urlsafe(48)
            self._codes[code] = (time.time() + AUTHORIZATION_CODE_LIFETIME, code_challenge, False)
            return code

    def _mint(self, prefix: str, number: int | None = None) -> str:
        """A long opaque token. Zalo's real length is UNCONFIRMED; the readable prefix helps logs."""
        n = next(self._token_numbers) if number is None else number
        head = f"{prefix}{n}_"
        return head + secrets.token_urlsafe(self.token_length)[: max(self.token_length - len(head), 8)]

    # ------------------------------------------------------------ users and state
    def add_user(
        self, user_id: str, *, display_name: str | None = None, follower: bool = True, last_interaction_ago: float | None = 0.0
    ) -> None:
        """Make a user known without sending any event (cheap setup, e.g. thousands of followers).
        `last_interaction_ago` None means the user never interacted (sends answer -230)."""
        self._check_uid(user_id)
        with self._cond:
            user = self._user(user_id)
            user.follower = follower
            if display_name is not None:
                user.display_name = display_name
            user.last_interaction = None if last_interaction_ago is None else time.time() - last_interaction_ago

    def set_last_interaction(self, user_id: str, seconds_ago: float) -> None:
        """Age the user's last interaction: more than 7 days ago makes consultation sends answer -230,
        48 h - 7 days makes them billed. Every user event refreshes it again."""
        self._check_uid(user_id)
        with self._cond:
            self._user(user_id).last_interaction = time.time() - seconds_ago

    def users(self) -> list[ZaloUser]:
        """Every user the OA knows, in the order they appeared."""
        with self._cond:
            return [ZaloUser(u.user_id, u.user_id_by_app, u.display_name, u.follower, u.last_interaction) for u in self._users.values()]

    @property
    def followers(self) -> list[str]:
        """Ids of the users who currently follow the OA."""
        with self._cond:
            return [u.user_id for u in self._users.values() if u.follower]

    def expire_upload(self, attachment: str | None = None) -> None:
        """Make one uploaded attachment_id / file token (or all of them) 7 days old: sending it answers -100."""
        with self._cond:
            for key, upload in self._uploads.items():
                if attachment is None or key == attachment:
                    upload.expired = True

    def fail_next(self, count: int, error: int = -32, message: str | None = None, path: str | None = SEND_CS) -> None:
        """Answer the next `count` requests to `path` (None: any openapi path) with Zalo error `error`
        (HTTP 200, Zalo's wording unless `message`), without processing them: -32 rate limit, -211
        quota, -218 receive quota, -213 not a follower, -227 inactive user, -216/-220 token..."""
        if count > 0:
            with self._cond:
                self._faults.append(_Fault(count, error, message, path))

    @staticmethod
    def _check_uid(user_id: str) -> None:
        if not isinstance(user_id, str) or not (user_id.isascii() and user_id.isdigit()):
            raise ValueError(f"Zalo user ids are numeric strings, got {user_id!r}")

    def _user(self, user_id: str) -> _User:
        """The user record, created on first sight (lock held)."""
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = _User(user_id, self._by_app(user_id), f"Người dùng {user_id[-4:]}", False, None)
        return user

    def _by_app(self, user_id: str) -> str:
        """The app-scoped id Zalo puts in user_id_by_app: a different, stable 18-digit string."""
        return str(10**17 + int(hashlib.sha256(f"{self.app_id}:{user_id}".encode()).hexdigest()[:15], 16) % (9 * 10**17))

    # ------------------------------------------------------------ playing users
    def follow(self, user_id: str, *, source: str = "oa_profile", display_name: str | None = None) -> int:
        """The user follows the OA (an interaction). Values of `source` other than "oa_profile" are UNCONFIRMED."""
        self._check_uid(user_id)
        with self._cond:
            user = self._user(user_id)
            if display_name is not None:
                user.display_name = display_name
            event = {
                "oa_id": self.oa_id, "follower": {"id": user_id}, "user_id_by_app": user.user_id_by_app,
                "event_name": "follow", "source": source, "app_id": self.app_id, "timestamp": self._timestamp(),
            }  # fmt: skip
        return self._emit(event, label=f"> follow (source {source})")

    def unfollow(self, user_id: str) -> int:
        """The user unfollows the OA (not an interaction: the 7-day window keeps running)."""
        self._check_uid(user_id)
        with self._cond:
            user = self._user(user_id)
            event = {
                "oa_id": self.oa_id, "follower": {"id": user_id}, "user_id_by_app": user.user_id_by_app,
                "event_name": "unfollow", "source": "oa_profile", "app_id": self.app_id, "timestamp": self._timestamp(),
            }  # fmt: skip
        return self._emit(event, label="> unfollow")

    def send_text(self, user_id: str, text: str) -> int:
        """The user types `text` (user_send_text)."""
        return self._emit(self.make_event(user_id, "user_send_text", {"text": text}), label=f"> user: {text!r}")

    def tap(self, user_id: str, payload: str) -> int:
        """The user taps an oa.query.show/hide button the bot sent earlier: Zalo delivers the payload as
        an ordinary user_send_text (§4). Fails if no message to this user has such a button; to fake a
        user typing a payload by hand (a forged tap), use send_text. The tap carries a msg_id and
        counts as an interaction, hidden (oa.query.hide) or not: the msg_id part is UNCONFIRMED."""
        with self._cond:
            buttons = [b for m in self._messages.get(user_id, []) for b in m.buttons if b[1] in QUERY_BUTTON_TYPES and b[2] == payload]
            if not buttons:
                raise AssertionError(f"user {user_id}: no query button with payload {payload!r} was sent\n{self._transcript(user_id)}")
            title, kind, _ = buttons[-1]
        label = f"> user tapped {title!r} ({kind}) -> {payload!r}"
        return self._emit(self.make_event(user_id, "user_send_text", {"text": payload}), label=label)

    def send_image(self, user_id: str, content: bytes, mime: str = "image/jpeg", caption: str | None = None) -> int:
        """The user sends a photo; its bytes are served at payload.url (and payload.thumbnail)."""
        with self._cond:
            url = self._host(content, mime, "image." + MIME_EXTENSIONS.get(mime, "jpg"))
        message: dict[str, Any] = {"attachments": [{"type": "image", "payload": {"thumbnail": url, "url": url}}]}
        if caption is not None:
            message["text"] = caption
        label = f"> user [image {len(content)} bytes]" + (f" {caption!r}" if caption else "")
        return self._emit(self.make_event(user_id, "user_send_image", message), label=label)

    def send_file(self, user_id: str, content: bytes, name: str, mime: str) -> int:
        """The user sends a document: payload {url, size (string), name, checksum, type (extension)}.
        The checksum algorithm is UNCONFIRMED; the fake sends the MD5 hex of the content."""
        extension = _extension(name) or MIME_EXTENSIONS.get(mime, "")
        with self._cond:
            url = self._host(content, mime, name)
        payload = {"url": url, "size": str(len(content)), "name": name, "checksum": hashlib.md5(content).hexdigest(), "type": extension}
        message = {"attachments": [{"type": "file", "payload": payload}]}
        return self._emit(self.make_event(user_id, "user_send_file", message), label=f"> user [file {name!r}, {len(content)} bytes]")

    def send_sticker(self, user_id: str, sticker_id: str = "bfe458bf64fa8da4d4eb") -> int:
        """The user sends a sticker: payload {id, url}."""
        with self._cond:
            url = self._host(TINY_PNG, "image/png", "sticker.png")
        message = {"attachments": [{"type": "sticker", "payload": {"id": sticker_id, "url": url}}]}
        return self._emit(self.make_event(user_id, "user_send_sticker", message), label="> user [sticker]")

    def send_location(self, user_id: str, lat: float | str, lon: float | str, text: str | None = None) -> int:
        """The user shares a location: coordinates as strings (§1.3); `text` may hold an address."""
        payload = {"coordinates": {"latitude": str(lat), "longitude": str(lon)}}
        message: dict[str, Any] = {"attachments": [{"type": "location", "payload": payload}]}
        if text is not None:
            message["text"] = text
        return self._emit(self.make_event(user_id, "user_send_location", message), label=f"> user [location {lat},{lon}]")

    def send_link(self, user_id: str, url: str, description: str = "", thumbnail: str = "") -> int:
        """The user shares a link: payload {url, description, thumbnail}."""
        message = {"attachments": [{"type": "link", "payload": {"url": url, "description": description, "thumbnail": thumbnail}}]}
        return self._emit(self.make_event(user_id, "user_send_link", message), label=f"> user [link {url}]")

    def send_event_named(self, user_id: str, event_name: str, attachments: list[dict[str, Any]] | None = None, text: str | None = None) -> int:
        """Any other user event with a message, e.g. user_send_audio [{type: "audio", payload: {url}}],
        user_send_video or user_send_gif; the fake adds msg_id and the envelope."""
        message: dict[str, Any] = {}
        if text is not None:
            message["text"] = text
        if attachments is not None:
            message["attachments"] = copy.deepcopy(attachments)
        return self._emit(self.make_event(user_id, event_name, message), label=f"> user [{event_name}]" + (f" {text!r}" if text else ""))

    def submit_info(self, user_id: str, *, name: str, phone: str, address: str = "", city: str = "", ward: str = "") -> int:
        """The user answers a request_user_info card (user_submit_info, an interaction). The field set
        is UNCONFIRMED and differs between sources (§1.3); the fake uses [SPEC]'s."""
        self._check_uid(user_id)
        with self._cond:
            user = self._user(user_id)
            user.shared_info = {"address": address, "city": city, "district": "", "phone": phone, "name": name}
            event = {
                "app_id": self.app_id, "sender": {"id": user_id}, "user_id_by_app": user.user_id_by_app,
                "recipient": {"id": self.oa_id}, "event_name": "user_submit_info",
                "info": {"name": name, "phone": phone, "full_address": {"user_city": city, "user_ward": ward, "user_address": address}},
                "timestamp": self._timestamp(),
            }  # fmt: skip
        return self._emit(event, label=f"> user shared info {name!r} {phone!r}")

    def click_chatnow(self, user_id: str) -> int:
        """The user taps "Nhắn tin" on the OA profile (user_click_chatnow: flat, no sender; an interaction)."""
        self._check_uid(user_id)
        with self._cond:
            self._user(user_id)
            event = {"app_id": self.app_id, "oa_id": self.oa_id, "user_id": user_id, "event_name": "user_click_chatnow", "timestamp": self._timestamp()}
        return self._emit(event, label="> user clicked chat now")

    def received(self, user_id: str, message_id: str) -> int:
        """Delivery receipt for one OA message (user_received_message: sender is the OA, one msg_id)."""
        return self._emit(self._oa_side_event(user_id, "user_received_message", {"msg_id": message_id}), label=f"> received {message_id}")

    def seen(self, user_id: str, message_ids: list[str] | None = None) -> int:
        """The user saw OA messages (user_seen_message carries msg_ids, an array); default: all of them."""
        with self._cond:
            ids = message_ids if message_ids is not None else [m.message_id for m in self._messages.get(user_id, [])]
        return self._emit(self._oa_side_event(user_id, "user_seen_message", {"msg_ids": list(ids)}), label=f"> seen {len(ids)} message(s)")

    def make_event(self, user_id: str, event_name: str, message: dict[str, Any] | None = None, *, timestamp: int | str | None = None) -> dict[str, Any]:
        """A user -> OA event as Zalo builds it (§1.2), not sent: for send_event's raw control (stale
        timestamps, odd payloads). A msg_id (20 hex chars) is added unless `message` has one."""
        self._check_uid(user_id)
        with self._cond:  # the user becomes known only if the event is delivered signed
            body = dict(message or {})
            body.setdefault("msg_id", self._new_msg_id())
            return {
                "app_id": self.app_id, "sender": {"id": user_id}, "user_id_by_app": self._by_app(user_id),
                "recipient": {"id": self.oa_id}, "event_name": event_name, "message": body,
                "timestamp": str(timestamp) if timestamp is not None else self._timestamp(),
            }  # fmt: skip

    def send_event(self, event: dict[str, Any], *, sign: bool = True, signature: str | None = None) -> int:
        """POST any event: signed as Zalo signs (sign=True), unsigned (sign=False) or with the given
        X-ZEvent-Signature value (forged). Only correctly signed events change the fake's state
        (user known, interaction time), as only those would have come from Zalo."""
        return self._emit(copy.deepcopy(event), sign=sign, signature=signature)

    def last_event(self, user_id: str) -> tuple[bytes, dict[str, str]]:
        """The exact body and headers last POSTed for the user (to replay with post_raw)."""
        with self._cond:
            if user_id not in self._last_events:
                raise AssertionError(f"no event was sent for user {user_id}")
            body, headers = self._last_events[user_id]
            return body, dict(headers)

    def post_raw(self, body: bytes, headers: dict[str, str]) -> int:
        """POST exact bytes and headers to the webhook (a replay: Zalo retrying an event it already
        delivered sends the same body and signature). Returns the status; never retried."""
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        event = event if isinstance(event, dict) else {}
        return self._emit_bytes(body, dict(headers), event, label=None, retry=False)

    # ----------------------------------------------------------------- observing
    def messages(self, user_id: str) -> list[ZaloMessage]:
        """Copies of what the OA sent to the user and Zalo accepted, in order."""
        with self._cond:
            return copy.deepcopy(self._messages.get(user_id, []))

    def wait_idle(self, quiet: float = 0.5, timeout: float = 15.0) -> None:
        """Wait until no request or webhook delivery is in progress, no retry or echo is pending,
        and nothing happened for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                quiet_left = quiet - (now - self._last_activity)
                if self._inflight == 0 and self._pending == 0 and quiet_left <= 0:
                    return
                if now >= deadline:
                    raise AssertionError(
                        f"not idle after {timeout}s: {self._inflight} request(s)/deliveries in progress, "
                        f"{self._pending} retry/echo delivery(ies) pending{self._violation_note()}"
                    )
                self._cond.wait(min(deadline - now, max(quiet_left, 0.05)))

    def conversation(self, user_id: str) -> list[tuple[str, Any]]:
        """The chat for a sandbox page, oldest first: ("user", event) for each genuine event about the
        user (replays and echoes included, as the bot saw them) and ("bot", ZaloMessage) for each
        accepted send, as copies. Refused sends and forged events are left out (see transcript)."""
        with self._cond:
            items: list[tuple[str, Any]] = []
            for entry in self._events.get(user_id, []):
                if isinstance(entry, ZaloMessage):
                    items.append(("bot", entry))
                elif entry.event is not None:
                    items.append(("user", entry.event))
            return copy.deepcopy(items)

    def transcript(self, user_id: str) -> str:
        """Both sides of the conversation, readable (for assertion messages)."""
        with self._cond:
            return self._transcript(user_id)

    def file_url(self, content: bytes, mime: str = "application/octet-stream", name: str = "file") -> str:
        """Serve `content` at a fresh /files/<token> URL (what user uploads use)."""
        with self._cond:
            return self._host(content, mime, name)

    def assert_no_violations(self) -> None:
        with self._cond:
            if self.violations:
                raise AssertionError("Zalo OA API contract violations:\n" + "\n".join(f"  - {v}" for v in self.violations))

    def reset_violations(self) -> None:
        with self._cond:
            self.violations.clear()

    # ---------------------------------------------------------------- webhook side
    def _timestamp(self) -> str:
        """Epoch milliseconds as a string, strictly increasing so no two events share one (lock held)."""
        self._last_timestamp = max(int(time.time() * 1000), self._last_timestamp + 1)
        return str(self._last_timestamp)

    def _new_msg_id(self) -> str:
        """20 lowercase hex characters, unique across user and OA messages (lock held)."""
        while True:
            msg_id = secrets.token_hex(10)
            if msg_id not in self._msg_ids:
                self._msg_ids.add(msg_id)
                return msg_id

    def _host(self, content: bytes, mime: str, name: str) -> str:
        token = secrets.token_urlsafe(18)
        self._hosted[token] = _Hosted(content, mime, name)
        return f"{self.url}{FILES_PREFIX}{token}"

    def _oa_side_event(self, user_id: str, event_name: str, message: dict[str, Any]) -> dict[str, Any]:
        self._check_uid(user_id)
        with self._cond:
            return {
                "app_id": self.app_id, "sender": {"id": self.oa_id}, "user_id_by_app": self._by_app(user_id),
                "recipient": {"id": user_id}, "event_name": event_name, "message": message, "timestamp": self._timestamp(),
            }  # fmt: skip

    def _expected_signature(self, body: bytes, event: dict[str, Any]) -> str:
        return event_signature(str(event.get("app_id", self.app_id)), body, str(event.get("timestamp", "")), self.oa_secret_key)

    def _emit(self, event: dict[str, Any], *, sign: bool = True, signature: str | None = None, label: str | None = None) -> int:
        """Serialize (compact UTF-8 JSON: Zalo's exact whitespace is unknown, and this form breaks
        receivers that hash re-serialized JSON), sign, deliver. Not done, all UNCONFIRMED in §2:
        an X-ZEvent-Timestamp header (one receiver reads it; the formula uses the body field), a
        test POST when the webhook URL is saved, disabling the webhook after repeated failures.
        Ids are always strings; whether Zalo ever sends bare JSON numbers is UNCONFIRMED, so a test
        of defensive parsing builds such an event itself and passes it to send_event."""
        body = _dump(event)
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        elif sign:
            headers[SIGNATURE_HEADER] = self._expected_signature(body, event)
        return self._emit_bytes(body, headers, event, label=label, retry=True)

    def _emit_bytes(self, body: bytes, headers: dict[str, str], event: dict[str, Any], *, label: str | None, retry: bool) -> int:
        if not self.webhook_url:
            raise RuntimeError("set fake.webhook_url to the bot's webhook before playing users")
        sent_signature = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), None)
        genuine = sent_signature == self._expected_signature(body, event) and str(event.get("app_id")) == self.app_id
        event_name = str(event.get("event_name", "?"))
        with self._cond:
            user_id = self._note_event(event, genuine)
            text = (label or f"> {event_name}" + self._event_summary(event)) + ("" if genuine else " [unsigned]" if sent_signature is None else " [bad signature]")
            line = _Line(text, event=copy.deepcopy(event) if genuine else None)
            if user_id is not None:
                self._events.setdefault(user_id, []).append(line)
                self._last_events[user_id] = (body, dict(headers))
        return self._deliver(body, headers, event_name=event_name, user_id=user_id, genuine=genuine, line=line, retry=retry)

    @staticmethod
    def _event_summary(event: dict[str, Any]) -> str:
        message = event.get("message")
        if not isinstance(message, dict):
            return ""
        parts = [repr(message["text"])] if "text" in message else []
        attachments = message.get("attachments")
        if isinstance(attachments, list):
            parts += [f"[{a.get('type')}]" for a in attachments if isinstance(a, dict)]
        return (" " + " ".join(parts)) if parts else ""

    def _note_event(self, event: dict[str, Any], genuine: bool) -> str | None:
        """The user the event concerns; for genuine events also register the user, follow state,
        interaction time and msg_id (lock held)."""
        name = str(event.get("event_name", ""))
        sender, recipient, follower = (_as_dict(event.get(key)) for key in ("sender", "recipient", "follower"))
        if name in ("follow", "unfollow"):
            raw_id = follower.get("id")
        elif name == "user_click_chatnow":
            raw_id = event.get("user_id")
        elif name.startswith(_OA_SIDE_PREFIXES):
            raw_id = recipient.get("id")
        else:
            raw_id = sender.get("id")
        user_id = str(raw_id) if raw_id is not None else None
        if not genuine or user_id is None or not user_id.isdigit():
            return user_id
        user = self._user(user_id)
        if name == "follow":
            user.follower = True
        elif name == "unfollow":
            user.follower = False
        if name.startswith("user_send_") or name in _INTERACTIONS:
            try:
                at = int(str(event.get("timestamp"))) / 1000
            except ValueError:
                at = time.time()
            user.last_interaction = max(user.last_interaction or 0.0, at)
        message = event.get("message")
        if name.startswith("user_send_") and isinstance(message, dict) and isinstance(message.get("msg_id"), str):
            self._msg_ids.add(message["msg_id"])
            self._user_msg_ids.setdefault(user_id, set()).add(message["msg_id"])
        self._cond.notify_all()
        return user_id

    def _deliver(
        self, body: bytes, headers: dict[str, str], *, event_name: str, user_id: str | None, genuine: bool, line: _Line | None,
        retry: bool, attempt: int = 0,
    ) -> int:  # fmt: skip
        """POST to the webhook (no lock held: the bot may call the API while answering), record the
        outcome, and schedule a retry of a failed genuine delivery when retry_delays is set."""
        url = self.webhook_url or ""
        split = urlsplit(url)
        connection_class = http.client.HTTPSConnection if split.scheme == "https" else http.client.HTTPConnection
        path = (split.path or "/") + (f"?{split.query}" if split.query else "")
        with self._cond:
            self._inflight += 1
        started = time.monotonic()
        status, error = 0, None
        try:
            connection = connection_class(split.hostname or "127.0.0.1", split.port, timeout=self.webhook_timeout)
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            finally:
                connection.close()
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
        seconds = time.monotonic() - started
        with self._cond:
            self._inflight -= 1
            self._last_activity = time.monotonic()
            self.deliveries.append(WebhookDelivery(event_name, user_id, body, dict(headers), status, seconds, genuine, attempt, error))
            if line is not None:
                answer = f"HTTP {status}" if status else "unreachable"
                line.answers.append(answer + (f" after {seconds:.1f}s" if seconds > self.ack_deadline else "") + (f" (retry {attempt})" if attempt else ""))
            late = status != 0 and seconds > self.ack_deadline
            if genuine and status not in (0, 200):
                self.violations.append(f"webhook answered HTTP {status} to a genuine {event_name} event (Zalo expects 200 and retries otherwise)")
            if genuine and late:
                self.violations.append(f"webhook took {seconds:.2f}s to answer {event_name} (Zalo counts a delivery as failed after {self.ack_deadline:g}s)")
            failed = status != 200 or late
            if genuine and failed and retry and attempt < len(self.retry_delays) and not self._closed:
                self._schedule_retry(body, headers, event_name, user_id, line, attempt + 1)
            self._cond.notify_all()
        return status

    def _schedule_retry(self, body: bytes, headers: dict[str, str], event_name: str, user_id: str | None, line: _Line | None, attempt: int) -> None:
        """Zalo re-sends the same bytes and signature with a num_retry header (UNCONFIRMED; absent on
        the first delivery here). Lock held."""
        retry_headers = {**headers, "num_retry": str(attempt)}

        def run() -> None:
            with self._cond:
                self._timers.discard(timer)
            try:
                self._deliver(body, retry_headers, event_name=event_name, user_id=user_id, genuine=True, line=line, retry=True, attempt=attempt)
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

        timer = threading.Timer(self.retry_delays[attempt - 1], run)
        timer.daemon = True
        self._pending += 1
        self._timers.add(timer)
        timer.start()

    def _echo(self, message: ZaloMessage) -> None:
        """Post the oa_send_* echo of an API send in the background (only with echo_sends; lock held)."""
        name = {"text": "oa_send_text", "file": "oa_send_file", "sticker": "oa_send_sticker", "template": "oa_send_template"}.get(message.kind, "oa_send_template")
        body: dict[str, Any] = {"msg_id": message.message_id}
        if message.text:
            body["text"] = message.text
        if message.kind == "image":
            name = "oa_send_gif" if message.media_type == "gif" else "oa_send_image"
            url = message.image_url or self._host(message.content or b"", message.mime_type or "image/jpeg", message.file_name or "image")
            body["attachments"] = [{"type": message.media_type, "payload": {"url": url, "thumbnail": url}}]
        elif message.kind == "file":
            url = self._host(message.content or b"", message.mime_type or "application/octet-stream", message.file_name or "file")
            body["attachments"] = [{"type": "file", "payload": {"url": url, "size": str(len(message.content or b"")), "name": message.file_name}}]
        user = self._user(message.user_id)
        event = {
            "app_id": self.app_id, "sender": {"id": self.oa_id}, "user_id_by_app": user.user_id_by_app,
            "recipient": {"id": message.user_id}, "event_name": name, "message": body, "timestamp": self._timestamp(),
        }  # fmt: skip
        self._pending += 1

        def run() -> None:
            try:
                self._emit(event, label=f"> echo {name} {message.message_id}")
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

        threading.Thread(target=run, daemon=True).start()

    # ------------------------------------------------------------------- HTTP side
    def handle_http(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> _Response:
        """Answer one HTTP request: (status, body, Content-Type, extra headers). Runs on a server thread."""
        split = urlsplit(raw_path)
        call = _Call(method, split.path, dict(parse_qsl(split.query, keep_blank_values=True)), headers, headers.get("content-type", ""), body)
        with self._cond:
            self._inflight += 1
            self._last_activity = time.monotonic()
        try:
            if call.path.startswith(FILES_PREFIX):
                return self._serve_file(call)
            if call.path == OAUTH_TOKEN:
                return self._oauth_token(call)
            if call.path == OAUTH_PERMISSION:
                return self._oauth_permission(call)
            return self._openapi(call)
        finally:
            with self._cond:
                self._inflight -= 1
                self._last_activity = time.monotonic()
                self._cond.notify_all()

    def _record(self, call: _Call, error: int, message: str, status: int = 200, violation: str | None = None) -> None:
        with self._cond:
            if violation:
                self.violations.append(f"{call.method} {call.path}: {violation} -> {error} {message}")
            params = call.params if call.params is not None else dict(call.query)
            self.requests.append(ZaloRequest(call.method, call.path, dict(call.headers), params, dict(call.files), error, message, status))

    def _serve_file(self, call: _Call) -> _Response:
        """User uploads (and avatars, stickers) at /files/<token>: public URLs, as on Zalo's CDN."""
        with self._cond:
            hosted = self._hosted.get(call.path.removeprefix(FILES_PREFIX))
        if hosted is None or call.method not in ("GET", "HEAD"):
            self._record(call, -404, "Not Found", 404)
            return 404, b"Not Found", "text/plain", {}
        self._record(call, 0, "OK")
        disposition = f"inline; filename*=UTF-8''{quote(hosted.name)}"
        return 200, hosted.content, hosted.mime_type, {"Content-Disposition": disposition}

    # ---- openapi.zalo.me
    def _openapi(self, call: _Call) -> _Response:
        expected_method = OPENAPI_ROUTES.get(call.path)
        if expected_method is None:
            if call.path in DEAD_ROUTES:
                code, why = DEAD_ROUTES[call.path]
                return self._zalo_error(call, ZaloError(code, violation=why), {})
            hint = KNOWN_WRONG_PATHS.get(call.path, "not a Zalo OA API path this fake knows")
            self._record(call, -209, error_message(-209), 404, f"unknown path ({hint})")
            return 404, json.dumps({"error": -209, "message": error_message(-209)}).encode(), "application/json", {}
        with self._cond:
            over, rate_headers = self._count_rate()
            fault = next((f for f in self._faults if f.matches(call.path)), None)
            if fault is not None and not over:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
        try:
            if over:
                raise ZaloError(-32, violation=f"more than {self.rate_limit_per_minute} OA API requests within a minute (§8)")
            if fault is not None:
                raise ZaloError(fault.error, fault.message if fault.message is not None else error_message(fault.error))
            if call.method != expected_method:
                raise ZaloError(-209, violation=f"{call.path} is called with {expected_method}, not {call.method}")
            self._authenticate(call)
            handler: Callable[[_Call], Any] = {
                SEND_CS: self._send_cs,
                SEND_TEMPLATE: self._send_template,
                UPLOAD_IMAGE: self._upload,
                UPLOAD_FILE: self._upload,
                UPLOAD_GIF: self._upload,
                USER_DETAIL: self._user_detail,
                QUOTA: self._quota,
            }[call.path]
            data = handler(call)
        except ZaloError as error:
            return self._zalo_error(call, error, rate_headers)
        self._record(call, 0, "Success")
        body = json.dumps({"data": data, "error": 0, "message": "Success"}, ensure_ascii=False).encode("utf-8")
        return 200, body, "application/json", rate_headers

    def _zalo_error(self, call: _Call, error: ZaloError, headers: dict[str, str]) -> _Response:
        """Zalo's error answer: HTTP 200, {"error", "message"}, no data (§3.1)."""
        self._record(call, error.code, error.message, 200, error.violation)
        return 200, json.dumps({"error": error.code, "message": error.message}, ensure_ascii=False).encode("utf-8"), "application/json", headers

    def _count_rate(self) -> tuple[bool, dict[str, str]]:
        """Count one request in the rolling minute; (over the limit?, X-RateLimit-* headers) (lock held)."""
        now = time.monotonic()
        while self._recent and self._recent[0] <= now - 60.0:
            self._recent.popleft()
        over = len(self._recent) >= self.rate_limit_per_minute
        if not over:
            self._recent.append(now)
        remain = max(self.rate_limit_per_minute - len(self._recent), 0)
        return over, {"X-RateLimit-Limit": str(self.rate_limit_per_minute), "X-RateLimit-Remain": str(remain)}

    def _authenticate(self, call: _Call) -> None:
        """The `access_token` header (§3.1): missing or never issued -216 and a violation; expired or
        replaced by a refresh `expired_token_error` without one (refresh-and-retry is correct)."""
        token = call.headers.get("access_token")
        if token is None:
            if "access_token" in call.query:
                raise ZaloError(-216, violation="access_token sent as a query parameter; v3 takes it in an `access_token` header")
            hint = "; `Authorization: Bearer` is not Zalo's scheme" if "authorization" in call.headers else ""
            raise ZaloError(-216, violation=f"missing `access_token` header{hint}")
        with self._cond:
            record = self._access.get(token)
            if record is None:
                raise ZaloError(-216, violation=f"access token {token[:12]}... was never issued by this OA")
            if record.state == "revoked":
                raise ZaloError(-216)
            if record.expires_at <= time.time():
                raise ZaloError(self.expired_token_error)

    @staticmethod
    def _json_body(call: _Call) -> Any:
        media_type, _ = _media_type(call.content_type)
        if media_type != "application/json":
            raise invalid("body", f"{call.path} takes a JSON body (Content-Type application/json), got {call.content_type!r}")
        try:
            call.params = json.loads(call.body)
        except ValueError as exc:
            raise invalid("body", f"body is not valid JSON: {exc}") from None
        return call.params

    def _send_cs(self, call: _Call) -> dict[str, Any]:
        """POST /v3.0/oa/message/cs: shape (§3.3), recipient known, 7-day window (§6.1), ids resolved."""
        body = self._json_body(call)
        recipient = body.get("recipient") if isinstance(body, dict) else None
        target = recipient.get("user_id") if isinstance(recipient, dict) else None
        try:
            outgoing = check_cs_message(body)
            with self._cond:
                return self._accept_cs(outgoing, body)
        except ZaloError as error:
            with self._cond:
                if isinstance(target, str) and target in self._users:
                    what = (error.violation or "").split(" (")[0]
                    self._events.setdefault(target, []).append(_Line(f"< bot send refused: {error.code} {error.message}" + (f" [{what}]" if what else "")))
            raise

    def _accept_cs(self, outgoing: Outgoing, raw: dict[str, Any]) -> dict[str, Any]:
        """The state checks and the recording of an accepted consultation message (lock held).

        A known user who never interacted gets -230 too (Zalo may answer -232 there: UNCONFIRMED).
        The window counts from the newest genuine user event or follow (§6.1)."""
        user = self._users.get(outgoing.user_id)
        if user is None:
            raise invalid("user_id", f"recipient.user_id {outgoing.user_id} is not a user of this OA (never followed it or wrote to it)")
        if self.require_follower and not user.follower:
            raise ZaloError(-213)
        now = time.time()
        if user.last_interaction is None or now - user.last_interaction > CONSULTATION_WINDOW:
            age = "never" if user.last_interaction is None else f"{(now - user.last_interaction) / 86400:.1f} days ago"
            raise ZaloError(-230, violation=f"user {user.user_id} last interacted {age}: outside the 7-day consultation window, use a ZBS template (§6.1)")
        if outgoing.quote_message_id is not None:
            known = self._user_msg_ids.get(user.user_id, set()) | {m.message_id for m in self._messages.get(user.user_id, [])}
            if outgoing.quote_message_id not in known:
                raise invalid("quote_message_id", f"quote_message_id {outgoing.quote_message_id!r} is not a message of this conversation")
        message = ZaloMessage(
            "", user.user_id, outgoing.kind, outgoing.text, list(outgoing.buttons), media_type=outgoing.media_type,
            image_url=outgoing.image_url, quote_message_id=outgoing.quote_message_id, raw=copy.deepcopy(raw),
        )  # fmt: skip
        if outgoing.attachment_id is not None and outgoing.media_type in ("image", "gif"):
            upload = self._resolve(outgoing.attachment_id, outgoing.media_type, "attachment_id")
            message.content, message.file_name, message.mime_type = upload.content, upload.name, upload.mime_type
        if outgoing.file_token is not None:
            upload = self._resolve(outgoing.file_token, "file", "token")
            message.content, message.file_name, message.mime_type = upload.content, upload.name, upload.mime_type
        message.attachment = outgoing.attachment_id or outgoing.file_token
        message.billed = now - user.last_interaction > FREE_WINDOW
        return self._store_message(message)

    def _store_message(self, message: ZaloMessage) -> dict[str, Any]:
        """Give the message an id and time, keep it, and build data{} of the answer (lock held).
        No `quota` is returned: Zalo stopped returning remain/total after 2026-03-01 (§3.4)."""
        message.message_id = self._new_msg_id()
        message.sent_time = int(time.time() * 1000)
        self._messages.setdefault(message.user_id, []).append(message)
        self._events.setdefault(message.user_id, []).append(message)
        if self.echo_sends and self.webhook_url:
            self._echo(message)
        self._cond.notify_all()
        return {"message_id": message.message_id, "user_id": message.user_id, "sent_time": str(message.sent_time)}

    def _resolve(self, key: str, kind: str, field_name: str) -> _Upload:
        """An uploaded attachment_id / token of the right kind, not older than 7 days (§5) (lock held)."""
        upload = self._uploads.get(key)
        if upload is None:
            raise invalid(field_name, f"{field_name} {key[:16]!r} was never returned by /v2.0/oa/upload/{kind}")
        if upload.kind != kind:
            raise invalid(field_name, f"{field_name} {key[:16]!r} came from /v2.0/oa/upload/{upload.kind}, not /upload/{kind}")
        if upload.expired or time.time() - upload.uploaded_at > UPLOAD_TTL:
            raise ZaloError(-100)
        return upload

    def _send_template(self, call: _Call) -> dict[str, Any]:
        """POST /v3.0/oa/message/template, a ZBS template by UID: UNCONFIRMED endpoint and body (§6.2,
        [SPEC] §5.4). Not bound to the 7-day window (it is the route outside it); the user must be
        known to the OA. Answer as [SPEC] shows it, without the optional quota."""
        user_id, template_id, data = check_template_message(self._json_body(call), self.templates)
        with self._cond:
            if user_id not in self._users:
                raise invalid("user_id", f"user_id {user_id} is not a user of this OA")
            message = ZaloMessage("", user_id, "template", template_id=template_id, template_data=data, raw=copy.deepcopy(call.params))
            return self._store_message(message)

    def _upload(self, call: _Call) -> dict[str, Any]:
        """POST /v2.0/oa/upload/image|file|gif: multipart, the file in part `file` (§5). Type and size
        refusals use -201 and -210; Zalo's real codes for them are UNCONFIRMED. So is refusing the
        5,001st upload of a month with -211."""
        media_type, boundary = _media_type(call.content_type)
        if media_type != "multipart/form-data":
            raise invalid("file", f"uploads are multipart/form-data with the file in a part named `file`, got {call.content_type!r}")
        try:
            fields, parts = parse_multipart(call.body, boundary or "")
        except ValueError as exc:
            raise invalid("file", f"malformed multipart body: {exc}") from None
        call.params = fields
        call.files = {name: part.data for name, part in parts.items()}
        part = parts.get("file")
        if part is None:
            raise invalid("file", f"no file part named `file` (file parts {sorted(parts)}, fields {sorted(fields)})")
        extension = _extension(part.filename) or MIME_EXTENSIONS.get(part.content_type or "")
        allowed = UPLOAD_TYPES[call.path]
        if extension not in allowed:
            raise invalid("file", f"{call.path} takes {sorted(allowed)}, got {part.filename!r} ({part.content_type}) (error code UNCONFIRMED)")
        if not part.data:
            raise invalid("file", "empty file")
        limit = UPLOAD_LIMITS[call.path]
        if len(part.data) > limit:
            raise ZaloError(-210, violation=f"{len(part.data)} bytes exceed the {limit // (1024 * 1024)} MB limit of {call.path} (error code UNCONFIRMED)")
        kind = call.path.rsplit("/", 1)[1]
        with self._cond:
            now = time.time()
            while self._upload_times and self._upload_times[0] <= now - 30 * 86400:
                self._upload_times.popleft()
            if len(self._upload_times) >= UPLOAD_QUOTA_PER_MONTH:
                raise ZaloError(-211, violation=f"more than {UPLOAD_QUOTA_PER_MONTH} uploads within a month (§5; error code UNCONFIRMED)")
            self._upload_times.append(now)
            key = secrets.token_urlsafe(27)
            self._uploads[key] = _Upload(kind, part.data, part.filename or "file", part.content_type, now)
        return {"token": key} if kind == "file" else {"attachment_id": key}

    def _known_user(self, value: Any, where: str) -> _User:
        if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
            raise invalid("user_id", f"{where} must be a string of digits, got {value!r}")
        user = self._users.get(value)
        if user is None:
            raise invalid("user_id", f"{where} {value} is not a user of this OA")
        return user

    def _user_detail(self, call: _Call) -> dict[str, Any]:
        """GET /v3.0/oa/user/detail?data={"user_id": "..."} (§9); a non-follower answers -213."""
        raw = call.query.get("data")
        try:
            data = json.loads(raw) if raw is not None else None
        except ValueError:
            data = None
        call.params = {"data": data if data is not None else raw}
        if not isinstance(data, dict) or set(data) != {"user_id"}:
            raise invalid("data", f"user/detail takes ?data={{\"user_id\": \"...\"}} (URL-encoded JSON), got {raw!r}")
        with self._cond:
            user = self._known_user(data["user_id"], "data.user_id")
            if self.detail_requires_follower and not user.follower:
                raise ZaloError(-213)
            avatar = f"{self.url}{FILES_PREFIX}avatar{user.user_id}"
            self._hosted.setdefault(f"avatar{user.user_id}", _Hosted(TINY_PNG, "image/png", "avatar.png"))
            last = "" if user.last_interaction is None else datetime.fromtimestamp(user.last_interaction, VIETNAM).strftime("%d/%m/%Y")
            detail: dict[str, Any] = {
                "user_id": user.user_id, "user_id_by_app": user.user_id_by_app, "user_external_id": "",
                "display_name": user.display_name, "user_alias": "", "is_sensitive": False,
                "user_last_interaction_date": last, "user_is_follower": user.follower, "avatar": avatar,
                "avatars": {"120": avatar, "240": avatar}, "tags_and_notes_info": {"notes": [], "tag_names": []},
            }  # fmt: skip
            if user.shared_info is not None:  # present only after the user shared info (UNCONFIRMED)
                detail["shared_info"] = dict(user.shared_info)
            return detail

    def _quota(self, call: _Call) -> dict[str, Any] | list[Any]:
        """POST /v3.0/oa/quota/message {"user_id"}: last_interaction (epoch-ms string) and cs_reply
        ([SPEC] §5.13 shape; the OA-wide form answers an empty list here)."""
        body = self._json_body(call)
        if isinstance(body, dict) and "quota_owner" in body:
            return []
        if not isinstance(body, dict) or set(body) != {"user_id"}:
            raise invalid("user_id", f"quota/message takes {{\"user_id\": \"...\"}}, got {body!r}"[:300])
        with self._cond:
            user = self._known_user(body["user_id"], "user_id")
            last = "" if user.last_interaction is None else str(int(user.last_interaction * 1000))
            return {"last_interaction": last, "cs_reply": {"remain": 8, "total": 8}}

    # ---- oauth.zaloapp.com
    def _oauth_error(self, call: _Call, code: int, violation: str | None = None, description: str | None = None) -> _Response:
        """HTTP 200 with {error, error_name, error_description, error_reason, ref_doc} (§7.3)."""
        name = OAUTH_ERRORS.get(code, "Unknown error")
        self._record(call, code, name, 200, violation)
        body = {"error": code, "error_name": name, "error_description": description or name, "error_reason": "", "ref_doc": OAUTH_REF_DOC}
        return 200, json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json", {}

    def _oauth_token(self, call: _Call) -> _Response:
        """POST /v4/oa/access_token: form fields, app secret in a `secret_key` header (§7.1)."""
        media_type, _ = _media_type(call.content_type)
        fields: dict[str, str] = {}
        problem = None
        if call.method != "POST":
            problem = f"the token endpoint takes POST, not {call.method}"
        elif media_type != "application/x-www-form-urlencoded":
            problem = f"the token request must be application/x-www-form-urlencoded, got {call.content_type!r} (§7.1)"
        else:
            fields = dict(parse_qsl(call.body.decode("utf-8", "replace"), keep_blank_values=True))
        call.params = fields or dict(call.query)
        if problem is None and not fields and call.query:
            problem = "token fields sent in the query string; send them form-urlencoded in the body (§7.1)"
        with self._cond:
            if fields.get("grant_type") == "refresh_token" and self._refresh_failures:
                return self._oauth_error(call, self._refresh_failures.pop(0))
        if problem is not None or fields.get("app_id") != self.app_id:
            return self._oauth_error(call, -14002, problem or f"app_id {fields.get('app_id')!r} is not this app's id")
        secret = call.headers.get("secret_key")
        if secret != self.app_secret:
            if secret is None:
                hint = " (client_secret in the body is not Zalo's way)" if "client_secret" in fields else ""
                why = f"missing `secret_key` header{hint}"
            elif secret == self.oa_secret_key:
                why = "secret_key is the OA Secret Key (webhook signing); the token endpoint takes the app secret"
            else:
                why = "secret_key header is not the app secret"
            return self._oauth_error(call, -14004, why)
        grant = fields.get("grant_type")
        if grant == "refresh_token":
            return self._refresh_grant(call, fields.get("refresh_token", ""))
        if grant == "authorization_code":
            return self._code_grant(call, fields.get("code", ""), fields.get("code_verifier"))
        return self._oauth_error(call, -14018, f"grant_type must be refresh_token or authorization_code, got {grant!r}")

    def _refresh_grant(self, call: _Call, token: str) -> _Response:
        """Single-use rotating refresh tokens (§7.2); a spent or unknown one answers -14014 (the code is
        UNCONFIRMED, from one client's mock) and is a violation; an expired one is not."""
        with self._cond:
            record = self._refresh.get(token)
            if record is None:
                return self._oauth_error(call, -14014, "refresh_token was never issued by this OA")
            if record.state == "used":
                return self._oauth_error(call, -14014, "refresh_token was already used: it is single use; keep the rotated one (§7.2)")
            if record.expires_at <= time.time():
                return self._oauth_error(call, -14014)
            record.state = "used"
            self.refreshes += 1
            return self._issue_pair(call)

    def _code_grant(self, call: _Call, code: str, verifier: str | None) -> _Response:
        """authorization_code + code_verifier (§7.1, §7.4); -14005 for an unknown, spent or expired code
        or a verifier that does not match the challenge (that last code is UNCONFIRMED)."""
        with self._cond:
            entry = self._codes.get(code)
            if entry is None:
                return self._oauth_error(call, -14005, "authorization code was never issued")
            expires_at, challenge, used = entry
            if used:
                return self._oauth_error(call, -14005, "authorization code was already used (single use)")
            if expires_at <= time.time():
                return self._oauth_error(call, -14005)
            if challenge is not None and (verifier is None or pkce_challenge(verifier) != challenge):
                return self._oauth_error(call, -14005, "code_verifier does not match the code_challenge")
            self._codes[code] = (expires_at, challenge, True)
            return self._issue_pair(call)

    def _issue_pair(self, call: _Call) -> _Response:
        """A new access/refresh pair; the previous access token dies unless keep_old_access_token
        (UNCONFIRMED, §7.2). Flat success JSON with expires_in as a string (lock held). Also
        UNCONFIRMED: the new refresh token gets a full 3-month lifetime (whether rotation resets it
        is unknown), and a new refresh token always comes back (a Go client says Zalo sometimes
        omits it; a bot should keep the old one then, which this fake does not exercise)."""
        now = time.time()
        if not self.keep_old_access_token:
            for record in self._access.values():
                if record.state == "valid":
                    record.state = "revoked"
        self._current_access, self._current_refresh = self._mint("AT"), self._mint("RT")
        self._access[self._current_access] = _Token(now + self.token_lifetime)
        self._refresh[self._current_refresh] = _Token(now + self.refresh_token_lifetime)
        self._record(call, 0, "Success")
        self._cond.notify_all()
        body = {"access_token": self._current_access, "refresh_token": self._current_refresh, "expires_in": str(int(self.token_lifetime))}
        return 200, json.dumps(body).encode("utf-8"), "application/json", {}

    def _oauth_permission(self, call: _Call) -> _Response:
        """GET /v4/oa/permission?app_id&redirect_uri&code_challenge&state: the admin consents at once and
        is redirected to redirect_uri?code=..&oa_id=..&state=.. (§7.4). With `redirect_uri` set on the
        fake, any other value answers -14003 (the console-registered callback, [SPEC] §4.1)."""
        query = call.query
        if query.get("app_id") != self.app_id:
            return self._oauth_error(call, -14002, f"app_id {query.get('app_id')!r} is not this app's id")
        redirect = query.get("redirect_uri", "")
        if not redirect or (self.redirect_uri is not None and redirect != self.redirect_uri):
            return self._oauth_error(call, -14003, f"redirect_uri {redirect!r} is not the registered callback {self.redirect_uri!r}")
        code = self.authorization_code(query.get("code_challenge") or None)
        params = {"code": code, "oa_id": self.oa_id} | ({"state": query["state"]} if "state" in query else {})
        location = redirect + ("&" if "?" in redirect else "?") + urlencode(params)
        self._record(call, 0, "Found", 302)
        return 302, b"", "text/plain", {"Location": location}

    # ------------------------------------------------------------------- helpers
    def _transcript(self, user_id: str) -> str:
        lines = [str(e) if isinstance(e, _Line) else "< bot " + e.describe() for e in self._events.get(user_id, [])]
        return f"transcript of Zalo user {user_id}:\n" + ("\n".join(f"  {line}" for line in lines) or "  (empty)")

