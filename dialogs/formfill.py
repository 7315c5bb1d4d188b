"""A form filled with one application's answers: what goes in which place, in the official
order, as plain data that the DOCX and the PDF renderers (`bot/forms/`) both draw, so the two
files always say the same thing.

Values are computed here, never asked: a date in digits and in words, a year, a choice's
wording. A value whose answers are missing stays blank, for the desk to write by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from dialogs.catalog import ApplicantField, FieldType, Procedure
from dialogs.conditions import Condition
from dialogs.form import (
    OFFICE,
    Checks,
    FieldLine,
    Form,
    Heading,
    Paragraph,
    Table,
    placeholders,
)

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_LINE = "Độc lập - Tự do - Hạnh phúc"
PLACE_DATE = "…………………, ngày …… tháng …… năm ………"

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_MONTHS = ("", "một", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười", "mười một", "mười hai")


def _below_hundred(number: int) -> str:
    tens, units = divmod(number, 10)
    if tens == 0:
        return _DIGITS[units]
    if tens == 1:
        head = "mười"
        tail = {0: "", 5: "lăm"}.get(units, _DIGITS[units])
    else:
        head = _DIGITS[tens] + " mươi"
        tail = {0: "", 1: "mốt", 4: "tư", 5: "lăm"}.get(units, _DIGITS[units])
    return f"{head} {tail}".strip()


def number_in_words(number: int) -> str:
    """0 to 9999 the way a Vietnamese form writes it: 2005 is "hai nghìn không trăm linh năm"."""
    if not 0 <= number <= 9999:
        raise ValueError(number)
    thousands, rest = divmod(number, 1000)
    hundreds, below = divmod(rest, 100)
    words: list[str] = []
    if thousands:
        words.append(_DIGITS[thousands] + " nghìn")
    if hundreds or (thousands and below):
        words.append(_DIGITS[hundreds] + " trăm")
    if below:
        words.append(("linh " if below < 10 and words else "") + _below_hundred(below))
    return " ".join(words) or _DIGITS[0]


def date_in_words(value: date) -> str:
    """"Ngày hai mươi mốt tháng tư năm hai nghìn không trăm hai mươi sáu", as a birth certificate writes it."""
    return (f"Ngày {number_in_words(value.day)} tháng {_MONTHS[value.month]} "
            f"năm {number_in_words(value.year)}")


@dataclass(frozen=True)
class Line:
    label: str
    value: str
    """'' when the answers are missing: printed as dots."""


@dataclass(frozen=True)
class Title:
    text: str


@dataclass(frozen=True)
class Boxes:
    label: str
    boxes: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Grid:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]


Block = Line | Title | Boxes | Text | Grid


@dataclass(frozen=True)
class Signer:
    caption: str
    note: str
    name: str


@dataclass(frozen=True)
class FilledForm:
    form_id: str
    title: str
    reference: str
    addressee: str
    blocks: tuple[Block, ...]
    closing: str
    place_date: str
    signers: tuple[Signer, ...]

    def values(self) -> list[str]:
        """Every answer printed, in order: what a reader must find on the paper."""
        found = [b.value for b in self.blocks if isinstance(b, Line) and b.value]
        found += [cell for b in self.blocks if isinstance(b, Grid) for _, cells in b.rows for cell in cells if cell]
        return found + [s.name for s in self.signers if s.name]


class _Values:
    """Answers as a form prints them."""

    def __init__(self, procedure: Procedure, answers: Mapping[str, str], office: str) -> None:
        self.fields = {f.id: f for f in procedure.applicant_fields}
        self.answers = answers
        self.office = office

    def one(self, name: str, flt: str | None) -> str | None:
        if name == OFFICE:
            return self.office
        value = self.answers.get(name)
        if value is None:
            return None
        return _printed(self.fields[name], value, flt)

    def fill(self, template: str) -> str:
        """The template with its answers in; '' if any of them is missing (the whole value is
        then left for the desk, rather than printing half of it)."""
        values: dict[str, str] = {}
        for name, flt in placeholders(template):
            value = self.one(name, flt)
            if value is None:
                return ""
            values[name if flt is None else f"{name}|{flt}"] = value
        return _substitute(template, values)


def _substitute(template: str, values: dict[str, str]) -> str:
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


def _printed(field: ApplicantField, value: str, flt: str | None) -> str:
    if flt == "lower":
        shown = _printed(field, value, None)
        return shown[:1].lower() + shown[1:]
    if field.type is FieldType.DATE:
        day = date.fromisoformat(value)
        if flt == "words":
            return date_in_words(day)
        if flt == "year":
            return str(day.year)
        return day.strftime("%d/%m/%Y")
    if field.type is FieldType.CHOICE:
        return next((o.printed or o.label.vi for o in field.options if o.value == value), value)
    return value


def _shown(condition: Condition | None, answers: Mapping[str, str]) -> bool:
    return condition is None or condition.holds(answers)


def fill(form: Form, procedure: Procedure, answers: Mapping[str, str], office: str) -> FilledForm:
    """The form with the answers to the questions that apply (see `Procedure.kept_answers`)."""
    kept = procedure.kept_answers(dict(answers))
    values = _Values(procedure, kept, office)
    blocks: list[Block] = []
    for block in form.body:
        if not _shown(block.when, kept):
            continue
        match block:
            case Heading():
                blocks.append(Title(block.heading))
            case FieldLine():
                blocks.append(Line(block.line, values.fill(block.value)))
            case Checks():
                boxes = tuple((box.label, box.ticked if isinstance(box.ticked, bool) else box.ticked.holds(kept))
                              for box in block.boxes)
                blocks.append(Boxes(block.checks, boxes))
            case Paragraph():
                blocks.append(Text(values.fill(block.text)))
            case Table():
                swap = block.swap_if is not None and block.swap_if.holds(kept)
                rows = tuple((row.label, _swapped(tuple(values.fill(c) for c in row.cells), swap))
                             for row in block.rows)
                blocks.append(Grid(block.table, rows))
    signature = form.signature
    names = _swapped(tuple(values.fill(s.name) for s in signature.signers),
                     signature.swap_if is not None and signature.swap_if.holds(kept))
    signers = tuple(Signer(s.caption, s.note, name) for s, name in zip(signature.signers, names, strict=True))
    return FilledForm(form.id, form.title, form.reference, values.fill(form.addressee), tuple(blocks),
                      values.fill(form.closing), PLACE_DATE if signature.place_date else "", signers)


def _swapped(cells: tuple[str, ...], swap: bool) -> tuple[str, ...]:
    return (cells[1], cells[0], *cells[2:]) if swap and len(cells) > 1 else cells
