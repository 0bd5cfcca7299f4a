"""The fast extractor against the straightforward one it replaced, on random input.

The reference below is the extractor as it was before its speed rewrite, copied verbatim
(its tree walk, its normalisation, its search for hidden elements): regexes over every line
and every text node, an explicit stack, one query per attribute. Whatever the random text
or markup, both must give the same bytes.

When what counts as visible changes on purpose (say, `aria-hidden` content is kept), change
`reference_hidden_or_removed` alike; the walk and the normalisation have no reason to.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser, LexborNode

from optout_watch.pages import extract
from optout_watch.pages.extract import (
    _BLOCK,
    _BLOCK_TAGS,
    _INVISIBLE_TAGS,
    _PRE,
    _PREFORMATTED_TAGS,
    _SKIP,
    _TAG_KINDS,
    SelectorMatchedNothing,
    extract_text,
    match_key,
    normalise,
)
from tests.support.paths import FIXTURE_PAGES

# --- the reference, as it was ------------------------------------------------------------------

_HIDING_STYLE = re.compile(
    r"(?<![\w-])(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse))", re.IGNORECASE
)
_HTML_SPACE_RUN = re.compile(r"[ \t\n\r\f]+")
_INVISIBLE_CHARS = re.compile("[\u00ad\u200b\u2060\ufeff\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_SPACE_RUN = re.compile(r"\s+")
_SINGLE_QUOTES = re.compile("[’‘‚‛`´′]")
_DOUBLE_QUOTES = re.compile("[“”„‟«»‹›″]")
_QUOTE_RUN = re.compile(r"""['"]+""")


def reference_normalise(text: str) -> str:
    text = _INVISIBLE_CHARS.sub("", text)
    lines = (_SPACE_RUN.sub(" ", line).strip() for line in text.splitlines())
    kept = [line for line in lines if line]
    return unicodedata.normalize("NFC", "".join(f"{line}\n" for line in kept))


def reference_match_key(text: str) -> str:
    text = reference_normalise(text)
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())
    text = _DOUBLE_QUOTES.sub('"', _SINGLE_QUOTES.sub("'", text))
    text = _QUOTE_RUN.sub(extract._drop_edge_quotes, text)
    text = unicodedata.normalize("NFC", text)
    lines = (_SPACE_RUN.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def reference_hidden_or_removed(tree: LexborHTMLParser, remove: Iterable[str]) -> set[int]:
    dropped = {node.mem_id for selector in remove for node in tree.css(selector)}
    dropped.update(node.mem_id for node in tree.css("[hidden]"))
    # `aria-hidden` content is kept: it hides from screen readers, not from eyes.
    dropped.update(
        node.mem_id
        for node in tree.css("[style]")
        if _HIDING_STYLE.search(node.attributes.get("style") or "")
    )
    return dropped


def reference_visible_text(
    root: LexborNode, dropped: set[int], scope: set[int] | None
) -> tuple[str, bool]:
    pieces: list[str] = []
    found_scope = scope is None
    stack: list[tuple[LexborNode, bool, bool] | str] = [(root, scope is None, False)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            pieces.append(item)
            continue
        node, in_scope, preformatted = item
        if node.is_text_node:
            if in_scope:
                text = node.text_content or ""
                pieces.append(text if preformatted else _HTML_SPACE_RUN.sub(" ", text))
            continue
        tag = node.tag or ""
        if tag in _INVISIBLE_TAGS or node.mem_id in dropped or not node.is_element_node:
            continue
        is_scope = scope is not None and node.mem_id in scope
        if is_scope:
            in_scope = found_scope = True
        preformatted = preformatted or tag in _PREFORMATTED_TAGS
        if is_scope or tag in _BLOCK_TAGS:
            pieces.append("\n")
            stack.append("\n")
        stack.extend(
            (child, in_scope, preformatted)
            for child in reversed(list(node.iter(include_text=True)))
        )
    return "".join(pieces), found_scope


def reference_extract_text(html: str, select: str | None, remove: list[str]) -> str:
    tree = LexborHTMLParser(html)
    dropped = reference_hidden_or_removed(tree, remove)
    scope = None if select is None else {node.mem_id for node in tree.css(select)}
    root = tree.root
    if root is None:
        if select is not None:
            raise SelectorMatchedNothing(select)
        return ""
    raw, found_scope = reference_visible_text(root, dropped, scope)
    if select is not None and not found_scope:
        raise SelectorMatchedNothing(select)
    return reference_normalise(raw)


# --- random input ------------------------------------------------------------------------------

# Every kind of white space, line break and invisible character the normalisation treats
# specially, plus letters and accents, so that random text hits the corners often.
SPECIAL = (
    " \t\n\r\f\v\x00\x01\x08\x0e\x1b\x1c\x1d\x1e\x1f\x7f\x84\x85\x86\x9f\xa0\xad\u1680"
    "\u2000\u2009\u200a\u200b\u200c\u2028\u2029\u202f\u205f\u2060\u3000\ufeff\u0301\u030a"
    "\u212b\u2126ﬁ'\"’«»`"
)
texts = st.text(
    alphabet=st.one_of(st.sampled_from(SPECIAL), st.sampled_from("aZé1 "), st.characters()),
    max_size=200,
)

# fmt: off
HTML_PIECES = [
    "<p>", "</p>", "<div>", "</div>", "<div hidden>", "<span>", "</span>", "<b>", "</b>",
    "<main>", "</main>", "<br>", "<hr>", "<!--", "-->", "<template>", "</template>", "<svg>",
    "</svg>", "<math>", "</math>", "<table>", "<tr>", "<td>", "</td>", "<li>", "<ul>", "</ul>",
    "<pre>", "</pre>", "<textarea>", "</textarea>", "<xmp>", "</xmp>", "<listing>",
    "<plaintext>", "<script>", "</script>", "<style>", "<noscript>", "<button>", "<select>",
    "<option>", "<article>", "</article>", "<p style='display:none'>",
    "<span aria-hidden='true'>", "<p class='x'>", "<i class='x'>", "</i>", "<custom-x>",
    "<span hidden>", "<b style='visibility:hidden'>", "<p aria-hidden=' TRUE '>", "<select>",
    "<pre class='x'>", "<span class='x'>", "</span>", "<a>", "</a>", "<br>", "<img>",
    "<math><mi>", "<svg><text>", "<![CDATA[x]]>", "<textarea class='x'>", "<table><td>",
    "<p>\n</p>", "<b> </b>", "<i>\n</i>", "</b> <b>", "<span>\t</span>",
    "&nbsp;", "&#13;", "&#12;", "&#0;", "&#x85;", "&#x2028;", "&#173;", "&#x200b;", "&amp;",
    "Data", "Controls", "é", "\u0301", "“", "”", "'", "«\u00a0", "\u00a0»",
    "\n", "\r\n", " ", "  ", "\t", "\f", "\v", "\x00", "\r", "\u2028", "\x85", "\u200b",
    "\u00ad", "\ufeff", "\u3000",
]
# fmt: on
markup = st.lists(st.one_of(st.sampled_from(HTML_PIECES), texts), max_size=60).map("".join)


@given(texts)
@example("a\r\nb\x85c\u2028d\x1ce\x0bf\x0cg\x1fh")
@example(" \u200b \n\u00ad\n e\u200b\u0301 ")
@example("\x00")
def test_normalise_matches_the_reference(text: str) -> None:
    assert normalise(text) == reference_normalise(text)


@given(texts)
def test_match_key_matches_the_reference(text: str) -> None:
    assert match_key(text) == reference_match_key(text)


@settings(max_examples=300)
@given(markup, st.sampled_from([None, "p", ".x", "main, td", "pre", "i, b", "html"]))
def test_extract_text_matches_the_reference(html: str, select: str | None) -> None:
    remove = ["b > span", "textarea"]
    try:
        expected = reference_extract_text(html, select, remove)
    except SelectorMatchedNothing:
        expected = None

    try:
        actual = extract_text(html, select=select, remove=remove)
    except SelectorMatchedNothing:
        actual = None

    assert actual == expected


@settings(max_examples=200)
@given(markup, st.sampled_from([(), ("p",), (".x", "b > span")]))
def test_hidden_elements_match_the_reference(html: str, remove: tuple[str, ...]) -> None:
    tree = LexborHTMLParser(html)

    assert extract._hidden_or_removed(tree, remove) == reference_hidden_or_removed(tree, remove)


PAGES = sorted(FIXTURE_PAGES.glob("*.html"))
TAGS = sorted(_BLOCK_TAGS | _INVISIBLE_TAGS | _PREFORMATTED_TAGS)


@pytest.mark.parametrize(
    "html",
    [path.read_text("utf-8", errors="replace") for path in PAGES]
    + ["".join(f"<{tag}>{tag}" for tag in TAGS), "".join(HTML_PIECES)]
    + [f"<svg><{tag}></{tag}></svg><math><{tag}>x</{tag}></math>" for tag in TAGS],
)
def test_tag_ids_classify_elements_as_tag_names_do(html: str) -> None:
    root = LexborHTMLParser(html).root
    assert root is not None
    for node in root.traverse():
        if not node.is_element_node:
            continue
        tag, kind = node.tag or "", _TAG_KINDS.get(node.tag_id, 0)
        assert bool(kind & _BLOCK) == (tag in _BLOCK_TAGS), tag
        assert bool(kind & _SKIP) == (tag in _INVISIBLE_TAGS), tag
        assert bool(kind & _PRE) == (tag in _PREFORMATTED_TAGS), tag
