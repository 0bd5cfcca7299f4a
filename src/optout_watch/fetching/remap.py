"""`--remap 'REGEX REPLACEMENT'`: fetch a URL somewhere else (a mirror, an archive, a test
server) while reports keep the catalogue's URL."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from optout_watch.errors import UsageError


class RemapError(UsageError):
    """A remap rule that cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Remap:
    pattern: re.Pattern[str]
    replacement: str


def parse_remap(rule: str) -> Remap:
    """Parse `'REGEX REPLACEMENT'` (split at the last white space, as the regex may not
    contain unescaped spaces but a replacement never needs one)."""
    parts = rule.strip().rsplit(None, 1)
    if len(parts) != 2:
        raise RemapError(f"--remap {rule!r}: expected 'REGEX REPLACEMENT'")
    try:
        pattern = re.compile(parts[0])
    except re.error as error:
        raise RemapError(f"--remap {rule!r}: invalid regular expression: {error}") from None
    try:
        pattern.sub(parts[1], "")  # the replacement is parsed even when nothing matches
    except (re.error, IndexError) as error:
        raise RemapError(f"--remap {rule!r}: invalid replacement: {error}") from None
    return Remap(pattern, parts[1])


def remapped(url: str, remaps: Sequence[Remap]) -> str | None:
    """`url` rewritten by the first rule whose pattern matches it, or None when none does.

    The first matching rule wins and the others are not applied, as in lychee: a catch-all
    rule written last only takes what the rules before it left.
    """
    for remap in remaps:
        if remap.pattern.search(url):
            return remap.pattern.sub(remap.replacement, url)
    return None


def apply_remaps(url: str, remaps: Sequence[Remap]) -> str:
    """The URL to fetch for `url`: remapped by the first matching rule, else itself."""
    found = remapped(url, remaps)
    return url if found is None else found


def remapped_hosts(urls: Iterable[str], remaps: Sequence[Remap]) -> frozenset[str]:
    """The hosts that the rules send `urls` to: the user named them, so the fetcher may
    connect there even when they are not public (a test server, a mirror on the LAN)."""
    hosts = (urlsplit(found).hostname for url in urls if (found := remapped(url, remaps)))
    return frozenset(host.lower() for host in hosts if host)
