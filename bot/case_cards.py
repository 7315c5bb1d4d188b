"""How a case is shown to officers (the card with its data, documents and history) and how a
status change is told to the citizen, in each reader's language."""

from __future__ import annotations

from datetime import date
from html import escape
from zoneinfo import ZoneInfo

from bot.case_status import CaseStatus
from dialogs.catalog import Catalog, Procedure
from dialogs.model import Button, Reply
from dialogs.prompts import display_answer
from locales import N_, Translator
from storage.models import Case, CaseDocument, CaseEvent, StaffMember

CITIZEN_UPDATES = {
    CaseStatus.IN_PROGRESS: N_("Your case {code} ({procedure}) has been accepted by an officer and is being processed. "
                               "Appointment date: {date}."),
    CaseStatus.NEEDS_MORE: N_("Your case {code} ({procedure}) needs more documents or information:"),
    CaseStatus.READY: N_("The result of your case {code} ({procedure}) is ready for pickup."),
    CaseStatus.DELIVERED: N_("The result of your case {code} ({procedure}) has been delivered. Thank you."),
    CaseStatus.REFUSED: N_("Your case {code} ({procedure}) was refused."),
}


def procedure_title(catalog: Catalog, case: Case, tr: Translator) -> str:
    procedure = catalog.get(case.procedure_id)
    return procedure.title.get(tr.language) if procedure else case.procedure_id


def status_label(status: str, tr: Translator) -> str:
    return tr.gettext(CaseStatus(status).label)


def case_card(case: Case, procedure: Procedure | None, documents: list[CaseDocument], tr: Translator,
              today: date, *, heading: str | None = None) -> str:
    _ = tr.gettext
    lines = [heading or _("📁 Case <b>{code}</b>").format(code=escape(case.code))]
    title = procedure.title.get(tr.language) if procedure else case.procedure_id
    lines.append(_("Procedure: {procedure}").format(procedure=escape(title)))
    lines.append(_("Status: {status}").format(status=escape(status_label(case.status, tr))))
    due = _("Due: <b>{date}</b>").format(date=escape(tr.weekday_date(case.due_date)))
    if is_overdue(case, today):
        due += " " + _("⚠️ OVERDUE")
    lines.append(due)
    if procedure is not None:
        lines.append("")
        for field in procedure.applicant_fields:
            value = case.applicant_data.get(field.id)
            if value:
                lines.append(f"• {escape(field.label.get(tr.language))}: {escape(display_answer(field, value, tr))}")
    extra = case.applicant_data.get("supplements") or []
    for text in extra:
        lines.append("• " + _("Added by the citizen: {text}").format(text=escape(text)))
    if documents:
        lines += ["", _("Documents:")]
        counts: dict[str, int] = {}
        for document in documents:
            counts[document.document_id] = counts.get(document.document_id, 0) + 1
        for document_id, count in counts.items():
            name = _document_name(procedure, document_id, tr)
            lines.append("• " + escape(name) + " — " + tr.ngettext("{n} page", "{n} pages", count).format(n=count))
    return "\n".join(lines)


def _document_name(procedure: Procedure | None, document_id: str, tr: Translator) -> str:
    if procedure is not None:
        match = next((d for d in procedure.documents if d.id == document_id), None)
        if match is not None:
            return match.name.get(tr.language)
    return tr.gettext("Additional documents") if document_id.startswith("bo-sung") else document_id


def is_overdue(case: Case, today: date) -> bool:
    """Open and past its due date: shown on every list and digest."""
    return case.status not in (CaseStatus.DELIVERED, CaseStatus.REFUSED) and case.due_date < today


def history(events: list[CaseEvent], staff: dict[int, StaffMember], tr: Translator, tz: ZoneInfo) -> str:
    _ = tr.gettext
    lines = [_("History:")]
    for event in events:
        line = f"• {escape(tr.datetime(event.at.astimezone(tz)))} — {escape(status_label(event.to_status, tr))}"
        line += f" ({escape(actor_name(event.actor, staff, tr))})"
        if event.note:
            line += f": {escape(event.note)}"
        lines.append(line)
    return "\n".join(lines)


def actor_name(actor: str, staff: dict[int, StaffMember], tr: Translator) -> str:
    kind, _, identifier = actor.partition(":")
    if kind == "staff" and identifier.isdigit() and int(identifier) in staff:
        return staff[int(identifier)].name
    return tr.gettext("citizen") if kind == "citizen" else actor


def citizen_update(case: Case, catalog: Catalog, tr: Translator, note: str | None) -> Reply:
    """The message a citizen gets when an officer changes the status of their case."""
    _ = tr.gettext
    status = CaseStatus(case.status)
    text = _(CITIZEN_UPDATES[status]).format(code=f"<b>{escape(case.code)}</b>",
                                             procedure=escape(procedure_title(catalog, case, tr)),
                                             date=escape(tr.weekday_date(case.due_date)))
    if note:
        label = {CaseStatus.REFUSED: _("Reason:"), CaseStatus.READY: _("How to collect it:")}.get(status, "")
        text += f"\n\n{label} {escape(note)}".replace("\n\n ", "\n\n")
    if status is CaseStatus.NEEDS_MORE:
        return Reply(text + "\n\n" + _("Tap the button below to send them."),
                     ((Button(_("📎 Send the additional documents"), f"s.{case.id}"),),))
    return Reply(text)
