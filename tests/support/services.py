"""The desk's services in the test process, on a real database, with a clock the test moves:
citizens go through the real dialog (the same buttons a person taps), officers act on cases, and
everything is written as the running bot writes it — for the integration tests of what happens
to the data later (the purge, a citizen's deletion request)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import inspect, text
from sqlmodel import Session, col, select

from bot.cases.presses import OfficerAction, OfficerPress
from bot.conversation.dialogs import Handled
from bot.feedback.presses import RatePress
from bot.runtime.app import build_desk
from bot.runtime.outbox_sender import OutboxWorker
from bot.settings import Settings
from dialogs.catalog import FieldType, Procedure
from dialogs.model import IncomingFile, Input
from dialogs.output import Press, Reply
from dialogs.steps import Navigate, Place
from handlers.desk import Desk
from handlers.routes import decode
from storage.db import transaction, upgrade
from storage.models import Case, OutboxMessage, StaffMember
from tests.support.engine_chat import list_label, typed_answer, vi
from tests.support.walk import CATALOG


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


@dataclass
class Office:
    desk: Desk
    settings: Settings
    clock: Clock

    def __post_init__(self) -> None:
        self._updates = itertools.count(1)
        self.last: dict[int, list[Reply]] = {}

    @property
    def files_dir(self) -> Path:
        return self.settings.files_dir

    # ----- citizens ---------------------------------------------------------------------------

    def send(self, chat_id: int, **what: object) -> list[Reply]:
        update_id = next(self._updates)
        handled = self.desk.dialogs.handle(update_id, chat_id, Input(update_id, **what))  # type: ignore[arg-type]
        assert isinstance(handled, Handled)
        self.last[chat_id] = handled.replies
        return handled.replies

    def press(self, chat_id: int, label: str) -> Press:
        """The press of the newest button with this label (exact, or the only one containing it)."""
        buttons = [b for reply in reversed(self.last[chat_id]) for row in reply.buttons for b in row]
        found = [b for b in buttons if b.label == label] or [b for b in buttons if label in b.label]
        assert found, f"no button {label!r} among {[b.label for b in buttons]}"
        press = decode(found[0].payload)
        assert press is not None
        return press

    def tap(self, chat_id: int, label: str) -> list[Reply]:
        return self.send(chat_id, press=self.press(chat_id, label))

    def page(self, content: bytes) -> IncomingFile:
        """A photo the handler downloaded and stored."""
        sha256 = self.desk.files.put(content)
        n = next(self._updates)
        return IncomingFile("photo", f"photo-{n}", f"uniq-{n}", len(content), sha256=sha256,
                            stored_size=len(content))

    def start(self, chat_id: int, procedure: Procedure, answers: dict[str, str]) -> None:
        """From the home screen to the first document, typing `answers` (by field id) where given."""
        self.send(chat_id, press=Navigate(Place.APPLY))
        self.tap(chat_id, list_label(CATALOG, procedure))
        self.tap(chat_id, vi("✅ Start the application"))
        self.tap(chat_id, vi("✅ I agree"))
        given: dict[str, str] = {}
        for field in procedure.applicant_fields:
            if not field.applies(given):
                continue
            typed = answers.get(field.id)
            if field.type is FieldType.CHOICE and typed is None:
                given[field.id] = field.options[0].value
                self.tap(chat_id, field.options[0].label.vi)
            else:
                given[field.id] = typed or typed_answer(field)
                self.send(chat_id, text=given[field.id])

    def file(self, chat_id: int, procedure: Procedure, answers: dict[str, str], pages: list[bytes]) -> Case:
        """A whole application: the answers, `pages` for the first document, the others skipped."""
        self.start(chat_id, procedure, answers)
        for index, document in enumerate(procedure.collected_documents):
            if index == 0:
                self.send(chat_id, files=tuple(self.page(content) for content in pages))
                self.tap(chat_id, vi("✅ Done"))
            elif document.skippable:
                self.tap(chat_id, vi("⏭ Skip"))
            else:
                self.send(chat_id, files=(self.page(pages[0]),))
                self.tap(chat_id, vi("✅ Done"))
        self.tap(chat_id, vi("✅ Confirm and submit"))
        with Session(self.desk.turns.db) as session:
            case = session.exec(select(Case).where(Case.chat_id == chat_id).order_by(Case.id.desc())).first()  # type: ignore[union-attr]
        assert case is not None, self.last[chat_id]
        return case

    def rate(self, chat_id: int, case: Case, score: int, comment: str) -> None:
        self.desk.ratings.rate(next(self._updates), chat_id, RatePress(case.id or 0, score))
        self.desk.ratings.comment(next(self._updates), chat_id, case.code, comment)

    def feedback(self, chat_id: int, text: str) -> None:
        self.desk.feedbacks.submit(next(self._updates), chat_id, text, None)

    # ----- officers ---------------------------------------------------------------------------

    def add_officer(self, telegram_id: int, fields: list[str]) -> None:
        with transaction(self.desk.turns.db) as session:
            session.add(StaffMember(telegram_id=telegram_id, name=f"Cán bộ {telegram_id}", role="officer",
                                    fields=fields))

    def act(self, officer: int, case: Case, action: OfficerAction, note: str | None = None) -> Case:
        with Session(self.desk.turns.db) as session:
            current = session.get(Case, case.id)
        assert current is not None
        self.desk.workflow.press(next(self._updates), officer, OfficerPress(current.id or 0, current.version, action))
        if note is not None:
            self.desk.workflow.reply_to_prompt(next(self._updates), officer, note, None)
        with Session(self.desk.turns.db) as session:
            changed = session.get(Case, case.id)
        assert changed is not None
        return changed

    def deliver(self, officer: int, case: Case) -> Case:
        for action in (OfficerAction.ACCEPT, OfficerAction.READY_STANDARD, OfficerAction.DELIVER):
            case = self.act(officer, case, action)
        assert case.status == "delivered"
        return case

    # ----- the outbox ----------------------------------------------------------------------------

    def deliver_outbox(self) -> list[tuple[int, Reply]]:
        """Run the real outbox worker until nothing is left to send; what it delivered, in order."""
        delivered: list[tuple[int, Reply]] = []

        async def deliver(chat_id: int, reply: Reply, paid: bool) -> None:
            delivered.append((chat_id, reply))

        async def drain() -> None:
            worker = OutboxWorker(self.desk.turns.db, deliver, self.clock, set, idle_seconds=0.01)
            task = asyncio.create_task(worker.run())
            while await asyncio.to_thread(self._unsent):
                await asyncio.sleep(0.01)
            await worker.stop()
            await task

        asyncio.run(drain())
        return delivered

    def _unsent(self) -> int:
        with Session(self.desk.turns.db) as session:
            return len(session.exec(select(OutboxMessage.id).where(col(OutboxMessage.status).in_(
                ("pending", "sending")))).all())

    # ----- what is stored ---------------------------------------------------------------------

    def rows(self) -> dict[str, list[dict[str, object]]]:
        """Every row of every table, as the database holds it."""
        engine = self.desk.turns.db
        with engine.connect() as connection:
            return {table: [dict(row._mapping) for row in connection.execute(text(f'SELECT * FROM "{table}"'))]
                    for table in inspect(engine).get_table_names() if table != "alembic_version"}

    def stored_files(self) -> set[str]:
        return {path.name for path in self.files_dir.rglob("*") if path.is_file()}


def office(database_url: str, data_dir: Path, now: datetime, **settings: object) -> Office:
    upgrade(database_url)
    config = Settings(_env_file=None, database_url=database_url, data_dir=data_dir,  # type: ignore[call-arg]
                      timezone="Asia/Ho_Chi_Minh", **settings)
    clock = Clock(now)
    return Office(build_desk(config, clock), config, clock)
