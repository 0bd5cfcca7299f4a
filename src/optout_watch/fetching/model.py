"""What goes into the fetcher and what comes out: plain typed data, and its settings.

Reading these needs no HTTP library, so the stages that only look at results (the judge, the
replay of the history) stay light.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from optout_watch.fetching.decode import decode_html
from optout_watch.fetching.failures import FetchErrorKind
from optout_watch.settings import DEFAULTS


@dataclass(frozen=True, slots=True)
class Validators:
    """What a conditional request needs: the last run's `ETag` and `Last-Modified`."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchRequest:
    url: str
    """The URL to fetch, already remapped by the caller."""
    accept_language: str | None = None
    """Sent as is as `Accept-Language` (e.g. "fr"): no fallback language is added, so a page
    missing in that language shows whatever the site itself falls back to."""
    validators: Validators | None = None
    """From the last run: sent as `If-None-Match` / `If-Modified-Since`."""


@dataclass(frozen=True, slots=True)
class Hop:
    url: str
    """The URL requested at this hop."""
    status: int
    """The 3xx status it answered."""
    location: str
    """The absolute URL it pointed to."""


@dataclass(frozen=True, slots=True)
class FetchError:
    kind: FetchErrorKind
    message: str
    """A sentence a person understands."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    """As requested."""
    final_url: str
    """The last URL fetched."""
    status: int | None
    """The final status; None when no response came at all."""
    headers: Mapping[str, str]
    """The final response's headers, lower-case names."""
    body: bytes
    """Already decoded from its content-encoding; possibly cut at the byte cap (which bounds
    the decoded size, not the size sent)."""
    truncated: bool
    redirects: tuple[Hop, ...]
    attempts: int
    """Requests made for this URL, retries included, redirect hops not."""
    elapsed_ms: int
    """From the first request's start, so time spent queued behind other URLs does not count."""
    error: FetchError | None
    validators: Validators
    """From the final response (for a 304 that omits them, the ones that were sent)."""

    def text(self) -> str:
        return decode_html(self.body, self.headers.get("content-type")).text


@dataclass(frozen=True, slots=True)
class FetchSettings:
    max_concurrency: int = DEFAULTS.max_concurrency
    per_host: int = DEFAULTS.per_host
    min_host_interval: float = 0.0
    """Seconds between two request starts to one host."""
    timeout: float = DEFAULTS.timeout
    """Per request: connect, read, write and pool each."""
    deadline: float = DEFAULTS.deadline
    """Per URL, all attempts and hops included: connecting, headers and body alike."""
    max_bytes: int = 5 * 1024 * 1024
    retries: int = DEFAULTS.retries
    """Extra attempts after the first."""
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 60.0
    max_redirects: int = 10
    user_agent: str = DEFAULTS.user_agent


DEFAULT_SETTINGS = FetchSettings()
