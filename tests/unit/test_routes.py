"""The route table: every press of the bot has one route, payloads decode to what was encoded,
payloads this bot did not make decode to nothing, and buttons sent before payloads became
readable still work."""

from __future__ import annotations

import pytest

from bot.announcements.presses import AnnouncementPress, Decision, Subscribe, Unsubscribe
from bot.cases.presses import CaseLink, LookupMenu, MyCasesMenu, OfficerAction, OfficerPress, SendSupplement, ShowCase
from bot.conversation.language import ChooseLanguage, LanguageMenu
from bot.feedback.presses import AnswerPress, FeedbackMenu, RatePress
from bot.privacy.presses import DataAction, DataPress
from bot.staff.members import InviteLink
from dialogs.output import Press
from dialogs.steps import Navigate, Place, StepPress
from handlers.routes import BUTTONS, COMMANDS, DEEP_LINKS, decode, route_of

EVERY_PRESS = [
    StepPress(1234567890, "12", "o-nam"), Navigate(Place.APPLY), SendSupplement(3), LanguageMenu(),
    ChooseLanguage("en"), LookupMenu(), MyCasesMenu(), ShowCase(7), OfficerPress(2147483647, 99, OfficerAction.DELIVER),
    RatePress(5, 3), AnswerPress(9), FeedbackMenu(), AnnouncementPress(4, Decision.SEND), Unsubscribe(),
    Subscribe(), *(DataPress(action) for action in DataAction),
]


def _subclasses(kind: type) -> set[type]:
    found = set()
    for sub in kind.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def test_every_press_of_the_bot_has_exactly_one_route() -> None:
    routed = {route.press for route in BUTTONS.values()} | {press for press, _ in DEEP_LINKS.values()}
    made_by_the_bot = {kind for kind in _subclasses(Press) if kind.__module__.split(".")[0] in ("bot", "dialogs")}
    assert made_by_the_bot <= routed, made_by_the_bot - routed
    assert len({press.ROUTE for press in routed}) == len(routed)


@pytest.mark.parametrize("press", EVERY_PRESS + [CaseLink("HS-261201-0001"), InviteLink("Ab_c-9")], ids=repr)
def test_payloads_decode_to_what_was_encoded_within_telegram_s_64_bytes(press: Press) -> None:
    payload = press.encode()
    assert decode(payload) == press
    assert len(payload.encode()) <= 64


@pytest.mark.parametrize("payload", [
    "", "garbage", "step", "step:1:2", "step:x:1:yes", "nav:nowhere", "officer:1:1:fly", "officer:0:1:accept",
    "officer:2147483648:1:accept", "rate:1", "rate:1:3:1", "case:-1", "lookup:1", "c_", "inv_", "announce:1:maybe",
    "step:1:2:yes no", "m.nothing", "o.x.y.z", "data", "data:forget-everyone", "sub:1",
])
def test_payloads_the_bot_did_not_make_decode_to_nothing(payload: str) -> None:
    assert decode(payload) is None


@pytest.mark.parametrize(("legacy", "current"), [
    ("o.12.3.accept", OfficerPress(12, 3, OfficerAction.ACCEPT)),
    ("o.12.3.more", OfficerPress(12, 3, OfficerAction.SUPPLEMENT)),
    ("o.12.3.ready0", OfficerPress(12, 3, OfficerAction.READY_STANDARD)),
    ("r.5.3", RatePress(5, 3)), ("f.9", AnswerPress(9)), ("b.4.cancel", AnnouncementPress(4, Decision.CANCEL)),
    ("k.7", ShowCase(7)), ("s.3", SendSupplement(3)), ("l.vi", ChooseLanguage("vi")),
    ("m.apply", Navigate(Place.APPLY)), ("m.menu", Navigate(Place.HOME)), ("m.mine", MyCasesMenu()),
    ("m.unsub", Unsubscribe()), ("1234.5.yes", StepPress(1234, "5", "yes")),
])
def test_buttons_sent_before_the_readable_payloads_still_work(legacy: str, current: Press) -> None:
    assert decode(legacy) == current


def test_a_damaged_payload_still_names_its_route_so_its_refusal_applies() -> None:
    route = route_of("officer:x:y:z")
    assert route is not None and route.press is OfficerPress and decode("officer:x:y:z") is None
    assert route_of("garbage") is None


def test_staff_and_citizen_commands_are_all_in_the_table() -> None:
    assert {"start", "cancel", "language", "tracuu", "gopy", "hoso", "thongke", "thongbao", "huythongbao",
            "nhanthongbao", "dulieu"} <= set(COMMANDS)
