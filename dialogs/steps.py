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


def supplement_step(index: int) -> str:
    """A step of the dialog that answers an officer's request for a supplement (one per item)."""
    return f"{SUPPLEMENT_PREFIX}{index}"


def token_of(step: str, procedure: Procedure | None) -> str:
    if step.startswith(SUPPLEMENT_PREFIX):
        return "s" + step.removeprefix(SUPPLEMENT_PREFIX)
    if procedure is None or step == CHOOSE:
        return CHOOSE_TOKEN
    return str(procedure_steps(procedure).index(step))
