"""What goes into and comes out of the dialog engine: plain data, no Telegram types.

Another channel (a Zalo Official Account, a web form) reuses the engine by producing `Input`
and rendering `Reply`; the state is JSON so the database keeps it between updates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from locales import Translator


@dataclass(frozen=True)
class IncomingFile:
    """A photo or document as the channel announced it, plus where the handler stored it.

    `sha256` is set only when the handler downloaded the bytes; `problem` carries a message id
    when the download or the content check failed, so the engine can say why and ask again.
    """

    kind: Literal["photo", "document"]
    file_id: str
    file_unique_id: str
    size: int | None
    mime_type: str | None = None
    file_name: str | None = None
    sha256: str | None = None
    stored_size: int | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Input:
    """One thing the person did. `update_id` is unique and increasing; a new dialog takes it as its id."""

    update_id: int
    text: str | None = None
    button: str | None = None
    files: tuple[IncomingFile, ...] = ()
    command: str | None = None
    command_args: str = ""


@dataclass(frozen=True)
class Button:
    label: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """A message to show: HTML-formatted text (dynamic parts escaped) and rows of buttons.

    `notes` are warnings about the person's last input, shown above the text; they are kept
    apart so that the replies to several photos of one album can be merged into one message.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    notes: tuple[str, ...] = ()
    image: bytes | None = None
    image_caption: str = ""

    @property
    def full_text(self) -> str:
        return "\n".join(self.notes) + "\n\n" + self.text if self.notes else self.text


class StoredFile(BaseModel):
    """A file the dialog holds; `kind` says how Telegram knows it, because a photo's file_id can
    only be sent back as a photo and a document's as a document."""

    kind: Literal["photo", "document"] = "document"
    sha256: str
    mime_type: str
    size: int
    file_id: str
    file_unique_id: str


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

    def all_files(self) -> list[StoredFile]:
        return [stored for files in self.documents.values() for stored in files]


@dataclass(frozen=True)
class Context:
    """Everything from outside the dialog that a step may depend on, passed in explicitly."""

    tr: Translator
    today: date
    now: datetime
    office_name: str
    max_file_bytes: int
    retention_months: int
    same_day_cutoff: str
    bot_username: str | None = None


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
class Resubmit:
    """The citizen answered every item an officer asked for: attach them to the case."""

    state: DialogState


Effect = ConsentGiven | SubmitCase | Discard | Resubmit


@dataclass
class Result:
    state: DialogState | None
    replies: list[Reply] = field(default_factory=list)
    effect: Effect | None = None
