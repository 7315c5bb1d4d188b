"""The dialog engine: `step(state, input, context) -> Result`.

Pure and synchronous: no Telegram, no database, no clock but the one in `Context`. The steps
of every procedure come from its data file (see `dialogs.steps`), so no procedure has code of
its own. Every refusal names what was wrong and asks the same question again; nothing the
citizen already gave is lost by a wrong answer, a stale button or a forged one.
"""

from __future__ import annotations

from html import escape

from dialogs import prompts
from dialogs.catalog import ApplicantField, Catalog, Document, FieldType, FileKind, Mode, Procedure, Requirement, Text
from dialogs.matching import ProcedureMatcher
from dialogs.model import (
    ConsentGiven,
    Context,
    Discard,
    DialogState,
    IncomingFile,
    Input,
    Reply,
    Resubmit,
    Result,
    StoredFile,
    SubmitCase,
)
from dialogs.steps import (
    CHOOSE,
    CONSENT,
    DOC_PREFIX,
    FIELD_PREFIX,
    MENU_PREFIX,
    MORE_PREFIX,
    REQUIREMENTS,
    SUMMARY,
    more_step,
    parse_payload,
    procedure_steps,
    token_of,
)
from dialogs.text import fold
from dialogs.validators import (
    InvalidAnswer,
    parse_address,
    parse_cccd,
    parse_date,
    parse_name,
    parse_number,
    parse_phone,
    parse_text,
)
from locales import N_

CANCEL_WORDS = frozenset({"huy", "huy bo", "cancel", "thoat", "dung lai"})
BACK_WORDS = frozenset({"quay lai", "back", "tro lai", "lui lai"})
DONE_WORDS = frozenset({"xong", "done", "tiep", "tiep tuc", "het", "da gui het"})
SKIP_WORDS = frozenset({"bo qua", "skip", "khong co"})
YES_WORDS = frozenset({"dong y", "toi dong y", "co", "yes", "ok", "i agree"})
NO_WORDS = frozenset({"khong dong y", "khong", "no", "tu choi"})

MIME_KINDS = {"application/pdf": FileKind.PDF, "image/jpeg": FileKind.JPEG, "image/png": FileKind.PNG}


class Engine:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.matcher = ProcedureMatcher(catalog)

    # ----- entry points -------------------------------------------------------------------

    def step(self, state: DialogState | None, inp: Input, ctx: Context) -> Result:
        if inp.command is not None:
            return self._command(state, inp, ctx)
        if inp.button is not None:
            return self._button(state, inp, inp.button, ctx)
        if inp.files:
            return self._files(state, inp.files, ctx)
        if inp.text is not None and inp.text.strip():
            return self._text(state, inp, inp.text, ctx)
        return self._reprompt(state, ctx, N_("I can read text, photos and files (PDF, JPEG, PNG)."))

    def prompt(self, state: DialogState | None, ctx: Context) -> Reply:
        """The question the chat is at now, or the main menu when no dialog is open."""
        if state is None:
            return prompts.main_menu(None, self.catalog, ctx)
        if state.step == CHOOSE:
            return prompts.procedure_list(state, self.catalog, ctx)
        if state.step.startswith(MORE_PREFIX):
            return prompts.supplement_question(state, self._more_index(state), self._supplement_document(state), ctx)
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

    def main_menu(self, state: DialogState | None, ctx: Context) -> Reply:
        return prompts.main_menu(state, self.catalog, ctx)

    def expected_document(self, state: DialogState | None) -> Document | None:
        """The document the chat is asked for now; handlers download files only then."""
        if state is not None and state.step.startswith(MORE_PREFIX):
            return self._supplement_document(state)
        if state is None or not state.step.startswith(DOC_PREFIX) or state.procedure_id is None:
            return None
        return self.catalog[state.procedure_id].document(state.step.removeprefix(DOC_PREFIX))

    @staticmethod
    def _more_index(state: DialogState) -> int:
        return int(state.step.removeprefix(MORE_PREFIX))

    def _supplement_document(self, state: DialogState) -> Document:
        """An officer's request item, treated as a document the citizen may send pages of."""
        index = self._more_index(state)
        return Document(id=f"bo-sung-{index + 1}", name=Text(vi=state.items[index]), mode=Mode.SUBMIT,
                        requirement=Requirement.OPTIONAL, max_pages=20)

    def start_supplement(self, dialog_id: int, case_id: int, case_code: str, procedure_id: str, items: list[str],
                         ctx: Context) -> Result:
        """Ask, one by one, for exactly the items an officer listed as missing."""
        state = DialogState(dialog_id=dialog_id, step=more_step(0), procedure_id=procedure_id, case_id=case_id,
                            case_code=case_code, items=items)
        return Result(state, [self.prompt(state, ctx)])

    def state_is_valid(self, state: DialogState) -> bool:
        """False for a saved state the current catalog no longer fits (a procedure file was edited)."""
        if state.step == CHOOSE:
            return all(self.catalog.get(p) for p in state.candidates)
        if state.step.startswith(MORE_PREFIX):
            return state.case_id is not None and 0 <= self._more_index(state) < len(state.items)
        procedure = self.catalog.get(state.procedure_id or "")
        return procedure is not None and state.step in procedure_steps(procedure)

    @staticmethod
    def file_problem(file: IncomingFile, document: Document, ctx: Context) -> InvalidAnswer | None:
        """Why this file cannot be taken for `document`, judged before and after downloading."""
        if file.problem:
            return InvalidAnswer(file.problem)
        if file.kind == "photo":
            if FileKind.PHOTO not in document.accepts:
                return InvalidAnswer(N_("Photos are not accepted for this document: please send it as a file ({formats})."),
                                     {"formats": prompts.accepted_formats(document, ctx)})
        else:
            kind = MIME_KINDS.get((file.mime_type or "").lower())
            if kind is None or kind not in document.accepts:
                return InvalidAnswer(
                    N_("Files of this type ({type}) are not accepted. Please send a photo or a file ({formats})."),
                    {"type": file.mime_type or file.file_name or "?",
                     "formats": prompts.accepted_formats(document, ctx)})
        size = file.stored_size if file.stored_size is not None else file.size
        if size is not None and size > ctx.max_file_bytes:
            return InvalidAnswer(
                N_("This file is too large ({size} MB); the limit is {limit} MB. Please send a smaller file, "
                   "or photos of the pages."),
                {"size": f"{size / 1024 / 1024:.1f}", "limit": ctx.max_file_bytes // (1024 * 1024)})
        if size == 0:
            return InvalidAnswer(N_("This file is empty. Please send it again."))
        return None

    # ----- commands, buttons, text ---------------------------------------------------------

    def _command(self, state: DialogState | None, inp: Input, ctx: Context) -> Result:
        if inp.command == "cancel":
            if state is None:
                return Result(None, [self._say(ctx, N_("There is nothing to cancel.")), self.main_menu(None, ctx)])
            return self._cancel(state, ctx)
        if inp.command in ("start", "help", "menu"):
            return Result(state, [self.main_menu(state, ctx)])
        return Result(state, [self._say(ctx, N_("I do not know that command.")), self.main_menu(state, ctx)])

    def _button(self, state: DialogState | None, inp: Input, data: str, ctx: Context) -> Result:
        if data.startswith(MENU_PREFIX):
            return self._menu(state, inp, data.removeprefix(MENU_PREFIX), ctx)
        press = parse_payload(data)
        if press is None:
            return self._reprompt(state, ctx, N_("Sorry, I did not understand that button."))
        if state is None or press.dialog_id != state.dialog_id:
            return Result(state, [Reply(ctx.tr.gettext("This session has ended. You can start again."),
                                        prompts.restart_buttons(ctx))])
        procedure = self.catalog.get(state.procedure_id or "")
        if press.token != token_of(state.step, procedure):
            return self._reprompt(state, ctx, N_("That button belongs to an earlier question. Here is the current one:"))
        if press.action == "cancel":
            return self._cancel(state, ctx)
        if state.step == CHOOSE:
            chosen = self.catalog.get(press.action)
            if chosen is None or (state.candidates and chosen.id not in state.candidates):
                return self._reprompt(state, ctx, N_("Sorry, I did not understand that button."))
            return self._goto(state.model_copy(update={"procedure_id": chosen.id, "candidates": []}), REQUIREMENTS, ctx)
        if state.step.startswith(MORE_PREFIX):
            return self._supplement_action(state, press.action, ctx)
        assert procedure is not None
        if press.action == "back":
            return self._back(state, procedure, ctx)
        handler = {
            REQUIREMENTS: self._requirements_action,
            CONSENT: self._consent_action,
            SUMMARY: self._summary_action,
        }.get(state.step)
        if handler is None:
            handler = self._field_action if state.step.startswith(FIELD_PREFIX) else self._document_action
        return handler(state, procedure, press.action, ctx)

    def _menu(self, state: DialogState | None, inp: Input, action: str, ctx: Context) -> Result:
        if action in ("apply", "info"):
            fresh = DialogState(dialog_id=inp.update_id, step=CHOOSE)
            discard = Discard(tuple(state.all_files())) if state and state.all_files() else None
            return Result(fresh, [prompts.procedure_list(fresh, self.catalog, ctx)], discard)
        if action == "resume":
            return Result(state, [self.prompt(state, ctx)])
        if action == "menu":
            return Result(state, [self.main_menu(state, ctx)])
        return self._reprompt(state, ctx, N_("Sorry, I did not understand that button."))

    def _text(self, state: DialogState | None, inp: Input, text: str, ctx: Context) -> Result:
        folded = fold(text)
        if state is not None and folded in CANCEL_WORDS:
            return self._cancel(state, ctx)
        if state is None or state.step in (CHOOSE, REQUIREMENTS):
            if state is not None and folded in BACK_WORDS:
                return self._back(state, self.catalog.get(state.procedure_id or ""), ctx)
            return self._search(state, inp, text, ctx)
        if state.step.startswith(MORE_PREFIX):
            if folded in DONE_WORDS:
                return self._supplement_action(state, "done", ctx)
            return self._supplement_text(state, text, ctx)
        procedure = self.catalog[state.procedure_id or ""]
        if folded in BACK_WORDS:
            return self._back(state, procedure, ctx)
        if state.step == CONSENT and folded in YES_WORDS | NO_WORDS:
            return self._consent_action(state, procedure, "yes" if folded in YES_WORDS else "no", ctx)
        if state.step.startswith(FIELD_PREFIX):
            return self._answer(state, procedure, text, ctx)
        if state.step.startswith(DOC_PREFIX):
            if folded in DONE_WORDS:
                return self._document_action(state, procedure, "done", ctx)
            if folded in SKIP_WORDS:
                return self._document_action(state, procedure, "skip", ctx)
            return self._reprompt(state, ctx, N_("Please send a photo or a file for this document, or press “Done”."))
        return self._reprompt(state, ctx, N_("Please use the buttons below."))

    def _search(self, state: DialogState | None, inp: Input, text: str, ctx: Context) -> Result:
        dialog_id = state.dialog_id if state is not None else inp.update_id
        if state is not None and state.step == CHOOSE and text.strip().isdigit():
            shown = state.candidates or [p.id for p in self.catalog]
            number = int(text.strip())
            if 1 <= number <= len(shown):
                chosen = DialogState(dialog_id=dialog_id, step=CHOOSE, procedure_id=shown[number - 1])
                return self._goto(chosen, REQUIREMENTS, ctx)
        match = self.matcher.match(text)
        if match.procedure is not None:
            return self._goto(DialogState(dialog_id=dialog_id, step=CHOOSE, procedure_id=match.procedure.id),
                              REQUIREMENTS, ctx)
        _ = ctx.tr.gettext
        if match.candidates:
            choose = DialogState(dialog_id=dialog_id, step=CHOOSE, candidates=[p.id for p in match.candidates])
            intro = _("Did you mean one of these procedures?")
        else:
            choose = DialogState(dialog_id=dialog_id, step=CHOOSE)
            intro = _("I could not find a procedure for “{text}”. These are the procedures of this desk; "
                      "tap one or type its number:").format(text=escape(text.strip()[:100]))
        return Result(choose, [prompts.procedure_list(choose, self.catalog, ctx, intro=intro)])

    # ----- the steps of an application --------------------------------------------------------

    def _requirements_action(self, state: DialogState, procedure: Procedure, action: str, ctx: Context) -> Result:
        if action != "go":
            return self._reprompt(state, ctx, N_("Sorry, I did not understand that button."))
        return self._goto(state, CONSENT, ctx)

    def _consent_action(self, state: DialogState, procedure: Procedure, action: str, ctx: Context) -> Result:
        if action == "no":
            reply = Reply(ctx.tr.gettext("Understood. I have not kept anything about you. "
                                         "You can start again at any time with /start."),
                          prompts.restart_buttons(ctx))
            return Result(None, [reply], Discard(tuple(state.all_files()), forget_chat=True))
        if action != "yes":
            return self._reprompt(state, ctx, N_("Sorry, I did not understand that button."))
        agreed = state.model_copy(update={"consent_at": ctx.now})
        result = self._advance(agreed, procedure, ctx)
        result.effect = ConsentGiven()
        return result

    def _field_action(self, state: DialogState, procedure: Procedure, action: str, ctx: Context) -> Result:
        field = procedure.applicant_field(state.step.removeprefix(FIELD_PREFIX))
        if action == "skip" and not field.required:
            answers = {k: v for k, v in state.answers.items() if k != field.id}
            return self._advance(state.model_copy(update={"answers": answers}), procedure, ctx)
        value = action.removeprefix("o-")
        if action.startswith("o-") and any(option.value == value for option in field.options):
            return self._advance(self._with_answer(state, field, value), procedure, ctx)
        return self._reprompt(state, ctx, N_("Sorry, I did not understand that button."))

    def _answer(self, state: DialogState, procedure: Procedure, text: str, ctx: Context) -> Result:
        field = procedure.applicant_field(state.step.removeprefix(FIELD_PREFIX))
        if not field.required and fold(text) in SKIP_WORDS:
            return self._field_action(state, procedure, "skip", ctx)
        try:
            value = self._parse(field, text, ctx)
        except InvalidAnswer as problem:
            return self._reprompt(state, ctx, problem.reason, problem.params)
        return self._advance(self._with_answer(state, field, value), procedure, ctx)

    @staticmethod
    def _parse(field: ApplicantField, text: str, ctx: Context) -> str:
        match field.type:
            case FieldType.NAME:
                return parse_name(text)
            case FieldType.CCCD:
                return parse_cccd(text, today=ctx.today)
            case FieldType.PHONE:
                return parse_phone(text)
            case FieldType.DATE:
                return parse_date(text, today=ctx.today, not_future=field.not_future).isoformat()
            case FieldType.ADDRESS:
                return parse_address(text)
            case FieldType.NUMBER:
                return str(parse_number(text, minimum=field.min, maximum=field.max))
            case FieldType.CHOICE:
                folded = fold(text)
                for option in field.options:
                    if folded in (option.value, fold(option.label.vi), fold(option.label.en or "")):
                        return option.value
                raise InvalidAnswer(N_("Please choose one of the buttons below."))
            case _:
                return parse_text(text)

    @staticmethod
    def _with_answer(state: DialogState, field: ApplicantField, value: str) -> DialogState:
        return state.model_copy(update={"answers": {**state.answers, field.id: value}})

    def _files(self, state: DialogState | None, files: tuple[IncomingFile, ...], ctx: Context) -> Result:
        document = self.expected_document(state)
        if state is None or document is None:
            return self._reprompt(state, ctx, N_("I was not expecting a file here."))
        procedure = self.catalog[state.procedure_id or ""]
        held = list(state.documents.get(document.id, []))
        problems: list[str] = []
        for file in files:
            problem = self.file_problem(file, document, ctx)
            if problem is None and file.sha256 is None:
                problem = InvalidAnswer(N_("I could not download this file. Please send it again."))
            if problem is None and len(held) >= document.max_pages:
                problem = InvalidAnswer(N_("This document takes at most {pages} pages; I did not add the extra ones."),
                                        {"pages": document.max_pages})
            if problem is not None:
                problems.append(self._warning(ctx, problem.reason, problem.params))
                continue
            assert file.sha256 is not None
            held.append(StoredFile(kind=file.kind, sha256=file.sha256, mime_type=self._mime_of(file),
                                   size=file.stored_size or file.size or 0,
                                   file_id=file.file_id, file_unique_id=file.file_unique_id))
        updated = state.model_copy(update={"documents": {**state.documents, document.id: held},
                                           "skipped": [s for s in state.skipped if s != document.id]})
        if state.step.startswith(MORE_PREFIX):
            reply = prompts.supplement_question(updated, self._more_index(updated), document, ctx)
        elif len(held) == len(state.documents.get(document.id, [])):
            reply = prompts.document_question(updated, procedure, document, ctx)
        else:
            reply = prompts.document_received(updated, procedure, document, ctx)
        return Result(updated, [Reply(reply.text, reply.buttons, tuple(problems))])

    @staticmethod
    def _mime_of(file: IncomingFile) -> str:
        return "image/jpeg" if file.kind == "photo" else (file.mime_type or "application/octet-stream").lower()

    def _document_action(self, state: DialogState, procedure: Procedure, action: str, ctx: Context) -> Result:
        document = procedure.document(state.step.removeprefix(DOC_PREFIX))
        held = state.documents.get(document.id, [])
        if action == "done":
            if held:
                return self._advance(state, procedure, ctx)
            if document.skippable:
                return self._document_action(state, procedure, "skip", ctx)
            return self._reprompt(state, ctx, N_("This document is required: please send at least one page "
                                                 "before pressing “Done”."))
        if action == "skip" and document.skippable:
            updated = self._without_document(state, document)
            updated.skipped.append(document.id)
            result = self._advance(updated, procedure, ctx)
            result.effect = Discard(tuple(held)) if held else None
            return result
        if action == "skip":
            return self._reprompt(state, ctx, N_("This document is required and cannot be skipped."))
        if action == "clear":
            updated = self._without_document(state, document)
            result = Result(updated, [prompts.document_question(updated, procedure, document, ctx)])
            result.effect = Discard(tuple(held)) if held else None
            return result
        return self._reprompt(state, ctx, N_("Sorry, I did not understand that button."))

    @staticmethod
    def _without_document(state: DialogState, document: Document) -> DialogState:
        documents = {k: v for k, v in state.documents.items() if k != document.id}
        return state.model_copy(update={"documents": documents,
                                        "skipped": [s for s in state.skipped if s != document.id]})

    def _summary_action(self, state: DialogState, procedure: Procedure, action: str, ctx: Context) -> Result:
        steps = procedure_steps(procedure)
        if action == "ok":
            missing = self._first_missing(state, procedure)
            if missing is not None:
                result = self._goto(state, missing, ctx)
                result.replies.insert(0, self._say(ctx, N_("Something required is still missing:")))
                return result
            return Result(None, [], SubmitCase(state))
        if action.startswith("e") and action[1:].isdigit() and 2 <= int(action[1:]) < len(steps) - 1:
            return self._goto(state.model_copy(update={"editing": True}), steps[int(action[1:])], ctx)
        return self._reprompt(state, ctx, N_("Sorry, I did not understand that button."))

    @staticmethod
    def _first_missing(state: DialogState, procedure: Procedure) -> str | None:
        for field in procedure.applicant_fields:
            if field.required and field.id not in state.answers:
                return FIELD_PREFIX + field.id
        for document in procedure.collected_documents:
            if not document.skippable and not state.documents.get(document.id):
                return DOC_PREFIX + document.id
        return None

    def _supplement_text(self, state: DialogState, text: str, ctx: Context) -> Result:
        try:
            answer = parse_text(text, max_length=1000)
        except InvalidAnswer as problem:
            return self._reprompt(state, ctx, problem.reason, problem.params)
        key = str(self._more_index(state))
        previous = state.answers.get(key)
        answers = {**state.answers, key: f"{previous}\n{answer}" if previous else answer}
        updated = state.model_copy(update={"answers": answers})
        reply = self.prompt(updated, ctx)
        return Result(updated, [Reply(reply.text, reply.buttons, ("✅ " + ctx.tr.gettext("Noted."),))])

    def _supplement_action(self, state: DialogState, action: str, ctx: Context) -> Result:
        index = self._more_index(state)
        document = self._supplement_document(state)
        if action in ("done", "skip"):
            if not state.documents.get(document.id) and str(index) not in state.answers:
                return self._reprompt(state, ctx, N_("Please send a photo or a file, or type the information, "
                                                     "for this item before pressing “Done”."))
            if index + 1 < len(state.items):
                return self._goto(state, more_step(index + 1), ctx)
            return Result(None, [], Resubmit(state))
        if action == "back":
            return self._goto(state, more_step(max(index - 1, 0)), ctx)
        if action == "clear":
            held = tuple(state.documents.get(document.id, []))
            cleared = self._without_document(state, document)
            updated = cleared.model_copy(update={"answers": {k: v for k, v in cleared.answers.items()
                                                             if k != str(index)}})
            return Result(updated, [self.prompt(updated, ctx)], Discard(held) if held else None)
        return self._reprompt(state, ctx, N_("Sorry, I did not understand that button."))

    # ----- navigation ------------------------------------------------------------------------

    def _goto(self, state: DialogState, step: str, ctx: Context) -> Result:
        moved = state.model_copy(update={"step": step})
        return Result(moved, [self.prompt(moved, ctx)])

    def _advance(self, state: DialogState, procedure: Procedure, ctx: Context) -> Result:
        if state.editing:
            return self._goto(state.model_copy(update={"editing": False}), SUMMARY, ctx)
        steps = procedure_steps(procedure)
        return self._goto(state, steps[steps.index(state.step) + 1], ctx)

    def _back(self, state: DialogState, procedure: Procedure | None, ctx: Context) -> Result:
        if procedure is None or state.step == CHOOSE:
            return Result(None, [self.main_menu(None, ctx)])
        if state.editing:
            return self._goto(state.model_copy(update={"editing": False}), SUMMARY, ctx)
        steps = procedure_steps(procedure)
        index = steps.index(state.step)
        if index == 0:
            return self._goto(state.model_copy(update={"procedure_id": None}), CHOOSE, ctx)
        return self._goto(state, steps[index - 1], ctx)

    def _cancel(self, state: DialogState, ctx: Context) -> Result:
        reply = Reply(ctx.tr.gettext("Cancelled. What you entered in this application has been deleted."),
                      prompts.restart_buttons(ctx))
        files = tuple(state.all_files())
        return Result(None, [reply], Discard(files) if files else None)

    # ----- replies ----------------------------------------------------------------------------

    @staticmethod
    def _say(ctx: Context, message: str) -> Reply:
        return Reply(ctx.tr.gettext(message))

    def _reprompt(self, state: DialogState | None, ctx: Context, message: str,
                  params: dict[str, object] | None = None) -> Result:
        """Say what was wrong and ask the current question again, in one message."""
        question = self.prompt(state, ctx)
        return Result(state, [Reply(question.text, question.buttons, (self._warning(ctx, message, params),))])

    @staticmethod
    def _warning(ctx: Context, message: str, params: dict[str, object] | None = None) -> str:
        """A translated refusal; the values filled in may come from the citizen, so they are escaped."""
        safe = {key: escape(str(value)) for key, value in (params or {}).items()}
        return "⚠️ " + ctx.tr.gettext(message).format(**safe)
