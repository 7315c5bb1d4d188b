"""The questions and screens of a dialog, in the citizen's language.

Everything here is rendered from the procedure's data file and the gettext catalogs; dynamic
text is HTML-escaped because replies are sent with Telegram's HTML formatting.
"""

from __future__ import annotations

from datetime import date
from html import escape

from dialogs.catalog import ApplicantField, Catalog, Document, FieldType, Mode, Procedure, Requirement
from locales import N_, Translator
from dialogs.model import Button, Context, DialogState, Reply
from dialogs.steps import (
    CHOOSE_TOKEN,
    CONSENT,
    DOC_PREFIX,
    FIELD_PREFIX,
    MENU_PREFIX,
    REQUIREMENTS,
    SUMMARY,
    payload,
    procedure_steps,
    token_of,
)

NOTICE_VERSION = "2026-11"
MAX_LABEL = 28


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def title(procedure: Procedure, ctx: Context) -> str:
    return procedure.title.get(ctx.tr.language)


def short(procedure: Procedure, ctx: Context) -> str:
    return (procedure.short_title or procedure.title).get(ctx.tr.language)


def nav_row(state: DialogState, token: str, ctx: Context) -> tuple[Button, ...]:
    _ = ctx.tr.gettext
    return (
        Button(_("⬅️ Back"), payload(state.dialog_id, token, "back")),
        Button(_("✖️ Cancel"), payload(state.dialog_id, token, "cancel")),
    )


def main_menu(state: DialogState | None, catalog: Catalog, ctx: Context) -> Reply:
    _ = ctx.tr.gettext
    text = _("Welcome to the one-stop desk of <b>{office}</b>.\n"
             "I can tell you which documents each procedure needs, help you prepare your application "
             "and give you an appointment date. What would you like to do?").format(office=escape(ctx.office_name))
    rows: list[tuple[Button, ...]] = []
    if state is not None and state.procedure_id and (procedure := catalog.get(state.procedure_id)):
        rows.append((Button(_("▶️ Continue: {procedure}").format(procedure=short(procedure, ctx)),
                            MENU_PREFIX + "resume"),))
    rows.append((Button(_("📝 Apply"), MENU_PREFIX + "apply"), Button(_("📖 Procedures"), MENU_PREFIX + "info")))
    rows.append((Button(_("🔎 Look up a case"), MENU_PREFIX + "lookup"), Button(_("📂 My cases"), MENU_PREFIX + "mine")))
    rows.append((Button(_("💬 Feedback"), MENU_PREFIX + "feedback"), Button(_("🌐 Language"), MENU_PREFIX + "lang")))
    rows.append((Button(_("🔕 Stop announcements"), MENU_PREFIX + "unsub"),))
    return Reply(text, tuple(rows))


def procedure_list(state: DialogState, catalog: Catalog, ctx: Context, *, intro: str | None = None) -> Reply:
    _ = ctx.tr.gettext
    procedures = [catalog[p] for p in state.candidates] if state.candidates else list(catalog)
    lines = [intro or _("Which procedure do you need? Tap one, or type its name (for example: khai sinh).")]
    lines += [f"{number}. {escape(title(p, ctx))}" for number, p in enumerate(procedures, start=1)]
    rows = tuple(
        (Button(f"{number}. {_label(short(p, ctx))}", payload(state.dialog_id, CHOOSE_TOKEN, p.id)),)
        for number, p in enumerate(procedures, start=1)
    )
    cancel = (Button(_("✖️ Cancel"), payload(state.dialog_id, CHOOSE_TOKEN, "cancel")),)
    return Reply("\n".join(lines), (*rows, cancel))


def processing_time(procedure: Procedure, ctx: Context) -> str:
    _ = ctx.tr.gettext
    if procedure.same_day:
        text = _("Same day (“Ngày không hẹn”); applications received after {cutoff} are returned "
                 "the next working day.").format(cutoff=ctx.same_day_cutoff)
    else:
        text = ctx.tr.ngettext("{n} working day", "{n} working days",
                               procedure.processing.working_days).format(n=procedure.processing.working_days)
    if procedure.processing.note:
        text += " " + procedure.processing.note.get(ctx.tr.language)
    return escape(text)


def _document_line(document: Document, ctx: Context) -> str:
    _ = ctx.tr.gettext
    line = "• " + escape(document.name.get(ctx.tr.language))
    if document.filled_by_bot:
        line += " " + _("(I fill it in from your answers)")
    elif document.mode is Mode.SUBMIT and not document.collect:
        line += " " + _("(hand it in on paper at the desk)")
    if document.requirement is Requirement.OPTIONAL:
        line += " " + _("(optional)")
    if document.condition:
        line += " " + _("(only if: {condition})").format(condition=escape(document.condition.get(ctx.tr.language)))
    if document.note:
        line += "\n  " + escape(document.note.get(ctx.tr.language))
    return line


def requirements(state: DialogState, procedure: Procedure, ctx: Context) -> Reply:
    _ = ctx.tr.gettext
    language = ctx.tr.language
    submit = [d for d in procedure.documents if d.mode is Mode.SUBMIT]
    present = [d for d in procedure.documents if d.mode is Mode.PRESENT]
    parts = [f"<b>{escape(title(procedure, ctx))}</b>"]
    if procedure.summary:
        parts.append(escape(procedure.summary.get(language)))
    if submit:
        parts.append("<b>" + _("Documents to submit:") + "</b>\n" + "\n".join(_document_line(d, ctx) for d in submit))
    if present:
        parts.append("<b>" + _("Bring and show at the desk:") + "</b>\n"
                     + "\n".join(_document_line(d, ctx) for d in present))
    parts.append("<b>" + _("Processing time:") + "</b> " + processing_time(procedure, ctx))
    parts.append("<b>" + _("Fee:") + "</b> " + escape(procedure.fee.get(language)))
    parts.append("<b>" + _("Legal basis:") + "</b> " + escape("; ".join(procedure.legal_basis)))
    token = token_of(REQUIREMENTS, procedure)
    rows = (
        (Button(_("✅ Start the application"), payload(state.dialog_id, token, "go")),),
        nav_row(state, token, ctx),
    )
    return Reply("\n\n".join(parts), rows)


def consent(state: DialogState, procedure: Procedure, ctx: Context) -> Reply:
    _ = ctx.tr.gettext
    fields = ", ".join(escape(f.label.get(ctx.tr.language)) for f in procedure.applicant_fields)
    text = _(
        "<b>Consent to the processing of your personal data</b>\n\n"
        "To prepare your application for “{procedure}”, {office} (the data controller) will collect: "
        "{fields}, and the documents you send.\n\n"
        "<b>Purpose:</b> to receive and process this application and to give you the appointment date. "
        "Nothing is used for any other purpose.\n"
        "<b>Who sees it:</b> you, and the officers of the one-stop desk who handle the case.\n"
        "<b>How long it is kept:</b> while the case is processed and {months} months after it is closed.\n"
        "<b>Your rights:</b> to see, correct or delete your data and to withdraw consent, by asking at the desk "
        "or with /cancel before you submit.\n\n"
        "Please do not send photos of your căn cước card: the number is enough.\n\n"
        "Do you agree?"
    ).format(procedure=escape(title(procedure, ctx)), office=escape(ctx.office_name), fields=fields,
             months=ctx.retention_months)
    token = token_of(CONSENT, procedure)
    rows = (
        (Button(_("✅ I agree"), payload(state.dialog_id, token, "yes")),
         Button(_("❌ I do not agree"), payload(state.dialog_id, token, "no"))),
        nav_row(state, token, ctx),
    )
    return Reply(text, rows)


def _progress(state: DialogState, procedure: Procedure, ctx: Context) -> str:
    steps = procedure_steps(procedure)
    position = steps.index(state.step) - 1
    return ctx.tr.gettext("Step {current}/{total}").format(current=position, total=len(steps) - 3)


_FIELD_HINTS = {
    FieldType.NAME: N_("Type the full name with diacritics, for example: Nguyễn Văn An."),
    FieldType.CCCD: N_("Type the 12 digits of the căn cước / CCCD card, for example: 001090012345."),
    FieldType.PHONE: N_("Type a mobile number, for example: 0912345678."),
    FieldType.DATE: N_("Type day/month/year, for example: 01/02/1990."),
    FieldType.ADDRESS: N_("Type the house number, street or village, and commune."),
}


def field_question(state: DialogState, procedure: Procedure, field: ApplicantField, ctx: Context) -> Reply:
    _ = ctx.tr.gettext
    language = ctx.tr.language
    lines = [f"<i>{_progress(state, procedure, ctx)}</i>", f"<b>{escape(field.label.get(language))}</b>"]
    if field.help:
        lines.append(escape(field.help.get(language)))
    hint = _FIELD_HINTS.get(field.type)
    if hint:
        lines.append(escape(_(hint)))
    if field.type is FieldType.NUMBER and field.min is not None and field.max is not None:
        lines.append(_("Type a number from {minimum} to {maximum}.").format(minimum=field.min, maximum=field.max))
    token = token_of(state.step, procedure)
    rows: list[tuple[Button, ...]] = [
        (Button(option.label.get(language), payload(state.dialog_id, token, "o-" + option.value)),)
        for option in field.options
    ]
    if not field.required:
        rows.append((Button(_("⏭ Skip"), payload(state.dialog_id, token, "skip")),))
    rows.append(nav_row(state, token, ctx))
    return Reply("\n".join(lines), tuple(rows))


def accepted_formats(document: Document, ctx: Context) -> str:
    kinds = {"photo": ctx.tr.gettext("photo"), "pdf": "PDF", "jpeg": "JPEG", "png": "PNG"}
    return ", ".join(kinds[k.value] for k in document.accepts)


def document_question(state: DialogState, procedure: Procedure, document: Document, ctx: Context) -> Reply:
    _ = ctx.tr.gettext
    language = ctx.tr.language
    received = len(state.documents.get(document.id, []))
    lines = [
        f"<i>{_progress(state, procedure, ctx)}</i>",
        _("Please send: <b>{document}</b>").format(document=escape(document.name.get(language))),
    ]
    if document.condition:
        lines.append(_("Only if: {condition}").format(condition=escape(document.condition.get(language))))
    if document.note:
        lines.append(escape(document.note.get(language)))
    lines.append(_("Send a photo of each page (several at once is fine) or a file ({formats}), "
                   "at most {pages} pages. Then press “Done”.").format(
        formats=accepted_formats(document, ctx), pages=document.max_pages))
    if received:
        lines.append(ctx.tr.ngettext("Received so far: {n} page.", "Received so far: {n} pages.",
                                     received).format(n=received))
    return Reply("\n".join(lines), document_buttons(state, procedure, document, ctx))


def document_buttons(state: DialogState, procedure: Procedure, document: Document,
                     ctx: Context) -> tuple[tuple[Button, ...], ...]:
    _ = ctx.tr.gettext
    token = token_of(state.step, procedure)
    first = [Button(_("✅ Done"), payload(state.dialog_id, token, "done"))]
    if document.skippable:
        first.append(Button(_("⏭ Skip"), payload(state.dialog_id, token, "skip")))
    rows = [tuple(first)]
    if state.documents.get(document.id):
        rows.append((Button(_("🗑 Remove and resend"), payload(state.dialog_id, token, "clear")),))
    rows.append(nav_row(state, token, ctx))
    return tuple(rows)


def document_received(state: DialogState, procedure: Procedure, document: Document, ctx: Context) -> Reply:
    received = len(state.documents.get(document.id, []))
    text = ctx.tr.ngettext(
        "✅ Received {n} page of “{document}”. Send more pages, or press “Done”.",
        "✅ Received {n} pages of “{document}”. Send more pages, or press “Done”.",
        received,
    ).format(n=received, document=escape(document.name.get(ctx.tr.language)))
    return Reply(text, document_buttons(state, procedure, document, ctx))


def display_answer(field: ApplicantField, value: str, tr: Translator) -> str:
    if field.type is FieldType.DATE:
        return tr.date(date.fromisoformat(value))
    if field.type is FieldType.CHOICE:
        option = next((o for o in field.options if o.value == value), None)
        return option.label.get(tr.language) if option else value
    return value


def summary(state: DialogState, procedure: Procedure, ctx: Context) -> Reply:
    _ = ctx.tr.gettext
    language = ctx.tr.language
    lines = [_("<b>Please check your application: {procedure}</b>").format(procedure=escape(title(procedure, ctx))), ""]
    for field in procedure.applicant_fields:
        value = state.answers.get(field.id)
        shown = escape(display_answer(field, value, ctx.tr)) if value else _("(skipped)")
        lines.append(f"• {escape(field.label.get(language))}: <b>{shown}</b>")
    if procedure.collected_documents:
        lines += ["", "<b>" + _("Documents:") + "</b>"]
    for document in procedure.collected_documents:
        count = len(state.documents.get(document.id, []))
        shown = ctx.tr.ngettext("{n} page", "{n} pages", count).format(n=count) if count else _("(skipped)")
        lines.append(f"• {escape(document.name.get(language))}: {shown}")
    lines += ["", _("To change something, tap it below. If everything is right, confirm.")]
    token = token_of(SUMMARY, procedure)
    steps = procedure_steps(procedure)
    edit_buttons = []
    for index, step in enumerate(steps):
        if step.startswith(FIELD_PREFIX):
            name = procedure.applicant_field(step.removeprefix(FIELD_PREFIX)).label.get(language)
        elif step.startswith(DOC_PREFIX):
            name = procedure.document(step.removeprefix(DOC_PREFIX)).name.get(language)
        else:
            continue
        edit_buttons.append(Button("✏️ " + _label(name), payload(state.dialog_id, token, f"e{index}")))
    rows = [(Button(_("✅ Confirm and submit"), payload(state.dialog_id, token, "ok")),)]
    rows += [tuple(edit_buttons[i:i + 2]) for i in range(0, len(edit_buttons), 2)]
    rows.append(nav_row(state, token, ctx))
    return Reply("\n".join(lines), tuple(rows))


def restart_buttons(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    _ = ctx.tr.gettext
    return ((Button(_("🏠 Main menu"), MENU_PREFIX + "menu"), Button(_("📝 Apply"), MENU_PREFIX + "apply")),)


def supplement_question(state: DialogState, index: int, document: Document, ctx: Context) -> Reply:
    """One item of an officer's request for more: send pages, type the information, or both."""
    _ = ctx.tr.gettext
    received = len(state.documents.get(document.id, []))
    lines = [
        _("Case <b>{code}</b> — additional item {current}/{total}:").format(
            code=escape(state.case_code or ""), current=index + 1, total=len(state.items)),
        f"<b>{escape(state.items[index])}</b>",
        _("Send photos or a file ({formats}), or type the information. Then press “Done”.").format(
            formats=accepted_formats(document, ctx)),
    ]
    if received:
        lines.append(ctx.tr.ngettext("Received so far: {n} page.", "Received so far: {n} pages.",
                                     received).format(n=received))
    typed = state.answers.get(str(index))
    if typed:
        lines.append(_("You wrote: {text}").format(text=escape(typed)))
    token = token_of(state.step, None)
    rows = [(Button(_("✅ Done"), payload(state.dialog_id, token, "done")),)]
    if received or typed:
        rows.append((Button(_("🗑 Remove and resend"), payload(state.dialog_id, token, "clear")),))
    rows.append(nav_row(state, token, ctx))
    return Reply("\n".join(lines), tuple(rows))
