"""Every user-facing message id must have a Vietnamese translation that keeps its placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from locales import get_translator, po_path

REPO = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("bot", "dialogs", "handlers", "storage")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _message_ids() -> set[str | tuple[str, ...]]:
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: set[str | tuple[str, ...]] = set()
    for directory in SOURCE_DIRS:
        for _, _, message, _, _ in extract_from_dir(REPO / directory, method_map=[("**.py", "python")],
                                                      keywords=keywords):
            found.add(message)
    return found


def test_the_source_has_messages_to_translate() -> None:
    assert len(_message_ids()) > 50


def test_every_message_has_a_vietnamese_translation_with_the_same_placeholders() -> None:
    with po_path("vi").open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    problems = []
    for message_id in sorted(_message_ids(), key=str):
        key = message_id if isinstance(message_id, str) else message_id[0]
        entry = catalog.get(key)
        translations = () if entry is None else (entry.string if isinstance(entry.string, tuple) else (entry.string,))
        if entry is None or entry.fuzzy or not all(translations):
            problems.append(f"untranslated: {message_id!r}")
            continue
        originals = message_id if isinstance(message_id, tuple) else (message_id,)
        expected = set().union(*(PLACEHOLDER.findall(o) for o in originals))
        for translation in translations:
            if set(PLACEHOLDER.findall(translation)) != expected:
                problems.append(f"placeholders differ: {message_id!r} -> {translation!r}")
    assert not problems, "\n".join(problems)


def test_the_translator_uses_the_catalogs() -> None:
    assert get_translator("vi").gettext("📝 Apply") == "📝 Nộp hồ sơ"
    assert get_translator("en").gettext("📝 Apply") == "📝 Apply"
    assert get_translator("xx").language == "vi"
