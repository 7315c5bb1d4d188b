"""Plain records the fake Zalo OA hands to tests (copies, safe to keep and compare)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ZaloMessage:
    """A message the bot (the OA) sent to a user and Zalo accepted.

    `kind` is "text" (with or without buttons), "image" (media_type "image" or "gif"), "file",
    "template" (a ZBS template by UID), or, beyond those four, "sticker" and "request_user_info".
    `content` holds the bytes of an uploaded image or file, resolved from its attachment_id or
    token, so a test can check what the user received; an image sent by URL has `image_url`
    instead. `buttons` are (title, type, payload) in order; the payload is a string for
    oa.query.* buttons and an object for oa.open.* ones. `raw` is the request body as sent."""

    message_id: str
    user_id: str
    kind: str
    text: str = ""
    buttons: list[tuple[str, str, Any]] = field(default_factory=list)
    content: bytes | None = None
    file_name: str | None = None
    mime_type: str | None = None
    media_type: str | None = None
    image_url: str | None = None
    attachment: str | None = None  # the attachment_id or file token the bot sent
    template_id: str | None = None
    template_data: dict[str, Any] | None = None
    quote_message_id: str | None = None
    sent_time: int = 0  # epoch ms, as in data.sent_time
    billed: bool = False  # sent 48 h - 7 days after the user's last interaction (a paid consultation message)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def button_titles(self) -> list[str]:
        return [title for title, _, _ in self.buttons]

    def payload(self, title_substring: str) -> str:
        """Payload of the oa.query.* button whose title equals, or else uniquely contains, the string
        (what fake.tap() needs); fails with the message's buttons listed."""
        matches = [b for b in self.buttons if b[0] == title_substring] or [b for b in self.buttons if title_substring in b[0]]
        if len(matches) != 1:
            problem = "no button" if not matches else f"{len(matches)} buttons"
            raise AssertionError(
                f"{problem} matching {title_substring!r} in message {self.message_id} ({self.text!r}); buttons: {self.button_titles()}"
            )
        title, kind, payload = matches[0]
        if kind not in ("oa.query.show", "oa.query.hide"):
            raise AssertionError(f"button {title!r} is {kind}, not a query button: {payload!r}")
        return str(payload)

    def describe(self) -> str:
        """One transcript line."""
        parts = [f"{self.message_id} {self.kind}:"]
        if self.text:
            parts.append(repr(self.text))
        if self.kind in ("image", "sticker"):
            parts.append(f"[{self.media_type} {self.image_url or self.attachment}]")
        elif self.kind == "file":
            parts.append(f"[file {self.file_name!r} {len(self.content or b'')} bytes]")
        elif self.kind == "template":
            parts.append(f"[ZBS {self.template_id} {self.template_data}]")
        elif self.kind == "request_user_info":
            parts.append("[request_user_info]")
        if self.buttons:
            parts.append("buttons: [" + " | ".join(f"{t!r} {k}->{p!r}" for t, k, p in self.buttons) + "]")
        if self.quote_message_id:
            parts.append(f"(quoting {self.quote_message_id})")
        if self.billed:
            parts.append("(billed)")
        return " ".join(parts)


@dataclass
class ZaloRequest:
    """One HTTP request as the fake understood it.

    `params` is the decoded JSON body, the form fields, or the query parameters (user/detail's
    `data` decoded when it parsed); `files` holds multipart file parts by part name; `error` is
    the Zalo error code answered (0 on success) with its `message`. File downloads are recorded
    with method "GET" and path "/files/<token>"."""

    method: str
    path: str
    headers: dict[str, str]
    params: Any
    files: dict[str, bytes]
    error: int
    message: str
    status: int = 200


@dataclass
class WebhookDelivery:
    """One POST of an event to the bot's webhook: what was sent and how the bot answered.

    `status` is 0 when the bot could not be reached (connection refused, or no answer within
    FakeZaloOA.webhook_timeout); `genuine` is False for unsigned or wrongly signed events;
    `attempt` is 0 for the first delivery and n for the n-th retry."""

    event_name: str
    user_id: str | None
    body: bytes
    headers: dict[str, str]
    status: int
    seconds: float
    genuine: bool
    attempt: int = 0
    error: str | None = None


@dataclass(frozen=True)
class ZaloUser:
    """A user the OA knows (followed it or wrote to it), as the fake sees them."""

    user_id: str
    user_id_by_app: str
    display_name: str
    follower: bool
    last_interaction: float | None  # epoch seconds, None if the user never interacted
