"""Generated sequences of anything a person can do (text, buttons of the current step and forged
ones, commands, files of any kind and size) fed to `DialogEngine.step` from states reached by
valid paths through every procedure and through a supplement request. No exception escapes,
every input gets an answer, every button the answer carries can be read back by the route
table, and every state can be saved and loaded.

The one input with no reply of the dialog's own is the last step of an application or of a
supplement: the effect (`SubmitCase`, `SubmitSupplement`) is carried out by the bot, which
answers with the receipt."""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from dialogs.model import DialogState, IncomingFile, Input, Result, SubmitCase, SubmitSupplement
from dialogs.output import Press
from dialogs.steps import SUMMARY, Navigate, Place, StepPress, token_of
from handlers.routes import decode
from tests.support.engine_chat import CATALOG, ENGINE, Chat, context, walk_to

MAX_PAYLOAD_BYTES = 64
WORDS = ["xong", "Xong", "hủy", "huỷ bỏ", "quay lại", "bỏ qua", "có", "không", "đồng ý", "ok", "1", "2", "99", "0",
         "khai sinh", "đăng ký khai tử", "lệ phí bao nhiêu?", "HS-261201-0001", "nguyễn văn an", "001 090 012 345",
         "0912345678", "1/2/1990", "31/2/2020", "Thôn 3, Tây Đằng", "🙂", "   ", "/start", "tiếp"]
ACTIONS = ["done", "skip", "clear", "back", "cancel", "go", "info", "yes", "no", "ok", "same", "s0", "s9", "e2",
           "e3", "e99", "o-nam", "o-", "khai-sinh", "khai-tu", "x" * 40]
PROBLEMS = ["I could not download this file. Please send it again.",
            "This file is damaged or is not really a PDF, JPEG or PNG file. Please send it again."]


class Recording(Chat):
    """A chat that keeps every state it passed through."""

    def __init__(self) -> None:
        super().__init__()
        self.states: list[DialogState] = []

    def send(self, **what: Any) -> Result:
        result = super().send(**what)
        if self.state is not None:
            self.states.append(self.state.model_copy(deep=True))
        return result


@functools.cache
def states() -> tuple[DialogState | None, ...]:
    """Every state of a valid path through each procedure to its summary, and of a supplement."""
    found: list[DialogState | None] = [None]
    for procedure in CATALOG:
        chat = Recording()
        walk_to(chat, procedure, SUMMARY)
        found += chat.states
    for procedure_id, items in (("khai-sinh", ["Giấy chứng sinh", "Họ và tên người được khai sinh", "Số điện thoại"]),
                                ("chung-thuc-ban-sao", ["Ảnh trang 2"])):
        started = ENGINE.start_supplement(4242, 17, "HS-261201-0001", procedure_id, items, context()).state
        assert started is not None
        found.append(started)
    return tuple(found)


files = st.builds(IncomingFile, kind=st.sampled_from(["photo", "document"]), file_id=st.text(max_size=20),
                  file_unique_id=st.text(max_size=20), size=st.one_of(st.none(), st.integers(0, 2**35)),
                  mime_type=st.one_of(st.none(), st.sampled_from(["application/pdf", "image/jpeg", "image/png",
                                                                  "text/plain"]), st.text(max_size=20)),
                  file_name=st.one_of(st.none(), st.text(max_size=30),
                                      st.sampled_from(["scan.pdf", "anh.JPG", "a.png", "x.docx", "CCCD 1.2.2024"])),
                  sha256=st.one_of(st.none(), st.from_regex(r"\A[0-9a-f]{64}\Z")),
                  stored_size=st.one_of(st.none(), st.integers(0, 2**35)),
                  problem=st.one_of(st.none(), st.sampled_from(PROBLEMS)))


def inputs(state: DialogState | None, update_id: int) -> st.SearchStrategy[Input]:
    procedure = CATALOG.get(state.procedure_id or "") if state is not None else None
    current = st.nothing() if state is None else st.builds(
        StepPress, st.just(state.dialog_id), st.just(token_of(state.step, procedure)),
        st.one_of(st.sampled_from(ACTIONS), st.from_regex(r"\A[A-Za-z0-9_.\-]{1,64}\Z")))
    forged: st.SearchStrategy[Press] = st.one_of(
        st.builds(StepPress, st.integers(0, 2**53), st.from_regex(r"\A[a-z0-9]{1,4}\Z"), st.sampled_from(ACTIONS)),
        st.builds(Navigate, st.sampled_from(list(Place))))
    return st.one_of(
        st.builds(Input, st.just(update_id), text=st.one_of(st.text(max_size=300), st.sampled_from(WORDS))),
        st.builds(Input, st.just(update_id), press=st.one_of(current, forged)),
        st.builds(Input, st.just(update_id), command=st.sampled_from(["start", "help", "menu", "cancel", "xyz"]),
                  command_args=st.text(max_size=20)),
        st.builds(Input, st.just(update_id), files=st.lists(files, min_size=1, max_size=4).map(tuple),
                  text=st.one_of(st.none(), st.text(max_size=30))),
        st.builds(Input, st.just(update_id), unknown_button=st.just(True)),
        st.just(Input(update_id)),
    )


def check(result: Result) -> None:
    if isinstance(result.effect, SubmitCase | SubmitSupplement):
        assert result.state is None, "the bot answers a submission with the receipt"
        return
    assert result.replies, "every input gets an answer"
    for reply in result.replies:
        assert str(reply.full_text).strip() or reply.attachments
        for row in reply.buttons:
            for button in row:
                assert button.label.strip()
                assert len(button.payload.encode()) <= MAX_PAYLOAD_BYTES, button.payload
                assert decode(button.payload) is not None, f"the route table cannot read {button.payload}"
    if result.state is not None:
        assert DialogState.model_validate_json(result.state.model_dump_json()) == result.state


@given(st.data())
def test_any_sequence_of_inputs_from_any_state_gets_an_answer_every_time(data: st.DataObject) -> None:
    state = data.draw(st.sampled_from(states()), label="start")
    state = state.model_copy(deep=True) if state is not None else None
    ctx = context(data.draw(st.sampled_from(["vi", "en"]), label="language"))
    for update_id in range(3_000_000_000, 3_000_000_000 + data.draw(st.integers(1, 8), label="length")):
        result = ENGINE.step(state, data.draw(inputs(state, update_id)), ctx)
        check(result)
        if isinstance(result.effect, SubmitCase | SubmitSupplement):
            return
        state = result.state
