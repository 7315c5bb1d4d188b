"""Zalo Official Account webhook events: checking that Zalo sent them, and reading them.

Zalo signs each event with `X-ZEvent-Signature: mac=<sha256(app_id + raw body + timestamp +
OA secret key)>` — a plain SHA-256 of the concatenation, not an HMAC — over the body exactly as
received, with the `timestamp` field of that body (/work research notes, Zalo's Java SDK
`MacUtils`, Chatwoot's Zalo channel). Ids and timestamps arrive as strings (milliseconds);
some integrations saw bare numbers, so both are accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_AGE = timedelta(hours=24)
"""Older events are refused as replays. Zalo retries a failed delivery for up to about an hour
(12 hours in older documents), so a shorter limit would drop legitimate retries."""
MAX_SKEW = timedelta(minutes=10)


class EventRefused(Exception):
    """Not an event Zalo sent (no or wrong signature, malformed, too old); answered with no detail."""


@dataclass(frozen=True)
class ZaloAttachment:
    type: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class ZaloEvent:
    name: str
    user_id: str
    """The OA-scoped id of the citizen (the sender of user events, the follower of follow events)."""
    timestamp: str
    msg_id: str | None = None
    text: str | None = None
    attachments: tuple[ZaloAttachment, ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        """What identifies a delivery of this event, to act on it once however often it arrives."""
        return self.msg_id or f"{self.name}:{self.user_id}:{self.timestamp}"

    @property
    def from_citizen(self) -> bool:
        """Events the OA caused itself (its own sends, delivery and read receipts) need no answer."""
        return self.name.startswith("user_") and self.name not in ("user_received_message", "user_seen_message") \
            or self.name in ("follow", "unfollow")


def signature(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    return "mac=" + hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


def verified_event(body: bytes, header: str | None, *, app_id: str, secret: str,
                   now: datetime) -> tuple[ZaloEvent, dict[str, Any]]:
    """The event and its JSON, if Zalo signed it for this app and it is recent; `EventRefused` otherwise."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise EventRefused("not JSON") from exc
    if not isinstance(data, dict):
        raise EventRefused("not an object")
    timestamp = str(data.get("timestamp", ""))
    if not header or not hmac.compare_digest(header.strip(), signature(app_id, body, timestamp, secret)):
        raise EventRefused("bad signature")
    if str(data.get("app_id", app_id)) != app_id:
        raise EventRefused("another app")
    if not timestamp.isdigit():
        raise EventRefused("no timestamp")
    sent = datetime.fromtimestamp(int(timestamp) / 1000, UTC)
    if not now - MAX_AGE <= sent <= now + MAX_SKEW:
        raise EventRefused("stale")
    return read_event(data), data


def _object(value: object) -> dict[str, Any]:
    """A part of the event that should be a JSON object; anything else counts as empty, so an
    event of an unexpected shape is refused or read in part, never a crash of the webhook."""
    return value if isinstance(value, dict) else {}


def read_event(data: dict[str, Any]) -> ZaloEvent:
    name = str(data.get("event_name") or "")
    if name in ("follow", "unfollow"):
        user = _object(data.get("follower")).get("id")
    elif name.startswith("oa_send_") or name in ("user_received_message", "user_seen_message"):
        user = _object(data.get("recipient")).get("id")
    else:
        user = _object(data.get("sender")).get("id") or data.get("user_id")
    if not name or user is None or isinstance(user, dict | list):
        raise EventRefused("no event name or user")
    message = _object(data.get("message"))
    listed = message.get("attachments")
    attachments = tuple(ZaloAttachment(str(item.get("type", "")), _object(item.get("payload")))
                        for item in (listed if isinstance(listed, list) else []) if isinstance(item, dict))
    msg_id = message.get("msg_id")
    text = message.get("text")
    return ZaloEvent(name=name, user_id=str(user), timestamp=str(data.get("timestamp", "")),
                     msg_id=str(msg_id) if msg_id is not None else None,
                     text=str(text) if text is not None else None, attachments=attachments)
