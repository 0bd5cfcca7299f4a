"""Extraction output pinned byte for byte: every fixture page and a few hostile pages, with and
without typical `select` / `remove` / `ignore` settings, against golden text files.

The golden files were written by the extractor as it stood before its speed rewrite, so a
rewrite that changes one byte of any snapshot fails here. After a deliberate change of what
counts as text, regenerate them and review the diff:

    python -m tests.test_extract_golden
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from optout_watch.fetching.decode import decode_html
from optout_watch.pages.extract import SelectorMatchedNothing, extract_text
from tests.support.paths import FIXTURE_PAGES, TESTS

PAGES = FIXTURE_PAGES
GOLDEN = TESTS / "fixtures" / "extracted"


@dataclass(frozen=True)
class Case:
    name: str
    html: Callable[[], str]
    select: str | None = None
    remove: Sequence[str] = ()
    ignore: Sequence[str] = ()


def fixture(name: str, content_type: str | None = None) -> Callable[[], str]:
    return lambda: decode_html((PAGES / name).read_bytes(), content_type).text


# --- hostile pages -----------------------------------------------------------------------------

# Every character Python or HTML treats as white space or as a line break, a few that look
# like it but are not, and the invisible ones `normalise` drops.
WHITESPACE = (
    " \t\n\r\f\v\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff\x01\x08\x0e\x1b\x7f\x84\x86\x9f"


def deep_nesting() -> str:
    parts = []
    for depth in range(1500):
        tag = ("div", "span", "p", "b", "li", "section", "i")[depth % 7]
        parts.append(f"<{tag} class='d{depth % 5}'>t{depth} ")
        if depth % 50 == 0:
            parts.append("<br>mid<pre>  pre\n  block </pre>tail<button>x</button>")
    return "<body>" + "".join(parts) + "deepest" + "</i></section></b></p></span></div>" * 300


def inline_blocks_mix() -> str:
    return (
        "<body><b>Data</b>Controls<i><div>block in inline</div>after</i>"
        "<span> lead <p>para</p> trail </span>"
        "<ul><li>one<li>two<ul><li>nested</ul>three</ul>"
        "<table><tr><td>a</td><td>b<table><tr><th>c</th></tr></table></td></tr></table>"
        "<dl><dt>term<dd>def</dl><select><option>o1<option>o2</select>"
        "<details><summary>sum</summary>body</details><hr>x<br><br>y"
        "<button>Oui</button><button>Non</button><label>lab</label><input value='v'>"
        "<math><mi>m</mi><section>in math</section><p>p in math</p></math>"
        "<svg><text>svg text</text><foreignObject><p>fo</p></foreignObject></svg>"
        "<template><p>tpl</p></template><noscript>ns</noscript><iframe>if</iframe>"
        "<video>vid<track></video><audio>aud</audio><canvas>cv</canvas>"
        "<!-- comment --><![CDATA[cdata]]><custom-el>custom <DIV>upper</DIV></custom-el>"
        "<center>c</center><dir><li>d</dir><listing> listing\n  text</listing>"
        "<textarea>  area\n text  </textarea><xmp> <b>xmp</b>\n </xmp>"
        "<dialog>dlg</dialog><hgroup><h1>h</h1></hgroup><menu>mn</menu>"
        "</body>after body</html>after html<plaintext> plain\n <b>text"
    )


def whitespace_kinds() -> str:
    spaced = "".join(f"w{i}{char}x{char}{char}" for i, char in enumerate(WHITESPACE))
    entities = "".join(f"e{code}&#{code};y&#x{code:x};&#{code};" for code in range(0, 40))
    return (
        f"<body><p>{spaced}</p><pre>{spaced}</pre><div>{entities}</div>"
        f"<pre>{entities}</pre><p>crlf\r\nline\rbreak\fform</p>"
        "<p>a&nbsp;b&nbsp;&nbsp;c &#160; d&#x202F;e&ensp;f&emsp;g&thinsp;h</p>"
        f"<span>{WHITESPACE}</span><b>{WHITESPACE}</b>end<pre>{WHITESPACE}</pre>"
        "<p>\u00a0\u00a0</p><p>   </p><p>\t</p><pre>\n\n</pre><pre>\nfirst</pre>"
        "<pre><b>bold\n in</b> <span>pre\r\n</span></pre>x\u2028y\u2029z\x85w\x0bv\x0cu"
    )


def zero_width() -> str:
    text = "".join(f"z{i}{char}z" for i, char in enumerate(INVISIBLE))
    entities = "".join(f"&#x{ord(char):x};" for char in INVISIBLE)
    return (
        f"<body><p>{text}</p><p>{entities}</p><pre>{text}</pre>"
        "<p>Activite\u0301 applica\u00adtions\u200b Gemini\ufeff</p>"
        "<p>e\u200b\u0301 split accent</p><p>\u200b</p><p>\u00ad \u00ad</p>"
        "<p>a\u200b\nb</p><p>\ufeff\ufefflead</p>"
        "<p>nul\x00raw &#0; ent</p><pre>nul\x00pre</pre>"
        "<p>Ａｂｃ ﬁ ｶ \u2126 \u212b A\u030a</p>"
        "</body>"
    )


def hidden_attributes() -> str:
    return (
        "<body><main>"
        "<p>visible</p><p hidden>hidden attr</p><p hidden='false'>hidden false</p>"
        "<p HIDDEN>upper hidden</p><div hidden><p>inner of hidden</p></div>"
        "<p aria-hidden='true'>aria true</p><p aria-hidden=' TRUE '>aria spaced</p>"
        "<p aria-hidden='false'>aria false</p><p aria-hidden>aria empty</p>"
        "<p style='display:none'>d none</p><p style='DISPLAY : NONE'>upper</p>"
        "<p style='color:red;display:none;'>after colour</p>"
        "<p style='visibility:hidden'>vis hidden</p><p style='visibility: collapse'>coll</p>"
        "<p style='--display:none'>custom prop</p><p style='x-display:none'>prefixed</p>"
        "<p style='display:block'>block</p><p style='content-visibility:hidden'>cv</p>"
        "<p style='visibility:visible'>vis visible</p><p style=''>empty style</p>"
        "<span style='display:none'>inline none</span>joined<span>word</span>"
        "<div style='display:none'><div class='keep'>kept inside none</div></div>"
        "<div class='keep'>kept<span hidden> hidden span</span> end</div>"
        "<div class='keep' hidden>kept but hidden</div>"
        "<section class='banner'>banner<div class='keep'>kept in banner</div></section>"
        "<p data-hidden='x'>data hidden</p><p class='hidden'>class hidden</p>"
        "</main><footer>footer text</footer></body>"
    )


def scopes() -> str:
    return (
        "<body><div class='part'>first<div class='part'>nested</div>after nested</div>"
        "<p>outside</p><span class='part'>inline</span><span class='part'>scope</span>"
        "<pre class='part'> pre\n scope </pre><div class='part'><pre>in\n pre</pre>x</div>"
        "<ul><li class='part'>l1</li><li>l2</li><li class='part'>l3</li></ul>"
        "<div class='part' hidden>hidden part</div><div class='part'></div>"
        "<div class='part'><script>no</script><style>no</style>tail</div>"
        "</body>"
    )


# (name, content type, scoped settings) of the fixture pages.
FIXTURES = [
    ("google_help", None, ".article-container", (".article-survey",)),
    ("intercom_article", None, ".intercom-force-break", ("div.text-md",)),
    ("microsoft_support", None, "#supArticleContent article", ()),
    ("utf8_bom_article", None, "main", ()),
    ("windows1252_article", "text/html; charset=windows-1252", "#contenu", ()),
    ("zendesk_article", None, "article .article-body", ()),
]
IGNORE = (r"\d+", r"(?i)^.*cookies?.*$", r"^\W*$")
CASES = [
    case
    for name, content_type, select, remove in FIXTURES
    for case in (
        Case(f"{name}", fixture(f"{name}.html", content_type)),
        Case(f"{name}-scoped", fixture(f"{name}.html", content_type), select, remove),
        Case(
            f"{name}-ignore",
            fixture(f"{name}.html", content_type),
            None,
            ("nav", "footer", "header"),
            IGNORE,
        ),
        Case(f"{name}-scoped-ignore", fixture(f"{name}.html", content_type), select, (), IGNORE),
    )
] + [
    Case("deep-nesting", deep_nesting),
    Case("deep-nesting-scoped", deep_nesting, ".d3", ("b.d1",), (r"t\d*7 ",)),
    Case("inline-blocks", inline_blocks_mix),
    Case("inline-blocks-scoped", inline_blocks_mix, "td, li, math, custom-el, i"),
    Case("whitespace-kinds", whitespace_kinds),
    Case("whitespace-kinds-ignore", whitespace_kinds, None, (), (r"[a-z]\d+", r"^ *$")),
    Case("zero-width", zero_width),
    Case("zero-width-scoped", zero_width, "p:nth-child(2n+1)"),
    Case("hidden-attributes", hidden_attributes),
    Case("hidden-attributes-scoped", hidden_attributes, ".keep", (".banner",)),
    Case("hidden-attributes-remove", hidden_attributes, "main", ("p:nth-of-type(3)", "span")),
    Case("scopes", scopes, ".part"),
    Case("scopes-nth", scopes, "div:nth-child(odd), li + li"),
    Case("scopes-only-hidden", scopes, ".part[hidden]"),
]


def render(case: Case) -> str:
    """The extracted text, or the error for a page where extraction refuses."""
    try:
        return extract_text(case.html(), select=case.select, remove=case.remove, ignore=case.ignore)
    except SelectorMatchedNothing as error:
        return f"!{type(error).__name__}: {error}\n"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_extraction_matches_the_golden_text(case: Case) -> None:
    golden = (GOLDEN / f"{case.name}.txt").read_bytes().decode("utf-8")

    assert render(case) == golden


def test_every_golden_file_has_a_case() -> None:
    assert {path.stem for path in GOLDEN.glob("*.txt")} == {case.name for case in CASES}


def regenerate() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for path in GOLDEN.glob("*.txt"):
        path.unlink()
    for case in CASES:
        (GOLDEN / f"{case.name}.txt").write_bytes(render(case).encode("utf-8"))


if __name__ == "__main__":
    regenerate()
