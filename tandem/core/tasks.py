from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tandem.core.maintenance import database_optimize


@db_periodic_task(crontab(hour="3", minute="17"))
def database_optimize_nightly() -> None:
    database_optimize()
