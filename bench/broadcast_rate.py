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

from storage.db import make_engine, transaction, upgrade
from storage.models import Subscriber
from tests.botproc import BotProcess
from sandbox.botapi import FakeBotAPI
from tests.office import STAFF_MEMBER, Office

MARKER = "benchmark announcement"


def run(subscribers: int, database_url: str | None) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
    url = database_url or f"sqlite:///{data_dir / 'bench.db'}"
    upgrade(url)
    fake = FakeBotAPI()
    fake.start()
    process = BotProcess(fake, url, data_dir)
    process.start()
    try:
        office = Office(fake, process, url, data_dir)
        office.register_staff()
        chats = range(5_000_000, 5_000_000 + subscribers)
        now = datetime.now(UTC)
        with transaction(make_engine(url)) as session:
            session.add_all([Subscriber(chat_id=chat, created_at=now, changed_at=now) for chat in chats])
        fake.register_users(chats)
        fake.enforce_limits(True, per_chat_per_second=5)
        staff = office.person(STAFF_MEMBER)
        staff.send("/thongbao")
        staff.send(MARKER, expect=2)
        staff.tap("Gửi")
        deadline = time.monotonic() + subscribers / 10 + 60
        while len(fake.messages_per_chat(contains=MARKER)) < subscribers + 4 and time.monotonic() < deadline:
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
