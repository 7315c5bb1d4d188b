"""The case lifecycle as officers drive it: new cases reach the officers of their field, an
officer acts with one tap, the citizen is told at once (through the outbox), and every change
is written to the audit log.

Every action is checked here against the acting account's role and fields, and against the
case's version number: a stale, forwarded or forged button changes nothing, and of two officers
tapping at once exactly one wins while the other is told who acted first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from html import escape

from sqlalchemy import Engine, update
from sqlmodel import Session, select

from bot import outbox
from bot.case_cards import actor_name, case_card, citizen_update, history, is_overdue, status_label
from bot.case_status import TRANSITIONS, CaseStatus
from bot.feedback import enqueue_rating_request
from bot.settings import Settings
from bot.staff import InviteProblem, active_member, may_handle, officers_for_field, redeem_invite
from bot.workdays import WorkCalendar, due_date
from dialogs.catalog import Catalog, ClockRule
from dialogs.model import Button, DialogState, Reply
from locales import DEFAULT_LANGUAGE, N_, Translator, get_translator
from storage.db import claim_update, row_id, transaction
from storage.models import Case, CaseDocument, CaseEvent, ChatSession, DeniedAction, OfficerPrompt, StaffMember

OFFICER_PREFIX = "o."


class Action(StrEnum):
    VIEW = "view"
    ACCEPT = "accept"
    MORE = "more"
    REFUSE = "refuse"
    READY = "ready"
    READY_PLAIN = "ready0"
    DELIVER = "deliver"
    DROP = "drop"


TARGETS = {
    Action.ACCEPT: CaseStatus.IN_PROGRESS,
    Action.MORE: CaseStatus.NEEDS_MORE,
    Action.REFUSE: CaseStatus.REFUSED,
    Action.READY: CaseStatus.READY,
    Action.READY_PLAIN: CaseStatus.READY,
    Action.DELIVER: CaseStatus.DELIVERED,
}
BUTTONS = (
    (Action.ACCEPT, N_("✅ Accept")),
    (Action.READY, N_("📦 Result ready")),
    (Action.DELIVER, N_("🤝 Result delivered")),
    (Action.MORE, N_("📎 Ask for more")),
    (Action.REFUSE, N_("⛔ Refuse")),
)
NEEDS_TEXT = {
    Action.MORE: N_("Type what is missing, one item per line. The citizen will be asked for exactly these items."),
    Action.REFUSE: N_("Type the reason for the refusal. The citizen will receive it."),
    Action.READY: N_("Type the pickup instructions (time, counter), or send the result as a file or photo with "
                     "the instructions as its caption."),
}


def officer_payload(case: Case, action: Action) -> str:
    return f"{OFFICER_PREFIX}{case.id}.{case.version}.{action.value}"


@dataclass
class OfficerReply:
    replies: list[Reply] = field(default_factory=list)
    alert: str | None = None


class CaseWorkflow:
    def __init__(self, db: Engine, catalog: Catalog, settings: Settings, calendar: WorkCalendar,
                 clock: Callable[[], datetime]) -> None:
        self.db = db
        self.catalog = catalog
        self.settings = settings
        self.calendar = calendar
        self.clock = clock

    # ----- reading ---------------------------------------------------------------------------

    def _today(self, now: datetime) -> date:
        return now.astimezone(self.settings.tz).date()

    @staticmethod
    def language_of(session: Session, chat_id: int) -> str:
        row = session.get(ChatSession, chat_id)
        return row.language if row is not None and row.language else DEFAULT_LANGUAGE

    def buttons(self, case: Case, tr: Translator) -> tuple[tuple[Button, ...], ...]:
        allowed = TRANSITIONS[CaseStatus(case.status)]
        actions = [(a, label) for a, label in BUTTONS if TARGETS[a] in allowed]
        return tuple(tuple(Button(tr.gettext(label), officer_payload(case, a)) for a, label in actions[i:i + 2])
                     for i in range(0, len(actions), 2))

    def card(self, session: Session, case: Case, tr: Translator, *, heading: str | None = None,
             with_history: bool = False, documents: list[CaseDocument] | None = None) -> Reply:
        if documents is None:
            documents = self._documents(session, case)
        text = case_card(case, self.catalog.get(case.procedure_id), documents, tr, self._today(self.clock()),
                         heading=heading)
        if with_history:
            events = list(session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                       .order_by(CaseEvent.id)).all())
            text += "\n\n" + history(events, self._staff_names(session), tr, self.settings.tz)
        return Reply(text, self.buttons(case, tr))

    @staticmethod
    def _documents(session: Session, case: Case) -> list[CaseDocument]:
        return list(session.exec(select(CaseDocument).where(CaseDocument.case_id == case.id)
                                 .order_by(CaseDocument.id)).all())

    @staticmethod
    def _staff_names(session: Session) -> dict[int, StaffMember]:
        return {m.id: m for m in session.exec(select(StaffMember)).all() if m.id is not None}

    # ----- notifications ---------------------------------------------------------------------

    def notify_officers(self, session: Session, case: Case, *, resubmitted: bool = False) -> None:
        """Send the case, its files (by file_id: nothing is uploaded again) and its action buttons
        to every officer of its field and to the field's group chats."""
        recipients = [(m.telegram_id, self.language_of(session, m.telegram_id))
                      for m in officers_for_field(session, case.field_id)]
        recipients += [(chat, DEFAULT_LANGUAGE) for chat in self.settings.chats_for_field(case.field_id)]
        documents = self._documents(session, case)
        sent = [d for d in documents if d.document_id.startswith("bo-sung")] if resubmitted else documents
        photos = [d.telegram_file_id for d in sent if d.telegram_kind == "photo"]
        files = [d.telegram_file_id for d in sent if d.telegram_kind != "photo"]
        now = self.clock()
        for chat_id, language in recipients:
            tr = get_translator(language)
            heading = (tr.gettext("📎 Case <b>{code}</b>: the citizen sent what was asked for.") if resubmitted
                       else tr.gettext("📥 New case <b>{code}</b>")).format(code=escape(case.code))
            if photos:
                outbox.enqueue(session, chat_id, outbox.album_payload(photos), now=now)
            for file_id in files:
                outbox.enqueue(session, chat_id, outbox.document_payload(file_id), now=now)
            card = self.card(session, case, tr, heading=heading, documents=documents)
            outbox.enqueue(session, chat_id, outbox.text_payload(card), now=now)

    def _notify_citizen(self, session: Session, case: Case, note: str | None, result: tuple[str, str] | None) -> None:
        tr = get_translator(case.language)
        now = self.clock()
        if result is not None:
            kind, file_id = result
            make = outbox.photo_payload if kind == "photo" else outbox.document_payload
            outbox.enqueue(session, case.chat_id, make(file_id, escape(case.code)), now=now)
        outbox.enqueue(session, case.chat_id, outbox.text_payload(citizen_update(case, self.catalog, tr, note)), now=now)
        if case.status == CaseStatus.DELIVERED:
            enqueue_rating_request(session, case, now=now)

    # ----- officer actions -------------------------------------------------------------------

    def press(self, update_id: int, telegram_id: int, data: str) -> OfficerReply | None:
        """None when this update was handled before."""
        with transaction(self.db) as session:
            if not claim_update(session, update_id):
                return None
            member = active_member(session, telegram_id)
            tr = get_translator(self.language_of(session, telegram_id))
            parsed = self._parse(data)
            case = session.get(Case, parsed[0]) if parsed else None
            if parsed is None or case is None or not may_handle(member, case):
                self._deny(session, telegram_id, data, "forged" if parsed is None or case is None else "not permitted")
                return OfficerReply(alert=tr.gettext("You are not allowed to do this."))
            assert member is not None
            _, version, action = parsed
            if action is Action.VIEW:
                return OfficerReply([self.card(session, case, tr, with_history=True)])
            if action is Action.DROP:
                session.execute(OfficerPrompt.__table__.delete().where(OfficerPrompt.telegram_id == telegram_id))  # type: ignore[attr-defined]
                return OfficerReply([Reply(tr.gettext("Cancelled. The case was not changed."))])
            if version != case.version:
                return self._conflict(session, case, tr)
            target = TARGETS[action]
            if target not in TRANSITIONS[CaseStatus(case.status)]:
                return OfficerReply([Reply("⚠️ " + tr.gettext("This is not possible while the case is “{status}”.")
                                           .format(status=escape(status_label(case.status, tr))))])
            if action in NEEDS_TEXT:
                session.merge(OfficerPrompt(telegram_id=telegram_id, case_id=case.id or 0, case_version=case.version,
                                            action=action.value, created_at=self.clock()))
                extra = (Button(tr.gettext("Use the standard instructions"), officer_payload(case, Action.READY_PLAIN)),) \
                    if action is Action.READY else ()
                buttons = (extra, (Button(tr.gettext("✖️ Cancel"), officer_payload(case, Action.DROP)),))
                text = tr.gettext("Case <b>{code}</b>:").format(code=escape(case.code)) + " " + tr.gettext(NEEDS_TEXT[action])
                return OfficerReply([Reply(text, tuple(row for row in buttons if row))])
            note = tr.gettext("Please come to the one-stop desk with your ID paper to collect it.") \
                if action is Action.READY_PLAIN else None
            return self._apply(session, case, version, target, member, tr, note=note)

    def reply_to_prompt(self, update_id: int, telegram_id: int, text: str | None,
                        result: tuple[str, str] | None) -> OfficerReply | None:
        """The text (or result file) an officer sends after choosing an action that needs one;
        None when no action is waiting, so the message goes on to the citizen dialog."""
        with transaction(self.db) as session:
            prompt = session.get(OfficerPrompt, telegram_id)
            if prompt is None:
                return None
            if not claim_update(session, update_id):
                return OfficerReply()
            tr = get_translator(self.language_of(session, telegram_id))
            member = active_member(session, telegram_id)
            case = session.get(Case, prompt.case_id)
            note = (text or "").strip()
            action = Action(prompt.action)
            if not note and result is None:
                return OfficerReply([Reply("⚠️ " + tr.gettext(NEEDS_TEXT[action]))])
            if result is not None and action is not Action.READY:
                return OfficerReply([Reply("⚠️ " + tr.gettext(NEEDS_TEXT[action]))])
            session.delete(prompt)
            if case is None or not may_handle(member, case):
                self._deny(session, telegram_id, f"prompt:{prompt.action}", "not permitted")
                return OfficerReply([Reply(tr.gettext("You are not allowed to do this."))])
            assert member is not None
            if prompt.case_version != case.version:
                return self._conflict(session, case, tr)
            if action is Action.READY and not note:
                note = tr.gettext("Please come to the one-stop desk with your ID paper to collect it.")
            return self._apply(session, case, prompt.case_version, TARGETS[action], member, tr, note=note[:1000],
                               result=result)

    def _apply(self, session: Session, case: Case, version: int, target: CaseStatus, member: StaffMember,
               tr: Translator, *, note: str | None = None, result: tuple[str, str] | None = None) -> OfficerReply:
        if not self.transition(session, case, version, target, actor=f"staff:{member.id}", note=note,
                               officer_id=member.id if target is CaseStatus.IN_PROGRESS else None):
            return self._conflict(session, case, tr)
        self._notify_citizen(session, case, note, result)
        done = tr.gettext("Done: case <b>{code}</b> is now “{status}”. The citizen has been told.").format(
            code=escape(case.code), status=escape(status_label(case.status, tr)))
        return OfficerReply([Reply(done), self.card(session, case, tr)])

    def transition(self, session: Session, case: Case, version: int, target: CaseStatus, *, actor: str,
                   note: str | None, officer_id: int | None = None, due: date | None = None) -> bool:
        """Move the case if it is still at `version` and the move is allowed; False otherwise.
        The update is conditional in the database, so concurrent writers cannot both win."""
        if target not in TRANSITIONS[CaseStatus(case.status)]:
            return False
        now = self.clock()
        values: dict[str, object] = {"status": target, "version": version + 1}
        if officer_id is not None:
            values["officer_id"] = officer_id
        values["waiting_since"] = now if target is CaseStatus.NEEDS_MORE else None
        if target in (CaseStatus.DELIVERED, CaseStatus.REFUSED):
            values["closed_at"] = now
        if due is not None:
            values["due_date"] = due
        previous = case.status
        changed = session.execute(update(Case).where(Case.id == case.id, Case.version == version,
                                                     Case.status == previous).values(**values)).rowcount
        session.refresh(case)
        if changed != 1:
            return False
        session.add(CaseEvent(case_id=case.id or 0, at=now, actor=actor, from_status=previous, to_status=target,
                              note=note))
        return True

    def _conflict(self, session: Session, case: Case, tr: Translator) -> OfficerReply:
        last = session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)
                            .order_by(CaseEvent.id.desc())).first()  # type: ignore[union-attr]
        who = actor_name(last.actor, self._staff_names(session), tr) if last else "?"
        when = tr.datetime(last.at.astimezone(self.settings.tz)) if last else ""
        text = "⚠️ " + tr.gettext("{name} acted on case {code} first ({time}); it is now “{status}”.").format(
            name=escape(who), code=escape(case.code), time=escape(when),
            status=escape(status_label(case.status, tr)))
        return OfficerReply([Reply(text), self.card(session, case, tr)], alert=None)

    @staticmethod
    def _parse(data: str) -> tuple[int, int, Action] | None:
        parts = data.removeprefix(OFFICER_PREFIX).split(".")
        if len(parts) != 3 or parts[2] not in Action.__members__.values():
            return None
        case_id, version = row_id(parts[0]), row_id(parts[1])
        if case_id is None or version is None:
            return None
        return case_id, version, Action(parts[2])

    def _deny(self, session: Session, telegram_id: int, data: str, reason: str) -> None:
        session.add(DeniedAction(telegram_id=telegram_id, data=data[:200], reason=reason, at=self.clock()))

    def redeem(self, update_id: int, code: str, telegram_id: int, display_name: str) -> StaffMember | InviteProblem | None:
        with transaction(self.db) as session:
            if not claim_update(session, update_id):
                return None
            return redeem_invite(session, code, telegram_id=telegram_id, display_name=display_name, now=self.clock())

    # ----- lists -------------------------------------------------------------------------------

    def work_list(self, telegram_id: int, code: str | None) -> list[Reply] | None:
        """/hoso: the open cases of the officer's fields, oldest due first; /hoso CODE: one case."""
        with transaction(self.db) as session:
            member = active_member(session, telegram_id)
            if member is None:
                return None
            tr = get_translator(self.language_of(session, telegram_id))
            if code:
                case = session.exec(select(Case).where(Case.code == code.strip().upper())).first()
                if case is None or not may_handle(member, case):
                    if case is not None:
                        self._deny(session, telegram_id, f"hoso:{case.code}", "not permitted")
                    return [Reply(tr.gettext("No case {code} in your fields.").format(code=escape(code.strip())))]
                return [self.card(session, case, tr, with_history=True)]
            return [self._open_cases(session, member, tr)]

    def _open_cases(self, session: Session, member: StaffMember, tr: Translator) -> Reply:
        cases = session.exec(select(Case).where(Case.status.not_in([CaseStatus.DELIVERED, CaseStatus.REFUSED]))  # type: ignore[attr-defined]
                             .order_by(Case.due_date, Case.id)).all()
        mine = [c for c in cases if may_handle(member, c)][:30]
        if not mine:
            return Reply(tr.gettext("No open cases in your fields."))
        today = self._today(self.clock())
        lines = [tr.gettext("<b>Open cases</b> (oldest due first):")]
        for case in mine:
            flag = " " + tr.gettext("⚠️ OVERDUE") if is_overdue(case, today) else ""
            lines.append(f"• <b>{escape(case.code)}</b> — {escape(case.applicant_name)} — "
                         f"{escape(tr.date(case.due_date))} — {escape(status_label(case.status, tr))}{flag}")
        buttons = tuple((Button(case.code, officer_payload(case, Action.VIEW)),) for case in mine)
        return Reply("\n".join(lines), buttons)

    # ----- the citizen's answer to a request for more ----------------------------------------

    def resubmit(self, session: Session, chat_id: int, state: DialogState, tr: Translator) -> Reply:
        """Attach what the citizen sent, move the case back to the officers and tell them."""
        case = session.get(Case, state.case_id)
        if case is None or case.chat_id != chat_id or case.status != CaseStatus.NEEDS_MORE:
            return Reply(tr.gettext("This request for more documents is no longer open."))
        now = self.clock()
        added = sum(1 for d in session.exec(select(CaseDocument).where(CaseDocument.case_id == case.id)).all()
                    if d.document_id.startswith("bo-sung"))
        for index, files in sorted(state.documents.items()):
            for stored in files:
                added += 1
                session.add(CaseDocument(case_id=case.id or 0, document_id=index, position=added, sha256=stored.sha256,
                                         mime_type=stored.mime_type, size=stored.size, telegram_file_id=stored.file_id,
                                         telegram_file_unique_id=stored.file_unique_id, telegram_kind=stored.kind))
        texts = [f"{item}: {state.answers[str(i)]}" for i, item in enumerate(state.items) if str(i) in state.answers]
        if texts:
            data = dict(case.applicant_data)
            data["supplements"] = [*data.get("supplements", []), *texts]
            session.execute(update(Case).where(Case.id == case.id).values(applicant_data=data))
        procedure = self.catalog.get(case.procedure_id)
        due = self._due_after_supplement(case, procedure.processing.on_more_documents if procedure else ClockRule.RESTART,
                                         procedure.processing.working_days if procedure else 0, now)
        if not self.transition(session, case, case.version, CaseStatus.SUBMITTED, actor=f"citizen:{chat_id}",
                               note=None, due=due):
            return Reply(tr.gettext("This request for more documents is no longer open."))
        self.notify_officers(session, case, resubmitted=True)
        return Reply(tr.gettext("✅ Thank you. Your additional documents were sent with case <b>{code}</b>. "
                                "New appointment date: <b>{date}</b>.").format(
            code=escape(case.code), date=escape(tr.weekday_date(case.due_date))))

    def _due_after_supplement(self, case: Case, rule: ClockRule, working_days: int, now: datetime) -> date:
        """'restart': the time limit counts again from the day the dossier became complete;
        'pause': the days spent waiting for the citizen are added to the old due date."""
        if rule is ClockRule.RESTART or case.waiting_since is None:
            return due_date(self.calendar, now, working_days, cutoff=self.settings.same_day_cutoff, tz=self.settings.tz)
        day, today, waited = self._today(case.waiting_since), self._today(now), 0
        while day < today:
            day = self.calendar.next_working_day(day)
            waited += 1 if day <= today else 0
        return self.calendar.add_working_days(case.due_date, waited)
