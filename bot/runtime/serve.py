"""Running the bot until SIGTERM or Ctrl+C: Telegram by long polling, the HTTP server for the
Zalo webhook when Zalo is configured, and the work beside (outbox, jobs); stopped in order, so
sends under way finish and nothing queued is lost."""

from __future__ import annotations

import asyncio
import signal

from telegram.error import InvalidToken

from bot.runtime.app import ALLOWED_UPDATES, Assembly, assemble, set_commands
from bot.runtime.server import EmbeddedServer, http_server
from bot.settings import Settings, SettingsError


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
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    application = assembly.application
    async with application:
        await set_commands(application)
        desk = assembly.desk
        desk.dialogs.bot_username = desk.dialogs.bot_username or application.bot.username
        await application.start()
        server = http_server(assembly) if assembly.zalo is not None else None
        serving = asyncio.create_task(server.serve()) if server is not None else None
        try:
            assembly.background.start()
            if assembly.zalo is not None:
                await assembly.zalo.webhook.resume()
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            await stop.wait()
        finally:
            await _stop(assembly, server, serving)


async def _stop(assembly: Assembly, server: EmbeddedServer | None, serving: asyncio.Task[None] | None) -> None:
    """Updates first (no new work), then the HTTP server, the chats' queued updates, the
    application's handlers, the outbox's sends in flight."""
    application = assembly.application
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if server is not None and serving is not None:
        server.should_exit = True
        await serving
    if assembly.zalo is not None:
        await assembly.zalo.webhook.updates.lanes.drain()
    await assembly.gate.drain()
    await application.stop()
    await assembly.background.stop()
    await assembly.telegram.close()
    if assembly.zalo is not None:
        await assembly.zalo.api.close()
