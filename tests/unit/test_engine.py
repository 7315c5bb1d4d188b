"""The dialog engine on its own: every step of an application, in Vietnamese, with no bot,
channel, database or clock.

`DialogEngine.step(state, input, context)` is pure, so each test drives a `Chat` that keeps the
state the engine returned, taps buttons by the label a citizen reads (decoding the payload the
channel would send back) and types text. Assertions are on what the citizen sees, the state
that would be saved and the effects the handler carries out. These are the unit versions of
`tests/e2e/test_apply.py`.
"""

from __future__ import annotations

import re

import pytest

from dialogs.answers import parse_answer
from dialogs.catalog import (
    Catalog,
    FieldType,
    FileKind,
    Procedure,
)
from dialogs.engine import DialogEngine
from dialogs.model import (
    ConsentGiven,
    DialogState,
    Discard,
    IncomingFile,
    StoredFile,
    SubmitCase,
    SubmitSupplement,
)
from dialogs.output import Expect, Reply, Rich
from dialogs.prompts import clause
from dialogs.prompts import label as shorten
from dialogs.supplement import MAX_TYPED
from dialogs.steps import (
    CHOOSE,
    CONSENT,
    DOC_PREFIX,
    FIELD_PREFIX,
    REQUIREMENTS,
    SUMMARY,
    Place,
    StepPress,
    procedure_steps,
)
from dialogs.validators import InvalidAnswer
from tests.support.engine_chat import (
    CATALOG,
    ENGINE,
    HOME,
    KHAI_SINH,
    MB,
    NOW,
    OFFICE_ADDRESS,
    VI,
    Chat,
    answer,
    decode,
    document,
    labels,
    list_label,
    photo,
    shown_answer,
    stored_answer,
    text,
    typed_answer,
    vi,
    vi_plural,
    walk_to,
    warning,
)

# ----- 1. every procedure, from the menu to the case --------------------------------------------


def _counter(question: Reply) -> tuple[int, int]:
    """The "Bước 3/12" of a question, as numbers."""
    match = re.search(r"Bước (\d+)/(\d+)", text(question))
    assert match, text(question)
    return int(match.group(1)), int(match.group(2))



@pytest.mark.parametrize("procedure", list(CATALOG), ids=lambda p: p.id)
def test_every_procedure_is_filed_from_the_menu_to_submit_case(procedure: Procedure) -> None:
    chat = Chat()
    listing = chat.navigate(Place.APPLY)
    assert chat.state is not None and chat.state.step == CHOOSE
    assert all(p.title.vi in text(listing) for p in CATALOG)
    assert listing.expects is Expect.CHOICE

    requirements = chat.tap_reply(list_label(CATALOG, procedure))
    assert chat.state.step == REQUIREMENTS and chat.state.procedure_id == procedure.id
    shown = text(requirements)
    assert procedure.title.vi in shown
    for required_document in procedure.documents:
        assert required_document.name.vi in shown
    assert vi("Fee:") in shown and procedure.fee.vi in shown
    assert vi("Processing time:") in shown

    consent = chat.tap_reply(vi("✅ Start the application"))
    assert chat.state.step == CONSENT and chat.result.effect is None
    assert "UBND thị trấn Tây Đằng" in text(consent) and procedure.title.vi in text(consent)
    assert all(clause((f.noun or f.label).vi) in text(consent) for f in procedure.applicant_fields)
    assert text(consent).count("?") == 1, "what is collected is named, not asked: the one question is the consent"
    assert OFFICE_ADDRESS in text(consent), "the notice says where to ask about one's data"

    question = chat.tap_reply(vi("✅ I agree"))
    assert isinstance(chat.result.effect, ConsentGiven)
    assert chat.state.consent_at == NOW

    fields = procedure.asked_fields({f.id: stored_answer(f) for f in procedure.applicant_fields})
    documents = procedure.collected_documents
    counters: list[tuple[int, int]] = []
    for field in fields:
        assert chat.state.step == FIELD_PREFIX + field.id
        counters.append(_counter(question))
        assert field.label.vi in text(question)
        assert question.expects is (Expect.CHOICE if field.type is FieldType.CHOICE else Expect.TEXT)
        assert (vi("⏭ Skip") in labels(question)) is not field.required
        question = answer(chat, field)
        assert "⚠️" not in text(question), text(question)
        assert chat.state.answers[field.id] == stored_answer(field)

    for wanted in documents:
        assert chat.state.step == DOC_PREFIX + wanted.id
        counters.append(_counter(question))
        assert wanted.name.vi in text(question)
        assert question.expects is Expect.FILES
        if wanted.skippable:
            question = chat.tap_reply(vi("⏭ Skip"))
            continue
        received = chat.files(photo())
        assert text(received) == vi_plural("✅ Received {n} page of “{document}”. Send more pages, or press “Done”.",
                                           "✅ Received {n} pages of “{document}”. Send more pages, or press “Done”.",
                                           1, document=wanted.name.vi)
        question = chat.tap_reply(vi("✅ Done"))

    total = len(fields) + len(documents)
    assert [position for position, _ in counters] == list(range(1, total + 1)), "one step at a time"
    totals = [of for _, of in counters]
    assert totals == sorted(totals, reverse=True) and totals[-1] == total, "the total never grows and ends true"

    summary = question
    assert chat.state.step == SUMMARY
    assert str(Rich.of(vi("**Please check your application: {procedure}**"), procedure=procedure.title.vi)) in text(summary)
    for field in fields:
        assert f"• {field.label.vi}: {shown_answer(field)}" in text(summary)
    for wanted in documents:
        pages = vi("(skipped)") if wanted.skippable else vi_plural("{n} page", "{n} pages", 1)
        assert f"• {wanted.name.vi}: {pages}" in text(summary)

    chat.tap(vi("✅ Confirm and submit"))
    effect = chat.result.effect
    assert isinstance(effect, SubmitCase) and chat.state is None and chat.result.replies == []
    assert effect.state.procedure_id == procedure.id and effect.state.consent_at == NOW
    assert effect.state.answers == {f.id: stored_answer(f) for f in fields}
    required = [d.id for d in documents if not d.skippable]
    assert sorted(effect.state.documents) == sorted(required)
    for stored in effect.state.all_files():
        assert stored.kind == "photo" and stored.mime_type == "image/jpeg" and stored.size == 1000
    assert effect.state.skipped == [d.id for d in documents if d.skippable]


@pytest.mark.parametrize("how", ["button", "bỏ qua", "khong co", "Skip"])
def test_an_optional_field_is_skipped_by_button_or_typed_words(how: str) -> None:
    chat = Chat()
    question = walk_to(chat, KHAI_SINH, "field:father_full_name")
    help_text = KHAI_SINH.applicant_field("father_full_name").help
    assert help_text is not None and help_text.vi in text(question)
    if how == "button":
        chat.tap(vi("⏭ Skip"))
    else:
        chat.type(how)
    assert chat.state is not None and chat.state.step == "field:copies", "no more questions about an unknown father"
    assert "father_full_name" not in chat.state.answers and chat.result.effect is None


# ----- 2. refused answers -------------------------------------------------------------------------


@pytest.mark.parametrize(("procedure_id", "field_id", "bad"), [
    ("khai-sinh", "full_name", "An"),
    ("khai-sinh", "full_name", "Nguyễn Văn 2"),
    ("khai-sinh", "full_name", "Nguyễn V@n An"),
    ("khai-sinh", "cccd", "12345"),
    ("khai-sinh", "cccd", "999090012345"),
    ("khai-sinh", "cccd", "00109001234a"),
    ("khai-sinh", "cccd", "001227012345"),
    ("khai-sinh", "phone", "0241234567"),
    ("khai-sinh", "phone", "091234567"),
    ("khai-sinh", "phone", "0912-abc-678"),
    ("khai-sinh", "address", "x"),
    ("khai-sinh", "address", "12345 678"),
    ("khai-sinh", "child_birth_date", "31/02/2020"),
    ("khai-sinh", "child_birth_date", "hôm qua"),
    ("khai-sinh", "child_birth_date", "1/1/1800"),
    ("khai-sinh", "child_birth_date", "2/12/2026"),
    ("khai-sinh", "child_birth_date", "1/1/2999"),
    ("khai-sinh", "relationship", "bố"),
    ("khai-sinh", "relationship", "Ông"),
    ("chung-thuc-ban-sao", "copies", "0"),
    ("chung-thuc-ban-sao", "copies", "21"),
    ("chung-thuc-ban-sao", "copies", "hai"),
    ("chung-thuc-ban-sao", "copies", "1.5"),
    ("khai-tu", "death_place", "x" * 501),
])
def test_an_invalid_answer_is_refused_with_its_reason_and_the_same_question(procedure_id: str, field_id: str,
                                                                            bad: str) -> None:
    procedure = CATALOG[procedure_id]
    field = procedure.applicant_field(field_id)
    chat = Chat()
    question = walk_to(chat, procedure, FIELD_PREFIX + field_id)
    before = chat.state
    with pytest.raises(InvalidAnswer) as refusal:
        parse_answer(field, bad, chat.ctx)

    refused = chat.type(bad)

    assert refused.notes == (Rich.plain(warning(refusal.value.reason, **refusal.value.params)),)
    assert text(refused).startswith("⚠️ ")
    assert refused.text == question.text and refused.buttons == question.buttons, "the same question again"
    assert field.label.vi in text(refused)
    assert chat.state == before and chat.result.effect is None


def test_each_kind_of_mistake_in_a_date_gets_its_own_explanation() -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, "field:child_birth_date")
    notes = {bad: chat.type(bad).notes for bad in ("31/02/2020", "hôm qua", "1/1/1800", "1/1/2999")}
    assert len(set(notes.values())) == 4
    assert notes["1/1/2999"] == (Rich.plain(warning("This date is in the future; please give a date that has already "
                                                    "passed or is today.")),)


def test_a_date_of_today_is_accepted_where_the_future_is_not() -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, "field:child_birth_date")
    assert "⚠️" in text(chat.type("2/12/2026"))
    accepted = chat.type("01-12-2026")
    assert "⚠️" not in text(accepted)
    assert chat.state is not None and chat.state.answers["child_birth_date"] == "2026-12-01"
    assert chat.state.step == "field:child_sex"


@pytest.mark.parametrize("typed", ["Ông hoặc bà", "ong hoac ba", "  ÔNG HOẶC  BÀ ", "ong_ba"])
def test_a_choice_can_be_typed_with_or_without_diacritics(typed: str) -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, "field:relationship")
    reply = chat.type(typed)
    assert "⚠️" not in text(reply)
    assert chat.state is not None and chat.state.answers["relationship"] == "ong_ba"
    assert chat.state.step == "field:child_full_name"


@pytest.mark.parametrize(("field_id", "action"), [
    ("full_name", "o-nam"), ("full_name", "skip"), ("relationship", "skip"), ("relationship", "o-"),
    ("relationship", "nam"), ("father_full_name", "o-nam"),
])
def test_a_forged_action_on_a_question_is_refused(field_id: str, action: str) -> None:
    chat = Chat()
    question = walk_to(chat, KHAI_SINH, FIELD_PREFIX + field_id)
    before = chat.state
    refused = chat.press(chat.step_press(action))
    assert refused.notes == (Rich.plain(warning("Sorry, I did not understand that button.")),)
    assert refused.text == question.text and chat.state == before


def test_an_unknown_option_of_a_choice_is_refused() -> None:
    chat = Chat()
    question = walk_to(chat, KHAI_SINH, "field:relationship")
    before = chat.state
    refused = chat.press(chat.step_press("o-chu"))
    assert refused.notes == (Rich.plain(warning("Sorry, I did not understand that button.")),)
    assert refused.text == question.text and chat.state == before


# ----- 3. consent -------------------------------------------------------------------------------


def test_refusing_consent_forgets_the_chat() -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, CONSENT)
    declined = chat.tap_reply(vi("❌ I do not agree"))
    assert chat.state is None
    assert chat.result.effect == Discard((), forget_chat=True)
    assert text(declined) == vi("Understood. I have not kept anything about you. "
                                "You can start again at any time with /start.")
    assert labels(declined) == [vi("🏠 Main menu"), vi("📝 Apply")]
    chat.tap(vi("📝 Apply"))  # the restart button opens a new application
    assert chat.state is not None and chat.state.step == CHOOSE and chat.state.all_files() == []


@pytest.mark.parametrize("typed", ["đồng ý", "Dong y", "có", "OK"])
def test_consent_can_be_typed(typed: str) -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, CONSENT)
    question = chat.type(typed)
    assert isinstance(chat.result.effect, ConsentGiven)
    assert chat.state is not None and chat.state.step == "field:full_name" and chat.state.consent_at == NOW
    assert KHAI_SINH.applicant_field("full_name").label.vi in text(question)


@pytest.mark.parametrize("typed", ["khong", "Không đồng ý", "từ chối"])
def test_refusal_of_consent_can_be_typed(typed: str) -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, CONSENT)
    chat.type(typed)
    assert chat.state is None and chat.result.effect == Discard((), forget_chat=True)


def test_other_text_at_the_consent_asks_for_the_buttons() -> None:
    chat = Chat()
    question = walk_to(chat, KHAI_SINH, CONSENT)
    before = chat.state
    reply = chat.type("tôi muốn hỏi thêm")
    assert reply.notes == (Rich.plain(warning("Please use the buttons below.")),)
    assert reply.text == question.text and chat.state == before and chat.result.effect is None


def test_an_unknown_action_at_the_consent_is_not_taken_as_agreement() -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, CONSENT)
    before = chat.state
    chat.press(chat.step_press("maybe"))
    assert chat.result.effect is None and chat.state == before


# ----- 4. documents ---------------------------------------------------------------------------


FORMATS = ", ".join([VI.gettext("photo"), "PDF", "JPEG", "PNG"])
NAME_DISAGREES = ("This file is named “{name}” but it is a {type} file. Please check that it is the right paper and "
                  "send it again.")


def at_birth_notice(chat: Chat) -> Reply:
    """The required document of khai-sinh (at most 4 pages), followed by skippable ones."""
    return walk_to(chat, KHAI_SINH, "doc:giay_chung_sinh")


@pytest.mark.parametrize(("sent", "expected"), [
    (document("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "don.docx"),
     warning("Files of this type ({type}) are not accepted. Please send a photo or a file ({formats}).",
             type="application/vnd.openxmlformats-officedocument.wordprocessingml.document", formats=FORMATS)),
    (document(None, "notes.txt"),
     warning("Files of this type ({type}) are not accepted. Please send a photo or a file ({formats}).",
             type="notes.txt", formats=FORMATS)),
    (document(size=25 * MB),
     warning("This file is too large ({size} MB); the limit is {limit} MB. Please send a smaller file, "
             "or photos of the pages.", size="25.0", limit=20)),
    (IncomingFile("document", "big", "big-u", 25 * MB, mime_type="application/pdf", file_name="big.pdf"),
     warning("This file is too large ({size} MB); the limit is {limit} MB. Please send a smaller file, "
             "or photos of the pages.", size="25.0", limit=20)),
    (IncomingFile("photo", "empty", "empty-u", 0, stored_size=0),
     warning("This file is empty. Please send it again.")),
    (IncomingFile("document", "gone", "gone-u", 1000, mime_type="application/pdf",
                  problem="I could not download this file. Please send it again."),
     warning("I could not download this file. Please send it again.")),
    (IncomingFile("document", "fake", "fake-u", 1000, mime_type="application/pdf",
                  problem="This file is damaged or is not really a PDF, JPEG or PNG file. Please send it again."),
     warning("This file is damaged or is not really a PDF, JPEG or PNG file. Please send it again.")),
    (IncomingFile("photo", "lost", "lost-u", 1000),
     warning("I could not download this file. Please send it again.")),
    (document("image/jpeg", "giay-chung-sinh.pdf"), warning(NAME_DISAGREES, name="giay-chung-sinh.pdf", type="JPEG")),
    (document("application/pdf", "Trang 1.JPG"), warning(NAME_DISAGREES, name="Trang 1.JPG", type="PDF")),
    (document("image/png", "scan.pdf.exe"), warning(NAME_DISAGREES, name="scan.pdf.exe", type="PNG")),
], ids=["docx", "no-type", "too-large", "announced-too-large", "empty", "download-failed", "damaged", "not-stored",
        "jpeg-named-pdf", "pdf-named-jpg", "png-named-exe"])
def test_a_file_that_cannot_be_taken_is_refused_and_the_document_asked_again(sent: IncomingFile,
                                                                             expected: str) -> None:
    chat = Chat()
    question = at_birth_notice(chat)
    refused = chat.files(sent)
    assert refused.notes == (Rich.plain(expected),)
    assert refused.text == question.text, "the same document is asked for again"
    assert KHAI_SINH.document("giay_chung_sinh").name.vi in text(refused)
    assert chat.state is not None and chat.state.step == "doc:giay_chung_sinh"
    assert chat.state.all_files() == []
    stored = () if sent.sha256 is None else (sent.sha256,)
    handed_back = chat.result.effect.files if isinstance(chat.result.effect, Discard) else ()
    assert tuple(f.sha256 for f in handed_back) == stored, "a refused file already stored is deleted at once"


def test_a_name_without_an_extension_of_a_known_type_is_no_reason_to_refuse() -> None:
    chat = Chat()
    at_birth_notice(chat)
    reply = chat.files(document(file_name="CCCD 12.05.2024"), document("image/jpeg", "IMG_0001.JPEG"),
                       document("image/jpeg", "anh"), document("image/png", "Giấy chứng sinh.v2"))
    assert "⚠️" not in text(reply) and chat.state is not None
    assert len(chat.state.documents["giay_chung_sinh"]) == 4


def test_pdf_png_and_jpeg_files_are_accepted_with_their_type() -> None:
    chat = Chat()
    at_birth_notice(chat)
    reply = chat.files(document(), document("image/png", "page.png"), document("IMAGE/JPEG", "page.jpg"))
    assert "⚠️" not in text(reply)
    assert chat.state is not None
    assert [f.mime_type for f in chat.state.documents["giay_chung_sinh"]] == ["application/pdf", "image/png",
                                                                             "image/jpeg"]
    assert [f.kind for f in chat.state.documents["giay_chung_sinh"]] == ["document"] * 3
    assert "3 trang" in text(reply)


def pdf_only_engine() -> tuple[DialogEngine, Procedure]:
    """A catalog whose one document must be sent as a PDF file: none of the real ones is."""
    base = CATALOG["khai-tu"]
    wanted = base.collected_documents[0].id
    documents = [d.model_copy(update={"accepts": (FileKind.PDF,)}) if d.id == wanted else d for d in base.documents]
    procedure = Procedure.model_validate({**base.model_dump(), "documents": [d.model_dump() for d in documents]})
    assert procedure.document(wanted).accepts == (FileKind.PDF,)
    return DialogEngine(Catalog([procedure])), procedure


def test_a_photo_is_refused_where_only_files_are_accepted() -> None:
    engine, procedure = pdf_only_engine()
    wanted = procedure.collected_documents[0]
    chat = Chat(engine)
    question = walk_to(chat, procedure, DOC_PREFIX + wanted.id)
    assert "PDF" in text(question)
    refused = chat.files(photo())
    assert refused.notes == (Rich.plain(warning("Photos are not accepted for this document: please send it as a "
                                                "file ({formats}).", formats="PDF")),)
    refused_png = chat.files(document("image/png", "page.png"))
    assert refused_png.notes == (Rich.plain(warning(
        "Files of this type ({type}) are not accepted. Please send a photo or a file ({formats}).",
        type="image/png", formats="PDF")),)
    assert chat.state is not None and chat.state.all_files() == []
    accepted = chat.files(document())
    assert "⚠️" not in text(accepted) and len(chat.state.documents[wanted.id]) == 1


def test_pages_beyond_the_maximum_are_refused_and_the_others_kept() -> None:
    chat = Chat()
    at_birth_notice(chat)
    wanted = KHAI_SINH.document("giay_chung_sinh")
    assert wanted.max_pages == 4
    sent = [photo() for _ in range(5)]
    reply = chat.files(*sent)
    assert chat.state is not None
    assert [f.sha256 for f in chat.state.documents[wanted.id]] == [f.sha256 for f in sent[:4]]
    assert reply.notes == (Rich.plain(warning("This document takes at most {pages} pages; I did not add the extra "
                                              "ones.", pages=4)),)
    assert "4 trang" in text(reply)
    assert isinstance(chat.result.effect, Discard)
    assert [f.sha256 for f in chat.result.effect.files] == [sent[4].sha256], "the extra page is deleted at once"
    again = chat.files(photo())
    assert "⚠️" in text(again) and len(chat.state.documents[wanted.id]) == 4


def test_the_page_limit_is_told_for_pages_that_were_not_downloaded() -> None:
    """The handler does not download pages beyond the limit: the engine still names the limit,
    not a failed download."""
    chat = Chat()
    at_birth_notice(chat)
    chat.files(*(photo() for _ in range(4)))
    reply = chat.files(IncomingFile("photo", "not-fetched", "not-fetched-u", 1000))
    assert reply.notes == (Rich.plain(warning("This document takes at most {pages} pages; I did not add the extra "
                                              "ones.", pages=4)),)
    assert chat.result.effect is None


def test_a_file_sent_where_no_document_is_asked_is_deleted() -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, CONSENT)
    stray = photo()
    chat.files(stray)
    assert isinstance(chat.result.effect, Discard) and [f.sha256 for f in chat.result.effect.files] == [stray.sha256]


def test_an_album_with_one_bad_file_keeps_the_good_pages_and_warns_once() -> None:
    chat = Chat()
    at_birth_notice(chat)
    reply = chat.files(photo(), document("application/zip", "x.zip"), photo())
    assert chat.state is not None and len(chat.state.documents["giay_chung_sinh"]) == 2
    assert len(reply.notes) == 1 and "application/zip" in str(reply.notes[0])
    assert "2 trang" in text(reply)


def test_remove_and_resend_discards_the_pages() -> None:
    chat = Chat()
    question = at_birth_notice(chat)
    assert vi("🗑 Remove and resend") not in labels(question)
    chat.files(photo(), photo())
    assert chat.state is not None
    held = tuple(chat.state.documents["giay_chung_sinh"])
    cleared = chat.tap_reply(vi("🗑 Remove and resend"))
    assert chat.result.effect == Discard(held)
    assert chat.state.step == "doc:giay_chung_sinh" and chat.state.all_files() == []
    assert vi("🗑 Remove and resend") not in labels(cleared)
    assert cleared.text == question.text


def test_done_without_a_page_of_a_required_document_is_refused() -> None:
    chat = Chat()
    question = at_birth_notice(chat)
    before = chat.state
    refused = chat.tap_reply(vi("✅ Done"))
    assert refused.notes == (Rich.plain(warning("This document is required: please send at least one page before "
                                                "pressing “Done”.")),)
    assert refused.text == question.text and chat.state == before
    assert vi("⏭ Skip") not in labels(question)
    forged_skip = chat.press(chat.step_press("skip"))
    assert forged_skip.notes == (Rich.plain(warning("This document is required and cannot be skipped.")),)
    assert chat.state == before


def test_typed_done_and_skip_words_at_documents() -> None:
    chat = Chat()
    at_birth_notice(chat)
    assert "⚠️" in text(chat.type("xong"))
    chat.files(photo())
    chat.type("Xong")
    assert chat.state is not None and chat.state.step == "doc:van_ban_uy_quyen"
    chat.type("bỏ qua")
    assert chat.state.step == "doc:bien_ban_tre_bi_bo_roi" and chat.state.skipped == ["van_ban_uy_quyen"]
    chat.type("xong")  # “Done” with no page of an optional document skips it
    assert chat.state.step == "doc:xac_nhan_mang_thai_ho"
    assert chat.state.skipped == ["van_ban_uy_quyen", "bien_ban_tre_bi_bo_roi"]
    before = chat.state
    reply = chat.type("đây là ảnh")
    assert reply.notes == (Rich.plain(warning("Please send a photo or a file for this document, or press “Done”.")),)
    assert chat.state == before


def test_skipping_a_document_after_sending_pages_discards_them() -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, "doc:van_ban_uy_quyen")
    chat.files(photo())
    assert chat.state is not None
    held = tuple(chat.state.documents["van_ban_uy_quyen"])
    chat.tap(vi("⏭ Skip"))
    assert chat.result.effect == Discard(held)
    assert "van_ban_uy_quyen" not in chat.state.documents and chat.state.skipped == ["van_ban_uy_quyen"]


def test_a_file_where_none_is_expected_is_refused() -> None:
    chat = Chat()
    question = walk_to(chat, KHAI_SINH, "field:full_name")
    before = chat.state
    reply = chat.files(photo())
    assert reply.notes == (Rich.plain(warning("I was not expecting a file here.")),)
    assert reply.text == question.text and chat.state == before
    nobody = Chat()
    assert nobody.files(photo()).text == HOME.text and nobody.state is None


# ----- 5. the summary ---------------------------------------------------------------------------


def at_summary(chat: Chat, procedure: Procedure = KHAI_SINH) -> Reply:
    return walk_to(chat, procedure, SUMMARY)


@pytest.mark.parametrize("index", [i for i, s in enumerate(procedure_steps(KHAI_SINH))
                                   if s.startswith((FIELD_PREFIX, DOC_PREFIX))])
def test_each_edit_button_of_the_summary_opens_its_step(index: int) -> None:
    step = procedure_steps(KHAI_SINH)[index]
    chat = Chat()
    at_summary(chat)
    edit = [b for row in chat.last.buttons for b in row if decode(b.payload) == chat.step_press(f"e{index}")]
    assert len(edit) == 1 and edit[0].label.startswith("✏️ ")
    question = chat.tap_reply(edit[0].label)
    assert chat.state is not None and chat.state.step == step and chat.state.editing
    if step.startswith(FIELD_PREFIX):
        assert KHAI_SINH.applicant_field(step.removeprefix(FIELD_PREFIX)).label.vi in text(question)
    else:
        assert KHAI_SINH.document(step.removeprefix(DOC_PREFIX)).name.vi in text(question)


def test_an_edited_answer_returns_straight_to_the_summary() -> None:
    chat = Chat()
    summary = at_summary(chat)
    assert "0912345678" in text(summary)
    question = chat.tap_reply("✏️ " + KHAI_SINH.applicant_field("phone").label.vi)
    assert chat.state is not None and chat.state.step == "field:phone" and chat.state.editing
    assert "⚠️" in text(chat.type("12345")), "an edited answer is checked like the first one"
    assert chat.state.editing
    again = chat.type("0987 111 222")
    assert chat.state.step == SUMMARY and not chat.state.editing
    assert "0987111222" in text(again) and "0912345678" not in text(again)
    assert question.text != again.text
    chat.tap(vi("✅ Confirm and submit"))
    effect = chat.result.effect
    assert isinstance(effect, SubmitCase) and effect.state.answers["phone"] == "0987111222"


def test_an_edited_choice_and_skipped_optional_answer_return_to_the_summary() -> None:
    chat = Chat()
    at_summary(chat)
    chat.tap("✏️ " + KHAI_SINH.applicant_field("child_sex").label.vi)
    summary = chat.tap_reply("Nữ")
    assert chat.state is not None and chat.state.step == SUMMARY and chat.state.answers["child_sex"] == "nu"
    assert f"• {KHAI_SINH.applicant_field('child_sex').label.vi}: Nữ" in text(summary)
    chat.tap("✏️ " + KHAI_SINH.applicant_field("father_full_name").label.vi)
    summary = chat.tap_reply(vi("⏭ Skip"))
    assert chat.state.step == SUMMARY and "father_full_name" not in chat.state.answers
    assert f"• {KHAI_SINH.applicant_field('father_full_name').label.vi}: {vi('(skipped)')}" in text(summary)


def test_an_edited_document_takes_more_pages_and_returns_to_the_summary() -> None:
    chat = Chat()
    at_summary(chat)
    question = chat.tap_reply("✏️ " + KHAI_SINH.document("giay_chung_sinh").name.vi)
    assert vi_plural("Received so far: {n} page.", "Received so far: {n} pages.", 1) in text(question)
    chat.files(photo())
    summary = chat.tap_reply(vi("✅ Done"))
    assert chat.state is not None and chat.state.step == SUMMARY and not chat.state.editing
    assert f"{KHAI_SINH.document('giay_chung_sinh').name.vi}: 2 trang" in text(summary)


def test_confirming_with_a_required_document_missing_goes_to_it_with_a_note() -> None:
    chat = Chat()
    at_summary(chat)
    chat.tap("✏️ " + KHAI_SINH.document("giay_chung_sinh").name.vi)
    chat.tap(vi("🗑 Remove and resend"))
    summary = chat.tap_reply(vi("⬅️ Back"))
    assert chat.state is not None and chat.state.step == SUMMARY
    assert f"{KHAI_SINH.document('giay_chung_sinh').name.vi}: {vi('(skipped)')}" in text(summary)
    chat.tap(vi("✅ Confirm and submit"))
    assert chat.result.effect is None
    assert chat.state is not None and chat.state.step == "doc:giay_chung_sinh"
    note, question = chat.result.replies
    assert text(note) == vi("Something required is still missing:")
    assert KHAI_SINH.document("giay_chung_sinh").name.vi in text(question)


def test_confirming_with_a_required_answer_missing_goes_to_it_with_a_note() -> None:
    chat = Chat()
    at_summary(chat)
    assert chat.state is not None
    chat.state = chat.state.model_copy(update={"answers": {k: v for k, v in chat.state.answers.items()
                                                           if k != "cccd"}})
    chat.tap(vi("✅ Confirm and submit"))
    assert chat.result.effect is None and chat.state.step == "field:cccd"
    assert text(chat.result.replies[0]) == vi("Something required is still missing:")


@pytest.mark.parametrize("action", ["e0", "e1", f"e{len(procedure_steps(KHAI_SINH)) - 1}", "e99", "e", "edit", "x"])
def test_a_forged_summary_action_is_refused(action: str) -> None:
    chat = Chat()
    summary = at_summary(chat)
    before = chat.state
    reply = chat.press(chat.step_press(action))
    assert reply.notes == (Rich.plain(warning("Sorry, I did not understand that button.")),)
    assert reply.text == summary.text and chat.state == before and chat.result.effect is None


def test_typed_text_at_the_summary_asks_for_the_buttons() -> None:
    chat = Chat()
    at_summary(chat)
    before = chat.state
    reply = chat.type("ok")
    assert reply.notes == (Rich.plain(warning("Please use the buttons below.")),)
    assert chat.state == before and chat.result.effect is None


# ----- 6. back and cancel -------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "previous"), [
    (REQUIREMENTS, CHOOSE),
    (CONSENT, REQUIREMENTS),
    ("field:full_name", CONSENT),
    ("field:cccd", "field:full_name"),
    ("field:relationship", "field:address"),
    ("doc:giay_chung_sinh", "field:copies"),
    ("doc:van_ban_uy_quyen", "doc:giay_chung_sinh"),
    (SUMMARY, "doc:xac_nhan_mang_thai_ho"),
])
@pytest.mark.parametrize("how", ["button", "typed"])
def test_back_goes_to_the_previous_step_and_keeps_what_was_given(start: str, previous: str, how: str) -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, start)
    before = chat.state
    assert before is not None
    reply = chat.tap_reply(vi("⬅️ Back")) if how == "button" else chat.type("Quay lại")
    assert chat.state is not None and chat.state.step == previous and chat.result.effect is None
    assert chat.state.answers == before.answers and chat.state.documents == before.documents
    if previous == CHOOSE:
        assert chat.state.procedure_id is None and all(p.title.vi in text(reply) for p in CATALOG)
    elif previous == REQUIREMENTS:
        assert KHAI_SINH.fee.vi in text(reply)
    elif previous == CONSENT:
        assert vi("✅ I agree") in labels(reply)
    elif previous.startswith(FIELD_PREFIX):
        assert KHAI_SINH.applicant_field(previous.removeprefix(FIELD_PREFIX)).label.vi in text(reply)
    else:
        assert KHAI_SINH.document(previous.removeprefix(DOC_PREFIX)).name.vi in text(reply)


def test_back_from_the_list_of_procedures_goes_home() -> None:
    chat = Chat()
    chat.navigate(Place.APPLY)
    reply = chat.type("trở lại")
    assert chat.state is None and reply == HOME


def test_back_while_editing_returns_to_the_summary() -> None:
    chat = Chat()
    at_summary(chat)
    chat.tap("✏️ " + KHAI_SINH.applicant_field("cccd").label.vi)
    chat.tap(vi("⬅️ Back"))
    assert chat.state is not None and chat.state.step == SUMMARY and not chat.state.editing


def test_cancel_discards_every_file_held_and_ends_the_dialog() -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, "doc:van_ban_uy_quyen")
    chat.files(photo(), photo())
    assert chat.state is not None
    held = tuple(chat.state.all_files())
    assert len(held) == 3
    cancelled = chat.tap_reply(vi("✖️ Cancel"))
    assert chat.state is None and chat.result.effect == Discard(held)
    assert text(cancelled) == vi("Cancelled. What you entered in this application has been deleted.")
    assert labels(cancelled) == [vi("🏠 Main menu"), vi("📝 Apply")]


@pytest.mark.parametrize("step", [CHOOSE, REQUIREMENTS, CONSENT, "field:phone", "doc:giay_chung_sinh", SUMMARY])
@pytest.mark.parametrize("how", ["button", "typed", "command"])
def test_cancel_works_at_every_step(step: str, how: str) -> None:
    chat = Chat()
    if step == CHOOSE:
        chat.navigate(Place.APPLY)
    else:
        walk_to(chat, KHAI_SINH, step)
    assert chat.state is not None
    held = tuple(chat.state.all_files())
    if how == "button":
        chat.tap(vi("✖️ Cancel"))
    elif how == "typed":
        chat.type("Hủy")
    else:
        chat.command("cancel")
    assert chat.state is None
    assert chat.result.effect == (Discard(held) if held else None)
    assert text(chat.last) == vi("Cancelled. What you entered in this application has been deleted.")


def test_cancel_with_no_dialog_says_there_is_nothing_to_cancel() -> None:
    chat = Chat()
    result = chat.command("cancel")
    assert result.state is None and result.effect is None
    notice, home = result.replies
    assert text(notice) == vi("There is nothing to cancel.") and home == HOME


def test_typed_cancel_words_with_no_dialog_are_not_a_cancel() -> None:
    chat = Chat()
    reply = chat.type("huy")
    assert chat.result.effect is None
    assert vi("Cancelled. What you entered in this application has been deleted.") not in text(reply)


# ----- 7. stale and forged buttons ---------------------------------------------------------------


def test_a_button_of_another_dialog_says_the_session_has_ended() -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, "field:cccd")
    before = chat.state
    assert before is not None
    reply = chat.press(StepPress(before.dialog_id - 1, "3", "back"))
    assert text(reply) == vi("This session has ended. You can start again.")
    assert labels(reply) == [vi("🏠 Main menu"), vi("📝 Apply")]
    assert chat.state == before and chat.result.effect is None
    nobody = Chat()
    assert text(nobody.press(StepPress(5, "2", "back"))) == vi("This session has ended. You can start again.")
    assert nobody.state is None


def test_a_button_of_an_earlier_question_repeats_the_current_one() -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, "field:full_name")
    stale = decode(chat.button(vi("⬅️ Back")).payload)
    chat.type(typed_answer(KHAI_SINH.applicant_field("full_name")))
    question = chat.last
    before = chat.state
    reply = chat.press(stale)
    assert reply.notes == (Rich.plain(warning("That button belongs to an earlier question. Here is the current one:")),)
    assert reply.text == question.text and chat.state == before
    assert KHAI_SINH.applicant_field("cccd").label.vi in text(reply)


def test_an_unknown_button_repeats_the_current_question() -> None:
    chat = Chat()
    question = walk_to(chat, KHAI_SINH, "field:phone")
    before = chat.state
    chat.send(unknown_button=True)
    assert chat.last.notes == (Rich.plain(warning("Sorry, I did not understand that button.")),)
    assert chat.last.text == question.text and chat.state == before


@pytest.mark.parametrize("action", ["start", "yes", "khai-sinh"])
def test_an_unknown_action_at_the_requirements_is_refused(action: str) -> None:
    chat = Chat()
    question = walk_to(chat, KHAI_SINH, REQUIREMENTS)
    before = chat.state
    reply = chat.press(chat.step_press(action))
    assert "⚠️" in text(reply) and reply.text == question.text and chat.state == before


def test_a_procedure_that_was_not_offered_cannot_be_chosen() -> None:
    chat = Chat()
    chat.type("xac nhan")
    assert chat.state is not None and chat.state.candidates
    before = chat.state
    offered = set(before.candidates)
    other = next(p.id for p in CATALOG if p.id not in offered)
    reply = chat.press(chat.step_press(other))
    assert "⚠️" in text(reply) and chat.state == before
    chat.press(chat.step_press("no-such-procedure"))
    assert chat.state == before


def test_resume_shows_the_current_question_and_home_keeps_the_dialog() -> None:
    chat = Chat()
    question = walk_to(chat, KHAI_SINH, "field:address")
    before = chat.state
    assert chat.navigate(Place.HOME) == HOME and chat.state == before
    assert chat.navigate(Place.RESUME) == question and chat.state == before


def test_a_new_application_discards_the_files_of_the_one_in_progress() -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, "doc:giay_chung_sinh")
    chat.files(photo())
    assert chat.state is not None
    held = tuple(chat.state.all_files())
    old_id = chat.state.dialog_id
    chat.navigate(Place.APPLY)
    assert chat.result.effect == Discard(held)
    assert chat.state.step == CHOOSE and chat.state.dialog_id != old_id and chat.state.all_files() == []


# ----- 8. typed search ---------------------------------------------------------------------------


def test_typing_a_procedure_name_opens_its_requirements() -> None:
    chat = Chat()
    reply = chat.type("dang ky khai sinh")
    assert chat.state is not None and chat.state.step == REQUIREMENTS and chat.state.procedure_id == "khai-sinh"
    assert KHAI_SINH.title.vi in text(reply) and vi("✅ Start the application") in labels(reply)


def test_an_ambiguous_text_offers_candidates_by_button_or_number() -> None:
    chat = Chat()
    reply = chat.type("xac nhan")
    assert chat.state is not None and chat.state.step == CHOOSE
    assert chat.state.candidates == ["xac-nhan-khuyet-tat", "xac-nhan-tinh-trang-hon-nhan"]
    assert text(reply).startswith(vi("Two procedures fit what you wrote. Which one do you need?"))
    for procedure_id in chat.state.candidates:
        choose_if = CATALOG[procedure_id].choose_if
        assert choose_if is not None and choose_if.vi in text(reply), "each choice says when it is the one"
    wanted = CATALOG["xac-nhan-khuyet-tat"]
    chat.tap(f"1. {wanted.short_title.vi if wanted.short_title else wanted.title.vi}")
    assert chat.state.step == REQUIREMENTS and chat.state.procedure_id == wanted.id and not chat.state.candidates
    chat.type("quay lại")
    chat.type("xac nhan")
    chat.type("2")
    assert chat.state.step == REQUIREMENTS and chat.state.procedure_id == "xac-nhan-tinh-trang-hon-nhan"


def test_text_that_matches_nothing_shows_the_whole_list_and_a_number_picks() -> None:
    chat = Chat()
    reply = chat.type("cho em hỏi cái này với")
    assert chat.state is not None and chat.state.step == CHOOSE and not chat.state.candidates
    assert text(reply).startswith(vi("I could not find a procedure for “{text}”. These are the procedures of this "
                                     "desk; tap one or type its number:", text="cho em hỏi cái này với"))
    assert all(p.title.vi in text(reply) for p in CATALOG)
    picked = chat.type("2")
    second = list(CATALOG)[1]
    assert chat.state.step == REQUIREMENTS and chat.state.procedure_id == second.id
    assert second.title.vi in text(picked)


def test_the_last_number_of_the_list_picks_the_last_procedure_and_one_more_picks_nothing() -> None:
    chat = Chat()
    chat.navigate(Place.APPLY)
    chat.type(str(len(CATALOG) + 1))
    assert chat.state is not None and chat.state.step == CHOOSE and chat.state.procedure_id is None
    chat.type("0")
    assert chat.state.step == CHOOSE and chat.state.procedure_id is None
    chat.type(str(len(CATALOG)))
    assert chat.state.step == REQUIREMENTS and chat.state.procedure_id == list(CATALOG)[-1].id


def test_the_last_number_of_the_candidates_picks_the_last_candidate() -> None:
    chat = Chat()
    chat.type("xac nhan")
    assert chat.state is not None
    candidates = list(chat.state.candidates)
    chat.type(str(len(candidates)))
    assert chat.state.step == REQUIREMENTS and chat.state.procedure_id == candidates[-1]


# ----- 9. a supplement ------------------------------------------------------------------------------

ITEMS = ["Giấy chứng sinh", "Số điện thoại mới"]


def supplement_chat() -> Chat:
    chat = Chat()
    chat.result = ENGINE.start_supplement(4242, 17, "HS-261201-0001", "khai-sinh", ITEMS, chat.ctx)
    chat.state = chat.result.state
    return chat


def test_a_supplement_asks_each_item_and_hands_them_to_the_case() -> None:
    chat = supplement_chat()
    first = chat.last
    assert chat.state is not None and chat.state.step == "supplement:0" and chat.state.case_id == 17
    assert "HS-261201-0001" in text(first) and "1/2" in text(first) and ITEMS[0] in text(first)

    refused = chat.tap_reply(vi("✅ Done"))
    assert refused.notes == (Rich.plain(warning("Please send a photo or a file, or type the information, for this "
                                                "item before pressing “Done”.")),)
    assert chat.state.step == "supplement:0"

    received = chat.files(photo(), document())
    assert vi_plural("Received so far: {n} page.", "Received so far: {n} pages.", 2) in text(received)
    second = chat.tap_reply(vi("✅ Done"))
    assert chat.state.step == "supplement:1" and "2/2" in text(second) and ITEMS[1] in text(second)

    noted = chat.type("0987 111 222")
    assert noted.notes == (Rich.plain("✅ " + vi("Noted.")),)
    assert vi("You wrote: {text}", text="0987 111 222") in text(noted)
    chat.type("gọi sau 17 giờ")
    assert chat.state.answers == {"1": "0987 111 222\ngọi sau 17 giờ"}
    chat.files(photo())

    chat.tap(vi("⬅️ Back"))
    assert chat.state.step == "supplement:0" and len(chat.state.documents["supplement-1"]) == 2
    chat.tap(vi("✅ Done"))
    chat.send(text="xong")

    effect = chat.result.effect
    assert isinstance(effect, SubmitSupplement) and chat.state is None and chat.result.replies == []
    assert effect.state.case_id == 17 and effect.state.case_code == "HS-261201-0001"
    assert sorted(effect.state.documents) == ["supplement-1", "supplement-2"]
    assert [len(effect.state.documents[k]) for k in ("supplement-1", "supplement-2")] == [2, 1]
    assert effect.state.answers == {"1": "0987 111 222\ngọi sau 17 giờ"}


def test_a_typed_answer_alone_completes_a_supplement_item() -> None:
    chat = supplement_chat()
    chat.type("Đã nộp bản chính tại quầy")
    chat.tap(vi("✅ Done"))
    assert chat.state is not None and chat.state.step == "supplement:1"


def test_clearing_a_supplement_item_discards_its_pages_and_text() -> None:
    chat = supplement_chat()
    assert vi("🗑 Remove and resend") not in labels(chat.last)
    chat.files(photo())
    chat.type("bản sao")
    assert chat.state is not None
    held = tuple(chat.state.documents["supplement-1"])
    cleared = chat.tap_reply(vi("🗑 Remove and resend"))
    assert chat.result.effect == Discard(held)
    assert chat.state.all_files() == [] and chat.state.answers == {} and chat.state.step == "supplement:0"
    assert vi("🗑 Remove and resend") not in labels(cleared)
    assert "⚠️" in text(chat.tap_reply(vi("✅ Done")))


def test_what_a_citizen_types_for_one_item_is_capped_over_all_their_messages() -> None:
    chat = supplement_chat()
    too_long = chat.type("x" * (MAX_TYPED + 1))
    assert too_long.notes == (Rich.plain(warning("Please keep the answer to at most {maximum} characters; you sent "
                                                 "{count}.", maximum=MAX_TYPED, count=MAX_TYPED + 1)),)
    assert chat.state is not None and chat.state.answers == {} and ITEMS[0] in text(too_long)
    chat.type("a" * 600)
    refused = chat.type("b" * 400)
    assert refused.notes == (Rich.plain(warning(
        "With what you already typed for this item this would be {count} characters, and at most {maximum} can be "
        "sent. Please send a shorter text, or press “{button}” to type it again.",
        count=1001, maximum=MAX_TYPED, button=vi("🗑 Remove and resend"))),)
    assert chat.state.answers == {"0": "a" * 600} and chat.state.step == "supplement:0" and ITEMS[0] in text(refused)
    chat.type("b" * 399)
    assert len(chat.state.answers["0"]) == MAX_TYPED


def test_back_at_the_first_supplement_item_stays_there() -> None:
    chat = supplement_chat()
    chat.tap(vi("⬅️ Back"))
    assert chat.state is not None and chat.state.step == "supplement:0" and chat.result.effect is None


def test_cancelling_a_supplement_discards_its_files() -> None:
    chat = supplement_chat()
    chat.files(photo())
    assert chat.state is not None
    held = tuple(chat.state.all_files())
    chat.type("hủy")
    assert chat.state is None and chat.result.effect == Discard(held)


def test_supplement_pages_are_checked_like_documents() -> None:
    chat = supplement_chat()
    refused = chat.files(document("application/msword", "don.doc"))
    assert "⚠️" in text(refused) and ITEMS[0] in text(refused)
    assert chat.state is not None and chat.state.all_files() == []


def test_a_typed_supplement_answer_that_is_too_long_is_refused() -> None:
    chat = supplement_chat()
    before = chat.state
    refused = chat.type("x" * 1001)
    assert refused.notes == (Rich.plain(warning("Please keep the answer to at most {maximum} characters; you sent "
                                                "{count}.", maximum=1000, count=1001)),)
    assert chat.state == before


def test_typed_back_in_a_supplement_goes_to_the_previous_item() -> None:
    chat = supplement_chat()
    chat.type("Đã nộp bản chính tại quầy")
    chat.tap(vi("✅ Done"))
    chat.type("quay lại")
    assert chat.state is not None and chat.state.step == "supplement:0"
    assert "1" not in chat.state.answers


# ----- 10. commands ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["start", "help", "menu"])
def test_menu_commands_show_home_and_keep_the_dialog(name: str) -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, "field:phone")
    before = chat.state
    result = chat.command(name)
    assert result.replies == [HOME] and chat.state == before and result.effect is None
    assert Chat().command(name).replies == [HOME]


def test_an_unknown_command_says_so_and_keeps_the_dialog() -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, CONSENT)
    before = chat.state
    notice, home = chat.command("frobnicate").replies
    assert text(notice) == vi("I do not know that command.") and home == HOME
    assert chat.state == before


def test_a_message_with_nothing_readable_is_answered_with_what_is_read() -> None:
    chat = Chat()
    question = walk_to(chat, KHAI_SINH, "field:full_name")
    before = chat.state
    reply = chat.type("   ")
    assert reply.notes == (Rich.plain(warning("I can read text, photos and files (PDF, JPEG, PNG).")),)
    assert reply.text == question.text and chat.state == before


# ----- the other language ---------------------------------------------------------------------------


def test_the_dialog_speaks_english_when_the_citizen_chose_it() -> None:
    chat = Chat(language="en")
    listing = chat.navigate(Place.APPLY)
    procedure = CATALOG["chung-thuc-ban-sao"]
    assert procedure.title.en is not None and procedure.title.en in text(listing)
    assert procedure.short_title is not None and procedure.short_title.en is not None
    number = [p.id for p in CATALOG].index(procedure.id) + 1
    requirements = chat.tap_reply(f"{number}. {procedure.short_title.en}")
    assert procedure.title.en in text(requirements) and "Fee:" in text(requirements)
    chat.tap("✅ Start the application")
    question = chat.tap_reply("✅ I agree")
    assert procedure.applicant_fields[0].label.en is not None
    assert procedure.applicant_fields[0].label.en in text(question) and "Step 1/" in text(question)
    refused = chat.type("x")
    assert "⚠️" in text(refused) and "name" in text(refused).lower()


def test_stored_files_round_trip_through_the_saved_state() -> None:
    """The state is saved as JSON between updates: what the engine keeps must survive it."""
    chat = Chat()
    walk_to(chat, KHAI_SINH, "doc:giay_chung_sinh")
    chat.files(photo(), document())
    assert chat.state is not None
    saved = DialogState.model_validate_json(chat.state.model_dump_json())
    assert saved == chat.state
    assert all(isinstance(f, StoredFile) for f in saved.all_files())


# ----- 11. asking every field of a form, smartly ----------------------------------------------------

KHUYET_TAT = CATALOG["xac-nhan-khuyet-tat"]


def test_an_earlier_answer_is_offered_as_one_tap() -> None:
    chat = Chat()
    question = walk_to(chat, KHAI_SINH, "field:mother_residence")
    assert chat.state is not None
    address = chat.state.answers["address"]
    assert vi("Or tap “{same}” ({value}).", same="Giống địa chỉ của ông/bà", value=address) in text(question)
    chat.tap("↩️ Giống địa chỉ của ông/bà")
    assert chat.state.answers["mother_residence"] == address and chat.state.step == "field:father_full_name"


def test_a_one_tap_answer_is_offered_only_where_it_fits() -> None:
    """The mother's name is "your name" only when the applicant is the mother."""
    as_father = Chat()
    walk_to(as_father, KHAI_SINH, "field:mother_full_name")  # the walk answers "Cha" (the first option)
    assert not any(label.startswith("↩️") for label in labels(as_father.last))
    assert vi("⏭ Skip") not in labels(as_father.last)
    forged = as_father.press(as_father.step_press("same"))
    assert "⚠️" in text(forged) and as_father.state is not None
    assert "mother_full_name" not in as_father.state.answers
    father = as_father.state
    as_mother = Chat()
    walk_to(as_mother, KHAI_SINH, "field:relationship")
    as_mother.tap("Mẹ")
    while as_mother.state is not None and as_mother.state.step != "field:mother_full_name":
        answer(as_mother, KHAI_SINH.applicant_field(as_mother.state.step.removeprefix(FIELD_PREFIX)))
    as_mother.tap("↩️ Giống tên ông/bà")
    assert as_mother.state is not None and as_mother.state.answers["mother_full_name"] == "Nguyễn Văn An"
    assert father.answers["relationship"] == "cha"


def test_a_common_answer_is_a_button_and_typing_another_still_works() -> None:
    chat = Chat()
    question = walk_to(chat, KHAI_SINH, "field:child_ethnicity")
    assert "Kinh" in labels(question)
    chat.tap("Kinh")
    assert chat.state is not None and chat.state.answers["child_ethnicity"] == "Kinh"
    chat.tap("Việt Nam")
    assert chat.state.answers["child_nationality"] == "Việt Nam"
    other = Chat()
    walk_to(other, KHAI_SINH, "field:child_ethnicity")
    other.type("Mường")
    assert other.state is not None and other.state.answers["child_ethnicity"] == "Mường"
    assert "⚠️" in text(other.press(other.step_press("s9"))), "a forged suggestion is refused"


def test_questions_that_do_not_apply_are_not_asked_nor_counted() -> None:
    chat = Chat()
    walk_to(chat, KHUYET_TAT, "field:relationship")
    first = _counter(chat.last)
    question = chat.tap_reply("Chính tôi là người khuyết tật")
    assert chat.state is not None and chat.state.step == "field:disabled_person_birth_date"
    after = _counter(question)
    assert after == (first[0] + 1, first[1] - 3), "three questions about someone else are dropped from the total"
    assert "ℹ️" not in text(question)
    back = chat.tap_reply(vi("⬅️ Back"))
    assert chat.state.step == "field:relationship" and KHUYET_TAT.applicant_field("relationship").label.vi in text(back)


def test_a_relative_is_told_what_they_need_when_they_choose() -> None:
    chat = Chat()
    walk_to(chat, KHUYET_TAT, "field:relationship")
    question = chat.tap_reply("Cha hoặc mẹ")
    note = KHUYET_TAT.applicant_field("relationship").options[1].note
    assert note is not None and question.notes == (Rich.plain("ℹ️ " + note.vi),)
    assert chat.state is not None and chat.state.step == "field:disabled_person_name"


def test_changing_a_deciding_answer_asks_what_it_opens_then_returns_to_the_summary() -> None:
    chat = Chat()
    at_summary(chat, KHUYET_TAT)  # as the person with a disability
    assert chat.state is not None and "disabled_person_name" not in chat.state.answers
    chat.tap("✏️ " + shorten(KHUYET_TAT.applicant_field("relationship").label.vi))
    question = chat.tap_reply("Con")
    assert chat.state.step == "field:disabled_person_name" and chat.state.editing
    assert KHUYET_TAT.applicant_field("disabled_person_name").label.vi in text(question)
    chat.type("ngô đức lợi")
    assert chat.state.step == "field:representative_current_address", "the next required question it opened"
    summary = chat.type("Thôn Bằng Y, xã Tây Đằng")
    assert chat.state.step == SUMMARY and not chat.state.editing
    assert "Ngô Đức Lợi" in text(summary)
    chat.tap("✏️ " + shorten(KHUYET_TAT.applicant_field("relationship").label.vi))
    chat.tap("Chính tôi là người khuyết tật")
    assert chat.state.step == SUMMARY and "Ngô Đức Lợi" not in text(chat.last)
    chat.tap(vi("✅ Confirm and submit"))
    effect = chat.result.effect
    assert isinstance(effect, SubmitCase)
    assert "disabled_person_name" not in effect.state.answers, "answers to questions dropped are not filed"


def test_an_answer_the_form_cannot_print_is_refused_when_typed() -> None:
    chat = Chat()
    question = walk_to(chat, KHAI_SINH, "field:child_birth_place")
    refused = chat.type("Nhà hộ sinh 🏥 Ba Vì")
    assert refused.notes == (Rich.plain(warning("These characters cannot be printed on the form: {characters}. "
                                                "Please write the answer with letters and digits.",
                                                characters="🏥")),)
    assert refused.text == question.text
    plain = Chat()
    walk_to(plain, CATALOG["chung-thuc-ban-sao"], "field:document_names")
    plain.type("Bằng tốt nghiệp 🎓")
    assert plain.state is not None and plain.state.step == "field:pages_per_original", "no form, nothing to print"


@pytest.mark.parametrize(("typed", "reason"), [
    ("199", "Please type the year in four digits, for example 1990."),
    ("1899", "The year must be from {earliest} to {latest}; you wrote {year}."),
    ("2027", "The year must be from {earliest} to {latest}; you wrote {year}."),
])
def test_a_year_of_birth_is_four_digits_and_not_in_the_future(typed: str, reason: str) -> None:
    chat = Chat()
    walk_to(chat, KHAI_SINH, "field:mother_birth_year")
    refused = chat.type(typed)
    assert refused.notes == (Rich.plain(warning(reason, earliest=1900, latest=2026, year=typed)),)
    chat.type("1996")
    assert chat.state is not None and chat.state.answers["mother_birth_year"] == "1996"


def test_conditions_read_as_one_sentence() -> None:
    chat = Chat()
    requirements = walk_to(chat, KHAI_SINH, REQUIREMENTS)
    assert "Văn bản ủy quyền (nếu người khác nộp thay cha mẹ theo ủy quyền)" in text(requirements)
    assert "chỉ khi:" not in text(requirements)
    question = walk_to(Chat(), KHAI_SINH, "doc:van_ban_uy_quyen")
    assert "Chỉ gửi nếu người khác nộp thay cha mẹ theo ủy quyền." in text(question)


@pytest.mark.parametrize("procedure_id", ["xac-nhan-tinh-trang-hon-nhan", "ket-hon", "xac-nhan-khuyet-tat"])
def test_the_processing_time_is_said_once(procedure_id: str) -> None:
    shown = text(walk_to(Chat(), CATALOG[procedure_id], REQUIREMENTS))
    days = CATALOG[procedure_id].processing.working_days
    assert shown.count("ngày làm việc kể từ") == 1 and f"{days:02d} ngày làm việc" not in shown


def test_a_supplement_item_naming_a_question_is_answered_like_that_question() -> None:
    chat = Chat()
    chat.result = ENGINE.start_supplement(4243, 18, "HS-261201-0002", "khai-sinh",
                                          ["Ngày sinh của trẻ", "Ghi chú thêm"], chat.ctx)
    chat.state = chat.result.state
    assert vi("Type day/month/year, for example: 01/02/1990.") in text(chat.last)
    refused = chat.type("hôm qua")
    assert "⚠️" in text(refused) and chat.state is not None and chat.state.answers == {}
    noted = chat.type("20/4/2026")
    assert chat.state.answers == {"0": "2026-04-20"}
    assert vi("You wrote: {text}", text="20/04/2026") in text(noted)
    chat.type("21/4/2026")
    assert chat.state.answers == {"0": "2026-04-21"}, "a corrected answer replaces, never appends"
