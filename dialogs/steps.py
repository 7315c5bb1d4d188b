"""The steps of an application, generated from the procedure's data file, and the buttons that
point at them.

A step button carries the dialog id and the position of the step it was shown for, so that a
press on a button of an earlier question, of a finished dialog, or a forged payload is
recognised instead of acted on. Payloads hold no personal data and stay far below Telegram's
64 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dialogs.catalog import Procedure
from dialogs.output import Press

REQUIREMENTS = "requirements"
CONSENT = "consent"
SUMMARY = "summary"
CHOOSE = "choose"
FIELD_PREFIX = "field:"
DOC_PREFIX = "doc:"
SUPPLEMENT_PREFIX = "supplement:"
CHOOSE_TOKEN = "c"


@dataclass(frozen=True)
class StepPress(Press):
    """A button of one step of one dialog: `token` names the step, `action` what was chosen."""

    ROUTE = "step"

    dialog_id: int
    token: str
    action: str


class Place(StrEnum):
    HOME = "home"
    APPLY = "apply"
    PROCEDURES = "info"
    RESUME = "resume"


@dataclass(frozen=True)
class Navigate(Press):
    """Buttons that open a place rather than answer a question: the home screen, a new
    application, the list of procedures, the application in progress."""

    ROUTE = "nav"

    place: Place


def procedure_steps(procedure: Procedure) -> list[str]:
    return [
        REQUIREMENTS,
        CONSENT,
        *(FIELD_PREFIX + f.id for f in procedure.applicant_fields),
        *(DOC_PREFIX + d.id for d in procedure.collected_documents),
        SUMMARY,
    ]


def asked_steps(procedure: Procedure, answers: dict[str, str]) -> list[str]:
    """The steps this citizen goes through: those of `procedure_steps` less the questions whose
    `ask_if` their answers do not meet. The step counter counts these, so it stays honest."""
    return [step for step in procedure_steps(procedure)
            if not step.startswith(FIELD_PREFIX)
            or procedure.applicant_field(step.removeprefix(FIELD_PREFIX)).applies(answers)]


def counted_steps(procedure: Procedure, answers: dict[str, str], at: str) -> list[str]:
    """The steps the counter shows when the citizen is at step `at`: a question that depends on
    an answer not given yet is counted, so the total can only shrink as answers come in, never
    grow (an honest "Step 3/20" never turns into "Step 4/25")."""
    steps = procedure_steps(procedure)
    before = set(steps[:steps.index(at)])
    kept = []
    for step in steps:
        field = procedure.applicant_field(step.removeprefix(FIELD_PREFIX)) if step.startswith(FIELD_PREFIX) else None
        undecided = field is not None and field.ask_if is not None and FIELD_PREFIX + field.ask_if.field not in before
        if field is None or undecided or field.applies(answers):
            kept.append(step)
    return kept


def supplement_step(index: int) -> str:
    """A step of the dialog that answers an officer's request for a supplement (one per item)."""
    return f"{SUPPLEMENT_PREFIX}{index}"


def token_of(step: str, procedure: Procedure | None) -> str:
    if step.startswith(SUPPLEMENT_PREFIX):
        return "s" + step.removeprefix(SUPPLEMENT_PREFIX)
    if procedure is None or step == CHOOSE:
        return CHOOSE_TOKEN
    return str(procedure_steps(procedure).index(step))
