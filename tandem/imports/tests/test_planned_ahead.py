"""Planning a batch while the ones before are still being written (the writer process of big files).

`BatchesBehind` writes each batch only after the next one or two have been planned — the slowest the
writer process can be — so the planner never finds those batches in the database and must know them
from memory (`imports.inflight`). Every import must end exactly as when each batch is committed first.
"""

from __future__ import annotations

import io

import pytest
from django.db import connection

from tandem.contacts.models import Company, Contact, Phone, Tag
from tandem.core.statements import Statements
from tandem.imports import services
from tandem.imports.bulk import Ids
from tandem.imports.engine import ImportRun
from tandem.imports.models import ImportChange, ImportJob
from tandem.imports.sink import WriterFailed, WriterProcess, write_now

# Batches of two rows: [1, 2] [3, 4] [5, 6] [7, 8] [9, 10] [11, 12]. Most rows name a record that the
# batch before (still being written) created or changed.
FILE = (
    "Company,Tax id,Name,Phone,Email\n"
    "Acme Ltd,111111111,Ivan Petrov,0888 100 001,ivan@acme.example\n"  # a new company and person
    ",,Maria Ivanova,0888 765 432,maria@old.example\n"  # an existing person gains an email
    "Acme,,Ivan Petrov,0888 100 002,\n"  # Ivan by name at his new company: a second phone
    ",,Maria Ivanova,0888 765 999,maria@old.example\n"  # Maria by that email: a second phone
    "Acme Ltd,111111111,Ivan Petrov,0888 100 002,\n"  # Ivan by the phone the batch before added
    ",,Maria Ivanova,0888 765 999,\n"  # Maria by hers
    ",,Petar Stoyanov,0888 200 001,\n"
    ",,Petar Stoyanov,0888 200 001,petar@x.example\n"  # the same batch
    "Delta,222222222,Petar Stoyanov,,petar@x.example\n"  # Petar by email joins a new company
    "Delta AD,222222222,Elena Georgieva,0888 300 001,\n"  # Delta by tax id, in the same batch
    "Delta,222222222,Elena Georgieva,0888 300 002,elena@delta.example\n"  # Delta and Elena again
    "Acme,,Elena Georgieva,,elena@delta.example\n"  # Elena by email: stays at Delta (or moves)
)


class BatchesBehind:
    """Writes a batch only when `depth` more have been planned after it."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.pending: list[Statements] = []
        self.planned_before_written = 0

    def write(self, statements: Statements) -> None:
        self.pending.append(statements)
        if len(self.pending) > self.depth:
            self.planned_before_written += 1
            write_now(self.pending.pop(0))

    def finish(self) -> None:
        while self.pending:
            write_now(self.pending.pop(0))

    def close(self) -> None:
        pass


class OneBatchAhead(ImportRun):
    sinks: list[BatchesBehind] = []

    def make_sink(self) -> BatchesBehind:  # type: ignore[override]
        sink = BatchesBehind(1)
        self.sinks.append(sink)
        return sink


class TwoBatchesAhead(OneBatchAhead):
    def make_sink(self) -> BatchesBehind:  # type: ignore[override]
        sink = BatchesBehind(2)
        self.sinks.append(sink)
        return sink


def snapshot() -> dict:
    contacts = {}
    for contact in Contact.objects.select_related("company").order_by("pk"):
        contacts[str(contact)] = (
            contact.company.name if contact.company else None,
            sorted(Phone.objects.filter(contact=contact).values_list("e164", flat=True)),
            sorted(contact.emails.values_list("address", flat=True)),
        )
    companies = sorted(Company.objects.values_list("name", "tax_id"))
    return {"contacts": contacts, "companies": companies}


@pytest.mark.parametrize("run_class", [ImportRun, OneBatchAhead, TwoBatchesAhead])
@pytest.mark.parametrize("policy", ["update", "overwrite"])
def test_an_import_planned_ahead_of_its_writer_ends_as_one_written_batch_by_batch(
    admin, make_contact, settings, run_class, policy
):
    settings.TANDEM_IMPORT_BATCH_ROWS = 2
    make_contact(admin, "Maria", "Ivanova", phones=["+359888765432"])
    job = services.import_upload(actor=admin, stream=io.BytesIO(FILE.encode()), filename="a.csv")
    job = services.import_configure(actor=admin, job=job, region="BG", on_duplicate=policy)
    services.import_start(actor=admin, job=job, enqueue=False)
    OneBatchAhead.sinks.clear()

    services.run_execute(job.pk, run_class=run_class)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    if run_class is not ImportRun:
        sink = OneBatchAhead.sinks[0]
        assert sink.planned_before_written == 6 - sink.depth
    assert snapshot() == {
        "contacts": {
            "Maria Ivanova": (None, ["+359888765432", "+359888765999"], ["maria@old.example"]),
            "Ivan Petrov": ("Acme", ["+359888100001", "+359888100002"], ["ivan@acme.example"]),
            "Petar Stoyanov": ("Delta", ["+359888200001"], ["petar@x.example"]),
            "Elena Georgieva": ("Delta", ["+359888300001", "+359888300002"], ["elena@delta.example"]),
        },
        "companies": [("Acme", "111111111"), ("Delta", "222222222")],
    }
    assert job.counts == {
        "rows": 12,
        "companies_created": 2,
        "contacts_created": 3,
        "contacts_updated": 1,
        "rows_merged": 8,
    }
    changes = ImportChange.objects.filter(job=job).order_by("batch", "kind", "object_id")
    maria = Contact.objects.get(first_name="Maria").pk
    assert [
        (c.batch, c.created) for c in changes.filter(object_id=maria, kind=ImportChange.Kind.CONTACT)
    ] == [
        (1, False),
        (2, False),
    ]
    assert changes.filter(created=True).count() == 5

    services.import_undo(actor=admin, job=job, enqueue=False)
    services.undo_execute(job.pk)

    assert snapshot() == {"contacts": {"Maria Ivanova": (None, ["+359888765432"], [])}, "companies": []}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a writer process reaches the test database on PostgreSQL (SQLite's is in this one's memory)",
)
@pytest.mark.django_db(transaction=True)
def test_the_writer_process_commits_batch_after_batch_and_reports_the_one_it_cannot_write():
    insert = f"INSERT INTO {Tag._meta.db_table} (name, is_active, position) VALUES (%s, true, 0)"
    first, second, failing = Statements(), Statements(), Statements()
    first.execute(insert, ["fair"])
    second.executemany(insert, [["web"], ["call"]])
    failing.execute(insert, ["lost"])
    failing.execute("SELECT 1 / 0")
    writer = WriterProcess()
    try:
        writer.write(first)
        writer.write(second)
        writer.write(failing)
        with pytest.raises(WriterFailed, match="division by zero"):
            writer.finish()
    finally:
        writer.close()

    assert sorted(Tag.objects.values_list("name", flat=True)) == ["call", "fair", "web"]


def test_ids_taken_ahead_are_never_given_to_records_saved_meanwhile(admin, make_contact):
    ids = Ids(ahead=10)
    first = ids.take(Contact, 2)
    saved = make_contact(admin, "Saved", "Meanwhile")
    second = ids.take(Contact, 3)

    assert len({*first, *second, saved.pk}) == 6
    if connection.vendor == "sqlite":  # a block of 12 reserved past sqlite_sequence at the first take
        assert first + second == list(range(first[0], first[0] + 5))
        assert saved.pk >= first[0] + 12
