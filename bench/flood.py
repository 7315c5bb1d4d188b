"""Benchmark: how fast a second chat is answered while one chat floods the bot. Runs the real bot
process against the fake Bot API server; one chat sends 500 updates as fast as it can, then a
second chat sends messages one after another, each as soon as its answer arrived, as a quick
person would. Reports the second chat's reply latencies (p50, max; the issue's target is under
one second each), with the per-chat budget on (the default, 20 updates in 10 s) and, for
comparison, off (a budget no chat reaches).

    .venv/bin/python -m bench.flood [--flood 500] [--messages 15] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from sandbox.botapi import FakeBotAPI
from sandbox.botprocess import SCRIPTED_BUDGET, BotProcess
from storage.db import upgrade

FLOODING, ASKING = 70_001, 70_002
TARGET_SECONDS = 1.0


def _latencies(fake: FakeBotAPI, flood: int, messages: int) -> list[float]:
    for _ in range(flood):
        fake.send_text(FLOODING, "/start")
    seconds = []
    for _ in range(messages):
        before = len(fake.bot_messages(ASKING))
        started = time.monotonic()
        fake.send_text(ASKING, "/start")
        fake.wait_for_messages(ASKING, before + 1, timeout=120)
        seconds.append(time.monotonic() - started)
    return seconds


def run(flood: int, messages: int, budget: int, database_url: str | None) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
    url = database_url or f"sqlite:///{data_dir / 'bench.db'}"
    upgrade(url)
    fake = FakeBotAPI()
    fake.start()
    process = BotProcess(fake, url, data_dir, chat_budget_updates=str(budget))
    process.start()
    try:
        seconds = _latencies(fake, flood, messages)
        fake.wait_idle(timeout=120)
        return {
            "budget_per_10s": budget if budget != SCRIPTED_BUDGET else "off",
            "flood_updates": flood,
            "answers_to_flooding_chat": len(fake.bot_messages(FLOODING)),
            "second_chat_messages": messages,
            "p50_ms": round(statistics.median(seconds) * 1000, 1),
            "max_ms": round(max(seconds) * 1000, 1),
            "under_target": all(s < TARGET_SECONDS for s in seconds),
            "database": url.split(":", 1)[0],
        }
    finally:
        process.stop()
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=500)
    parser.add_argument("--messages", type=int, default=15, help="at most 20, or the second chat floods too")
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    results = [run(arguments.flood, arguments.messages, budget, arguments.database_url)
               for budget in (20, SCRIPTED_BUDGET)]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
