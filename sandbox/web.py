"""The sandbox page: one HTML page, its CSS and script, and the JSON endpoints the script uses.

Endpoints (all under http://127.0.0.1:<port>; POSTs need the header `X-Sandbox: 1`, which a page
of another site cannot send without a preflight this server never approves):

- `GET /` the page; `GET /static/app.css`, `GET /static/app.js` its assets;
- `GET /api/chats/<user_id>` the chat of one seeded user with the bot:
  `{"chat_id", "name", "messages": [...], "answers": [...], "violations": [...], "bot": {...}}`;
- `POST /api/chats/<user_id>/text` JSON `{"text": "..."}`: the user sends a message;
- `POST /api/chats/<user_id>/press` JSON `{"message_id": N, "callback_data": "..."}`: the user
  taps an inline button of a bot message;
- `POST /api/chats/<user_id>/files` multipart/form-data, file parts (any names) and an optional
  `caption` field: a JPEG or PNG is sent as a photo, several of them as an album, anything else
  as a document with its name and type;
- `GET /files/<file_id>` the bytes of a file the emulator holds (uploads of both sides).
"""

from __future__ import annotations

import html
import json
import logging
import mimetypes
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from sandbox.botapi import FakeBotAPI
from sandbox.botapi.server import parse_multipart
from sandbox.people import EVERYONE, PANELS, Panel
from sandbox.render import message_json, sniff_image_type

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
ASSETS = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}
MAX_BODY = 60 * 1024 * 1024  # above the bot's own limit, so it is the bot that refuses a big file
PHOTO_TYPES = ("image/jpeg", "image/png")
TEXT_LIMIT = 4096
# Served inline as what they are; anything else is a download (an uploaded .html must not run here).
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "text/plain"}
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'none'"
# Drawn, not an emoji: machines without an emoji font show a box instead.
PAPERCLIP = ('<svg class="clip" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"><path d="M16.5 6.5v10a4.5 '
             '4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5" fill="none" stroke="currentColor" '
             'stroke-width="1.8" stroke-linecap="round"/></svg>')
_CHAT_RE = re.compile(r"^/api/chats/(\d+)(?:/(text|press|files))?$")


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def render_page(panels: tuple[Panel, ...] = PANELS) -> str:
    template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    return template.replace("<!-- PANELS -->", "\n".join(_panel_html(panel) for panel in panels))


def _panel_html(panel: Panel) -> str:
    e = html.escape
    options = "".join(f'<option value="{p.telegram_id}">{e(p.name)} ({p.telegram_id})</option>' for p in panel.people)
    shortcuts = "".join(f'<button type="button" class="shortcut" data-command="{e(c)}">{e(c)}</button>'
                        for c in panel.shortcuts)
    return f"""<div class="panel" data-testid="chat-{e(panel.key)}" data-panel="{e(panel.key)}">
  <div class="panel-head">
    <h2>{e(panel.title)}</h2>
    <select data-testid="user-select" aria-label="Người dùng">{options}</select>
  </div>
  <div class="shortcuts">{shortcuts}</div>
  <div class="messages" data-testid="messages" aria-live="polite"></div>
  <div class="toast" hidden></div>
  <form class="composer" autocomplete="off">
    <label class="attach" title="Gửi ảnh hoặc tệp (Send a photo or a file)">{PAPERCLIP}<input type="file" data-testid="file-input" multiple></label>
    <input type="text" data-testid="text-input" placeholder="Nhập tin nhắn…" maxlength="{TEXT_LIMIT}">
    <button type="submit" data-testid="send">Gửi</button>
  </form>
</div>"""


class SandboxWeb:
    """The page server on 127.0.0.1:<port> (0: any free port), talking to the emulator in-process."""

    def __init__(self, api: FakeBotAPI, port: int, bot_status: Callable[[], dict[str, Any]] = dict) -> None:
        self.api = api
        self.bot_status = bot_status
        self.page = render_page().encode("utf-8")
        handler = type("Handler", (_Handler,), {"web": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="sandbox-web", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    # -------------------------------------------------------------- endpoints
    def chat(self, user_id: int) -> dict[str, Any]:
        person = EVERYONE[user_id]
        return {
            "chat_id": user_id,
            "name": person.name,
            "messages": [message_json(side, message) for side, message in self.api.conversation(user_id)],
            "answers": [{"text": a.get("text"), "show_alert": bool(a.get("show_alert"))}
                        for a in self.api.callback_answers(user_id)],
            "violations": list(self.api.violations),
            "bot": self.bot_status(),
        }

    def send_text(self, user_id: int, body: dict[str, Any]) -> dict[str, Any]:
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadRequest(400, "text: a non-empty string is required")
        if len(text) > TEXT_LIMIT:
            raise BadRequest(400, f"text: at most {TEXT_LIMIT} characters")
        update_id = self.api.send_text(user_id, text, first_name=EVERYONE[user_id].name)
        return {"ok": True, "update_id": update_id}

    def press(self, user_id: int, body: dict[str, Any]) -> dict[str, Any]:
        message_id, data = body.get("message_id"), body.get("callback_data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise BadRequest(400, "message_id (integer) and callback_data (string) are required")
        message = next((m for side, m in self.api.conversation(user_id)
                        if side == "bot" and m["message_id"] == message_id), None)
        buttons = [b for row in (message or {}).get("reply_markup", {}).get("inline_keyboard", []) for b in row]
        if not any(b.get("callback_data") == data for b in buttons):
            raise BadRequest(404, f"message {message_id} has no button with this callback_data")
        return {"ok": True, "update_id": self.api.press(user_id, data, message_id=message_id)}

    def send_files(self, user_id: int, content_type: str, body: bytes) -> dict[str, Any]:
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        if not content_type.startswith("multipart/form-data") or match is None:
            raise BadRequest(400, "expected multipart/form-data")
        try:
            fields, uploads = parse_multipart(body, match.group(1))
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(400, f"malformed upload: {exc}") from None
        files = [u for u in uploads.values() if u.data]
        if not files:
            raise BadRequest(400, "no file (or only empty files) in the upload")
        caption = fields.get("caption", "").strip() or None
        kinds = [_media_type(u.filename, u.content_type) for u in files]
        if len(files) > 1 and len(files) <= 10 and all(kind in PHOTO_TYPES for kind in kinds):
            self.api.send_album(user_id, [u.data for u in files])
            return {"ok": True, "sent": ["photo"] * len(files)}
        sent = []
        for upload, kind in zip(files, kinds):
            if kind in PHOTO_TYPES:
                self.api.send_photo(user_id, upload.data, caption=caption)
                sent.append("photo")
            else:
                self.api.send_document(user_id, upload.data, file_name=upload.filename or "file", mime_type=kind,
                                       caption=caption)
                sent.append("document")
            caption = None  # only the first file carries it
        return {"ok": True, "sent": sent}

    def file(self, file_id: str) -> tuple[bytes, str, str] | None:
        found = self.api.file_content(file_id)
        if found is None:
            return None
        content, name, mime_type = found
        kind = sniff_image_type(content) or mime_type or "application/octet-stream"
        disposition = "inline" if kind in INLINE_TYPES else "attachment"
        if kind not in INLINE_TYPES:
            kind = "application/octet-stream"
        filename = name or file_id
        return content, kind, f"{disposition}; filename*=UTF-8''{quote(filename, safe='')}"


def _media_type(filename: str | None, declared: str | None) -> str:
    """The type the browser declared, else one guessed from the name."""
    if declared and declared != "application/octet-stream":
        return declared.lower()
    guessed, _ = mimetypes.guess_type(filename or "")
    return guessed or "application/octet-stream"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "motcua-sandbox"
    web: SandboxWeb

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, verb: str) -> None:
        try:
            self._check_host()
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                raise BadRequest(413, f"upload larger than {MAX_BODY // (1024 * 1024)} MB")
            body = self.rfile.read(length) if length else b""
            path = unquote(urlsplit(self.path).path)
            if verb == "GET":
                self._get(path)
            else:
                if self.headers.get("X-Sandbox") != "1":
                    raise BadRequest(403, "missing X-Sandbox header")
                self._post(path, body)
        except BadRequest as exc:
            self.close_connection = True  # the body may be unread
            self._json({"ok": False, "error": str(exc)}, exc.status)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # noqa: BLE001 - a sandbox page error is shown, never fatal
            log.exception("sandbox page: %s %s failed", verb, self.path)
            self._json({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, 500)

    def _check_host(self) -> None:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost"):
            raise BadRequest(403, "the sandbox answers only at 127.0.0.1 or localhost")

    def _get(self, path: str) -> None:
        web = self.web
        if path in ("/", "/index.html"):
            self._send(200, web.page, "text/html; charset=utf-8", {"Content-Security-Policy": CSP})
            return
        if path.startswith("/static/") and path.removeprefix("/static/") in ASSETS:
            name = path.removeprefix("/static/")
            self._send(200, (STATIC_DIR / name).read_bytes(), ASSETS[name])
            return
        if path.startswith("/files/"):
            found = web.file(path.removeprefix("/files/"))
            if found is None:
                raise BadRequest(404, "no such file")
            content, kind, disposition = found
            self._send(200, content, kind, {"Content-Disposition": disposition, "Cache-Control": "max-age=3600"})
            return
        if path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
            return
        match = _CHAT_RE.match(path)
        if match and match.group(2) is None:
            self._json(web.chat(self._user(match.group(1))))
            return
        raise BadRequest(404, "not found")

    def _post(self, path: str, body: bytes) -> None:
        match = _CHAT_RE.match(path)
        if not match or match.group(2) is None:
            raise BadRequest(404, "not found")
        user_id, action = self._user(match.group(1)), match.group(2)
        if action == "files":
            self._json(self.web.send_files(user_id, self.headers.get("Content-Type", ""), body))
            return
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            raise BadRequest(400, "expected a JSON body") from None
        if not isinstance(payload, dict):
            raise BadRequest(400, "expected a JSON object")
        handler = self.web.send_text if action == "text" else self.web.press
        self._json(handler(user_id, payload))

    @staticmethod
    def _user(raw: str) -> int:
        user_id = int(raw)
        if user_id not in EVERYONE:
            raise BadRequest(404, f"no sandbox user {user_id}")
        return user_id

    def _json(self, value: Any, status: int = 200) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8",
                   {"Cache-Control": "no-store"})

    def _send(self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")  # so the client does not reuse a socket we close
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        """Quiet: the page polls twice a second."""
