"""A condition on an earlier answer: when a question is asked, when a line of a form is printed,
when a box is ticked. Written in the data files as `{field: relationship, one_of: [cha, me]}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

AnswerId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", max_length=40)]


class Condition(BaseModel):
    """Exactly one test of the answer to `field`: it is one of `one_of`, it is none of
    `none_of` (an unanswered question is none of them), or it was (not) `answered`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: AnswerId
    one_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()
    answered: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = sum((bool(self.one_of), bool(self.none_of), self.answered is not None))
        if tests != 1:
            raise ValueError("a condition needs exactly one of 'one_of', 'none_of' or 'answered'")
        return self

    def holds(self, answers: Mapping[str, str]) -> bool:
        value = answers.get(self.field)
        if self.answered is not None:
            return (value is not None) is self.answered
        if self.one_of:
            return value in self.one_of
        return value not in self.none_of

    @property
    def values(self) -> tuple[str, ...]:
        """The answers the condition names, each of which must be an option of a choice."""
        return self.one_of or self.none_of
