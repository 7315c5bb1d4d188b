"""What a benchmark's figures belong to: the date, the machine, the versions and the commit,
printed with every result so that bench/RESULTS.md can say where a number came from."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT,
                              timeout=5, check=False).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def database_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return f"PostgreSQL {connection.execute(text('SHOW server_version')).scalar_one()}"
    finally:
        engine.dispose()


def describe(*packages: str, database_url: str | None = None) -> dict[str, object]:
    """Date, machine (CPU, cores, memory, OS, load when measured), Python and `packages`, the
    database server and the commit."""
    versions = {"python": platform.python_version(), **{name: version(name) for name in packages}}
    if database_url is not None:
        versions["database"] = database_version(database_url)
    versions["commit"] = _commit()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpu": _cpu(), "cpus": os.cpu_count(), "memory_gb": _memory_gb(), "platform": platform.platform(),
                    "load_average": [round(n, 2) for n in os.getloadavg()]},
        "versions": versions,
    }
