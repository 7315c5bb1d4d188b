"""The questions a citizen or staff member answers by replying to them: a comment on a rating,
a feedback text, an answer to a feedback.

Which prompt a reply belongs to is read back from the text of the replied-to message — a case
code or a feedback number in a fixed, translated sentence — so nothing has to be remembered
between the prompt and the reply, and a restart loses nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from locales import LANGUAGES, N_, get_translator

# Each prompt is sent alone, as plain text, and keeps its placeholder ({code} or {id}), the only
# variable part, so that it can be recognised later.
COMMENT_PROMPT = N_("Would you like to add a comment about case {code}? Reply to this message, or ignore it.")
FEEDBACK_PROMPT = N_("Please write your feedback or report (you may attach one photo with a caption). "
                     "Reply to this message.")
ANSWER_PROMPT = N_("Answer to feedback #{id}:")


class PromptKind(StrEnum):
    COMMENT = "comment"
    FEEDBACK = "feedback"
    ANSWER = "answer"


@dataclass(frozen=True)
class PromptRef:
    """A recognised prompt: its kind and the case code or feedback number it carries."""

    kind: PromptKind
    key: str = ""


_PROMPTS = ((PromptKind.COMMENT, COMMENT_PROMPT, "{code}", r"(?P<key>[A-Za-z0-9][A-Za-z0-9-]{0,39})"),
            (PromptKind.FEEDBACK, FEEDBACK_PROMPT, None, ""),
            (PromptKind.ANSWER, ANSWER_PROMPT, "{id}", r"(?P<key>\d{1,9})"))


@cache
def _patterns() -> tuple[tuple[PromptKind, re.Pattern[str]], ...]:
    """Each prompt in every language, as a regular expression: a prompt sent before the person
    switched language is still recognised."""
    patterns: list[tuple[PromptKind, re.Pattern[str]]] = []
    for language in LANGUAGES:
        tr = get_translator(language)
        for kind, message, placeholder, group in _PROMPTS:
            pattern = re.escape(tr.gettext(message).strip())
            if placeholder is not None:
                pattern = pattern.replace(re.escape(placeholder), group, 1)
            patterns.append((kind, re.compile(pattern)))
    return tuple(patterns)


def recognise(text: str | None) -> PromptRef | None:
    """Which of our prompts `text` (a replied-to message) is, or None."""
    if not text:
        return None
    text = text.strip()
    for kind, pattern in _patterns():
        match = pattern.fullmatch(text)
        if match is not None:
            return PromptRef(kind, match.groupdict().get("key") or "")
    return None
