"""The supplement steps: the items an officer asked for, one by one, each answered with pages,
typed information or both; the last "Done" hands them to the case (`SubmitSupplement`)."""

from __future__ import annotations

from dialogs.answers import parse_answer, printable
from dialogs.model import Context, DialogState, Discard, Result, SubmitSupplement
from dialogs.navigation import (
    Navigator,
    field_for_item,
    supplement_document,
    supplement_index,
)
from dialogs.output import Rich
from dialogs.steps import supplement_step
from dialogs.uploads import without_document
from dialogs.validators import InvalidAnswer, parse_text
from locales import N_

MAX_TYPED = 1000
"""The most a citizen may type for one item, over all the messages they send for it: the text
joins the case as the officer reads it on the case card, which must stay one readable message;
every later message is refused with the count rather than the item growing without end."""


class SupplementSteps:
    def __init__(self, navigator: Navigator) -> None:
        self.nav = navigator

    def start(self, dialog_id: int, case_id: int, case_code: str, procedure_id: str, items: list[str],
              ctx: Context) -> Result:
        """Ask, one by one, for exactly the items the officer listed."""
        state = DialogState(dialog_id=dialog_id, step=supplement_step(0), procedure_id=procedure_id,
                            case_id=case_id, case_code=case_code, items=items)
        return Result(state, [self.nav.prompt(state, ctx)])

    def text(self, state: DialogState, text: str, ctx: Context) -> Result:
        key = str(supplement_index(state))
        procedure = self.nav.catalog.get(state.procedure_id or "")
        field = field_for_item(procedure, state.items[supplement_index(state)])
        try:
            if field is not None:
                answer = parse_answer(field, text, ctx)
                printable(answer)
            else:
                typed = parse_text(text, max_length=MAX_TYPED)
                previous = state.answers.get(key)
                answer = f"{previous}\n{typed}" if previous else typed
                if len(answer) > MAX_TYPED:
                    raise InvalidAnswer(N_("With what you already typed for this item this would be {count} "
                                           "characters, and at most {maximum} can be sent. Please send a shorter "
                                           "text, or press “{button}” to type it again."),
                                        {"count": len(answer), "maximum": MAX_TYPED,
                                         "button": ctx.tr.gettext("🗑 Remove and resend")})
        except InvalidAnswer as problem:
            return self.nav.reprompt(state, ctx, problem.reason, problem.params)
        updated = state.model_copy(update={"answers": {**state.answers, key: answer}})
        noted = Rich.plain("✅ " + ctx.tr.gettext("Noted."))
        return Result(updated, [self.nav.prompt(updated, ctx).with_notes((noted,))])

    def act(self, state: DialogState, action: str, ctx: Context) -> Result:
        index = supplement_index(state)
        document = supplement_document(state)
        if action in ("done", "skip"):
            if not state.documents.get(document.id) and str(index) not in state.answers:
                return self.nav.reprompt(state, ctx, N_("Please send a photo or a file, or type the information, "
                                                        "for this item before pressing “Done”."))
            if index + 1 < len(state.items):
                return self.nav.goto(state, supplement_step(index + 1), ctx)
            return Result(None, [], SubmitSupplement(state))
        if action == "back":
            return self.nav.goto(state, supplement_step(max(index - 1, 0)), ctx)
        if action == "clear":
            held = tuple(state.documents.get(document.id, []))
            cleared = without_document(state, document)
            updated = cleared.model_copy(update={"answers": {k: v for k, v in cleared.answers.items()
                                                             if k != str(index)}})
            return Result(updated, [self.nav.prompt(updated, ctx)], Discard(held) if held else None)
        return self.nav.reprompt(state, ctx, N_("Sorry, I did not understand that button."))
