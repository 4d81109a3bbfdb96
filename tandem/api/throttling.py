"""Per-token rate limit: a fixed one-minute window counted in the Django cache (locmem or Redis).

Every token has its own allowance (settings.TANDEM_API_RATE requests a minute); going over it is a 429
`throttled` with `Retry-After` set to the seconds left in the window. Session requests (the web app's
own calls) are limited by the login throttle, not here.
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from tandem.accounts.models import ApiToken

WINDOW_SECONDS = 60


class TokenRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        # The digest, not the id: ids are reused by rolled-back test transactions and after restores.
        key = f"api-rate:{token.digest[:32]}:{window}"
        # add() is atomic on every backend; incr() is atomic on Redis and memcached.
        cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add() and incr()
            cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
            count = 1
        if count <= int(settings.TANDEM_API_RATE):
            return True
        self._wait = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        return False

    def wait(self) -> float | None:
        return self._wait
