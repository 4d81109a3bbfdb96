"""Settings for a real Huey consumer started by test_huey_consumer.py: the test settings with a real
queue (SqliteHuey in a temp file, or RedisHuey when TANDEM_TEST_HUEY_REDIS_URL is set) and an extra
app whose tasks write marker files into TANDEM_TEST_HUEY_DIR."""

import os

from tandem.settings_test import *  # noqa: F403
from tandem.settings_test import INSTALLED_APPS

HUEY_TEST_DIR = os.environ["TANDEM_TEST_HUEY_DIR"]
_name = os.environ.get("TANDEM_TEST_HUEY_NAME", "tandem-consumer-test")
_redis_url = os.environ.get("TANDEM_TEST_HUEY_REDIS_URL", "")
if _redis_url:
    HUEY = {"huey_class": "huey.RedisHuey", "name": _name, "url": _redis_url, "immediate": False}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": _name,
        "filename": os.path.join(HUEY_TEST_DIR, "queue.sqlite3"),
        "immediate": False,
    }
INSTALLED_APPS = [*INSTALLED_APPS, "tandem.core.tests.huey_tasks.HueyTestTasksConfig"]
