"""Case statuses, their Vietnamese labels as one-stop desks use them, and the one table of allowed
transitions that handlers, the CLI and tests all consult."""

from __future__ import annotations

from enum import StrEnum

from locales import N_, Translator


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    IN_PROGRESS = "in_progress"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    READY = "ready"
    DELIVERED = "delivered"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        """An English message id; translate it with the reader's translator (vi: 'Mới tiếp nhận'...)."""
        return LABELS[self]

    @property
    def is_closed(self) -> bool:
        """Nothing more will happen to the case: figures count it as finished, lists drop it."""
        return self in CLOSED

    def shown(self, tr: Translator) -> str:
        return tr.gettext(self.label)


LABELS: dict[CaseStatus, str] = {
    CaseStatus.SUBMITTED: N_("Submitted"),
    CaseStatus.IN_PROGRESS: N_("In progress"),
    CaseStatus.AWAITING_SUPPLEMENT: N_("More documents needed"),
    CaseStatus.READY: N_("Result ready for pickup"),
    CaseStatus.DELIVERED: N_("Result delivered"),
    CaseStatus.REFUSED: N_("Refused"),
}

CLOSED = frozenset({CaseStatus.DELIVERED, CaseStatus.REFUSED})
OPEN = tuple(status for status in CaseStatus if status not in CLOSED)

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.SUBMITTED: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.AWAITING_SUPPLEMENT, CaseStatus.REFUSED}),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.READY, CaseStatus.AWAITING_SUPPLEMENT, CaseStatus.REFUSED}),
    CaseStatus.AWAITING_SUPPLEMENT: frozenset({CaseStatus.SUBMITTED, CaseStatus.REFUSED}),
    CaseStatus.READY: frozenset({CaseStatus.DELIVERED}),
    CaseStatus.DELIVERED: frozenset(),
    CaseStatus.REFUSED: frozenset(),
}
