import datetime

import pytest
from django.db import connection

from tandem.core.maintenance import database_optimize
from tandem.core.tasks import database_optimize_nightly


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps no statistics by itself")
def test_database_optimize_gathers_sqlite_planner_statistics(rep_a, make_contact):
    make_contact(rep_a)

    database_optimize()

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'contacts_contact'")
        assert cursor.fetchone()[0] > 0


def test_nightly_task_is_scheduled_at_night_and_runs_the_optimization(db):
    assert database_optimize_nightly.task_class().validate_datetime(datetime.datetime(2026, 1, 5, 3, 17))
    assert not database_optimize_nightly.task_class().validate_datetime(datetime.datetime(2026, 1, 5, 15, 17))

    assert database_optimize_nightly.call_local() is None
