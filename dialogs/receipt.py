"""The receipt (giấy tiếp nhận và hẹn trả kết quả) a citizen gets when the case is created."""

from __future__ import annotations

from datetime import date
from html import escape

from dialogs import prompts
from dialogs.catalog import Mode, Procedure
from dialogs.model import Context, DialogState, Reply
from dialogs.qr import case_link, qr_png


def receipt(code: str, due: date, state: DialogState, procedure: Procedure, ctx: Context) -> Reply:
    _ = ctx.tr.gettext
    language = ctx.tr.language
    lines = [
        _("✅ <b>Your application has been received.</b>"),
        "",
        _("Case code: <b>{code}</b>").format(code=escape(code)),
        _("Procedure: {procedure}").format(procedure=escape(prompts.title(procedure, ctx))),
        _("Applicant: {name}").format(name=escape(state.answers.get("full_name", ""))),
    ]
    received = [(d, len(state.documents.get(d.id, []))) for d in procedure.collected_documents]
    received = [(d, n) for d, n in received if n]
    if received:
        lines += ["", "<b>" + _("Documents received:") + "</b>"]
        lines += ["• " + escape(d.name.get(language)) + " — "
                  + ctx.tr.ngettext("{n} page", "{n} pages", n).format(n=n) for d, n in received]
    present = [d for d in procedure.documents if d.mode is Mode.PRESENT]
    if present:
        lines += ["", "<b>" + _("Bring and show at the desk:") + "</b>"]
        lines += ["• " + escape(d.name.get(language)) for d in present]
    lines += ["", _("Appointment date (ngày hẹn trả): <b>{date}</b>").format(date=escape(ctx.tr.weekday_date(due)))]
    if procedure.same_day and due == ctx.today:
        lines.append(_("This is a same-day procedure (“Ngày không hẹn”): your result is due today."))
    lines += ["", _("Keep this code: the desk of {office} will use it to find your case.").format(
        office=escape(ctx.office_name))]
    if ctx.bot_username is None:
        return Reply("\n".join(lines), prompts.restart_buttons(ctx))
    caption = _("Scan this code to look up case {code} in the bot.").format(code=escape(code))
    return Reply("\n".join(lines), prompts.restart_buttons(ctx), image=qr_png(case_link(ctx.bot_username, code)),
                 image_caption=caption)
