"""The real bot, started as its own process (`python -m bot run`) against the fake Bot API server,
so tests exercise exactly what `motcua run` does, including a kill and a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sandbox.botapi import FakeBotAPI

REPO = Path(__file__).resolve().parents[1]


class BotProcess:
    def __init__(self, fake: FakeBotAPI, database_url: str, data_dir: Path, **settings: str) -> None:
        self.fake = fake
        self.data_dir = data_dir
        self.log_path = data_dir / "bot.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")},
            "MOTCUA_TELEGRAM_TOKEN": fake.token,
            "MOTCUA_TELEGRAM_API_URL": fake.url,
            "MOTCUA_DATABASE_URL": database_url,
            "MOTCUA_DATA_DIR": str(data_dir),
            "MOTCUA_ALBUM_WAIT_SECONDS": "0.7",
            **{f"MOTCUA_{key.upper()}": value for key, value in settings.items()},
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        polls_before = self._polls()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=self.data_dir, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while self._polls() <= polls_before:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the bot did not start polling; its log:\n{self.log()}")
            time.sleep(0.05)

    def _polls(self) -> int:
        return self.fake.polls_received

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when the machine loses power."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
