"""`--remap 'REGEX REPLACEMENT'`: fetch a URL somewhere else (a mirror, an archive, a test
server) while reports keep the catalogue's URL.

The rules say where a URL goes; `Mirror` and `MirrorMap` are the one way back, from the
addresses seen there (in reasons, redirects, final and suggested URLs) to the catalogue's,
so that no text for people names a mirror as a page's address."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

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


# --- back to the catalogue's addresses ------------------------------------------------------


def _origin(parts: SplitResult) -> str:
    """`scheme://host:port` of a URL as written (the part before its path), or "" for text
    that is not an absolute URL."""
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


#: What goes on an address's path segment after a prefix that stops inside the segment.
_SAME_SEGMENT = re.compile(r"[\w\-~%+]|[.,;:!]+[\w\-~%+]")


def _ends_a_segment(text: str, at: int) -> bool:
    """Whether an address prefix that stops at `at` in `text` stops between two parts of the
    address (or where the address ends, before a full stop that ends a sentence)."""
    return text[at - 1] == "/" or _SAME_SEGMENT.match(text, at) is None


@dataclass(frozen=True, slots=True)
class Mirror:
    """Where `--remap` sent one catalogue URL, and how to put any address seen there back to
    the catalogue's: the parts of both URLs before the path they end with in common
    (`http://127.0.0.1:8000/mirror` for `https://help.example.com`), and their hosts."""

    prefix: str
    catalogue_prefix: str
    origin: str
    catalogue_origin: str
    netloc: str
    catalogue_netloc: str
    host: str
    catalogue_host: str

    @classmethod
    def between(cls, catalogue_url: str, fetched_url: str) -> Mirror | None:
        """The mirror of `catalogue_url`, or None when it was fetched where it is."""
        if fetched_url == catalogue_url:
            return None
        fetched, catalogue = urlsplit(fetched_url), urlsplit(catalogue_url)
        origin, catalogue_origin = _origin(fetched), _origin(catalogue)
        if not origin or not catalogue_origin:
            return None
        path, catalogue_path = fetched_url[len(origin) :], catalogue_url[len(catalogue_origin) :]
        shared = 0
        while (
            shared < min(len(path), len(catalogue_path))
            and path[-1 - shared] == catalogue_path[-1 - shared]
        ):
            shared += 1
        # The shared end starts at a segment: `/a/42` and `/b/142` share `/42`, not `2`.
        tail = path[len(path) - shared :]
        cut = tail.find("/") if shared not in (len(path), len(catalogue_path)) else 0
        shared = 0 if cut < 0 else shared - cut
        return cls(
            prefix=fetched_url[: len(fetched_url) - shared],
            catalogue_prefix=catalogue_url[: len(catalogue_url) - shared],
            origin=origin,
            catalogue_origin=catalogue_origin,
            netloc=fetched.netloc,
            catalogue_netloc=catalogue.netloc,
            host=fetched.hostname or "",
            catalogue_host=catalogue.hostname or "",
        )

    def address(self, url: str) -> str:
        """`url` (a redirect, a final or a suggested URL) as the catalogue would write it: below
        the mirror's prefix, below the catalogue's; elsewhere on the mirror, the same path on
        the catalogue's site; anywhere else, itself."""
        if url.startswith(self.prefix) and _ends_a_segment(url, len(self.prefix)):
            return self.catalogue_prefix + url[len(self.prefix) :]
        if url.startswith(self.origin) and _ends_a_segment(url, len(self.origin)):
            return self.catalogue_origin + url[len(self.origin) :]
        return url

    def text(self, text: str) -> str:
        """`text` (a reason, a message) with every address of the mirror put back: its URLs,
        then its `host:port`, then its host alone ("no answer from 127.0.0.1")."""
        if not self.host or self.host not in text.lower():  # most texts name no mirror: cheap
            return text
        text = _url_pattern(self.origin).sub(lambda match: self.address(match[0]), text)
        names = ((self.netloc, self.catalogue_netloc), (self.host, self.catalogue_host))
        for mirror, catalogue in names:
            if mirror != catalogue:
                # Taken literally: a backslash is the only special character of a replacement.
                text = _name_pattern(mirror).sub(catalogue.replace("\\", r"\\"), text)
        return text


@functools.lru_cache(maxsize=1024)
def _url_pattern(origin: str) -> re.Pattern[str]:
    """The URLs of `origin` in a text, each up to white space, a quote or a bracket."""
    return re.compile(rf"{re.escape(origin)}(?![\w\-.:])[^\s\"'<>()\[\]{{}}]*")


@functools.lru_cache(maxsize=2048)
def _name_pattern(name: str) -> re.Pattern[str]:
    """`name` (a host, `host:port`) in a text, but not inside a longer name or address:
    127.0.0.1 is not in 127.0.0.11, nor in a URL whose port is another."""
    return re.compile(rf"(?<![\w.\-:/@\[]){re.escape(name)}(?![\w\-\]]|\.[\w\-]|:\d)")


#: The words of a text that may be a host name or an IPv4 address.
_HOST_WORD = re.compile(r"[\w\-]+(?:\.[\w\-]+)*")


class MirrorMap:
    """Every mirror of a run, to put the addresses of texts for people back to the catalogue's:
    a text about a catalogue URL is mapped by that URL's own mirror first, then by the others
    (a redirect may lead from one mirror to another), except those on a host the catalogue
    itself names (a `--remap` to another live site), whose names may be meant as they are."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        """`pairs`: (catalogue URL, fetched URL) of every URL of the run."""
        listed = list(pairs)
        self._own = {
            url: mirror for url, fetched in listed if (mirror := Mirror.between(url, fetched))
        }
        named = {(urlsplit(url).hostname or "").lower() for url, _ in listed} if self._own else ()
        # One mirror per origin, found by its host: a run may have hundreds, a text names few.
        self._others: dict[str, list[Mirror]] = {}
        for mirror in {m.origin: m for m in self._own.values()}.values():
            if mirror.host not in named:
                self._others.setdefault(mirror.host, []).append(mirror)
        #: Hosts that are no single word (IPv6 addresses): looked for in every text.
        self._unworded = [m for host, ms in self._others.items() if ":" in host for m in ms]

    def text(self, text: str, url: str | None = None) -> str:
        """`text`, about the catalogue URL `url` (None: about no URL in particular), with
        every mirror's address put back to the catalogue's."""
        own = self._own.get(url) if url is not None else None
        if own is not None:
            text = own.text(text)
        if self._others:
            words = {word.lower() for word in _HOST_WORD.findall(text)}
            named = [m for word in words for m in self._others.get(word, ())]
            for mirror in dict.fromkeys([*named, *self._unworded]):
                text = mirror.text(text)
        return text
