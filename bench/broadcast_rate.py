"""Benchmark: how fast an announcement reaches its subscribers, against Telegram's limit of
30 messages a second, and how soon a case notification queued meanwhile overtakes it. Runs the
real bot process against the fake Bot API server with the limits enforced, broadcasts to N
subscribers, and reports from the server's own delivery log: the achieved rate (target: at
least 27 a second, 90 % of 30), the 429 answers (target: none) and, for case notifications
queued at a few moments of the broadcast, the time from their commit to their delivery
(target: 2 s at most).

With `--urgent` the office has enabled paid broadcasts and the staff member marks the
announcement urgent: Telegram then allows 1,000 messages a second. `--answer-ms` makes the fake
server take that long to answer each send, as the real Telegram does from far away (the fake
otherwise answers in a fraction of a millisecond, which hides how many sends must be under way
at once to reach a high rate).

    .venv/bin/python -m bench.broadcast_rate [--subscribers 10000] [--notices 5] [--database-url URL]
                                             [--urgent] [--answer-ms 0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime

from bench.environment import describe
from bench.running import running_bot
from bot.staff.members import add_member
from bot.staff.permissions import Role
from dialogs.output import Reply, Rich
from sandbox.botapi import FakeBotAPI
from storage.db import make_engine, transaction
from storage.models import Subscriber
from storage.outbox import enqueue

MARKER = "benchmark announcement"
NOTICE = "Hồ sơ HS-261210-{n:04d} đã được tiếp nhận"
STAFF_MEMBER = 504
OFFICERS = range(4_000_000, 4_000_100)
"""Chats that get the case notifications; not subscribers, so the broadcast does not slow them."""


def _staff_says(fake: FakeBotAPI, text: str, replies: int) -> None:
    before = len(fake.bot_messages(STAFF_MEMBER))
    fake.send_text(STAFF_MEMBER, text)
    fake.wait_for_messages(STAFF_MEMBER, before + replies)


def _staff_taps(fake: FakeBotAPI, label: str) -> None:
    message = next(m for m in reversed(fake.bot_messages(STAFF_MEMBER)) if any(label in b for b in m.button_labels()))
    before = len(fake.bot_messages(STAFF_MEMBER))
    fake.press(STAFF_MEMBER, message.callback_data(label), message_id=message.message_id)
    fake.wait_for_messages(STAFF_MEMBER, before + 1)


def _overtaking_seconds(fake: FakeBotAPI, url: str, number: int, chat: int) -> float:
    """Queue a case notification as the bot's own services do (written in a transaction of
    its own) and wait for the server to receive it; seconds from the commit to its delivery."""
    with transaction(make_engine(url)) as session:
        enqueue(session, chat, Reply(Rich.plain(NOTICE.format(n=number))), now=datetime.now(UTC))
    committed = time.monotonic()
    fake.wait_until(lambda: fake.messages_per_chat(contains=NOTICE.format(n=number)).get(chat) == 1, timeout=60)
    return next(at for at, to, _ in fake.delivery_log() if to == chat) - committed


def run(subscribers: int, notices: int, database_url: str | None, *, urgent: bool = False,
        answer_ms: float = 0) -> dict[str, object]:
    settings = {"allow_paid_broadcast": "true"} if urgent else {}
    with running_bot(database_url, **settings) as (fake, _, url):
        chats = range(5_000_000, 5_000_000 + subscribers)
        now = datetime.now(UTC)
        with transaction(make_engine(url)) as session:
            add_member(session, telegram_id=STAFF_MEMBER, name="Văn Phòng", role=Role.STAFF, fields=[],
                       known_fields=set(), now=now)
            session.add_all([Subscriber(chat_id=chat, created_at=now, changed_at=now) for chat in chats])
        fake.register_users([STAFF_MEMBER, *chats, *OFFICERS])
        fake.enforce_limits(True, per_chat_per_second=5)
        _staff_says(fake, "/thongbao", 1)
        _staff_says(fake, MARKER, 2)
        if urgent:
            _staff_taps(fake, "Khẩn cấp")
        if answer_ms:
            fake.delay_next(10 * subscribers, answer_ms / 1000, method="sendMessage")
        _staff_taps(fake, "Gửi khẩn" if urgent else "Gửi")
        overtaking: list[float] = []
        for number in range(notices):  # spread over the broadcast
            fake.wait_until(lambda n=number: len(fake.messages_per_chat(contains=MARKER)) >= subscribers * (n + 1) //
                            (notices + 1), timeout=subscribers / 10 + 60)
            overtaking.append(_overtaking_seconds(fake, url, number, OFFICERS[number]))
        deadline = time.monotonic() + subscribers / 10 + 60
        while len(fake.messages_per_chat(contains=MARKER)) < subscribers + 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        times = sorted(at for at, chat, _ in fake.delivery_log() if chat in chats)
        gaps = [b - a for a, b in zip(times, times[1:])]
        elapsed = times[-1] - times[0] if len(times) > 1 else float("nan")
        return {
            **describe("python-telegram-bot", "SQLAlchemy", "httpx", database_url=url),
            "subscribers": subscribers,
            "urgent_paid": urgent,
            "answer_ms": answer_ms,
            "delivered": len(times),
            "seconds": round(elapsed, 2),
            "messages_per_second": round((len(times) - 1) / elapsed, 2) if len(times) > 1 else None,
            "telegram_limit_per_second": 1000 if urgent else 30,
            "peak_in_one_second": fake.peak_rate(),
            "limit_violations_429": len(fake.limit_violations),
            "median_gap_ms": round(statistics.median(gaps) * 1000, 1) if gaps else None,
            "case_notice_overtaking_s": [round(s, 3) for s in overtaking],
            "case_notice_overtaking_max_s": round(max(overtaking), 3) if overtaking else None,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--notices", type=int, default=5, help="case notifications queued during the broadcast")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--urgent", action="store_true", help="an urgent announcement, sent as a paid broadcast")
    parser.add_argument("--answer-ms", type=float, default=0, help="how long the fake server takes to answer a send")
    arguments = parser.parse_args()
    print(json.dumps(run(arguments.subscribers, arguments.notices, arguments.database_url, urgent=arguments.urgent,
                         answer_ms=arguments.answer_ms), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
