"""Benchmark: where the cost of an update goes (the companion of bench.full_flow). The same flood
of citizens runs against the bot as it is, against the bot without its database work, and
without its database work and rich replies (see bench.parts_bot), and against the bare echo
bot; each row's CPU time per update, less the next row's, is what that part costs.

    .venv/bin/python -m bench.cost_parts [--citizens 300] [--concurrency 32] [--send-rate 1000]

The pacing is lifted by default (`--send-rate 1000`) so that the runs are short and the cost of
waiting for Telegram's limit stays out of the comparison.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from bench.environment import ROOT, describe
from bench.full_flow import MOTCUA, _echo, _flood
from sandbox.botapi import FakeBotAPI
from sandbox.botprocess import BotProcess
from storage.db import upgrade

DATABASE = "database"
RICH_REPLIES = "rich-replies"
"""The parts `bench.parts_bot` can take away. Named here so that this process never imports the bot:
it hosts the fake Bot API, and a heavier process answers more slowly, which changes how the bot
under test batches its getUpdates calls and so its cost per update."""

VARIANTS = {
    "the bot as it is": "",
    "without its database work": DATABASE,
    "without its database work and rich replies": f"{DATABASE},{RICH_REPLIES}",
}


def _variant(without: str, citizens: int, concurrency: int, send_rate: int) -> float:
    data_dir = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
    url = f"sqlite:///{data_dir / 'bench.db'}"
    upgrade(url)
    with FakeBotAPI() as fake:
        process = BotProcess(fake, url, data_dir, module="bench.parts_bot", send_rate=str(send_rate),
                             bench_without=without)
        process.env["PYTHONPATH"] = str(ROOT)  # bench/ is not installed; the bot runs in its data directory
        process.start()
        try:
            assert process.process is not None
            _flood(fake, process.process.pid, 20, min(concurrency, 20), MOTCUA)  # warm-up
            return _flood(fake, process.process.pid, citizens, concurrency, MOTCUA)["cpu_ms_per_update"]
        finally:
            process.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--send-rate", type=int, default=1000)
    arguments = parser.parse_args()
    rows = {name: _variant(without, arguments.citizens, arguments.concurrency, arguments.send_rate)
            for name, without in VARIANTS.items()}
    rows["the echo bot"] = _echo(arguments.citizens, arguments.concurrency)["cpu_ms_per_update"]
    print(json.dumps({"cpu_ms_per_update": rows, "citizens": arguments.citizens,
                      "concurrency": arguments.concurrency, "send_rate": arguments.send_rate,
                      **describe("python-telegram-bot", "SQLAlchemy", "httpx", database_url="sqlite://")},
                     indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
