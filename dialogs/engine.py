"""The dialog engine: `step(state, input, context) -> Result`.

Pure and synchronous: no channel, no database, no clock but the one in `Context`. The steps
of every procedure come from its data file (see `dialogs.steps`), so no procedure has code of
its own. Every refusal names what was wrong and asks the same question again; nothing the
citizen already gave is lost by a wrong answer, a stale button or a forged one.
"""

from __future__ import annotations

from dialogs import prompts
from dialogs.answers import parse_answer, printable
from dialogs.catalog import ApplicantField, Catalog, Procedure
from dialogs.model import (
    ConsentGiven,
    Context,
    DialogState,
    Discard,
    Input,
    Result,
    SubmitCase,
)
from dialogs.navigation import Navigator, first_missing
from dialogs.output import Reply, Rich
from dialogs.steps import (
    CHOOSE,
    CONSENT,
    DOC_PREFIX,
    FIELD_PREFIX,
    REQUIREMENTS,
    SUMMARY,
    SUPPLEMENT_PREFIX,
    Navigate,
    Place,
    StepPress,
    asked_steps,
    procedure_steps,
    token_of,
)
from dialogs.questions import Questions
from dialogs.supplement import SupplementSteps
from dialogs.text import fold
from dialogs.understanding import Reading, Understanding
from dialogs.uploads import Uploads
from dialogs.validators import InvalidAnswer
from locales import N_

CANCEL_WORDS = frozenset({"huy", "huy bo", "cancel", "thoat", "dung lai"})
BACK_WORDS = frozenset({"quay lai", "back", "tro lai", "lui lai"})
DONE_WORDS = frozenset({"xong", "done", "tiep", "tiep tuc", "het", "da gui het"})
SKIP_WORDS = frozenset({"bo qua", "skip", "khong co"})
YES_WORDS = frozenset({"dong y", "toi dong y", "co", "yes", "ok", "i agree"})
NO_WORDS = frozenset({"khong dong y", "khong", "no", "tu choi"})
NOT_UNDERSTOOD = N_("Sorry, I did not understand that button.")


class DialogEngine(Navigator):
    def __init__(self, catalog: Catalog) -> None:
        super().__init__(catalog)
        self.understanding = Understanding(catalog)
        self.questions = Questions(self)
        self.uploads = Uploads(self)
        self.supplements = SupplementSteps(self)

    def step(self, state: DialogState | None, inp: Input, ctx: Context) -> Result:
        if inp.command is not None:
            return self._command(state, inp, ctx)
        if isinstance(inp.press, Navigate):
            return self._navigate(state, inp, inp.press.place, ctx)
        if isinstance(inp.press, StepPress):
            return self._button(state, inp.press, ctx)
        if inp.press is not None or inp.unknown_button:
            return self.reprompt(state, ctx, NOT_UNDERSTOOD)
        if inp.files:
            return self.uploads.receive(state, inp.files, ctx)
        if inp.text is not None and inp.text.strip():
            return self._text(state, inp, inp.text, ctx)
        return self.reprompt(state, ctx, N_("I can read text, photos and files (PDF, JPEG, PNG)."))

    def start_supplement(self, dialog_id: int, case_id: int, case_code: str, procedure_id: str, items: list[str],
                         ctx: Context) -> Result:
        return self.supplements.start(dialog_id, case_id, case_code, procedure_id, items, ctx)

    # ----- commands, buttons, text ---------------------------------------------------------

    def _command(self, state: DialogState | None, inp: Input, ctx: Context) -> Result:
        if inp.command == "cancel":
            if state is None:
                return Result(None, [self.say(ctx, N_("There is nothing to cancel.")), ctx.home(None)])
            return self.cancel(state, ctx)
        if inp.command in ("start", "help", "menu"):
            return Result(state, [ctx.home(state)])
        return Result(state, [self.say(ctx, N_("I do not know that command.")), ctx.home(state)])

    def _button(self, state: DialogState | None, press: StepPress, ctx: Context) -> Result:
        if state is None or press.dialog_id != state.dialog_id:
            return Result(state, [Reply(Rich.plain(ctx.tr.gettext("This session has ended. You can start again.")),
                                        prompts.restart_buttons(ctx.tr))])
        procedure = self.catalog.get(state.procedure_id or "")
        if press.token != token_of(state.step, procedure):
            return self.reprompt(state, ctx, N_("That button belongs to an earlier question. Here is the current one:"))
        if press.action == "cancel":
            return self.cancel(state, ctx)
        if state.step == CHOOSE:
            chosen = self.catalog.get(press.action)
            if chosen is None or (state.candidates and chosen.id not in state.candidates):
                return self.reprompt(state, ctx, NOT_UNDERSTOOD)
            return self.goto(state.model_copy(update={"procedure_id": chosen.id, "candidates": []}), REQUIREMENTS, ctx)
        if state.step.startswith(SUPPLEMENT_PREFIX):
            return self.supplements.act(state, press.action, ctx)
        assert procedure is not None
        if press.action == "back":
            return self.back(state, procedure, ctx)
        handler = {
            REQUIREMENTS: self._requirements_action,
            CONSENT: self._consent_action,
            SUMMARY: self._summary_action,
        }.get(state.step)
        if handler is None:
            handler = self._field_action if state.step.startswith(FIELD_PREFIX) else self.uploads.act
        return handler(state, procedure, press.action, ctx)

    def _navigate(self, state: DialogState | None, inp: Input, place: Place, ctx: Context) -> Result:
        if place in (Place.APPLY, Place.PROCEDURES):
            fresh = DialogState(dialog_id=inp.update_id, step=CHOOSE)
            discard = Discard(tuple(state.all_files())) if state and state.all_files() else None
            return Result(fresh, [prompts.procedure_list(fresh, self.catalog, ctx)], discard)
        if place is Place.RESUME:
            return Result(state, [self.prompt(state, ctx)])
        return Result(state, [ctx.home(state)])

    def _text(self, state: DialogState | None, inp: Input, text: str, ctx: Context) -> Result:
        folded = fold(text)
        if state is not None and folded in CANCEL_WORDS:
            return self.cancel(state, ctx)
        if state is None or state.step in (CHOOSE, REQUIREMENTS):
            if state is not None and folded in BACK_WORDS:
                return self.back(state, self.catalog.get(state.procedure_id or ""), ctx)
            return self._search(state, inp, text, ctx)
        if state.step.startswith(SUPPLEMENT_PREFIX):
            if folded in DONE_WORDS | BACK_WORDS:
                return self.supplements.act(state, "done" if folded in DONE_WORDS else "back", ctx)
            if _is_question(reading := self.understanding.read(text), text):
                return self.questions.during_application(reading, state, ctx)
            return self.supplements.text(state, text, ctx)
        procedure = self.catalog[state.procedure_id or ""]
        if folded in BACK_WORDS:
            return self.back(state, procedure, ctx)
        if state.step == CONSENT and folded in YES_WORDS | NO_WORDS:
            return self._consent_action(state, procedure, "yes" if folded in YES_WORDS else "no", ctx)
        if _is_question(reading := self.understanding.read(text), text):
            return self.questions.during_application(reading, state, ctx)
        if state.step.startswith(FIELD_PREFIX):
            return self._answer(state, procedure, text, ctx)
        if state.step.startswith(DOC_PREFIX):
            if folded in DONE_WORDS:
                return self.uploads.act(state, procedure, "done", ctx)
            if folded in SKIP_WORDS:
                return self.uploads.act(state, procedure, "skip", ctx)
            return self.reprompt(state, ctx, N_("Please send a photo or a file for this document, or press “Done”."))
        return self.reprompt(state, ctx, N_("Please use the buttons below."))

    def _search(self, state: DialogState | None, inp: Input, text: str, ctx: Context) -> Result:
        dialog_id = state.dialog_id if state is not None else inp.update_id
        if state is not None and state.step == CHOOSE and text.strip().isdigit():
            shown = state.candidates or [p.id for p in self.catalog]
            number = int(text.strip())
            if 1 <= number <= len(shown):
                chosen = DialogState(dialog_id=dialog_id, step=CHOOSE, procedure_id=shown[number - 1])
                return self.goto(chosen, REQUIREMENTS, ctx)
        return self.questions.respond(self.understanding.read(text), state, dialog_id, text, ctx)

    # ----- the steps of an application --------------------------------------------------------

    def _requirements_action(self, state: DialogState, procedure: Procedure, action: str, ctx: Context) -> Result:
        """"info" shows the whole page again after an answer to one question about it."""
        if action == "info":
            return Result(state, [self.prompt(state, ctx)])
        if action != "go":
            return self.reprompt(state, ctx, NOT_UNDERSTOOD)
        return self.goto(state, CONSENT, ctx)

    def _consent_action(self, state: DialogState, procedure: Procedure, action: str, ctx: Context) -> Result:
        if action == "no":
            reply = Reply(Rich.plain(ctx.tr.gettext("Understood. I have not kept anything about you. "
                                                    "You can start again at any time with /start.")),
                          prompts.restart_buttons(ctx.tr))
            return Result(None, [reply], Discard(tuple(state.all_files()), forget_chat=True))
        if action != "yes":
            return self.reprompt(state, ctx, NOT_UNDERSTOOD)
        result = self.advance(state.model_copy(update={"consent_at": ctx.now}), procedure, ctx)
        result.effect = ConsentGiven()
        return result

    def _field_action(self, state: DialogState, procedure: Procedure, action: str, ctx: Context) -> Result:
        """A button of a question: an option, skip, "same as" an earlier answer, a suggestion."""
        field = procedure.applicant_field(state.step.removeprefix(FIELD_PREFIX))
        if action == "skip" and not field.required:
            answers = {k: v for k, v in state.answers.items() if k != field.id}
            return self.advance(state.model_copy(update={"answers": answers}), procedure, ctx)
        value = action.removeprefix("o-")
        if action.startswith("o-") and any(option.value == value for option in field.options):
            return _told(self.advance(_with_answer(state, field, value), procedure, ctx), field, value, ctx)
        same = prompts.same_answer(state, field)
        if action == "same" and same is not None:
            return self.advance(_with_answer(state, field, same), procedure, ctx)
        index = action.removeprefix("s")
        if action.startswith("s") and index.isdigit() and int(index) < len(field.suggest):
            return self.advance(_with_answer(state, field, field.suggest[int(index)]), procedure, ctx)
        return self.reprompt(state, ctx, NOT_UNDERSTOOD)

    def _answer(self, state: DialogState, procedure: Procedure, text: str, ctx: Context) -> Result:
        field = procedure.applicant_field(state.step.removeprefix(FIELD_PREFIX))
        if not field.required and fold(text) in SKIP_WORDS:
            return self._field_action(state, procedure, "skip", ctx)
        try:
            value = parse_answer(field, text, ctx)
            if procedure.form_documents:
                printable(value)
        except InvalidAnswer as problem:
            return self.reprompt(state, ctx, problem.reason, problem.params)
        return _told(self.advance(_with_answer(state, field, value), procedure, ctx), field, value, ctx)

    def _summary_action(self, state: DialogState, procedure: Procedure, action: str, ctx: Context) -> Result:
        steps = procedure_steps(procedure)
        if action == "ok":
            missing = first_missing(state, procedure)
            if missing is not None:
                result = self.goto(state.model_copy(update={"editing": True}), missing, ctx)
                result.replies.insert(0, self.say(ctx, N_("Something required is still missing:")))
                return result
            return Result(None, [], SubmitCase(state.model_copy(update={
                "answers": procedure.kept_answers(state.answers)})))
        if action.startswith("e") and action[1:].isdigit() and 2 <= int(action[1:]) < len(steps) - 1 \
                and steps[int(action[1:])] in asked_steps(procedure, state.answers):
            return self.goto(state.model_copy(update={"editing": True}), steps[int(action[1:])], ctx)
        return self.reprompt(state, ctx, NOT_UNDERSTOOD)


def _is_question(reading: Reading, text: str) -> bool:
    """A question in the middle of an application; a lone topic word without a question mark
    ("Phí Thị Hoa") is an answer."""
    return reading.kind == "ask" and (not reading.in_one_word or "?" in text)


def _with_answer(state: DialogState, field: ApplicantField, value: str) -> DialogState:
    return state.model_copy(update={"answers": {**state.answers, field.id: value}})


def _told(result: Result, field: ApplicantField, value: str, ctx: Context) -> Result:
    """After a choice that carries a note (what a relative filing for someone needs), say it
    above the next question."""
    option = next((o for o in field.options if o.value == value), None)
    if option is not None and option.note is not None and result.replies:
        note = Rich.plain("ℹ️ " + option.note.get(ctx.tr.language))
        result.replies[-1] = result.replies[-1].with_notes((note,))
    return result
