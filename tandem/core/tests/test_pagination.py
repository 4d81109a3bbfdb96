import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.contacts.models import Company
from tandem.contacts.selectors import COMPANY_SORTS
from tandem.core import pagination
from tandem.core.idsets import ArrayParam, pk_in
from tandem.core.pagination import paginate

NAMES = ["Beta", "Alpha", "Beta", "Gamma", "Alpha", "Delta", "Beta", "Epsilon", "Alpha", "Zeta", "Beta"]


@pytest.fixture
def companies(rep_a, make_company) -> list[Company]:
    rows = [make_company(rep_a, name) for name in NAMES]
    # Ties in creation time too: the id breaks them.
    moment = timezone.now() - datetime.timedelta(days=1)
    Company.objects.filter(pk__in=[rows[1].pk, rows[2].pk, rows[3].pk]).update(
        created_at=moment, updated_at=moment
    )
    return rows


def _walk_forward(ordering: list[str], size: int) -> list[list[int]]:
    pages: list[list[int]] = []
    cursor = None
    while True:
        page = paginate(Company.objects.all(), ordering=ordering, cursor=cursor, size=size)
        pages.append([row.pk for row in page.rows])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor
        assert len(pages) < 20


@pytest.mark.parametrize("sort", sorted(COMPANY_SORTS))
@pytest.mark.parametrize("size", [1, 3, 4, 11, 50])
def test_walking_next_pages_covers_every_row_once_in_order(companies, sort, size):
    ordering = COMPANY_SORTS[sort]
    expected = list(Company.objects.order_by(*ordering).values_list("pk", flat=True))

    pages = _walk_forward(ordering, size)

    assert [pk for page in pages for pk in page] == expected
    assert [len(page) for page in pages[:-1]] == [size] * (len(pages) - 1)


@pytest.mark.parametrize("sort", sorted(COMPANY_SORTS))
def test_previous_cursor_returns_the_prior_page(companies, sort):
    ordering = COMPANY_SORTS[sort]
    first = paginate(Company.objects.all(), ordering=ordering, cursor=None, size=3)
    second = paginate(Company.objects.all(), ordering=ordering, cursor=first.next_cursor, size=3)
    third = paginate(Company.objects.all(), ordering=ordering, cursor=second.next_cursor, size=3)

    back_to_second = paginate(Company.objects.all(), ordering=ordering, cursor=third.previous_cursor, size=3)
    back_to_first = paginate(
        Company.objects.all(), ordering=ordering, cursor=back_to_second.previous_cursor, size=3
    )

    assert [row.pk for row in back_to_second.rows] == [row.pk for row in second.rows]
    assert [row.pk for row in back_to_first.rows] == [row.pk for row in first.rows]
    assert back_to_first.previous_cursor is None
    assert back_to_second.next_cursor is not None
    again_third = paginate(
        Company.objects.all(), ordering=ordering, cursor=back_to_second.next_cursor, size=3
    )
    assert [row.pk for row in again_third.rows] == [row.pk for row in third.rows]


def test_first_page_has_no_previous_and_last_page_has_no_next(companies):
    first = paginate(Company.objects.all(), ordering=["name", "id"], cursor=None, size=10)
    last = paginate(Company.objects.all(), ordering=["name", "id"], cursor=first.next_cursor, size=10)

    assert first.previous_cursor is None
    assert first.next_cursor is not None
    assert len(last.rows) == 1
    assert last.next_cursor is None
    assert last.previous_cursor is not None


@pytest.mark.parametrize(
    "cursor", ["garbage", "!!!", "e30", "eyJ2IjpbMV0sImIiOmZhbHNlfQ", "eyJ2IjoiYSIsImIiOjF9", ""]
)
def test_unreadable_cursor_gives_the_first_page(companies, cursor):
    first = paginate(Company.objects.all(), ordering=["name", "id"], cursor=None, size=4)

    page = paginate(Company.objects.all(), ordering=["name", "id"], cursor=cursor, size=4)

    assert [row.pk for row in page.rows] == [row.pk for row in first.rows]
    assert page.previous_cursor is None
    assert page.count == len(NAMES)


def test_count_is_exact_on_the_first_page(companies):
    page = paginate(Company.objects.all(), ordering=["name", "id"], cursor=None, size=4)

    assert (page.count, page.count_capped) == (11, False)


def test_count_is_capped_above_the_limit(companies, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)

    page = paginate(Company.objects.all(), ordering=["name", "id"], cursor=None, size=4)

    assert (page.count, page.count_capped) == (5, True)


def test_count_equal_to_the_cap_is_not_capped(companies, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 11)

    page = paginate(Company.objects.all(), ordering=["name", "id"], cursor=None, size=4)

    assert (page.count, page.count_capped) == (11, False)


def test_empty_queryset_gives_an_empty_page(db):
    page = paginate(Company.objects.all(), ordering=["name", "id"], cursor=None, size=4)

    assert (page.rows, page.next_cursor, page.previous_cursor, page.count) == ([], None, None, 0)


def test_pagination_reads_one_page_and_one_count_query(companies, django_assert_num_queries):
    with django_assert_num_queries(2):
        paginate(Company.objects.all(), ordering=["name", "id"], cursor=None, size=4)


@pytest.mark.parametrize("sort", sorted(COMPANY_SORTS))
@pytest.mark.parametrize("size", [1, 3, 50])
def test_walking_a_list_in_disjoint_parts_gives_the_same_pages_and_count_as_one_query(companies, sort, size):
    ordering = COMPANY_SORTS[sort]
    odd = Q(pk__in=[row.pk for row in companies[::2]])
    parts = [odd, ~odd]
    expected = list(Company.objects.order_by(*ordering).values_list("pk", flat=True))

    seen: list[int] = []
    cursor = None
    for _ in range(20):
        page = paginate(Company.objects.all(), ordering=ordering, cursor=cursor, size=size, parts=parts)
        if cursor is None:
            assert page.count == len(NAMES)
        seen += [row.pk for row in page.rows]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert seen == expected


def test_only_rows_narrows_to_the_given_rows_without_evaluating_the_filters_again(companies):
    queryset = Company.objects.filter(name__startswith="B").select_related("owner")
    betas = list(queryset.order_by("id").values_list("pk", flat=True))

    narrowed = pagination.only_rows(queryset, betas[:2])

    assert "LIKE" not in str(narrowed.query).upper()
    assert list(narrowed.order_by("id")) == list(Company.objects.filter(pk__in=betas[:2]).order_by("id"))
    assert narrowed.query.select_related == {"owner": {}}


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="id lists are PostgreSQL arrays")
@pytest.mark.parametrize("sort", sorted(COMPANY_SORTS))
def test_a_list_narrowed_to_an_id_list_pages_in_order_probing_the_ids(companies, sort):
    ordering = COMPANY_SORTS[sort]
    listed = Company.objects.filter(pk_in(ArrayParam.of(c.pk for c in companies[::2])))
    expected = list(listed.order_by(*ordering).values_list("pk", flat=True))
    pages, cursor = [], None

    with CaptureQueriesContext(connection) as queries:
        while True:
            page = paginate(listed, ordering=ordering, cursor=cursor, size=2, count=False)
            pages += [row.pk for row in page.rows]
            if (cursor := page.next_cursor) is None:
                break

    assert pages == expected
    # Sorted by the primary key the planner walks the ids in index order; otherwise it must probe them.
    probed = all('"id" * 0' in query["sql"] for query in queries.captured_queries)
    assert probed == (ordering[0].lstrip("-") != "id")
