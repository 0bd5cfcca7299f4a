"""What a URL's shape says about the page it names: a sign-in page, a deep link below the
home page. Plain string work, so that the report can say it without loading the fetcher."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

_LOCALE_SEGMENT = re.compile(r"[a-z]{2}(?:[-_][a-z]{2,4})?", re.IGNORECASE)
_SIGN_IN_PATH = re.compile(
    r"(?:^|[/_.-])(?:log[-_]?in|sign[-_]?in|log[-_]?on|servicelogin|authwall|authorize|sso)"
    r"(?:[/_.-]|$)",
    re.IGNORECASE,
)
_SIGN_IN_HOST = re.compile(r"^(?:login|signin|auth|sso|idmsa)\.|^accounts\.google\.com$")


def is_sign_in_url(url: str) -> bool:
    """Whether `url` is a sign-in page (a login host or path): a link there is no deep link."""
    parts = urlsplit(url)
    return bool(
        _SIGN_IN_HOST.search((parts.hostname or "").lower()) or _SIGN_IN_PATH.search(parts.path)
    )


def path_segments(url: str) -> list[str]:
    """The path's segments, decoded; empty ones (a trailing slash) left out."""
    return [unquote(segment) for segment in urlsplit(url).path.split("/") if segment]


def locale_free_segments(url: str) -> list[str]:
    """The path's segments without a leading locale segment ("fr", "en-us")."""
    segments = path_segments(url)
    if segments and _LOCALE_SEGMENT.fullmatch(segments[0]):
        return segments[1:]
    return segments


def is_deep_link(url: str) -> bool:
    """Whether `url` names a page below the site's home: its path has a segment other than a
    locale ("/fr/", "/en-us" are home pages)."""
    return bool(locale_free_segments(url))
