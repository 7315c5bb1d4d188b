"""The buttons of announcements (see `dialogs.output.Press`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dialogs.output import Press, RowId


class Decision(StrEnum):
    SEND = "send"
    SEND_URGENT = "urgent_send"
    URGENT = "urgent"
    """Show what sending it as urgent means (time, cost) before it can be sent so."""
    NORMAL = "normal"
    CANCEL = "cancel"


@dataclass(frozen=True)
class AnnouncementPress(Press):
    """Under an announcement's preview: send it, send it as urgent, see either, or cancel. A
    send says which it is, so a button always does what the message above it said."""

    ROUTE = "announce"

    broadcast_id: RowId
    decision: Decision


@dataclass(frozen=True)
class Unsubscribe(Press):
    """"No, thank you" under the first greeting's question, and the home screen's "Stop
    announcements", like /huythongbao."""

    ROUTE = "unsub"


@dataclass(frozen=True)
class Subscribe(Press):
    """"Yes, send them" under the first greeting's question, and the home screen's "Receive
    announcements", like /nhanthongbao."""

    ROUTE = "sub"
