"""/hoso: the open cases of an officer's fields, oldest due first; /hoso CODE: one case."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bot.cases.cards import is_overdue, officer_button, status_of
from bot.cases.codes import find_case
from bot.cases.presses import OfficerAction
from bot.cases.status import OPEN
from bot.cases.workflow import CaseWorkflow
from bot.staff.permissions import active_member, handled_by, may_handle, record_denial
from dialogs.output import Reply, Rich
from locales import Translator, get_translator
from storage.db import transaction
from storage.models import Case, StaffMember

MAX_LISTED = 30


class WorkList:
    def __init__(self, workflow: CaseWorkflow) -> None:
        self.workflow = workflow

    def show(self, telegram_id: int, code: str | None) -> list[Reply] | None:
        """None for someone who is not an officer of the desk."""
        with Session(self.workflow.turns.db) as session:
            member = active_member(session, telegram_id)
            if member is None:
                return None
            tr = get_translator(self.workflow.turns.language(telegram_id))
            if not code:
                return [self._open_cases(session, member, tr)]
            case = find_case(session, code)
            if case is None or not may_handle(member, case):
                if case is not None:
                    with transaction(self.workflow.turns.db) as writing:
                        record_denial(writing, telegram_id, f"hoso:{case.code}", "not permitted",
                                      self.workflow.turns.clock())
                return [Reply(Rich.plain(tr.gettext("No case {code} in your fields.").format(code=code.strip())))]
            return [self.workflow.card(session, case, tr, with_history=True)]

    def _open_cases(self, session: Session, member: StaffMember, tr: Translator) -> Reply:
        mine = open_cases(session, member)
        if not mine:
            return Reply(Rich.plain(tr.gettext("No open cases in your fields.")))
        today = self.workflow.notices.today()
        lines = [Rich.of(tr.gettext("**Open cases** (oldest due first):"))]
        for case in mine:
            flag = " " + tr.gettext("⚠️ OVERDUE") if is_overdue(case, today) else ""
            lines.append("• " + Rich.bold(case.code) + f" — {case.applicant_name} — {tr.date(case.due_date)} — "
                         f"{status_of(case).shown(tr)}{flag}")
        buttons = tuple((officer_button(case, OfficerAction.VIEW, case.code),) for case in mine)
        return Reply(Rich.join("\n", lines), buttons)


def open_cases(session: Session, member: StaffMember, limit: int = MAX_LISTED) -> list[Case]:
    """The open cases `member` may handle, oldest due first, picked by the database. The statuses
    go in as literals: with parameters, PostgreSQL may plan once for any statuses and then cannot
    use the index of open cases (`storage.models.Case`), and sorts a million rows instead."""
    open_statuses = bindparam("open_statuses", list(OPEN), expanding=True, literal_execute=True)
    query = select(Case).where(col(Case.status).in_(open_statuses), handled_by(member))
    return list(session.exec(query.order_by(col(Case.due_date), col(Case.id)).limit(limit)).all())
