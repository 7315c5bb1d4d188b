"""The questions and screens of a dialog, in the citizen's language.

Everything here is rendered from the procedure's data file and the gettext catalogs, as
channel-neutral `Reply` objects (see `dialogs.output`).
"""

from __future__ import annotations

from datetime import date

from dialogs.catalog import (
    ApplicantField,
    Catalog,
    Document,
    FieldType,
    Mode,
    Procedure,
    Requirement,
)
from dialogs.model import Context, DialogState
from dialogs.output import Button, Expect, Reply, Rich, Rows
from dialogs.steps import (
    CHOOSE_TOKEN,
    CONSENT,
    DOC_PREFIX,
    FIELD_PREFIX,
    REQUIREMENTS,
    SUMMARY,
    Navigate,
    Place,
    StepPress,
    asked_steps,
    counted_steps,
    procedure_steps,
    token_of,
)
from locales import N_, Translator

NOTICE_VERSION = "2026-12"
"""The consent notice's version, kept with each consent: bumped whenever its promises change."""
MAX_LABEL = 28


def label(text: str) -> str:
    """Button labels are cut to what a phone shows on one line."""
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def title(procedure: Procedure, ctx: Context) -> str:
    return procedure.title.get(ctx.tr.language)


def short(procedure: Procedure, language: str) -> str:
    return (procedure.short_title or procedure.title).get(language)


def step_button(state: DialogState, token: str, text: str, action: str) -> Button:
    return Button.to(text, StepPress(state.dialog_id, token, action))


def nav_row(state: DialogState, token: str, ctx: Context) -> tuple[Button, ...]:
    _ = ctx.tr.gettext
    return (step_button(state, token, _("⬅️ Back"), "back"), step_button(state, token, _("✖️ Cancel"), "cancel"))


def procedure_list(state: DialogState, catalog: Catalog, ctx: Context, *, intro: Rich | None = None,
                   explain: bool = False) -> Reply:
    """Every procedure, or the chat's candidates; `explain` adds the line that tells each from
    the others, for when the citizen's words fit two."""
    _ = ctx.tr.gettext
    procedures = [catalog[p] for p in state.candidates] if state.candidates else list(catalog)
    lines = [intro or Rich.plain(_("Which procedure do you need? Tap one, or type its name (for example: khai sinh)."))]
    lines += [_listed(number, p, ctx, explain) for number, p in enumerate(procedures, start=1)]
    rows = tuple(
        (step_button(state, CHOOSE_TOKEN, f"{number}. {label(short(p, ctx.tr.language))}", p.id),)
        for number, p in enumerate(procedures, start=1)
    )
    cancel = (step_button(state, CHOOSE_TOKEN, _("✖️ Cancel"), "cancel"),)
    return Reply(Rich.join("\n", lines), (*rows, cancel), expects=Expect.CHOICE)


def _listed(number: int, procedure: Procedure, ctx: Context, explain: bool) -> Rich:
    if explain and procedure.choose_if:
        return Rich.of(f"{number}. **{{title}}**: {{why}}", title=title(procedure, ctx),
                       why=procedure.choose_if.get(ctx.tr.language))
    return Rich.plain(f"{number}. {title(procedure, ctx)}")


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
    return text


def clause(condition: str) -> str:
    """A condition ("Nếu trẻ bị bỏ rơi") as the clause of a longer sentence ("nếu trẻ bị bỏ rơi")."""
    return condition[:1].lower() + condition[1:]


def _document_line(document: Document, ctx: Context) -> str:
    _ = ctx.tr.gettext
    line = "• " + document.name.get(ctx.tr.language)
    if document.filled_by_bot:
        line += " " + _("(I fill it in from your answers)")
    elif document.mode is Mode.SUBMIT and not document.collect:
        line += " " + _("(hand it in on paper at the desk)")
    if document.requirement is Requirement.OPTIONAL:
        line += " " + _("(optional)")
    if document.condition:
        line += " (" + clause(document.condition.get(ctx.tr.language)) + ")"
    if document.note:
        line += "\n  " + document.note.get(ctx.tr.language)
    return line


def documents_needed(procedure: Procedure, ctx: Context) -> list[Rich]:
    """What to submit and what to show, as the requirements page and the answer to "which
    papers do I need" both say it."""
    _ = ctx.tr.gettext
    submit = [d for d in procedure.documents if d.mode is Mode.SUBMIT]
    present = [d for d in procedure.documents if d.mode is Mode.PRESENT]
    parts = []
    if submit:
        parts.append(Rich.bold(_("Documents to submit:")) + "\n" + "\n".join(_document_line(d, ctx) for d in submit))
    if present:
        parts.append(Rich.bold(_("Bring and show at the desk:")) + "\n"
                     + "\n".join(_document_line(d, ctx) for d in present))
    return parts


def requirements(state: DialogState, procedure: Procedure, ctx: Context) -> Reply:
    _ = ctx.tr.gettext
    language = ctx.tr.language
    parts = [Rich.bold(title(procedure, ctx))]
    if procedure.summary:
        parts.append(Rich.plain(procedure.summary.get(language)))
    parts += documents_needed(procedure, ctx)
    parts.append(Rich.bold(_("Processing time:")) + " " + processing_time(procedure, ctx))
    parts.append(Rich.bold(_("Fee:")) + " " + procedure.fee.get(language))
    parts.append(Rich.bold(_("Legal basis:")) + " " + "; ".join(procedure.legal_basis))
    token = token_of(REQUIREMENTS, procedure)
    rows = ((step_button(state, token, _("✅ Start the application"), "go"),), nav_row(state, token, ctx))
    return Reply(Rich.join("\n\n", parts), rows, expects=Expect.CHOICE)


def consent(state: DialogState, procedure: Procedure, ctx: Context) -> Reply:
    _ = ctx.tr.gettext
    language = ctx.tr.language
    fields = "; ".join(clause((f.noun or f.label).get(language)) for f in procedure.applicant_fields)
    text = Rich.of(_(
        "**Consent to the processing of your personal data**\n\n"
        "To prepare your application for “{procedure}”, {office} (the data controller) will collect: "
        "{fields}; and the documents you send.\n\n"
        "**Purpose:** to receive and process this application, to fill in its form and to give you the "
        "appointment date. Nothing is used for any other purpose.\n"
        "**Who sees it:** you, and the officers of the Bộ phận Một cửa who handle the case.\n"
        "**How long it is kept:** while the case is processed and {months} months after it is closed; an "
        "application left unfinished is deleted after {days} days.\n"
        "**Your rights:** to see, correct or delete your data and to withdraw consent, at any time: send "
        "/dulieu, or ask at the Bộ phận Một cửa ({address}).\n\n"
        "Please do not send photos of your căn cước card: the number is enough.\n\n"
        "Do you agree?"
    ), procedure=title(procedure, ctx), office=ctx.office.name, fields=fields, months=ctx.retention_months,
        days=ctx.abandoned_days, address=ctx.office.address)
    token = token_of(CONSENT, procedure)
    rows = (
        (step_button(state, token, _("✅ I agree"), "yes"), step_button(state, token, _("❌ I do not agree"), "no")),
        nav_row(state, token, ctx),
    )
    return Reply(text, rows, expects=Expect.CHOICE)


def _progress(state: DialogState, procedure: Procedure, ctx: Context) -> Rich:
    """"Step 3/12", counting only the steps this citizen's answers so far make them go through."""
    steps = counted_steps(procedure, state.answers, state.step)
    position = steps.index(state.step) - 1
    return Rich.italic(ctx.tr.gettext("Step {current}/{total}").format(current=position, total=len(steps) - 3))


def same_answer(state: DialogState, field: ApplicantField) -> str | None:
    """The earlier answer this question may repeat with one tap, if it was given and fits."""
    same = field.same_as
    if same is None or (same.when is not None and not same.when.holds(state.answers)):
        return None
    return state.answers.get(same.field)


_FIELD_HINTS = {
    FieldType.NAME: N_("Type the full name with diacritics, for example: Nguyễn Văn An."),
    FieldType.CCCD: N_("Type the 12 digits of the căn cước / CCCD card, for example: 001090012345."),
    FieldType.PHONE: N_("Type a mobile number, for example: 0912345678."),
    FieldType.DATE: N_("Type day/month/year, for example: 01/02/1990."),
    FieldType.ADDRESS: N_("Type the house number, street or village, and commune."),
    FieldType.YEAR: N_("Type the year in four digits, for example: 1990."),
}


def field_question(state: DialogState, procedure: Procedure, field: ApplicantField, ctx: Context) -> Reply:
    _ = ctx.tr.gettext
    language = ctx.tr.language
    lines = [_progress(state, procedure, ctx), Rich.bold(field.label.get(language))]
    if field.help:
        lines.append(Rich.plain(field.help.get(language)))
    hint = _FIELD_HINTS.get(field.type)
    if hint:
        lines.append(Rich.plain(_(hint)))
    if field.type is FieldType.NUMBER and field.min is not None and field.max is not None:
        lines.append(Rich.plain(_("Type a number from {minimum} to {maximum}.").format(minimum=field.min,
                                                                                        maximum=field.max)))
    token = token_of(state.step, procedure)
    rows: list[tuple[Button, ...]] = [
        (step_button(state, token, option.label.get(language), "o-" + option.value),) for option in field.options
    ]
    same = same_answer(state, field)
    if field.same_as is not None and same is not None:
        shown = display_answer(procedure.applicant_field(field.same_as.field), same, ctx.tr)
        lines.append(Rich.plain(_("Or tap “{same}” ({value}).").format(same=field.same_as.label.get(language),
                                                                        value=shown)))
        rows.append((step_button(state, token, "↩️ " + label(field.same_as.label.get(language)), "same"),))
    if field.suggest:
        rows.append(tuple(step_button(state, token, label(value), f"s{index}")
                          for index, value in enumerate(field.suggest)))
    if not field.required:
        rows.append((step_button(state, token, _("⏭ Skip"), "skip"),))
    rows.append(nav_row(state, token, ctx))
    expects = Expect.CHOICE if field.type is FieldType.CHOICE else Expect.TEXT
    return Reply(Rich.join("\n", lines), tuple(rows), expects=expects)


def accepted_formats(document: Document, tr: Translator) -> str:
    kinds = {"photo": tr.gettext("photo"), "pdf": "PDF", "jpeg": "JPEG", "png": "PNG"}
    return ", ".join(kinds[k.value] for k in document.accepts)


def pages_received(state: DialogState, document: Document, ctx: Context) -> str | None:
    received = len(state.documents.get(document.id, []))
    if not received:
        return None
    return ctx.tr.ngettext("Received so far: {n} page.", "Received so far: {n} pages.", received).format(n=received)


def document_question(state: DialogState, procedure: Procedure, document: Document, ctx: Context) -> Reply:
    _ = ctx.tr.gettext
    language = ctx.tr.language
    lines = [
        _progress(state, procedure, ctx),
        Rich.of(_("Please send: **{document}**"), document=document.name.get(language)),
    ]
    if document.condition:
        lines.append(Rich.plain(_("Send it only {condition}.").format(
            condition=clause(document.condition.get(language)))))
    if document.note:
        lines.append(Rich.plain(document.note.get(language)))
    lines.append(Rich.plain(_("Send a photo of each page (several at once is fine) or a file ({formats}), "
                              "at most {pages} pages. Then press “Done”.").format(
        formats=accepted_formats(document, ctx.tr), pages=document.max_pages)))
    received = pages_received(state, document, ctx)
    if received:
        lines.append(Rich.plain(received))
    return Reply(Rich.join("\n", lines), document_buttons(state, procedure, document, ctx), expects=Expect.FILES)


def document_buttons(state: DialogState, procedure: Procedure, document: Document, ctx: Context) -> Rows:
    _ = ctx.tr.gettext
    token = token_of(state.step, procedure)
    first = [step_button(state, token, _("✅ Done"), "done")]
    if document.skippable:
        first.append(step_button(state, token, _("⏭ Skip"), "skip"))
    rows = [tuple(first)]
    if state.documents.get(document.id):
        rows.append((step_button(state, token, _("🗑 Remove and resend"), "clear"),))
    rows.append(nav_row(state, token, ctx))
    return tuple(rows)


def document_received(state: DialogState, procedure: Procedure, document: Document, ctx: Context) -> Reply:
    received = len(state.documents.get(document.id, []))
    text = ctx.tr.ngettext(
        "✅ Received {n} page of “{document}”. Send more pages, or press “Done”.",
        "✅ Received {n} pages of “{document}”. Send more pages, or press “Done”.",
        received,
    ).format(n=received, document=document.name.get(ctx.tr.language))
    return Reply(Rich.plain(text), document_buttons(state, procedure, document, ctx), expects=Expect.FILES)


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
    lines = [Rich.of(_("**Please check your application: {procedure}**"), procedure=title(procedure, ctx)), Rich()]
    for field in procedure.asked_fields(state.answers):
        value = state.answers.get(field.id)
        shown = Rich.bold(display_answer(field, value, ctx.tr)) if value else Rich.plain(_("(skipped)"))
        lines.append("• " + field.label.get(language) + ": " + shown)
    if procedure.collected_documents:
        lines += [Rich(), Rich.bold(_("Documents:"))]
    for document in procedure.collected_documents:
        count = len(state.documents.get(document.id, []))
        shown_pages = ctx.tr.ngettext("{n} page", "{n} pages", count).format(n=count) if count else _("(skipped)")
        lines.append(Rich.plain(f"• {document.name.get(language)}: {shown_pages}"))
    lines += [Rich(), Rich.plain(_("To change something, tap it below. If everything is right, confirm."))]
    token = token_of(SUMMARY, procedure)
    edit_buttons = []
    asked = asked_steps(procedure, state.answers)
    for index, step in enumerate(procedure_steps(procedure)):
        if step not in asked:
            continue
        if step.startswith(FIELD_PREFIX):
            name = procedure.applicant_field(step.removeprefix(FIELD_PREFIX)).label.get(language)
        elif step.startswith(DOC_PREFIX):
            name = procedure.document(step.removeprefix(DOC_PREFIX)).name.get(language)
        else:
            continue
        edit_buttons.append(step_button(state, token, "✏️ " + label(name), f"e{index}"))
    rows = [(step_button(state, token, _("✅ Confirm and submit"), "ok"),)]
    rows += [tuple(edit_buttons[i:i + 2]) for i in range(0, len(edit_buttons), 2)]
    rows.append(nav_row(state, token, ctx))
    return Reply(Rich.join("\n", lines), tuple(rows), expects=Expect.CHOICE)


def restart_buttons(tr: Translator) -> Rows:
    _ = tr.gettext
    return ((Button.to(_("🏠 Main menu"), Navigate(Place.HOME)), Button.to(_("📝 Apply"), Navigate(Place.APPLY))),)


def supplement_question(state: DialogState, index: int, document: Document, ctx: Context,
                        field: ApplicantField | None = None) -> Reply:
    """One item an officer asked to supplement: send pages, type the information, or both; an
    item that names a question of the form (`field`) is typed like that question."""
    _ = ctx.tr.gettext
    lines = [
        Rich.of(_("Case **{code}** — additional item {current}/{total}:"), code=state.case_code or "",
                current=index + 1, total=len(state.items)),
        Rich.bold(state.items[index]),
        Rich.plain(_("Send photos or a file ({formats}), or type the information. Then press “Done”.").format(
            formats=accepted_formats(document, ctx.tr))),
    ]
    hint = _FIELD_HINTS.get(field.type) if field is not None else None
    if hint:
        lines.append(Rich.plain(_(hint)))
    received = pages_received(state, document, ctx)
    if received:
        lines.append(Rich.plain(received))
    typed = state.answers.get(str(index))
    if typed:
        shown = display_answer(field, typed, ctx.tr) if field is not None else typed
        lines.append(Rich.plain(_("You wrote: {text}").format(text=shown)))
    token = token_of(state.step, None)
    rows = [(step_button(state, token, _("✅ Done"), "done"),)]
    if received or typed:
        rows.append((step_button(state, token, _("🗑 Remove and resend"), "clear"),))
    rows.append(nav_row(state, token, ctx))
    return Reply(Rich.join("\n", lines), tuple(rows), expects=Expect.FILES)
