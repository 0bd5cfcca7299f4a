"""Quoting for text that reaches Markdown rendered by GitHub (job summaries, issues).

Page titles, diffs, suggested labels and redirect targets are written by whoever controls a
page. Rendered as they are, they could mention people, reference issues, add links, images,
tables or HTML, or forge the hidden markers that the issue sync looks for. Each function here
quotes text for one place in a document; none of them trusts its input.

GitHub finds mentions and issue references in the rendered text, after Markdown escapes and
HTML entities are decoded, so escaping `@` or `#` is not enough: a WORD JOINER after them
breaks the reference while leaving the text as it reads. Code spans and blocks are exempt:
GitHub finds no references in code.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
INLINE_LIMIT = 300
CODE_BLOCK_LIMIT = 20_000

# C0 and C1 controls (terminal escapes, NUL) and the bidirectional overrides that make text
# read otherwise than it is; tabs and line breaks are handled by each function.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\t-\r \u2028\u2029]+")
_BACKTICK_RUN = re.compile("`+")
_LANGUAGE = re.compile("[A-Za-z0-9_+-]*")
_ISSUE_PREFIX = re.compile(r"(GH-)(?=\d)", re.IGNORECASE)
# Where a backslash keeps the text from opening a block (list item, ordered list, heading
# underline) when it starts a line or a list item: before `-`, `+`, `=`, or after `1`, `12`… in
# `1.`, `12)`.
_BLOCK_OPENER = re.compile(r"^(\d+(?=[.)])|(?=[-+=]))")
# A URL made only of the characters RFC 3986 allows: as an autolink it shows its own target.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")

_HTML_QUOTES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "@": "@" + WORD_JOINER,
    "#": "#" + WORD_JOINER,
}
_HTML_TEXT = str.maketrans(_HTML_QUOTES)
_MARKDOWN_TEXT = str.maketrans(
    {
        **_HTML_QUOTES,
        "#": "\\#" + WORD_JOINER,
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "|": "\\|",
        "~": "\\~",
        # GitHub parses `$…$` as math before entities are decoded.
        "$": "&#36;",
    }
)


def one_line(text: str, limit: int = INLINE_LIMIT) -> str:
    """`text` on one line, without control characters, cut to `limit` characters with an
    ellipsis: fit for a terminal, and the first step of the Markdown quoting below."""
    flat = _LINE_BREAKS.sub(" ", _CONTROLS.sub("", text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _quote(text: str, table: dict[int, str], limit: int) -> str:
    return _ISSUE_PREFIX.sub(r"\1" + WORD_JOINER, one_line(text, limit).translate(table))


def inline(text: str, limit: int = INLINE_LIMIT) -> str:
    """Text that renders as itself in a paragraph, a list item or a table cell."""
    return _BLOCK_OPENER.sub(r"\1\\", _quote(text, _MARKDOWN_TEXT, limit))


def html_text(text: str, limit: int = INLINE_LIMIT) -> str:
    """Text inside a raw HTML block (such as `<summary>`), where Markdown is not parsed."""
    return _quote(text, _HTML_TEXT, limit)


def _without_comment_openers(text: str) -> str:
    """Code shows `<!--` as it is, but the raw Markdown must never hold one taken from a page:
    the issue sync finds its hidden markers in the raw text."""
    return text.replace("<!--", "<!" + WORD_JOINER + "--")


def _fence_for(content: str, shortest: int) -> str:
    """A backtick fence longer than any run of backticks in `content`."""
    longest = max((len(run) for run in _BACKTICK_RUN.findall(content)), default=0)
    return "`" * max(shortest, longest + 1)


def code_span(text: str, limit: int = INLINE_LIMIT) -> str:
    """Inline code showing `text` verbatim. Not for table cells, where `|` ends a cell even
    inside code."""
    content = _without_comment_openers(one_line(text, limit))
    fence = _fence_for(content, 1)
    # Spaces around content that starts or ends with a backtick keep it apart from the fence;
    # the renderer strips one on each side.
    if not content or content.startswith("`") or content.endswith("`"):
        content = f" {content} "
    return f"{fence}{content}{fence}"


def code_block(text: str, language: str = "", *, limit: int = CODE_BLOCK_LIMIT) -> str:
    """A fenced block showing `text` verbatim, cut after `limit` characters at a line end,
    ending with a newline."""
    if not _LANGUAGE.fullmatch(language):
        raise ValueError(f"not a code block language: {language!r}")
    content = _CONTROLS.sub("", text.replace("\r\n", "\n")).replace("\r", "\n")
    content = _without_comment_openers(content.replace("\v", "").replace("\f", "").rstrip("\n"))
    if len(content) > limit:
        kept = content[:limit].rpartition("\n")[0] or content[:limit]
        content = f"{kept}\n… ({len(content) - len(kept)} more characters not shown)"
    fence = _fence_for(content, 3)
    return f"{fence}{language}\n{content}\n{fence}\n"


def autolink(text: str, limit: int = INLINE_LIMIT) -> str:
    """A clickable URL that shows exactly where it leads; anything else as inline code."""
    if len(text) <= limit and _PLAIN_URL.fullmatch(text):
        return f"<{text}>"
    return code_span(text, limit)
