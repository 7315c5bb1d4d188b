"""The receipt (giấy tiếp nhận và hẹn trả kết quả) a citizen gets when the case is created.

A case filed through the assistant is not yet received by the desk: the time limit counts from
when the desk has the papers. So the receipt says what to bring and by when, and never promises
a result today on its own.
"""

from __future__ import annotations

from datetime import date

from bot.cases.qr import case_link, qr_png
from dialogs.catalog import Document, Mode, Procedure, Requirement
from dialogs.model import Context, DialogState
from dialogs.output import Attachment, Reply, Rich
from dialogs.prompts import clause, restart_buttons, title


def _to_bring(document: Document, ctx: Context) -> str | None:
    """One line of what to bring to the desk, or None for a page already sent."""
    _ = ctx.tr.gettext
    if document.filled_by_bot:
        what = _("I filled it in: read it and sign it at the desk")
    elif document.mode is Mode.PRESENT:
        what = _("to show")
    elif not document.collect:
        what = _("to hand in")
    elif document.bring_original:
        what = _("the original, to hand in")
    else:
        return None
    line = f"• {document.name.get(ctx.tr.language)} — {what}"
    if document.condition:
        line += f" ({clause(document.condition.get(ctx.tr.language))})"
    elif document.requirement is Requirement.OPTIONAL:
        line += " " + _("(optional)")
    return line


def _when(procedure: Procedure, due: date, ctx: Context) -> list[Rich]:
    _ = ctx.tr.gettext
    if procedure.same_day:
        return [Rich.of(_("📅 Please bring them to the Bộ phận Một cửa by **{cutoff} on {date}**."),
                        cutoff=ctx.same_day_cutoff, date=ctx.tr.weekday_date(due)),
                Rich.plain(_("The result is given on the day the desk receives your complete papers, if you "
                             "come before {cutoff}; after {cutoff}, on the next working day.").format(
                    cutoff=ctx.same_day_cutoff))]
    return [Rich.of(_("Appointment date (ngày hẹn trả): **{date}**"), date=ctx.tr.weekday_date(due)),
            Rich.plain(_("The time limit counts from when the desk receives your complete papers: please bring "
                         "them soon. If you come later, the officer gives you a new date."))]


def receipt(code: str, due: date, state: DialogState, procedure: Procedure, ctx: Context, *,
            bot_username: str | None, forms: tuple[Attachment, ...]) -> Reply:
    """With the filled forms (`forms`) and a QR code that opens the case in the bot when
    `bot_username` is known."""
    _ = ctx.tr.gettext
    language = ctx.tr.language
    lines = [
        Rich.of(_("✅ **Your application has been received.**")),
        Rich(),
        Rich.of(_("Case code: **{code}**"), code=code),
        Rich.plain(_("Procedure: {procedure}").format(procedure=title(procedure, ctx))),
        Rich.plain(_("Applicant: {name}").format(name=state.answers.get("full_name", ""))),
    ]
    received = [(d, len(state.documents.get(d.id, []))) for d in procedure.collected_documents]
    received = [(d, n) for d, n in received if n]
    if received:
        lines += [Rich(), Rich.bold(_("Documents received:"))]
        lines += [Rich.plain("• " + d.name.get(language) + " — " + ctx.tr.ngettext("{n} page", "{n} pages", n).format(n=n))
                  for d, n in received]
    bring = [line for line in (_to_bring(d, ctx) for d in procedure.documents) if line]
    if bring:
        lines += [Rich(), Rich.bold(_("Bring to the desk:"))] + [Rich.plain(line) for line in bring]
    lines += [Rich(), *_when(procedure, due, ctx)]
    lines += [Rich(), Rich.plain(_("Keep this code: the desk of {office} will use it to find your case.").format(
        office=ctx.office.name))]
    lines.append(Rich.plain(_("Address of the one-stop desk: {address}").format(address=ctx.office.address)))
    attachments = forms
    if bot_username is not None:
        caption = Rich.plain(_("Scan this code to look up case {code} in the bot.").format(code=code))
        qr = Attachment("photo", caption, data=qr_png(case_link(bot_username, code)), file_name="qr.png")
        attachments = (qr, *forms)
    return Reply(Rich.join("\n", lines), restart_buttons(ctx.tr), attachments=attachments)
