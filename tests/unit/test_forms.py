"""Filling and drawing the forms, without the bot: the values a form prints (computed, never
asked), the conditions of its lines, and the DOCX and PDF drawn from one filled form."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from docx import Document as open_docx
from pypdf import PdfReader

from bot.cases.supplement import answers_after_supplement
from bot.forms.docx import EMPTY, TICKED, render_docx
from bot.forms.pdf import render_pdf
from dialogs import glyphs
from dialogs.catalog import load_catalog
from dialogs.formfill import (
    Boxes,
    FilledForm,
    Grid,
    Line,
    Text,
    date_in_words,
    fill,
    number_in_words,
)
from dialogs.model import DialogState
from locales import get_translator

CATALOG = load_catalog()
OFFICE = "UBND xã Tây Đằng"
LONG = ("Xóm Đồng Sổ, đường liên thôn số 4, gần nhà văn hóa, xã Tây Đằng, thành phố Hà Nội; "
        "nếu không gặp, hỏi nhà ông Nguyễn Văn Phúc ở đầu ngõ, cạnh cây đa cổ thụ bên bờ ao làng") * 2


def filled(procedure_id: str, answers: dict[str, str]) -> FilledForm:
    procedure = CATALOG[procedure_id]
    return fill(CATALOG.form(procedure.form_documents[0]), procedure, answers, OFFICE)


def lines(form: FilledForm) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for block in form.blocks:
        if isinstance(block, Line):
            found.setdefault(block.label, []).append(block.value)
    return found


@pytest.mark.parametrize(("number", "words"), [
    (0, "không"), (1, "một"), (5, "năm"), (10, "mười"), (11, "mười một"), (15, "mười lăm"), (21, "hai mươi mốt"),
    (24, "hai mươi tư"), (25, "hai mươi lăm"), (30, "ba mươi"), (105, "một trăm linh năm"),
    (1990, "một nghìn chín trăm chín mươi"), (2000, "hai nghìn"), (2005, "hai nghìn không trăm linh năm"),
    (2015, "hai nghìn không trăm mười lăm"), (2026, "hai nghìn không trăm hai mươi sáu"),
])
def test_numbers_are_written_in_vietnamese_words(number: int, words: str) -> None:
    assert number_in_words(number) == words


def test_a_date_in_words_as_a_birth_certificate_writes_it() -> None:
    assert date_in_words(date(2026, 4, 21)) == "Ngày hai mươi mốt tháng tư năm hai nghìn không trăm hai mươi sáu"
    assert date_in_words(date(1990, 2, 1)) == "Ngày một tháng hai năm một nghìn chín trăm chín mươi"


def test_values_are_computed_from_the_answers_never_asked() -> None:
    form = filled("khai-sinh", {"full_name": "Nguyễn Thị Bình", "cccd": "001190012345", "relationship": "me",
                                "child_birth_date": "2026-04-21", "child_sex": "nu", "copies": "2"})
    found = lines(form)
    assert found["Ngày, tháng, năm sinh"] == ["21/04/2026"]
    assert found["Ghi bằng chữ"] == ["Ngày hai mươi mốt tháng tư năm hai nghìn không trăm hai mươi sáu"]
    assert found["Giới tính"] == ["Nữ"] and found["Quan hệ với người được khai sinh"] == ["Mẹ"]
    assert found["Giấy tờ tùy thân"] == ["Số định danh cá nhân 001190012345"]
    assert found["Số lượng bản sao"] == ["2 bản"]
    assert Boxes("Đề nghị cấp bản sao:", (("Có", True), ("Không", False))) in form.blocks
    assert form.addressee == f"Kính gửi: {OFFICE}"


def test_a_missing_answer_leaves_the_whole_value_blank_for_the_desk() -> None:
    form = filled("khai-sinh", {"full_name": "Nguyễn Thị Bình", "copies": "0"})
    found = lines(form)
    assert found["Giấy tờ tùy thân"] == [""], "never half a value ('Số định danh cá nhân ')"
    assert found["Họ, chữ đệm, tên người cha"] == [""] and "Số lượng bản sao" not in found
    assert Boxes("Đề nghị cấp bản sao:", (("Có", False), ("Không", True))) in form.blocks


def test_answers_to_questions_that_do_not_apply_are_not_printed() -> None:
    procedure = CATALOG["xac-nhan-khuyet-tat"]
    answers = {"full_name": "Ngô Thị Mận", "cccd": "001190012345", "relationship": "ban_than",
               "disabled_person_name": "Ngô Đức Lợi", "request_type": "cap_doi"}
    form = fill(CATALOG.form(procedure.form_documents[0]), procedure, answers, OFFICE)
    assert "Ngô Đức Lợi" not in form.values(), "a name given before the citizen changed their answer"
    assert lines(form)["Họ và tên"] == ["Ngô Thị Mận", ""], "section I is the applicant, section II blank"
    assert not any(isinstance(b, Line) and b.label == "Dạng khuyết tật" for b in form.blocks), "no part III"
    ticked = next(b for b in form.blocks if isinstance(b, Boxes))
    assert [label for label, on in ticked.boxes if on] == ["Cấp đổi Giấy xác nhận khuyết tật"]


@pytest.mark.parametrize(("side", "bride", "groom"), [("nu", "Phạm Thị Hương", "Lê Minh Đức"),
                                                      ("nam", "Lê Minh Đức", "Phạm Thị Hương")])
def test_the_marriage_form_puts_each_party_in_their_column(side: str, bride: str, groom: str) -> None:
    form = filled("ket-hon", {"full_name": "Phạm Thị Hương", "applicant_side": side,
                              "partner_full_name": "Lê Minh Đức"})
    grid = next(b for b in form.blocks if isinstance(b, Grid))
    assert grid.columns == ("Bên nữ", "Bên nam")
    assert grid.rows[0] == ("Họ, chữ đệm, tên", (bride, groom))
    assert [(s.caption, s.name) for s in form.signers] == [("Bên nữ", bride), ("Bên nam", groom)]


def test_a_choice_prints_its_form_wording_and_lower_case_inside_a_sentence() -> None:
    trich_luc = lines(filled("trich-luc-ho-tich", {"relationship": "con"}))
    assert trich_luc["Quan hệ với người được cấp bản sao trích lục hộ tịch"] == ["Cha hoặc mẹ"]
    refusal = filled("chung-thuc-tu-choi-di-san", {"inheritance_basis": "theo_di_chuc",
                                                   "deceased_full_name": "Đặng Văn Thịnh"})
    statement = next(b.text for b in refusal.blocks if isinstance(b, Text) and "từ chối nhận toàn bộ" in b.text)
    assert "mà tôi được hưởng theo di chúc của người để lại di sản là Đặng Văn Thịnh" in statement


def test_the_font_draws_vietnamese_and_refuses_what_it_cannot() -> None:
    assert glyphs.missing("Nguyễn Thị Ánh Dương, Đắk Lắk, Kỳ Sơn, Ỷ Lan — “ngày … tháng …”") == []
    assert glyphs.missing("Nhà 😀 số 5 中文 😀") == ["😀", "中", "文"]


# ----- the two files -----------------------------------------------------------------------------


def _khai_sinh() -> FilledForm:
    return filled("khai-sinh", {"full_name": "Nguyễn Thị Huyền Trang", "cccd": "001196012345",
                                "relationship": "me", "address": LONG, "child_full_name": "Trần Ngọc Ánh Dương",
                                "child_birth_date": "2026-04-21", "child_sex": "nu", "copies": "1"})


def _pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages).split())


def test_the_pdf_is_a4_with_the_font_embedded_and_every_letter_intact() -> None:
    content = render_pdf(_khai_sinh())
    reader = PdfReader(BytesIO(content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    fonts = [f for page in reader.pages for f in page["/Resources"]["/Font"].values()]
    assert all("/FontFile2" in font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
               for font in fonts), "every font is embedded"
    text = _pdf_text(content)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc" in text
    assert "TỜ KHAI ĐĂNG KÝ KHAI SINH" in text and "Họ, chữ đệm, tên: Trần Ngọc Ánh Dương" in text
    assert f"Nơi cư trú: {' '.join(LONG.split())}" in text, "a long value wraps onto more lines, nothing is cut"
    assert "ngày …… tháng …… năm" in text and "Người yêu cầu" in text
    assert render_pdf(_khai_sinh()) == content, "the same answers give the same file (stored once)"


def test_the_docx_is_a4_in_a_times_serif_with_the_same_content() -> None:
    form = _khai_sinh()
    document = open_docx(BytesIO(render_docx(form)))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert document.styles["Normal"].font.name == "Times New Roman"
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[1:3] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert form.title in paragraphs and f"Nơi cư trú: {LONG}" in paragraphs
    assert f"Đề nghị cấp bản sao:  {TICKED} Có     {EMPTY} Không" in paragraphs
    blank = next(p for p in document.paragraphs if p.text == "Quốc tịch: \t")
    assert blank.paragraph_format.tab_stops[0].leader is not None, "a blank is a dotted line to write on"
    signature = document.tables[-1]
    assert "Nguyễn Thị Huyền Trang" in signature.cell(0, 1).text
    pdf = _pdf_text(render_pdf(form))
    for value in form.values():
        assert " ".join(value.split()) in pdf


# ----- a supplement that corrects an answer ---------------------------------------------------------


def test_a_supplement_item_naming_a_question_corrects_its_answer() -> None:
    procedure = CATALOG["khai-sinh"]
    state = DialogState(dialog_id=1, step="supplement:1", procedure_id="khai-sinh", case_id=7,
                        items=["Ảnh Giấy chứng sinh rõ hơn", "Quê quán của trẻ", "Ngày sinh của trẻ"],
                        answers={"1": "xã Cổ Đô, thành phố Hà Nội", "2": "2026-04-20"})
    before = {"child_home_town": "xã Cổ Đô", "child_birth_date": "2026-04-21"}
    after, corrected = answers_after_supplement(before, state, procedure, get_translator("vi"))
    assert corrected
    assert after["child_home_town"] == "xã Cổ Đô, thành phố Hà Nội" and after["child_birth_date"] == "2026-04-20"
    assert after["supplements"] == ["Quê quán của trẻ: xã Cổ Đô, thành phố Hà Nội", "Ngày sinh của trẻ: 20/04/2026"]
    _, corrected = answers_after_supplement(after, state, procedure, get_translator("vi"))
    assert not corrected, "the same answers again do not make the form again"
