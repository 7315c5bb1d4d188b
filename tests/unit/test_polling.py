"""getUpdates calls start a gap apart while updates fetched earlier are being handled, so that
what arrives meanwhile comes in one answer; once they are handled, after a long poll's wait,
after an empty answer or after a full one (a backlog at Telegram), the next call starts at once.
Every answer is kept (in the database, by the bot) before python-telegram-bot reads it."""

from __future__ import annotations

import asyncio
from itertools import pairwise
from typing import Any

import httpx
import pytest
from telegram.error import NetworkError

from bot.runtime.polling import FULL_ANSWER, Keep, SpacedPolls

GAP = 0.5
URL = "http://telegram.invalid/bot123:abc/getUpdates"


def polls(pauses: tuple[float, ...], updates: int | tuple[int, ...] = 1,
          handled_after: float | None = None) -> tuple[list[float], list[float]]:
    """When each call was asked for and when it reached Telegram. Each call comes `pauses[i]`
    after the last answer; each answer holds `updates` updates (or `updates[i]`); they are handled
    `handled_after` seconds after the answer (never when None)."""
    counts = updates if isinstance(updates, tuple) else (updates,) * len(pauses)

    async def run() -> tuple[list[float], list[float]]:
        loop = asyncio.get_running_loop()
        asked: list[float] = []
        started: list[float] = []

        def answer(_: httpx.Request) -> httpx.Response:
            started.append(loop.time())
            result = [{"update_id": 1000 + i} for i in range(counts[len(started) - 1])]
            return httpx.Response(200, json={"ok": True, "result": result})

        request = SpacedPolls(gap=GAP, connection_pool_size=1, httpx_kwargs={"transport": httpx.MockTransport(answer)})
        await request.initialize()
        try:
            for pause, count in zip(pauses, counts, strict=True):
                await asyncio.sleep(pause)
                asked.append(loop.time())
                assert len(await request.post(URL)) == count
                if handled_after is not None:
                    for _ in range(count):
                        loop.call_later(handled_after, request.finished)
        finally:
            await request.shutdown()
        return asked, started

    return asyncio.run(run())


def test_while_updates_are_in_hand_calls_start_a_gap_apart() -> None:
    asked, started = polls((0, 0, 0), updates=FULL_ANSWER - 1)  # one short of a full answer
    gaps = [later - earlier for earlier, later in pairwise(started)]
    # (The gap counts from before httpx builds the request, the transport sees it after.)
    assert all(GAP - 0.02 <= gap < GAP * 2 for gap in gaps), gaps
    assert started[0] - asked[0] < GAP / 2  # the first call is not held


def test_once_the_updates_are_handled_the_next_call_starts() -> None:
    asked, started = polls((0, 0, 0), updates=3, handled_after=GAP / 10)
    waits = [start - ask for ask, start in zip(asked, started, strict=True)]
    assert all(wait < GAP / 2 for wait in waits), waits


def test_after_a_long_wait_the_next_call_starts_at_once() -> None:
    asked, started = polls((0, GAP * 1.5), updates=3)  # the second after a long poll's wait
    assert started[1] - asked[1] < GAP / 2


def test_after_a_full_answer_the_next_call_starts_at_once() -> None:
    asked, started = polls((0, 0, 0), updates=FULL_ANSWER)
    waits = [start - ask for ask, start in zip(asked, started, strict=True)]
    assert all(wait < GAP / 2 for wait in waits), waits


def test_after_an_empty_answer_updates_never_reported_handled_space_no_call() -> None:
    asked, started = polls((0, 0, 0), updates=(3, 0, 3))
    assert started[2] - asked[2] < GAP / 2


def _request(answers: list[list[dict[str, Any]]], keep: Keep) -> SpacedPolls:
    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True, "result": answers.pop(0)})

    return SpacedPolls(gap=0, keep=keep, connection_pool_size=1,
                       httpx_kwargs={"transport": httpx.MockTransport(answer)})


def test_every_answer_is_kept_before_python_telegram_bot_gets_it() -> None:
    kept: list[list[int]] = []
    returned: list[list[int]] = []

    async def keep(updates: list[dict[str, Any]]) -> None:
        assert len(kept) == len(returned), "kept before the last answer was returned"
        kept.append([update["update_id"] for update in updates])

    async def run() -> None:
        request = _request([[{"update_id": 7}, {"update_id": 8}], [], [{"update_id": 9}]], keep)
        await request.initialize()
        for _ in range(3):
            returned.append([update["update_id"] for update in await request.post(URL)])
        await request.shutdown()

    asyncio.run(run())
    assert kept == returned == [[7, 8], [], [9]]


def test_an_answer_that_could_not_be_kept_is_not_returned() -> None:
    async def keep(updates: list[dict[str, Any]]) -> None:
        raise OSError("disk full")

    async def run() -> None:
        request = _request([[{"update_id": 7}]], keep)
        await request.initialize()
        try:
            with pytest.raises(NetworkError):  # python-telegram-bot then waits and asks again, from update 7
                await request.post(URL)
        finally:
            await request.shutdown()

    asyncio.run(run())
