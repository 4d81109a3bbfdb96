"""What an export holds: the exact CSV of a small list, visibility and filters, and bounded queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from python_calamine import CalamineWorkbook

from tandem.contacts.models import Tag
from tandem.contacts.selectors import ListFilters
from tandem.contacts.services import contact_create, record_share
from tandem.deals.selectors import DealFilters
from tandem.exports.entities import ExportSpec, spec_default
from tandem.exports.selectors import export_chunks, export_count
from tandem.exports.services import export_csv_stream, export_write

MOMENT = datetime.datetime(2025, 3, 14, 10, 30, tzinfo=datetime.UTC)  # 12:30 in Sofia


def _csv(actor, spec) -> str:
    return b"".join(export_csv_stream(actor=actor, spec=spec)).decode("utf-8-sig")


def _names(actor, entity: str, **filters) -> list[str]:
    spec = spec_default(entity)
    if filters:
        spec.filters = type(spec.filters)(**filters)
    return [str(row) for rows in export_chunks(actor=actor, spec=spec) for row in rows]


@pytest.mark.django_db
def test_a_contact_exports_with_phones_emails_tags_company_and_owner_exactly(
    rep_a, make_company, make_contact
):
    with time_machine.travel(MOMENT, tick=False):
        company = make_company(rep_a, "Acme", legal_form="ООД", tax_id="121212121")
        contact = make_contact(
            rep_a,
            "Ivan",
            "Petrov",
            company=company,
            position="Buyer",
            phones=["0888 123 456", "02 981 2345"],
            emails=["ivan@example.com", "i.petrov@example.com"],
            notes='=HYPERLINK("http://evil")',
        )
    contact.tags.set([Tag.objects.create(name="VIP"), Tag.objects.create(name="Sofia")])

    text = _csv(rep_a, spec_default("contacts"))

    assert text == (
        "First name,Middle name,Last name,Company name,Position,Role at company,Phones,Emails,Birthday,"
        "Interests and needs,Agrees to marketing,Source channel,Tags,Owner,Owner (email),Created,"
        "Contact notes\r\n"
        "Ivan,,Petrov,Acme ООД,Buyer,,+359 88 812 3456; +359 2 981 2345,"
        "ivan@example.com; i.petrov@example.com,"
        ',,no,,Sofia; VIP,Rita Rep,rep.a@example.com,2025-03-14 12:30,"\'=HYPERLINK(""http://evil"")"\r\n'
    )


@pytest.mark.django_db
def test_a_company_exports_with_the_headers_the_import_recognises(rep_a, make_company):
    with time_machine.travel(MOMENT, tick=False):
        make_company(rep_a, "Acme", legal_form="ООД", tax_id="121212121", phones=["+359 2 981 2345"])

    lines = _csv(rep_a, spec_default("companies")).splitlines()

    assert lines == [
        "Company name,Legal form,Tax id,Company phones,Company emails,Website,Registered address,"
        "Delivery address,Industry,Client category,Source channel,Tags,Owner,Owner (email),Created,"
        "Company notes",
        "Acme,ООД,121212121,+359 2 981 2345,,,,,,,,,Rita Rep,rep.a@example.com,2025-03-14 12:30,",
    ]


@pytest.mark.django_db
def test_headers_and_values_come_in_the_active_language(rep_a, make_contact):
    from django.utils import translation

    make_contact(rep_a, "Иван", "Петров")
    with translation.override("bg"):
        header, row = _csv(rep_a, spec_default("contacts")).splitlines()
    assert header.startswith("Име,")
    assert ",не," in row  # "no" for the marketing consent


@pytest.mark.django_db
def test_each_role_exports_only_the_contacts_it_may_see(
    admin, head_a, rep_a, rep_a2, rep_b, readonly, make_contact
):
    make_contact(rep_a, "Anna", "A")
    make_contact(rep_a2, "Boris", "B")
    cyril = make_contact(rep_b, "Cyril", "C")

    assert _names(rep_a, "contacts") == ["Anna A"]
    assert _names(rep_b, "contacts") == ["Cyril C"]
    assert _names(head_a, "contacts") == ["Anna A", "Boris B"]
    assert _names(admin, "contacts") == ["Anna A", "Boris B", "Cyril C"]
    assert _names(readonly, "contacts") == ["Anna A", "Boris B", "Cyril C"]  # read-only sees all: may export

    record_share(actor=rep_b, record=cyril, users=[rep_a])
    assert _names(rep_a, "contacts") == ["Anna A", "Cyril C"]


@pytest.mark.django_db
def test_a_contact_names_only_a_company_the_exporter_may_see(admin, rep_a, rep_b, make_company):
    company = make_company(rep_a, "Hidden Ltd")
    contact_create(actor=admin, data={"first_name": "Zoe", "owner": rep_b, "company": company})

    rows = _csv(rep_b, spec_default("contacts")).splitlines()

    assert rows[1].startswith("Zoe,,,,")
    assert "Hidden" not in _csv(rep_b, spec_default("contacts"))
    assert "Hidden Ltd" in _csv(admin, spec_default("contacts"))


@pytest.mark.django_db
def test_filters_and_sort_of_the_list_apply(rep_a, make_contact, make_deal):
    for first in ("Anna", "Boris", "Vera"):
        make_contact(rep_a, first, "Smith")
    make_deal(rep_a, "Big deal")
    make_deal(rep_a, "Small deal")

    assert _names(rep_a, "contacts", search="Bor") == ["Boris Smith"]
    spec = ExportSpec(entity="contacts", filters=ListFilters(), ordering=["-last_name", "-first_name", "-id"])
    assert [str(row) for rows in export_chunks(actor=rep_a, spec=spec) for row in rows] == [
        "Vera Smith",
        "Boris Smith",
        "Anna Smith",
    ]
    assert _names(rep_a, "deals", search="big") == ["Big deal"]
    assert _names(rep_a, "deals", status="won") == []


@pytest.mark.django_db
def test_a_spec_survives_its_trip_through_json(rep_a):
    spec = ExportSpec(
        entity="contacts",
        filters=ListFilters(search="x", owner=rep_a.pk, created_from=datetime.date(2025, 1, 2)),
        ordering=["-created_at", "-id"],
    )
    again = ExportSpec.from_json("contacts", spec.filters_json(), spec.ordering)
    assert again == spec
    deal_spec = ExportSpec.from_json("deals", {"status": "won", "unknown": 1}, ["nonsense"])
    assert deal_spec.filters == DealFilters(status="won")
    assert deal_spec.ordering == ["-updated_at", "-id"]


@pytest.mark.django_db
def test_rows_come_in_chunks_and_the_count_is_bounded(rep_a, make_contact):
    for index in range(5):
        make_contact(rep_a, f"Name{index}", "Smith")
    spec = spec_default("contacts")

    assert [len(rows) for rows in export_chunks(actor=rep_a, spec=spec, chunk_size=2)] == [2, 2, 1]
    assert export_count(actor=rep_a, spec=spec, limit=3) == 3
    assert export_count(actor=rep_a, spec=spec) == 5


def _queries_for(actor, spec) -> int:
    with CaptureQueriesContext(connection) as context:
        for _rows in export_chunks(actor=actor, spec=spec, chunk_size=100):
            pass
    return len(context.captured_queries)


@pytest.mark.django_db
def test_the_queries_of_an_export_do_not_grow_with_its_rows(
    rep_a, make_company, make_contact, django_assert_max_num_queries
):
    company = make_company(rep_a, "Acme")
    tag = Tag.objects.create(name="VIP")

    def add(count: int) -> None:
        for index in range(count):
            contact = make_contact(rep_a, f"N{index}", "S", company=company, phones=["0888 123 456"])
            contact.tags.add(tag)

    add(3)
    spec = spec_default("contacts")
    few = _queries_for(rep_a, spec)
    add(60)
    assert _queries_for(rep_a, spec) == few
    # Per chunk: the two visibility pieces, the rows, phones, emails, tags, the visible companies;
    # the first chunk also counts its pieces.
    with django_assert_max_num_queries(9):
        rows = [row for chunk in export_chunks(actor=rep_a, spec=spec, chunk_size=100) for row in chunk]
    assert len(rows) == 63


@pytest.mark.django_db
def test_deals_and_activities_export_to_xlsx(rep_a, make_deal, make_contact, tmp_path):
    from tandem.activities.models import ActivityType
    from tandem.activities.services import activity_create

    deal = make_deal(rep_a, "Big deal", amount=Decimal("1500.50"))
    contact = make_contact(rep_a, "Ivan", "Petrov")
    activity_type = ActivityType.objects.order_by("position", "id").first()
    activity_create(actor=rep_a, type=activity_type, subject="Call back", contact=contact, due_at=MOMENT)

    path = tmp_path / "deals.xlsx"
    assert export_write(actor=rep_a, spec=spec_default("deals"), file_format="xlsx", target=path) == 1
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Deals").to_python()
    assert rows[0][:5] == ["Title", "Company", "Pipeline", "Stage", "Amount"]
    assert rows[1][0] == "Big deal" and rows[1][4] == 1500.5 and rows[1][10] == "Rita Rep"
    assert deal.title == "Big deal"

    path = tmp_path / "activities.xlsx"
    assert export_write(actor=rep_a, spec=spec_default("activities"), file_format="xlsx", target=path) == 1
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Activities").to_python()
    assert rows[1][1:4] == ["Call back", "Planned", datetime.datetime(2025, 3, 14, 12, 30)]
    assert rows[1][10] == "Ivan Petrov"


@pytest.mark.django_db
def test_progress_is_reported_after_every_chunk(rep_a, make_contact, tmp_path, monkeypatch):
    monkeypatch.setattr("tandem.exports.selectors.CHUNK_SIZE", 2)
    for index in range(5):
        make_contact(rep_a, f"N{index}", "S")
    seen: list[int] = []

    rows = export_write(
        actor=rep_a,
        spec=spec_default("contacts"),
        file_format="csv",
        target=tmp_path / "c.csv",
        progress=seen.append,
    )

    assert rows == 5
    assert seen == [2, 4, 5]
    assert (tmp_path / "c.csv").read_bytes().count(b"\r\n") == 6


@pytest.mark.django_db
def test_an_export_filtered_by_a_tag_holds_exactly_the_tagged_visible_records_across_chunks(
    rep_a, rep_b, make_contact
):
    vip = Tag.objects.create(name="VIP")
    tagged = [make_contact(rep_a, f"Tagged{index:02d}", "S") for index in range(7)]
    for contact in tagged:
        contact.tags.add(vip)
    make_contact(rep_a, "Untagged", "S")
    make_contact(rep_b, "Hidden", "S").tags.add(vip)  # another team's: not rep_a's to export
    spec = ExportSpec(
        entity="contacts", filters=ListFilters(tag=vip.pk), ordering=["last_name", "first_name", "id"]
    )

    rows = [row for chunk in export_chunks(actor=rep_a, spec=spec, chunk_size=3) for row in chunk]

    assert [row.pk for row in rows] == [contact.pk for contact in tagged]
    assert export_count(actor=rep_a, spec=spec) == 7
