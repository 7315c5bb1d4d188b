"""What a citizen types, with or without diacritics, finds the procedure they mean."""

from __future__ import annotations

import pytest

from dialogs.catalog import load_catalog
from dialogs.matching import ProcedureMatcher

MATCHER = ProcedureMatcher(load_catalog())


@pytest.mark.parametrize(("typed", "expected"), [
    ("dang ky khai sinh", "khai-sinh"),
    ("giấy khai sinh", "khai-sinh"),
    ("khai snh", "khai-sinh"),
    ("ket hon", "ket-hon"),
    ("dang ki ket hon", "ket-hon"),
    ("sao y ban chinh", "chung-thuc-ban-sao"),
    ("xac nhan doc than", "xac-nhan-tinh-trang-hon-nhan"),
    ("giay khuyet tat", "xac-nhan-khuyet-tat"),
    ("trich luc khai sinh", "trich-luc-ho-tich"),
    ("tu choi thua ke", "chung-thuc-tu-choi-di-san"),
    ("BẢN SAO TỪ SỔ GỐC", "cap-ban-sao-tu-so-goc"),
])
def test_clear_texts_find_one_procedure(typed: str, expected: str) -> None:
    match = MATCHER.match(typed)
    assert match.procedure is not None and match.procedure.id == expected


@pytest.mark.parametrize(("typed", "offered"), [
    ("xac nhan", {"xac-nhan-khuyet-tat", "xac-nhan-tinh-trang-hon-nhan"}),
    ("chung thuc", {"chung-thuc-ban-sao", "chung-thuc-tu-choi-di-san"}),
    ("ban sao", {"cap-ban-sao-tu-so-goc", "chung-thuc-ban-sao", "trich-luc-ho-tich"}),
])
def test_ambiguous_texts_offer_the_best_two_or_three(typed: str, offered: set[str]) -> None:
    match = MATCHER.match(typed)
    assert match.procedure is None
    assert {p.id for p in match.candidates} == offered


@pytest.mark.parametrize("typed", ["xin chao", "hello", "toi muon hoi ve thue dat", "   "])
def test_unrelated_texts_match_nothing(typed: str) -> None:
    match = MATCHER.match(typed)
    assert match.procedure is None and not match.candidates
