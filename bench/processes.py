"""Benchmark: updates handled per second by one bot process, and by three, on one PostgreSQL
database, for the same flood of citizens filing cases (sandbox/flood.py), fed by webhook through
a round-robin proxy. Officers take the cases as their cards arrive, but the timing stops when the
last citizen has a receipt: officers' cards go one a second per officer (Telegram's limit per
chat), which no number of processes changes.

    .venv/bin/python -m bench.processes [--citizens 200] [--send-rate 25] [--database-url URL]

`--send-rate` above 30 lifts the bot's own pacing (Telegram allows about 30 messages a second):
the bot then accepts it only against the emulator, and the figure shows what the processes can
handle rather than Telegram's limit. Without --database-url a throw-away PostgreSQL server is
started (its binaries must be installed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import uuid
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import create_engine, text

from sandbox.flood import Bots, Flood, FloodReport
from sandbox.postgres import PostgresServer


def _fresh_database(server_url: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def flood(server_url: str, processes: int, citizens: int, send_rate: int) -> FloodReport:
    data_dir = Path(tempfile.mkdtemp(prefix=f"motcua-bench-{processes}p-"))
    bots = Bots(_fresh_database(server_url), data_dir, processes, send_rate=str(send_rate))
    bots.start()
    try:
        report = Flood(bots.fake, citizens, officers_wait=False).run(timeout=1800)
        report.processes = processes
        return report
    finally:
        bots.stop()


def _postgres_version(server_url: str) -> str:
    engine = create_engine(server_url)
    with engine.connect() as connection:
        found = str(connection.execute(text("SHOW server_version")).scalar_one())
    engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--send-rate", type=int, default=25)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server (a database is created on it)")
    arguments = parser.parse_args()
    server = None if arguments.database_url else PostgresServer()
    url = arguments.database_url or server.start()  # type: ignore[union-attr]
    try:
        results = []
        for processes in (1, 3):
            load = os.getloadavg()[0]
            report = flood(url, processes, arguments.citizens, arguments.send_rate)
            results.append({"processes": processes, "updates": report.updates, "seconds": report.seconds,
                            "updates_per_second": round(report.updates / report.seconds, 1),
                            "load_average_before": round(load, 1)})
            time.sleep(1)
        print(json.dumps({
            "citizens": arguments.citizens, "send_rate": arguments.send_rate, "results": results,
            "gain": round(results[1]["updates_per_second"] / results[0]["updates_per_second"], 2),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU, {platform.platform()}",
            "python": platform.python_version(), "postgresql": _postgres_version(url),
            "python-telegram-bot": version("python-telegram-bot"), "date": time.strftime("%Y-%m-%d"),
        }, indent=2))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
