"""The receipt (giấy tiếp nhận và hẹn trả kết quả) a citizen gets when the case is created."""

from __future__ import annotations

from datetime import date

from bot.cases.qr import case_link, qr_png
from dialogs.catalog import Mode, Procedure
from dialogs.model import Context, DialogState
from dialogs.output import Attachment, Reply, Rich
from dialogs.prompts import restart_buttons, title


def receipt(code: str, due: date, state: DialogState, procedure: Procedure, ctx: Context, *,
            office_address: str, bot_username: str | None) -> Reply:
    """With a QR code that opens the case in the bot when `bot_username` is known."""
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
    present = [d for d in procedure.documents if d.mode is Mode.PRESENT]
    if present:
        lines += [Rich(), Rich.bold(_("Bring and show at the desk:"))]
        lines += [Rich.plain("• " + d.name.get(language)) for d in present]
    lines += [Rich(), Rich.of(_("Appointment date (ngày hẹn trả): **{date}**"), date=ctx.tr.weekday_date(due))]
    if procedure.same_day and due == ctx.today:
        lines.append(Rich.plain(_("This is a same-day procedure (“Ngày không hẹn”): your result is due today.")))
    lines += [Rich(), Rich.plain(_("Keep this code: the desk of {office} will use it to find your case.").format(
        office=ctx.office_name))]
    lines.append(Rich.plain(_("Address of the one-stop desk: {address}").format(address=office_address)))
    attachments: tuple[Attachment, ...] = ()
    if bot_username is not None:
        caption = Rich.plain(_("Scan this code to look up case {code} in the bot.").format(code=code))
        attachments = (Attachment("photo", caption, data=qr_png(case_link(bot_username, code)), file_name="qr.png"),)
    return Reply(Rich.join("\n", lines), restart_buttons(ctx.tr), attachments=attachments)
