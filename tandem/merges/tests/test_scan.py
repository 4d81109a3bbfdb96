"""The duplicate scan: which pairs it finds, how it scores them, what it leaves out."""

from __future__ import annotations

import pytest

from tandem.contacts.services import record_trash
from tandem.merges import matching, scan
from tandem.merges.models import DuplicateCandidate, RecordKind
from tandem.merges.scan import duplicates_scan


def pairs(kind: str) -> dict[tuple[int, int], DuplicateCandidate]:
    return {(row.low_id, row.high_id): row for row in DuplicateCandidate.objects.filter(kind=kind)}


def codes(candidate: DuplicateCandidate) -> set[str]:
    return {reason["code"] for reason in candidate.reasons}


def test_contacts_with_the_same_phone_and_a_similar_name_are_a_pair(rep_a, make_contact):
    first = make_contact(rep_a, "Ivan", "Petrov", phones=["+359 88 812 3456"])
    second = make_contact(rep_a, "Ivan", "Petrova", phones=["0888 123 456"])
    make_contact(rep_a, "Maria", "Ivanova", phones=["+359 88 899 9999"])

    scan_run = duplicates_scan(kind=RecordKind.CONTACT)

    found = pairs(RecordKind.CONTACT)
    assert list(found) == [(first.pk, second.pk)]
    candidate = found[(first.pk, second.pk)]
    assert {"code": "phone", "value": "+359888123456"} in candidate.reasons
    assert codes(candidate) == {"phone", "name"}
    assert candidate.score == 35 + round(matching.name_similarity("ivan petrov", "ivan petrova") / 2)
    assert scan_run.finished_at is not None and scan_run.pairs == 1


def test_contacts_with_the_same_email_in_any_case_are_a_pair(rep_a, make_contact):
    first = make_contact(rep_a, "Anna", "Georgieva", emails=["Anna@Example.com"])
    second = make_contact(rep_a, "Ana", "Georgieva", emails=["anna@example.com "])

    duplicates_scan(kind=RecordKind.CONTACT)

    candidate = pairs(RecordKind.CONTACT)[(first.pk, second.pk)]
    assert {"code": "email", "value": "anna@example.com"} in candidate.reasons


def test_companies_with_the_same_name_key_are_a_pair(rep_a, make_company):
    first = make_company(rep_a, "Акме ООД")
    second = make_company(rep_a, '"АКМЕ" ЕООД')
    make_company(rep_a, "Бета АД")

    duplicates_scan(kind=RecordKind.COMPANY)

    found = pairs(RecordKind.COMPANY)
    assert list(found) == [(first.pk, second.pk)]
    assert found[(first.pk, second.pk)].reasons == [{"code": "same_name"}]
    assert found[(first.pk, second.pk)].score == 90


def test_people_with_the_same_name_at_the_same_company_are_a_pair(rep_a, make_company, make_contact):
    acme, beta = make_company(rep_a, "Acme"), make_company(rep_a, "Beta")
    first = make_contact(rep_a, "Петър", "Иванов", company=acme)
    second = make_contact(rep_a, "ПЕТЪР", "ИВАНОВ", company=acme)
    make_contact(rep_a, "Петър", "Иванов", company=beta)  # the same name elsewhere is another person
    make_contact(rep_a, "Мария", "Колева", company=acme)

    duplicates_scan(kind=RecordKind.CONTACT)

    found = pairs(RecordKind.CONTACT)
    assert list(found) == [(first.pk, second.pk)]
    assert found[(first.pk, second.pk)].reasons == [{"code": "same_name"}]


def test_a_similar_name_at_the_same_company_is_a_pair(rep_a, make_company, make_contact):
    acme = make_company(rep_a, "Acme")
    first = make_contact(rep_a, "Aleksandar", "Dimitrov", company=acme)
    second = make_contact(rep_a, "Aleksander", "Dimitrov", company=acme)

    duplicates_scan(kind=RecordKind.CONTACT)

    assert codes(pairs(RecordKind.CONTACT)[(first.pk, second.pk)]) == {"same_company", "name"}


def test_evidence_from_several_keys_adds_up(rep_a, make_contact):
    first = make_contact(rep_a, "Ivan", "Petrov", phones=["+359888123456"], emails=["ivan@example.com"])
    second = make_contact(rep_a, "Ivan", "Petrov", phones=["+359888123456"], emails=["ivan@example.com"])

    duplicates_scan(kind=RecordKind.CONTACT)

    candidate = pairs(RecordKind.CONTACT)[(first.pk, second.pk)]
    assert codes(candidate) == {"phone", "email", "name"}
    assert candidate.score == 100


def test_colleagues_sharing_an_office_phone_are_not_a_pair(rep_a, make_contact):
    make_contact(rep_a, "Ivan", "Petrov", phones=["+359 2 981 1234"])
    make_contact(rep_a, "Maria", "Koleva", phones=["+359 2 981 1234"])

    duplicates_scan(kind=RecordKind.CONTACT)

    assert pairs(RecordKind.CONTACT) == {}


def test_trashed_records_take_no_part(rep_a, make_contact, make_company):
    make_contact(rep_a, "Ivan", "Petrov", phones=["+359888123456"])
    trashed = make_contact(rep_a, "Ivan", "Petrov", phones=["+359888123456"])
    make_company(rep_a, "Acme")
    record_trash(actor=rep_a, record=trashed)
    record_trash(actor=rep_a, record=make_company(rep_a, "Acme Ltd"))

    duplicates_scan(kind=RecordKind.CONTACT)
    duplicates_scan(kind=RecordKind.COMPANY)

    assert DuplicateCandidate.objects.count() == 0


def test_a_key_shared_by_too_many_records_is_skipped(rep_a, make_contact, monkeypatch):
    monkeypatch.setattr(scan, "MAX_BLOCK", 3)
    for _number in range(4):
        make_contact(rep_a, "Ivan", "Petrov", phones=["+359 2 981 1234"])
    first = make_contact(rep_a, "Maria", "Koleva", emails=["maria@example.com"])
    second = make_contact(rep_a, "Maria", "Koleva", emails=["maria@example.com"])

    duplicates_scan(kind=RecordKind.CONTACT)

    assert list(pairs(RecordKind.CONTACT)) == [(first.pk, second.pk)]


def test_keys_are_walked_in_chunks(rep_a, make_contact, make_company, monkeypatch):
    monkeypatch.setattr(scan, "KEY_CHUNK", 2)
    acme = make_company(rep_a, "Acme")
    expected = set()
    for number, name in enumerate(["Petrov", "Koleva", "Dimitrov", "Stoyanova", "Angelov"]):
        phone = f"+35988812340{number}"
        one = make_contact(rep_a, "X", name, phones=[phone], company=acme)
        two = make_contact(rep_a, "X", name, phones=[phone], company=acme)
        expected.add((one.pk, two.pk))

    duplicates_scan(kind=RecordKind.CONTACT)

    found = pairs(RecordKind.CONTACT)
    assert set(found) == expected
    assert all(codes(candidate) == {"phone", "same_name"} for candidate in found.values())


def test_a_rescan_forgets_pairs_gone_but_keeps_dismissed_ones(rep_a, make_contact):
    first = make_contact(rep_a, "Ivan", "Petrov", phones=["+359888123456"])
    second = make_contact(rep_a, "Ivan", "Petrov", phones=["+359888123456"])
    third = make_contact(rep_a, "Maria", "Koleva", emails=["m@example.com"])
    fourth = make_contact(rep_a, "Maria", "Koleva", emails=["m@example.com"])
    duplicates_scan(kind=RecordKind.CONTACT)
    DuplicateCandidate.objects.filter(low_id=third.pk).update(dismissed_at="2024-01-01T00:00:00Z")
    record_trash(actor=rep_a, record=second)
    record_trash(actor=rep_a, record=fourth)

    duplicates_scan(kind=RecordKind.CONTACT)

    remaining = pairs(RecordKind.CONTACT)
    assert (first.pk, second.pk) not in remaining
    assert remaining[(third.pk, fourth.pk)].dismissed_at is not None


@pytest.mark.parametrize(
    ("reasons", "similarity", "expected"),
    [
        ([{"code": "phone", "value": "+1"}], 100, 85),
        ([{"code": "phone", "value": "+1"}], 30, 50),
        ([{"code": "email", "value": "a@b.c"}], 30, 55),
        ([{"code": "same_name"}], 100, 90),
        ([{"code": "email", "value": "a@b.c"}, {"code": "phone", "value": "+1"}], 100, 100),
    ],
)
def test_score_is_half_the_name_similarity_plus_the_evidence(reasons, similarity, expected):
    assert matching.score(reasons, similarity)[0] == expected


def test_person_name_key_ignores_case_order_and_yo():
    assert matching.person_name_key("Пётр", "ИВАНОВ") == matching.person_name_key("иванов", "Петр")
