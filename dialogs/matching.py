"""Find the procedure a citizen means from what they typed ("dang ky khai sinh", "sao y ban chinh").

Citizens often type without diacritics, misspell, or use everyday words, so matching folds
diacritics and case, prefers the longest keyword found whole in the text, and falls back to
fuzzy similarity (rapidfuzz) for typos. When two procedures fit about equally it offers both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from dialogs.catalog import Catalog, Procedure
from dialogs.text import fold

FUZZY_ACCEPT = 88
FUZZY_CONSIDER = 72
FUZZY_MARGIN = 8
MAX_CANDIDATES = 3


@dataclass(frozen=True)
class Match:
    """`procedure` when one clearly fits; otherwise up to three `candidates` (possibly none)."""

    procedure: Procedure | None
    candidates: tuple[Procedure, ...] = ()


class ProcedureMatcher:
    def __init__(self, catalog: Catalog) -> None:
        self._phrases: list[tuple[Procedure, tuple[str, ...]]] = [
            (procedure, self._phrases_of(procedure)) for procedure in catalog
        ]

    @staticmethod
    def _phrases_of(procedure: Procedure) -> tuple[str, ...]:
        texts = [*procedure.keywords, procedure.title.vi]
        if procedure.short_title:
            texts.append(procedure.short_title.vi)
        return tuple(dict.fromkeys(fold(text) for text in texts if fold(text)))

    def match(self, text: str) -> Match:
        query = fold(text)
        if not query:
            return Match(None)
        contained = self._by_contained_keyword(query)
        if contained:
            return self._decide(contained, accept=0, margin=1)
        return self._decide(self._by_similarity(query), accept=FUZZY_ACCEPT, margin=FUZZY_MARGIN)

    def _by_contained_keyword(self, query: str) -> list[tuple[Procedure, float]]:
        scores = []
        for procedure, phrases in self._phrases:
            lengths = [len(p) for p in phrases if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", query)]
            if lengths:
                scores.append((procedure, float(max(lengths))))
        return scores

    def _by_similarity(self, query: str) -> list[tuple[Procedure, float]]:
        scores = []
        for procedure, phrases in self._phrases:
            best = max(fuzz.token_set_ratio(query, p) for p in phrases)
            if best >= FUZZY_CONSIDER:
                scores.append((procedure, best))
        return scores

    @staticmethod
    def _decide(scores: list[tuple[Procedure, float]], *, accept: float, margin: float) -> Match:
        ranked = sorted(scores, key=lambda item: item[1], reverse=True)
        if not ranked:
            return Match(None)
        best_score = ranked[0][1]
        runner_up = ranked[1][1] if len(ranked) > 1 else float("-inf")
        if best_score >= accept and best_score - runner_up >= margin:
            return Match(ranked[0][0])
        return Match(None, tuple(procedure for procedure, _ in ranked[:MAX_CANDIDATES]))
