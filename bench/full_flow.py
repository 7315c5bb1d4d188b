"""Benchmark: what one citizen's update costs the bot, as a multiple of a bare python-telegram-bot
echo bot on the same fake Bot API. Citizens each send /start and then type a procedure's name, as
a new user would; the bot's CPU time (user + system, read from /proc) over the flood is divided
by the number of updates. The wall rate is capped by the bot's own pacing to Telegram's limit, so
the CPU cost, not the rate, says how many desks one machine can serve.

The echo bot runs twice: bare, answering as fast as the fake Bot API lets it (the yardstick the
target of issue 12 names), and paced to Telegram's 30 messages a second by python-telegram-bot's
own `AIORateLimiter`, the same work under the same limit as the bot (`cpu_ratio_to_paced_echo`).

    .venv/bin/python -m bench.full_flow [--citizens 1000] [--concurrency 32] [--database-url URL] [--send-rate N] [--rounds 3]

`--send-rate` above 30 lifts the bot's pacing (the fake Bot API accepts it), which shows how much of
the cost is waiting for Telegram's limit rather than handling.

The three bots run one after another, in `--rounds` rounds (default 3), and the ratios printed are
the medians of each round's own: on a shared machine the bare echo bot's cost alone moves by half
from one run to the next, so one round's ratio says little, and a round compares bots measured
within the same few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TypedDict

from sandbox.botapi import FakeBotAPI
from sandbox.botprocess import BotProcess
from storage.db import upgrade

FIRST_CITIZEN = 7_000_000
TYPED = "dang ky khai sinh"
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass(frozen=True)
class Conversation:
    """What each citizen sends, and how to recognise the bot's answer to each message."""

    steps: tuple[tuple[str, Callable[[str], bool]], ...]


MOTCUA = Conversation((("/start", lambda text: "Một cửa" in text), (TYPED, lambda text: "Đăng ký khai sinh" in text)))
ECHO = Conversation((("/start", lambda text: text == "/start"), (TYPED, lambda text: text == TYPED)))


def _citizen(fake: FakeBotAPI, chat_id: int, conversation: Conversation) -> list[float]:
    latencies = []
    for text, is_answer in conversation.steps:
        seen = len(fake.bot_messages(chat_id))
        started = time.monotonic()
        fake.send_text(chat_id, text)
        fake.wait_until(lambda: any(is_answer(m.text or "") for m in fake.bot_messages(chat_id)[seen:]),
                        timeout=600, message=f"chat {chat_id} got no answer to {text!r}")
        latencies.append(time.monotonic() - started)
    return latencies


def _flood(fake: FakeBotAPI, pid: int, citizens: int, concurrency: int, conversation: Conversation) -> dict[str, float]:
    chats = range(FIRST_CITIZEN, FIRST_CITIZEN + citizens)
    fake.register_users(chats)
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = sorted(t for result in pool.map(lambda c: _citizen(fake, c, conversation), chats) for t in result)
    elapsed, cpu = time.monotonic() - started, cpu_seconds(pid) - cpu_before
    updates = citizens * len(conversation.steps)
    return {
        "updates": updates,
        "cpu_ms_per_update": round(cpu * 1000 / updates, 2),
        "updates_per_second": round(updates / elapsed, 1),
        "reply_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "reply_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
    }


def _motcua(citizens: int, concurrency: int, database_url: str | None, send_rate: int | None) -> dict[str, float]:
    data_dir = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
    url = database_url or f"sqlite:///{data_dir / 'bench.db'}"
    upgrade(url)
    with FakeBotAPI() as fake:
        process = BotProcess(fake, url, data_dir, **({"send_rate": str(send_rate)} if send_rate else {}))
        process.start()
        try:
            assert process.process is not None
            _flood(fake, process.process.pid, 20, min(concurrency, 20), MOTCUA)  # warm-up: imports, caches
            return _flood(fake, process.process.pid, citizens, concurrency, MOTCUA)
        finally:
            process.stop()


def _echo(citizens: int, concurrency: int, *, paced: bool = False) -> dict[str, float]:
    with FakeBotAPI() as fake:
        polls = fake.polls_received
        pacing = ["--paced"] if paced else []
        echo = subprocess.Popen([sys.executable, "-m", "bench.echo_bot", fake.url, fake.token, *pacing],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            fake.wait_until(lambda: fake.polls_received > polls, timeout=60, message="the echo bot did not poll")
            _flood(fake, echo.pid, 20, min(concurrency, 20), ECHO)
            return _flood(fake, echo.pid, citizens, concurrency, ECHO)
        finally:
            echo.terminate()
            echo.wait(timeout=15)


class Round(TypedDict):
    motcua: dict[str, float]
    echo_bot: dict[str, float]
    echo_bot_paced: dict[str, float]
    cpu_ratio: float
    cpu_ratio_to_paced_echo: float


def _round(arguments: argparse.Namespace) -> Round:
    echo = _echo(arguments.citizens, arguments.concurrency)
    paced_echo = _echo(arguments.citizens, arguments.concurrency, paced=True)
    motcua = _motcua(arguments.citizens, arguments.concurrency, arguments.database_url, arguments.send_rate)
    return {
        "motcua": motcua,
        "echo_bot": echo,
        "echo_bot_paced": paced_echo,
        "cpu_ratio": round(motcua["cpu_ms_per_update"] / echo["cpu_ms_per_update"], 2),
        "cpu_ratio_to_paced_echo": round(motcua["cpu_ms_per_update"] / paced_echo["cpu_ms_per_update"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--send-rate", type=int, default=None, help="the bot's MOTCUA_SEND_RATE (default: its own)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three bots; the ratios are medians")
    arguments = parser.parse_args()
    rounds = [_round(arguments) for _ in range(arguments.rounds)]
    print(json.dumps({
        "cpu_ratio": statistics.median(r["cpu_ratio"] for r in rounds),
        "target_ratio": 2.0,
        "cpu_ratio_to_paced_echo": statistics.median(r["cpu_ratio_to_paced_echo"] for r in rounds),
        "rounds": rounds,
        "database": (arguments.database_url or "sqlite").split(":", 1)[0],
        "send_rate": arguments.send_rate or "default",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        "versions": {"python": platform.python_version(), "python-telegram-bot": version("python-telegram-bot"),
                     "SQLAlchemy": version("SQLAlchemy")},
        "date": time.strftime("%Y-%m-%d"),
    }, indent=2))


if __name__ == "__main__":
    main()
