import pytest
from django.db import connection

from tandem.contacts.models import Tag
from tandem.core.idsets import ArrayParam, one_of, pk_in, read_ids

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="arrays are PostgreSQL's"),
]


@pytest.fixture
def tags():
    return [Tag.objects.create(name=f"tag {n}") for n in range(3)]


def test_read_ids_gives_the_ids_as_array_text_within_the_limit(tags):
    ids = read_ids("SELECT id FROM contacts_tag ORDER BY id", [], limit=3)

    assert ids is not None and len(ids) == 3
    assert ids.text == "{" + ",".join(str(tag.pk) for tag in tags) + "}"


def test_read_ids_gives_none_past_the_limit(tags):
    assert read_ids("SELECT id FROM contacts_tag", [], limit=2) is None


def test_read_ids_of_nothing_is_an_empty_list_that_filters_out_everything(tags):
    ids = read_ids("SELECT id FROM contacts_tag WHERE name = %s", ["none"], limit=10)

    assert ids is not None and ids.count == 0 and ids.text == "{}"
    assert not Tag.objects.filter(pk_in(ids)).exists()


def test_filtering_by_an_id_list_is_one_array_parameter(tags):
    wanted = ArrayParam.of([tags[0].pk, tags[2].pk])

    queryset = Tag.objects.filter(pk_in(wanted)).order_by("pk")

    assert list(queryset) == [tags[0], tags[2]]
    sql, params = queryset.query.sql_with_params()
    assert "= ANY(%s::bigint[])" in sql and wanted.text in params


def test_one_of_matches_strings_with_quotes_and_backslashes_exactly(tags):
    Tag.objects.create(name='Фирма "Слон" \\ ООД')
    Tag.objects.create(name="NULL")

    names = ['Фирма "Слон" \\ ООД', "NULL", "tag 1", "missing"]

    assert sorted(Tag.objects.filter(one_of("name", names)).values_list("name", flat=True)) == sorted(
        names[:3]
    )
    assert not Tag.objects.filter(one_of("name", [])).exists()
    assert list(Tag.objects.filter(one_of("pk", {tags[1].pk}))) == [tags[1]]
