"""The official forms the assistant fills in ("Ngày không viết"): one YAML file per form in
`dialogs/forms/`, data only.

When the ministry changes a form, the office edits its file: the title, the lines in the
official order, the tick boxes, the signature block. Each printed value is a template over the
citizen's answers, `{field}` or `{field|filter}`, so a new version of a form needs no code. A
form file is checked when the catalog loads, against the procedure that uses it and against the
font, so a mistake stops start-up with the file and the field named, never a citizen's step.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    field_validator,
)

from dialogs.conditions import Condition

FORMS_DIR = Path(__file__).parent / "forms"
OFFICE = "office"
"""The one placeholder that is not an answer: the desk's name, from the configuration."""
FILTERS = frozenset({"words", "year", "lower"})
"""`words`: a date written in words ("Ngày một tháng hai năm một nghìn chín trăm chín mươi");
`year`: the year of a date; `lower`: the first letter in lower case, inside a sentence."""
DATE_FILTERS = frozenset({"words", "year"})

FormId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=60)]
Line = Annotated[str, StringConstraints(min_length=1, max_length=400)]
_FORMATTER = string.Formatter()


class FormFileError(Exception):
    """A form file is missing, unreadable or malformed; the message names the file and the field."""


def placeholders(template: str) -> Iterator[tuple[str, str | None]]:
    """The `(name, filter)` pairs of a template: "{cccd}" gives ("cccd", None)."""
    for _, name, spec, _ in _FORMATTER.parse(template):
        if name is not None:
            field, _, flt = name.partition("|")
            yield field, (flt or spec or None)


def _template(value: str) -> str:
    try:
        found = list(placeholders(value))
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a valid template ({exc}); write a placeholder as {{field}}") from None
    for name, flt in found:
        if not re.fullmatch(r"[a-z0-9_]+", name):
            raise ValueError(f"'{{{name}}}' is not an answer id")
        if flt is not None and flt not in FILTERS:
            raise ValueError(f"unknown filter '{flt}' in '{value}'; known: {', '.join(sorted(FILTERS))}")
    return value


Template = Annotated[str, StringConstraints(max_length=400)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Templated(_Strict):
    @field_validator("value", "text", "name", "cells", check_fields=False)
    @classmethod
    def _templates(cls, value: Any) -> Any:
        if isinstance(value, tuple | list):
            return tuple(_template(v) for v in value)
        return _template(value)


class Heading(_Strict):
    """A section heading, printed bold: "Thông tin người được khai sinh"."""

    heading: Line
    when: Condition | None = None


class FieldLine(_Templated):
    """"label: value"; a value whose answers are missing prints as dots, to be filled by hand."""

    line: Line
    value: Template = ""
    when: Condition | None = None


class Box(_Strict):
    label: Line
    ticked: Condition | bool = False


class Checks(_Strict):
    """Tick boxes on one line: "☒ Cấp lại  ☐ Cấp đổi"."""

    checks: str = ""
    boxes: tuple[Box, ...] = Field(min_length=1)
    when: Condition | None = None


class Paragraph(_Templated):
    """Running text with answers in it, justified (a statement, a pledge)."""

    text: Template
    when: Condition | None = None


class Row(_Templated):
    label: Line
    cells: tuple[Template, ...] = Field(min_length=1)


class Table(_Strict):
    """Columns of values side by side (the two parties of a marriage). `swap_if` exchanges the
    first two columns' values, so that a form can list "the applicant's, then the partner's"
    while the paper prints the bride's first."""

    table: tuple[Line, ...] = Field(min_length=1)
    rows: tuple[Row, ...] = Field(min_length=1)
    swap_if: Condition | None = None
    when: Condition | None = None


def _block_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return next((key for key in ("heading", "line", "checks", "text", "table") if key in value), None)
    return None


Block = Annotated[
    Annotated[Heading, Tag("heading")] | Annotated[FieldLine, Tag("line")] | Annotated[Checks, Tag("checks")]
    | Annotated[Paragraph, Tag("text")] | Annotated[Table, Tag("table")],
    Discriminator(_block_kind, custom_error_type="block", custom_error_message=(
        "a block needs one of the keys heading, line, checks, text or table")),
]


class Signer(_Templated):
    caption: Line
    note: str = "(Ký, ghi rõ họ, chữ đệm, tên)"
    name: Template = ""


class Signature(_Strict):
    """The place and date line ("…, ngày … tháng … năm …", left for the day of signing) and
    who signs; a signer without a name gets an empty place (a witness, the desk)."""

    place_date: bool = True
    signers: tuple[Signer, ...] = Field(min_length=1, max_length=3)
    swap_if: Condition | None = None


class Form(_Strict):
    id: FormId
    title: Line
    reference: str = ""
    """The form's legal reference, printed small at the top right ("Mẫu số 01 …")."""
    addressee: Template = ""
    body: tuple[Block, ...] = Field(min_length=1)
    closing: Template = ""
    signature: Signature
    sources: tuple[str, ...] = Field(min_length=1)
    uncertain: tuple[str, ...] = ()

    @field_validator("addressee", "closing")
    @classmethod
    def _templates(cls, value: str) -> str:
        return _template(value)


def texts(form: Form) -> Iterator[tuple[str, str]]:
    """Every text the form prints, with where it is in the file: checked against the font."""
    yield "title", form.title
    yield "reference", form.reference
    yield "addressee", form.addressee
    yield "closing", form.closing
    for index, block in enumerate(form.body):
        where = f"body.{index}"
        match block:
            case Heading():
                yield f"{where}.heading", block.heading
            case FieldLine():
                yield f"{where}.line", block.line
                yield f"{where}.value", block.value
            case Checks():
                yield f"{where}.checks", block.checks
                yield from ((f"{where}.boxes.{i}.label", box.label) for i, box in enumerate(block.boxes))
            case Paragraph():
                yield f"{where}.text", block.text
            case Table():
                yield from ((f"{where}.table.{i}", column) for i, column in enumerate(block.table))
                for i, row in enumerate(block.rows):
                    yield f"{where}.rows.{i}.label", row.label
                    yield from ((f"{where}.rows.{i}.cells.{j}", cell) for j, cell in enumerate(row.cells))
    for index, signer in enumerate(form.signature.signers):
        yield f"signature.signers.{index}.caption", signer.caption
        yield f"signature.signers.{index}.note", signer.note
        yield f"signature.signers.{index}.name", signer.name


def conditions(form: Form) -> Iterator[tuple[str, Condition]]:
    """Every condition of the form, with where it is: each must name a question of the procedure."""
    for index, block in enumerate(form.body):
        if block.when is not None:
            yield f"body.{index}.when", block.when
        if isinstance(block, Checks):
            yield from ((f"body.{index}.boxes.{i}.ticked", box.ticked) for i, box in enumerate(block.boxes)
                        if isinstance(box.ticked, Condition))
        if isinstance(block, Table) and block.swap_if is not None:
            yield f"body.{index}.swap_if", block.swap_if
    if form.signature.swap_if is not None:
        yield "signature.swap_if", form.signature.swap_if


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return f"field '{location}': {first['msg']}"


def load_form(path: Path) -> Form:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FormFileError(f"{path}: cannot read the file: {exc}") from exc
    if not isinstance(raw, dict):
        raise FormFileError(f"{path}: the file must hold one form (a YAML mapping)")
    try:
        form = Form.model_validate(raw)
    except ValidationError as exc:
        raise FormFileError(f"{path}: {_describe(exc)}") from exc
    if form.id != path.stem:
        raise FormFileError(f"{path}: field 'id': '{form.id}' must match the file name '{path.stem}'")
    return form
