"""When the fetcher tries a URL again, and how long it waits first.

Only what can pass is retried: the failures `FAILURES` calls retryable, and the statuses that
say "later" (429, 502, 503, 504). The wait is the server's `Retry-After` when it gave one
(capped), otherwise an exponential backoff with full jitter.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from optout_watch.fetching.failures import FAILURES
from optout_watch.fetching.model import FetchError, FetchSettings

RETRY_STATUSES = frozenset({429, 502, 503, 504})


def retry_delay(
    settings: FetchSettings,
    rng: random.Random,
    *,
    retry: int,
    status: int | None,
    error: FetchError | None,
    retry_after: float | None,
) -> float | None:
    """Seconds to wait before trying again after the `retry`-th retry (0 after the first
    attempt), or None when there is no point."""
    if retry >= settings.retries:
        return None
    if error is not None:
        if not FAILURES[error.kind].retryable:
            return None
    elif status not in RETRY_STATUSES:
        return None
    if retry_after is not None:
        return retry_after
    # Exponential backoff with full jitter, so retries of many URLs do not arrive together.
    ceiling = min(settings.backoff_max, settings.backoff_base * 2**retry)
    return rng.uniform(0.0, ceiling)


def retry_after_seconds(value: str | None, now: datetime, cap: float) -> float | None:
    """`Retry-After` in seconds (delta-seconds or an HTTP-date), at most `cap`; None if absent
    or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # "-0000" dates: HTTP-dates are always GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), cap)
