"""The real bot as a child process (`python -m bot run`) pointed at the Bot API emulator: what
the sandbox runs, what the tests and benchmarks drive, and exactly what `motcua run` does."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sandbox.botapi import FakeBotAPI

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
SCRIPTED_BUDGET = 100_000
"""The per-chat budget of updates (`handlers.flood`) for tests and benchmarks, which drive a chat
far faster than any person; a test of the budget itself sets `chat_budget_updates`."""
NO_SCHEDULED_NOTICES = {"MOTCUA_REMINDER_WORKING_HOURS": "0", "MOTCUA_MORNING_DIGEST": "false"}
"""For tests and benchmarks: the officers' scheduled notices follow the real clock (a same-day case
gets a reminder from four working hours before closing, 13:00 in Tây Đằng; the digest goes at
07:30), so the messages a run counts would depend on the hour it runs. Both are tested with a
clock of their own (tests/integration/test_reminders.py)."""


class BotDidNotStart(Exception):
    """The bot exited or did not poll the emulator in time; the message ends with its log."""


class BotProcess:
    """`settings` are MOTCUA_ variables without the prefix (`album_wait_seconds="0.7"`). Tests run
    in the data directory with none of the environment's MOTCUA_ variables, so a developer's
    configuration cannot leak in; the sandbox keeps them (`own_settings`), since they are the office's.
    Tests also get a per-chat budget no script reaches (`SCRIPTED_BUDGET`) and no scheduled
    notices to officers (`NO_SCHEDULED_NOTICES`) unless they set them."""

    def __init__(self, fake: FakeBotAPI, database_url: str, data_dir: Path, *, cwd: Path | None = None,
                 die_with_parent: bool = False, own_settings: bool = False, webhook: str | None = None,
                 log_name: str = "bot.log", module: str = "bot", **settings: str) -> None:
        """`webhook`: run with `--webhook URL` (give `listen` too) instead of polling; `module`: what
        `python -m` runs (a benchmark's variant of the bot, see bench/cost_parts.py)."""
        self.fake = fake
        self.webhook = webhook
        self.data_dir = data_dir
        self.cwd = cwd or data_dir
        self.die_with_parent = die_with_parent
        self.module = module
        self.log_path = data_dir / log_name
        self.env = {
            **{k: v for k, v in os.environ.items() if own_settings or not k.startswith("MOTCUA_")},
            "MOTCUA_TELEGRAM_TOKEN": fake.token,
            "MOTCUA_TELEGRAM_API_URL": fake.url,
            "MOTCUA_DATABASE_URL": database_url,
            "MOTCUA_DATA_DIR": str(data_dir),
            "PYTHONUNBUFFERED": "1",
            **({} if own_settings else {"MOTCUA_CHAT_BUDGET_UPDATES": str(SCRIPTED_BUDGET), **NO_SCHEDULED_NOTICES}),
            **{f"MOTCUA_{key.upper()}": value for key, value in settings.items()},
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Returns once the bot polls the emulator, or, with a webhook, once it has set it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        polls_before = self.fake.polls_received
        webhooks_before = self._webhooks_set()
        command = [sys.executable, "-m", self.module, "run", *(["--webhook", self.webhook] if self.webhook else [])]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=self.cwd, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            preexec_fn=_die_with_parent if self.die_with_parent else None)
        deadline = time.monotonic() + timeout
        while (self._webhooks_set() <= webhooks_before if self.webhook else self.fake.polls_received <= polls_before):
            if self.process.poll() is not None:
                raise BotDidNotStart(f"the bot exited with code {self.process.returncode} before it started; "
                                     f"its log ({self.log_path}):\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                raise BotDidNotStart(f"the bot did not start within {timeout:.0f}s; its log ({self.log_path}):\n"
                                     f"{self.log()[-4000:]}")
            time.sleep(0.05)

    def _webhooks_set(self) -> int:
        return sum(1 for request in list(self.fake.requests) if request.method == "setWebhook" and request.status == 200)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when the machine loses power."""
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM: the bot confirms its last updates and lets its sends finish."""
        if not self.running:
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()


def _prctl() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl() if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1
_SIGTERM = int(signal.SIGTERM)


def _die_with_parent() -> None:
    """In the forked child (so nothing is imported or allocated here): get SIGTERM when the
    parent dies without stopping the bot, e.g. killed with SIGKILL (Linux only)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, _SIGTERM)
