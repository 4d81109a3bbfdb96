"""Test-only Huey tasks, loaded by the consumer through huey_settings (an app whose module this is).

Each writes a marker file into settings.HUEY_TEST_DIR, so the test can see what ran, how often and
on which consumer process."""

from __future__ import annotations

import os
from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from huey.contrib.djhuey import db_periodic_task, db_task


class HueyTestTasksConfig(AppConfig):
    name = "tandem.core.tests"
    label = "huey_test_tasks"


def _marker(name: str) -> Path:
    return Path(settings.HUEY_TEST_DIR) / name


def _append(name: str, line: str) -> int:
    """Append a line to a marker file; returns how many lines it has now."""
    path = _marker(name)
    with path.open("a") as handle:
        handle.write(f"{line}\n")
    return len(path.read_text().splitlines())


def _every_time(moment: object) -> bool:
    return True


@db_periodic_task(_every_time)
def huey_test_tick() -> None:
    """Runs each time a scheduler looks at periodic tasks: when the consumer starts, then each minute."""
    _append("tick", str(os.getpid()))


@db_task(retries=2, retry_delay=1)
def huey_test_flaky(failures: int) -> None:
    """Fails its first `failures` attempts, then writes flaky-done with the attempt that succeeded."""
    attempt = _append("flaky-attempts", str(os.getpid()))
    if attempt <= failures:
        raise RuntimeError(f"attempt {attempt} fails on purpose")
    _marker("flaky-done").write_text(str(attempt))
