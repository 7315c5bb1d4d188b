"""Runs one update through the dialog engine inside one database transaction.

Per update: skip it if its update_id was handled before; read the chat's dialog state; step the
engine; save the new state only if nobody else changed it meanwhile (version check); record
consent; create the case when the dialog completes. The replies are returned to the handler,
which sends them after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.broadcasts import Broadcasts
from bot.cases import create_case
from bot.case_status import CaseStatus
from bot.settings import Settings
from bot.workflow import CaseWorkflow
from bot.workdays import WorkCalendar, due_date
from dialogs.catalog import Document
from dialogs.engine import Engine as DialogEngine
from dialogs.model import (
    Button,
    ConsentGiven,
    Context,
    DialogState,
    Discard,
    Input,
    Reply,
    Resubmit,
    Result,
    SubmitCase,
)
from dialogs.prompts import NOTICE_VERSION, restart_buttons
from dialogs.steps import SUPPLEMENT_PREFIX
from dialogs.receipt import receipt
from locales import DEFAULT_LANGUAGE, LANGUAGES, get_translator
from storage.db import claim_update, row_id, transaction
from storage.files import FileStore
from storage.models import Case, CaseDocument, CaseEvent, ChatSession, Consent

RETENTION_MONTHS = 12


class ConcurrentChange(Exception):
    """Another process saved this chat's state between our read and our write."""


@dataclass(frozen=True)
class Handled:
    replies: list[Reply]
    language: str


class Conversations:
    def __init__(self, engine: Engine, dialogs: DialogEngine, workflow: CaseWorkflow, settings: Settings,
                 calendar: WorkCalendar, files: FileStore, clock: Callable[[], datetime]) -> None:
        self.db = engine
        self.dialogs = dialogs
        self.workflow = workflow
        self.settings = settings
        self.calendar = calendar
        self.files = files
        self.clock = clock
        self.bot_username = settings.bot_username

    def context(self, language: str) -> Context:
        now = self.clock()
        return Context(
            tr=get_translator(language),
            today=now.astimezone(self.settings.tz).date(),
            now=now,
            office_name=self.settings.office_name,
            max_file_bytes=self.settings.max_file_bytes,
            retention_months=RETENTION_MONTHS,
            same_day_cutoff=self.settings.same_day_cutoff.strftime("%H:%M"),
            bot_username=self.bot_username,
        )

    def peek(self, chat_id: int) -> tuple[str, Document | None]:
        """The chat's language and the document it is asked for: what a handler needs before
        deciding whether to download the files of a message."""
        with Session(self.db) as session:
            row = session.get(ChatSession, chat_id)
        state = self._state(row)
        return self._language(row), self.dialogs.expected_document(state)

    def handle(self, update_id: int, chat_id: int, inp: Input) -> Handled | None:
        """None when this update was already handled (Telegram delivered it twice)."""
        for attempt in range(3):
            try:
                return self._handle_once(update_id, chat_id, inp)
            except ConcurrentChange:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def set_language(self, update_id: int, chat_id: int, language: str) -> Handled | None:
        """Switch the chat's language, then show where it is again, in that language."""
        if language not in LANGUAGES:
            language = DEFAULT_LANGUAGE
        with transaction(self.db) as session:
            if not claim_update(session, update_id):
                return None
            row = session.get(ChatSession, chat_id) or ChatSession(chat_id=chat_id)
            row.language = language
            row.updated_at = self.clock()
            session.add(row)
            state = self._state(row)
        ctx = self.context(language)
        confirmation = Reply(ctx.tr.gettext("Language: Vietnamese.") if language == "vi"
                             else ctx.tr.gettext("Language: English."))
        return Handled([confirmation, self.dialogs.prompt(state, ctx)], language)

    def language_menu(self, update_id: int, chat_id: int) -> Handled | None:
        with transaction(self.db) as session:
            if not claim_update(session, update_id):
                return None
        language, _ = self.peek(chat_id)
        ctx = self.context(language)
        buttons = tuple((Button(name, f"l.{code}"),) for code, name in LANGUAGES.items())
        return Handled([Reply(ctx.tr.gettext("Choose your language:"), buttons)], language)

    # ----- internals -------------------------------------------------------------------------

    def _handle_once(self, update_id: int, chat_id: int, inp: Input) -> Handled | None:
        discarded: Discard | None = None
        with transaction(self.db) as session:
            if not claim_update(session, update_id):
                return None
            row = session.get(ChatSession, chat_id)
            language = self._language(row)
            ctx = self.context(language)
            state = self._state(row)
            if inp.command == "start":
                Broadcasts.subscribe_on_start(session, chat_id, ctx.now)
            if inp.button is not None and inp.button.startswith(SUPPLEMENT_PREFIX):
                result = self._start_supplement(session, chat_id, state, inp, ctx)
            else:
                result = self.dialogs.step(state, inp, ctx)
            replies = list(result.replies)
            effect = result.effect
            if isinstance(effect, ConsentGiven):
                self._record_consent(session, chat_id, result, ctx)
            elif isinstance(effect, SubmitCase):
                replies.append(self._submit(session, chat_id, effect.state, language, ctx))
            elif isinstance(effect, Resubmit):
                replies.append(self.workflow.resubmit(session, chat_id, effect.state, ctx.tr))
            elif isinstance(effect, Discard):
                discarded = effect
                if effect.forget_chat and state is not None:
                    self._forget(session, chat_id, state)
            self._save(session, chat_id, row, result.state, forget=isinstance(effect, Discard) and effect.forget_chat)
        if discarded is not None:
            self._delete_unreferenced(discarded, result.state)
        return Handled(replies, language)

    def _state(self, row: ChatSession | None) -> DialogState | None:
        if row is None or row.dialog is None:
            return None
        state = DialogState.model_validate(row.dialog)
        return state if self.dialogs.state_is_valid(state) else None

    @staticmethod
    def _language(row: ChatSession | None) -> str:
        return row.language if row is not None and row.language else DEFAULT_LANGUAGE

    def _save(self, session: Session, chat_id: int, row: ChatSession | None, state: DialogState | None,
              *, forget: bool) -> None:
        dialog = state.model_dump(mode="json") if state is not None else None
        if row is None:
            if dialog is None:
                return
            try:
                with session.begin_nested():
                    session.add(ChatSession(chat_id=chat_id, dialog=dialog, version=1, updated_at=self.clock()))
            except IntegrityError as exc:
                raise ConcurrentChange from exc
            return
        if forget and row.language is None:
            changed = session.execute(delete(ChatSession).where(
                ChatSession.chat_id == chat_id, ChatSession.version == row.version)).rowcount
        else:
            changed = session.execute(update(ChatSession).where(
                ChatSession.chat_id == chat_id, ChatSession.version == row.version,
            ).values(dialog=dialog, version=row.version + 1, updated_at=self.clock())).rowcount
        if changed != 1:
            raise ConcurrentChange

    def _record_consent(self, session: Session, chat_id: int, result: Result, ctx: Context) -> None:
        assert result.state is not None and result.state.procedure_id is not None
        session.add(Consent(chat_id=chat_id, procedure_id=result.state.procedure_id,
                            dialog_id=result.state.dialog_id, notice_version=NOTICE_VERSION, given_at=ctx.now))

    @staticmethod
    def _forget(session: Session, chat_id: int, state: DialogState) -> None:
        session.execute(delete(Consent).where(Consent.chat_id == chat_id, Consent.dialog_id == state.dialog_id))

    def _submit(self, session: Session, chat_id: int, state: DialogState, language: str, ctx: Context) -> Reply:
        procedure = self.dialogs.catalog[state.procedure_id or ""]
        consent = session.exec(select(Consent).where(
            Consent.chat_id == chat_id, Consent.dialog_id == state.dialog_id,
        ).order_by(Consent.id.desc())).first()  # type: ignore[union-attr]
        due = due_date(self.calendar, ctx.now, procedure.processing.working_days,
                       cutoff=self.settings.same_day_cutoff, tz=self.settings.tz)
        case = create_case(
            session, state=state, procedure=procedure, chat_id=chat_id, language=language,
            consent_id=consent.id if consent else None, now=ctx.now, local_day=ctx.today, due=due,
            code_prefix=self.settings.case_code_prefix,
        )
        self.workflow.notify_officers(session, case)
        return receipt(case.code, due, state, procedure, ctx)

    def _start_supplement(self, session: Session, chat_id: int, state: DialogState | None, inp: Input,
                          ctx: Context) -> Result:
        """The citizen tapped "send the additional documents" under an officer's request."""
        case_id = row_id((inp.button or "").removeprefix(SUPPLEMENT_PREFIX))
        case = session.get(Case, case_id) if case_id is not None else None
        if case is None or case.chat_id != chat_id or case.status != CaseStatus.NEEDS_MORE:
            reply = Reply(ctx.tr.gettext("This request for more documents is no longer open."), restart_buttons(ctx))
            return Result(state, [reply])
        request = session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                       CaseEvent.to_status == CaseStatus.NEEDS_MORE)
                               .order_by(CaseEvent.id.desc())).first()  # type: ignore[union-attr]
        items = [line.strip(" -•\t") for line in (request.note or "").splitlines() if line.strip(" -•\t")] \
            if request else []
        result = self.dialogs.start_supplement(inp.update_id, case.id or 0, case.code, case.procedure_id,
                                               items or [ctx.tr.gettext("Additional documents")], ctx)
        if state is not None and state.all_files():
            result.effect = Discard(tuple(state.all_files()))
        return result

    def _delete_unreferenced(self, discarded: Discard, kept: DialogState | None) -> None:
        """Remove files no case and no open dialog refers to; runs after the commit."""
        still_held = {f.sha256 for f in kept.all_files()} if kept else set()
        candidates = {f.sha256 for f in discarded.files} - still_held
        if not candidates:
            return
        with Session(self.db) as session:
            referenced = set(session.exec(select(CaseDocument.sha256).where(
                CaseDocument.sha256.in_(candidates))).all())  # type: ignore[attr-defined]
            held_elsewhere = {
                f["sha256"]
                for dialog in session.exec(select(ChatSession.dialog).where(ChatSession.dialog.is_not(None))).all()  # type: ignore[union-attr]
                for files in (dialog or {}).get("documents", {}).values() for f in files
            }
        for sha256 in candidates - referenced - held_elsewhere:
            self.files.delete(sha256)
