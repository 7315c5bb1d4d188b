"""Case lookup through the real bot: by command, from the menu, from the receipt's QR link."""

from __future__ import annotations

import itertools
import re

from tests.support.people import Citizen
from tests.conftest import RunningBot
from tests.support.walk import CATALOG, file_case

CODE = re.compile(r"HS-\d{6}-\d{4}")
KHAI_TU = CATALOG["khai-tu"]
_strangers = itertools.count(90_001)


def filed_code(citizen: Citizen) -> str:
    file_case(citizen, KHAI_TU)
    citizen.quiet()
    match = next((m for m in (CODE.search(msg.text or "") for msg in reversed(citizen.messages)) if m), None)
    assert match, citizen.fake.transcript(citizen.chat_id)
    return match.group(0)


def stranger(bot: RunningBot) -> Citizen:
    return Citizen(bot.fake, next(_strangers))


def test_the_owner_looks_up_a_case_by_its_code(bot: RunningBot, citizen: Citizen) -> None:
    code = filed_code(citizen)
    shown = citizen.send("/tracuu " + code.lower())
    assert code in shown.text and "Mới tiếp nhận" in shown.text and KHAI_TU.title.vi in shown.text, shown.text
    typed = citizen.send(code.lower().replace("-", " "))
    assert typed.text == shown.text, "a code typed on its own, as read off the receipt, shows the case too"


def test_a_stranger_learns_nothing_about_someone_elses_case(bot: RunningBot, citizen: Citizen) -> None:
    code = filed_code(citizen)
    other = stranger(bot)
    theirs = other.send("/tracuu " + code)
    unknown = other.send("/tracuu HS-000101-9999")
    assert theirs.text.replace(code, "X") == unknown.text.replace("HS-000101-9999", "X")
    assert "Mới tiếp nhận" not in theirs.text and KHAI_TU.title.vi not in theirs.text
    assert "Không tìm thấy" in theirs.text, theirs.text
    linked = other.send(f"/start c_{code}")
    assert linked.text == theirs.text


def test_my_cases_lists_the_case_and_opens_it(bot: RunningBot, citizen: Citizen) -> None:
    code = filed_code(citizen)
    citizen.send("/start")
    listing = citizen.tap("Hồ sơ của tôi")
    assert code in listing.text and code in listing.button_labels(), listing.text
    shown = citizen.tap(code)
    assert "Mới tiếp nhận" in shown.text and code in shown.text


def test_the_lookup_button_explains_the_command(bot: RunningBot, citizen: Citizen) -> None:
    code = filed_code(citizen)
    citizen.send("/start")
    prompt = citizen.tap("Tra cứu hồ sơ")
    assert "/tracuu" in prompt.text and code in prompt.button_labels(), prompt.text
    assert "/tracuu" in citizen.send("/tracuu").text


def test_the_receipt_link_opens_the_case(bot: RunningBot, citizen: Citizen) -> None:
    code = filed_code(citizen)
    assert any(m.photo_file_id for m in citizen.messages), "the receipt carries the QR code"
    shown = citizen.send(f"/start c_{code}")
    assert code in shown.text and "Mới tiếp nhận" in shown.text, shown.text


def test_a_forged_case_button_gets_the_not_found_text(bot: RunningBot, citizen: Citizen) -> None:
    other = stranger(bot)
    other.send("/start")
    forged = other.press("k.abc")
    assert forged.text == other.press("k.99999999999999999999").text
    assert "Không tìm thấy" in forged.text, forged.text
