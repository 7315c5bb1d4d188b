"""A citizen's chat with the dialog engine alone, for the unit tests of the engine and of what it
does with questions: the state is kept between inputs as the database would keep it, buttons are
tapped by the label a citizen reads, and texts are compared with the Vietnamese catalog."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from dialogs.catalog import (
    ApplicantField,
    Catalog,
    FieldType,
    Procedure,
    load_catalog,
)
from dialogs.engine import DialogEngine
from dialogs.model import (
    Context,
    DialogState,
    IncomingFile,
    Input,
    Office,
    Result,
)
from dialogs.output import Button, Press, Reply, Rich
from dialogs.prompts import label as shorten
from dialogs.steps import (
    CONSENT,
    DOC_PREFIX,
    FIELD_PREFIX,
    REQUIREMENTS,
    Navigate,
    Place,
    StepPress,
    procedure_steps,
    token_of,
)
from locales import get_translator

CATALOG = load_catalog()
ENGINE = DialogEngine(CATALOG)
VI = get_translator("vi")
HOME = Reply(Rich.plain("HOME"))
TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
MAX_FILE_BYTES = 20 * 1024 * 1024
MB = 1024 * 1024
MAX_PAYLOAD_BYTES = 64
OFFICE_ADDRESS = "Tây Đằng, Hà Nội"
OFFICE = Office(name="UBND thị trấn Tây Đằng", address=OFFICE_ADDRESS, phone="024 3386 0000", opens="07:30",
                closes="17:00", today="open", closed_because=None, next_open=date(2026, 12, 2))

TYPED_ANSWERS: dict[FieldType, tuple[str, str, str]] = {
    # type: (what the citizen types, what is stored, what the summary shows)
    FieldType.NAME: ("nguyễn văn an", "Nguyễn Văn An", "Nguyễn Văn An"),
    FieldType.CCCD: ("001 090 012 345", "001090012345", "001090012345"),
    FieldType.PHONE: ("+84 912 345 678", "0912345678", "0912345678"),
    FieldType.DATE: ("1/2/1990", "1990-02-01", "01/02/1990"),
    FieldType.ADDRESS: ("Thôn 3,  thị trấn Tây Đằng, Ba Vì", "Thôn 3, thị trấn Tây Đằng, Ba Vì",
                        "Thôn 3, thị trấn Tây Đằng, Ba Vì"),
    FieldType.TEXT: ("Bệnh viện đa khoa huyện Ba Vì", "Bệnh viện đa khoa huyện Ba Vì", "Bệnh viện đa khoa huyện Ba Vì"),
    FieldType.YEAR: ("1990", "1990", "1990"),
}


# ----- helpers --------------------------------------------------------------------------------


def context(language: str = "vi") -> Context:
    return Context(tr=get_translator(language), today=TODAY, now=NOW, office=OFFICE,
                   max_file_bytes=MAX_FILE_BYTES, retention_months=12, same_day_cutoff="15:00",
                   home=lambda state: HOME)


def vi(message: str, **params: object) -> str:
    """The Vietnamese text of an English message id, with its placeholders filled."""
    translated = VI.gettext(message)
    return translated.format(**params) if params else translated


def vi_plural(singular: str, plural: str, n: int, **params: object) -> str:
    return VI.ngettext(singular, plural, n).format(n=n, **params)


def warning(message: str, **params: object) -> str:
    return "⚠️ " + vi(message, **params)


def text(reply: Reply) -> str:
    """Everything the citizen reads in one message: the warnings, then the question."""
    return str(reply.full_text)


def labels(reply: Reply) -> list[str]:
    return [button.label for row in reply.buttons for button in row]


def decode(payload: str) -> Press:
    """The press the channel hands back when this payload's button is tapped."""
    assert len(payload.encode()) <= MAX_PAYLOAD_BYTES, payload
    route, *values = payload.split(":")
    kind: type[Press] = {StepPress.ROUTE: StepPress, Navigate.ROUTE: Navigate}[route]
    press = kind.decode(values)
    assert press is not None, f"the bot made a payload it cannot read back: {payload}"
    return press


_file_numbers = itertools.count(1)


def photo(size: int = 1000) -> IncomingFile:
    """A photo the handler downloaded and stored."""
    n = next(_file_numbers)
    return IncomingFile("photo", f"photo-{n}", f"uniq-{n}", size, sha256=f"{n:064x}", stored_size=size)


def document(mime_type: str | None = "application/pdf", file_name: str = "scan.pdf", size: int = 5000) -> IncomingFile:
    """A file the handler downloaded and stored."""
    n = next(_file_numbers)
    return IncomingFile("document", f"file-{n}", f"uniq-{n}", size, mime_type=mime_type, file_name=file_name,
                        sha256=f"{n:064x}", stored_size=size)


def typed_answer(field: ApplicantField) -> str:
    if field.type is FieldType.NUMBER:
        return str(field.min if field.min is not None else 1)
    return TYPED_ANSWERS[field.type][0]


def stored_answer(field: ApplicantField) -> str:
    if field.type is FieldType.CHOICE:
        return field.options[0].value
    if field.type is FieldType.NUMBER:
        return typed_answer(field)
    return TYPED_ANSWERS[field.type][1]


def shown_answer(field: ApplicantField) -> str:
    if field.type is FieldType.CHOICE:
        return field.options[0].label.vi
    if field.type is FieldType.NUMBER:
        return typed_answer(field)
    return TYPED_ANSWERS[field.type][2]


def list_label(catalog: Catalog, procedure: Procedure) -> str:
    """The button of `procedure` in the full list of procedures, as the citizen reads it."""
    number = [p.id for p in catalog].index(procedure.id) + 1
    return f"{number}. {shorten((procedure.short_title or procedure.title).vi)}"


class Chat:
    """One citizen's chat with the engine: keeps the state between inputs, like the database."""

    def __init__(self, engine: DialogEngine = ENGINE, language: str = "vi") -> None:
        self.engine = engine
        self.ctx = context(language)
        self.state: DialogState | None = None
        self.result = Result(None)
        self._updates = itertools.count(2_147_000_001)  # ten digits, as Telegram's update ids grow

    def send(self, **what: Any) -> Result:
        self.result = self.engine.step(self.state, Input(update_id=next(self._updates), **what), self.ctx)
        self.state = self.result.state
        for reply in self.result.replies:
            for row in reply.buttons:
                for button in row:
                    decode(button.payload)
        return self.result

    @property
    def last(self) -> Reply:
        assert self.result.replies, f"no reply (effect {self.result.effect})"
        return self.result.replies[-1]

    def type(self, typed: str) -> Reply:
        self.send(text=typed)
        return self.last

    def press(self, press: Press) -> Reply:
        self.send(press=press)
        return self.last

    def button(self, label: str) -> Button:
        """The button of the last reply with exactly this label, or the only one containing it."""
        buttons = [button for row in self.last.buttons for button in row]
        exact = [b for b in buttons if b.label == label]
        found = exact or [b for b in buttons if label in b.label]
        assert len(found) == 1, f"no single button {label!r} among {labels(self.last)}"
        return found[0]

    def tap(self, label: str) -> Result:
        return self.send(press=decode(self.button(label).payload))

    def tap_reply(self, label: str) -> Reply:
        self.tap(label)
        return self.last

    def files(self, *files: IncomingFile) -> Reply:
        self.send(files=files)
        return self.last

    def command(self, name: str) -> Result:
        return self.send(command=name)

    def navigate(self, place: Place) -> Reply:
        return self.press(Navigate(place))

    def step_press(self, action: str) -> StepPress:
        """A press of the current step's button with `action`, as a forged or old client could send."""
        assert self.state is not None
        return StepPress(self.state.dialog_id, token_of(self.state.step, self.engine.catalog.get(
            self.state.procedure_id or "")), action)


def open_procedure(chat: Chat, procedure: Procedure) -> Reply:
    chat.navigate(Place.APPLY)
    return chat.tap_reply(list_label(chat.engine.catalog, procedure))


def answer(chat: Chat, field: ApplicantField) -> Reply:
    if field.type is FieldType.CHOICE:
        return chat.tap_reply(field.options[0].label.vi)
    return chat.type(typed_answer(field))


def walk_to(chat: Chat, procedure: Procedure, step: str) -> Reply:
    """From the main menu to `step`, answering validly: a page and “Done” for each required
    document, “Skip” for the others."""
    reply = open_procedure(chat, procedure)
    if step == REQUIREMENTS:
        return reply
    reply = chat.tap_reply(vi("✅ Start the application"))
    if step == CONSENT:
        return reply
    reply = chat.tap_reply(vi("✅ I agree"))
    assert step in procedure_steps(procedure), step
    while chat.state is not None and chat.state.step != step:
        current = chat.state.step
        if current.startswith(FIELD_PREFIX):
            reply = answer(chat, procedure.applicant_field(current.removeprefix(FIELD_PREFIX)))
        elif procedure.document(current.removeprefix(DOC_PREFIX)).skippable:
            reply = chat.tap_reply(vi("⏭ Skip"))
        else:
            chat.files(photo())
            reply = chat.tap_reply(vi("✅ Done"))
    assert chat.state is not None and chat.state.step == step
    return reply


KHAI_SINH = CATALOG["khai-sinh"]
