"""What goes into the browser and what comes out: plain typed data, and its settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from optout_watch.fetching.model import DEFAULT_SETTINGS as FETCH_DEFAULTS
from optout_watch.settings import DEFAULTS

#: What a page that needs the browser says when there is none.
NEEDS_BROWSER = (
    "needs a browser to show its text: install optout-watch[browser] and Chromium ({reason})"
)


@dataclass(frozen=True, slots=True)
class BrowserSettings:
    executable: Path = DEFAULTS.chromium
    timeout: float = DEFAULTS.timeout
    """Seconds for the document to load, again for its text to appear, and again to read it."""
    max_concurrency: int = DEFAULTS.max_concurrency
    per_host: int = DEFAULTS.per_host
    user_agent: str = DEFAULTS.user_agent
    deadline: float = DEFAULTS.deadline
    """Seconds for one URL at most, as for the plain fetch."""
    launch_timeout: float = 30.0
    max_bytes: int = FETCH_DEFAULTS.max_bytes
    """The longest HTML read back from a page (UTF-8 bytes), as the plain fetch's body."""

    @property
    def page_deadline(self) -> float:
        """Seconds for one page, every step from opening its context to reading its HTML: the
        three timeouts, which also bound what has no timeout of its own (making the page), and
        never more than the per-URL deadline."""
        return min(3 * self.timeout, self.deadline)


@dataclass(frozen=True, slots=True)
class RenderRequest:
    url: str
    """The URL to show, already remapped by the caller."""
    lang: str | None = None
    """The link's language: the context's locale, `Accept-Language` and `navigator.languages`."""
    select: str | None = None
    """A CSS selector to wait for: the page's text is there once it matches."""


@dataclass(frozen=True, slots=True)
class Rendered:
    url: str
    """As requested."""
    final_url: str
    status: int | None
    """The document's final status; None when none came."""
    html: str
    elapsed_ms: int
    error: str | None = None
    """A sentence a person understands; None when the page was shown."""
    unavailable: bool = False
    """There is no browser to show pages (`error` says what to install)."""


def unavailable(url: str, reason: str) -> Rendered:
    """The answer for a page when no browser can show it."""
    return Rendered(url, url, None, "", 0, NEEDS_BROWSER.format(reason=reason), unavailable=True)
