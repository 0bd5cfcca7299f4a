"""HTML of a watched page → its visible text, normalised so that runs compare byte for byte.

Pure functions: nothing here knows of the catalogue or of HTTP.
"""

from __future__ import annotations

import importlib.metadata
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

__all__ = [
    "EXTRACTION_RULES_VERSION",
    "EXTRACTOR_VERSION",
    "InvalidPattern",
    "InvalidSelector",
    "SelectorMatchedNothing",
    "check_selector",
    "compile_ignore",
    "extract_text",
    "inline_texts",
    "is_word_char",
    "match_key",
    "normalise",
]


#: Our own rules of what counts as visible text. Bump it by hand whenever they change what text
#: a page gives (2: `aria-hidden` content is kept), so that the next run re-baselines the
#: snapshots instead of reporting every watched page as changed.
EXTRACTION_RULES_VERSION = "2"
#: Who extracted a snapshot's text: our rules and the parser's version (an upgrade of either
#: may change the text of an unchanged page). Recorded with each snapshot (`SnapshotMeta`).
EXTRACTOR_VERSION = (
    f"{EXTRACTION_RULES_VERSION}+selectolax-{importlib.metadata.version('selectolax')}"
)


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
# Invisible characters that would otherwise split words for matching: soft hyphen, zero-width
# space, word joiner, byte-order mark, and control characters that are not white space.
# U+0000 is one of them, which `_normalise_lines` relies on.
_INVISIBLE = "\u00ad\u200b\u2060\ufeff\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
# Where `str.splitlines` ends a line: "\n", "\r", "\f", `_BREAK` and `_OTHER_BREAKS`. Text on
# its way to `_normalise_lines` has its line breaks written as `_BREAK` (a line break the
# page's text itself rarely holds, and a harmless one when it does), which leaves "\n", "\r"
# and "\f" free to be plain white space, as HTML wants them outside preformatted text.
_BREAK = "\x1e"
_OTHER_BREAKS = frozenset("\x0b\x1c\x1d\x85\u2028\u2029")
# One character class, not two nor an alternation: the regex engine scans for a class fast.
_INVISIBLE_OR_BREAK = re.compile(f"[{_INVISIBLE}{''.join(sorted(_OTHER_BREAKS))}]")
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
    # ("\r\n" becomes two line breaks, but the empty line between them is dropped anyway.)
    return _normalise_lines(text.replace("\n", _BREAK).replace("\r", _BREAK).replace("\f", _BREAK))


def _drop_or_break(match: re.Match[str]) -> str:
    return "\x00" if match.group() in _OTHER_BREAKS else ""


def _normalise_lines(text: str) -> str:
    """`normalise`, for text whose line breaks are written as `_BREAK` or `_OTHER_BREAKS`
    and where "\n", "\r" and "\f" are white space like any other.

    Whole-text passes in C, never a regular expression per line or per space: this runs on
    every watched page. Once the invisible characters are gone the text holds no U+0000, so
    U+0000 can stand for the line breaks while `str.split` collapses the white space
    (`str.split` and `\\s` agree on what white space is; U+0000 is not).
    """
    text = _INVISIBLE_OR_BREAK.sub(_drop_or_break, text).replace(_BREAK, "\x00")
    text = " ".join(text.split()).replace(" \x00", "\x00").replace("\x00 ", "\x00")
    kept = "\n".join(filter(None, text.split("\x00")))
    # NFC last: removing an invisible character can bring a letter and its accent together.
    return unicodedata.normalize("NFC", kept + "\n") if kept else ""


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
    # One query, not one per attribute: each is a walk over the whole tree. `aria-hidden`
    # hides from screen readers, not from eyes (an article behind an open dialog is marked so
    # for weeks), so its content is kept.
    for node in tree.css("[hidden], [style]"):
        attributes = node.attributes
        if "hidden" in attributes or _HIDING_STYLE.search(attributes.get("style") or ""):
            dropped.add(node.mem_id)
    return dropped


# The walk below classifies elements by their tag id, an integer, rather than by `node.tag`,
# a string decoded for every node. The ids of the standard HTML tags are fixed by the parser
# (only unknown tags get ids of their own, per document), and an element has the id of a
# standard tag exactly when `tag` is that tag's name.
_SKIP, _BLOCK, _PRE, _SCOPE = 1, 2, 4, 8


def _tag_kinds() -> dict[int, int]:
    tree = LexborHTMLParser("")
    kinds: dict[int, int] = {}
    for flag, names in (
        (_SKIP, _INVISIBLE_TAGS),
        (_BLOCK, _BLOCK_TAGS),
        (_PRE, _PREFORMATTED_TAGS),
    ):
        for name in names:
            tag_id = tree.create_node(name).tag_id
            kinds[tag_id] = kinds.get(tag_id, 0) | flag
    return kinds


_TAG_KINDS = _tag_kinds()
# What leaving an element does, besides nothing.
_LEAVE_LINE, _LEAVE_SCOPE, _LEAVE_SKIP = 1, 2, 4


class _Walk:
    """One walk of a tree in document order, depth first, appending its visible text to
    `pieces` as raw text for `_normalise_lines`: blocks on their own lines, every line break
    written as `_BREAK`.

    Text counts only inside a scope element (everywhere when `scope` is None); an element
    nested in another scope element is walked once, so its text is never duplicated.

    This runs over every node of every watched page, so it does as little per node as it
    can. It follows the parser's own traversal (no list of children per node, no recursion)
    and appends text as it is: outside preformatted text HTML makes white space of "\n",
    "\r" and "\f", and so does `_normalise_lines`. The traversal passes over the text nodes
    that hold nothing but HTML white space (a third of a typical page: the indentation of
    its markup). Next to a line break they would change nothing, and between two pieces of
    text, where they are a space, `_space_before` finds them again. Preformatted elements,
    where white space is text, are walked node by node (`_preformatted`).

    What the traversal does not say is when it leaves an element: the walk keeps the open
    elements on a stack, and leaves those that are not the parent of the next node.
    """

    def __init__(self, root: LexborNode, dropped: set[int], scope: set[int] | None) -> None:
        self.root = root
        self.dropped = dropped
        self.special = dropped if scope is None else dropped | scope
        self.pieces = [_BREAK]  # (a line break first changes nothing)
        self.scoped = scope is not None
        self.found_scope = not self.scoped  # whether a visible scope element was found

    def run(self) -> None:
        nodes = self.root.traverse(include_text=True, skip_empty=True)
        parent = self.root.parent
        inside = 0 if parent is None else parent.mem_id
        self._walk(nodes, inside, in_scope=not self.scoped, preformatted=False)

    def _preformatted(self, element: LexborNode, in_scope: bool) -> None:
        """The subtree of `element`, a preformatted element just entered: every text node
        counts, and keeps its line breaks."""
        nodes = element.traverse(include_text=True)
        next(nodes)  # `element` itself
        self._walk(nodes, element.mem_id, in_scope=in_scope, preformatted=True)

    def _walk(  # noqa: PLR0915 (one hot loop, kept in one piece on purpose)
        self, nodes: Iterator[LexborNode], inside: int, *, in_scope: bool, preformatted: bool
    ) -> None:
        """Walk `nodes`, a depth-first traversal whose first node is a child of the element
        whose `mem_id` is `inside`."""
        kind_of = _TAG_KINDS.get
        dropped, special = self.dropped, self.special
        pieces = self.pieces
        append = pieces.append
        skipping = False
        emit = in_scope  # whether text counts: in scope, and not in a skipped element
        # The elements the walk is in, innermost last, and what leaving each does.
        open_ids = [inside]
        open_flags = [0]
        push_id, push_flags, pop_id, pop_flags = (
            open_ids.append,
            open_flags.append,
            open_ids.pop,
            open_flags.pop,
        )
        for node in nodes:
            # (Every node walked has a parent: the root's is the document.)
            parent_id = node.parent.mem_id  # type: ignore[union-attr]
            while open_ids[-1] != parent_id:  # leaving elements
                pop_id()
                flags = pop_flags()
                if flags == _LEAVE_LINE:  # the common case first
                    append(_BREAK)
                elif flags:
                    if flags & _LEAVE_LINE:
                        append(_BREAK)
                    if flags & _LEAVE_SCOPE:
                        in_scope = False
                    if flags & _LEAVE_SKIP:
                        skipping = False
                    emit = in_scope and not skipping
            text = node.text_content  # None for anything but text
            if text is not None:
                if emit and text:
                    if (  # (`pieces` starts with a line break)
                        pieces[-1] is not _BREAK
                        and not text[0].isspace()
                        and not pieces[-1][-1].isspace()
                        and self._space_before(node)
                    ):
                        append(" ")
                    if preformatted:
                        text = text.replace("\n", _BREAK).replace("\r", _BREAK)
                        text = text.replace("\f", _BREAK)
                    append(text)
                continue
            # Anything else is an element, or a node without children that neither gives
            # text nor ends a line (a comment): no need to tell them apart.
            mem_id = node.mem_id
            if skipping:
                push_id(mem_id)
                push_flags(0)
                continue
            kind = kind_of(node.tag_id, 0)
            if mem_id in special:
                kind = _SKIP if mem_id in dropped else kind | _SCOPE
            if kind == _BLOCK:  # the common case first
                append(_BREAK)
                push_id(mem_id)
                push_flags(_LEAVE_LINE)
                continue
            flags = 0
            if kind & _SKIP:
                skipping, flags = True, _LEAVE_SKIP
            elif kind:
                if kind & _SCOPE:
                    self.found_scope = True
                    if not in_scope:
                        in_scope, flags = True, _LEAVE_SCOPE
                if kind & (_BLOCK | _SCOPE):  # two matches of `select` never run together
                    append(_BREAK)
                    flags |= _LEAVE_LINE
                if kind & _PRE and not preformatted:
                    self._preformatted(node, in_scope)
                    skipping, flags = True, flags | _LEAVE_SKIP
            emit = in_scope and not skipping
            push_id(mem_id)
            push_flags(flags)
        # Elements left open end where the walk does.
        if any(flags & _LEAVE_LINE for flags in open_flags):
            append(_BREAK)

    def _space_before(self, node: LexborNode) -> bool:
        """Whether white space the traversal passed over (a text node of nothing but HTML
        white space) lies between `node` and the text appended last, which is visible text
        (between them, nothing gave text, so nothing but skipped elements' subtrees was left
        out). Goes back in document order from `node` until it finds one or the other."""
        current = node
        while True:
            previous = current.prev
            if previous is None:
                parent = current.parent
                if parent is None:
                    return False
                current = parent  # leaving it backwards: its start lies in between
                continue
            current = previous
            while True:  # down to the last node of its subtree, unless that is left out
                text = current.text_content
                if text is not None:
                    if current.is_empty_text_node:
                        if text:
                            return True
                        break  # an empty text node: go on before it
                    return False  # the text appended last
                if (
                    current.mem_id in self.dropped
                    or _TAG_KINDS.get(current.tag_id, 0) & _SKIP
                    or (last := current.last_child) is None
                ):
                    break
                current = last


def _visible_text(root: LexborNode, dropped: set[int], scope: set[int] | None) -> tuple[str, bool]:
    """The raw visible text of `root` for `_normalise_lines` (see `_Walk`), and whether a
    visible scope element was found."""
    walk = _Walk(root, dropped, scope)
    walk.run()
    return "".join(walk.pieces), walk.found_scope


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
    elements; scripts, styles, templates, drawings and elements hidden from sight (`hidden`,
    inline `display:none` / `visibility:hidden`) are always dropped. `aria-hidden` content is
    visible, and kept.
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
    text = _normalise_lines(raw)
    return _remove_ignored(text, ignore) if ignore else text


#: Inline elements that often set off an interface label inside a sentence.
_INLINE_LABEL_TAGS = ("strong", "b", "em", "a", "code", "kbd", "span", "label", "button")


def inline_texts(html: str, *, select: str | None = None, remove: Sequence[str] = ()) -> set[str]:
    """The visible texts, each on one line, of the page's inline elements that often set off
    an interface label (bold, links, code, buttons…), in the part of the page `select` and
    `remove` keep. The line breaks of `extract_text` lose these boundaries: a label's rename
    inside a sentence finds its edges here (`pages.labels.replaced_span`)."""
    tree = LexborHTMLParser(html)
    dropped = _hidden_or_removed(tree, remove)
    scope = None if select is None else {node.mem_id for node in _css(tree, select)}
    texts = set()
    for node in tree.css(", ".join(_INLINE_LABEL_TAGS)):
        ancestors = [node.mem_id]
        hidden = False
        parent = node.parent
        while parent is not None and not hidden:
            ancestors.append(parent.mem_id)
            hidden = bool(_TAG_KINDS.get(parent.tag_id, 0) & _SKIP)
            parent = parent.parent
        if hidden or dropped.intersection(ancestors):
            continue
        if scope is not None and scope.isdisjoint(ancestors):
            continue
        text = " ".join(normalise(node.text(deep=True)).split())
        if text:
            texts.add(text)
    return texts
