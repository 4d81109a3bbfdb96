"""Searches with many matches: on PostgreSQL a per-record probe instead of a list of ids.

The bench data has 75,000 "Иван…" contacts; here SELECTIVE_MATCHES is lowered so that a handful of
records make a search broad, and both plans must give the same rows.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.accounts.visibility import scope_parts
from tandem.contacts.models import Contact
from tandem.contacts.selectors import CONTACT_SORTS, ListFilters, contact_list, global_search
from tandem.core.pagination import paginate
from tandem.search import backends

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'")


@pytest.fixture
def broad_after_two(monkeypatch):
    """More than two matches make a search broad; nothing is remembered from other tests."""
    monkeypatch.setattr(backends, "SELECTIVE_MATCHES", 2)
    backends.forget_broad_searches()
    yield
    backends.forget_broad_searches()


@pytest.fixture
def ivans(rep_a, rep_b, make_contact):
    mine = [make_contact(rep_a, "Ivan", f"Mine{number}") for number in range(4)]
    theirs = [make_contact(rep_b, "Ivanka", f"Theirs{number}") for number in range(3)]
    make_contact(rep_a, "Petar", "Other")
    return mine, theirs


def _page(actor, text: str, *, parts: bool = False):
    return paginate(
        contact_list(actor=actor, filters=ListFilters(search=text)),
        ordering=CONTACT_SORTS["recent"],
        cursor=None,
        parts=scope_parts(actor, Contact) if parts else [],
    )


def _names(page) -> list[str]:
    return [contact.last_name for contact in page.rows]


def test_a_broad_search_lists_the_same_visible_rows_newest_first(ivans, rep_a, admin, broad_after_two):
    mine, theirs = ivans

    assert _names(_page(rep_a, "iva")) == [contact.last_name for contact in reversed(mine)]
    assert _names(_page(rep_a, "iva", parts=True)) == [contact.last_name for contact in reversed(mine)]
    assert _names(_page(admin, "iva")) == [contact.last_name for contact in reversed(mine + theirs)]
    assert _names(_page(admin, "ivan mine3")) == ["Mine3"]
    assert _names(_page(admin, "petar")) == ["Other"]


def test_a_selective_search_is_counted(ivans, rep_a):
    page = _page(rep_a, "iva")

    assert (page.count, page.count_capped) == (4, False)


@postgres_only
def test_a_broad_search_is_not_counted_because_the_count_would_read_every_match(
    ivans, rep_a, broad_after_two
):
    page = _page(rep_a, "iva")

    assert len(page.rows) == 4
    assert page.count == -1


@postgres_only
def test_a_broad_search_probes_each_record_instead_of_joining_every_match(ivans, admin, broad_after_two):
    queryset = contact_list(actor=admin, filters=ListFilters(search="iva")).order_by("-id")
    sql, params = queryset[:51].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "SubPlan" in plan
    assert "search_document" not in plan.split("SubPlan")[0]


@postgres_only
def test_words_found_broad_skip_the_id_query_the_next_time(ivans, admin, broad_after_two):
    with CaptureQueriesContext(connection) as first:
        list(contact_list(actor=admin, filters=ListFilters(search="iva"))[:5])
    with CaptureQueriesContext(connection) as second:
        list(contact_list(actor=admin, filters=ListFilters(search="iva"))[:5])

    def id_queries(context) -> int:
        return sum("FROM search_document WHERE" in query["sql"] for query in context)

    assert (id_queries(first), id_queries(second)) == (1, 0)


@pytest.mark.usefixtures("ivans", "broad_after_two")
def test_top_bar_search_lists_newest_visible_matches_with_broad_words(rep_a):
    found = global_search(actor=rep_a, text="ivan", limit=3)

    assert [contact.last_name for contact in found["contacts"]] == ["Mine3", "Mine2", "Mine1"]


@postgres_only
@pytest.mark.parametrize(
    ("kind", "index"), [(1, "search_document_company_tsv_idx"), (2, "search_document_contact_tsv_idx")]
)
def test_each_kind_is_searched_in_its_own_index(db, kind, index):
    subquery = backends.matching_ids(backends.Kind(kind), ["acme"])
    sql, params = subquery.sql, subquery.params
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert index in plan
