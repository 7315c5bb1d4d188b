"""Benchmark: how fast an announcement reaches its subscribers, against Telegram's limit of
30 messages a second. Runs the real bot process against the fake Bot API server with the
limits enforced, broadcasts to N subscribers and reports the achieved rate from the server's
own delivery log.

    .venv/bin/python -m bench.broadcast_rate [--subscribers 900] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.staff.members import add_member
from bot.staff.permissions import Role
from sandbox.botapi import FakeBotAPI
from sandbox.botprocess import BotProcess
from storage.db import make_engine, transaction, upgrade
from storage.models import Subscriber

MARKER = "benchmark announcement"
STAFF_MEMBER = 504


def _staff_says(fake: FakeBotAPI, text: str, replies: int) -> None:
    before = len(fake.bot_messages(STAFF_MEMBER))
    fake.send_text(STAFF_MEMBER, text)
    fake.wait_for_messages(STAFF_MEMBER, before + replies)


def _staff_taps(fake: FakeBotAPI, label: str) -> None:
    message = next(m for m in reversed(fake.bot_messages(STAFF_MEMBER)) if any(label in b for b in m.button_labels()))
    before = len(fake.bot_messages(STAFF_MEMBER))
    fake.press(STAFF_MEMBER, message.callback_data(label), message_id=message.message_id)
    fake.wait_for_messages(STAFF_MEMBER, before + 1)


def run(subscribers: int, database_url: str | None) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
    url = database_url or f"sqlite:///{data_dir / 'bench.db'}"
    upgrade(url)
    fake = FakeBotAPI()
    fake.start()
    process = BotProcess(fake, url, data_dir)
    process.start()
    try:
        chats = range(5_000_000, 5_000_000 + subscribers)
        now = datetime.now(UTC)
        with transaction(make_engine(url)) as session:
            add_member(session, telegram_id=STAFF_MEMBER, name="Văn Phòng", role=Role.STAFF, fields=[],
                       known_fields=set(), now=now)
            session.add_all([Subscriber(chat_id=chat, created_at=now, changed_at=now) for chat in chats])
        fake.register_users([STAFF_MEMBER, *chats])
        fake.enforce_limits(True, per_chat_per_second=5)
        _staff_says(fake, "/thongbao", 1)
        _staff_says(fake, MARKER, 2)
        _staff_taps(fake, "Gửi")
        deadline = time.monotonic() + subscribers / 10 + 60
        while len(fake.messages_per_chat(contains=MARKER)) < subscribers + 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        times = sorted(at for at, chat, _ in fake.delivery_log() if chat in chats)
        gaps = [b - a for a, b in zip(times, times[1:])]
        elapsed = times[-1] - times[0] if len(times) > 1 else float("nan")
        return {
            "subscribers": subscribers,
            "delivered": len(times),
            "seconds": round(elapsed, 2),
            "messages_per_second": round((len(times) - 1) / elapsed, 2) if len(times) > 1 else None,
            "telegram_limit_per_second": 30,
            "limit_violations_429": len(fake.limit_violations),
            "median_gap_ms": round(statistics.median(gaps) * 1000, 1) if gaps else None,
            "database": url.split(":", 1)[0],
        }
    finally:
        process.stop()
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=900)
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    print(json.dumps(run(arguments.subscribers, arguments.database_url), indent=2))


if __name__ == "__main__":
    main()
