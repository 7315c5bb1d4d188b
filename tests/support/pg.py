"""The test suite's throw-away PostgreSQL server lives in `sandbox.postgres`, which the
benchmarks use too (they may not import the tests)."""

from sandbox.postgres import PostgresServer, PostgresUnavailable

__all__ = ["PostgresServer", "PostgresUnavailable"]
