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
- `GET /files/<file_id>` the bytes of a file the emulator holds (uploads of both sides);
- with a fake Zalo OA, the fourth phone's endpoints under `/api/zalo/` and `/zalo-files/`
  (sandbox/zalo_panel.py).

Every request is checked the same way: the Host must be 127.0.0.1 or localhost, a POST must carry
`X-Sandbox: 1`, and a chat must be one of the sandbox's own users (404 otherwise).
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sandbox.botapi import FakeBotAPI
from sandbox.people import EVERYONE, PANELS, Panel
from sandbox.render import message_json
from sandbox.webparts import BadRequest, read_uploads, served_file
from sandbox.zalo_panel import FILES_PATH as ZALO_FILES
from sandbox.zalo_panel import ZaloPanel
from sandbox.zalo_panel import panel_html as zalo_panel_html

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
ASSETS = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}
MAX_BODY = 60 * 1024 * 1024  # above the bot's own limit, so it is the bot that refuses a big file
TEXT_LIMIT = 4096
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'none'"
# Drawn, not an emoji: machines without an emoji font show a box instead.
PAPERCLIP = ('<svg class="clip" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"><path d="M16.5 6.5v10a4.5 '
             '4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5" fill="none" stroke="currentColor" '
             'stroke-width="1.8" stroke-linecap="round"/></svg>')
_CHAT_RE = re.compile(r"^/api/chats/(\d+)(?:/(text|press|files))?$")
_ZALO_RE = re.compile(r"^/api/zalo/(\d+)(?:/(text|tap|follow|files))?$")


def render_page(panels: tuple[Panel, ...] = PANELS, *, zalo: bool = False) -> str:
    template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    shown = [_panel_html(panel) for panel in panels] + ([zalo_panel_html()] if zalo else [])
    return template.replace("<!-- PANELS -->", "\n".join(shown))


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
    """The page server on 127.0.0.1:<port> (0: any free port), talking in-process to the emulator
    and, when given one, to the fake Zalo OA (the fourth phone)."""

    def __init__(self, api: FakeBotAPI, port: int, bot_status: Callable[[], dict[str, Any]] = dict,
                 zalo: ZaloPanel | None = None) -> None:
        self.api = api
        self.bot_status = bot_status
        self.zalo = zalo
        self.page = render_page(zalo=zalo is not None).encode("utf-8")
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
        caption, files = read_uploads(content_type, body)
        if len(files) > 1 and len(files) <= 10 and all(upload.is_photo for upload in files):
            self.api.send_album(user_id, [u.data for u in files])
            return {"ok": True, "sent": ["photo"] * len(files)}
        sent = []
        for upload in files:
            if upload.is_photo:
                self.api.send_photo(user_id, upload.data, caption=caption)
                sent.append("photo")
            else:
                self.api.send_document(user_id, upload.data, file_name=upload.filename, mime_type=upload.media_type,
                                       caption=caption)
                sent.append("document")
            caption = None  # only the first file carries it
        return {"ok": True, "sent": sent}

    def file(self, file_id: str) -> tuple[bytes, str, str] | None:
        found = self.api.file_content(file_id)
        if found is None:
            return None
        content, name, mime_type = found
        return served_file(content, name or file_id, mime_type)

    def zalo_file(self, key: str) -> tuple[bytes, str, str] | None:
        found = self.zalo.file(key) if self.zalo is not None else None
        return served_file(*found) if found is not None else None


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
        except Exception as exc:  # a sandbox page error is shown, never fatal
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
        for prefix, serve in (("/files/", web.file), (ZALO_FILES, web.zalo_file)):
            if path.startswith(prefix):
                found = serve(path.removeprefix(prefix))
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
        match = _ZALO_RE.match(path)
        if match and match.group(2) is None:
            zalo, user_id = self._zalo_user(match.group(1))
            self._json(zalo.chat(user_id))
            return
        raise BadRequest(404, "not found")

    def _post(self, path: str, body: bytes) -> None:
        zalo_match = _ZALO_RE.match(path)
        if zalo_match and zalo_match.group(2) is not None:
            self._post_zalo(zalo_match.group(1), zalo_match.group(2), body)
            return
        match = _CHAT_RE.match(path)
        if not match or match.group(2) is None:
            raise BadRequest(404, "not found")
        user_id, action = self._user(match.group(1)), match.group(2)
        if action == "files":
            self._json(self.web.send_files(user_id, self.headers.get("Content-Type", ""), body))
            return
        handler = self.web.send_text if action == "text" else self.web.press
        self._json(handler(user_id, _json_object(body)))

    def _post_zalo(self, raw_user: str, action: str, body: bytes) -> None:
        zalo, user_id = self._zalo_user(raw_user)
        if action == "files":
            self._json(zalo.send_files(user_id, self.headers.get("Content-Type", ""), body))
        elif action == "follow":
            self._json(zalo.follow(user_id))
        else:
            handler = zalo.send_text if action == "text" else zalo.tap
            self._json(handler(user_id, _json_object(body)))

    @staticmethod
    def _user(raw: str) -> int:
        user_id = int(raw)
        if user_id not in EVERYONE:
            raise BadRequest(404, f"no sandbox user {user_id}")
        return user_id

    def _zalo_user(self, raw: str) -> tuple[ZaloPanel, str]:
        zalo = self.web.zalo
        if zalo is None or not zalo.known(raw):
            raise BadRequest(404, f"no sandbox Zalo user {raw}")
        return zalo, raw

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

    def log_message(self, format: str, *args: Any) -> None:  # the base class's signature
        """Quiet: the page polls twice a second."""


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        raise BadRequest(400, "expected a JSON body") from None
    if not isinstance(payload, dict):
        raise BadRequest(400, "expected a JSON object")
    return payload
