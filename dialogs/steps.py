"""The steps of an application, generated from the procedure's data file, and the button payloads
that point at them.

A button carries the dialog id and the position of the step it was shown for, so that a press
on a button of an earlier question, of a finished dialog, or a forged payload is recognised
instead of acted on. Payloads hold no personal data and stay far below Telegram's 64 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.catalog import Procedure

REQUIREMENTS = "requirements"
CONSENT = "consent"
SUMMARY = "summary"
CHOOSE = "choose"
FIELD_PREFIX = "field:"
DOC_PREFIX = "doc:"
MORE_PREFIX = "more:"
CHOOSE_TOKEN = "c"

MENU_PREFIX = "m."
SUPPLEMENT_PREFIX = "s."


def procedure_steps(procedure: Procedure) -> list[str]:
    return [
        REQUIREMENTS,
        CONSENT,
        *(FIELD_PREFIX + f.id for f in procedure.applicant_fields),
        *(DOC_PREFIX + d.id for d in procedure.collected_documents),
        SUMMARY,
    ]


def more_step(index: int) -> str:
    """A step of the dialog that answers an officer's request for more (one step per item)."""
    return f"{MORE_PREFIX}{index}"


def token_of(step: str, procedure: Procedure | None) -> str:
    if step.startswith(MORE_PREFIX):
        return "b" + step.removeprefix(MORE_PREFIX)
    if procedure is None or step == CHOOSE:
        return CHOOSE_TOKEN
    return str(procedure_steps(procedure).index(step))


def payload(dialog_id: int, token: str, action: str) -> str:
    return f"{dialog_id}.{token}.{action}"


@dataclass(frozen=True)
class ButtonPress:
    dialog_id: int
    token: str
    action: str


def parse_payload(data: str) -> ButtonPress | None:
    """None when the payload is not one this bot makes (forged or corrupted)."""
    parts = data.split(".", 2)
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1] or not parts[2]:
        return None
    return ButtonPress(int(parts[0]), parts[1], parts[2])
