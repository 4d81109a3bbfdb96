"""How alike two records are: names as people write them, and a 0–100 score from the shared evidence.

Pure functions over plain values, shared by the nightly scan, the "possible duplicates" of one card
and the importer.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz

# Points each kind of shared evidence adds to half the name similarity (capped at 100). A shared
# phone or email with an unlike name stays below MIN_SCORE: colleagues share an office number.
EVIDENCE = {"email": 40, "phone": 35, "same_name": 40, "same_company": 25}
MIN_SCORE = 55
# A name this similar is worth a reason of its own on the page ("similar name 93%").
NAME_REASON_FROM = 60
# Fuzzy name comparison inside one company's people: at least this similar.
SAME_COMPANY_NAME_FROM = 85
# A key shared by more records than this (a switchboard number, "info@") says nothing about any pair.
MAX_BLOCK = 50


def person_name_key(first_name: str, last_name: str) -> str:
    """Case- and order-insensitive key of a person's first and last name (middle names vary too much)."""
    words = f"{first_name} {last_name}".casefold().replace("ё", "е").split()
    return " ".join(sorted(words))


def name_similarity(left: str, right: str) -> int:
    """0–100: how alike two names (or name keys) are, ignoring word order and case."""
    return round(fuzz.token_sort_ratio(left.casefold(), right.casefold()))


def merge_reasons(*groups: Iterable[dict]) -> list[dict]:
    """The union of reason lists, one per (code, value); name scores are recomputed, so dropped."""
    seen: dict[tuple, dict] = {}
    for group in groups:
        for reason in group:
            if reason.get("code") == "name":
                continue
            seen.setdefault((reason.get("code"), reason.get("value")), reason)
    return sorted(seen.values(), key=lambda reason: (reason["code"], str(reason.get("value", ""))))


def score(reasons: list[dict], similarity: int) -> tuple[int, list[dict]]:
    """The pair's score and its reasons with the name similarity added when it is worth saying."""
    codes = {reason["code"] for reason in reasons}
    total = similarity / 2 + sum(EVIDENCE.get(code, 0) for code in codes)
    if similarity >= NAME_REASON_FROM and "same_name" not in codes:
        reasons = [*reasons, {"code": "name", "score": similarity}]
    return min(100, round(total)), reasons
