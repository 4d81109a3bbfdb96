"""A real Huey consumer (`tandem worker`) in its own process, on SqliteHuey and on Redis: a periodic
task fires, a failing task is retried, and with several workers only one runs the scheduler.

The consumer loads tandem/core/tests/huey_settings.py, whose test app (huey_tasks.py) writes marker
files; tasks are enqueued by a second short-lived process with the same settings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tandem.cli import scheduler_enabled, worker_argv

TANDEM = Path(sys.executable).with_name("tandem")
REPO = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("TANDEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WAIT = 20.0


def wait_for(condition: Callable[[], bool], timeout: float = WAIT, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s: {message}")


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


class Consumers:
    """Starts `tandem worker` processes and the enqueuing helper with one shared environment."""

    def __init__(self, directory: Path, redis_url: str = "") -> None:
        self.directory = directory
        self.name = f"tandem-test-{uuid.uuid4().hex[:10]}"
        self.env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("TANDEM_")},
            "DJANGO_SETTINGS_MODULE": "tandem.core.tests.huey_settings",
            "TANDEM_DATA_DIR": str(directory / "data"),
            "TANDEM_TEST_HUEY_DIR": str(directory),
            "TANDEM_TEST_HUEY_NAME": self.name,
            "TANDEM_TEST_HUEY_REDIS_URL": redis_url,
            "PYTHONUNBUFFERED": "1",
        }
        self.processes: list[tuple[subprocess.Popen, Path]] = []

    def start(self, *, scheduler: bool = True, label: str = "worker") -> Path:
        """Start one consumer (2 worker threads, disabled autoload: only the test tasks); returns its log."""
        log = self.directory / f"{label}.log"
        env = {**self.env, "TANDEM_SCHEDULER": "1" if scheduler else "0"}
        command = [str(TANDEM), "worker", "--workers", "2", "--disable-autoload", "--max-delay", "0.5"]
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append((process, log))
        return log

    def wait_started(self, log: Path) -> None:
        wait_for(lambda: "Huey consumer started" in log.read_text(), message=f"consumer start ({log.name})")

    def enqueue(self, call: str) -> None:
        """Enqueue a test task from a separate process, as the web process would."""
        code = f"import django; django.setup(); from tandem.core.tests import huey_tasks; huey_tasks.{call}"
        subprocess.run([sys.executable, "-c", code], cwd=REPO, env=self.env, check=True, timeout=WAIT)

    def stop(self) -> None:
        for process, _log in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process, _log in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


@pytest.fixture
def sqlite_consumers(tmp_path) -> Iterator[Consumers]:
    consumers = Consumers(tmp_path)
    yield consumers
    consumers.stop()


def _written(path: Path) -> bool:
    """The task's file exists *and* holds its text: created and written are two steps, and a test
    that read between them saw ''."""
    return path.exists() and path.read_text() != ""


def _redis_available() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
        message = f"Redis is not reachable at {REDIS_URL} ({error}); .ci/run starts it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def redis_consumers(tmp_path) -> Iterator[Consumers]:
    _redis_available()
    from huey import RedisHuey

    consumers = Consumers(tmp_path, redis_url=REDIS_URL)
    yield consumers
    consumers.stop()
    RedisHuey(consumers.name, url=REDIS_URL).flush()


def test_sqlite_consumer_fires_the_periodic_task_and_retries_a_failing_task(sqlite_consumers):
    log = sqlite_consumers.start()
    sqlite_consumers.wait_started(log)

    wait_for(lambda: lines(sqlite_consumers.directory / "tick") != [], message="periodic tick")
    sqlite_consumers.enqueue("huey_test_flaky(2)")
    wait_for(lambda: _written(sqlite_consumers.directory / "flaky-done"), message="flaky task success")

    assert (sqlite_consumers.directory / "flaky-done").read_text() == "3"
    assert len(lines(sqlite_consumers.directory / "flaky-attempts")) == 3
    assert len(lines(sqlite_consumers.directory / "tick")) == 1
    output = log.read_text()
    assert "Periodic tasks are enabled." in output
    assert "attempt 1 fails on purpose" in output
    assert "attempt 2 fails on purpose" in output
    assert (sqlite_consumers.directory / "queue.sqlite3").exists()


def test_sqlite_consumer_without_scheduler_runs_tasks_but_no_periodic_task(sqlite_consumers):
    log = sqlite_consumers.start(scheduler=False)
    sqlite_consumers.wait_started(log)

    sqlite_consumers.enqueue("huey_test_flaky(0)")
    wait_for(lambda: _written(sqlite_consumers.directory / "flaky-done"), message="task run")
    time.sleep(1.5)  # a scheduler would have enqueued the tick at start, long before this

    assert "Periodic tasks are disabled." in log.read_text()
    assert lines(sqlite_consumers.directory / "tick") == []


def test_redis_consumers_run_the_scheduler_on_exactly_one_and_retry_a_failing_task(redis_consumers):
    first = redis_consumers.start(label="with-scheduler")
    second = redis_consumers.start(scheduler=False, label="without-scheduler")
    redis_consumers.wait_started(first)
    redis_consumers.wait_started(second)

    wait_for(lambda: lines(redis_consumers.directory / "tick") != [], message="periodic tick")
    redis_consumers.enqueue("huey_test_flaky(2)")
    wait_for(lambda: _written(redis_consumers.directory / "flaky-done"), message="flaky task success")

    assert (redis_consumers.directory / "flaky-done").read_text() == "3"
    assert len(lines(redis_consumers.directory / "flaky-attempts")) == 3
    # Both consumers started seconds ago; a second scheduler would have enqueued its own tick.
    assert len(lines(redis_consumers.directory / "tick")) == 1
    assert "Periodic tasks are enabled." in first.read_text()
    assert "Periodic tasks are disabled." in second.read_text()
    assert not (redis_consumers.directory / "queue.sqlite3").exists()


# --- the TANDEM_SCHEDULER switch of `tandem worker` ------------------------------------------------


def test_worker_without_scheduler_gets_no_periodic_flag():
    assert worker_argv(["tandem", "run_huey", "-w", "2"], scheduler=False) == [
        "tandem",
        "run_huey",
        "-w",
        "2",
        "--no-periodic",
    ]
    assert worker_argv(["tandem", "run_huey", "--no-periodic"], scheduler=False) == [
        "tandem",
        "run_huey",
        "--no-periodic",
    ]
    assert worker_argv(["tandem", "run_huey"], scheduler=True) == ["tandem", "run_huey"]


def test_scheduler_switch_parses_strictly():
    problems: list[str] = []

    assert scheduler_enabled({}, problems) is True
    assert scheduler_enabled({"TANDEM_SCHEDULER": "0"}, problems) is False
    assert scheduler_enabled({"TANDEM_SCHEDULER": "off"}, problems) is False
    assert scheduler_enabled({"TANDEM_SCHEDULER": "yes"}, problems) is True
    assert problems == []
    assert scheduler_enabled({"TANDEM_SCHEDULER": "maybe"}, problems) is True
    assert problems == [
        "TANDEM_SCHEDULER='maybe' is not valid: expected one of true/false/1/0/yes/no/on/off."
    ]


def test_worker_with_a_bad_scheduler_value_refuses_to_start(tmp_path):
    env = {**os.environ, "TANDEM_DATA_DIR": str(tmp_path), "TANDEM_SCHEDULER": "maybe"}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    result = subprocess.run(
        [str(TANDEM), "worker"], cwd=REPO, env=env, capture_output=True, text=True, timeout=WAIT
    )

    assert result.returncode == 2
    assert "TANDEM_SCHEDULER='maybe' is not valid" in result.stderr
