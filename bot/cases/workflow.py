"""The case lifecycle as officers drive it: an officer acts with one tap, the citizen is told at
once (through the outbox), and every change is written to the audit log.

Every action is checked against the acting account's role and fields (`bot.staff.permissions`)
and against the case's version number: a stale, forwarded or forged button changes nothing,
and of two officers tapping at once exactly one wins while the other is told who acted first.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, delete, update
from sqlmodel import Session, col, select

from bot.cases.cards import ACTION_TARGETS, actor_name, history, officer_button, status_of
from bot.cases.notices import CaseNotices, case_documents
from bot.cases.presses import OfficerAction, OfficerPress
from bot.cases.status import TRANSITIONS, CaseStatus
from bot.conversation.turns import Turn, Turns
from bot.staff.permissions import NOT_ALLOWED, active_member, may_handle, record_denial
from dialogs.output import Attachment, Outcome, Reply, Rich
from locales import N_, Translator
from storage.models import Case, CaseEvent, OfficerPrompt, StaffMember

_PROMPTED = select(col(OfficerPrompt.telegram_id)).where(col(OfficerPrompt.telegram_id) == bindparam("member"))

MAX_NOTE = 1000
"""The most an officer's text may hold (the missing items, a refusal's reason, pickup
instructions): it goes to the citizen in one message and into the audit log, and a real list of
missing papers fits in a few lines; a longer text is a paste gone wrong, so it is refused with
its length and asked for again rather than cut where the citizen would never know."""
NEEDS_TEXT = {
    OfficerAction.SUPPLEMENT: N_("Type what is missing, one item per line. The citizen will be asked for exactly "
                                 "these items."),
    OfficerAction.REFUSE: N_("Type the reason for the refusal. The citizen will receive it."),
    OfficerAction.READY: N_("Type the pickup instructions (time, counter), or send the result as a file or photo with "
                            "the instructions as its caption."),
}
STANDARD_PICKUP = N_("Please come to the one-stop desk with your ID paper to collect it.")


def transition(session: Session, case: Case, version: int, target: CaseStatus, *, actor: str, note: str | None,
               now: datetime, officer_id: int | None = None, due: date | None = None) -> bool:
    """Move the case if it is still at `version` and the move is allowed; False otherwise.
    The update is conditional in the database, so concurrent writers cannot both win."""
    if target not in TRANSITIONS[status_of(case)]:
        return False
    values: dict[str, object] = {"status": target, "version": version + 1}
    if officer_id is not None:
        values["officer_id"] = officer_id
    values["waiting_since"] = now if target is CaseStatus.AWAITING_SUPPLEMENT else None
    if target.is_closed:
        values["closed_at"] = now
    if due is not None:
        values["due_date"] = due
    previous = case.status
    changed = session.execute(update(Case).where(col(Case.id) == case.id, col(Case.version) == version,
                                                 col(Case.status) == previous).values(**values)).rowcount
    session.refresh(case)
    if changed != 1:
        return False
    session.add(CaseEvent(case_id=case.id or 0, at=now, actor=actor, from_status=previous, to_status=target, note=note))
    return True


def staff_names(session: Session) -> dict[int, StaffMember]:
    return {m.id: m for m in session.exec(select(StaffMember)).all() if m.id is not None}


class CaseWorkflow:
    def __init__(self, turns: Turns, notices: CaseNotices, tz: ZoneInfo) -> None:
        self.turns = turns
        self.notices = notices
        self.tz = tz

    def card(self, session: Session, case: Case, tr: Translator, *, with_history: bool = False) -> Reply:
        reply = self.notices.card(case, case_documents(session, case), tr)
        if not with_history:
            return reply
        events = list(session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                   .order_by(col(CaseEvent.id))).all())
        return Reply(reply.text + "\n\n" + history(events, staff_names(session), tr, self.tz), reply.buttons)

    def press(self, update_id: int, telegram_id: int, press: OfficerPress, *, in_group: bool = False) -> Outcome | None:
        """None when this update was handled before. A tap in an officers' group, which shows no
        personal data, brings the case's files with the answer to the tapper's private chat."""
        with self.turns.begin(update_id, telegram_id) as turn:
            if turn is None:
                return None
            session, tr = turn.session, turn.tr
            member = active_member(session, telegram_id)
            case = session.get(Case, press.case_id)
            if case is None or not may_handle(member, case):
                record_denial(session, telegram_id, press.encode(), "forged" if case is None else "not permitted",
                              turn.now)
                return Outcome(alert=tr.gettext(NOT_ALLOWED))
            assert member is not None
            outcome = self._act(turn, member, case, press)
            if in_group:
                outcome.replies[:0] = self.notices.files(case, case_documents(session, case), tr)
            return outcome

    def _act(self, turn: Turn, member: StaffMember, case: Case, press: OfficerPress) -> Outcome:
        session, tr, telegram_id = turn.session, turn.tr, turn.chat_id
        if press.action is OfficerAction.VIEW:
            return Outcome([self.card(session, case, tr, with_history=True)])
        if press.action is OfficerAction.DROP:
            session.execute(delete(OfficerPrompt).where(col(OfficerPrompt.telegram_id) == telegram_id))
            return _say(tr.gettext("Cancelled. The case was not changed."))
        if press.version != case.version:
            return self._conflict(session, case, tr)
        target = ACTION_TARGETS[press.action]
        if target not in TRANSITIONS[status_of(case)]:
            return _say("⚠️ " + tr.gettext("This is not possible while the case is “{status}”.").format(
                status=status_of(case).shown(tr)))
        if press.action in NEEDS_TEXT:
            session.merge(OfficerPrompt(telegram_id=telegram_id, case_id=case.id or 0, case_version=case.version,
                                        action=press.action.value, created_at=turn.now))
            return Outcome([_ask_for_text(case, press.action, tr)])
        note = tr.gettext(STANDARD_PICKUP) if press.action is OfficerAction.READY_STANDARD else None
        return self._apply(session, case, press.version, target, member, tr, turn.now, note=note)

    def has_prompt(self, telegram_id: int, connection: Connection) -> bool:
        """Whether the next message of this account is the text an action waits for. Asked of
        every message a citizen types: a statement built once, on the caller's connection."""
        return connection.execute(_PROMPTED, {"member": telegram_id}).first() is not None

    def reply_to_prompt(self, update_id: int, telegram_id: int, text: str | None,
                        result: Attachment | None) -> Outcome | None:
        """The text (or result file) an officer sends after choosing an action that needs one."""
        with self.turns.begin(update_id, telegram_id) as turn:
            if turn is None:
                return None
            session, tr = turn.session, turn.tr
            prompt = session.get(OfficerPrompt, telegram_id)
            if prompt is None:
                return _say(tr.gettext("Cancelled. The case was not changed."))
            member = active_member(session, telegram_id)
            case = session.get(Case, prompt.case_id)
            note = (text or "").strip()
            action = OfficerAction(prompt.action)
            if (not note and result is None) or (result is not None and action is not OfficerAction.READY):
                return _say("⚠️ " + tr.gettext(NEEDS_TEXT[action]))
            if len(note) > MAX_NOTE and case is not None and may_handle(member, case):
                warning = tr.gettext("This text is too long: {count} characters, and at most {maximum} can be sent. "
                                     "Please shorten it and send it again.").format(count=len(note), maximum=MAX_NOTE)
                return Outcome([_ask_for_text(case, action, tr, warning)])
            session.delete(prompt)
            if case is None or not may_handle(member, case):
                record_denial(session, telegram_id, f"prompt:{prompt.action}", "not permitted", turn.now)
                return _say(tr.gettext(NOT_ALLOWED))
            assert member is not None
            if prompt.case_version != case.version:
                return self._conflict(session, case, tr)
            if action is OfficerAction.READY and not note:
                note = tr.gettext(STANDARD_PICKUP)
            return self._apply(session, case, prompt.case_version, ACTION_TARGETS[action], member, tr, turn.now,
                               note=note, result=result)

    def _apply(self, session: Session, case: Case, version: int, target: CaseStatus, member: StaffMember,
               tr: Translator, now: datetime, *, note: str | None = None, result: Attachment | None = None) -> Outcome:
        if not transition(session, case, version, target, actor=f"staff:{member.id}", note=note, now=now,
                          officer_id=member.id if target is CaseStatus.IN_PROGRESS else None):
            return self._conflict(session, case, tr)
        if result is not None:
            result = Attachment(result.kind, Rich.plain(case.code), sha256=result.sha256,
                                telegram_file_id=result.telegram_file_id, file_name=result.file_name,
                                mime_type=result.mime_type)
        self.notices.to_citizen(session, case, note, result)
        done = Rich.of(tr.gettext("Done: case **{code}** is now “{status}”. The citizen has been told."),
                       code=case.code, status=status_of(case).shown(tr))
        return Outcome([Reply(done), self.card(session, case, tr)])

    def _conflict(self, session: Session, case: Case, tr: Translator) -> Outcome:
        last = session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)
                            .order_by(col(CaseEvent.id).desc())).first()
        who = actor_name(last.actor, staff_names(session), tr) if last else "?"
        when = tr.datetime(last.at.astimezone(self.tz)) if last else ""
        text = "⚠️ " + tr.gettext("{name} acted on case {code} first ({time}); it is now “{status}”.").format(
            name=who, code=case.code, time=when, status=status_of(case).shown(tr))
        return Outcome([Reply(Rich.plain(text)), self.card(session, case, tr)])


def _ask_for_text(case: Case, action: OfficerAction, tr: Translator, warning: str | None = None) -> Reply:
    """The question an action that needs a text asks, with its buttons; after a refused text,
    the same question with what was wrong above it."""
    extra = (officer_button(case, OfficerAction.READY_STANDARD, tr.gettext("Use the standard instructions")),) \
        if action is OfficerAction.READY else ()
    buttons = (extra, (officer_button(case, OfficerAction.DROP, tr.gettext("✖️ Cancel")),))
    text = Rich.of(tr.gettext("Case **{code}**:"), code=case.code) + " " + tr.gettext(NEEDS_TEXT[action])
    notes = (Rich.plain("⚠️ " + warning),) if warning else ()
    return Reply(text, tuple(row for row in buttons if row), notes=notes)


def _say(text: str) -> Outcome:
    return Outcome([Reply(Rich.plain(text))])
