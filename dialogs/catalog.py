"""The procedure catalog: one YAML file per procedure, validated when the bot starts.

A commune changes what its desk asks for by editing these files, never the code, so every
rule a dialog follows (documents, questions, deadlines, fees) must be expressible here, and a
mistake in a file must stop start-up with a message that names the file and the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from dialogs import glyphs
from dialogs.conditions import Condition
from dialogs.form import (
    DATE_FILTERS,
    FORMS_DIR,
    OFFICE,
    Form,
    FormFileError,
    FormId,
    conditions,
    load_form,
    placeholders,
    texts,
)

PROCEDURES_DIR = Path(__file__).parent / "procedures"

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", max_length=40)]


class CatalogError(Exception):
    """A procedure file is missing, unreadable or malformed; the message names file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """Citizen-facing text in Vietnamese (required) and English (falls back to Vietnamese)."""

    vi: Annotated[str, StringConstraints(min_length=1)]
    en: str | None = None

    def get(self, language: str) -> str:
        if language == "en" and self.en:
            return self.en
        return self.vi


class Mode(StrEnum):
    """Whether the citizen hands the document in (and the bot collects it) or only shows it."""

    SUBMIT = "submit"
    PRESENT = "present"


class Requirement(StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    CONDITIONAL = "conditional"


class FileKind(StrEnum):
    PHOTO = "photo"
    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"


class Document(_Strict):
    id: Slug
    name: Text
    note: Text | None = None
    mode: Mode
    requirement: Requirement = Requirement.REQUIRED
    condition: Text | None = None
    collect: bool = True
    form: FormId | None = None
    """The form file (`dialogs/forms/<form>.yaml`) the assistant fills in for this document."""
    bring_original: bool = False
    """A page sent as a photo whose original paper the desk keeps: the receipt says to bring it."""
    accepts: tuple[FileKind, ...] = (FileKind.PHOTO, FileKind.PDF, FileKind.JPEG, FileKind.PNG)
    max_pages: Annotated[int, Field(ge=1, le=50)] = 10
    uncertain: str | None = None

    @model_validator(mode="after")
    def _condition_when_conditional(self) -> Document:
        if self.requirement is Requirement.CONDITIONAL and self.condition is None:
            raise ValueError("a conditional document needs 'condition' (when it applies)")
        if self.form is not None and self.mode is not Mode.SUBMIT:
            raise ValueError("only a submitted document can be a 'form' the assistant fills in")
        if self.bring_original and not (self.mode is Mode.SUBMIT and self.collect and self.form is None):
            raise ValueError("'bring_original' is for a page the citizen sends as a photo")
        return self

    @property
    def filled_by_bot(self) -> bool:
        return self.form is not None

    @property
    def collected(self) -> bool:
        """Documents the bot asks to upload: submitted ones, unless they are handed in on paper
        (`collect: false`) or are the form the bot fills from the answers (`filled_by_bot`)."""
        return self.mode is Mode.SUBMIT and self.collect and not self.filled_by_bot

    @property
    def skippable(self) -> bool:
        return self.requirement is not Requirement.REQUIRED


class FieldType(StrEnum):
    NAME = "name"
    CCCD = "cccd"
    PHONE = "phone"
    DATE = "date"
    ADDRESS = "address"
    TEXT = "text"
    NUMBER = "number"
    CHOICE = "choice"
    YEAR = "year"


class Option(_Strict):
    value: Slug
    label: Text
    note: Text | None = None
    """Told to the citizen as soon as they choose this option (e.g. what authorisation they need)."""
    printed: str | None = None
    """How a form writes this choice, when the button's wording is not a form's ("Bản thân")."""


class SameAs(_Strict):
    """An earlier answer this question often repeats, offered as one tap ("Giống địa chỉ của ông/bà")."""

    field: Slug
    label: Text
    when: Condition | None = None
    """Offer it only when an earlier answer fits (the mother's name is "your name" only for a mother)."""


class ApplicantField(_Strict):
    id: Slug
    label: Text
    type: FieldType
    required: bool = True
    help: Text | None = None
    options: tuple[Option, ...] = ()
    min: int | None = None
    max: int | None = None
    not_future: bool = False
    noun: Text | None = None
    """What the answer is, as a noun for the consent notice, when the label is a question."""
    same_as: SameAs | None = None
    ask_if: Condition | None = None
    """Ask only when an earlier answer fits; otherwise the question is not asked nor counted."""
    suggest: tuple[Annotated[str, StringConstraints(min_length=1, max_length=60)], ...] = ()
    """Common answers offered as buttons ("Kinh", "Việt Nam"); typing another stays possible."""

    @model_validator(mode="after")
    def _options_for_choice(self) -> ApplicantField:
        if self.type is FieldType.CHOICE and len(self.options) < 2:
            raise ValueError("a 'choice' field needs at least two 'options'")
        if self.type is not FieldType.CHOICE and self.options:
            raise ValueError("'options' are only for fields of type 'choice'")
        if self.suggest and self.type is not FieldType.TEXT:
            raise ValueError("'suggest' is only for fields of type 'text'")
        return self

    def applies(self, answers: dict[str, str]) -> bool:
        return self.ask_if is None or self.ask_if.holds(answers)


class ProcedureField(_Strict):
    """The lĩnh vực a procedure belongs to; officers are assigned by it."""

    id: Slug
    name: Text


class ClockRule(StrEnum):
    """What a request for a supplement does to the due date once the citizen sends it."""

    RESTART = "restart"
    PAUSE = "pause"


class Processing(_Strict):
    working_days: Annotated[int, Field(ge=0, le=90)]
    note: Text | None = None
    on_supplement: ClockRule = ClockRule.RESTART
    uncertain: str | None = None


class Procedure(_Strict):
    id: Slug
    national_code: str | None = None
    title: Text
    short_title: Text | None = None
    field: ProcedureField
    keywords: tuple[str, ...] = Field(min_length=1)
    choose_if: Text | None = None
    """One line that tells this procedure from a similar one when a citizen's words fit both
    ("a copy of my birth paper"): shown beside its button when they are asked to choose."""
    summary: Text | None = None
    processing: Processing
    fee: Text
    legal_basis: tuple[str, ...] = Field(min_length=1)
    documents: tuple[Document, ...] = ()
    applicant_fields: tuple[ApplicantField, ...] = Field(min_length=1)
    sources: tuple[str, ...] = Field(min_length=1)
    uncertain: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> Procedure:
        for kind, ids in (("documents", [d.id for d in self.documents]),
                          ("applicant_fields", [f.id for f in self.applicant_fields])):
            duplicates = {i for i in ids if ids.count(i) > 1}
            if duplicates:
                raise ValueError(f"duplicate id in {kind}: {', '.join(sorted(duplicates))}")
        return self

    @model_validator(mode="after")
    def _references_point_back(self) -> Procedure:
        """`same_as` and `ask_if` name an earlier question, so the answer exists when it is needed."""
        earlier: dict[str, ApplicantField] = {}
        for index, field in enumerate(self.applicant_fields):
            if field.same_as is not None:
                source = earlier.get(field.same_as.field)
                if source is None or source.type is not field.type:
                    raise ValueError(f"applicant_fields.{index}.same_as: '{field.same_as.field}' must be an earlier "
                                     f"question of the same type")
                problem = _condition_problem(field.same_as.when, earlier) if field.same_as.when else None
                if problem:
                    raise ValueError(f"applicant_fields.{index}.same_as.when: {problem}")
            problem = _condition_problem(field.ask_if, earlier) if field.ask_if is not None else None
            if problem:
                raise ValueError(f"applicant_fields.{index}.ask_if: {problem}")
            earlier[field.id] = field
        return self

    @property
    def same_day(self) -> bool:
        """'Ngày không hẹn': resolved on the day it is received (before the cut-off hour)."""
        return self.processing.working_days == 0

    @cached_property
    def collected_documents(self) -> tuple[Document, ...]:
        return tuple(d for d in self.documents if d.collected)

    def document(self, document_id: str) -> Document:
        return next(d for d in self.documents if d.id == document_id)

    def applicant_field(self, field_id: str) -> ApplicantField:
        return next(f for f in self.applicant_fields if f.id == field_id)

    def asked_fields(self, answers: dict[str, str]) -> tuple[ApplicantField, ...]:
        """The questions that apply given the answers so far (an `ask_if` not met drops one)."""
        return tuple(f for f in self.applicant_fields if f.applies(answers))

    def kept_answers(self, answers: dict[str, str]) -> dict[str, str]:
        """The answers to the questions that apply: what a case and its form are made from."""
        return {f.id: answers[f.id] for f in self.asked_fields(answers) if f.id in answers}

    @property
    def form_documents(self) -> tuple[Document, ...]:
        return tuple(d for d in self.documents if d.form is not None)


def _condition_problem(condition: Condition, fields: dict[str, ApplicantField]) -> str | None:
    field = fields.get(condition.field)
    if field is None:
        return f"'{condition.field}' is not an earlier question"
    unknown = set(condition.values) - {o.value for o in field.options}
    if field.type is FieldType.CHOICE and unknown:
        return f"{', '.join(sorted(unknown))} is not an option of '{field.id}'"
    return None


class Catalog:
    """All procedures of one office, in the order their files sort in, and the forms they use."""

    def __init__(self, procedures: list[Procedure], forms: dict[str, Form] | None = None) -> None:
        self.procedures = tuple(procedures)
        self._by_id = {p.id: p for p in procedures}
        self.forms = forms or {}

    def form(self, document: Document) -> Form:
        assert document.form is not None, document.id
        return self.forms[document.form]

    def __iter__(self) -> Iterator[Procedure]:
        return iter(self.procedures)

    def __len__(self) -> int:
        return len(self.procedures)

    def get(self, procedure_id: str) -> Procedure | None:
        return self._by_id.get(procedure_id)

    def __getitem__(self, procedure_id: str) -> Procedure:
        return self._by_id[procedure_id]


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return f"field '{location}': {first['msg']}"


def load_procedure(path: Path) -> Procedure:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: cannot read the file: {exc}") from exc
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: the file must hold one procedure (a YAML mapping)")
    try:
        procedure = Procedure.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(f"{path}: {_describe(exc)}") from exc
    if procedure.id != path.stem:
        raise CatalogError(f"{path}: field 'id': '{procedure.id}' must match the file name '{path.stem}'")
    return procedure


def load_catalog(directory: Path = PROCEDURES_DIR, forms_directory: Path = FORMS_DIR) -> Catalog:
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise CatalogError(f"{directory}: no procedure files (*.yaml) found")
    procedures = [load_procedure(path) for path in paths]
    forms: dict[str, Form] = {}
    for path, procedure in zip(paths, procedures, strict=True):
        for index, document in enumerate(procedure.documents):
            if document.form is None:
                continue
            form_path = forms_directory / f"{document.form}.yaml"
            if not form_path.exists():
                raise CatalogError(f"{path}: field 'documents.{index}.form': no form file {form_path}")
            try:
                form = forms.get(document.form) or load_form(form_path)
                check_form(form, procedure, form_path)
            except FormFileError as exc:
                raise CatalogError(str(exc)) from exc
            forms[form.id] = form
    return Catalog(procedures, forms)


def check_form(form: Form, procedure: Procedure, path: Path) -> None:
    """Every answer a form prints is a question of the procedure, every condition names one, and
    the font can draw every text it may print, its own and the options of the choices it uses."""
    fields = {f.id: f for f in procedure.applicant_fields}
    printed: set[str] = set()
    for where, text in texts(form):
        for name, flt in placeholders(text):
            if name == OFFICE:
                continue
            field = fields.get(name)
            if field is None:
                raise FormFileError(f"{path}: field '{where}': '{{{name}}}' is not a question of {procedure.id}")
            if flt in DATE_FILTERS and field.type is not FieldType.DATE:
                raise FormFileError(f"{path}: field '{where}': the filter '{flt}' needs a date, "
                                    f"and '{name}' is not one")
            printed.add(name)
        _check_drawable(path, where, text)
    for where, condition in conditions(form):
        problem = _condition_problem(condition, fields)
        if problem:
            raise FormFileError(f"{path}: field '{where}': {problem}")
    for name in sorted(printed):
        for index, option in enumerate(fields[name].options):
            _check_drawable(path, f"{procedure.id}.{name}.options.{index}", option.printed or option.label.vi)
        for index, suggestion in enumerate(fields[name].suggest):
            _check_drawable(path, f"{procedure.id}.{name}.suggest.{index}", suggestion)


def _check_drawable(path: Path, where: str, text: str) -> None:
    missing = glyphs.missing(text)
    if missing:
        raise FormFileError(f"{path}: field '{where}': the form font cannot draw {' '.join(missing)}")
