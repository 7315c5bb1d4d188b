"""The per-chat budget: a chat over it is turned away (one "please wait" per flood), its excess is
marked processed, other chats are not affected, an album counts once, and a chat that slows down
is read again."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from bot.conversation.turns import Turns
from dialogs.output import Reply
from handlers.flood import PLEASE_WAIT, TIDY_EVERY, Admission, FloodBudget, FloodGate
from locales import get_translator

TAKE, DROP, WARN = Admission.TAKE, Admission.DROP, Admission.WARN


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def budget(updates: int = 20, seconds: float = 10) -> tuple[FloodBudget, Clock]:
    clock = Clock()
    return FloodBudget(updates, seconds, clock), clock


def test_the_21st_update_within_10_seconds_is_turned_away_with_one_warning_per_flood() -> None:
    flood, clock = budget()
    verdicts = []
    for _ in range(500):
        verdicts.append(flood.admit(7))
        clock.now += 0.01
    assert verdicts[:20] == [TAKE] * 20
    assert verdicts[20] == WARN
    assert verdicts[21:] == [DROP] * 479


def test_a_chat_that_keeps_flooding_stays_turned_away_and_is_warned_once() -> None:
    flood, clock = budget(updates=3, seconds=10)
    verdicts = []
    for _ in range(60):  # one update a second for a minute: 10 in every window, over the budget of 3
        verdicts.append(flood.admit(7))
        clock.now += 1
    assert verdicts[:3] == [TAKE] * 3 and verdicts.count(WARN) == 1 and set(verdicts[4:]) == {DROP}


def test_a_chat_that_slows_down_is_read_again_and_warned_again_in_its_next_flood() -> None:
    flood, clock = budget(updates=3, seconds=10)
    first = [flood.admit(7) for _ in range(5)]
    clock.now += 10
    again = [flood.admit(7) for _ in range(5)]
    assert first == again == [TAKE, TAKE, TAKE, WARN, DROP]


def test_a_person_s_pace_is_never_turned_away() -> None:
    flood, clock = budget()
    for _ in range(300):  # one message every half second, for two and a half minutes
        assert flood.admit(7) is TAKE
        clock.now += 0.5


def test_other_chats_are_not_affected_by_one_chat_s_flood() -> None:
    flood, _ = budget(updates=3)
    assert [flood.admit(1) for _ in range(10)][-1] is DROP
    assert [flood.admit(2) for _ in range(3)] == [TAKE] * 3


def test_an_album_counts_once_and_its_photos_share_the_fate_of_the_first() -> None:
    flood, _ = budget(updates=3)
    taken = [flood.admit(7, album=f"album-{n}") for n in range(3) for _ in range(10)]
    assert taken == [TAKE] * 30, "three albums of ten photos are three sends"
    over = [flood.admit(7, album="album-3") for _ in range(10)]
    assert over == [WARN] + [DROP] * 9


def test_quiet_chats_are_forgotten_and_active_ones_kept() -> None:
    flood, clock = budget(updates=2)
    flood.admit("active")
    flood.admit("active")
    clock.now += 20
    for chat in range(TIDY_EVERY + 1):
        flood.admit(chat)
    flood.admit("active")
    flood.admit("active")
    assert flood.admit("active") is WARN, "the active chat's flow survived the tidying"
    assert len(flood._flows) <= TIDY_EVERY + 2  # noqa: SLF001 - the memory bound is the point


class Turns_:
    """What the gate needs of `Turns`: the updates it set aside, and each chat's language."""

    def __init__(self) -> None:
        self.set_aside_ids: list[int] = []
        self.batches = 0

    def set_aside(self, update_ids: list[int]) -> None:
        self.set_aside_ids += update_ids
        self.batches += 1

    def language(self, chat_id: int) -> str:
        return "en" if chat_id == 2 else "vi"


def test_the_gate_marks_every_dropped_update_processed_in_batches_and_asks_in_the_chat_s_language() -> None:
    turns = Turns_()
    sent: list[tuple[int, list[Reply]]] = []

    async def send(chat_id: int, replies: list[Reply]) -> None:
        sent.append((chat_id, replies))

    async def flood() -> list[Admission]:
        gate = FloodGate(FloodBudget(20, 10), cast(Turns, turns))
        verdicts = [gate.admit(update_id, 1) for update_id in range(500)]
        verdicts += [gate.admit(1000 + n, 2) for n in range(22)]
        await gate.ask_to_wait(1, send)
        await gate.ask_to_wait(2, send)
        await gate.drain()
        return verdicts

    verdicts = asyncio.run(flood())
    dropped = [n for n in range(500) if n >= 20] + [1020, 1021]
    assert sorted(turns.set_aside_ids) == dropped and turns.batches < len(dropped)
    assert verdicts.count(WARN) == 2
    texts: list[Any] = [(chat, str(replies[0].text)) for chat, replies in sent]
    assert texts == [(1, get_translator("vi").gettext(PLEASE_WAIT)), (2, PLEASE_WAIT)]
    assert texts[0][1] != PLEASE_WAIT, "the Vietnamese catalog has the message"
