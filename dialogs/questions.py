"""What the dialog does with a message once it is understood (`dialogs.understanding`): open the
procedure asked for, ask which of two is meant, answer a question (which papers, how long, how
much, where and when the desk is), or say plainly that the assistant does not handle a request
and where the desk is, so the citizen never finds a wrong procedure opened for them.

The answers come from the procedure files and the office's settings: nothing here is written
for one procedure or one commune.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dialogs import prompts
from dialogs.catalog import Procedure
from dialogs.model import Context, DialogState, Result
from dialogs.output import Reply, Rich
from dialogs.steps import CHOOSE, REQUIREMENTS, token_of
from dialogs.understanding import Reading, Topic

if TYPE_CHECKING:
    from dialogs.navigation import Navigator


class Questions:
    def __init__(self, navigator: Navigator) -> None:
        self.nav = navigator
        self.catalog = navigator.catalog

    def respond(self, reading: Reading, state: DialogState | None, dialog_id: int, text: str,
                ctx: Context) -> Result:
        """Typed on the home screen, the procedure list or a procedure's page."""
        _ = ctx.tr.gettext
        if reading.kind == "apply":
            chosen = DialogState(dialog_id=dialog_id, step=CHOOSE, procedure_id=reading.procedures[0])
            return self.nav.goto(chosen, REQUIREMENTS, ctx)
        if reading.kind == "choose":
            choose = DialogState(dialog_id=dialog_id, step=CHOOSE, candidates=list(reading.procedures))
            intro = Rich.plain(_("Two procedures fit what you wrote. Which one do you need?"))
            return Result(choose, [prompts.procedure_list(choose, self.catalog, ctx, intro=intro, explain=True)])
        if reading.kind == "out_of_scope":
            return Result(state, [not_handled(ctx)])
        if reading.kind == "ask" and reading.topic == "office":
            return Result(state, [Reply(office_details(ctx), prompts.restart_buttons(ctx.tr))])
        if reading.kind == "ask" and reading.topic is not None and reading.procedures:
            procedure = self.catalog[reading.procedures[0]]
            on_page = DialogState(dialog_id=dialog_id, step=REQUIREMENTS, procedure_id=procedure.id)
            return Result(on_page, [self._answer_then_offer(on_page, procedure, reading.topic, ctx)])
        choose = DialogState(dialog_id=dialog_id, step=CHOOSE)
        if reading.kind == "ask":
            intro = Rich.plain(_("Which procedure are you asking about? Tap one: I will tell you the papers, "
                                 "the time and the fee."))
        else:
            intro = Rich.plain(_("I could not find a procedure for “{text}”. These are the procedures of this desk; "
                                 "tap one or type its number:").format(text=text.strip()[:100]))
        return Result(choose, [prompts.procedure_list(choose, self.catalog, ctx, intro=intro)])

    def during_application(self, reading: Reading, state: DialogState, ctx: Context) -> Result:
        """A question typed while filling in: its answer, then the same step asked again. A
        question naming no procedure is about the one being filled in."""
        topic = reading.topic or "documents"
        if topic == "office":
            answer = office_details(ctx)
        else:
            procedure_id = reading.procedures[0] if reading.procedures else state.procedure_id
            procedure = self.catalog[procedure_id or ""]
            answer = topic_answer(procedure, topic, ctx)
        return Result(state, [Reply(answer), self.nav.prompt(state, ctx)])

    @staticmethod
    def _answer_then_offer(state: DialogState, procedure: Procedure, topic: Topic, ctx: Context) -> Reply:
        _ = ctx.tr.gettext
        offer = Rich.plain(_("Would you like to start the application for “{procedure}” now?").format(
            procedure=prompts.short(procedure, ctx.tr.language)))
        token = token_of(REQUIREMENTS, procedure)
        rows = ((prompts.step_button(state, token, _("✅ Start the application"), "go"),),
                (prompts.step_button(state, token, _("📖 Everything about this procedure"), "info"),),
                prompts.nav_row(state, token, ctx))
        return Reply(Rich.join("\n\n", [topic_answer(procedure, topic, ctx), offer]), rows)


def topic_answer(procedure: Procedure, topic: Topic, ctx: Context) -> Rich:
    """The part of a procedure's page that answers the question, under its title."""
    _ = ctx.tr.gettext
    heading = Rich.bold(prompts.title(procedure, ctx))
    if topic == "time":
        return Rich.join("\n", [heading, Rich.bold(_("Processing time:")) + " " + prompts.processing_time(procedure, ctx)])
    if topic == "fee":
        return Rich.join("\n", [heading, Rich.bold(_("Fee:")) + " " + procedure.fee.get(ctx.tr.language)])
    documents = prompts.documents_needed(procedure, ctx)
    if not documents:
        documents = [Rich.plain(_("The officer at the desk will tell you which papers to bring."))]
    return Rich.join("\n\n", [heading, *documents])


def office_details(ctx: Context) -> Rich:
    """Where the desk is, its hours and phone, and whether it is open today: a citizen asking
    "có làm việc không" wants to know before making the trip."""
    _ = ctx.tr.gettext
    office = ctx.office
    lines = [
        Rich.of(_("**One-stop desk of {office}**"), office=office.name),
        Rich.plain(_("📍 Address: {address}").format(address=office.address)),
        Rich.plain(_("🕗 Hours: {opens}–{closes}, Monday to Friday, except public holidays").format(
            opens=office.opens, closes=office.closes)),
    ]
    if office.phone:
        lines.append(Rich.plain(_("☎️ Phone: {phone}").format(phone=office.phone)))
    next_open = ctx.tr.weekday_date(office.next_open)
    if office.today == "open":
        today = _("Today the desk is open from {opens} to {closes}.").format(opens=office.opens, closes=office.closes)
    elif office.today == "over":
        today = _("The desk has closed for today. It opens again on {day}.").format(day=next_open)
    elif office.closed_because:
        today = _("Today the desk is closed ({holiday}). It opens again on {day}.").format(
            holiday=office.closed_because, day=next_open)
    else:
        today = _("Today the desk is closed. It opens again on {day}.").format(day=next_open)
    lines.append(Rich.plain(today))
    return Rich.join("\n", lines)


def not_handled(ctx: Context) -> Reply:
    """A request outside the desk's procedures in the assistant: said plainly, with where to go."""
    _ = ctx.tr.gettext
    intro = Rich.plain(_("I cannot help with this request here. Please come to the one-stop desk, or call it, "
                         "and an officer will guide you:"))
    tail = Rich.plain(_("I can help you apply for the procedures listed under “📝 Apply”."))
    return Reply(Rich.join("\n\n", [intro, office_details(ctx), tail]), prompts.restart_buttons(ctx.tr))
