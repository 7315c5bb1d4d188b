"""Builds the python-telegram-bot Application: settings in, handlers registered, services attached."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.conversations import Conversations
from bot.settings import Settings
from bot.workdays import WorkCalendar
from dialogs.catalog import load_catalog
from dialogs.engine import Engine
from handlers import dialog
from handlers.albums import AlbumReplies
from locales import N_, get_translator
from storage.db import make_engine
from storage.files import FileStore

COMMANDS = (
    ("start", N_("Main menu")),
    ("cancel", N_("Cancel the current application")),
    ("language", N_("Tiếng Việt / English")),
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_application(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Application:  # type: ignore[type-arg]
    token = settings.require_token()
    catalog = load_catalog(settings.procedures_dir)
    files = FileStore(settings.files_dir)
    conversations = Conversations(
        make_engine(settings.resolved_database_url), Engine(catalog), settings,
        WorkCalendar(extra_holidays=frozenset(settings.extra_holidays),
                     extra_workdays=frozenset(settings.extra_workdays)),
        files, clock,
    )
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .post_init(_set_commands)
        .build()
    )
    application.bot_data.update({
        dialog.CONVERSATIONS: conversations,
        dialog.FILES: files,
        dialog.ALBUMS: AlbumReplies(settings.album_wait_seconds),
    })
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("language", dialog.on_language_menu, filters=private))
    application.add_handler(CallbackQueryHandler(dialog.on_language_menu, pattern=r"^m\.lang$"))
    application.add_handler(CallbackQueryHandler(dialog.on_language_choice, pattern=r"^l\."))
    application.add_handler(CallbackQueryHandler(dialog.on_button))
    application.add_handler(MessageHandler(private, dialog.on_message))
    application.add_error_handler(dialog.on_error)
    return application


async def _set_commands(application: Application) -> None:  # type: ignore[type-arg]
    """The command menu next to the text box, in Vietnamese by default and in English for English clients."""
    for language in ("vi", "en"):
        tr = get_translator(language)
        commands = [BotCommand(name, tr.gettext(description)) for name, description in COMMANDS]
        await application.bot.set_my_commands(commands, scope=BotCommandScopeDefault(),
                                              language_code=None if language == "vi" else language)


ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
