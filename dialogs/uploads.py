"""The document steps: pages a citizen sends (photos or files), checked for type, size and page
count, and the step's buttons (done, skip, remove and resend). A file that is refused, or that
arrives when no document is asked for, is handed back for deletion at once (`Discard`)."""

from __future__ import annotations

import mimetypes

from dialogs import prompts
from dialogs.catalog import Document, FileKind, Procedure
from dialogs.model import Context, DialogState, Discard, IncomingFile, Result, StoredFile
from dialogs.navigation import Navigator, supplement_index
from dialogs.steps import DOC_PREFIX, SUPPLEMENT_PREFIX
from dialogs.validators import InvalidAnswer
from dialogs.output import Rich
from locales import N_

MIME_KINDS = {"application/pdf": FileKind.PDF, "image/jpeg": FileKind.JPEG, "image/png": FileKind.PNG}
TYPES_BY_NAME = mimetypes.MimeTypes()
"""Python's own table of file name extensions, not the server's /etc/mime.types, so the rule is
the same on every machine; with the office formats phones often save that it lacks."""
for _type, _extension in (("image/jpeg", ".jfif"),
                          ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
                          ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")):
    TYPES_BY_NAME.add_type(_type, _extension)


def name_disagrees(file_name: str | None, mime_type: str) -> bool:
    """Whether a file's name ends in the extension of another type than the file is ("scan.pdf"
    that is a JPEG): someone may be sending the wrong paper. A name without an extension, or with
    one of no known type ("CCCD 12.05.2024"), says nothing."""
    guessed, _ = TYPES_BY_NAME.guess_type((file_name or "").lower(), strict=False)
    return guessed is not None and guessed != mime_type


def file_problem(file: IncomingFile, document: Document, ctx: Context) -> InvalidAnswer | None:
    """Why this file cannot be taken for `document`, judged before and after downloading."""
    if file.problem:
        return InvalidAnswer(file.problem)
    if file.kind == "photo":
        if FileKind.PHOTO not in document.accepts:
            return InvalidAnswer(N_("Photos are not accepted for this document: please send it as a file ({formats})."),
                                 {"formats": prompts.accepted_formats(document, ctx.tr)})
    else:
        kind = MIME_KINDS.get((file.mime_type or "").lower())
        if kind is None or kind not in document.accepts:
            return InvalidAnswer(
                N_("Files of this type ({type}) are not accepted. Please send a photo or a file ({formats})."),
                {"type": file.mime_type or file.file_name or "?", "formats": prompts.accepted_formats(document, ctx.tr)})
        if name_disagrees(file.file_name, (file.mime_type or "").lower()):
            return InvalidAnswer(
                N_("This file is named “{name}” but it is a {type} file. Please check that it is the right paper "
                   "and send it again."), {"name": file.file_name, "type": kind.value.upper()})
    size = file.stored_size if file.stored_size is not None else file.size
    if size is not None and size > ctx.max_file_bytes:
        return InvalidAnswer(
            N_("This file is too large ({size} MB); the limit is {limit} MB. Please send a smaller file, "
               "or photos of the pages."),
            {"size": f"{size / 1024 / 1024:.1f}", "limit": ctx.max_file_bytes // (1024 * 1024)})
    if size == 0:
        return InvalidAnswer(N_("This file is empty. Please send it again."))
    return None


def _mime_of(file: IncomingFile) -> str:
    return "image/jpeg" if file.kind == "photo" else (file.mime_type or "application/octet-stream").lower()


def _stored(file: IncomingFile) -> StoredFile:
    assert file.sha256 is not None
    return StoredFile(kind=file.kind, sha256=file.sha256, mime_type=_mime_of(file), size=file.stored_size or file.size or 0,
                      file_id=file.file_id, file_unique_id=file.file_unique_id, channel=file.channel)


def pages_left(state: DialogState | None, document: Document) -> int:
    """How many more pages the document takes: the handler downloads no more than that."""
    held = len(state.documents.get(document.id, [])) if state is not None else 0
    return max(document.max_pages - held, 0)


def without_document(state: DialogState, document: Document) -> DialogState:
    documents = {k: v for k, v in state.documents.items() if k != document.id}
    return state.model_copy(update={"documents": documents, "skipped": [s for s in state.skipped if s != document.id]})


class Uploads:
    def __init__(self, navigator: Navigator) -> None:
        self.nav = navigator

    def receive(self, state: DialogState | None, files: tuple[IncomingFile, ...], ctx: Context) -> Result:
        """Keep every acceptable page; each refused one gets its own warning above the question."""
        document = self.nav.expected_document(state)
        refused = tuple(_stored(file) for file in files if file.sha256 is not None)
        if state is None or document is None:
            result = self.nav.reprompt(state, ctx, N_("I was not expecting a file here."))
            result.effect = Discard(refused) if refused else None
            return result
        held = list(state.documents.get(document.id, []))
        problems: list[Rich] = []
        for file in files:
            problem = file_problem(file, document, ctx)
            if problem is None and len(held) >= document.max_pages:
                problem = InvalidAnswer(N_("This document takes at most {pages} pages; I did not add the extra ones."),
                                        {"pages": document.max_pages})
            if problem is None and file.sha256 is None:
                problem = InvalidAnswer(N_("I could not download this file. Please send it again."))
            if problem is not None:
                problems.append(self.nav.warning(ctx, problem.reason, problem.params))
                continue
            held.append(_stored(file))
        kept = {stored.sha256 for stored in held}
        refused = tuple(stored for stored in refused if stored.sha256 not in kept)
        updated = state.model_copy(update={"documents": {**state.documents, document.id: held},
                                           "skipped": [s for s in state.skipped if s != document.id]})
        if state.step.startswith(SUPPLEMENT_PREFIX):
            reply = prompts.supplement_question(updated, supplement_index(updated), document, ctx)
        else:
            procedure = self.nav.catalog[state.procedure_id or ""]
            if len(held) == len(state.documents.get(document.id, [])):
                reply = prompts.document_question(updated, procedure, document, ctx)
            else:
                reply = prompts.document_received(updated, procedure, document, ctx)
        return Result(updated, [reply.with_notes(tuple(problems))], Discard(refused) if refused else None)

    def act(self, state: DialogState, procedure: Procedure, action: str, ctx: Context) -> Result:
        """A button of a document step: done, skip, or remove the pages and send them again."""
        document = procedure.document(state.step.removeprefix(DOC_PREFIX))
        held = state.documents.get(document.id, [])
        if action == "done":
            if held:
                return self.nav.advance(state, procedure, ctx)
            if document.skippable:
                return self.act(state, procedure, "skip", ctx)
            return self.nav.reprompt(state, ctx, N_("This document is required: please send at least one page "
                                                    "before pressing “Done”."))
        if action == "skip" and document.skippable:
            updated = without_document(state, document)
            updated.skipped.append(document.id)
            result = self.nav.advance(updated, procedure, ctx)
            result.effect = Discard(tuple(held)) if held else None
            return result
        if action == "skip":
            return self.nav.reprompt(state, ctx, N_("This document is required and cannot be skipped."))
        if action == "clear":
            updated = without_document(state, document)
            result = Result(updated, [prompts.document_question(updated, procedure, document, ctx)])
            result.effect = Discard(tuple(held)) if held else None
            return result
        return self.nav.reprompt(state, ctx, N_("Sorry, I did not understand that button."))
