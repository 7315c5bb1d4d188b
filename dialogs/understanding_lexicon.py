"""Everything the understanding step precomputes from the vocabulary file and the catalog, once,
when the bot starts: the phrase index, the spelling table, the catalog's own names, and the
tables for phrases typed one letter off or with Northern sound-alike initials.

Building it is also the second half of checking the vocabulary: a phrase listed twice or a
spelling entry of several words stops start-up with a message naming the file and the key. A
procedure id that is not in the catalog does not: an office may leave out a procedure file, and
requests for it are then answered as ones the assistant does not handle; `unknown` lists them
for the start-up log, which is also where a misspelt id shows.
"""

from __future__ import annotations

from pathlib import Path

from rapidfuzz.distance import Levenshtein

from dialogs.catalog import Catalog
from dialogs.text import fold
from dialogs.understanding_text import BOUNDARY, Meaning, PhraseIndex, Words, words_of
from dialogs.understanding_vocabulary import OUT_OF_SCOPE, Vocabulary, VocabularyError

NAMED, HINTED, GENERIC = 2, 1, 0  # how clearly an object is mentioned
_FUZZY_MIN_CHARS = 6  # shorter phrases are too easily one letter away from an ordinary word
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_AT = {key: (row, column) for row, keys in enumerate(_KEY_ROWS) for column, key in enumerate(keys)}

Phrase = tuple[str, ...]


class Lexicon:
    def __init__(self, vocabulary: Vocabulary, catalog: Catalog, path: Path) -> None:
        self._path = path
        self.vocabulary = vocabulary
        ids = {procedure.id for procedure in catalog}
        self.unknown = tuple(f"{key}: {t}" for key, target in vocabulary.targets()
                             for t in target if t != OUT_OF_SCOPE and t not in ids)
        self.procedure_ids = frozenset(ids)
        self.priority = {name: rank for rank, name in enumerate(vocabulary.actions)}
        spelling = self._spelling = self._build_spelling()
        self.index = self._build_index()
        self.catalog_names = {self.spelled(words): pid for words, pid in _catalog_names(catalog).items()}
        known = {w for phrase, _ in self.index.phrases() for w in phrase}
        known |= {w for phrase in self.catalog_names for w in phrase}
        known |= {w for words in spelling.values() for w in words}
        self.words = Words(spelling, (fold(w) for w in vocabulary.known_words), known)
        self.fillers = frozenset(fold(word) for word in vocabulary.fillers)
        self.particles = frozenset(fold(word) for word in vocabulary.particles)
        self.about_a_paper = [(self.spelled(words_of(fold(opener))), self.spelled(words_of(fold(closer))))
                              for topic in vocabulary.questions.values() for opener, closer in topic.about_a_paper]
        self._alike = {fold(b): fold(a) for a, b in vocabulary.sound_alikes}
        decisive = sorted(w for w, m in self.index.phrases() if m.kind in ("action", "object"))
        self._near = _near_phrases([*decisive, *sorted(self.catalog_names)])
        self._sound_alike: dict[Phrase, Phrase] = {}
        for phrase in decisive:
            if 2 <= len(phrase) <= 4:
                self._sound_alike.setdefault(self.sound_alike(phrase), phrase)

    def in_scope(self, object_id: str) -> bool:
        procedure = self.vocabulary.objects[object_id].procedure
        return procedure is not None and procedure != (OUT_OF_SCOPE,)

    def spelled(self, words: Phrase) -> Phrase:
        """A phrase of the vocabulary spelt as a message is after the `spelling` table, so
        "chữ kí" in the file matches what a citizen types as "chu ki" (read as "chu ky")."""
        return tuple(w for word in words for w in self._spelling.get(word, (word,)))

    def sound_alike(self, words: Phrase) -> Phrase:
        """One spelling for initials spoken alike: "nay vo" and "lay vo" become the same."""
        canonical = []
        for word in words:
            onset = _onset(word)
            canonical.append(self._alike.get(onset, onset) + word[len(onset):])
        return tuple(canonical)

    def phrase_near(self, window: Phrase) -> Phrase | None:
        """The vocabulary or catalog phrase this window of words was probably meant to be."""
        phrase = self._sound_alike.get(self.sound_alike(window))
        if phrase is None:
            candidates = self._near.get((len(window), "".join(w[0] for w in window)), ())
            phrase = next((p for p in candidates if _one_slip(window, p)), None)
        return phrase if phrase != window else None

    # ----- building ----------------------------------------------------------------------

    def _fail(self, key: str, message: str) -> VocabularyError:
        return VocabularyError(f"{self._path}: key '{key}': {message}")

    def _build_spelling(self) -> dict[str, Phrase]:
        spelling: dict[str, Phrase] = {}
        for typed, meant in self.vocabulary.spelling.items():
            key = fold(typed)
            if len(words_of(key)) != 1 or key in spelling:
                raise self._fail(f"spelling.{typed}", "must be one word, listed once")
            spelling[key] = words_of(fold(meant))
        return spelling

    def _build_index(self) -> PhraseIndex:
        vocabulary = self.vocabulary
        entries: list[tuple[str, str, Meaning]] = []
        for section, kind in (("persons", "person"), ("animals", "animal"), ("neutral", "neutral"),
                              ("purpose", "purpose")):
            entries += [(section, p, Meaning(kind)) for p in getattr(vocabulary, section)]
        with_paper: dict[str, str] = {}
        after_person: dict[str, str] = {}
        for name, action in vocabulary.actions.items():
            entries += [(f"actions.{name}.phrases", p, Meaning("action", name)) for p in action.phrases]
            with_paper |= {fold(p): name for p in action.with_paper}
        for name, thing in vocabulary.objects.items():
            strength = GENERIC if thing.generic else NAMED
            entries += [(f"objects.{name}.names", p, Meaning("object", name, strength)) for p in thing.names]
            entries += [(f"objects.{name}.hints", p, Meaning("object", name, HINTED)) for p in thing.hints]
            after_person |= {fold(p): name for p in thing.after_person}
        for topic, question in vocabulary.questions.items():
            entries += [(f"questions.{topic}.phrases", p, Meaning("topic", topic)) for p in question.phrases]
        for phrase in sorted(with_paper.keys() | after_person.keys()):
            meaning = Meaning("ambiguous", with_paper.get(phrase, ""), event=after_person.get(phrase, ""))
            entries.append(("actions.*.with_paper / objects.*.after_person", phrase, meaning))
        index = PhraseIndex()
        for key, phrase, meaning in entries:
            words = self.spelled(words_of(fold(phrase)))
            if not words or BOUNDARY in words:
                raise self._fail(key, f"phrase '{phrase}' must be words without punctuation")
            clash = index.add(words, Meaning(meaning.kind, meaning.key, meaning.strength, meaning.event, key))
            if clash is not None:
                raise self._fail(key, f"phrase '{phrase}' is already listed under '{clash.source}'")
        return index


def _catalog_names(catalog: Catalog) -> dict[Phrase, str]:
    """Keywords and titles of the procedure files, for what the vocabulary does not know."""
    names: dict[Phrase, str] = {}
    for procedure in catalog:
        texts = [*procedure.keywords, procedure.title.vi]
        if procedure.short_title:
            texts.append(procedure.short_title.vi)
        for text in texts:
            words = tuple(w for w in words_of(fold(text)) if w != BOUNDARY)
            if words:
                names.setdefault(words, procedure.id)
    return names


def _near_phrases(phrases: list[Phrase]) -> dict[tuple[int, str], list[Phrase]]:
    """Phrases of 2–4 words by word count and initials: a typo keeps both."""
    near: dict[tuple[int, str], list[Phrase]] = {}
    for words in phrases:
        if 2 <= len(words) <= 4 and len(" ".join(words)) >= _FUZZY_MIN_CHARS:
            near.setdefault((len(words), "".join(w[0] for w in words)), []).append(words)
    return near


def _one_slip(typed: Phrase, meant: Phrase) -> bool:
    """Exactly one word of three letters or more differs, by one letter dropped or added, two
    letters swapped ("khia"), or one key hit next to the right one (m for n, j for k)."""
    differing = [(a, b) for a, b in zip(typed, meant) if a != b]
    if len(differing) != 1 or min(len(differing[0][0]), len(differing[0][1])) < 3:
        return False
    word, intended = differing[0]
    if abs(len(word) - len(intended)) == 1:
        return Levenshtein.distance(word, intended, score_cutoff=1) == 1
    if len(word) != len(intended):
        return False
    slips = [i for i, (a, b) in enumerate(zip(word, intended)) if a != b]
    if len(slips) == 2:
        first, second = slips
        return second == first + 1 and word[first] == intended[second] and word[second] == intended[first]
    return len(slips) == 1 and _neighbours(word[slips[0]], intended[slips[0]])


def _neighbours(a: str, b: str) -> bool:
    if a not in _KEY_AT or b not in _KEY_AT:
        return False
    (row_a, column_a), (row_b, column_b) = _KEY_AT[a], _KEY_AT[b]
    return abs(row_a - row_b) <= 1 and abs(column_a - column_b) <= 1


def _onset(word: str) -> str:
    for onset in ("ngh", "ng", "nh", "tr", "ch"):
        if word.startswith(onset):
            return onset
    return word[:1]
