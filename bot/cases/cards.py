"""How a case is shown: the officers' card with its data, documents and history, the citizen's
own view, and the message a citizen gets when the status changes, in each reader's language."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.cases.presses import OfficerAction, OfficerPress, SendSupplement
from bot.cases.status import TRANSITIONS, CaseStatus
from dialogs.catalog import Catalog, Procedure
from dialogs.navigation import SUPPLEMENT_DOCUMENT
from dialogs.output import Button, Reply, Rich, Rows
from dialogs.prompts import display_answer, short
from locales import N_, Translator
from storage.models import Case, CaseDocument, CaseEvent, StaffMember

CITIZEN_UPDATES = {
    CaseStatus.IN_PROGRESS: N_("Your case {code} ({procedure}) has been accepted by an officer and is being processed. "
                               "Appointment date: {date}."),
    CaseStatus.AWAITING_SUPPLEMENT: N_("Your case {code} ({procedure}) needs more documents or information:"),
    CaseStatus.READY: N_("The result of your case {code} ({procedure}) is ready for pickup."),
    CaseStatus.DELIVERED: N_("The result of your case {code} ({procedure}) has been delivered. Thank you."),
    CaseStatus.REFUSED: N_("Your case {code} ({procedure}) was refused."),
}
NOTE_LABELS = {
    CaseStatus.REFUSED: N_("Reason:"),
    CaseStatus.AWAITING_SUPPLEMENT: N_("What to add:"),
    CaseStatus.READY: N_("How to collect it:"),
}
OTHER_NOTE_LABEL = N_("Note:")
ACTION_TARGETS = {
    OfficerAction.ACCEPT: CaseStatus.IN_PROGRESS,
    OfficerAction.SUPPLEMENT: CaseStatus.AWAITING_SUPPLEMENT,
    OfficerAction.REFUSE: CaseStatus.REFUSED,
    OfficerAction.READY: CaseStatus.READY,
    OfficerAction.READY_STANDARD: CaseStatus.READY,
    OfficerAction.DELIVER: CaseStatus.DELIVERED,
}
ACTION_BUTTONS = (
    (OfficerAction.ACCEPT, N_("✅ Accept")),
    (OfficerAction.READY, N_("📦 Result ready")),
    (OfficerAction.DELIVER, N_("🤝 Result delivered")),
    (OfficerAction.SUPPLEMENT, N_("📎 Ask for more")),
    (OfficerAction.REFUSE, N_("⛔ Refuse")),
)


def status_of(case: Case) -> CaseStatus:
    return CaseStatus(case.status)


def procedure_title(catalog: Catalog, case: Case, tr: Translator) -> str:
    procedure = catalog.get(case.procedure_id)
    return procedure.title.get(tr.language) if procedure else case.procedure_id


def short_title(catalog: Catalog, case: Case, tr: Translator) -> str:
    procedure = catalog.get(case.procedure_id)
    return short(procedure, tr.language) if procedure else case.procedure_id


def is_overdue(case: Case, today: date) -> bool:
    """Open and past its due date: shown on every list and digest."""
    return not status_of(case).is_closed and case.due_date < today


def officer_button(case: Case, action: OfficerAction, label: str) -> Button:
    return Button.to(label, OfficerPress(case.id or 0, case.version, action))


def officer_buttons(case: Case, tr: Translator) -> Rows:
    allowed = TRANSITIONS[status_of(case)]
    buttons = [officer_button(case, action, tr.gettext(label)) for action, label in ACTION_BUTTONS
               if ACTION_TARGETS[action] in allowed]
    return tuple(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))


def _case_head(case: Case, title: str, tr: Translator, today: date, heading: Rich | None) -> list[Rich]:
    """Code, procedure, status and due date: all of a case that is not about a person."""
    _ = tr.gettext
    lines = [heading or Rich.of(_("📁 Case **{code}**"), code=case.code)]
    lines.append(Rich.plain(_("Procedure: {procedure}").format(procedure=title)))
    lines.append(Rich.plain(_("Status: {status}").format(status=status_of(case).shown(tr))))
    due = Rich.of(_("Due: **{date}**"), date=tr.weekday_date(case.due_date))
    if is_overdue(case, today):
        due += " " + _("⚠️ OVERDUE")
    lines.append(due)
    return lines


def group_card(case: Case, catalog: Catalog, tr: Translator, today: date, *, heading: Rich | None = None) -> Reply:
    """What an officers' group chat sees of a case: no name, number, address or file, because
    everyone in the group reads it. A tap on a button brings the whole case to the tapper's
    private chat, once `bot.staff.permissions` lets them handle it."""
    lines = _case_head(case, procedure_title(catalog, case, tr), tr, today, heading)
    lines.append(Rich.italic(tr.gettext("The citizen's data and documents are sent to your private chat when you "
                                        "tap a button.")))
    view = officer_button(case, OfficerAction.VIEW, tr.gettext("📂 Open the case"))
    return Reply(Rich.join("\n", lines), ((view,), *officer_buttons(case, tr)))


def case_card(case: Case, procedure: Procedure | None, documents: list[CaseDocument], tr: Translator,
              today: date, *, heading: Rich | None = None) -> Rich:
    _ = tr.gettext
    title = procedure.title.get(tr.language) if procedure else case.procedure_id
    lines = _case_head(case, title, tr, today, heading)
    if procedure is not None:
        lines.append(Rich())
        for field in procedure.applicant_fields:
            value = case.applicant_data.get(field.id)
            if value:
                lines.append(Rich.plain(f"• {field.label.get(tr.language)}: {display_answer(field, value, tr)}"))
    for text in case.applicant_data.get("supplements") or []:
        lines.append(Rich.plain("• " + _("Added by the citizen: {text}").format(text=text)))
    if documents:
        lines += [Rich(), Rich.plain(_("Documents:"))]
        counts: dict[str, int] = {}
        for document in documents:
            counts[document.document_id] = counts.get(document.document_id, 0) + 1
        for document_id, count in counts.items():
            pages = tr.ngettext("{n} page", "{n} pages", count).format(n=count)
            lines.append(Rich.plain(f"• {_document_name(procedure, document_id, tr)} — {pages}"))
    return Rich.join("\n", lines)


def _document_name(procedure: Procedure | None, document_id: str, tr: Translator) -> str:
    if procedure is not None:
        match = next((d for d in procedure.documents if d.id == document_id), None)
        if match is not None:
            return match.name.get(tr.language)
    return tr.gettext("Additional documents") if document_id.startswith(SUPPLEMENT_DOCUMENT) else document_id


def history(events: list[CaseEvent], staff: dict[int, StaffMember], tr: Translator, tz: ZoneInfo) -> Rich:
    lines = [tr.gettext("History:")]
    for event in events:
        line = (f"• {tr.datetime(event.at.astimezone(tz))} — {CaseStatus(event.to_status).shown(tr)}"
                f" ({actor_name(event.actor, staff, tr)})")
        if event.note:
            line += f": {event.note}"
        lines.append(line)
    return Rich.plain("\n".join(lines))


def actor_name(actor: str, staff: dict[int, StaffMember], tr: Translator) -> str:
    kind, _, identifier = actor.partition(":")
    if kind == "staff" and identifier.isdigit() and int(identifier) in staff:
        return staff[int(identifier)].name
    return tr.gettext("citizen") if kind == "citizen" else actor


def supplement_button(case: Case, tr: Translator) -> Button:
    return Button.to(tr.gettext("📎 Send the additional documents"), SendSupplement(case.id or 0))


def citizen_update(case: Case, catalog: Catalog, tr: Translator, note: str | None) -> Reply:
    """The message a citizen gets when an officer changes the status of their case."""
    _ = tr.gettext
    status = status_of(case)
    text = Rich.of(_(CITIZEN_UPDATES[status]), code=Rich.bold(case.code), procedure=procedure_title(catalog, case, tr),
                   date=tr.weekday_date(case.due_date))
    if note:
        label = {CaseStatus.REFUSED: _("Reason:"), CaseStatus.READY: _("How to collect it:")}.get(status)
        text += "\n\n" + (f"{label} {note}" if label else note)
    notice = {"case_code": case.code, "status": status.shown(tr), "date": tr.date(case.due_date)}
    if status is CaseStatus.AWAITING_SUPPLEMENT:
        return Reply(text + "\n\n" + _("Tap the button below to send them."), ((supplement_button(case, tr),),),
                     notice=notice)
    return Reply(text, notice=notice)


def note_line(event: CaseEvent, tr: Translator) -> str:
    """The officer's note of a status change, labelled for the citizen ("Reason:", "What to add:")."""
    label = tr.gettext(NOTE_LABELS.get(CaseStatus(event.to_status), OTHER_NOTE_LABEL))
    note = event.note or ""
    return label + ("\n" if "\n" in note else " ") + note
