import pytest
from django.db.models import Q

from tandem.contacts.models import Company
from tandem.search.backends import Kind, fold, index_many, index_one, matching_ids, query_words, remove


def test_fold_lowercases_and_keeps_words_of_any_script():
    assert fold("  ООО «Север»,  Acme_Ltd! ivan@example.bg ") == "ооо север acme ltd ivan example bg"


def test_query_words_are_capped():
    assert query_words("a b c d e f g h i j") == ["a", "b", "c", "d", "e", "f", "g", "h"]


def test_matching_ids_is_none_without_words():
    assert matching_ids(Kind.COMPANY, []) is None
    assert matching_ids(Kind.COMPANY, [""]) is None


def _ids(kind: Kind, text: str) -> list[int]:
    subquery = matching_ids(kind, query_words(text))
    return sorted(Company.objects.filter(Q(pk__in=subquery)).values_list("pk", flat=True))


@pytest.fixture
def companies(rep_a, make_company):
    return [make_company(rep_a, f"Company {number}") for number in range(3)]


def test_every_word_must_match_as_a_prefix(companies):
    first, second, _third = companies
    index_one(Kind.COMPANY, first.pk, "Северна Звезда Trading")
    index_one(Kind.COMPANY, second.pk, "Северен Вятър")

    assert _ids(Kind.COMPANY, "север") == [first.pk, second.pk]
    assert _ids(Kind.COMPANY, "север звез") == [first.pk]
    assert _ids(Kind.COMPANY, "ЗВЕЗДА trad") == [first.pk]
    assert _ids(Kind.COMPANY, "звезда вятър") == []


def test_kinds_do_not_mix(companies):
    first = companies[0]
    index_one(Kind.COMPANY, first.pk, "Uniqueword")
    index_one(Kind.CONTACT, first.pk + 1000, "Uniqueword")

    assert _ids(Kind.COMPANY, "uniqueword") == [first.pk]


def test_indexing_again_replaces_the_text(companies):
    first = companies[0]
    index_one(Kind.COMPANY, first.pk, "Oldname")
    index_many(Kind.COMPANY, [(first.pk, "Newname")])

    assert _ids(Kind.COMPANY, "oldname") == []
    assert _ids(Kind.COMPANY, "newname") == [first.pk]


def test_reindexing_many_at_once_keeps_the_last_text_of_a_record_named_twice(companies):
    first, second = companies[0], companies[1]
    index_many(Kind.COMPANY, [(first.pk, "Old"), (second.pk, "Old")])

    index_many(
        Kind.COMPANY, [(first.pk, 'Mid "quoted" \\ slash'), (second.pk, "Fresh"), (first.pk, "Latest")]
    )

    assert _ids(Kind.COMPANY, "old") == []
    assert _ids(Kind.COMPANY, "latest") == [first.pk]
    assert _ids(Kind.COMPANY, "fresh") == [second.pk]


def test_remove_drops_the_document(companies):
    first = companies[0]
    index_one(Kind.COMPANY, first.pk, "Gone")

    remove(Kind.COMPANY, first.pk)

    assert _ids(Kind.COMPANY, "gone") == []


def test_digits_are_searchable_as_prefixes(companies):
    first = companies[0]
    index_one(Kind.COMPANY, first.pk, "359888123456 0888123456")

    assert _ids(Kind.COMPANY, "0888") == [first.pk]
    assert _ids(Kind.COMPANY, "3598881") == [first.pk]


def test_query_syntax_characters_are_harmless(companies):
    first = companies[0]
    index_one(Kind.COMPANY, first.pk, "Acme")

    for text in ['"acme', "acme*", "acme OR", "(acme)", "acme:*", "acme & !x", "NEAR(acme)"]:
        assert _ids(Kind.COMPANY, text) in ([first.pk], []), text
    assert _ids(Kind.COMPANY, '"acme') == [first.pk]
