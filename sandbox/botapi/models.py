"""Plain records the fake server hands to tests (snapshots, safe to keep and compare)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FakeFile:
    """A file the fake server can serve through getFile + /file/bot<token>/<file_path>."""

    file_id: str
    file_unique_id: str
    file_size: int
    file_path: str


@dataclass
class RecordedRequest:
    """One HTTP request as the server understood it.

    `params` holds decoded values (ints, bools, dicts, lists) when they passed validation and
    the raw strings otherwise; `files` holds multipart file parts by part name. File
    downloads are recorded with method "<file>" and params {"file_path": ...}."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    status: int
    description: str | None = None  # Telegram's error description when status != 200


@dataclass
class BotMessage:
    """A message the bot sent to a chat, with later edits applied.

    `text` is what the user sees (text or caption, HTML already turned into plain text);
    `raw` is the Message object exactly as the server returned it and would put into a
    callback_query."""

    message_id: int
    chat_id: int
    method: str
    text: str | None
    parse_mode: str | None
    buttons: list[list[dict]]
    photo_file_id: str | None = None
    document_file_id: str | None = None
    media_group: bool = False
    edited: bool = False
    deleted: bool = False
    reply_keyboard: list[list[dict]] | None = None  # ReplyKeyboardMarkup.keyboard sent with it
    raw: dict = field(default_factory=dict, repr=False)
    sent_at: float = 0.0  # time.monotonic() when the server accepted it

    def button_labels(self) -> list[str]:
        return [button["text"] for row in self.buttons for button in row]

    def callback_data(self, label_substring: str) -> str:
        """callback_data of the button whose label equals, or else uniquely contains, the string."""
        buttons = [button for row in self.buttons for button in row]
        matches = [b for b in buttons if b["text"] == label_substring] or [
            b for b in buttons if label_substring in b["text"]
        ]
        if len(matches) != 1:
            problem = "no button" if not matches else f"{len(matches)} buttons"
            raise AssertionError(
                f"{problem} matching {label_substring!r} in message #{self.message_id} "
                f"({self.text!r}); buttons: {self.button_labels()}"
            )
        if "callback_data" not in matches[0]:
            raise AssertionError(f"button {matches[0]['text']!r} has no callback_data: {matches[0]}")
        return matches[0]["callback_data"]

    def describe(self) -> str:
        """One transcript line."""
        parts = [f"#{self.message_id} {self.method}: {self.text!r}"]
        if self.photo_file_id:
            parts.append(f"[photo {self.photo_file_id}]")
        if self.document_file_id:
            parts.append(f"[document {self.document_file_id}]")
        if self.buttons:
            rows = [" | ".join(f"{b['text']!r}->{b.get('callback_data', b.get('url'))!r}" for b in row) for row in self.buttons]
            parts.append("buttons: [" + " / ".join(rows) + "]")
        if self.reply_keyboard:
            parts.append(f"keyboard: {[[b.get('text') for b in row] for row in self.reply_keyboard]}")
        parts += [flag for flag in ("edited", "deleted") if getattr(self, flag)]
        return " ".join(parts)
