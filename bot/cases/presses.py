"""The buttons and deep links of the case lifecycle, as typed data (see `dialogs.output.Press`);
`handlers/routes.py` decides which code handles each."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dialogs.output import Press, RowId


class OfficerAction(StrEnum):
    VIEW = "view"
    ACCEPT = "accept"
    SUPPLEMENT = "supplement"
    REFUSE = "refuse"
    READY = "ready"
    READY_STANDARD = "ready-standard"
    DELIVER = "deliver"
    DROP = "drop"


@dataclass(frozen=True)
class OfficerPress(Press):
    """An officer's tap on a case card; `version` is the case version the card showed, so a
    tap on an outdated card changes nothing."""

    ROUTE = "officer"

    case_id: RowId
    version: int
    action: OfficerAction


@dataclass(frozen=True)
class SendSupplement(Press):
    """The citizen's "send the additional documents" under an officer's request."""

    ROUTE = "supplement"

    case_id: RowId


@dataclass(frozen=True)
class ShowCase(Press):
    """One of the citizen's own cases, from a list."""

    ROUTE = "case"

    case_id: RowId


@dataclass(frozen=True)
class LookupMenu(Press):
    ROUTE = "lookup"


@dataclass(frozen=True)
class MyCasesMenu(Press):
    ROUTE = "mine"


@dataclass(frozen=True)
class CaseLink(Press):
    """The receipt's QR code: a t.me deep link whose /start payload is 'c_<code>'. Telegram allows
    only A-Z a-z 0-9 _ - (at most 64 characters) there, which case codes satisfy."""

    ROUTE = "c"
    SEPARATOR = "_"

    code: str
