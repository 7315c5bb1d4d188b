"""What the assistant says, independent of the chat channel that carries it.

A reply is styled text, rows of buttons, attachments and the kind of answer it waits for. Each
channel adapter in `handlers/` renders it: Telegram as HTML with an inline keyboard, Zalo as
plain text with a button template. Text is never pre-formatted for a channel: emphasis is a
property of a segment, so a citizen's name can never be read as markup by any channel.

Translated messages mark emphasis with `**bold**` and `__italic__`; `Rich.of` splits the
message at those marks first and only then fills in the values, so a value cannot add, close
or break a mark.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import astuple, dataclass, field, fields, replace
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self, get_type_hints

_MARK = re.compile(r"(\*\*|__)")
_FORMATTER = string.Formatter()


class Emphasis(StrEnum):
    PLAIN = "plain"
    BOLD = "bold"
    ITALIC = "italic"


@dataclass(frozen=True)
class Segment:
    text: str
    emphasis: Emphasis = Emphasis.PLAIN


@dataclass(frozen=True)
class Rich:
    """Text made of segments, each plain, bold or italic."""

    segments: tuple[Segment, ...] = ()

    @classmethod
    def of(cls, template: str, /, **values: object) -> Rich:
        """`template` is a translated message with `{name}` placeholders and emphasis marks;
        a value may be a `Rich` (its own emphasis is kept) or anything `format` accepts."""
        segments: list[Segment] = []
        emphasis = Emphasis.PLAIN
        for piece in _MARK.split(template):
            if piece in ("**", "__"):
                mark = Emphasis.BOLD if piece == "**" else Emphasis.ITALIC
                emphasis = Emphasis.PLAIN if emphasis is mark else mark
                continue
            for literal, name, spec, conversion in _FORMATTER.parse(piece):
                if literal:
                    segments.append(Segment(literal, emphasis))
                if name is None:
                    continue
                value = values[name]
                if isinstance(value, Rich):
                    segments += [s if s.emphasis is not Emphasis.PLAIN else Segment(s.text, emphasis)
                                 for s in value.segments]
                else:
                    value = _FORMATTER.convert_field(value, conversion)
                    segments.append(Segment(_FORMATTER.format_field(value, spec or ""), emphasis))
        return cls(tuple(s for s in segments if s.text))

    @classmethod
    def plain(cls, text: str) -> Rich:
        return cls((Segment(text),) if text else ())

    @classmethod
    def bold(cls, text: str) -> Rich:
        return cls((Segment(text, Emphasis.BOLD),) if text else ())

    @classmethod
    def italic(cls, text: str) -> Rich:
        return cls((Segment(text, Emphasis.ITALIC),) if text else ())

    @classmethod
    def join(cls, separator: str, parts: Iterable[Rich | str]) -> Rich:
        segments: list[Segment] = []
        for index, part in enumerate(parts):
            if index and separator:
                segments.append(Segment(separator))
            segments += _rich(part).segments
        return cls(tuple(segments))

    def __add__(self, other: Rich | str) -> Rich:
        return Rich(self.segments + _rich(other).segments)

    def __radd__(self, other: str) -> Rich:
        return _rich(other) + self

    def __str__(self) -> str:
        return "".join(segment.text for segment in self.segments)

    def __bool__(self) -> bool:
        return any(segment.text for segment in self.segments)

    def __contains__(self, text: str) -> bool:
        return text in str(self)

    def to_json(self) -> list[list[str]]:
        return [[segment.text, segment.emphasis.value] for segment in self.segments]

    @classmethod
    def from_json(cls, data: list[list[str]]) -> Rich:
        return cls(tuple(Segment(text, Emphasis(emphasis)) for text, emphasis in data))


def _rich(value: Rich | str) -> Rich:
    return value if isinstance(value, Rich) else Rich.plain(value)


# ----- what a button means -------------------------------------------------------------------

ROW_ID = "row id"
RowId = Annotated[int, ROW_ID]
"""An id that is looked up in the database: a 32-bit positive integer (PostgreSQL's `integer`)."""
MAX_ROW_ID = 2**31 - 1
MAX_NUMBER = 2**53
_TOKEN = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True)
class Press:
    """What pressing a button (or opening a deep link) means, as typed data.

    Each kind has a `ROUTE` name; `handlers/routes.py` is the one table that maps every route to
    the code that handles it and decodes payloads. A payload is the route and the fields joined
    by ':', readable in logs (`officer:12:3:accept`); payloads are data from outside, so
    decoding checks every field and gives None for anything this bot did not make.
    """

    ROUTE: ClassVar[str]
    SEPARATOR: ClassVar[str] = ":"

    def encode(self) -> str:
        values = [value.value if isinstance(value, StrEnum) else str(value) for value in astuple(self)]
        return self.SEPARATOR.join([self.ROUTE, *values])

    @classmethod
    def decode(cls, values: list[str]) -> Self | None:
        hints = get_type_hints(cls, include_extras=True)
        names = [item.name for item in fields(cls)]
        if len(values) != len(names):
            return None
        parsed: dict[str, Any] = {}
        for name, text in zip(names, values, strict=True):
            value = _field_value(hints[name], text)
            if value is None:
                return None
            parsed[name] = value
        return cls(**parsed)


def _field_value(hint: Any, text: str) -> object | None:
    metadata = getattr(hint, "__metadata__", ())
    kind = getattr(hint, "__origin__", hint) if metadata else hint
    if kind is int:
        if not (text.isascii() and text.isdigit() and len(text) <= 16):
            return None
        number = int(text)
        if ROW_ID in metadata:
            return number if 0 < number <= MAX_ROW_ID else None
        return number if number <= MAX_NUMBER else None
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return kind(text) if text in kind._value2member_map_ else None
    return text if _TOKEN.match(text) else None


# ----- replies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    label: str
    payload: str

    @classmethod
    def to(cls, label: str, press: Press) -> Button:
        return cls(label, press.encode())


Rows = tuple[tuple[Button, ...], ...]


class Expect(StrEnum):
    """What the reply waits for; a channel without buttons of its own asks for it in words."""

    NOTHING = "nothing"
    TEXT = "text"
    CHOICE = "choice"
    FILES = "files"


@dataclass(frozen=True)
class Attachment:
    """A photo or file sent with a reply: bytes the bot made (`data`; direct replies only), a
    stored file (`sha256`, in the file store), or a file a person sent on Telegram, sent back
    by its Telegram file id, which only Telegram can resolve."""

    kind: Literal["photo", "document"]
    caption: Rich = Rich()
    data: bytes | None = None
    sha256: str | None = None
    telegram_file_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.data is not None:
            raise ValueError("attachments with inline bytes cannot be queued; store the file first")
        return {"kind": self.kind, "caption": self.caption.to_json(), "sha256": self.sha256,
                "telegram_file_id": self.telegram_file_id, "file_name": self.file_name,
                "mime_type": self.mime_type}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attachment:
        return cls(kind=data["kind"], caption=Rich.from_json(data.get("caption") or []), sha256=data.get("sha256"),
                   telegram_file_id=data.get("telegram_file_id"), file_name=data.get("file_name"),
                   mime_type=data.get("mime_type"))


@dataclass(frozen=True)
class Reply:
    """One message: attachments first, then the text with its buttons.

    `notes` are warnings about the person's last input, shown above the text; they are kept
    apart so that the replies to several photos of one album can be merged into one message.
    `authored_html` is text a staff member formatted on Telegram (an announcement), passed on
    as written where a channel can show it; `text` is then its plain version. `notice` gives
    the facts of the message as named values, for a channel that may only send a pre-approved
    template at that moment (Zalo outside its reply window).
    """

    text: Rich = Rich()
    buttons: Rows = ()
    notes: tuple[Rich, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    expects: Expect = Expect.NOTHING
    authored_html: str | None = None
    notice: dict[str, str] | None = None

    @property
    def full_text(self) -> Rich:
        if not self.notes:
            return self.text
        return Rich.join("\n", self.notes) + "\n\n" + self.text

    def with_notes(self, notes: tuple[Rich, ...]) -> Reply:
        return replace(self, notes=notes)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.full_text.to_json(),
                "buttons": [[[b.label, b.payload] for b in row] for row in self.buttons],
                "attachments": [a.to_json() for a in self.attachments],
                "expects": self.expects.value, "authored_html": self.authored_html, "notice": self.notice}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        return cls(text=Rich.from_json(data.get("text") or []),
                   buttons=tuple(tuple(Button(label, payload) for label, payload in row)
                                 for row in data.get("buttons") or []),
                   attachments=tuple(Attachment.from_json(a) for a in data.get("attachments") or []),
                   expects=Expect(data.get("expects", Expect.NOTHING.value)),
                   authored_html=data.get("authored_html"), notice=data.get("notice"))


@dataclass
class Outcome:
    """Everything the person who acted sees: `replies` in their private chat; a brief notice about
    the button they pressed (`alert` as a pop-up, `toast` as a passing note); a question they
    answer by replying to it (`prompt`, plain text, sent last); and whether the buttons of the
    pressed message are spent (`close_buttons`)."""

    replies: list[Reply] = field(default_factory=list)
    alert: str | None = None
    toast: str | None = None
    prompt: str | None = None
    close_buttons: bool = False
