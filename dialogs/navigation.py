"""Where a dialog is and how it moves: the question of each step, going to a step, forward,
back, cancelling, and asking the same question again with a warning above it."""

from __future__ import annotations

from dialogs import prompts
from dialogs.catalog import (
    ApplicantField,
    Catalog,
    Document,
    Mode,
    Procedure,
    Requirement,
    Text,
)
from dialogs.model import Context, DialogState, Discard, Result
from dialogs.output import Reply, Rich
from dialogs.steps import (
    CHOOSE,
    CONSENT,
    DOC_PREFIX,
    FIELD_PREFIX,
    REQUIREMENTS,
    SUMMARY,
    SUPPLEMENT_PREFIX,
    asked_steps,
    procedure_steps,
)
from dialogs.text import fold

SUPPLEMENT_DOCUMENT = "supplement"
"""Document id of the pages sent for a supplement: `supplement-1` for the officer's first item."""
MAX_SUPPLEMENT_PAGES = 20


def supplement_document_id(index: int) -> str:
    return f"{SUPPLEMENT_DOCUMENT}-{index + 1}"


def supplement_index(state: DialogState) -> int:
    return int(state.step.removeprefix(SUPPLEMENT_PREFIX))


def supplement_document(state: DialogState) -> Document:
    """An item the officer asked for, treated as a document the citizen may send pages of."""
    index = supplement_index(state)
    return Document(id=supplement_document_id(index), name=Text(vi=state.items[index]), mode=Mode.SUBMIT,
                    requirement=Requirement.OPTIONAL, max_pages=MAX_SUPPLEMENT_PAGES)


def field_for_item(procedure: Procedure | None, item: str) -> ApplicantField | None:
    """The question an officer's item names ("Quê quán của trẻ"): the citizen's typed answer
    then corrects that answer, checked like the first one, and the form is made again."""
    if procedure is None:
        return None
    wanted = fold(item.rstrip(" .:?"))
    return next((f for f in procedure.applicant_fields
                 if wanted in (fold(f.label.vi.rstrip(" ?")), fold((f.noun or f.label).vi))), None)


class Navigator:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def prompt(self, state: DialogState | None, ctx: Context) -> Reply:
        """The question the chat is at now, or the home screen when no dialog is open."""
        if state is None:
            return ctx.home(None)
        if state.step == CHOOSE:
            return prompts.procedure_list(state, self.catalog, ctx)
        if state.step.startswith(SUPPLEMENT_PREFIX):
            index = supplement_index(state)
            field = field_for_item(self.catalog.get(state.procedure_id or ""), state.items[index])
            return prompts.supplement_question(state, index, supplement_document(state), ctx, field)
        procedure = self.catalog[state.procedure_id or ""]
        if state.step == REQUIREMENTS:
            return prompts.requirements(state, procedure, ctx)
        if state.step == CONSENT:
            return prompts.consent(state, procedure, ctx)
        if state.step == SUMMARY:
            return prompts.summary(state, procedure, ctx)
        if state.step.startswith(FIELD_PREFIX):
            field = procedure.applicant_field(state.step.removeprefix(FIELD_PREFIX))
            return prompts.field_question(state, procedure, field, ctx)
        document = procedure.document(state.step.removeprefix(DOC_PREFIX))
        return prompts.document_question(state, procedure, document, ctx)

    def expected_document(self, state: DialogState | None) -> Document | None:
        """The document the chat is asked for now; handlers download files only then."""
        if state is not None and state.step.startswith(SUPPLEMENT_PREFIX):
            return supplement_document(state)
        if state is None or not state.step.startswith(DOC_PREFIX) or state.procedure_id is None:
            return None
        return self.catalog[state.procedure_id].document(state.step.removeprefix(DOC_PREFIX))

    def state_is_valid(self, state: DialogState) -> bool:
        """False for a saved state the current catalog no longer fits (a procedure file was edited)."""
        if state.step == CHOOSE:
            return all(self.catalog.get(p) for p in state.candidates)
        if state.step.startswith(SUPPLEMENT_PREFIX):
            suffix = state.step.removeprefix(SUPPLEMENT_PREFIX)
            return state.case_id is not None and suffix.isdigit() and int(suffix) < len(state.items)
        procedure = self.catalog.get(state.procedure_id or "")
        return procedure is not None and state.step in procedure_steps(procedure)

    def goto(self, state: DialogState, step: str, ctx: Context) -> Result:
        moved = state.model_copy(update={"step": step})
        return Result(moved, [self.prompt(moved, ctx)])

    def advance(self, state: DialogState, procedure: Procedure, ctx: Context) -> Result:
        """The next step that applies; when the citizen was correcting one answer, back to the
        summary, unless the correction opened a required question still unanswered."""
        if state.editing:
            missing = first_missing(state, procedure)
            if missing is not None and missing.startswith(FIELD_PREFIX):
                return self.goto(state, missing, ctx)
            return self.goto(state.model_copy(update={"editing": False}), SUMMARY, ctx)
        steps = procedure_steps(procedure)
        asked = set(asked_steps(procedure, state.answers))
        following = steps[steps.index(state.step) + 1:]
        return self.goto(state, next(step for step in following if step in asked), ctx)

    def back(self, state: DialogState, procedure: Procedure | None, ctx: Context) -> Result:
        if procedure is None or state.step == CHOOSE:
            return Result(None, [ctx.home(None)])
        if state.editing:
            return self.goto(state.model_copy(update={"editing": False}), SUMMARY, ctx)
        steps = procedure_steps(procedure)
        index = steps.index(state.step)
        if index == 0:
            return self.goto(state.model_copy(update={"procedure_id": None}), CHOOSE, ctx)
        asked = set(asked_steps(procedure, state.answers))
        return self.goto(state, next(step for step in reversed(steps[:index]) if step in asked), ctx)

    @staticmethod
    def cancel(state: DialogState, ctx: Context) -> Result:
        reply = Reply(Rich.plain(ctx.tr.gettext("Cancelled. What you entered in this application has been deleted.")),
                      prompts.restart_buttons(ctx.tr))
        files = tuple(state.all_files())
        return Result(None, [reply], Discard(files) if files else None)

    @staticmethod
    def say(ctx: Context, message: str) -> Reply:
        return Reply(Rich.plain(ctx.tr.gettext(message)))

    def reprompt(self, state: DialogState | None, ctx: Context, message: str,
                 params: dict[str, object] | None = None) -> Result:
        """Say what was wrong and ask the current question again, in one message."""
        return Result(state, [self.prompt(state, ctx).with_notes((self.warning(ctx, message, params),))])

    @staticmethod
    def warning(ctx: Context, message: str, params: dict[str, object] | None = None) -> Rich:
        return Rich.plain("⚠️ " + ctx.tr.gettext(message).format(**(params or {})))


def first_missing(state: DialogState, procedure: Procedure) -> str | None:
    """The first required question that applies and has no answer, then the first required
    document without a page; None when the application is complete."""
    for field in procedure.asked_fields(state.answers):
        if field.required and field.id not in state.answers:
            return FIELD_PREFIX + field.id
    for document in procedure.collected_documents:
        if not document.skippable and not state.documents.get(document.id):
            return DOC_PREFIX + document.id
    return None
