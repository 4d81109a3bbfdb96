"""Database upkeep the embedded default needs because no DBA runs it."""

from __future__ import annotations

from django.db import connection


def database_optimize() -> None:
    """Refresh SQLite's planner statistics (bounded sampling, seconds even at a million rows).

    SQLite never gathers statistics by itself; without them list pages sort whole tables instead of
    walking the name index. PostgreSQL's autovacuum keeps its own statistics, so it is left alone.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=1000")
        cursor.execute("ANALYZE")
