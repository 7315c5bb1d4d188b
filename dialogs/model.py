"""What goes into the dialog engine and what it decides: plain data, no channel types.

Every channel (Telegram, a Zalo Official Account) produces the same `Input` and renders the
same `Reply` (see `dialogs.output`); the state is JSON so the database keeps it between updates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from dialogs.output import Press, Reply
from locales import Translator


@dataclass(frozen=True)
class IncomingFile:
    """A photo or document as the channel announced it, plus where the handler stored it.

    `file_id` means something only to the channel that sent it (Telegram's file id, a Zalo URL).

    `sha256` is set only when the handler downloaded the bytes; `problem` carries a message id
    when the download or the content check failed, so the engine can say why and ask again.
    """

    kind: Literal["photo", "document"]
    file_id: str
    file_unique_id: str
    size: int | None
    channel: str = "telegram"
    mime_type: str | None = None
    file_name: str | None = None
    sha256: str | None = None
    stored_size: int | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Input:
    """One thing the person did: typed text, a button pressed (already decoded), files or a
    command. `update_id` is unique and increasing; a new dialog takes it as its id."""

    update_id: int
    text: str | None = None
    press: Press | None = None
    files: tuple[IncomingFile, ...] = ()
    command: str | None = None
    command_args: str = ""
    unknown_button: bool = False
    """A button payload this bot did not make (forged, corrupted, or from an old version)."""


class StoredFile(BaseModel):
    """A file the dialog holds, in the file store under `sha256`; `file_id` is the id `channel`
    knows it by, and `kind` says how, because a Telegram photo's file id can only be sent back
    as a photo."""

    kind: Literal["photo", "document"] = "document"
    sha256: str
    mime_type: str
    size: int
    file_id: str
    file_unique_id: str
    channel: str = "telegram"

    @property
    def telegram_file_id(self) -> str:
        """The id to send it again on Telegram without uploading it, or '' for a file sent elsewhere."""
        return self.file_id if self.channel == "telegram" else ""


class DialogState(BaseModel):
    """Where one chat is in its application. Saved after every update."""

    dialog_id: int
    step: str
    procedure_id: str | None = None
    answers: dict[str, str] = Field(default_factory=dict)
    documents: dict[str, list[StoredFile]] = Field(default_factory=dict)
    skipped: list[str] = Field(default_factory=list)
    consent_at: datetime | None = None
    editing: bool = False
    candidates: list[str] = Field(default_factory=list)
    case_id: int | None = None
    case_code: str | None = None
    items: list[str] = Field(default_factory=list)
    form_preview: list[StoredFile] = Field(default_factory=list)
    """The filled forms shown on the summary, made and stored by the bot (not the engine), held
    here so that cancelling the application deletes them like the pages the citizen sent."""

    def all_files(self) -> list[StoredFile]:
        return [stored for files in self.documents.values() for stored in files] + self.form_preview


@dataclass(frozen=True)
class Office:
    """The desk as a citizen asks about it: the consent notice says where to ask about one's
    data, and "where is it, when is it open, what is the phone number" is answered from here."""

    name: str
    address: str
    phone: str | None
    opens: str
    closes: str
    today: Literal["open", "over", "closed"]
    """Open still (or later) today, closed for the rest of today, or not a working day."""
    closed_because: str | None
    """The holiday's name when the desk is closed today for one; None on weekends and open days."""
    next_open: date
    """The next day the desk opens after today, for "closed today, come back on …"."""


@dataclass(frozen=True)
class Context:
    """Everything from outside the dialog that a step may depend on, passed in explicitly."""

    tr: Translator
    today: date
    now: datetime
    office: Office
    max_file_bytes: int
    retention_months: int
    same_day_cutoff: str
    home: Callable[[DialogState | None], Reply]
    """The assistant's home screen; the dialog shows it but does not know what is on it."""
    abandoned_days: int = 30
    """An application left this many days without a message is deleted (the consent notice says so)."""


@dataclass(frozen=True)
class ConsentGiven:
    """Record the consent (who, when, which notice) before any personal data is asked."""


@dataclass(frozen=True)
class SubmitCase:
    """The citizen confirmed the summary: create the case from `state` and send a receipt."""

    state: DialogState


@dataclass(frozen=True)
class Discard:
    """Delete files the dialog no longer holds (cancelled, skipped, replaced) and, when consent
    is refused, everything stored about the chat."""

    files: tuple[StoredFile, ...] = ()
    forget_chat: bool = False


@dataclass(frozen=True)
class SubmitSupplement:
    """The citizen answered every item an officer asked for: attach them to the case."""

    state: DialogState


Effect = ConsentGiven | SubmitCase | Discard | SubmitSupplement


@dataclass
class Result:
    state: DialogState | None
    replies: list[Reply] = field(default_factory=list)
    effect: Effect | None = None
