"""Case statuses, their Vietnamese labels as one-stop desks use them, and the one table of allowed
transitions that handlers, the CLI and tests all consult."""

from __future__ import annotations

from enum import StrEnum

from locales import N_


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    IN_PROGRESS = "in_progress"
    NEEDS_MORE = "needs_more"
    READY = "ready"
    DELIVERED = "delivered"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        """An English message id; translate it with the reader's translator (vi: 'Mới tiếp nhận'...)."""
        return LABELS[self]


LABELS: dict[CaseStatus, str] = {
    CaseStatus.SUBMITTED: N_("Submitted"),
    CaseStatus.IN_PROGRESS: N_("In progress"),
    CaseStatus.NEEDS_MORE: N_("More documents needed"),
    CaseStatus.READY: N_("Result ready for pickup"),
    CaseStatus.DELIVERED: N_("Result delivered"),
    CaseStatus.REFUSED: N_("Refused"),
}

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.SUBMITTED: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.NEEDS_MORE, CaseStatus.REFUSED}),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.READY, CaseStatus.NEEDS_MORE, CaseStatus.REFUSED}),
    CaseStatus.NEEDS_MORE: frozenset({CaseStatus.SUBMITTED, CaseStatus.REFUSED}),
    CaseStatus.READY: frozenset({CaseStatus.DELIVERED}),
    CaseStatus.DELIVERED: frozenset(),
    CaseStatus.REFUSED: frozenset(),
}

