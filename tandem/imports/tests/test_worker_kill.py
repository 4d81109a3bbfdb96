"""A real `tandem worker` killed (SIGKILL) in the middle of an import: only whole batches are in the
database, and the import then continues to the exact end, or is undone to nothing.

Everything runs in child processes against a database of its own (a SQLite file, or a fresh
PostgreSQL database when the suite runs on PostgreSQL), as an operator would see it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

TANDEM = Path(sys.executable).with_name("tandem")
REPO = Path(__file__).resolve().parents[3]
ROWS = 12_000
BATCH = 150
STATE = """
import django, json
django.setup()
from tandem.contacts.models import Contact, Phone
from tandem.imports.models import ImportChange, ImportJob
job = ImportJob.objects.order_by("-id").first()
print(json.dumps({
    "status": job.status if job else None, "last_row": job.last_row if job else 0,
    "id": job.pk if job else None, "contacts": Contact.objects.count(), "phones": Phone.objects.count(),
    "logged": ImportChange.objects.filter(created=True).count(),
    "created": (job.counts or {}).get("contacts_created", 0) if job else 0,
}))
"""


class Instance:
    def __init__(self, directory: Path, database_url: str) -> None:
        self.env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("TANDEM_")},
            "DJANGO_SETTINGS_MODULE": "tandem.settings",
            "TANDEM_DATA_DIR": str(directory / "data"),
            "TANDEM_IMPORT_BATCH_ROWS": str(BATCH),
            "TANDEM_IMPORT_PARALLEL_ROWS": "0",  # the file is read by a second process, as big files are
            "TANDEM_IMPORT_WRITER_ROWS": "0",  # and written by a third
            "TANDEM_IMPORT_STALLED_SECONDS": "1",
            "TANDEM_SCHEDULER": "0",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("DATABASE_URL", None)
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.directory = directory

    def tandem(self, *arguments: str) -> str:
        result = subprocess.run(
            [str(TANDEM), *arguments], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def state(self) -> dict:
        result = subprocess.run(
            [sys.executable, "-c", STATE], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout)

    def worker(self) -> subprocess.Popen:
        log = (self.directory / "worker.log").open("wb")
        return subprocess.Popen(
            [str(TANDEM), "worker", "--workers", "1"],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture
def instance(tmp_path) -> Iterator[Instance]:
    base = os.environ.get("DATABASE_URL", "")
    database = ""
    if base.startswith("postgres"):
        import psycopg

        database = f"tandem_kill_{uuid.uuid4().hex[:10]}"
        admin_url = base.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        yield Instance(tmp_path, base.rsplit("/", 1)[0] + f"/{database}")
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        return
    yield Instance(tmp_path, "")


def write_file(path: Path) -> None:
    lines = ["Name;Phone;Email"]
    lines += [f"Person{n} Family{n};0888 {n:06d};p{n}@example.bg" for n in range(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_killed_worker_leaves_whole_batches_then_the_import_resumes_or_undoes(instance, tmp_path):
    instance.tandem("migrate", "--noinput")
    instance.tandem("createuser", "boss@example.com", "--role", "admin", "--password", "pw-123456789")
    path = tmp_path / "people.csv"
    write_file(path)
    queued = json.loads(instance.tandem("import", "contacts", str(path), "--background", "--json"))
    assert queued["status"] == "queued"

    worker = instance.worker()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and instance.state()["last_row"] < 3 * BATCH:
            time.sleep(0.05)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    killed = instance.state()
    assert killed["status"] == "running"
    assert 0 < killed["contacts"] < ROWS, killed
    # Only whole batches: every contact has its phone and its undo-log row, and the job's cursor says
    # exactly how far they go.
    assert killed["contacts"] % BATCH == 0
    assert killed["contacts"] == killed["phones"] == killed["logged"] == killed["created"]
    assert killed["last_row"] == killed["contacts"] + 1

    time.sleep(1.5)  # past TANDEM_IMPORT_STALLED_SECONDS: the import counts as interrupted
    resumed = json.loads(instance.tandem("import", "resume", str(killed["id"]), "--json"))
    assert resumed["status"] == "done"
    assert resumed["counts"]["contacts_created"] == ROWS
    done = instance.state()
    assert done["contacts"] == done["phones"] == ROWS

    undone = json.loads(instance.tandem("import", "undo", str(killed["id"]), "--json"))
    assert undone["status"] == "undone"
    assert instance.state()["contacts"] == 0
