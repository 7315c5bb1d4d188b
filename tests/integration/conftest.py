"""Fixtures of the integration layer: a migrated database on the engine under test."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine


@pytest.fixture
def db(migrated_db: Engine) -> Engine:
    """The short name the integration tests use for `migrated_db` (tests/conftest.py)."""
    return migrated_db
