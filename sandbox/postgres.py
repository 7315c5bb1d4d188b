"""A throw-away PostgreSQL server, started in a temporary directory: for the test suite (which
must prove itself on PostgreSQL as well as SQLite, so a missing server is a failure with
instructions, never a skip) and for the benchmarks.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise PostgresUnavailable(
            f"PostgreSQL's {name} was not found. Install the server binaries "
            "(Debian: apt-get install postgresql-15) or run the README's test command, which does."
        )
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """initdb + pg_ctl in a temporary directory, run as the `postgres` user when we are root
    (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="motcua-pg-"))
        self.port = _free_port()
        self._as_root = os.geteuid() == 0

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_root else []
        completed = subprocess.run([*prefix, *command], capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(command)} failed: {completed.stderr.strip() or completed.stdout.strip()}")

    def start(self) -> str:
        initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
        data = self.directory / "data"
        if self._as_root:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8")
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(pg_ctl, "-D", str(data), "-o", options, "-l", str(self.directory / "server.log"), "-w", "start")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        data = self.directory / "data"
        if data.exists():
            try:
                self._run(_binary("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
            except PostgresUnavailable:
                pass
        shutil.rmtree(self.directory, ignore_errors=True)
