"""Snapshots of watched pages' text, and the diffs between two of them.

Users commit the state directory to git, so a snapshot is one readable UTF-8 text file per
page with a `.meta.json` beside it, rendered the same way every time (the state's transaction
leaves a file whose bytes are unchanged untouched).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = [
    "Snapshot",
    "SnapshotMeta",
    "SnapshotStore",
    "text_sha256",
]

_TEXT_SUFFIX = ".txt"
_META_SUFFIX = ".meta.json"
#: Longest slug of a URL's path in a file name; the hash keeps shortened names distinct.
_SLUG_CHARS = 60
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_NOT_HOST = re.compile(r"[^a-z0-9.-]+")


@dataclass(frozen=True, slots=True)
class SnapshotMeta:
    #: The catalogue's URL (before any remapping).
    url: str
    #: The URL the text was fetched from, after redirects.
    final_url: str
    #: ISO timestamp of the fetch; "" when unknown (see `SnapshotStore.read`).
    fetched_at: str
    #: Validators for the next conditional request.
    etag: str | None
    last_modified: str | None
    #: `text_sha256` of the snapshot's text.
    sha256: str
    #: `pages.extract.EXTRACTOR_VERSION` of the run that extracted the text; None for a
    #: snapshot written before snapshots recorded it (then it is the state's `extractor`).
    extractor: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    text: str
    meta: SnapshotMeta


def text_sha256(text: str) -> str:
    """The hex SHA-256 of `text` as stored (UTF-8): the `sha256` a `SnapshotMeta` carries."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")


def _meta_path(text_path: Path) -> Path:
    return text_path.with_suffix(_META_SUFFIX)


def _render_meta(meta: SnapshotMeta) -> bytes:
    rendered = json.dumps(dataclasses.asdict(meta), sort_keys=True, indent=2, ensure_ascii=False)
    return f"{rendered}\n".encode()


def _parse_meta(raw: bytes) -> SnapshotMeta | None:
    try:
        fields = json.loads(raw)
    except ValueError:  # includes undecodable bytes
        return None
    if not isinstance(fields, dict):
        return None

    def text(name: str) -> str | None:
        value = fields.get(name)
        return value if isinstance(value, str) else None

    url, final_url, fetched_at, sha256 = (
        text(name) for name in ("url", "final_url", "fetched_at", "sha256")
    )
    if url is None or final_url is None or fetched_at is None or sha256 is None:
        return None
    return SnapshotMeta(
        url, final_url, fetched_at, text("etag"), text("last_modified"), sha256, text("extractor")
    )


class SnapshotStore:
    """The snapshots under `root` (`<state dir>/snapshots`).

    The store names and reads snapshots and says which bytes make one (`files`); writing is
    the state's transaction (`state.save_state`), so a good snapshot is never lost or
    half-written. It does not judge what it is given: a caller must not store a snapshot after
    a fetch that failed (an error page, a timeout, a selector that matched nothing), so that
    the last good snapshot stays the reference.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, url: str) -> Path:
        """`<host>/<slug of path and query>-<8 hex of sha256(url)>.txt`: readable, stable,
        and distinct for distinct URLs (the slug alone may not be)."""
        parts = urlsplit(url)
        # The host and port, never the user information before "@".
        authority = parts.netloc.rpartition("@")[2].lower()
        host = _NOT_HOST.sub("-", authority).strip(".-") or "no-host"
        where = unquote(parts.path) + (f"-{unquote(parts.query)}" if parts.query else "")
        slug = _slug(where)[:_SLUG_CHARS].rstrip("-") or "index"
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:8]
        return self.root / host / f"{slug}-{digest}{_TEXT_SUFFIX}"

    def read(self, url: str) -> Snapshot | None:
        """The last snapshot of `url`, or None if there is none.

        A `.meta.json` that is missing, unreadable or not about this text (an interrupted
        write, a hand edit) yields a meta without validators, so the next fetch is
        unconditional, with `fetched_at` "" and no extractor.
        """
        path = self.path_for(url)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        # A checkout may have turned line ends into CRLF; stored text never holds "\r".
        text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
        digest = text_sha256(text)
        try:
            meta = _parse_meta(_meta_path(path).read_bytes())
        except FileNotFoundError:
            meta = None
        if meta is None or meta.sha256 != digest:
            meta = SnapshotMeta(url, url, "", None, None, digest)
        return Snapshot(text, meta)

    def files(self, url: str, text: str, meta: SnapshotMeta) -> dict[Path, bytes]:
        """The files a snapshot consists of, text first, to be written in the state's
        transaction. Raises ValueError when `meta` is not about this URL and text."""
        if meta.url != url:
            raise ValueError(f"snapshot meta is about {meta.url!r}, not {url!r}")
        if meta.sha256 != text_sha256(text):
            raise ValueError(f"snapshot meta sha256 does not match the text of {url!r}")
        path = self.path_for(url)
        return {path: text.encode("utf-8"), _meta_path(path): _render_meta(meta)}
