"""Bytes of a web page → text, the way browsers choose the encoding."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE | re.DOTALL
)
#: Browsers look for `<meta charset>` only this far into a document.
_META_SCAN_BYTES = 1024 * 4


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    encoding: str
    #: Where the encoding came from: `bom`, `header`, `meta`, `utf-8` (it decoded) or `fallback`.
    source: str


def _known(label: str) -> str | None:
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(body: bytes, content_type: str | None = None) -> DecodedText:
    """Decode `body`: byte-order mark, then the HTTP charset, then `<meta charset>`, then
    UTF-8 if it decodes, else Windows-1252 (what browsers assume for legacy pages).

    Never raises: undecodable bytes become U+FFFD.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return DecodedText(body[len(bom) :].decode(encoding, "replace"), encoding, "bom")
    candidates: list[tuple[str | None, str]] = []
    if content_type and (match := _HEADER_CHARSET.search(content_type)):
        candidates.append((_known(match.group(1)), "header"))
    if match_meta := _META_CHARSET.search(body[:_META_SCAN_BYTES]):
        candidates.append((_known(match_meta.group(1).decode("ascii", "replace")), "meta"))
    for label, source in candidates:
        if label is not None:
            # Browsers read "iso-8859-1" and "ascii" as Windows-1252; so do we.
            encoding = "cp1252" if label in {"latin-1", "iso8859-1", "ascii"} else label
            return DecodedText(body.decode(encoding, "replace"), encoding, source)
    try:
        return DecodedText(body.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        return DecodedText(body.decode("cp1252", "replace"), "cp1252", "fallback")
