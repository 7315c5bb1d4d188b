"""Words and phrases for the understanding step: a folded message becomes clean words, and the
vocabulary's phrases are found in them.

Citizens type on phones, often without Telex or with its leftovers ("dang kys", "tuwr"), with
typos ("kahi sinh", "so gox") and abbreviations ("dk", "sdt"). A word that is not a possible
Vietnamese syllable is repaired toward the vocabulary; a real syllable is never changed, so a
word the vocabulary does not know ("Nhật", "trọ") is not bent into one it does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

BOUNDARY = ","  # one token for any sentence punctuation: phrases never run across it
_TOKEN = re.compile(r"[a-z0-9]+|[.,;:!?]+")
# A folded Vietnamese syllable: onset, vowel group, coda. Loose on purpose: it only has to tell
# "kahi", "sinhh", "kys", "gox" (never a syllable) from words that might be real.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdghklmnprstvx])?"
    r"(?:ieu|yeu|oai|oao|oay|oeo|uai|uay|uoi|uou|uya|uye|uyu|uao|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi"
    r"|oo|ua|ue|ui|uo|uu|uy|ye|[aeiouy])(?:ch|ng|nh|[cmnpt])?")
_TONE_KEYS = "sfrxj"
_CACHE_LIMIT = 20_000


def occurrences(tokens: list[str], phrase: tuple[str, ...]) -> Iterator[int]:
    """Where `phrase` starts in `tokens`."""
    size = len(phrase)
    for start in range(len(tokens) - size + 1):
        if tokens[start] == phrase[0] and tuple(tokens[start:start + size]) == phrase:
            yield start


def words_of(folded: str) -> tuple[str, ...]:
    """Plain split of an already folded phrase (vocabulary side: no repair)."""
    return tuple(token if token[0].isalnum() else BOUNDARY for token in _TOKEN.findall(folded))


class Words:
    """Splits a folded message into words and repairs each one once (results are cached)."""

    def __init__(self, spelling: dict[str, tuple[str, ...]], known: Iterable[str],
                 vocabulary_words: Iterable[str]) -> None:
        self._spelling = spelling
        self._vocabulary = frozenset(w for w in vocabulary_words if len(w) > 1 and w.isalpha())
        self._known = frozenset(known) | self._vocabulary
        self._choices_by_initial: dict[str, list[str]] = {}
        for known_word in sorted(self._vocabulary):
            self._choices_by_initial.setdefault(known_word[0], []).append(known_word)
        self._cache: dict[str, tuple[str, ...]] = {}

    def split(self, folded: str) -> list[str]:
        tokens: list[str] = []
        for raw in _TOKEN.findall(folded):
            if not raw[0].isalnum():
                if tokens and tokens[-1] != BOUNDARY:
                    tokens.append(BOUNDARY)
                continue
            repaired = self._cache.get(raw)
            if repaired is None:
                if len(self._cache) > _CACHE_LIMIT:
                    self._cache.clear()
                repaired = self._cache[raw] = self._repair(raw)
            tokens.extend(repaired)
        return tokens

    def _repair(self, word: str) -> tuple[str, ...]:
        """Known or possible words stay; abbreviations expand; Telex leftovers and typos are
        mended toward the vocabulary (a typo only matters if it hides a vocabulary word)."""
        if word in self._spelling:
            return self._spelling[word]
        if word in self._known or not word.isalpha() or _SYLLABLE.fullmatch(word):
            return (word,)
        untyped = _without_telex(word)
        if untyped in self._vocabulary or untyped in self._spelling:
            return self._spelling.get(untyped, (untyped,))
        nearest = self._nearest(word)
        if nearest:
            return (nearest,)
        return (untyped,) if _SYLLABLE.fullmatch(untyped) else (word,)

    def _nearest(self, word: str) -> str | None:
        """The vocabulary word one edit away (a swap counts as one) that starts with the same
        letter (the first letter is rarely the typo), preferring one of the same length, then a
        longer one (typing drops letters more often than it adds them): "snh" is "sinh"."""
        if len(word) < 3:
            return None
        choices = self._choices_by_initial.get(word[0], ())
        found = process.extract(word, choices, scorer=OSA.distance, score_cutoff=1, limit=None)
        if not found:
            return None
        return min(found, key=lambda hit: (hit[1], _length_rank(hit[0], word), hit[0]))[0]


def _length_rank(candidate: str, word: str) -> int:
    return 0 if len(candidate) == len(word) else 1 if len(candidate) > len(word) else 2


def _without_telex(word: str) -> str:
    """"tuwr" → "tu", "kys" → "ky", "sinhh" → "sinh", "ddang" → "dang": Telex keys typed
    without the keyboard turning them into marks."""
    plain = re.sub(r"(.)\1+", r"\1", word.replace("w", ""))
    if len(plain) > 2 and plain[-1] in _TONE_KEYS and not _SYLLABLE.fullmatch(plain):
        plain = plain[:-1]
    return plain


@dataclass(frozen=True)
class Meaning:
    """What a phrase of the vocabulary stands for.

    kind: action | object | topic | person | animal | neutral | purpose | ambiguous. `key` is the
    action, object or topic id; `strength` ranks objects (2 named, 1 hinted, 0 generic paper);
    an ambiguous word ("mất") carries both readings: `key` the action, `event` the object.
    """

    kind: str
    key: str = ""
    strength: int = 0
    event: str = ""
    source: str = field(default="", compare=False)  # the vocabulary key, for error messages


@dataclass
class Mention:
    start: int
    end: int
    meaning: Meaning

    @property
    def kind(self) -> str:
        return self.meaning.kind

    @property
    def key(self) -> str:
        return self.meaning.key


class PhraseIndex:
    """Finds the vocabulary's phrases in a message, longest first, never overlapping."""

    def __init__(self) -> None:
        self._phrases: dict[tuple[str, ...], Meaning] = {}
        self._by_first: dict[str, list[tuple[str, ...]]] = {}

    def add(self, words: tuple[str, ...], meaning: Meaning) -> Meaning | None:
        """Adds a phrase; returns the meaning it already had if that differs (a conflict)."""
        known = self._phrases.get(words)
        if known is not None:
            return None if known == meaning else known
        self._phrases[words] = meaning
        self._by_first.setdefault(words[0], []).append(words)
        return None

    def __contains__(self, words: tuple[str, ...]) -> bool:
        return words in self._phrases

    def phrases(self) -> Iterable[tuple[tuple[str, ...], Meaning]]:
        return self._phrases.items()

    def spot(self, tokens: list[str]) -> list[Mention]:
        """Every phrase found; where two overlap the longer wins, then the earlier one."""
        found: list[tuple[int, int, tuple[str, ...]]] = []
        for start, token in enumerate(tokens):
            for words in self._by_first.get(token, ()):
                end = start + len(words)
                if tuple(tokens[start:end]) == words:
                    found.append((start, end, words))
        found.sort(key=lambda hit: (hit[0] - hit[1], hit[0]))
        taken = [False] * len(tokens)
        mentions: list[Mention] = []
        for start, end, words in found:
            if not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                mentions.append(Mention(start, end, self._phrases[words]))
        mentions.sort(key=lambda mention: mention.start)
        return mentions
