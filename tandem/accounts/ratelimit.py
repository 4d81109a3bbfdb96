"""Login throttling: a fixed window per account and per client address, kept in the cache."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(email: str, address: str) -> list[str]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return [f"login:email:{digest}", f"login:ip:{address}"]


def login_blocked(email: str, address: str) -> bool:
    limit = int(settings.LOGIN_RATE_LIMIT)
    counts = cache.get_many(_keys(email, address))
    # Per address the allowance is larger: an office shares one address.
    return (
        counts.get(_keys(email, address)[0], 0) >= limit
        or counts.get(_keys(email, address)[1], 0) >= limit * 4
    )


def login_failed(email: str, address: str) -> None:
    for key in _keys(email, address):
        if not cache.add(key, 1, timeout=int(settings.LOGIN_RATE_WINDOW_SECONDS)):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=int(settings.LOGIN_RATE_WINDOW_SECONDS))


def login_succeeded(email: str, address: str) -> None:
    cache.delete(_keys(email, address)[0])
