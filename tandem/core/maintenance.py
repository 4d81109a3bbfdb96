"""Database upkeep the embedded default needs because no DBA runs it."""

from __future__ import annotations

from django.db import connection


def database_optimize() -> None:
    """Refresh SQLite's planner statistics (a full ANALYZE: about 3 s at a million contacts).

    SQLite never gathers statistics by itself; without them list pages sort whole tables instead of
    walking the name index. Sampled statistics (`analysis_limit`) were measured to mislead the
    planner worse than none, so the analysis is full. PostgreSQL's autovacuum keeps its own.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
