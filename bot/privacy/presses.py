"""The buttons of the citizen's data screen (/dulieu), as typed data (see `dialogs.output.Press`).
They carry no id: every action is on the chat that taps it, so nothing can be forged."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dialogs.output import Press


class DataAction(StrEnum):
    SHOW = "show"
    EXPORT = "export"
    WITHDRAW = "withdraw"
    WITHDRAW_CONFIRMED = "withdraw-yes"
    ERASE = "erase"
    ERASE_CONFIRMED = "erase-yes"


@dataclass(frozen=True)
class DataPress(Press):
    ROUTE = "data"

    action: DataAction
