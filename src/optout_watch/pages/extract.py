"""HTML of a watched page → its visible text, normalised so that runs compare byte for byte.

Pure functions: nothing here knows of the catalogue or of HTTP.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

__all__ = [
    "InvalidPattern",
    "InvalidSelector",
    "SelectorMatchedNothing",
    "check_selector",
    "compile_ignore",
    "extract_text",
    "is_word_char",
    "match_key",
    "normalise",
]


class SelectorMatchedNothing(Exception):
    """The `select` selector found no visible element: the page's layout changed."""

    def __init__(self, selector: str) -> None:
        super().__init__(selector)
        self.selector = selector

    def __str__(self) -> str:
        return f"the page's layout changed: selector {self.selector!r} matched nothing"


class InvalidSelector(ValueError):
    """A `select` or `remove` selector is not valid CSS (as far as the parser knows)."""


class InvalidPattern(ValueError):
    """An `ignore` pattern is not a valid regular expression."""


# Never visible: code, fallbacks for scripting or media, inert templates, drawings, metadata.
_INVISIBLE_TAGS = frozenset(
    {
        "audio",
        "canvas",
        "head",
        "iframe",
        "noscript",
        "script",
        "style",
        "svg",
        "template",
        "video",
    }
)
# Elements that start a new line of text; any other element flows inline, so that
# `<b>Data</b> Controls` stays "Data Controls".
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "button",  # buttons side by side are separate labels, not one word
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "optgroup",
        "option",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_PREFORMATTED_TAGS = frozenset({"pre", "textarea", "listing", "plaintext", "xmp"})
_HIDING_STYLE = re.compile(
    r"(?<![\w-])(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse))", re.IGNORECASE
)
# HTML collapses only ASCII white space in text; U+00A0 and friends are handled by `normalise`.
_HTML_SPACE_RUN = re.compile(r"[ \t\n\r\f]+")
# Invisible characters that would otherwise split words for matching: soft hyphen, zero-width
# space, word joiner, byte-order mark, and control characters that are not white space.
_INVISIBLE_CHARS = re.compile("[\u00ad\u200b\u2060\ufeff\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_SPACE_RUN = re.compile(r"\s+")

# Quote styles unified for matching only; the stored text keeps the page's own characters.
# (Two substitutions: much faster than `str.translate` with a table on long text.)
_SINGLE_QUOTES = re.compile("[’‘‚‛`´′]")
_DOUBLE_QUOTES = re.compile("[“”„‟«»‹›″]")
_QUOTE_RUN = re.compile(r"""['"]+""")


def normalise(text: str) -> str:
    """Canonical form of page text: NFC, every kind of white space a plain space inside a line,
    runs collapsed, lines stripped, empty lines dropped, each line ending in `\\n`.

    Idempotent; "" when no line has any text.
    """
    text = _INVISIBLE_CHARS.sub("", text)
    lines = (_SPACE_RUN.sub(" ", line).strip() for line in text.splitlines())
    kept = [line for line in lines if line]
    # NFC last: removing an invisible character can bring a letter and its accent together.
    return unicodedata.normalize("NFC", "".join(f"{line}\n" for line in kept))


def is_word_char(char: str) -> bool:
    """Whether `char` is part of a word for matching: letters, digits, and combining marks
    (which belong to the letter they follow, even without a precomposed form)."""
    return char.isalnum() or unicodedata.category(char) in {"Mn", "Mc"}


def _drop_edge_quotes(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if not (is_word_char(before) and is_word_char(after)):
        return ""  # « Activité », "Activité" and Activité compare equal
    if end - start == 1:
        return match.group()  # an apostrophe: l'activité, don't
    return " "  # several quotes between two words separate them; never join words


def match_key(text: str) -> str:
    """The form labels are compared in: blind to case, white space, non-breaking spaces and
    quote styles, never to words. Lines are kept (a label never spans two blocks of the page);
    no trailing newline. Idempotent.
    """
    text = normalise(text)
    # Canonical caseless form: fold the decomposed text, so accents survive case folding alike.
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())
    text = _DOUBLE_QUOTES.sub('"', _SINGLE_QUOTES.sub("'", text))
    text = _QUOTE_RUN.sub(_drop_edge_quotes, text)
    # NFC again: dropping a quote can bring a letter and a combining accent together.
    text = unicodedata.normalize("NFC", text)
    lines = (_SPACE_RUN.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _css(tree: LexborHTMLParser, selector: str) -> list[LexborNode]:
    try:
        return tree.css(selector)
    except SelectolaxError as error:
        raise InvalidSelector(f"invalid CSS selector {selector!r}: {error}") from None


def _hidden_or_removed(tree: LexborHTMLParser, remove: Iterable[str]) -> set[int]:
    """Ids of the elements whose whole subtree is left out of the text."""
    dropped = {node.mem_id for selector in remove for node in _css(tree, selector)}
    dropped.update(node.mem_id for node in tree.css("[hidden]"))
    dropped.update(
        node.mem_id
        for node in tree.css("[aria-hidden]")
        if (node.attributes.get("aria-hidden") or "").strip().lower() == "true"
    )
    dropped.update(
        node.mem_id
        for node in tree.css("[style]")
        if _HIDING_STYLE.search(node.attributes.get("style") or "")
    )
    return dropped


def _visible_text(root: LexborNode, dropped: set[int], scope: set[int] | None) -> tuple[str, bool]:
    """Walk the tree once, depth first, in document order.

    Text counts only inside a scope element (everywhere when `scope` is None); an element
    nested in another scope element is walked once, so its text is never duplicated.
    Returns the raw text (blocks on their own lines) and whether a visible scope element
    was found.
    """
    pieces: list[str] = []
    found_scope = scope is None
    # Items: a node with its (in scope, preformatted) flags, or a newline to emit on leaving
    # a block element. An explicit stack: deeply nested markup must not exhaust recursion.
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
        if is_scope or tag in _BLOCK_TAGS:  # two matches of `select` never run together
            pieces.append("\n")
            stack.append("\n")
        stack.extend(
            (child, in_scope, preformatted)
            for child in reversed(list(node.iter(include_text=True)))
        )
    return "".join(pieces), found_scope


def compile_ignore(pattern: str) -> re.Pattern[str]:
    """An `ignore` expression as extraction applies it (multi-line mode); raises
    InvalidPattern. Validation calls this too, so both agree on what is valid."""
    try:
        return re.compile(pattern, re.MULTILINE)
    except re.error as error:
        raise InvalidPattern(f"invalid ignore pattern {pattern!r}: {error}") from None


def check_selector(selector: str) -> None:
    """Raises InvalidSelector when the parser extraction uses rejects `selector`."""
    _css(LexborHTMLParser("<p></p>"), selector)


def _remove_ignored(text: str, ignore: Sequence[str]) -> str:
    for pattern in ignore:
        text = compile_ignore(pattern).sub("", text)
    return normalise(text)


def extract_text(
    html: str,
    *,
    select: str | None = None,
    remove: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> str:
    """The visible text of `html`, normalised (see `normalise`).

    `select` scopes the text to every matching element, in document order; `remove` drops
    elements; scripts, styles, templates, drawings and hidden elements (`hidden`,
    `aria-hidden="true"`, inline `display:none` / `visibility:hidden`) are always dropped.
    `ignore` holds regular expressions (multi-line mode) removed from the normalised text.

    Raises SelectorMatchedNothing when `select` finds no visible element (an empty snapshot
    would hide the layout change), InvalidSelector for a selector the parser rejects,
    InvalidPattern for a bad `ignore` expression. Any page, however broken, gives text.
    """
    tree = LexborHTMLParser(html)
    dropped = _hidden_or_removed(tree, remove)
    scope = None if select is None else {node.mem_id for node in _css(tree, select)}
    root = tree.root
    if root is None:
        if select is not None:
            raise SelectorMatchedNothing(select)
        return ""
    raw, found_scope = _visible_text(root, dropped, scope)
    if select is not None and not found_scope:
        raise SelectorMatchedNothing(select)
    text = normalise(raw)
    return _remove_ignored(text, ignore) if ignore else text
