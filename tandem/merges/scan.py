"""The duplicate scan: blocking keys walked in bounded chunks, pairs scored and stored as candidates.

Works at a million contacts: every pass walks one index in key order (keyset, `key > last`) with
GROUP BY … HAVING, so no query reads more than a chunk of blocks and memory stays flat. Blocks
larger than MAX_BLOCK (a switchboard number) are skipped. Trashed records take no part.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import Count, Model
from django.utils import timezone
from rapidfuzz import fuzz

from tandem.contacts.models import Company, Contact, Email, Phone
from tandem.merges import matching
from tandem.merges.matching import MAX_BLOCK, MIN_SCORE
from tandem.merges.models import DuplicateCandidate, DuplicateScan, RecordKind

KEY_CHUNK = 500
Block = tuple[dict, list[int]]  # a reason shared by the records, and their ids
Pairs = dict[tuple[int, int], list[dict]]


def _keyed_blocks(live: Any, key: str, owner: str, reason: Callable[[str], dict]) -> Iterator[list[Block]]:
    """Chunks of blocks: rows of `live` sharing `key` among 2..MAX_BLOCK distinct records (`owner` ids)."""
    last = ""
    while True:
        keys = list(
            live.filter(**{f"{key}__gt": last})
            .values(key)
            .annotate(owners=Count(owner, distinct=True))
            .filter(owners__gt=1, owners__lte=MAX_BLOCK)
            .order_by(key)
            .values_list(key, flat=True)[:KEY_CHUNK]
        )
        if not keys:
            return
        last = keys[-1]
        members: dict[str, set[int]] = defaultdict(set)
        for value, owner_id in live.filter(**{f"{key}__in": keys}).values_list(key, owner):
            members[value].add(owner_id)
        yield [(reason(value), sorted(ids)) for value, ids in members.items()]


def _people_at_companies() -> Iterator[list[Block]]:
    """People of one company with the same name, or (in companies of at most MAX_BLOCK) a similar one."""
    live = Contact.objects.filter(company__isnull=False, deleted_at__isnull=True)
    last = 0
    while True:
        company_ids = list(
            live.filter(company_id__gt=last)
            .values("company_id")
            .annotate(people=Count("id"))
            .filter(people__gt=1)
            .order_by("company_id")
            .values_list("company_id", flat=True)[:KEY_CHUNK]
        )
        if not company_ids:
            return
        last = company_ids[-1]
        people: dict[int, list[tuple[int, str]]] = defaultdict(list)
        rows = live.filter(company_id__in=company_ids).values_list(
            "company_id", "id", "first_name", "last_name"
        )
        for company_id, pk, first_name, last_name in rows:
            people[company_id].append((pk, matching.person_name_key(first_name, last_name)))
        blocks: list[Block] = []
        for members in people.values():
            blocks += _company_blocks(members)
        yield blocks


def _company_blocks(members: list[tuple[int, str]]) -> list[Block]:
    by_name: dict[str, list[int]] = defaultdict(list)
    for pk, key in members:
        by_name[key].append(pk)
    blocks: list[Block] = [
        ({"code": "same_name"}, sorted(ids)) for ids in by_name.values() if 1 < len(ids) <= MAX_BLOCK
    ]
    if len(members) <= MAX_BLOCK:
        cutoff = matching.SAME_COMPANY_NAME_FROM
        for (left, left_name), (right, right_name) in itertools.combinations(members, 2):
            if left_name != right_name and fuzz.token_sort_ratio(left_name, right_name, score_cutoff=cutoff):
                blocks.append(({"code": "same_company"}, sorted([left, right])))
    return blocks


def _sources(kind: str) -> list[Iterator[list[Block]]]:
    live = {f"{kind}__isnull": False, f"{kind}__deleted_at__isnull": True}  # Phone/Email of a live record

    def phone(value: str) -> dict:
        return {"code": "phone", "value": value}

    def email(value: str) -> dict:
        return {"code": "email", "value": value}

    sources = [
        _keyed_blocks(Phone.objects.filter(**live), "e164", f"{kind}_id", phone),
        _keyed_blocks(Email.objects.filter(**live), "address", f"{kind}_id", email),
    ]
    if kind == RecordKind.COMPANY:
        companies = Company.objects.filter(deleted_at__isnull=True).exclude(name_key="")
        sources.append(_keyed_blocks(companies, "name_key", "id", lambda _value: {"code": "same_name"}))
    else:
        sources.append(_people_at_companies())
    return sources


def record_names(kind: str, ids: list[int]) -> dict[int, str]:
    """What the names of records are compared by: a person's first and last name, a company's key."""
    if kind == RecordKind.COMPANY:
        return dict(Company.objects.filter(pk__in=ids).values_list("pk", "name_key"))
    rows = Contact.objects.filter(pk__in=ids).values_list("pk", "first_name", "last_name")
    return {pk: matching.person_name_key(first, last) for pk, first, last in rows}


def _pairs(blocks: list[Block]) -> Pairs:
    pairs: Pairs = defaultdict(list)
    for reason, ids in blocks:
        for low, high in itertools.combinations(ids, 2):
            pairs[(low, high)].append(reason)
    return pairs


@transaction.atomic
def _store(kind: str, pairs: Pairs, since: Any) -> None:
    """Upsert the pairs; evidence found earlier in the same scan (another key) is kept and added to."""
    if not pairs:
        return
    lows = {low for low, _high in pairs}
    earlier = {
        (row.low_id, row.high_id): row.reasons
        for row in DuplicateCandidate.objects.filter(kind=kind, low_id__in=lows, found_at__gte=since)
        if (row.low_id, row.high_id) in pairs
    }
    names = record_names(kind, sorted({pk for pair in pairs for pk in pair}))
    now = timezone.now()
    rows = []
    for (low, high), reasons in pairs.items():
        if low not in names or high not in names:
            continue
        similarity = matching.name_similarity(names[low], names[high])
        value, scored = matching.score(
            matching.merge_reasons(earlier.get((low, high), []), reasons), similarity
        )
        rows.append(
            DuplicateCandidate(kind=kind, low_id=low, high_id=high, score=value, reasons=scored, found_at=now)
        )
    DuplicateCandidate.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["kind", "low_id", "high_id"],
        update_fields=["score", "reasons", "found_at"],
    )


def duplicates_scan(*, kind: str) -> DuplicateScan:
    """Refresh the candidates of `kind` ("contact" or "company") from scratch; idempotent.

    Pairs not found again are forgotten unless someone dismissed them (so they stay dismissed);
    pairs scoring below MIN_SCORE after all keys are seen are not kept."""
    if kind not in RecordKind.values:
        raise ValueError(f"unknown kind {kind}")
    scan = DuplicateScan.objects.create(kind=kind)
    started = scan.started_at
    for source in _sources(kind):
        for blocks in source:
            _store(kind, _pairs(blocks), started)
    open_pairs = DuplicateCandidate.objects.filter(kind=kind, dismissed_at__isnull=True)
    open_pairs.filter(found_at__lt=started).delete()
    open_pairs.filter(score__lt=MIN_SCORE).delete()
    scan.finished_at = timezone.now()
    scan.pairs = open_pairs.count()
    scan.save(update_fields=["finished_at", "pairs"])
    return scan


def model_for(kind: str) -> type[Model]:
    return Company if kind == RecordKind.COMPANY else Contact
