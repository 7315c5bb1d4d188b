"""Running the bot until SIGTERM or Ctrl+C: Telegram by long polling (the default) or by webhook,
the HTTP server (webhooks, /healthz, /metrics) when it is wanted, the leadership that runs the
work beside (outbox, jobs); stopped in order, so sends under way finish and nothing queued is lost."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from telegram.error import InvalidToken

from bot.runtime.app import ALLOWED_UPDATES, Assembly, assemble, set_commands
from bot.settings import Settings, SettingsError
from storage.locks import is_postgresql

if TYPE_CHECKING:
    from bot.runtime.server import EmbeddedServer


log = logging.getLogger(__name__)

SQLITE_THREADS = 2
"""Threads for the database work (`asyncio.to_thread`) of a bot on SQLite, instead of asyncio's
six on a 2-core machine: SQLite lets one transaction write at a time, so more threads mostly wait
for its lock or for the interpreter, and with six each update cost about a tenth more CPU time
(bench/RESULTS.md). Two leave a citizen's turn a thread while another does something slow (a
report's chart, the daily purge). PostgreSQL keeps asyncio's default: its queries wait on the
network and on other processes' locks."""

TOKEN_REJECTED = ("MOTCUA_TELEGRAM_TOKEN was rejected by Telegram (401 Unauthorized): copy the whole token "
                  "@BotFather gave the bot (digits, a colon, then letters) into .env again, or ask @BotFather for "
                  "a new one with /token.")


async def serve(settings: Settings) -> None:
    """`SettingsError` when Telegram refuses the token: said in one line that names the setting and
    never shows the token (python-telegram-bot's own message quotes it)."""
    try:
        await _serve(settings)
    except InvalidToken:
        raise SettingsError(TOKEN_REJECTED) from None


async def _serve(settings: Settings) -> None:
    assembly = assemble(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if not is_postgresql(assembly.desk.turns.db):
        loop.set_default_executor(ThreadPoolExecutor(SQLITE_THREADS, thread_name_prefix="database"))
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    application = assembly.application
    async with application:
        await set_commands(application)
        desk = assembly.desk
        desk.dialogs.bot_username = desk.dialogs.bot_username or application.bot.username
        _set_aside_from_collection()  # before any update or request comes in: the pass takes a tenth of a second
        await application.start()
        server = _http_server(assembly) if settings.serves_http else None
        serving = asyncio.create_task(server.serve()) if server is not None else None
        try:
            # Before the leader's daily purge, which deletes what is left over a week.
            await assembly.inbox.resume(application, polling=assembly.webhook is None)
            assembly.leadership.start()
            if assembly.zalo is not None:
                await assembly.zalo.webhook.resume()
            if assembly.webhook is not None:
                assert settings.webhook_url is not None
                await _until_listening(server, serving)
                await assembly.webhook.register(settings.webhook_url, ALLOWED_UPDATES)
            else:
                assert application.updater is not None
                # python-telegram-bot deletes any webhook before polling: switching back needs nothing more.
                await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            await stop.wait()
        finally:
            await _stop(assembly, server, serving)


def _set_aside_from_collection() -> None:
    """What starting made (modules, procedures, forms, translations, python-telegram-bot's and
    SQLAlchemy's caches: about 166,000 objects) lives as long as the process. Frozen, it is left
    out of Python's garbage collection, whose full passes otherwise walk all of it again, about
    every 800 updates of the benchmark at 130 ms each (bench/RESULTS.md). A last collection
    first, so nothing frozen is garbage."""
    gc.collect()
    gc.freeze()


async def _forget_handled(assembly: Assembly) -> None:
    """Every update in hand is handled now; should the database not answer, the next start hands
    the last ones over again, and what they changed is not done twice."""
    try:
        await assembly.inbox.close()
    except SQLAlchemyError:
        log.exception("could not mark the last updates handled")


def _http_server(assembly: Assembly) -> EmbeddedServer:
    """uvicorn is loaded only when the bot serves HTTP: a bot that only polls Telegram keeps its
    memory (bench/RESULTS.md, memory with dialogs in progress)."""
    from bot.runtime.server import http_server  # noqa: PLC0415

    return http_server(assembly)


async def _until_listening(server: EmbeddedServer | None, serving: asyncio.Task[None] | None) -> None:
    """Telegram may post the moment the webhook is set: listen first (a port already taken ends here)."""
    assert server is not None and serving is not None
    while not server.started:
        if serving.done():
            serving.result()
            raise SystemExit(f"the HTTP server did not start on {server.config.host}:{server.config.port}")
        await asyncio.sleep(0.05)


async def _stop(assembly: Assembly, server: EmbeddedServer | None, serving: asyncio.Task[None] | None) -> None:
    """Updates first (no new work), then the HTTP server (webhook requests under way are answered
    once handled), the updates fetched and the chats' queued updates (handled while the bot can
    still send), the application (an album's merged answer), the leader's work (the outbox's sends
    in flight). The webhook stays set: the other processes, or this one restarted, go on
    receiving, and Telegram keeps the updates meanwhile."""
    application = assembly.application
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if server is not None and serving is not None:
        server.should_exit = True
        await asyncio.gather(serving, return_exceptions=True)
    await application.update_queue.join()  # every update fetched is in its chat's lane
    if assembly.zalo is not None:
        await assembly.zalo.webhook.updates.lanes.drain()
    await assembly.updates.drain()
    await application.stop()
    await _forget_handled(assembly)
    await assembly.leadership.stop()
    await assembly.telegram.close()
    if assembly.zalo is not None:
        await assembly.zalo.api.close()
