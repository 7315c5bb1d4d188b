"""What the commune's IT person sees after a mistake: one line that names the setting to fix, and
never a secret (the bot's token, a database password), also when a command crashes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.cli import app
from sandbox.botapi import FakeBotAPI

REPO = Path(__file__).resolve().parents[2]
WRONG_TOKEN = "123456:AAH-wrong-secret-part"
PASSWORD = "s3cret-db-pass"


def motcua(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env |= {f"MOTCUA_{key.upper()}": value for key, value in settings.items()}
    env.pop("_TYPER_STANDARD_TRACEBACK", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_a_token_telegram_rejects_is_one_line_naming_the_setting_never_the_token(tmp_path: Path) -> None:
    with FakeBotAPI() as fake:  # answers 401 Unauthorized to any other token, as Telegram does
        ran = motcua("run", cwd=tmp_path, telegram_token=WRONG_TOKEN, telegram_api_url=fake.url,
                     data_dir=str(tmp_path / "data"))
        asked = [request.method for request in fake.requests]
    assert ran.returncode == 2
    assert asked == ["getMe"], "the bot stopped at its first call"
    errors = [line for line in ran.stderr.splitlines() if "Error" in line or "Traceback" in line]
    assert errors == ["Error: MOTCUA_TELEGRAM_TOKEN was rejected by Telegram (401 Unauthorized): copy the whole "
                      "token @BotFather gave the bot (digits, a colon, then letters) into .env again, or ask "
                      "@BotFather for a new one with /token."]
    assert "wrong-secret" not in ran.stdout + ran.stderr


def test_a_crash_report_shows_no_local_variables(tmp_path: Path) -> None:
    """Typer's crash report would print every local variable of every frame, among them the
    settings with the database URL and its password; the `motcua` app turns that off."""
    assert app.pretty_exceptions_show_locals is False
    url = f"postgresql+psycopg://motcua:{PASSWORD}@127.0.0.1:9/motcua?connect_timeout=2"
    crashed = motcua("cases", "list", cwd=tmp_path, database_url=url)
    assert crashed.returncode == 1 and "OperationalError" in crashed.stderr, crashed.stderr[-2000:]
    assert PASSWORD not in crashed.stdout + crashed.stderr
