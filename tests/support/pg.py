"""The throw-away PostgreSQL server of the test suite lives in `sandbox.postgres`, where the
benchmarks can use it too."""

from sandbox.postgres import PostgresServer, PostgresUnavailable

__all__ = ["PostgresServer", "PostgresUnavailable"]
