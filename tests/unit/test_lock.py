"""The lock files install what pyproject.toml asks for: a dependency added to pyproject.toml
without running scripts/lock would otherwise be missing from every fresh install."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)", re.MULTILINE)


def _pins(lock: str) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in _PIN.findall((REPO / lock).read_text())}


def _requirements(*groups: str) -> list[Requirement]:
    wanted = list(PROJECT["dependencies"])
    for group in groups:
        wanted += PROJECT["optional-dependencies"][group]
    return [Requirement(text) for text in wanted]


@pytest.mark.parametrize(("lock", "groups"), [("requirements.txt", ()), ("requirements-test.txt", ("test",))])
def test_every_dependency_is_pinned_within_its_range(lock: str, groups: tuple[str, ...]) -> None:
    pins = _pins(lock)
    for requirement in _requirements(*groups):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in {lock}: run scripts/lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"{lock} pins {name}=={pins[name]}, outside {requirement}: run scripts/lock"


def test_every_pin_carries_hashes_and_both_locks_agree() -> None:
    for lock in ("requirements.txt", "requirements-test.txt"):
        text = (REPO / lock).read_text()
        assert text.count("==") == len(_pins(lock)) and len(_pins(lock)) <= text.count("--hash=sha256:")
    run, test = _pins("requirements.txt"), _pins("requirements-test.txt")
    assert {name: test.get(name) for name in run} == run, "the run-time pins must be the test lock's"


def test_the_readme_says_why_each_dependency_is_there() -> None:
    section = (REPO / "README.md").read_text(encoding="utf-8").split("### Vì sao có từng thư viện", 1)[1].split("\n## ", 1)[0]
    explained = {canonicalize_name(name) for name in re.findall(r"`([A-Za-z0-9_.\-]+)(?:\[[a-z]+\])?`", section)}
    missing = [r.name for r in _requirements("test") if canonicalize_name(r.name) not in explained]
    assert missing == [], f"README.md, 'Vì sao có từng thư viện': say why these are needed: {missing}"
