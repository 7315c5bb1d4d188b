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
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

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
    filled_by_bot: bool = False
    accepts: tuple[FileKind, ...] = (FileKind.PHOTO, FileKind.PDF, FileKind.JPEG, FileKind.PNG)
    max_pages: Annotated[int, Field(ge=1, le=50)] = 10
    uncertain: str | None = None

    @model_validator(mode="after")
    def _condition_when_conditional(self) -> Document:
        if self.requirement is Requirement.CONDITIONAL and self.condition is None:
            raise ValueError("a conditional document needs 'condition' (when it applies)")
        return self

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


class Option(_Strict):
    value: Slug
    label: Text


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

    @model_validator(mode="after")
    def _options_for_choice(self) -> ApplicantField:
        if self.type is FieldType.CHOICE and len(self.options) < 2:
            raise ValueError("a 'choice' field needs at least two 'options'")
        if self.type is not FieldType.CHOICE and self.options:
            raise ValueError("'options' are only for fields of type 'choice'")
        return self


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


class Catalog:
    """All procedures of one office, in the order their files sort in."""

    def __init__(self, procedures: list[Procedure]) -> None:
        self.procedures = tuple(procedures)
        self._by_id = {p.id: p for p in procedures}

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


def load_catalog(directory: Path = PROCEDURES_DIR) -> Catalog:
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise CatalogError(f"{directory}: no procedure files (*.yaml) found")
    return Catalog([load_procedure(path) for path in paths])
