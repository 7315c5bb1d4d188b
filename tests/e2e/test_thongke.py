"""/thongke through the real bot: the figures message and its chart, for staff only."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.integration.test_report import PNG_SIGNATURE, insert_dataset
from tests.support.office import STAFF_MEMBER, Office, running_office


# ----- /thongke end to end -------------------------------------------------------------------


@pytest.fixture(scope="module")
def office(make_database_url: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    with running_office(make_database_url, tmp_path_factory.mktemp("report-office"),
                        extra_holidays="2026-11-24") as office:
        insert_dataset(office.database_url)
        yield office



def test_thongke_end_to_end(office: Office, clean_contract: None) -> None:
    """Reads Vietnamese: passes once the translations of bot/report.py are in vi/messages.po."""
    staff = office.person(STAFF_MEMBER)
    before = len(office.fake.requests)
    staff.send("/thongke 2026-11-01 2026-11-30", expect=2)
    text, photo = staff.messages[-2:]
    assert text.method == "sendMessage" and photo.method == "sendPhoto"
    assert "Thống kê" in text.text and "01/11/2026 – 30/11/2026" in text.text
    assert "Hồ sơ tiếp nhận: 11" in text.text
    assert "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn: 80%" in text.text
    assert "75%" in text.text and "1,8" in text.text
    sent = [r for r in office.fake.requests[before:] if r.method == "sendPhoto" and r.params.get("chat_id") == STAFF_MEMBER]
    assert len(sent) == 1 and sent[0].files["photo"].startswith(PNG_SIGNATURE)


def test_thongke_is_refused_to_a_citizen(office: Office, clean_contract: None) -> None:
    """Reads Vietnamese: passes once the translations of bot/report.py are in vi/messages.po."""
    citizen = office.person(60_001)
    before = len(office.fake.requests)
    reply = citizen.send("/thongke")
    assert reply.text == "Lệnh này dành cho cán bộ Bộ phận Một cửa."
    office.fake.wait_idle()
    assert not [r for r in office.fake.requests[before:] if r.method == "sendPhoto"]
