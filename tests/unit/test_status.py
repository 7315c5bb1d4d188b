"""Case statuses: the one transition table, what is closed, and the officers' buttons it allows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.cases.cards import ACTION_TARGETS, officer_buttons
from bot.cases.presses import OfficerAction
from bot.cases.status import CLOSED, OPEN, TRANSITIONS, CaseStatus
from handlers.routes import decode
from locales import get_translator
from storage.models import OPEN_CASE_STATUSES, Case


def _case(status: CaseStatus) -> Case:
    return Case(id=1, code="HS-1", procedure_id="khai-sinh", field_id="ho-tich", chat_id=1, status=status,
                applicant_name="A", language="vi", created_at=datetime(2026, 12, 1, tzinfo=UTC),
                due_date=date(2026, 12, 1), version=4)


def test_every_status_has_its_transitions_and_closed_ones_have_none() -> None:
    assert set(TRANSITIONS) == set(CaseStatus)
    assert CLOSED == {CaseStatus.DELIVERED, CaseStatus.REFUSED} and set(OPEN) == set(CaseStatus) - CLOSED
    for status in CaseStatus:
        assert status.is_closed == (not TRANSITIONS[status])


def test_the_path_of_a_case() -> None:
    path = [CaseStatus.SUBMITTED, CaseStatus.AWAITING_SUPPLEMENT, CaseStatus.SUBMITTED, CaseStatus.IN_PROGRESS,
            CaseStatus.READY, CaseStatus.DELIVERED]
    assert all(after in TRANSITIONS[before] for before, after in zip(path, path[1:]))
    assert CaseStatus.DELIVERED not in TRANSITIONS[CaseStatus.SUBMITTED]
    assert CaseStatus.READY not in TRANSITIONS[CaseStatus.AWAITING_SUPPLEMENT]


@pytest.mark.parametrize("status", list(CaseStatus))
def test_officers_are_offered_exactly_the_allowed_moves(status: CaseStatus) -> None:
    buttons = [b for row in officer_buttons(_case(status), get_translator("vi")) for b in row]
    presses = [decode(b.payload) for b in buttons]
    assert all(p is not None and p.version == 4 for p in presses)  # type: ignore[union-attr]
    offered = {ACTION_TARGETS[p.action] for p in presses}  # type: ignore[union-attr]
    assert offered == set(TRANSITIONS[status]) & set(ACTION_TARGETS.values()), "the citizen's supplement is no button"
    assert all(p.action is not OfficerAction.READY_STANDARD for p in presses)  # type: ignore[union-attr]


def test_labels_are_translated() -> None:
    vi = get_translator("vi")
    assert [status.shown(vi) for status in CaseStatus] == [
        "Mới tiếp nhận", "Đang xử lý", "Yêu cầu bổ sung", "Chờ trả kết quả", "Đã trả kết quả", "Từ chối"]


def test_the_index_of_open_cases_covers_exactly_the_open_statuses() -> None:
    assert OPEN_CASE_STATUSES == tuple(status.value for status in OPEN)
