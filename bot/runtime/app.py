"""Builds the running bot: settings in, the desk's services built once, one adapter per channel
(Telegram always, Zalo when configured), the outbox worker that sends through the channel of
each chat, and the HTTP server for webhooks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.ext import Application, ApplicationBuilder, TypeHandler

from bot.announcements.broadcasts import Broadcasts
from bot.announcements.urgency import (
    PAID_RATE,
    PAID_RATE_REACHED,
    PAID_RATE_REACHED_SHARED,
    Rates,
)
from bot.cases.due_dates import WorkCalendar
from bot.cases.filing import CaseFiling
from bot.cases.lookup import CaseLookup
from bot.cases.notices import CaseNotices
from bot.cases.supplement import Supplements
from bot.cases.work_list import WorkList
from bot.cases.workflow import CaseWorkflow
from bot.conversation.chats import TELEGRAM, ZALO, ChatDirectory
from bot.conversation.dialogs import CitizenDialogs
from bot.conversation.turns import Turns
from bot.feedback.feedback import Feedbacks
from bot.feedback.ratings import Ratings
from bot.privacy.rights import CitizenRights
from bot.reports.message import Reports
from bot.runtime.background import Background
from bot.runtime.concurrency import QUEUED, RUNNING, PerChatUpdates
from bot.runtime.inbox import PolledInbox
from bot.runtime.leader import Leadership
from bot.runtime.metrics import MeteredRequest, Metrics
from bot.runtime.outbox_sender import IN_FLIGHT, PAID_IN_FLIGHT
from bot.runtime.pacing import WINDOW, Pacing, SendBudget, shared_window_for
from bot.runtime.polling import SpacedPolls
from bot.runtime.webhook import Receipts, TelegramWebhook
from bot.settings import Settings
from bot.staff.members import Invitations
from dialogs.catalog import load_catalog
from dialogs.engine import DialogEngine
from dialogs.output import Reply
from handlers.desk import Desk
from handlers.flood import FloodBudget, FloodGate
from handlers.telegram import updates
from handlers.telegram.albums import AlbumReplies
from handlers.telegram.channel import TelegramChannel
from handlers.zalo.api import ZaloApi
from handlers.zalo.channel import ZaloChannel
from handlers.zalo.tokens import TokenKeeper
from handlers.zalo.updates import ZaloUpdates
from handlers.zalo.webhook import ZaloWebhook
from locales import N_, get_translator
from storage.db import make_engine
from storage.files import FileStore
from storage.locks import is_postgresql

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
COMMANDS = (
    ("start", N_("Main menu")),
    ("cancel", N_("Cancel the current application")),
    ("language", N_("Tiếng Việt / English")),
    ("tracuu", N_("Look up a case")),
    ("gopy", N_("Send feedback to the office")),
    ("dulieu", N_("Your personal data: see, download, delete")),
)
"""The menu next to the text box: the citizens' commands (staff commands are in the README)."""


def connections(settings: Settings) -> int:
    """HTTP connections to the Bot API: one for every update handled at once and one for each
    of the outbox's sends under way, with room to spare, so no request waits for a connection
    (python-telegram-bot fails one that waits over a second, and httpcore's pool spends CPU on
    every queued request). Not the builder's 256: httpcore checks every connection on each request."""
    return RUNNING + 8 + (PAID_IN_FLIGHT if settings.allow_paid_broadcast else IN_FLIGHT)


log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def send_rates(settings: Settings, db: Engine) -> Rates:
    """The messages a second the pacing lets through, free and (when enabled) paid, and the paid
    rate the outbox reaches on this database."""
    return Rates(settings.send_rate / WINDOW, PAID_RATE / WINDOW if settings.allow_paid_broadcast else None,
                 PAID_RATE_REACHED_SHARED if is_postgresql(db) else PAID_RATE_REACHED)


def build_desk(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Desk:
    catalog = load_catalog(settings.procedures_dir)
    db = make_engine(settings.resolved_database_url)
    files = FileStore(settings.files_dir)
    calendar = WorkCalendar.of(settings)
    turns = Turns(db, clock)
    notices = CaseNotices(catalog, settings, clock)
    workflow = CaseWorkflow(turns, notices, settings.tz)
    engine = DialogEngine(catalog)
    for unknown in engine.understanding.unknown_procedures:
        log.warning("dialogs/understanding.yaml names a procedure with no file in %s (%s): requests for it "
                    "are answered as not handled here", settings.procedures_dir, unknown)
    dialogs = CitizenDialogs(turns, engine, CaseFiling(settings, calendar, notices),
                             Supplements(catalog, settings, calendar, notices, clock), settings, files)
    return Desk(
        turns=turns,
        chats=ChatDirectory(db, clock),
        dialogs=dialogs,
        workflow=workflow,
        work_list=WorkList(workflow),
        lookup=CaseLookup(db, catalog, settings.tz, settings.case_code_prefix),
        ratings=Ratings(turns),
        feedbacks=Feedbacks(turns, settings.tz, settings.feedback_per_day),
        broadcasts=Broadcasts(turns, send_rates(settings, turns.db)),
        reports=Reports(db, catalog, calendar, settings.tz, clock, settings.office_name),
        invitations=Invitations(turns),
        rights=CitizenRights(turns, catalog, notices, files, settings),
        files=files,
    )


@dataclass
class Zalo:
    api: ZaloApi
    channel: ZaloChannel
    budget: SendBudget
    webhook: ZaloWebhook


@dataclass
class Assembly:
    """Everything `serve` starts and stops."""

    settings: Settings
    desk: Desk
    application: Application  # type: ignore[type-arg]
    telegram: TelegramChannel
    pacing: Pacing
    background: Background
    leadership: Leadership
    metrics: Metrics
    webhook: TelegramWebhook | None
    zalo: Zalo | None
    updates: PerChatUpdates
    inbox: PolledInbox

    async def deliver(self, chat_id: int, reply: Reply, paid: bool) -> None:
        """An outbox message, through the channel of its chat; `paid` (an urgent announcement)
        is Telegram's paid broadcast, which Zalo does not have."""
        channel = self.desk.chats.channel_of(chat_id)
        if channel == ZALO and self.zalo is not None:
            await self.zalo.channel.deliver(chat_id, reply, bulk=True)
        elif channel == TELEGRAM:
            await self.telegram.deliver(chat_id, reply, bulk=True, paid=paid)
        else:
            raise LookupError(f"chat {chat_id} is on {channel}, which is not configured")

    def busy_chats(self) -> set[int | str]:
        busy = self.pacing.budget.busy_chats()
        return busy | self.zalo.budget.busy_chats() if self.zalo is not None else busy


def assemble(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Assembly:
    desk = build_desk(settings, clock)
    db = desk.turns.db
    metrics = Metrics(db, clock)
    receipts = Receipts()
    inbox = PolledInbox(db, clock)
    polls = SpacedPolls(connection_pool_size=1, keep=inbox.keep if settings.webhook_url is None else None)

    def finished(update: object, seconds: float) -> None:
        metrics.telegram_update_handled(update, seconds)
        receipts.handled(update)
        polls.finished()
        if isinstance(update, Update):
            inbox.handled(update.update_id)

    pacing = Pacing(SendBudget(settings.send_rate, shared=shared_window_for(db, TELEGRAM, settings.send_rate)))
    gate = FloodGate(FloodBudget(settings.chat_budget_updates, settings.chat_budget_seconds), desk.turns)
    processor = PerChatUpdates(gate, finished=finished)
    token = settings.require_token()
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{settings.telegram_api_url}/bot")
        .base_file_url(f"{settings.telegram_api_url}/file/bot")
        .request(MeteredRequest(metrics, connection_pool_size=connections(settings)))
        .get_updates_request(polls)
        .rate_limiter(pacing)
        .concurrent_updates(processor)
        .update_queue(asyncio.Queue(maxsize=QUEUED))
        .build()
    )
    background = Background(desk, settings, clock)
    telegram = TelegramChannel(application.bot, desk.files)
    processor.connect(lambda chat_id: gate.ask_to_wait(chat_id, telegram.reply))
    application.bot_data.update({updates.DESK: desk, updates.CHANNEL: telegram,
                                 updates.ALBUMS: AlbumReplies(settings.album_wait_seconds)})
    application.add_handler(TypeHandler(Update, updates.on_update))
    application.add_error_handler(updates.on_error)
    zalo = _zalo(settings, desk, background, gate, clock) if settings.zalo_enabled else None
    webhook = TelegramWebhook(application, token, receipts) if settings.webhook_url is not None else None
    assembly = Assembly(settings, desk, application, telegram, pacing, background, Leadership(db, background),
                        metrics, webhook, zalo, processor, inbox)
    background.connect(assembly.deliver, assembly.busy_chats, telegram)
    if zalo is not None:
        background.orphans = zalo.webhook.resume
    return assembly


def _zalo(settings: Settings, desk: Desk, background: Background, gate: FloodGate,
          clock: Callable[[], datetime]) -> Zalo:
    secret = settings.zalo_secret_key
    assert settings.zalo_app_id is not None and secret is not None
    api = ZaloApi(settings.zalo_api_url, TokenKeeper(desk.turns.db, settings, clock))
    budget = SendBudget(settings.zalo_send_rate, shared=shared_window_for(desk.turns.db, ZALO, settings.zalo_send_rate))
    channel = ZaloChannel(api, desk.chats, desk.turns, desk.files, budget,
                          status_template=settings.zalo_status_template, clock=clock)
    zalo_updates = ZaloUpdates(desk, channel, background.send_held, gate, clock)
    webhook = ZaloWebhook(zalo_updates, desk.turns.db, app_id=settings.zalo_app_id, secret=secret.get_secret_value(),
                          clock=clock)
    return Zalo(api, channel, budget, webhook)


async def set_commands(application: Application) -> None:  # type: ignore[type-arg]
    """The command menu next to the text box, in Vietnamese by default and in English for English clients."""
    for language in ("vi", "en"):
        tr = get_translator(language)
        commands = [BotCommand(name, tr.gettext(description)) for name, description in COMMANDS]
        await application.bot.set_my_commands(commands, scope=BotCommandScopeDefault(),
                                              language_code=None if language == "vi" else language)
