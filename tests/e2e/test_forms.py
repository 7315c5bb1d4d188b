""""Ngày không viết": for each of the seven forms, a citizen files a case through the real bot
(fake Bot API), and the case's DOCX and PDF carry every answer in its place, with its diacritics.
A PNG of each PDF's first page is left in test-artifacts/ for a person to look at."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pypdfium2
import pytest
from docx import Document as open_docx
from docx.table import Table
from pypdf import PdfReader

from bot.forms.maker import DOCX, PDF
from dialogs.formfill import FilledForm, Grid, Line, fill
from tests.conftest import RunningBot
from tests.support.people import Citizen
from tests.support.walk import CATALOG, file_case, query

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
OFFICE = "UBND thị trấn Tây Đằng"

ANSWERS: dict[str, dict[str, str]] = {
    "khai-sinh": {
        "full_name": "nguyễn thị huyền trang", "relationship": "Mẹ", "child_full_name": "trần ngọc ánh dương",
        "child_birth_date": "21/4/2026", "child_sex": "Nữ", "child_ethnicity": "Mường", "child_nationality": "Việt Nam",
        "child_birth_place": "Bệnh viện đa khoa Ba Vì, xã Tây Đằng, thành phố Hà Nội",
        "child_home_town": "xã Cổ Đô, thành phố Hà Nội", "mother_full_name": "nguyễn thị huyền trang",
        "mother_birth_year": "1996", "mother_ethnicity": "Mường", "mother_nationality": "Việt Nam",
        "mother_residence": "Xóm Đồng Sổ, xã Tây Đằng",
        "father_full_name": "trần quốc việt", "father_birth_year": "1993", "father_ethnicity": "Kinh",
        "father_nationality": "Việt Nam", "father_residence": "Xóm Đồng Sổ, xã Tây Đằng", "copies": "2",
    },
    "khai-tu": {
        "full_name": "đỗ văn hùng", "relationship": "Con", "deceased_full_name": "đỗ thị lựu",
        "deceased_birth_date": "3/9/1941", "deceased_sex": "Nữ", "deceased_ethnicity": "Kinh",
        "deceased_nationality": "Việt Nam", "deceased_residence": "Thôn Phú Thứ, xã Tây Đằng",
        "death_date": "28/11/2026", "death_time": "5 giờ 15 phút", "death_place": "Tại nhà, thôn Phú Thứ",
        "death_cause": "Tuổi già", "death_notice": "Số 118, ngày 28/11/2026, Trạm y tế xã Tây Đằng",
    },
    "ket-hon": {
        "full_name": "lê minh đức", "applicant_side": "Bên nam", "applicant_birth_date": "12/10/1994",
        "applicant_ethnicity": "Kinh", "applicant_nationality": "Việt Nam", "partner_full_name": "phạm thị thu hương",
        "partner_birth_date": "5/6/1997", "partner_ethnicity": "Tày", "partner_nationality": "Việt Nam",
        "partner_address": "Tổ dân phố Tân Phong, phường Sơn Tây, thành phố Hà Nội", "partner_cccd": "001197012346",
    },
    "trich-luc-ho-tich": {
        "full_name": "vũ thị hạnh", "relationship": "Của con tôi", "record_person_name": "hoàng gia bảo",
        "record_person_birth_date": "14/2/2015", "record_person_sex": "Nam", "record_type": "Giấy khai sinh",
        "registration_details": "UBND xã Tây Đằng, năm 2015, số 37, quyển 01", "copies": "3",
    },
    "xac-nhan-tinh-trang-hon-nhan": {
        "full_name": "bùi thị ngọc lan", "for_whom": "Cho người khác (theo ủy quyền)",
        "subject_full_name": "bùi đức thịnh", "subject_cccd": "001095012347", "subject_address": "Xóm Mới, xã Tây Đằng",
        "subject_relationship": "Chị gái, được ủy quyền", "birth_date": "9/9/1995", "sex": "Nam",
        "ethnicity": "Kinh", "nationality": "Việt Nam",
        "residence_period": "Từ tháng 5/2015 đến nay", "marital_status": "Đã ly hôn (hoặc hủy việc kết hôn)",
        "previous_marriage_details": "Tòa án nhân dân khu vực, số 12/2023/QĐST-HNGĐ, ngày 05/3/2023",
        "purpose": "Để làm thủ tục vay vốn ngân hàng", "copies": "2",
    },
    "xac-nhan-khuyet-tat": {
        "full_name": "ngô thị mận", "request_type": "Cấp lại giấy (giấy bị mất)", "relationship": "Cha hoặc mẹ",
        "disabled_person_name": "ngô đức lợi", "disabled_person_cccd": "001208012348",
        "disabled_person_birth_date": "20/7/2008", "disabled_person_sex": "Nam",
        "disabled_permanent_residence": "Thôn Bằng Y, xã Tây Đằng", "disabled_current_address": "Thôn Bằng Y, xã Tây Đằng",
        "representative_current_address": "Thôn Bằng Y, xã Tây Đằng",
    },
    "chung-thuc-tu-choi-di-san": {
        "full_name": "đặng văn khởi", "applicant_birth_date": "2/3/1970", "deceased_full_name": "đặng văn thịnh",
        "deceased_death_date": "15/8/2026", "death_certificate": "Trích lục khai tử số 52/TLKT, cấp ngày 20/8/2026",
        "relationship_to_deceased": "Con", "inheritance_basis": "Theo pháp luật",
        "estate_description": ("Quyền sử dụng thửa đất số 215, tờ bản đồ số 7, diện tích 312 m², tại thôn Phú Thứ, "
                               "xã Tây Đằng, thành phố Hà Nội, cùng toàn bộ tài sản gắn liền với đất"),
    },
}


def _normal(text: str) -> str:
    return " ".join(text.split())


def docx_text(content: bytes) -> str:
    """The document's text in reading order: paragraphs, and table cells row by row."""
    parts: list[str] = []
    for block in open_docx(BytesIO(content)).iter_inner_content():
        if isinstance(block, Table):
            parts += [cell.text for row in block.rows for cell in row.cells]
        else:
            parts.append(block.text)
    return _normal(" ".join(parts))


def pdf_text(content: bytes) -> str:
    return _normal(" ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages))


def assert_in_place(text: str, form: FilledForm) -> None:
    """Each answer right after its label, in the official order; each table value after its row."""
    position = 0
    for block in form.blocks:
        wanted: list[str] = []
        if isinstance(block, Line) and block.value:
            wanted = [f"{block.label}: {block.value}"]
        elif isinstance(block, Grid):
            wanted = [part for label, cells in block.rows for part in (label, *cells) if part]
        for part in wanted:
            found = text.find(_normal(part), position)
            assert found >= 0, f"'{part}' not found in its place after:\n{text[max(0, position - 200):position]}"
            position = found + len(_normal(part))
    for signer in form.signers:
        assert signer.name in text[position:], signer.name


@pytest.mark.parametrize("procedure_id", sorted(ANSWERS))
def test_the_filled_form_carries_every_answer_in_its_place(bot: RunningBot, citizen: Citizen,
                                                           procedure_id: str) -> None:
    procedure = CATALOG[procedure_id]
    (document,) = procedure.form_documents
    receipt = file_case(citizen, procedure, ANSWERS[procedure_id])
    (case,) = query(bot.database_url, "SELECT * FROM cases WHERE chat_id = :chat", chat=citizen.chat_id)
    assert case["code"] in receipt.text
    rows = query(bot.database_url, "SELECT * FROM case_documents WHERE case_id = :id AND document_id = :doc "
                                   "ORDER BY position", id=case["id"], doc=document.id)
    assert [row["mime_type"] for row in rows] == [PDF, DOCX]
    pdf, docx = ((bot.data_dir / "files" / row["sha256"][:2] / row["sha256"]).read_bytes() for row in rows)
    data = case["applicant_data"] if isinstance(case["applicant_data"], dict) else json.loads(case["applicant_data"])
    expected = fill(CATALOG.form(document), procedure, data, OFFICE)

    for text in (pdf_text(pdf), docx_text(docx)):
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
        assert expected.title in text and f"Kính gửi: {OFFICE}" in text
        assert "ngày …… tháng …… năm" in text
        assert_in_place(text, expected)
        for field_id, typed in ANSWERS[procedure_id].items():
            field = procedure.applicant_field(field_id)
            if field.type.value in ("name", "text", "address"):
                assert _normal(typed.title() if field.type.value == "name" else typed) in text, field_id

    citizen_pdfs = [m for m in citizen.messages if m.document_file_id]
    assert len(citizen_pdfs) == 2, "the PDF with the summary, and again with the receipt"
    sent = [r for r in bot.fake.requests if r.method == "sendDocument" and r.params.get("chat_id") == citizen.chat_id]
    assert all(r.files for r in sent), "the filled form is uploaded as a file"

    ARTIFACTS.mkdir(exist_ok=True)
    page = pypdfium2.PdfDocument(pdf)[0]
    page.render(scale=1.5).to_pil().save(ARTIFACTS / f"form-{document.form}.png")



def test_officers_get_the_forms_and_a_correction_makes_them_again(make_database_url: Callable[[], str],
                                                                   tmp_path: Path) -> None:
    """The new-case card comes with the DOCX and the PDF; an officer asks to correct "Nơi mất", the
    citizen types it, and the form is made again for the officers, the citizen and `cases form`."""
    from tests.support.office import HO_TICH_OFFICER, running_office

    with running_office(make_database_url, tmp_path / "office") as office:
        citizen, officer = office.person(30_001), office.person(HO_TICH_OFFICER)
        receipt = file_case(citizen, CATALOG["khai-tu"], ANSWERS["khai-tu"])
        code = next(word for word in receipt.text.split() if word.startswith("HS-"))
        office.fake.wait_until(lambda: any(code in (m.text or "") and m.buttons for m in officer.messages),
                               message=office.fake.transcript(HO_TICH_OFFICER))
        uploads = [r for r in office.fake.requests
                   if r.method == "sendDocument" and r.params.get("chat_id") == HO_TICH_OFFICER]
        assert len(uploads) == 2 and all(r.files for r in uploads), "the DOCX and the PDF of the new case"
        card = next(m for m in reversed(officer.messages) if code in (m.text or "") and m.buttons)
        officer.press(card.callback_data("Yêu cầu bổ sung"), card.message_id)
        officer.send("Nơi mất", expect=2)
        office.fake.wait_until(lambda: any("Gửi bổ sung" in label for m in citizen.messages
                                           for label in m.button_labels()), message=office.fake.transcript(30_001))
        citizen.tap("Gửi bổ sung")
        citizen.send("Bệnh viện đa khoa Ba Vì, xã Tây Đằng")
        citizen.tap("Xong", expect=2)
        assert citizen.messages[-2].document_file_id, "the citizen gets the form made again"
        office.fake.wait_until(lambda: len([r for r in office.fake.requests if r.method == "sendDocument"
                                            and r.params.get("chat_id") == HO_TICH_OFFICER]) == 4,
                               message=office.fake.transcript(HO_TICH_OFFICER))
        target = tmp_path / "in-lai.pdf"
        printed = office.cli("cases", "form", code, "--format", "pdf", "--output", str(target))
        assert printed.returncode == 0, printed.stderr
        assert "Nơi chết: Bệnh viện đa khoa Ba Vì, xã Tây Đằng" in pdf_text(target.read_bytes())
        office.fake.assert_no_violations()
