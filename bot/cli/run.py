"""`motcua run`, `motcua sandbox` and `motcua start` (what `./scripts/run` calls)."""

from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import catalog, fail, settings
from bot.privacy.owner_only import restrict_existing
from bot.runtime.logs import configure_logging
from bot.settings import SettingsError, load_settings
from storage.db import make_engine, upgrade

SANDBOX_PORT = 8080
PortOption = Annotated[int, typer.Option("--port", help="port of the sandbox page on 127.0.0.1 (0: any free port)",
                                         min=0, max=65535)]
DataDirOption = Annotated[Path | None, typer.Option(
    "--data-dir", help="keep the sandbox's database and files in this directory (default: a throw-away one)")]


WebhookOption = Annotated[str | None, typer.Option(
    "--webhook", metavar="URL", help="receive Telegram updates by webhook at this HTTPS URL (ending in "
    "/telegram/webhook) instead of long polling; needed to run several processes (also MOTCUA_WEBHOOK_URL)")]
ListenOption = Annotated[str | None, typer.Option(
    "--listen", metavar="HOST:PORT", help="address of the bot's HTTP server: webhooks, /healthz, /metrics "
    "(also MOTCUA_LISTEN; default 127.0.0.1:8443)")]


def run(webhook: WebhookOption = None, listen: ListenOption = None) -> None:
    """Start the bot (long polling, or a webhook with --webhook), after applying pending database migrations."""
    from bot.runtime.instances import AnotherProcess, sole_receiver  # noqa: PLC0415 - only this command runs the bot
    from bot.runtime.serve import serve  # noqa: PLC0415

    config = settings(**{name: value for name, value in (("webhook_url", webhook), ("listen", listen)) if value})
    try:
        config.require_token()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    catalog(config)
    configure_logging(config.log_format)
    url = config.resolved_database_url
    try:
        with sole_receiver(make_engine(url), url, webhook=config.webhook_url is not None):
            _upgrade_apart(url)
            restrict_existing(config)
            asyncio.run(serve(config))
    except (AnotherProcess, SettingsError) as exc:
        raise fail(str(exc)) from None


def _upgrade_apart(url: str) -> None:
    """Pending migrations, applied by a child process that then exits: Alembic and the migration
    scripts (about 18 MB) never stay in the memory of the bot, which runs for months."""
    child = multiprocessing.get_context("spawn").Process(target=upgrade, args=(url,), name="motcua-migrate")
    child.start()
    child.join()
    if child.exitcode != 0:
        raise fail(f"the database could not be migrated (exit code {child.exitcode}; the error is above)")


def sandbox(port: PortOption = SANDBOX_PORT, data_dir: DataDirOption = None) -> None:
    """Try the whole bot without Telegram: a local Bot API emulator, the real bot and a web page
    with a citizen's, an officer's and the office staff's chats (http://127.0.0.1:8080)."""
    from sandbox.runner import run_sandbox  # noqa: PLC0415 - only this command needs the sandbox

    code = run_sandbox(port, data_dir)
    if code:
        raise typer.Exit(code=code)


def start(port: PortOption = SANDBOX_PORT, data_dir: DataDirOption = None) -> None:
    """`run` when MOTCUA_TELEGRAM_TOKEN is set (environment or .env); otherwise the local sandbox
    (the options apply to the sandbox only)."""
    try:
        load_settings().require_token()
    except SettingsError:
        pass
    else:
        run(None, None)
        return
    where = f"http://127.0.0.1:{port}" if port else "http://127.0.0.1 (a free port)"
    typer.echo(f"No MOTCUA_TELEGRAM_TOKEN: starting the local sandbox at {where} "
               "(set the token in .env to use real Telegram).")
    sandbox(port, data_dir)


def register(app: typer.Typer) -> None:
    for command in (run, sandbox, start):
        app.command()(command)
