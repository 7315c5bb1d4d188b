"""Builds the python-telegram-bot Application: settings in, handlers registered, services attached."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine as SqlEngine

from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.broadcasts import Broadcasts
from bot.conversations import Conversations
from bot.feedback import Feedbacks
from bot.lookup import CaseLookup
from bot.outbox import OutboxWorker
from bot.pacing import Pacing
from bot.report import Reports
from bot.reminders import run_jobs
from bot.settings import Settings
from bot.workdays import WorkCalendar
from bot.workflow import CaseWorkflow
from dialogs.catalog import Catalog, load_catalog
from dialogs.engine import Engine
from handlers import broadcast, dialog, feedback, lookup, officer
from handlers.albums import AlbumReplies
from handlers.report import REPORTS, on_report
from locales import N_, get_translator
from storage.db import make_engine
from storage.files import FileStore

log = logging.getLogger(__name__)
JOBS_INTERVAL_SECONDS = 60
PROGRESS_INTERVAL_SECONDS = 3

COMMANDS = (
    ("start", N_("Main menu")),
    ("cancel", N_("Cancel the current application")),
    ("language", N_("Tiếng Việt / English")),
    ("tracuu", N_("Look up a case")),
    ("gopy", N_("Send feedback to the office")),
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_application(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Application:  # type: ignore[type-arg]
    token = settings.require_token()
    catalog = load_catalog(settings.procedures_dir)
    files = FileStore(settings.files_dir)
    db = make_engine(settings.resolved_database_url)
    calendar = WorkCalendar(extra_holidays=frozenset(settings.extra_holidays),
                            extra_workdays=frozenset(settings.extra_workdays))
    workflow = CaseWorkflow(db, catalog, settings, calendar, clock)
    pacing = Pacing(settings.send_rate)
    conversations = Conversations(db, Engine(catalog), workflow, settings, calendar, files, clock)
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .rate_limiter(pacing)
        .post_init(_start_background_work)
        .post_stop(_stop_background_work)
        .build()
    )
    application.bot_data.update({
        dialog.CONVERSATIONS: conversations,
        dialog.FILES: files,
        dialog.ALBUMS: AlbumReplies(settings.album_wait_seconds),
        officer.WORKFLOW: workflow,
        REPORTS: Reports(db, catalog, calendar, settings.tz, clock, settings.office_name),
        broadcast.BROADCASTS: Broadcasts(db, clock, settings.send_rate),
        lookup.LOOKUP: CaseLookup(db, catalog, settings.tz),
        feedback.FEEDBACK: Feedbacks(db, settings.tz, clock),
        BACKGROUND: _Background(db, catalog, settings, calendar, clock, pacing),
    })
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", officer.on_invite, filters=private & filters.Regex(r"^/start inv_")))
    application.add_handler(CommandHandler("start", lookup.on_case_link, filters=private & filters.Regex(r"^/start c_")))
    application.add_handler(CommandHandler("tracuu", lookup.on_lookup_command, filters=private))
    application.add_handler(CallbackQueryHandler(lookup.on_lookup_menu, pattern=r"^m\.lookup$"))
    application.add_handler(CallbackQueryHandler(lookup.on_my_cases, pattern=r"^m\.mine$"))
    application.add_handler(CallbackQueryHandler(lookup.on_case_button, pattern=r"^k\."))
    application.add_handler(CommandHandler("language", dialog.on_language_menu, filters=private))
    application.add_handler(CommandHandler("hoso", officer.on_work_list, filters=private))
    application.add_handler(CommandHandler("thongke", on_report, filters=private))
    application.add_handler(CommandHandler("thongbao", broadcast.on_announce, filters=private))
    application.add_handler(CommandHandler("huythongbao", broadcast.on_unsubscribe, filters=private))
    application.add_handler(CommandHandler("nhanthongbao", broadcast.on_subscribe, filters=private))
    application.add_handler(CallbackQueryHandler(broadcast.on_unsubscribe, pattern=r"^m\.unsub$"))
    application.add_handler(CallbackQueryHandler(broadcast.on_decision, pattern=r"^b\."))
    application.add_handler(CallbackQueryHandler(officer.on_officer_button, pattern=r"^o\."))
    application.add_handler(CommandHandler("gopy", feedback.on_feedback_menu, filters=private))
    application.add_handler(CallbackQueryHandler(feedback.on_feedback_menu, pattern=r"^m\.feedback$"))
    application.add_handler(CallbackQueryHandler(feedback.on_rating, pattern=r"^r\."))
    application.add_handler(CallbackQueryHandler(feedback.on_answer_button, pattern=r"^f\."))
    application.add_handler(CallbackQueryHandler(dialog.on_language_menu, pattern=r"^m\.lang$"))
    application.add_handler(CallbackQueryHandler(dialog.on_language_choice, pattern=r"^l\."))
    application.add_handler(CallbackQueryHandler(dialog.on_button))
    # Only replies to a rating-comment, feedback or answer prompt match; other messages go on.
    application.add_handler(MessageHandler(private & feedback.PROMPT_REPLY, feedback.on_prompt_reply))
    application.add_handler(MessageHandler(private, dialog.on_message))
    application.add_error_handler(dialog.on_error)
    return application


BACKGROUND = "background"


class _Background:
    """Work that runs beside update handling: the outbox worker and the scheduled notices."""

    def __init__(self, db: SqlEngine, catalog: Catalog, settings: Settings, calendar: WorkCalendar,
                 clock: Callable[[], datetime], pacing: Pacing) -> None:
        self.db, self.catalog, self.settings, self.calendar, self.clock = db, catalog, settings, calendar, clock
        self.pacing = pacing
        self.tasks: list[asyncio.Task[None]] = []
        self.worker: OutboxWorker | None = None

    async def jobs_forever(self) -> None:
        while True:
            try:
                await asyncio.to_thread(run_jobs, self.db, self.catalog, self.settings, self.calendar, self.clock())
            except Exception:  # noqa: BLE001 - a failed round is retried at the next one
                log.exception("scheduled jobs failed")
            await asyncio.sleep(JOBS_INTERVAL_SECONDS)


async def _start_background_work(application: Application) -> None:  # type: ignore[type-arg]
    await _set_commands(application)
    conversations: Conversations = application.bot_data[dialog.CONVERSATIONS]
    conversations.bot_username = conversations.bot_username or application.bot.username
    background: _Background = application.bot_data[BACKGROUND]
    background.worker = OutboxWorker(background.db, application.bot, background.clock, background.pacing)
    application.bot_data[broadcast.WAKE_OUTBOX] = background.worker.wake.set
    progress = _progress_forever(application, conversations)
    background.tasks = [asyncio.create_task(background.worker.run()), asyncio.create_task(background.jobs_forever()),
                        asyncio.create_task(progress)]


async def _progress_forever(application: Application, conversations: Conversations) -> None:  # type: ignore[type-arg]
    """Keep each running announcement's progress message up to date for its author."""
    service: Broadcasts = application.bot_data[broadcast.BROADCASTS]
    while True:
        try:
            await broadcast.report_progress(application.bot, service, lambda chat: conversations.peek(chat)[0])
        except Exception:  # noqa: BLE001 - progress display must not stop
            log.exception("broadcast progress failed")
        await asyncio.sleep(PROGRESS_INTERVAL_SECONDS)


async def _stop_background_work(application: Application) -> None:  # type: ignore[type-arg]
    background: _Background = application.bot_data[BACKGROUND]
    if background.worker is not None:
        await background.worker.stop()
    for task in background.tasks:
        task.cancel()
    await asyncio.gather(*background.tasks, return_exceptions=True)


async def _set_commands(application: Application) -> None:  # type: ignore[type-arg]
    """The command menu next to the text box, in Vietnamese by default and in English for English clients."""
    for language in ("vi", "en"):
        tr = get_translator(language)
        commands = [BotCommand(name, tr.gettext(description)) for name, description in COMMANDS]
        await application.bot.set_my_commands(commands, scope=BotCommandScopeDefault(),
                                              language_code=None if language == "vi" else language)


ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
