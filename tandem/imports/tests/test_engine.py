"""The import engine: exact counts, E.164 phones, duplicates in the file and in the database, policies,
visibility, dry run, undo, resume after a crash, and a bounded number of queries per batch."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from tandem.contacts.models import Company, Contact, Email, Phone, Tag
from tandem.history.models import Event
from tandem.imports import services
from tandem.imports.engine import ImportRun
from tandem.imports.models import ImportChange, ImportIssue, ImportJob
from tandem.imports.selectors import rejected_rows_csv
from tandem.search.backends import Kind, matching_ids

BG_FILE = (
    "Клиенти 2024;;;;;\n"
    "Фирма;ЕИК;Контактно лице;Длъжност;Телефон;Email\n"
    '"""Акме"" ООД";123456789;Иван Петров;Управител;0888 123 456, 02/987 65 43 (офис);ivan@acme.bg\n'
    "Акме ООД;123 456 789;Мария Иванова;Счетоводител;+359 88 765 4321;MARIA@acme.bg \n"
    "Бета ЕООД;;Иван Петров;;00359888123456;\n"
    ";;;;;\n"
    "Гама АД;;;;12345;office@gama.bg\n"
    ";;;;0888 111 222;\n"
)
EXPECTED = {
    "rows": 5,
    "companies_created": 3,
    "contacts_created": 2,
    "rows_merged": 1,
    "rejected": 1,
    "warnings": 1,
}


def phones_of(record) -> list[str]:
    return sorted(record.phones.values_list("e164", flat=True))


def emails_of(record) -> list[str]:
    return sorted(record.emails.values_list("address", flat=True))


def dump() -> dict[str, list]:
    """Every row an import can touch, for before/after comparisons."""
    return {
        "companies": list(Company.objects.order_by("pk").values()),
        "contacts": list(Contact.objects.order_by("pk").values()),
        "phones": list(Phone.objects.order_by("pk").values()),
        "emails": list(Email.objects.order_by("pk").values()),
        "contact_tags": list(Contact.tags.through.objects.order_by("pk").values()),
        "company_tags": list(Company.tags.through.objects.order_by("pk").values()),
    }


def test_a_cp1251_file_with_a_title_row_becomes_companies_and_their_people(admin, run_import):
    job = run_import(admin, BG_FILE.encode("cp1251"))

    assert job.status == ImportJob.Status.DONE
    assert {key: job.counts.get(key, 0) for key in EXPECTED} == EXPECTED
    acme = Company.objects.get(tax_id="123456789")
    assert (acme.name, acme.legal_form) == ("Акме", "ООД")
    ivan = Contact.objects.get(first_name="Иван", last_name="Петров")
    maria = Contact.objects.get(first_name="Мария")
    assert ivan.company == acme and maria.company == acme
    assert ivan.position == "Управител"
    assert phones_of(ivan) == ["+35929876543", "+359888123456"]
    assert emails_of(ivan) == ["ivan@acme.bg"]
    assert phones_of(maria) == ["+359887654321"]
    assert emails_of(maria) == ["maria@acme.bg"]
    gama = Company.objects.get(name="Гама")
    assert emails_of(gama) == ["office@gama.bg"] and phones_of(gama) == []
    assert "12345" in gama.notes
    assert Company.objects.filter(name="Бета").exists()


def test_the_report_names_each_bad_row_and_column(admin, run_import):
    job = run_import(admin, BG_FILE.encode("cp1251"))

    issues = list(ImportIssue.objects.filter(job=job).values_list("row", "column", "code", "rejected"))
    assert issues == [(7, "Телефон", "invalid_phone", False), (8, "", "no_name", True)]
    lines = "".join(rejected_rows_csv(job, dry_run=False)).splitlines()
    assert lines[0] == "\ufeffRow,Reason,Фирма,ЕИК,Контактно лице,Длъжност,Телефон,Email"
    assert lines[1] == "8,The row has neither a company name nor a person's name.,,,,,0888 111 222,"


def test_the_dry_run_counts_exactly_what_the_import_does_and_writes_nothing(admin, run_import):
    before = dump()
    preview = run_import(admin, BG_FILE.encode("cp1251"), dry_run=True)

    assert preview.status == ImportJob.Status.PREVIEWED
    assert dump() == before
    job = run_import(admin, BG_FILE.encode("cp1251"))
    assert preview.preview == job.counts


def test_imported_records_are_searchable_and_carry_a_history_row(admin, run_import):
    job = run_import(admin, BG_FILE.encode("cp1251"))

    ivan = Contact.objects.get(first_name="Иван")
    assert list(Contact.objects.filter(pk__in=matching_ids(Kind.CONTACT, ["0888123456"]))) == [ivan]
    event = Event.objects.get(target_id=ivan.pk, action=Event.Action.IMPORTED, parent_id=ivan.company_id)
    assert event.changes == [{"field": "import", "old": None, "new": f"#{job.pk} clients.csv"}]


POLICY_FILE = "Name,Phone,Email,Position\nIvan Petrov,+359 888 123 456,ivan@new.example,Buyer\n"


@pytest.mark.parametrize(
    ("policy", "position", "emails", "contacts"),
    [
        ("skip", "", ["ivan@old.example"], 1),
        ("update", "Buyer", ["ivan@new.example", "ivan@old.example"], 1),
        ("create", "", ["ivan@old.example"], 2),
    ],
)
def test_a_row_matching_an_existing_contact_follows_the_duplicate_policy(
    admin, make_contact, run_import, policy, position, emails, contacts
):
    existing = make_contact(admin, "Ivan", "Petrov", phones=["0888123456"], emails=["ivan@old.example"])

    job = run_import(admin, POLICY_FILE.encode(), on_duplicate=policy)

    existing.refresh_from_db()
    assert existing.position == position
    assert emails_of(existing) == emails
    assert Contact.objects.count() == contacts
    expected = {"skip": "rows_skipped", "update": "contacts_updated", "create": "contacts_created"}[policy]
    assert job.counts[expected] == 1


def test_overwrite_replaces_filled_fields_and_update_keeps_them(admin, make_contact, run_import):
    existing = make_contact(admin, "Ivan", "Petrov", phones=["0888123456"], position="Director")

    run_import(admin, POLICY_FILE.encode(), on_duplicate="update")
    existing.refresh_from_db()
    assert existing.position == "Director"
    run_import(admin, POLICY_FILE.encode(), on_duplicate="overwrite")
    existing.refresh_from_db()
    assert existing.position == "Buyer"


def test_a_shared_office_phone_does_not_make_two_people_one(admin, make_contact, run_import):
    office = make_contact(admin, "Maria", "Ivanova", phones=["029876543"])

    run_import(admin, b"Name,Phone\nGeorgi Dimitrov,02 987 6543\n")

    assert Contact.objects.count() == 2
    assert phones_of(office) == ["+35929876543"]


def test_an_import_never_matches_or_changes_records_the_importer_cannot_see(
    rep_a, rep_b, make_contact, run_import
):
    theirs = make_contact(rep_b, "Ivan", "Petrov", phones=["0888123456"])
    before = dump()["contacts"]

    job = run_import(rep_a, POLICY_FILE.encode(), on_duplicate="overwrite")

    assert job.counts["contacts_created"] == 1
    assert Contact.objects.get(pk=theirs.pk).position == ""
    assert [row for row in dump()["contacts"] if row["id"] == theirs.pk] == [
        row for row in before if row["id"] == theirs.pk
    ]
    assert Contact.objects.get(owner=rep_a).position == "Buyer"


def test_a_tax_id_of_a_company_the_importer_cannot_see_rejects_the_row(
    rep_a, rep_b, make_company, run_import
):
    make_company(rep_b, name="Hidden", tax_id="987654321")

    job = run_import(rep_a, b"Company,VAT\nNew name,987654321\n")

    assert job.counts["rejected"] == 1
    issue = ImportIssue.objects.get(job=job)
    assert issue.message == "A company with tax id 987654321 already exists, but you cannot see it."
    assert "Hidden" not in issue.message
    assert Company.objects.filter(owner=rep_a).count() == 0


@pytest.mark.parametrize("policy", ["update", "overwrite"])
def test_a_person_without_a_company_joins_the_new_company_their_row_names_and_undo_leaves_them(
    admin, make_contact, run_import, policy
):
    maria = make_contact(admin, "Maria", "Ivanova", phones=["0888765432"])
    before = dump()
    content = (
        "Company,Name,Phone,Email\n"
        "Beta,Maria Ivanova,0888 765 432,\n"
        "Beta,Maria Ivanova,,maria@beta.example\n"  # by name at Beta: the same person, not a second one
    )

    preview = run_import(admin, content.encode(), dry_run=True, on_duplicate=policy)
    job = run_import(admin, content.encode(), on_duplicate=policy)

    maria.refresh_from_db()
    assert maria.company is not None and maria.company.name == "Beta"
    assert emails_of(maria) == ["maria@beta.example"]
    assert Contact.objects.count() == 1
    assert (
        job.counts
        == preview.preview
        == {
            "rows": 2,
            "companies_created": 1,
            "contacts_updated": 1,
            "rows_merged": 1,
        }
    )
    contact_type = ContentType.objects.get_for_model(Contact)
    change = Event.objects.get(
        target_type=contact_type, target_id=maria.pk, action=Event.Action.IMPORTED
    ).changes
    assert {"field": "company", "old": None, "new": "Beta"} in change
    services.import_undo(actor=admin, job=job, enqueue=False)
    services.undo_execute(job.pk)
    assert dump() == before


def test_undo_restores_the_database_exactly(admin, make_contact, make_company, run_import):
    acme = make_company(admin, name="Acme", tax_id="123456789")
    make_contact(admin, "Ivan", "Petrov", phones=["0888123456"], company=acme)
    Tag.objects.create(name="vip")
    before = dump()
    content = (
        "Company,VAT,Name,Phone,Email,Position,Tags,Website\n"
        "Acme Ltd,123456789,Ivan Petrov,+359888123456;0899111222,ivan@acme.example,Buyer,vip,acme.example\n"
        "Beta,,Petar Georgiev,0888 999 888,petar@beta.example,,vip;new tag,\n"
    )
    job = run_import(admin, content.encode(), on_duplicate="update")
    assert job.counts["contacts_updated"] == 1 and job.counts["companies_updated"] == 1
    assert dump() != before

    services.import_undo(actor=admin, job=job, enqueue=False)
    services.undo_execute(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.UNDONE
    after = dump()
    assert after == before
    assert not ImportChange.objects.filter(job=job).exists()
    assert Event.objects.filter(target_id=job.pk, action=Event.Action.IMPORT_UNDONE).exists()


def test_undo_keeps_later_edits_and_trashes_created_records_that_got_work_since(admin, make_deal, run_import):
    job = run_import(admin, b"Company,Name\nAcme,Ivan Petrov\n")
    acme = Company.objects.get(name="Acme")
    make_deal(admin, company=acme)

    services.import_undo(actor=admin, job=job, enqueue=False)
    services.undo_execute(job.pk)

    acme.refresh_from_db()
    assert acme.deleted_at is not None
    assert not Contact.objects.filter(first_name="Ivan").exists()
    job.refresh_from_db()
    assert job.counts["undo"]["kept_in_trash"] == 1


class CrashAfterFirstBatch(ImportRun):
    def after_batch(self) -> None:
        raise RuntimeError("worker killed")


def test_a_crash_leaves_whole_batches_and_the_import_resumes_where_it_stopped(admin, settings, run_import):
    settings.TANDEM_IMPORT_BATCH_ROWS = 2
    content = "Name,Phone\n" + "".join(f"Person {n},0888 000 {n:03d}\n" for n in range(5))
    job = services.import_upload(actor=admin, stream=io.BytesIO(content.encode()), filename="a.csv")
    services.import_start(actor=admin, job=job, enqueue=False)

    services.run_execute(job.pk, run_class=CrashAfterFirstBatch)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert (job.last_row, Contact.objects.count(), Phone.objects.count()) == (3, 2, 2)
    services.import_resume(actor=admin, job=job, enqueue=False)
    services.run_execute(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.counts["contacts_created"] == 5
    assert sorted(str(contact) for contact in Contact.objects.all()) == [f"Person {n}" for n in range(5)]


def test_queries_per_batch_do_not_grow_with_rows(admin, django_assert_max_num_queries):
    """Lookups are one query per key kind and writes are bulk (split only by the driver's limits)."""
    content = "Company,Name,Phone,Email,Tags\n" + "".join(
        f"Firm {n},Person {n},0888 000 {n:03d},p{n}@x.example,t{n % 3}\n" for n in range(300)
    )
    job = services.import_upload(actor=admin, stream=io.BytesIO(content.encode()), filename="l.csv")
    services.import_start(actor=admin, job=job, enqueue=False)

    with django_assert_max_num_queries(60):
        services.run_execute(job.pk)

    assert Contact.objects.count() == 300 and Phone.objects.count() == 300


def test_cli_imports_with_a_json_report_and_undoes(admin, tmp_path, capsys):
    path = tmp_path / "people.csv"
    path.write_text("Name;Phone;Email\nIvan Petrov;0888 123 456;bad@\n;;\nMaria;+7 912 345 67 89;m@x.ru\n")

    call_command("tandem_import", "contacts", str(path), "--region", "BG", "--json")

    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "done" and report["dry_run"] is False
    assert report["counts"]["contacts_created"] == 2
    assert [(e["row"], e["code"]) for e in report["errors"]] == [(2, "invalid_email")]
    assert sorted(Phone.objects.values_list("e164", flat=True)) == ["+359888123456", "+79123456789"]
    call_command("tandem_import", "undo", str(report["import"]), "--json")
    assert json.loads(capsys.readouterr().out)["status"] == "undone"
    assert Contact.objects.count() == 0


def test_a_finished_import_announces_import_finished_with_its_counts(
    admin, run_import, django_capture_on_commit_callbacks
):
    from tandem.core import events
    from tandem.webhooks.payloads import event_data

    seen: list = []
    events.event_subscribe(seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = run_import(admin, POLICY_FILE.encode())
    finally:
        events._handlers.remove(seen.append)

    assert [event.name for event in seen] == ["import.finished"]
    data = event_data(seen[0])
    assert data["id"] == job.pk and data["status"] == "done"
    assert data["counts"]["contacts_created"] == 1
    assert data["url"].endswith(f"/imports/{job.pk}/")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"Name,Phone\n",
        bytes(range(256)) * 64,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 512,
        ("," * 10_000 + "\n" + "x," * 10_000 + "\n").encode(),
    ],
    ids=["empty", "header only", "random bytes", "png named csv", "10,000 columns"],
)
def test_a_file_that_is_not_a_client_table_is_refused_whole(admin, content):
    from tandem.imports.reader import FileRejected

    with pytest.raises(FileRejected):
        services.import_upload(actor=admin, stream=io.BytesIO(content), filename="clients.csv")

    assert not ImportJob.objects.exists()
    assert not Contact.objects.exists()


def test_a_ten_megabyte_cell_rejects_its_row_only(admin, run_import):
    content = b"Name,Notes\nIvan Petrov,short\nMaria Ivanova," + b"x" * 10_000_000 + b"\nPetar Georgiev,ok\n"

    job = run_import(admin, content)

    assert job.counts["rejected"] == 1 and job.counts["contacts_created"] == 2
    issue = ImportIssue.objects.get(job=job)
    assert (issue.row, issue.code, len(issue.value)) == (3, "too_long", 500)
    assert len(issue.cells[1]) == 1000


def test_a_dry_run_whose_worker_died_frees_the_import_again(admin, settings):
    settings.TANDEM_IMPORT_STALLED_SECONDS = 1
    job = services.import_upload(actor=admin, stream=io.BytesIO(POLICY_FILE.encode()), filename="a.csv")
    services.import_preview(actor=admin, job=job, enqueue=False)  # the worker never picks it up
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=None)

    services.import_configure(actor=admin, job=job, on_duplicate="skip")
    services.import_start(actor=admin, job=job, enqueue=False)
    services.run_execute(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.counts["contacts_created"] == 1


def test_a_failure_shows_a_plain_message_and_logs_the_details(admin, caplog):
    job = services.import_upload(actor=admin, stream=io.BytesIO(POLICY_FILE.encode()), filename="a.csv")
    services.import_start(actor=admin, job=job, enqueue=False)

    services.run_execute(job.pk, run_class=CrashAfterFirstBatch)

    job.refresh_from_db()
    assert (
        job.error == "An unexpected error stopped the job (RuntimeError); the details are in the server log."
    )
    assert "worker killed" in caplog.text


@pytest.mark.parametrize("policy", ["skip", "update", "overwrite", "create"])
def test_the_dry_run_counts_what_the_import_does_across_batches(
    admin, make_contact, make_company, settings, run_import, policy
):
    settings.TANDEM_IMPORT_BATCH_ROWS = 2
    acme = make_company(admin, name="Acme")
    make_contact(admin, "Ivan", "Petrov", phones=["0888123456"], company=acme)
    content = (
        "Company,Name,Phone,Email\n"
        "Acme,Ivan Petrov,0888 123 456,\n"
        "Beta,Maria Ivanova,0888 765 432,\n"
        "Gamma,Georgi Georgiev,0888 111 111,\n"
        "Acme Ltd,Ivan Petrov,+359888123456,ivan@acme.example\n"
        "Beta,Maria Ivanova,,maria@beta.example\n"
        "Acme,Petar Stoyanov,0888 222 333,\n"
    )

    preview = run_import(admin, content.encode(), dry_run=True, on_duplicate=policy)
    job = run_import(admin, content.encode(), on_duplicate=policy)

    assert preview.preview == job.counts


def test_a_big_file_is_read_by_a_second_process_with_the_same_result(admin, settings, run_import):
    settings.TANDEM_IMPORT_PARALLEL_ROWS = 0  # every file counts as big
    settings.TANDEM_IMPORT_BATCH_ROWS = 2

    job = run_import(admin, BG_FILE.encode("cp1251"))

    assert {key: job.counts.get(key, 0) for key in EXPECTED} == EXPECTED
    ivan = Contact.objects.get(first_name="Иван", last_name="Петров")
    assert phones_of(ivan) == ["+35929876543", "+359888123456"]
    assert list(Contact.objects.filter(pk__in=matching_ids(Kind.CONTACT, ["0888123456"]))) == [ivan]
    issues = list(ImportIssue.objects.filter(job=job).values_list("row", "code", "message"))
    assert issues[0] == (7, "invalid_phone", "“12345” is not a valid phone number; kept in the notes.")


def test_an_error_in_the_reading_process_fails_the_import(admin, settings, run_import):
    settings.TANDEM_IMPORT_PARALLEL_ROWS = 0
    settings.TANDEM_IMPORT_BATCH_ROWS = 2
    content = "Name,Phone\n" + "".join(f"Person {n},0888 000 {n:03d}\n" for n in range(5))
    job = services.import_upload(actor=admin, stream=io.BytesIO(content.encode()), filename="a.csv")
    services.import_start(actor=admin, job=job, enqueue=False)
    services.job_path(job).unlink()  # the file is gone when the reader opens it

    services.run_execute(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("existing", [3, 30])
def test_queries_do_not_grow_with_the_existing_records_a_file_updates(
    admin, make_company, make_contact, django_assert_max_num_queries, existing
):
    from tandem.contacts.models import Channel, ContactRole, Industry

    role, channel = ContactRole.objects.create(name="Buyer"), Channel.objects.create(name="Fair")
    industry = Industry.objects.create(name="Retail")
    for n in range(existing):
        company = make_company(admin, name=f"Firm {n}", industry=industry, channel=channel)
        make_contact(admin, f"Person{n}", "Known", phones=[f"0888 100 {n:03d}"], company=company, role=role)
    content = "Company,Name,Phone,Position\n" + "".join(
        f"Firm {n},Person{n} Known,0888 100 {n:03d},Buyer\n" for n in range(existing)
    )
    job = services.import_upload(actor=admin, stream=io.BytesIO(content.encode()), filename="u.csv")
    services.import_start(actor=admin, job=job, enqueue=False)

    with django_assert_max_num_queries(45):
        services.run_execute(job.pk)

    job.refresh_from_db()
    assert job.counts["contacts_updated"] == existing
