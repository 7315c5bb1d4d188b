"""Benchmark: the bot's resident memory with 10,000 applications in progress (target: 150 MB at
most). Runs the real bot process against the fake Bot API server: one citizen opens the
birth registration, agrees to the data notice and gets its first question; the database then
holds that dialog for 10,000 more citizens (as if each had done the same), and all 10,000
answer the question at once, so every one of their dialogs is loaded, advanced and saved by the
bot while the others wait their turn. Reports the resident size (VmRSS) before, its peak
(VmHWM) and after, and how many dialogs the database holds in progress.

    .venv/bin/python -m bench.dialog_memory [--dialogs 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from bench.environment import describe
from bench.running import running_bot
from sandbox.botapi import FakeBotAPI
from storage.db import make_engine, transaction
from storage.models import ChatSession

FIRST = 7_000_000
ANSWER = "nguyễn văn an"
NEXT_QUESTION = "CCCD"


def _memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (resident now) and VmHWM (the peak so far) of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {key: round(int(fields[key].split()[0]) / 1024, 1) for key in ("VmRSS", "VmHWM")}


def _tap(fake: FakeBotAPI, chat: int, label: str) -> None:
    message = next(m for m in reversed(fake.bot_messages(chat)) if any(label in b for b in m.button_labels()))
    before = len(fake.bot_messages(chat))
    fake.press(chat, message.callback_data(label), message_id=message.message_id)
    fake.wait_for_messages(chat, before + 1)


def _first_question(fake: FakeBotAPI, chat: int) -> None:
    """One citizen, as a person would: /start, apply, birth registration, start, agree."""
    fake.register_users([chat])
    fake.send_text(chat, "/start")
    fake.wait_for_messages(chat, 1)
    for label in ("Nộp hồ sơ", "Khai sinh", "Bắt đầu nộp hồ sơ", "Tôi đồng ý"):
        _tap(fake, chat, label)


def _clone(url: str, source: int, chats: range) -> None:
    engine = make_engine(url)
    with transaction(engine) as session:
        row = session.get(ChatSession, source)
        assert row is not None and row.dialog is not None, "the first citizen has no dialog in progress"
        session.add_all([ChatSession(chat_id=chat, language=row.language, dialog=row.dialog, version=row.version,
                                     updated_at=row.updated_at) for chat in chats])
    engine.dispose()


def _in_progress(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(ChatSession)
                             .where(col(ChatSession.dialog).is_not(None))).one()
    engine.dispose()
    return count


def run(dialogs: int, database_url: str | None) -> dict[str, object]:
    with running_bot(database_url) as (fake, process, url):
        assert process.process is not None
        pid = process.process.pid
        _first_question(fake, FIRST)
        fake.send_text(FIRST, ANSWER)
        fake.wait_until(lambda: NEXT_QUESTION in (fake.bot_messages(FIRST)[-1].text or ""), timeout=30)
        before = _memory_mb(pid)
        chats = range(FIRST + 1, FIRST + 1 + dialogs)
        _clone(url, FIRST, chats)
        fake.register_users(chats)
        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.5):
                samples.append(_memory_mb(pid)["VmRSS"])

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        for chat in chats:
            fake.send_text(chat, ANSWER)
        deadline = started + dialogs / 5 + 120
        while len(fake.messages_per_chat(contains=NEXT_QUESTION)) < dialogs + 1 and time.monotonic() < deadline:
            time.sleep(1)
        seconds = time.monotonic() - started
        done.set()
        sampler.join()
        after = _memory_mb(pid)
        return {
            **describe("python-telegram-bot", "SQLAlchemy", database_url=url),
            "dialogs": dialogs,
            "answered": len(fake.messages_per_chat(contains=NEXT_QUESTION)) - 1,
            "answered_in_s": round(seconds, 1),
            "in_progress_in_database": _in_progress(url),
            "rss_before_mb": before["VmRSS"],
            "rss_peak_mb": max([after["VmHWM"], *samples]),
            "rss_after_mb": after["VmRSS"],
            "target_mb": 150,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dialogs", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    print(json.dumps(run(arguments.dialogs, arguments.database_url), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
