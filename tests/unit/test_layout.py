"""The layout stays as the README's developer section describes it: imports flow one way, only
handlers and the runtime know a messenger, the CLI and benchmarks stand on their own, and no
application module grows past what a newcomer can read in one sitting."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from importlinter import configuration
from importlinter.application.use_cases import SUCCESS, lint_imports

REPO = Path(__file__).resolve().parents[2]
MAX_LINES = 400


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported when `path` is imported (not those imported inside a function)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_import_contracts_of_pyproject_hold(capsys: pytest.CaptureFixture[str]) -> None:
    configuration.configure()
    previous = Path.cwd()
    os.chdir(REPO)
    try:
        result = lint_imports(cache_dir=None, no_logo=True)
    finally:
        os.chdir(previous)
    assert result == SUCCESS, capsys.readouterr().out


def test_the_cli_imports_without_the_sandbox() -> None:
    for path in (REPO / "bot" / "cli").glob("*.py"):
        assert not any(name.split(".")[0] == "sandbox" for name in _top_level_imports(path)), path


def test_benchmarks_do_not_import_the_tests() -> None:
    for path in (REPO / "bench").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert not any(name.split(".")[0] == "tests" for name in imported), path


@pytest.mark.parametrize("folder", ["bot", "handlers", "dialogs"])
def test_no_module_is_over_400_lines(folder: str) -> None:
    long = {str(path.relative_to(REPO)): count for path in (REPO / folder).rglob("*.py")
            if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long
