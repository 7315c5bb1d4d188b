"""What a citizen means by what they type: one of the nine procedures, a question, a choice
between two, something the bot does not handle, or nothing.

A message is read as an ACTION done to an OBJECT, because the paper a citizen names is usually
not the procedure they need: "photo công chứng giấy khai sinh" is a certified copy, "mất giấy
khai sinh" a copy from the register, and "bố tôi mất" a death to register. The words come from
the vocabulary file (understanding.yaml), so the office extends them without touching code.

    u = Understanding(load_catalog())
    u.read("xin ban sao giay khai sinh")  # Reading("choose", ("chung-thuc-ban-sao", "trich-luc-ho-tich"))

`read` is a small pipeline of named steps: words → phrases → died or lost → details set aside →
target (action × object) → question topic → fallbacks (catalog names, a phrase one typo or one
sound-alike initial away). It is offline and deterministic; everything that can be is built
once in __init__ (dialogs/understanding_lexicon.py), and a message is folded once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from dialogs.catalog import Catalog
from dialogs.text import fold
from dialogs.understanding_lexicon import GENERIC, HINTED, NAMED, Lexicon
from dialogs.understanding_text import BOUNDARY, Meaning, Mention, occurrences
from dialogs.understanding_vocabulary import (
    OUT_OF_SCOPE,
    VOCABULARY_PATH,
    load_vocabulary,
)

Kind = Literal["apply", "ask", "choose", "out_of_scope", "none"]
Topic = Literal["documents", "time", "fee", "office"]
_PERSON_GAP = 4  # filler words allowed between a person and "mất" ("bà nội em mất")
_CLOSER_REACH = 12  # words allowed between a paper asked about and the end of the question
_INTERROGATIVES = frozenset({"bao", "gi", "nao", "dau", "may", "khong", "chua", "sao", "?"})
"""Folded words that make a lone topic word a question ("phí bao nhiêu", "có mất phí không")."""


@dataclass(frozen=True)
class Reading:
    """What a message means. apply: exactly one procedure; choose: two (alphabetical ids);
    ask: a `topic` and zero or one procedure; out_of_scope and none: nothing else."""

    kind: Kind
    procedures: tuple[str, ...] = ()
    topic: Topic | None = None
    in_one_word: bool = field(default=False, compare=False)
    """The question is one topic word with no question word beside it ("Phí Thị Hoa"): it may
    as well be a surname or part of an answer, so in the middle of an application it is one."""


@dataclass(frozen=True)
class _Gist:
    target: tuple[str, ...] | None  # a procedure id, ("out-of-scope",), or two ids
    topic: Topic | None
    decisive: bool  # an action, or an object named or hinted, was found
    taken: frozenset[int] = frozenset()  # words already read as a phrase (other than a person)
    topic_words: int = 0  # the longest question phrase found, in words


class Understanding:
    """Reads citizens' messages against one catalog and one vocabulary file; build it once at
    start-up (a broken vocabulary file raises VocabularyError naming the file and the key)."""

    def __init__(self, catalog: Catalog, vocabulary_path: Path = VOCABULARY_PATH) -> None:
        self._lexicon = Lexicon(load_vocabulary(vocabulary_path), catalog, vocabulary_path)
        self._actions = self._lexicon.vocabulary.actions
        self._objects = self._lexicon.vocabulary.objects

    def read(self, text: str) -> Reading:
        """The meaning of one message. The fallbacks run only when the vocabulary found no
        procedure: they are looser, so they must never override what it did find."""
        tokens = self._lexicon.words.split(fold(text))
        gist = self._interpret(tokens)
        if gist.target is None:
            named = self._by_catalog_name(tokens)
            if named is not None:
                gist = _Gist(named, gist.topic, True, topic_words=gist.topic_words)
            elif not gist.decisive:
                mended = self._by_near_phrase(tokens, gist.taken)
                if mended is not None:
                    gist = self._interpret(mended)
        return _assemble(gist)

    def _interpret(self, tokens: list[str]) -> _Gist:
        """Phrases found, then each step narrows them down to one action and one object."""
        mentions = spotted = self._lexicon.index.spot(tokens)
        mentions = self._tell_died_from_lost(mentions, tokens)
        mentions = _without_animal_events(mentions)
        mentions = self._set_aside_details(mentions, tokens)
        mentions = self._with_required_objects(mentions)
        target = self._in_catalog(self._target(mentions))
        decisive = any(m.kind == "action" or (m.kind == "object" and m.meaning.strength > GENERIC)
                       for m in mentions)
        taken = frozenset(i for m in spotted if m.kind != "person" for i in range(m.start, m.end))
        topic_words = max((m.end - m.start for m in mentions if m.kind == "topic"), default=0)
        if topic_words == 1 and _INTERROGATIVES.intersection(tokens):
            topic_words = 2
        return _Gist(target, _topic(mentions, target), decisive, taken, topic_words)

    @property
    def unknown_procedures(self) -> tuple[str, ...]:
        """"key: id" for each procedure the vocabulary names that the catalog does not have."""
        return self._lexicon.unknown

    # ----- the steps ---------------------------------------------------------------------

    def _tell_died_from_lost(self, mentions: list[Mention], tokens: list[str]) -> list[Mention]:
        """"mất" is a loss when a paper follows it ("em mất giấy khai sinh"), a death right
        after a person ("bố tôi mất", "u tôi vừa mất"), a loss when a paper is named elsewhere
        ("giấy khai sinh của cháu mất rồi"), and nothing otherwise ("nhà cháu mất con gà")."""
        if not any(m.kind == "ambiguous" for m in mentions):
            return mentions
        papers = [m for m in mentions if m.kind == "object" and m.meaning.strength != HINTED]
        person_ends = {m.end for m in mentions if m.kind == "person"}
        resolved: list[Mention] = []
        for mention in mentions:
            if mention.kind != "ambiguous":
                resolved.append(mention)
                continue
            as_loss = Mention(mention.start, mention.end, Meaning("action", mention.key))
            if mention.key and any(p.start == mention.end for p in papers):
                resolved.append(as_loss)
            elif mention.meaning.event and self._after_person(tokens, mention.start, person_ends):
                resolved.append(Mention(mention.start, mention.end,
                                        Meaning("object", mention.meaning.event, HINTED)))
            elif mention.key and papers:
                resolved.append(as_loss)
        return resolved

    def _after_person(self, tokens: list[str], start: int, person_ends: set[int]) -> bool:
        position = start
        for _ in range(_PERSON_GAP + 1):
            if position in person_ends:
                return True
            if position == 0 or tokens[position - 1] not in self._lexicon.fillers:
                return False
            position -= 1
        return False

    def _set_aside_details(self, mentions: list[Mention], tokens: list[str]) -> list[Mention]:
        """A purpose ("xin giấy độc thân để đăng ký kết hôn") and a paper asked about ("đăng ký
        kết hôn có cần giấy độc thân không") are details of the request, not the request; the
        latter also makes the message a question about documents."""
        dropped: set[int] = set()
        for purpose in (m for m in mentions if m.kind == "purpose"):
            if not any(m.kind in ("action", "object") and m.end <= purpose.start for m in mentions):
                continue  # "để đăng ký kết hôn cần gì": nothing before it, so it is the request
            clause_end = next((i for i in range(purpose.end, len(tokens)) if tokens[i] == BOUNDARY),
                              len(tokens))
            dropped |= {id(m) for m in mentions
                        if m.kind in ("action", "object") and purpose.end <= m.start < clause_end}
        asked: list[Mention] = []
        for opener, closer in self._lexicon.about_a_paper:
            for start in occurrences(tokens, opener):
                paper = next((m for m in mentions if m.kind == "object" and m.start == start + len(opener)),
                             None)
                if paper is not None and self._ends_question_within(tokens, paper.end, closer):
                    dropped.add(id(paper))
                    asked.append(Mention(start, start + len(opener), Meaning("topic", "documents")))
        kept = [m for m in mentions if id(m) not in dropped] + asked
        return sorted(kept, key=lambda m: m.start) if asked else kept

    def _ends_question_within(self, tokens: list[str], start: int, closer: tuple[str, ...]) -> bool:
        """`closer` ends a sentence soon after `start`: only particles (ạ, nhé…) may follow."""
        for found in occurrences(tokens[start:start + _CLOSER_REACH + len(closer)], closer):
            after = start + found + len(closer)
            while after < len(tokens) and tokens[after] in self._lexicon.particles:
                after += 1
            if after == len(tokens) or tokens[after] == BOUNDARY:
                return True
        return False

    def _with_required_objects(self, mentions: list[Mention]) -> list[Mention]:
        """Everyday words like "nhường", "không nhận" refuse an inheritance only when an
        inheritance or land is in the message ("không nhận tin nhắn" is not a refusal)."""
        present = {m.key for m in mentions if m.kind == "object"}
        return [m for m in mentions if m.kind != "action" or not self._actions[m.key].only_with
                or present & set(self._actions[m.key].only_with)]

    def _target(self, mentions: list[Mention]) -> tuple[str, ...] | None:
        """The action listed first in the vocabulary decides; the object named most clearly is
        the detail it is done to (a name beats a hint; one of the nine beats an out-of-scope
        matter, so "ly hôn rồi, cần giấy độc thân" is the certificate; then the earliest)."""
        actions = [m for m in mentions if m.kind == "action"]
        objects = [m for m in mentions if m.kind == "object"]
        action = min(actions, key=lambda m: (self._lexicon.priority[m.key], m.start), default=None)
        thing = max(objects, key=lambda m: (m.meaning.strength, self._lexicon.in_scope(m.key), -m.start),
                    default=None)
        return self._route(action, thing)

    def _in_catalog(self, target: tuple[str, ...] | None) -> tuple[str, ...] | None:
        """A procedure this office has no file for is a request the assistant does not handle."""
        if target is None or target == (OUT_OF_SCOPE,):
            return target
        present = tuple(t for t in target if t in self._lexicon.procedure_ids)
        return present or (OUT_OF_SCOPE,)

    def _route(self, action: Mention | None, thing: Mention | None) -> tuple[str, ...] | None:
        """The object's route for the action (only when the paper itself is named), else what
        the action decides, else what the object asks for, else the action on its own."""
        act = self._actions[action.key] if action else None
        obj = self._objects[thing.key] if thing else None
        if action and thing and obj and thing.meaning.strength == NAMED and action.key in obj.routes:
            return obj.routes[action.key]
        if act and act.decides:
            return act.decides
        if obj and obj.procedure:
            return obj.procedure
        if act and (obj is None or obj.generic):
            return act.alone
        return None

    # ----- fallbacks, when no procedure was found ----------------------------------------

    def _by_catalog_name(self, tokens: list[str]) -> tuple[str, ...] | None:
        """A keyword or title of a procedure file that the vocabulary does not know (the office
        may add keywords there): the longest one found names the procedure."""
        best: dict[str, int] = {}
        for phrase, procedure in self._lexicon.catalog_names.items():
            if len(phrase) >= best.get(procedure, 0) and next(occurrences(tokens, phrase), None) is not None:
                best[procedure] = len(phrase)
        if not best:
            return None
        longest = max(best.values())
        ids = tuple(sorted(p for p, length in best.items() if length == longest))
        return ids if len(ids) <= 2 else None

    def _by_near_phrase(self, tokens: list[str], taken: frozenset[int]) -> list[str] | None:
        """Real words that hide a phrase, so not repaired one by one: "nấy vợ" (l and n spoken
        alike in the North) or a finger slipped ("kết hôm", "giấy độc thâng"). One word may
        differ, by a neighbouring key or a letter more, less or swapped, and must start with the
        same letter, so "hỏi thủ tục" stays a question and never becomes "hôn thú". Words already
        read as another phrase are left alone: "hôm nay vợ tôi…" is not "lấy vợ"."""
        for size in (4, 3, 2):
            for start in range(len(tokens) - size + 1):
                window = tuple(tokens[start:start + size])
                if BOUNDARY in window or any(i in taken for i in range(start, start + size)):
                    continue
                phrase = self._lexicon.phrase_near(window)
                if phrase is not None:
                    return tokens[:start] + list(phrase) + tokens[start + size:]
        return None


def _without_animal_events(mentions: list[Mention]) -> list[Mention]:
    """"con mèo nhà tôi vừa đẻ": births and deaths of animals are not registered."""
    if not any(m.kind == "animal" for m in mentions):
        return mentions
    return [m for m in mentions if not (m.kind == "object" and m.meaning.strength == HINTED)]


def _topic(mentions: list[Mention], target: tuple[str, ...] | None) -> Topic | None:
    """The first question word; when a procedure was found, a question about it (papers, time,
    fee) comes before one about the office."""
    topics = [cast(Topic, m.key) for m in mentions if m.kind == "topic"]
    if target and target != (OUT_OF_SCOPE,):
        about_procedure = [t for t in topics if t != "office"]
        if about_procedure:
            return about_procedure[0]
    return topics[0] if topics else None


def _assemble(gist: _Gist) -> Reading:
    """Out of scope wins over a question (the desk, not the bot, answers it); an office question
    names no procedure; a choice stays a choice even when asked as a question."""
    target, topic = gist.target, gist.topic
    if target == (OUT_OF_SCOPE,):
        return Reading("out_of_scope")
    in_one_word = gist.topic_words == 1
    if topic == "office":
        return Reading("ask", (), "office", in_one_word)
    if target and len(target) == 2:
        return Reading("choose", tuple(sorted(target)))
    if topic:
        return Reading("ask", target or (), topic, in_one_word)
    return Reading("apply", target) if target else Reading("none")
