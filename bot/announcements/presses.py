"""The buttons of announcements (see `dialogs.output.Press`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dialogs.output import Press, RowId


class Decision(StrEnum):
    SEND = "send"
    CANCEL = "cancel"


@dataclass(frozen=True)
class AnnouncementPress(Press):
    """Send or cancel under an announcement's preview."""

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
