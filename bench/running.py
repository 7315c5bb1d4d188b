"""The real bot process against the fake Bot API server, on a migrated throw-away SQLite
database unless a database URL is given: what the benchmarks that drive the bot start."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sandbox.botapi import FakeBotAPI
from sandbox.botprocess import BotProcess
from storage.db import upgrade


@contextmanager
def running_bot(database_url: str | None, **settings: str) -> Iterator[tuple[FakeBotAPI, BotProcess, str]]:
    """The fake server, the bot process (polling it, with these `settings`) and the database URL;
    both stopped after."""
    data_dir = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
    url = database_url or f"sqlite:///{data_dir / 'bench.db'}"
    upgrade(url)
    fake = FakeBotAPI()
    fake.start()
    process = BotProcess(fake, url, data_dir, **settings)
    try:
        process.start()
        yield fake, process, url
    finally:
        process.stop()
        fake.stop()
