"""Runs one citizen update through the dialog engine inside one unit of work.

Per update: read the chat's dialog state; step the engine; carry out what the step decided
(record consent, file the case, attach a supplement, forget files); save the new state only if
nobody else changed it meanwhile (version check). The replies are returned to the handler,
which sends them after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from sqlalchemy import delete
from sqlmodel import Session, col

from bot.announcements.subscriptions import Announcements, forget_unless_subscribed, offer
from bot.cases.filing import CaseFiling
from bot.cases.presses import SendSupplement
from bot.cases.supplement import NO_LONGER_OPEN, Supplements
from bot.conversation.chats import is_telegram_chat
from bot.conversation.home import home
from bot.conversation.office import office_at
from bot.conversation.language import language_menu, language_set
from bot.conversation.turns import Turn, Turns
from bot.forms.maker import FormMaker, preview_attachments
from bot.privacy.files import delete_unreferenced
from bot.privacy.quota import bytes_held
from bot.settings import Settings
from dialogs.catalog import Document
from dialogs.engine import DialogEngine
from dialogs.uploads import pages_left
from dialogs.model import (
    ConsentGiven,
    Context,
    DialogState,
    Discard,
    Input,
    Result,
    StoredFile,
    SubmitCase,
    SubmitSupplement,
)
from dialogs.output import Reply, Rich
from dialogs.prompts import NOTICE_VERSION, restart_buttons
from dialogs.steps import SUMMARY
from locales import DEFAULT_LANGUAGE, LANGUAGES, N_, get_translator
from storage.chat_rows import ChatRow, add_chat, delete_chat, read_chat, save_dialog, set_language
from storage.files import FileStore
from storage.models import Consent

ATTEMPTS = 3
EXPIRED = N_("ℹ️ The application you left unfinished was deleted on {date}: nothing had been added for {days} days, "
             "and the consent notice promised not to keep it longer. Its documents were deleted with it. You can "
             "start again at any time.")
STILL_SUBSCRIBED = N_("You still receive the office's announcements, as you asked. To stop them: /huythongbao")


class ConcurrentChange(Exception):
    """Another process saved this chat's state between our read and our write."""


@dataclass(frozen=True)
class Expected:
    """The chat's language, the document it is asked for, how many more pages that takes and
    how many bytes its quota still allows."""

    language: str
    document: Document | None
    pages_left: int
    bytes_left: int


@dataclass(frozen=True)
class Handled:
    replies: list[Reply]
    language: str


class CitizenDialogs:
    def __init__(self, turns: Turns, engine: DialogEngine, filing: CaseFiling, supplements: Supplements,
                 settings: Settings, files: FileStore) -> None:
        self.turns = turns
        self.engine = engine
        self.filing = filing
        self.supplements = supplements
        self.settings = settings
        self.files = files
        self.forms = FormMaker(engine.catalog, files, settings.office_name)
        self.bot_username = settings.bot_username

    def context(self, language: str, announcements: Announcements | None = None) -> Context:
        now = self.turns.clock()
        tr = get_translator(language)
        today = now.astimezone(self.settings.tz).date()
        return Context(
            tr=tr,
            today=today,
            now=now,
            office=office_at(now, self.settings, self.filing.calendar),
            max_file_bytes=self.settings.max_file_bytes,
            retention_months=self.settings.retention_months,
            same_day_cutoff=self.settings.same_day_cutoff.strftime("%H:%M"),
            home=partial(home, catalog=self.engine.catalog, tr=tr, office_name=self.settings.office_name,
                         announcements=announcements),
            abandoned_days=self.settings.abandoned_dialog_days,
        )

    def peek(self, chat_id: int) -> Expected:
        """What a handler needs before deciding whether to download the files of a message."""
        with Session(self.turns.db) as session:
            row = read_chat(session.connection(), chat_id)
            state = self._state(row)
            held = bytes_held(session, chat_id, state)
        language = row.language if row is not None and row.language else DEFAULT_LANGUAGE
        document = self.engine.expected_document(state)
        return Expected(language, document, pages_left(state, document) if document is not None else 0,
                        self.settings.chat_quota_bytes - held)

    def handle(self, update_id: int, chat_id: int, inp: Input) -> Handled | None:
        """None when this update was already handled (the channel delivered it twice)."""
        for attempt in range(ATTEMPTS):
            try:
                return self._handle_once(update_id, chat_id, inp)
            except ConcurrentChange:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def set_language(self, update_id: int, chat_id: int, language: str) -> Handled | None:
        """Switch the chat's language, then show where it is again, in that language."""
        if language not in LANGUAGES:
            language = DEFAULT_LANGUAGE
        with self.turns.begin(update_id, chat_id) as turn:
            if turn is None:
                return None
            set_language(turn.connection, chat_id, language, turn.now)
            state = self._state(turn.row)
        ctx = self.context(language)
        return Handled([language_set(ctx.tr), self.engine.prompt(state, ctx)], language)

    def language_menu(self, update_id: int, chat_id: int) -> Handled | None:
        with self.turns.begin(update_id, chat_id) as turn:
            if turn is None:
                return None
            return Handled([language_menu(turn.tr)], turn.language)

    # ----- internals -------------------------------------------------------------------------

    def _handle_once(self, update_id: int, chat_id: int, inp: Input) -> Handled | None:
        discarded: list[StoredFile] = []
        with self.turns.begin(update_id, chat_id) as turn:
            if turn is None:
                return None
            language = turn.language
            offered = offer(turn.connection, chat_id, greeting=inp.command == "start", now=turn.now) \
                if is_telegram_chat(chat_id) else None
            ctx = self.context(language, offered)
            state = self._state(turn.row)
            if isinstance(inp.press, SendSupplement):
                result = self._start_supplement(turn, state, inp, inp.press, ctx)
            else:
                result = self.engine.step(state, inp, ctx)
            discarded += self._preview(state, result, ctx)
            replies = list(result.replies)
            effect = result.effect
            if isinstance(effect, ConsentGiven):
                self._record_consent(turn.session, chat_id, result, ctx)
            elif isinstance(effect, SubmitCase):
                procedure = self.engine.catalog[effect.state.procedure_id or ""]
                # The receipt's QR code opens the Telegram bot: of no use on another messenger.
                username = self.bot_username if is_telegram_chat(chat_id) else None
                replies.append(self.filing.file(turn.session, chat_id, effect.state, procedure, ctx, bot_username=username))
                discarded += effect.state.form_preview
            elif isinstance(effect, SubmitSupplement):
                replies.append(self.supplements.submit(turn.session, chat_id, effect.state, ctx.tr))
            elif isinstance(effect, Discard):
                discarded += effect.files
                if effect.forget_chat and state is not None:
                    turn.session.execute(delete(Consent).where(col(Consent.chat_id) == chat_id,
                                                          col(Consent.dialog_id) == state.dialog_id))
                if effect.forget_chat and forget_unless_subscribed(turn.session, chat_id):
                    replies.append(Reply(Rich.plain(ctx.tr.gettext(STILL_SUBSCRIBED))))
            if turn.row is not None and turn.row.dialog_expired_at is not None:
                replies.insert(0, self._expired(turn.row.dialog_expired_at, ctx))
            self._save(turn, result.state, forget=isinstance(effect, Discard) and effect.forget_chat)
        if discarded:
            delete_unreferenced(self.turns.db, self.files, {file.sha256 for file in discarded})
        return Handled(replies, language)

    def _expired(self, when: datetime, ctx: Context) -> Reply:
        """The purge deleted this chat's application for being left unfinished: say so once."""
        return Reply(Rich.plain(ctx.tr.gettext(EXPIRED).format(
            date=ctx.tr.date(when.astimezone(self.settings.tz).date()), days=self.settings.abandoned_dialog_days)))

    def _preview(self, before: DialogState | None, result: Result, ctx: Context) -> list[StoredFile]:
        """On arriving at the summary, fill in the procedure's forms from the answers and send the
        PDF with it, to read before confirming ("Ngày không viết"). Returns the previews it replaces."""
        after = result.state
        if after is None or after.step != SUMMARY or not result.replies or (before is not None
                                                                             and before.step == SUMMARY):
            return []
        procedure = self.engine.catalog[after.procedure_id or ""]
        made = self.forms.preview(procedure, after.answers)
        if not made:
            return []
        result.state = after.model_copy(update={"form_preview": made})
        caption = Rich.plain(ctx.tr.gettext("📝 The form I filled in from your answers. Please read it before you "
                                            "confirm; to change something, tap it below."))
        last = result.replies[-1]
        result.replies[-1] = replace(last, attachments=last.attachments + preview_attachments(procedure, made,
                                                                                               caption))
        kept = {file.sha256 for file in made}
        return [file for file in after.form_preview if file.sha256 not in kept]

    def _state(self, row: ChatRow | None) -> DialogState | None:
        if row is None or row.dialog is None:
            return None
        state = DialogState.model_validate(row.dialog)
        return state if self.engine.state_is_valid(state) else None

    def _save(self, turn: Turn, state: DialogState | None, *, forget: bool) -> None:
        connection, row, chat_id = turn.connection, turn.row, turn.chat_id
        dialog = state.model_dump(mode="json") if state is not None else None
        if row is None:
            saved = dialog is None or add_chat(connection, chat_id, dialog, turn.now)
        elif forget and row.language is None:
            saved = delete_chat(connection, chat_id, row.version)
        else:
            saved = save_dialog(connection, chat_id, row.version, dialog, turn.now)
        if not saved:
            raise ConcurrentChange

    @staticmethod
    def _record_consent(session: Session, chat_id: int, result: Result, ctx: Context) -> None:
        assert result.state is not None and result.state.procedure_id is not None
        session.add(Consent(chat_id=chat_id, procedure_id=result.state.procedure_id,
                            dialog_id=result.state.dialog_id, notice_version=NOTICE_VERSION, given_at=ctx.now))

    def _start_supplement(self, turn: Turn, state: DialogState | None, inp: Input, press: SendSupplement,
                          ctx: Context) -> Result:
        """The citizen tapped "send the additional documents" under an officer's request."""
        request = self.supplements.open_request(turn.session, turn.chat_id, press.case_id)
        if request is None:
            return Result(state, [Reply(Rich.plain(ctx.tr.gettext(NO_LONGER_OPEN)), restart_buttons(ctx.tr))])
        case, items = request
        result = self.engine.start_supplement(inp.update_id, case.id or 0, case.code, case.procedure_id,
                                              items or [ctx.tr.gettext("Additional documents")], ctx)
        if state is not None and state.all_files():
            result.effect = Discard(tuple(state.all_files()))
        return result
