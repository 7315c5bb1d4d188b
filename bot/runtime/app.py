"""Builds the running bot: settings in, the desk's services built once, the Telegram
application with its one entry point, and the work beside update handling (outbox, jobs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.ext import Application, ApplicationBuilder, TypeHandler

from bot.announcements.broadcasts import Broadcasts
from bot.cases.due_dates import WorkCalendar
from bot.cases.filing import CaseFiling
from bot.cases.lookup import CaseLookup
from bot.cases.notices import CaseNotices
from bot.cases.supplement import Supplements
from bot.cases.work_list import WorkList
from bot.cases.workflow import CaseWorkflow
from bot.conversation.dialogs import CitizenDialogs
from bot.conversation.turns import Turns
from bot.feedback.feedback import Feedbacks
from bot.feedback.ratings import Ratings
from bot.reports.message import Reports
from bot.runtime.background import Background
from bot.runtime.pacing import Pacing
from bot.settings import Settings
from bot.staff.members import Invitations
from dialogs.catalog import load_catalog
from dialogs.engine import DialogEngine
from handlers.desk import Desk
from handlers.telegram import updates
from handlers.telegram.albums import AlbumReplies
from handlers.telegram.channel import TelegramChannel
from locales import N_, get_translator
from storage.db import make_engine
from storage.files import FileStore

BACKGROUND = "background"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
COMMANDS = (
    ("start", N_("Main menu")),
    ("cancel", N_("Cancel the current application")),
    ("language", N_("Tiếng Việt / English")),
    ("tracuu", N_("Look up a case")),
    ("gopy", N_("Send feedback to the office")),
)
"""The menu next to the text box: the citizens' commands (staff commands are in the README)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_desk(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Desk:
    catalog = load_catalog(settings.procedures_dir)
    db = make_engine(settings.resolved_database_url)
    files = FileStore(settings.files_dir)
    calendar = WorkCalendar.of(settings)
    turns = Turns(db, clock)
    notices = CaseNotices(catalog, settings, clock)
    workflow = CaseWorkflow(turns, notices, settings.tz)
    dialogs = CitizenDialogs(turns, DialogEngine(catalog), CaseFiling(settings, calendar, notices),
                             Supplements(catalog, settings, calendar, notices, clock), settings, files)
    return Desk(
        turns=turns,
        dialogs=dialogs,
        workflow=workflow,
        work_list=WorkList(workflow),
        lookup=CaseLookup(db, catalog, settings.tz),
        ratings=Ratings(turns),
        feedbacks=Feedbacks(turns, settings.tz),
        broadcasts=Broadcasts(turns, settings.send_rate),
        reports=Reports(db, catalog, calendar, settings.tz, clock, settings.office_name),
        invitations=Invitations(turns),
        files=files,
    )


def build_application(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Application:  # type: ignore[type-arg]
    token = settings.require_token()
    desk = build_desk(settings, clock)
    pacing = Pacing(settings.send_rate)
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
    background = Background(desk, settings, pacing, clock)
    channel = TelegramChannel(application.bot, desk.files, settings.max_file_bytes, background.wake_outbox)
    background.channel = channel
    application.bot_data.update({
        updates.DESK: desk,
        updates.CHANNEL: channel,
        updates.ALBUMS: AlbumReplies(settings.album_wait_seconds),
        BACKGROUND: background,
    })
    application.add_handler(TypeHandler(Update, updates.on_update))
    application.add_error_handler(updates.on_error)
    return application


async def _start_background_work(application: Application) -> None:  # type: ignore[type-arg]
    await _set_commands(application)
    background: Background = application.bot_data[BACKGROUND]
    desk: Desk = application.bot_data[updates.DESK]
    desk.dialogs.bot_username = desk.dialogs.bot_username or application.bot.username
    background.start()


async def _stop_background_work(application: Application) -> None:  # type: ignore[type-arg]
    background: Background = application.bot_data[BACKGROUND]
    await background.stop()


async def _set_commands(application: Application) -> None:  # type: ignore[type-arg]
    """The command menu next to the text box, in Vietnamese by default and in English for English clients."""
    for language in ("vi", "en"):
        tr = get_translator(language)
        commands = [BotCommand(name, tr.gettext(description)) for name, description in COMMANDS]
        await application.bot.set_my_commands(commands, scope=BotCommandScopeDefault(),
                                              language_code=None if language == "vi" else language)
