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

#: The labels of the WHATWG Encoding Standard (encoding.spec.whatwg.org), by the Python codec
#: that decodes each encoding. Only these may decode a page: Python's own names reach codecs
#: that are no text encodings at all (`zlib`, `rot13`, `base64`) or that fail on any input
#: (`idna`, `undefined`). Labels of the standard's "replacement" and `x-user-defined`
#: encodings are left out, so they count as unknown and the next source decides.
_WHATWG_LABELS: dict[str, str] = {
    "utf-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8",
    "cp866": "866 cp866 csibm866 ibm866",
    "iso8859-2": "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 "
    "iso_8859-2:1987 l2 latin2",
    "iso8859-3": "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 "
    "iso_8859-3:1988 l3 latin3",
    "iso8859-4": "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 "
    "iso_8859-4:1988 l4 latin4",
    "iso8859-5": "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 "
    "iso_8859-5 iso_8859-5:1988",
    "iso8859-6": "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 "
    "iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987",
    "iso8859-7": "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 "
    "iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek",
    # ISO-8859-8 and ISO-8859-8-I differ in text direction only, not in characters.
    "iso8859-8": "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 "
    "iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual csiso88598i iso-8859-8-i logical",
    "iso8859-10": "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    "iso8859-13": "iso-8859-13 iso8859-13 iso885913",
    "iso8859-14": "iso-8859-14 iso8859-14 iso885914",
    "iso8859-15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
    "iso8859-16": "iso-8859-16",
    "koi8-r": "cskoi8r koi koi8 koi8-r koi8_r",
    "koi8-u": "koi8-ru koi8-u",
    "mac-roman": "csmacintosh mac macintosh x-mac-roman",
    "cp874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
    "cp1250": "cp1250 windows-1250 x-cp1250",
    "cp1251": "cp1251 windows-1251 x-cp1251",
    # Browsers read ISO-8859-1 and ASCII as Windows-1252; so do we.
    "cp1252": "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 "
    "iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252",
    "cp1253": "cp1253 windows-1253 x-cp1253",
    "cp1254": "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 "
    "iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254",
    "cp1255": "cp1255 windows-1255 x-cp1255",
    "cp1256": "cp1256 windows-1256 x-cp1256",
    "cp1257": "cp1257 windows-1257 x-cp1257",
    "cp1258": "cp1258 windows-1258 x-cp1258",
    "mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
    # The standard decodes GBK with its GB18030 decoder.
    "gb18030": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 "
    "x-gbk gb18030",
    "big5hkscs": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
    "euc_jp": "cseucpkdfmtjapanese euc-jp x-euc-jp",
    "iso2022_jp": "csiso2022jp iso-2022-jp",
    "cp932": "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    "cp949": "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 "
    "ksc5601 ksc_5601 windows-949",
    "utf-16-be": "unicodefffe utf-16be",
    "utf-16-le": "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
}
_CODEC_BY_LABEL = {
    label: codec for codec, labels in _WHATWG_LABELS.items() for label in labels.split()
}
_UTF_16 = frozenset({"utf-16-be", "utf-16-le"})


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    encoding: str
    #: Where the encoding came from: `bom`, `header`, `meta`, `utf-8` (it decoded) or `fallback`.
    source: str


def codec_for_label(label: str) -> str | None:
    """The Python codec of a WHATWG encoding label (any case, surrounding whitespace
    ignored); None for every other label, including names of Python codecs that are not
    web encodings."""
    return _CODEC_BY_LABEL.get(label.strip("\t\n\f\r ").lower())


def decode_html(body: bytes, content_type: str | None = None) -> DecodedText:
    """Decode `body`: byte-order mark, then the HTTP charset, then `<meta charset>`, then
    UTF-8 if it decodes, else Windows-1252 (what browsers assume for legacy pages). A label
    that is no WHATWG encoding label is skipped.

    Never raises: undecodable bytes become U+FFFD.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return DecodedText(body[len(bom) :].decode(encoding, "replace"), encoding, "bom")
    header = _HEADER_CHARSET.search(content_type or "")
    if header and (codec := codec_for_label(header.group(1))) is not None:
        return DecodedText(body.decode(codec, "replace"), codec, "header")
    meta = _META_CHARSET.search(body[:_META_SCAN_BYTES])
    if meta and (codec := codec_for_label(meta.group(1).decode("latin-1"))) is not None:
        # A document that reads its own `<meta>` as ASCII cannot be UTF-16: browsers
        # take such a declaration for UTF-8.
        codec = "utf-8" if codec in _UTF_16 else codec
        return DecodedText(body.decode(codec, "replace"), codec, "meta")
    try:
        return DecodedText(body.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        return DecodedText(body.decode("cp1252", "replace"), "cp1252", "fallback")
