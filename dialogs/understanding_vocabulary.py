"""The vocabulary the understanding step reads a message with (dialogs/understanding.yaml).

The office extends what the bot understands by editing that file, never the code: everyday words
for an event, a new paper and what each action on it leads to, another out-of-scope matter. So
the file is validated when the bot starts, and a mistake stops start-up with a message naming the
file and the key (`objects.birth.routes.replace`), as the procedure files do.

Phrases may be written with or without diacritics; they are folded like a citizen's message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

VOCABULARY_PATH = Path(__file__).with_name("understanding.yaml")
OUT_OF_SCOPE = "out-of-scope"

Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", max_length=40)]
TopicName = Literal["documents", "time", "fee", "office"]


class VocabularyError(Exception):
    """The vocabulary file is missing, unreadable or malformed; the message names file and key."""


def _as_tuple(value: object) -> object:
    return (value,) if isinstance(value, str) else value


def _one_or_two(value: tuple[str, ...]) -> tuple[str, ...]:
    if len(value) not in (1, 2) or len(set(value)) != len(value):
        raise ValueError("a target is one procedure id (or 'out-of-scope'), or a list of two different ids")
    if len(value) == 2 and OUT_OF_SCOPE in value:
        raise ValueError("'out-of-scope' cannot be one of two choices")
    return value


# Where a reading leads: one procedure id, "out-of-scope", or two ids to choose between.
Target = Annotated[tuple[Slug, ...], BeforeValidator(_as_tuple), AfterValidator(_one_or_two)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Action(_Strict):
    """Something the citizen wants done (copy, certify, replace, refuse…)."""

    phrases: tuple[Phrase, ...] = Field(min_length=1)
    # bare words that mean this action only when the message names a paper ("mất" = lost)
    with_paper: tuple[Phrase, ...] = ()
    # the action counts only if one of these objects is mentioned too ("nhường" + an inheritance)
    only_with: tuple[Slug, ...] = ()
    # the action names the procedure whatever paper it is done to (unless the object routes it)
    decides: Target | None = None
    # where the action leads when no particular paper is named ("xác nhận" alone)
    alone: Target | None = None


class Thing(_Strict):
    """A paper, an event or a matter the citizen talks about (birth, a land title, divorce…)."""

    names: tuple[Phrase, ...] = ()  # the paper or matter named outright: decisive
    hints: tuple[Phrase, ...] = ()  # everyday words for the event behind it: weaker than a name
    # words that mean this event only right after a person ("bố tôi mất" = died)
    after_person: tuple[Phrase, ...] = ()
    generic: bool = False  # "giấy tờ": any paper; never chosen over a named one
    procedure: Target | None = None  # what naming it asks for, with no other action
    routes: dict[Slug, Target] = {}  # action → target, when the paper itself is named

    @model_validator(mode="after")
    def _has_words(self) -> Thing:
        if not (self.names or self.hints or self.after_person):
            raise ValueError("an object needs 'names', 'hints' or 'after_person'")
        return self


class Topic(_Strict):
    """Words of a question (which papers, how long, how much, where and when)."""

    phrases: tuple[Phrase, ...] = Field(min_length=1)
    # ["có cần", "không"]: "có cần <paper> không" asks about that paper; the paper is a detail
    about_a_paper: tuple[tuple[Phrase, Phrase], ...] = ()


class Vocabulary(_Strict):
    spelling: dict[Phrase, Phrase] = {}  # a typed word → what it stands for ("dk" → "đăng ký")
    sound_alikes: tuple[tuple[Phrase, Phrase], ...] = ()  # initials spoken alike ("l", "n")
    known_words: tuple[Phrase, ...] = ()  # words never "corrected" (ok, alo, haha…)
    persons: tuple[Phrase, ...] = Field(min_length=1)
    fillers: tuple[Phrase, ...] = ()  # words allowed between a person and "mất"
    animals: tuple[Phrase, ...] = ()  # an event about an animal is not one to register
    neutral: tuple[Phrase, ...] = ()  # phrases that mean nothing here ("mất điện")
    purpose: tuple[Phrase, ...] = ()  # "để làm …": what follows is a purpose, a detail
    particles: tuple[Phrase, ...] = ()  # words that may follow the last word of a question (ạ, nhé)
    actions: dict[Slug, Action] = Field(min_length=1)  # the first listed wins when several
    objects: dict[Slug, Thing] = Field(min_length=1)
    questions: dict[TopicName, Topic] = {}

    @model_validator(mode="after")
    def _references(self) -> Vocabulary:
        for name, thing in self.objects.items():
            unknown = sorted(set(thing.routes) - set(self.actions))
            if unknown:
                raise ValueError(f"objects.{name}.routes: unknown action '{unknown[0]}'")
        for name, action in self.actions.items():
            unknown = sorted(set(action.only_with) - set(self.objects))
            if unknown:
                raise ValueError(f"actions.{name}.only_with: unknown object '{unknown[0]}'")
        return self

    def targets(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every target with the key it sits under, for checking ids against the catalog."""
        found: list[tuple[str, tuple[str, ...]]] = []
        for name, action in self.actions.items():
            found += [(f"actions.{name}.{key}", t) for key, t in (("decides", action.decides),
                                                                  ("alone", action.alone)) if t]
        for name, thing in self.objects.items():
            if thing.procedure:
                found.append((f"objects.{name}.procedure", thing.procedure))
            found += [(f"objects.{name}.routes.{action}", t) for action, t in thing.routes.items()]
        return found


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if location == "(top level)" and message.startswith(("objects.", "actions.")):
        location, _, message = message.partition(": ")
    return f"key '{location}': {message}"


def load_vocabulary(path: Path = VOCABULARY_PATH) -> Vocabulary:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise VocabularyError(f"{path}: cannot read the file: {exc}") from exc
    if not isinstance(raw, dict):
        raise VocabularyError(f"{path}: the file must hold a YAML mapping")
    try:
        return Vocabulary.model_validate(raw)
    except ValidationError as exc:
        raise VocabularyError(f"{path}: {_describe(exc)}") from exc
