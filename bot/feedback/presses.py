"""The buttons of ratings and feedback (see `dialogs.output.Press`)."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.output import Press, RowId


@dataclass(frozen=True)
class RatePress(Press):
    ROUTE = "rate"

    case_id: RowId
    score: int


@dataclass(frozen=True)
class AnswerPress(Press):
    """A staff member's "Answer" under a feedback."""

    ROUTE = "answer"

    feedback_id: RowId


@dataclass(frozen=True)
class FeedbackMenu(Press):
    """The home screen's "Feedback" button, like /gopy."""

    ROUTE = "feedback"
