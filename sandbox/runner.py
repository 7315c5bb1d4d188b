"""`motcua sandbox`: the whole bot on one computer, without Telegram or Zalo.

One process tree: this process serves the Bot API emulator (sandbox.botapi, the server the test
suite checks the bot against), a fake Zalo Official Account (sandbox.zaloapi, sandbox.zalo_oa) and
the page on 127.0.0.1; the real bot runs as a child process (`python -m bot run`) pointed at both,
its Zalo webhook on a free local port, with a throw-away SQLite database and data directory unless
`--data-dir` keeps them. Ctrl+C or SIGTERM stops the bot, then the servers, and removes the
throw-away directory.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from bot.settings import Settings, SettingsError, load_settings
from dialogs.catalog import CatalogError
from sandbox import zalo_oa
from sandbox.botapi import FakeBotAPI
from sandbox.botprocess import BotDidNotStart, BotProcess
from sandbox.people import ZALO_CITIZEN, last_processed_update, seed
from sandbox.web import SandboxWeb
from sandbox.zalo_panel import ZaloPanel
from sandbox.zaloapi import FakeZaloOA

log = logging.getLogger("motcua.sandbox")
TOKEN = "123456789:SANDBOX-local-emulator"
BOT_USERNAME = "motcua_sandbox_bot"
STATE_FILE = "sandbox-state.json"
"""The emulator's counters and the fake Zalo OA's users, kept with --data-dir; written as soon as
the sandbox makes a database, it also marks the directory as the sandbox's own (see `_refuse_foreign`)."""
DATABASE_FILE = "motcua.db"
LOG_FILE = "bot.log"
START_TIMEOUT = 90.0
SAVE_EVERY = 5.0


class SandboxError(Exception):
    """The sandbox cannot start; the message is one line for the person who ran it."""


class Sandbox:
    """Start with `start()`, stop with `stop()` (idempotent); `url` is the page's address."""

    def __init__(self, port: int = 8080, data_dir: Path | None = None, *, album_wait_seconds: float = 0.5,
                 cwd: Path | None = None, settings: Settings | None = None) -> None:
        self.port = port
        self.keep = data_dir is not None
        self.requested_dir = data_dir
        self.album_wait_seconds = album_wait_seconds
        self.cwd = cwd or Path.cwd()
        self.settings = settings
        self.data_dir: Path | None = None
        self.api: FakeBotAPI | None = None
        self.zalo: FakeZaloOA | None = None
        self.web: SandboxWeb | None = None
        self.process: BotProcess | None = None
        self._violations_logged = 0
        self._zalo_violations_logged = 0
        self._saved_at = 0.0
        self._stopped = False

    # ----------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        assert self.web is not None, "start() first"
        return self.web.url

    @property
    def database_url(self) -> str:
        assert self.data_dir is not None
        return f"sqlite:///{(self.data_dir / DATABASE_FILE).resolve()}"

    @property
    def log_path(self) -> Path:
        assert self.data_dir is not None
        return self.data_dir / LOG_FILE

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        settings = self.settings or _settings()
        if self.requested_dir is not None:
            self.data_dir = self.requested_dir.expanduser().resolve()
            _refuse_foreign(self.data_dir)
            self.data_dir.mkdir(parents=True, exist_ok=True)
        else:
            self.data_dir = Path(tempfile.mkdtemp(prefix="motcua-sandbox-"))
        self.api = FakeBotAPI(token=TOKEN, bot_username=BOT_USERNAME)
        try:
            counters, zalo_state = self._read_state()
            self._resume_counters(counters)
            if not (self.data_dir / DATABASE_FILE).exists():
                self._save_state()
            seed(self.database_url, settings.procedures_dir, self.api)
        except CatalogError as exc:
            raise SandboxError(str(exc)) from None
        self.zalo = zalo_oa.new_fake(self.database_url, zalo_state, settings.zalo_status_template)
        self.api.start()
        self.zalo.start()
        try:
            self.web = SandboxWeb(self.api, self.port, self.bot_status,
                                  ZaloPanel(self.zalo, ZALO_CITIZEN, self.bot_status))
        except OSError as exc:
            raise SandboxError(f"cannot serve the page on 127.0.0.1:{self.port} ({exc.strerror or exc}); "
                               "choose another port with --port") from None
        self.web.start()
        self._start_bot(settings.zalo_webhook_path)

    def _read_state(self) -> tuple[dict[str, int], dict[str, Any] | None]:
        """The emulator's counters and the fake Zalo OA's saved users (older state files hold
        only the counters)."""
        assert self.data_dir is not None
        state = self.data_dir / STATE_FILE
        if not state.exists():
            return {}, None
        try:
            data = json.loads(state.read_text())
            zalo = data.pop("zalo", None)
            return {k: int(v) for k, v in data.items()}, zalo if isinstance(zalo, dict) else None
        except (ValueError, AttributeError, TypeError):
            log.warning("ignoring unreadable %s", state)
            return {}, None

    def _resume_counters(self, counters: dict[str, int]) -> None:
        assert self.api is not None and self.data_dir is not None
        if (self.data_dir / DATABASE_FILE).exists():
            counters["update_id"] = max(counters.get("update_id", 0), last_processed_update(self.database_url) + 1)
        self.api.resume_counters(counters)

    def _save_state(self) -> None:
        if self.keep and self.api is not None and self.data_dir is not None:
            state: dict[str, Any] = dict(self.api.counters())
            if self.zalo is not None:
                state["zalo"] = zalo_oa.saved_state(self.zalo)
            path = self.data_dir / STATE_FILE
            path.with_suffix(".tmp").write_text(json.dumps(state, ensure_ascii=False))
            path.with_suffix(".tmp").replace(path)
        self._saved_at = time.monotonic()

    def _start_bot(self, webhook_path: str) -> None:
        """The bot, then its Zalo webhook: the fake posts events only once the bot listens."""
        assert self.api is not None and self.zalo is not None and self.data_dir is not None
        port = zalo_oa.free_port()
        self.process = BotProcess(self.api, self.database_url, self.data_dir, cwd=self.cwd, die_with_parent=True, own_settings=True,
                                  bot_username=BOT_USERNAME, album_wait_seconds=str(self.album_wait_seconds),
                                  **zalo_oa.bot_settings(self.zalo, port, webhook_path))
        try:
            self.process.start(timeout=START_TIMEOUT)
            zalo_oa.wait_for_health(port, self.process)
        except BotDidNotStart as exc:
            raise SandboxError(str(exc)) from None
        self.zalo.webhook_url = f"http://127.0.0.1:{port}{webhook_path}"

    def stop(self) -> None:
        """Stop the bot (it confirms its last updates to the emulator and finishes the Zalo events
        it took), then the servers; remove the throw-away data directory."""
        if self._stopped:
            return
        self._stopped = True
        if self.process is not None:
            self.process.stop()
        self.check()
        self._save_state()
        if self.web is not None:
            self.web.stop()
        if self.api is not None:
            self.api.stop()
        if self.zalo is not None:
            self.zalo.stop()
        if not self.keep and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    # ------------------------------------------------------------------ watching
    def bot_status(self) -> dict[str, Any]:
        running = self.process is not None and self.process.running
        return {"running": running, "log": str(self.log_path) if self.data_dir else None}

    def check(self) -> None:
        """Log contract violations (Bot API and Zalo OA API) not logged yet; save the state now and then."""
        if self.api is None:
            return
        violations = list(self.api.violations)
        for violation in violations[self._violations_logged:]:
            log.warning("Bot API contract violation: %s", violation)
        self._violations_logged = len(violations)
        zalo_violations = list(self.zalo.violations) if self.zalo is not None else []
        for violation in zalo_violations[self._zalo_violations_logged:]:
            log.warning("Zalo OA API contract violation: %s", violation)
        self._zalo_violations_logged = len(zalo_violations)
        if time.monotonic() - self._saved_at > SAVE_EVERY:
            self._save_state()

    def log_tail(self, lines: int = 30) -> str:
        if self.data_dir is None or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _refuse_foreign(data_dir: Path) -> None:
    """The sandbox adds made-up staff, citizens and messages to its database: never to a real
    desk's. A database without the sandbox's state file beside it was not made by the sandbox."""
    database = data_dir / DATABASE_FILE
    if database.exists() and not (data_dir / STATE_FILE).exists():
        raise SandboxError(f"{database} is not a sandbox database (the sandbox writes {STATE_FILE} beside every "
                           f"database it makes, and {data_dir} has none): give --data-dir a new or empty directory")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise SandboxError(str(exc)) from None


def run_sandbox(port: int = 8080, data_dir: Path | None = None) -> int:
    """Run until Ctrl+C or SIGTERM; print one line with the page's address. Returns the exit code."""
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    sandbox = Sandbox(port, data_dir)
    try:
        try:
            sandbox.start()
        except SandboxError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            return 2
        kept = f"data kept in {sandbox.data_dir}" if sandbox.keep else "throw-away data"
        print(f"Sandbox: open {sandbox.url} in a browser ({kept}; bot log: {sandbox.log_path}; Ctrl+C to stop)",
              flush=True)
        while not stop.wait(0.5):
            sandbox.check()
            if sandbox.process is not None and not sandbox.process.running:
                assert sandbox.process.process is not None
                print(f"Error: the bot stopped (exit code {sandbox.process.process.returncode}); its log:\n"
                      f"{sandbox.log_tail()}", file=sys.stderr)
                return 1
        return 0
    finally:
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
