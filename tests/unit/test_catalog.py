"""The procedure catalog: the nine data files load, follow the dialog engine's conventions, and a
malformed file stops loading with a message that names the file and the field."""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from dialogs.catalog import (
    PROCEDURES_DIR,
    CatalogError,
    FieldType,
    Mode,
    Procedure,
    Requirement,
    Text,
    load_catalog,
)
from dialogs.form import FORMS_DIR, conditions, placeholders, texts

IDS = {
    "xac-nhan-khuyet-tat",
    "khai-sinh",
    "khai-tu",
    "ket-hon",
    "trich-luc-ho-tich",
    "xac-nhan-tinh-trang-hon-nhan",
    "cap-ban-sao-tu-so-goc",
    "chung-thuc-ban-sao",
    "chung-thuc-tu-choi-di-san",
}

WORKING_DAYS = {
    "khai-sinh": 0,
    "khai-tu": 0,
    "trich-luc-ho-tich": 0,
    "cap-ban-sao-tu-so-goc": 0,
    "chung-thuc-ban-sao": 0,
    "ket-hon": 1,
    "xac-nhan-tinh-trang-hon-nhan": 3,
    "chung-thuc-tu-choi-di-san": 2,
    "xac-nhan-khuyet-tat": 5,
}

FIELDS = {
    "ho-tich": {"khai-sinh", "khai-tu", "ket-hon", "trich-luc-ho-tich", "xac-nhan-tinh-trang-hon-nhan"},
    "chung-thuc": {"cap-ban-sao-tu-so-goc", "chung-thuc-ban-sao", "chung-thuc-tu-choi-di-san"},
    "nguoi-khuyet-tat": {"xac-nhan-khuyet-tat"},
}

REQUIRED_KEYWORDS = {
    "khai-sinh": ["đăng ký khai sinh", "giấy khai sinh", "làm khai sinh"],
    "ket-hon": ["kết hôn", "đăng ký kết hôn", "giấy đăng ký kết hôn"],
    "chung-thuc-ban-sao": ["sao y bản chính", "sao y", "chứng thực bản sao", "công chứng giấy tờ"],
    "xac-nhan-tinh-trang-hon-nhan": ["xác nhận độc thân", "giấy độc thân", "xác nhận tình trạng hôn nhân"],
    "xac-nhan-khuyet-tat": ["giấy khuyết tật", "giấy xác nhận khuyết tật", "cấp lại thẻ khuyết tật"],
    "khai-tu": ["khai tử", "báo tử", "giấy chứng tử"],
    "trich-luc-ho-tich": ["trích lục", "bản sao giấy khai sinh", "bản sao trích lục"],
    "cap-ban-sao-tu-so-goc": ["bản sao từ sổ gốc", "sổ gốc"],
    "chung-thuc-tu-choi-di-san": ["từ chối nhận di sản", "từ chối thừa kế", "không nhận thừa kế"],
}

STANDARD_FIELDS = [
    ("full_name", FieldType.NAME, "Họ và tên người nộp hồ sơ"),
    ("cccd", FieldType.CCCD, "Số căn cước / CCCD (12 số)"),
    ("phone", FieldType.PHONE, "Số điện thoại di động"),
    ("address", FieldType.ADDRESS, "Địa chỉ nơi cư trú"),
]
NAME_AND_CONTACT = ["full_name", "phone"]
"""Chứng thực bản sao asks only what the research lists: name and contact, no căn cước, no address."""
CERTIFIED_COPY_FIELDS = [*NAME_AND_CONTACT, "document_names", "pages_per_original", "copies"]

MAX_FIELDS_WITHOUT_FORM = 10
MAX_SHORT_TITLE = 30
FORMS = {
    "khai-sinh": "to-khai-dang-ky-khai-sinh",
    "khai-tu": "to-khai-dang-ky-khai-tu",
    "ket-hon": "to-khai-dang-ky-ket-hon",
    "trich-luc-ho-tich": "to-khai-cap-ban-sao-trich-luc",
    "xac-nhan-tinh-trang-hon-nhan": "to-khai-xac-nhan-tinh-trang-hon-nhan",
    "xac-nhan-khuyet-tat": "don-de-nghi-doi-cap-lai-giay-xac-nhan-khuyet-tat",
    "chung-thuc-tu-choi-di-san": "van-ban-tu-choi-nhan-di-san",
}


@pytest.fixture(scope="module")
def procedures() -> list[Procedure]:
    return list(load_catalog())


def _by_id(procedures: list[Procedure]) -> dict[str, Procedure]:
    return {p.id: p for p in procedures}


def _fold(text: str) -> str:
    """Lower case without diacritics, as the keyword matcher compares."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return " ".join("".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower().split())


def _texts(model: BaseModel, path: str = "") -> Iterator[tuple[str, Text]]:
    """Every Text inside a model, with a readable path."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, tuple) else (value,)
        for index, item in enumerate(items):
            where = f"{path}{name}" + (f"[{index}]" if isinstance(value, tuple) else "")
            if isinstance(item, Text):
                yield where, item
            elif isinstance(item, BaseModel):
                yield from _texts(item, where + ".")


# --- the real catalog -------------------------------------------------------------------------


def test_catalog_has_exactly_the_nine_procedures(procedures: list[Procedure]) -> None:
    assert {p.id for p in procedures} == IDS
    assert len(procedures) == len(IDS)
    assert {path.stem for path in PROCEDURES_DIR.glob("*.yaml")} == IDS


@pytest.mark.parametrize("procedure_id", sorted(IDS - {"chung-thuc-ban-sao"}))
def test_first_four_applicant_fields_are_the_standard_ones(procedures: list[Procedure], procedure_id: str) -> None:
    fields = _by_id(procedures)[procedure_id].applicant_fields
    for field, (field_id, field_type, label) in zip(fields[:4], STANDARD_FIELDS, strict=True):
        assert (field.id, field.type, field.label.vi) == (field_id, field_type, label)
        assert field.required


def test_certified_copies_ask_only_what_the_research_lists(procedures: list[Procedure]) -> None:
    procedure = _by_id(procedures)["chung-thuc-ban-sao"]
    assert [f.id for f in procedure.applicant_fields] == CERTIFIED_COPY_FIELDS
    assert procedure.collected_documents == (), "no photo of the originals (often căn cước cards)"
    standard = {field_id: (field_type, label) for field_id, field_type, label in STANDARD_FIELDS}
    for field in procedure.applicant_fields[:2]:
        assert (field.type, field.label.vi) == standard[field.id]


def test_exactly_the_seven_procedures_with_an_official_form_have_one(procedures: list[Procedure]) -> None:
    catalog = load_catalog()
    assert {p.id: d.form for p in procedures for d in p.form_documents} == FORMS
    assert set(catalog.forms) == set(FORMS.values())
    assert {path.stem for path in FORMS_DIR.glob("*.yaml")} == set(FORMS.values())


@pytest.mark.parametrize("procedure_id", sorted(FORMS))
def test_a_form_is_asked_in_full_and_nothing_else_is_asked(procedure_id: str) -> None:
    """Every question goes on the form (or decides what goes on it), except the phone number the
    desk calls; and every value of the form is a question (checked when the catalog loads)."""
    catalog = load_catalog()
    procedure = catalog[procedure_id]
    used: set[str] = set()
    for document in procedure.form_documents:
        form = catalog.form(document)
        used |= {name for _, text in texts(form) for name, _ in placeholders(text)}
        used |= {condition.field for _, condition in conditions(form)}
    asked = {f.id for f in procedure.applicant_fields}
    assert asked - used <= {"phone"}


@pytest.mark.parametrize("procedure_id", sorted(IDS - set(FORMS)))
def test_at_most_ten_applicant_fields_without_a_form(procedures: list[Procedure], procedure_id: str) -> None:
    assert 4 <= len(_by_id(procedures)[procedure_id].applicant_fields) <= MAX_FIELDS_WITHOUT_FORM


@pytest.mark.parametrize("procedure_id", sorted(IDS))
def test_short_title_fits_a_button(procedures: list[Procedure], procedure_id: str) -> None:
    short_title = _by_id(procedures)[procedure_id].short_title
    assert short_title is not None
    assert len(short_title.vi) <= MAX_SHORT_TITLE
    assert short_title.en is not None and len(short_title.en) <= MAX_SHORT_TITLE


def test_same_day_procedures_are_exactly_the_five(procedures: list[Procedure]) -> None:
    same_day = {p.id for p in procedures if p.same_day}
    assert same_day == {
        "khai-sinh", "khai-tu", "trich-luc-ho-tich", "cap-ban-sao-tu-so-goc", "chung-thuc-ban-sao",
    }


def test_working_days(procedures: list[Procedure]) -> None:
    assert {p.id: p.processing.working_days for p in procedures} == WORKING_DAYS


def test_fields_of_the_office(procedures: list[Procedure]) -> None:
    names = {"ho-tich": "Hộ tịch", "chung-thuc": "Chứng thực", "nguoi-khuyet-tat": "Người khuyết tật"}
    for procedure in procedures:
        assert procedure.id in FIELDS[procedure.field.id]
        assert procedure.field.name.vi == names[procedure.field.id]


@pytest.mark.parametrize("procedure_id", sorted(IDS))
def test_required_keywords(procedures: list[Procedure], procedure_id: str) -> None:
    keywords = {_fold(k) for k in _by_id(procedures)[procedure_id].keywords}
    for keyword in REQUIRED_KEYWORDS[procedure_id]:
        assert _fold(keyword) in keywords


def test_no_keyword_is_shared_by_two_procedures(procedures: list[Procedure]) -> None:
    owner: dict[str, str] = {}
    for procedure in procedures:
        for keyword in procedure.keywords:
            folded = _fold(keyword)
            assert owner.setdefault(folded, procedure.id) == procedure.id, (
                f"'{keyword}' is a keyword of both {owner[folded]} and {procedure.id}"
            )


@pytest.mark.parametrize("procedure_id", sorted(IDS))
def test_every_text_has_english(procedures: list[Procedure], procedure_id: str) -> None:
    for where, text in _texts(_by_id(procedures)[procedure_id]):
        assert text.en, f"{procedure_id}: {where} has no English"


@pytest.mark.parametrize("procedure_id", sorted(IDS))
def test_documents_follow_conventions(procedures: list[Procedure], procedure_id: str) -> None:
    procedure = _by_id(procedures)[procedure_id]
    for document in procedure.documents:
        folded = _fold(document.name.vi)
        if document.collected:
            # never ask for a photo of an ID card (sensitive data under Nghị định 356/2025)
            assert "can cuoc" not in folded and "cccd" not in folded, document.id
        if document.mode is Mode.PRESENT:
            assert document.collect, "collect: false only makes sense for submitted documents"
    # the forms the bot fills itself are not uploaded
    for document in procedure.documents:
        if _fold(document.name.vi).startswith(("to khai", "don de nghi")):
            assert document.mode is Mode.SUBMIT and document.filled_by_bot and not document.collected, document.id


@pytest.mark.parametrize("procedure_id", sorted(IDS))
def test_questions_and_documents_are_told_apart(procedures: list[Procedure], procedure_id: str) -> None:
    """No field label or document name contains another, so a message quoting one is not read as another."""
    procedure = _by_id(procedures)[procedure_id]
    names = [f.label.vi for f in procedure.applicant_fields] + [d.name.vi for d in procedure.documents]
    for i, name in enumerate(names):
        for j, other in enumerate(names):
            assert i == j or name.lower() not in other.lower(), f"'{name}' is inside '{other}'"


def test_short_titles_are_distinct(procedures: list[Procedure]) -> None:
    short_titles = [p.short_title.vi for p in procedures if p.short_title]
    assert len(set(short_titles)) == len(short_titles) == len(procedures)


def test_choice_fields_and_numbers_are_usable(procedures: list[Procedure]) -> None:
    for procedure in procedures:
        for field in procedure.applicant_fields:
            if field.type is FieldType.CHOICE:
                values = [o.value for o in field.options]
                assert len(values) == len(set(values)), f"{procedure.id}.{field.id}"
            if field.type is FieldType.NUMBER:
                assert field.min is not None and field.max is not None and field.min <= field.max


def test_key_documents_and_fields(procedures: list[Procedure]) -> None:
    by_id = _by_id(procedures)
    khai_sinh = by_id["khai-sinh"]
    assert khai_sinh.document("giay_chung_sinh").requirement is Requirement.REQUIRED
    assert khai_sinh.document("giay_chung_sinh").collected
    assert khai_sinh.applicant_field("child_birth_date").not_future
    assert not khai_sinh.applicant_field("father_full_name").required

    ban_sao = by_id["chung-thuc-ban-sao"]
    assert ban_sao.document("ban_chinh").mode is Mode.PRESENT

    tu_choi = by_id["chung-thuc-tu-choi-di-san"]
    assert tu_choi.document("van_ban_tu_choi").requirement is Requirement.REQUIRED
    assert tu_choi.document("van_ban_tu_choi").filled_by_bot, "the assistant drafts the refusal itself"
    assert tu_choi.document("ban_sao_giay_chung_nhan_tai_san").requirement is Requirement.CONDITIONAL

    assert by_id["xac-nhan-khuyet-tat"].collected_documents == ()


def _vietnamese(procedure: Procedure) -> list[tuple[str, str]]:
    return [(where, text.vi) for where, text in _texts(procedure)]


@pytest.mark.parametrize("procedure_id", sorted(IDS))
def test_the_processing_note_does_not_repeat_the_figure(procedures: list[Procedure], procedure_id: str) -> None:
    processing = _by_id(procedures)[procedure_id].processing
    days = processing.working_days
    for note in (processing.note.vi, processing.note.en or "") if processing.note else ():
        assert not note[:1].isdigit() and not note.lower().startswith(("không quá", "at most")), note
        assert f"{days:02d} ngày làm việc" not in note and f"{days} working day" not in note, note


@pytest.mark.parametrize("procedure_id", sorted(IDS))
def test_conditions_read_as_a_clause(procedures: list[Procedure], procedure_id: str) -> None:
    """The templates print "(nếu …)" and "Chỉ gửi nếu …": a condition is one clause starting with "Nếu"."""
    for document in _by_id(procedures)[procedure_id].documents:
        if document.condition is not None:
            assert document.condition.vi.startswith("Nếu "), document.id
            assert (document.condition.en or "").startswith("If "), document.id
    assert not _by_id(procedures)[procedure_id].fee.vi.startswith(("Phí:", "Lệ phí:"))


@pytest.mark.parametrize("procedure_id", sorted(IDS))
def test_wording_is_one_and_current(procedures: list[Procedure], procedure_id: str) -> None:
    """"Bộ phận Một cửa" one way; "trợ lý", never "bot", in Vietnamese; no CMND (invalid since
    1/1/2025); no district or "thị trấn" in what citizens are told to write (none since 1/7/2025)."""
    for where, text in _vietnamese(_by_id(procedures)[procedure_id]):
        lowered = text.lower()
        assert "bộ phận một cửa" not in text, where
        assert not re.search(r"\bbot\b", lowered), where
        assert "chứng minh nhân dân" not in lowered and "cmnd" not in lowered, where
        if where.endswith("help") or ".help" in where:
            assert "thị trấn" not in lowered and "huyện" not in lowered, where


@pytest.mark.parametrize("procedure_id", sorted(IDS))
def test_id_papers_include_the_electronic_and_certificate_forms(procedures: list[Procedure],
                                                                procedure_id: str) -> None:
    for document in _by_id(procedures)[procedure_id].documents:
        if document.id.startswith("giay_to_tuy_than") and document.note is not None:
            note = document.note.vi.lower()
            assert "căn cước điện tử" in note and "vneid" in note, document.id
            if procedure_id != "xac-nhan-khuyet-tat":
                assert "giấy chứng nhận căn cước" in note, document.id


def test_old_certificates_are_handed_in_not_only_shown(procedures: list[Procedure]) -> None:
    by_id = _by_id(procedures)
    for procedure_id, document_id in (("xac-nhan-khuyet-tat", "giay_xac_nhan_cu"),
                                      ("xac-nhan-tinh-trang-hon-nhan", "giay_xac_nhan_da_cap")):
        document = by_id[procedure_id].document(document_id)
        assert document.mode is Mode.SUBMIT and not document.collect and not document.collected


def test_the_marital_status_example_is_not_a_marriage_in_vietnam(procedures: list[Procedure]) -> None:
    procedure = _by_id(procedures)["xac-nhan-tinh-trang-hon-nhan"]
    examples = [procedure.summary.vi if procedure.summary else "", procedure.applicant_field("purpose").help.vi
                if procedure.applicant_field("purpose").help else ""]
    assert all("đăng ký kết hôn" not in text for text in examples), examples


@pytest.mark.parametrize(("procedure_id", "field_id", "own"), [
    ("xac-nhan-khuyet-tat", "relationship", "ban_than"),
    ("trich-luc-ho-tich", "relationship", "ban_than"),
    ("xac-nhan-tinh-trang-hon-nhan", "for_whom", "ban_than"),
])
def test_relatives_applying_for_someone_are_told_what_they_need(procedures: list[Procedure], procedure_id: str,
                                                                field_id: str, own: str) -> None:
    field = _by_id(procedures)[procedure_id].applicant_field(field_id)
    for option in field.options:
        assert (option.note is None) is (option.value == own), option.value
        if option.note is not None:
            assert "ủy quyền" in option.note.vi or "đại diện hợp pháp" in option.note.vi


@pytest.mark.parametrize("procedure_id", sorted(IDS))
def test_the_consent_names_data_as_nouns(procedures: list[Procedure], procedure_id: str) -> None:
    for field in _by_id(procedures)[procedure_id].applicant_fields:
        assert not (field.noun or field.label).vi.endswith("?"), field.id


# --- malformed files ------------------------------------------------------------------------


def _copy_with(tmp_path: Path, procedure_id: str, change: Callable[[dict[str, Any]], str | None],
               file_name: str | None = None) -> str | None:
    """Copy one procedure file into tmp_path after `change`; return what `change` returns."""
    raw = yaml.safe_load((PROCEDURES_DIR / f"{procedure_id}.yaml").read_text(encoding="utf-8"))
    result = change(raw)
    path = tmp_path / (file_name or f"{procedure_id}.yaml")
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return result


def _conditional_without_condition(raw: dict[str, Any]) -> str:
    index = next(i for i, d in enumerate(raw["documents"]) if d.get("requirement") == "conditional")
    del raw["documents"][index]["condition"]
    return f"documents.{index}"


def _unknown_key(raw: dict[str, Any]) -> str:
    raw["applicant_fields"][4]["colour"] = "red"
    return "applicant_fields.4.colour"


def _wrong_type(raw: dict[str, Any]) -> str:
    raw["processing"]["working_days"] = "soon"
    return "processing.working_days"


def _choice_without_options(raw: dict[str, Any]) -> str:
    index = next(i for i, f in enumerate(raw["applicant_fields"]) if f["type"] == "name" and i >= 4)
    raw["applicant_fields"][index]["type"] = "choice"
    return f"applicant_fields.{index}"


def _missing_vietnamese(raw: dict[str, Any]) -> str:
    del raw["fee"]["vi"]
    return "fee.vi"


def _bad_slug(raw: dict[str, Any]) -> str:
    raw["documents"][0]["id"] = "Tờ khai"
    return "documents.0.id"


@pytest.mark.parametrize(
    "change",
    [_conditional_without_condition, _unknown_key, _wrong_type, _choice_without_options,
     _missing_vietnamese, _bad_slug],
    ids=["conditional-without-condition", "unknown-key", "wrong-type", "choice-without-options",
         "missing-vietnamese", "bad-slug"],
)
def test_malformed_file_names_file_and_field(tmp_path: Path, change: Callable[[dict[str, Any]], str]) -> None:
    shutil.copy(PROCEDURES_DIR / "ket-hon.yaml", tmp_path)  # a valid neighbour, loaded first
    field_path = _copy_with(tmp_path, "khai-sinh", change)
    with pytest.raises(CatalogError) as error:
        load_catalog(tmp_path)
    message = str(error.value)
    assert "khai-sinh.yaml" in message
    assert f"field '{field_path}'" in message


def test_id_must_match_file_name(tmp_path: Path) -> None:
    _copy_with(tmp_path, "khai-tu", lambda raw: None, file_name="bao-tu.yaml")
    with pytest.raises(CatalogError) as error:
        load_catalog(tmp_path)
    message = str(error.value)
    assert "bao-tu.yaml" in message
    assert "'id'" in message


def test_empty_directory_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(CatalogError):
        load_catalog(tmp_path)


def test_file_that_is_not_a_mapping_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "khai-sinh.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(CatalogError) as error:
        load_catalog(tmp_path)
    assert "khai-sinh.yaml" in str(error.value)


def test_copied_catalog_loads_unchanged(tmp_path: Path) -> None:
    for path in PROCEDURES_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path)
    assert {p.id for p in load_catalog(tmp_path)} == IDS


# --- malformed form files and references ------------------------------------------------------


def _copy_form(tmp_path: Path, form_id: str, change: Callable[[dict[str, Any]], None]) -> Path:
    """All procedure files, and a forms directory in which one form file was changed."""
    procedures, forms = tmp_path / "procedures", tmp_path / "forms"
    shutil.copytree(PROCEDURES_DIR, procedures)
    shutil.copytree(FORMS_DIR, forms, ignore=shutil.ignore_patterns("fonts"))
    raw = yaml.safe_load((forms / f"{form_id}.yaml").read_text(encoding="utf-8"))
    change(raw)
    (forms / f"{form_id}.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return procedures


@pytest.mark.parametrize(("change", "expected"), [
    (lambda raw: raw["body"][0].update(value="{ten_tre}"), "field 'body.0.value': '{ten_tre}' is not a question"),
    (lambda raw: raw["body"][0].update(value="{full_name|shout}"), "field 'body.0.line.value'"),
    (lambda raw: raw["body"][0].update(value="{full_name|words}"), "the filter 'words' needs a date"),
    (lambda raw: raw.update(title="TỜ KHAI 😀"), "field 'title': the form font cannot draw 😀"),
    (lambda raw: raw["body"][0].update(line="Họ tên 中文"), "field 'body.0.line': the form font cannot draw 中 文"),
    (lambda raw: raw["body"].append({"colour": "red"}), "field 'body.25'"),
    (lambda raw: raw["body"][23]["boxes"][0].update(ticked={"field": "copies", "one_of": ["0"],
                                                            "answered": True}), "exactly one of"),
    (lambda raw: raw["body"][4].update(when={"field": "relationship", "one_of": ["chu"]}),
     "field 'body.4.when': chu is not an option of 'relationship'"),
    (lambda raw: raw.pop("signature"), "field 'signature'"),
], ids=["unknown-answer", "unknown-filter", "filter-on-a-name", "emoji", "other-script", "unknown-block",
        "two-tests", "unknown-option", "no-signature"])
def test_a_malformed_form_file_stops_loading_naming_file_and_field(tmp_path: Path,
                                                                   change: Callable[[dict[str, Any]], None],
                                                                   expected: str) -> None:
    procedures = _copy_form(tmp_path, "to-khai-dang-ky-khai-sinh", change)
    with pytest.raises(CatalogError) as error:
        load_catalog(procedures, tmp_path / "forms")
    message = str(error.value)
    assert "to-khai-dang-ky-khai-sinh.yaml" in message and expected in message, message


def test_a_missing_form_file_names_the_procedure_file_and_field(tmp_path: Path) -> None:
    procedures = _copy_form(tmp_path, "to-khai-dang-ky-khai-tu", lambda raw: None)
    (tmp_path / "forms" / "to-khai-dang-ky-khai-tu.yaml").unlink()
    with pytest.raises(CatalogError) as error:
        load_catalog(procedures, tmp_path / "forms")
    assert "khai-tu.yaml: field 'documents.0.form': no form file" in str(error.value)


def test_an_option_label_the_font_cannot_draw_is_refused_when_a_form_prints_it(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["applicant_fields"][4]["options"][0]["label"]["vi"] = "Cha ★"

    shutil.copy(PROCEDURES_DIR / "ket-hon.yaml", tmp_path)
    _copy_with(tmp_path, "khai-sinh", change)
    with pytest.raises(CatalogError) as error:
        load_catalog(tmp_path)
    assert "to-khai-dang-ky-khai-sinh.yaml: field 'khai-sinh.relationship.options.0'" in str(error.value)
    assert "★" in str(error.value)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda raw: raw["applicant_fields"][14]["same_as"].update(field="father_ethnicity"),
     "applicant_fields.14.same_as: 'father_ethnicity' must be an earlier question of the same type"),
    (lambda raw: raw["applicant_fields"][14]["same_as"].update(field="cccd"),
     "applicant_fields.14.same_as: 'cccd' must be an earlier question of the same type"),
    (lambda raw: raw["applicant_fields"][19].update(ask_if={"field": "copies", "answered": True}),
     "applicant_fields.19.ask_if: 'copies' is not an earlier question"),
    (lambda raw: raw["applicant_fields"][12]["same_as"]["when"].update(one_of=["chu"]),
     "applicant_fields.12.same_as.when: chu is not an option of 'relationship'"),
    (lambda raw: raw["applicant_fields"][0].update(suggest=["Kinh"]), "'suggest' is only for fields of type 'text'"),
], ids=["same-as-later", "same-as-other-type", "ask-if-later", "unknown-option", "suggest-on-a-name"])
def test_a_wrong_reference_between_questions_names_file_and_field(tmp_path: Path,
                                                                  change: Callable[[dict[str, Any]], None],
                                                                  expected: str) -> None:
    _copy_with(tmp_path, "khai-sinh", change)
    with pytest.raises(CatalogError) as error:
        load_catalog(tmp_path)
    assert "khai-sinh.yaml" in str(error.value) and expected in str(error.value), str(error.value)
