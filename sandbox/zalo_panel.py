"""The sandbox page's fourth phone: one citizen on Zalo, talking to the bot through the fake Zalo OA.

The panel shows the conversation as the fake saw it (`FakeZaloOA.conversation`): the citizen's
events and what the bot sent and Zalo accepted, in order. Zalo messages are plain text, so text is
escaped (links made clickable) and passed through the same sanitizer as the Telegram panels. A
button template's buttons are tappable; a tap of an `oa.query.hide` button shows nothing in a real
Zalo chat, so the page marks it with the button's title instead of its hidden payload. A numbered
list is plain text the citizen answers by typing the number, as on Zalo.

Endpoints (the user id is the Zalo citizen's, a numeric string; POSTs need `X-Sandbox: 1`):
- `GET /api/zalo/<user_id>`: `{"user_id", "name", "following", "messages", "violations", "bot"}`
  (violations of the fake Zalo OA's contract);
- `POST /api/zalo/<user_id>/follow`: the citizen follows the OA (409 if they already do);
- `POST /api/zalo/<user_id>/text` JSON `{"text"}`: the citizen types a message;
- `POST /api/zalo/<user_id>/tap` JSON `{"payload"}`: the citizen taps a query button the bot sent;
- `POST /api/zalo/<user_id>/files` multipart: JPEG/PNG as `user_send_image`, the rest as
  `user_send_file`, one event each (the optional `caption` goes with the first photo);
- `GET /zalo-files/<key>`: a file the bot sent (from the fake's record of what it uploaded) or
  one the page uploaded for the citizen (the page keeps its own copy).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from sandbox.people import ZALO_CITIZEN, ZALO_PANEL_KEY, ZALO_PANEL_TITLE, ZaloPerson
from sandbox.render import sanitize_html
from sandbox.webparts import BadRequest, read_uploads
from sandbox.zaloapi import FakeZaloOA, ZaloMessage

TEXT_LIMIT = 2000  # Zalo's limit for a message's text
FILES_PATH = "/zalo-files/"
QUERY_BUTTONS = ("oa.query.show", "oa.query.hide")
_LINK_RE = re.compile(r"https?://[^\s<>\"']+")
# Drawn, not emoji (machines without an emoji font show boxes): a picture and a paperclip.
PHOTO_ICON = ('<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"><rect x="3" y="5" width="18" '
              'height="14" rx="2" fill="none" stroke="currentColor" stroke-width="1.8"/><circle cx="9" cy="10" '
              'r="1.8" fill="currentColor"/><path d="M4 18l5-5 4 4 3-3 4 4" fill="none" stroke="currentColor" '
              'stroke-width="1.8" stroke-linejoin="round"/></svg>')
CLIP_ICON = ('<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"><path d="M16.5 6.5v10a4.5 4.5 0 0 1-9 '
             '0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5" fill="none" stroke="currentColor" stroke-width="1.8" '
             'stroke-linecap="round"/></svg>')
EVENT_LABELS = {
    "follow": "Đã theo dõi Official Account",
    "unfollow": "Đã bỏ theo dõi Official Account",
    "user_send_sticker": "[Nhãn dán]",
    "user_send_location": "[Vị trí]",
    "user_send_link": "[Liên kết]",
}


def panel_html(person: ZaloPerson = ZALO_CITIZEN) -> str:
    """The fourth phone, built like the Telegram ones (same test ids) plus the follow bar and a
    photo button beside the file button, as in Zalo's own chat screen."""
    e = html.escape
    return f"""<div class="panel zalo" data-testid="chat-{ZALO_PANEL_KEY}" data-panel="{ZALO_PANEL_KEY}" data-api="/api/zalo/" data-channel="zalo">
  <div class="panel-head">
    <span class="zalo-avatar" aria-hidden="true">UB</span>
    <div class="zalo-title"><h2>{e(ZALO_PANEL_TITLE)}</h2><small>UBND · Official Account</small></div>
    <select data-testid="user-select" aria-label="Người dùng" title="Zalo user id {e(person.user_id)}"><option value="{e(person.user_id)}">{e(person.name)}</option></select>
  </div>
  <div class="follow-bar" data-testid="follow-bar">
    <span>Theo dõi OA để nhận thông báo</span>
    <button type="button" class="follow" data-testid="follow">Theo dõi OA</button>
  </div>
  <div class="messages" data-testid="messages" aria-live="polite"></div>
  <div class="toast" hidden></div>
  <form class="composer" autocomplete="off">
    <label class="attach" title="Gửi ảnh (Send a photo)">{PHOTO_ICON}<input type="file" data-testid="photo-input" accept="image/jpeg,image/png" multiple></label>
    <label class="attach" title="Gửi tệp (Send a file)">{CLIP_ICON}<input type="file" data-testid="file-input" multiple></label>
    <input type="text" data-testid="text-input" placeholder="Nhập tin nhắn" maxlength="{TEXT_LIMIT}">
    <button type="submit" data-testid="send">Gửi</button>
  </form>
</div>"""


class ZaloPanel:
    """The page's side of the fake Zalo OA: plays the citizen, shows the conversation, serves files."""

    def __init__(self, fake: FakeZaloOA, person: ZaloPerson = ZALO_CITIZEN,
                 bot_status: Callable[[], dict[str, Any]] = dict) -> None:
        self.fake = fake
        self.person = person
        self.bot_status = bot_status
        self._files: dict[str, tuple[bytes, str, str | None]] = {}  # key -> content, name, type
        self._lock = threading.Lock()
        self._sending = threading.Lock()  # one upload at a time, so each finds its own event

    def known(self, user_id: str) -> bool:
        return user_id == self.person.user_id

    # ------------------------------------------------------------------ reading
    def chat(self, user_id: str) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "name": self.person.name,
            "following": user_id in self.fake.followers,
            "messages": self._messages(user_id),
            "violations": list(self.fake.violations),
            "bot": self.bot_status(),
        }

    def _messages(self, user_id: str) -> list[dict[str, Any]]:
        shown: list[dict[str, Any]] = []
        buttons: dict[str, tuple[str, str]] = {}  # payload -> (title, type) of query buttons sent so far
        for index, (side, item) in enumerate(self.fake.conversation(user_id)):
            if side == "bot":
                buttons.update({str(p): (t, k) for t, k, p in item.buttons if k in QUERY_BUTTONS})
                shown.append(self._bot_item(index, item))
            else:
                shown.append(self._user_item(index, item, buttons))
        return shown

    def _bot_item(self, index: int, message: ZaloMessage) -> dict[str, Any]:
        item = _item(index, "bot", message.kind, message.text)
        if message.content is not None and message.kind in ("image", "file"):
            key = f"b.{message.message_id}"
            with self._lock:
                self._files[key] = (message.content, message.file_name or key, message.mime_type)
            if message.kind == "image":
                item["photo"] = FILES_PATH + key
            else:
                item["document"] = {"url": FILES_PATH + key, "name": message.file_name or "tệp",
                                    "mime_type": message.mime_type}
        elif message.kind == "image":  # sent by URL: not fetched, the page loads nothing from outside
            item["html"] = _text_html(f"[Ảnh: {message.image_url}]\n{message.text}".strip())
        elif message.kind == "template":
            lines = [f"Tin mẫu ZBS {message.template_id}"]
            lines += [f"{key}: {value}" for key, value in (message.template_data or {}).items()]
            item["html"] = _text_html("\n".join(lines))
        elif message.kind not in ("text", "image", "file"):
            item["html"] = _text_html(message.describe())
        item["buttons"] = [[_button(title, kind, payload)] for title, kind, payload in message.buttons]
        return _with_rev(item)

    def _user_item(self, index: int, event: dict[str, Any], buttons: dict[str, tuple[str, str]]) -> dict[str, Any]:
        name = str(event.get("event_name", ""))
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        text = str(message.get("text") or "")
        if name in ("follow", "unfollow"):
            return _with_rev(_item(index, "system", "event", EVENT_LABELS[name]))
        if name == "user_send_text" and text in buttons and buttons[text][1] == "oa.query.hide":
            item = _item(index, "user", "tap", "")
            item["html"] = "Đã bấm: <b>" + html.escape(buttons[text][0], quote=False) + "</b>"
            return _with_rev(item)
        item = _item(index, "user", "text", text)
        attachments = [a for a in message.get("attachments") or [] if isinstance(a, dict)]
        for attachment in attachments:
            payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
            key = _upload_key(payload.get("url"))
            with self._lock:
                stored = self._files.get(key) if key else None
            if stored is None:  # not uploaded from this page (or not noted yet)
                item["html"] = item["html"] or _text_html("[Ảnh]" if attachment.get("type") == "image" else "[Tệp]")
            elif attachment.get("type") == "image":
                item["photo"] = FILES_PATH + key
            else:
                item["document"] = {"url": FILES_PATH + key, "name": stored[1], "mime_type": stored[2]}
        if name not in ("user_send_text", "user_send_image", "user_send_file") and not item["html"]:
            item["html"] = _text_html(EVENT_LABELS.get(name, f"[{name}]"))
        return _with_rev(item)

    def file(self, key: str) -> tuple[bytes, str, str | None] | None:
        with self._lock:
            return self._files.get(key)

    # ------------------------------------------------------------------ playing the citizen
    def follow(self, user_id: str) -> dict[str, Any]:
        if user_id in self.fake.followers:
            raise BadRequest(409, "this user already follows the Official Account")
        return _delivered(self.fake.follow(user_id, display_name=self.person.name))

    def send_text(self, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadRequest(400, "text: a non-empty string is required")
        if len(text) > TEXT_LIMIT:
            raise BadRequest(400, f"text: at most {TEXT_LIMIT} characters")
        return _delivered(self.fake.send_text(user_id, text))

    def tap(self, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Only a payload of a query button the bot sent to this user, as only those exist on Zalo."""
        payload = body.get("payload")
        if not isinstance(payload, str):
            raise BadRequest(400, "payload (string) is required")
        sent = any(kind in QUERY_BUTTONS and str(p) == payload
                   for message in self.fake.messages(user_id) for _, kind, p in message.buttons)
        if not sent:
            raise BadRequest(404, "no button with this payload was sent to this user")
        return _delivered(self.fake.tap(user_id, payload))

    def send_files(self, user_id: str, content_type: str, body: bytes) -> dict[str, Any]:
        caption, files = read_uploads(content_type, body)
        sent: list[str] = []
        for upload in files:
            with self._sending:
                if upload.is_photo:
                    status = self.fake.send_image(user_id, upload.data, upload.media_type, caption=caption)
                    caption = None  # only the first photo carries it
                    self._remember(user_id, "user_send_image", upload.data, upload.filename, upload.media_type)
                else:
                    status = self.fake.send_file(user_id, upload.data, upload.filename, upload.media_type)
                    self._remember(user_id, "user_send_file", upload.data, upload.filename, upload.media_type)
            _delivered(status)
            sent.append("image" if upload.is_photo else "file")
        return {"ok": True, "sent": sent}

    def _remember(self, user_id: str, event_name: str, content: bytes, name: str, mime_type: str) -> None:
        """Keep the page's copy of an upload under the fake's URL for it (the newest such event
        whose URL is not known yet: uploads are one at a time)."""
        for side, event in reversed(self.fake.conversation(user_id)):
            if side != "user" or event.get("event_name") != event_name:
                continue
            for attachment in (event.get("message") or {}).get("attachments") or []:
                key = _upload_key((attachment.get("payload") or {}).get("url"))
                with self._lock:
                    if key and key not in self._files:
                        self._files[key] = (content, name, mime_type)
                        return


def _delivered(status: int) -> dict[str, Any]:
    """The webhook's answer to an event: anything but 200 means the bot did not take it, which
    the panel shows under the chat (the event itself stays in the conversation, as on Zalo)."""
    if status != 200:
        answer = f"HTTP {status}" if status else "nothing (not reachable)"
        raise BadRequest(502, f"the bot's Zalo webhook answered {answer}; see the bot log")
    return {"ok": True}


def _item(index: int, side: str, kind: str, text: str) -> dict[str, Any]:
    """One message in the shape the page's script builds (the Telegram panels' shape)."""
    return {"id": f"z{index}", "from": side, "kind": kind, "html": _text_html(text), "photo": None,
            "document": None, "media_group_id": None, "buttons": [], "edited": False}


def _with_rev(item: dict[str, Any]) -> dict[str, Any]:
    item["rev"] = hashlib.sha1(json.dumps(item, sort_keys=True).encode()).hexdigest()[:12]
    return item


def _text_html(text: str) -> str:
    """Plain Zalo text as HTML: escaped, web links clickable, then sanitized like Telegram's."""
    out: list[str] = []
    position = 0
    for match in _LINK_RE.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        out.append(html.escape(text[position:match.start()], quote=False))
        out.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(url, quote=False)}</a>')
        position = match.start() + len(url)
    out.append(html.escape(text[position:], quote=False))
    return sanitize_html("".join(out))


def _button(title: str, kind: str, payload: Any) -> dict[str, Any]:
    """A query button is tapped through the page; a web link opens (http and https only);
    phone and SMS buttons cannot work here and are shown disabled."""
    if kind in QUERY_BUTTONS:
        return {"text": title, "payload": str(payload)}
    url = str(payload.get("url", "")) if isinstance(payload, dict) else ""
    if kind == "oa.open.url" and url.lower().startswith(("http://", "https://")):
        return {"text": title, "url": url}
    return {"text": title, "disabled": kind}


def _upload_key(url: Any) -> str | None:
    """`u.<token>` for the fake's /files/<token> URL of something the citizen uploaded."""
    if not isinstance(url, str):
        return None
    token = urlsplit(url).path.rsplit("/", 1)[-1]
    return f"u.{quote(token, safe='')}" if token else None
