"""Page text extraction and normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optout_watch.fetching.decode import decode_html
from optout_watch.pages.extract import (
    InvalidPattern,
    InvalidSelector,
    SelectorMatchedNothing,
    extract_text,
    inline_texts,
    match_key,
    normalise,
)
from tests.support.paths import FIXTURE_PAGES

PAGES = FIXTURE_PAGES
NBSP, NNBSP = "\u00a0", "\u202f"


def page(name: str, content_type: str | None = None) -> str:
    return decode_html((PAGES / name).read_bytes(), content_type).text


# (fixture, select, remove, text that must be there, text that must not)
HELP_CENTRES = [
    pytest.param(
        "zendesk_article.html",
        "article .article-body",
        (),
        ["Improve the model for everyone", "Data Controls", "Settings"],
        ["Submit a request", "cookies", "Terms of use", "HelpCenter", "Temporary Chat"],
        id="zendesk",
    ),
    pytest.param(
        "intercom_article.html",
        ".intercom-force-break",
        ("div.text-md",),
        ["Allow training on my chats", "Admin Console", "Privacy"],
        ["Search for articles", "cookies", "Related Articles", "__NEXT_DATA__", "Updated"],
        id="intercom",
    ),
    pytest.param(
        "google_help.html",
        ".article-container",
        (".article-survey",),
        [f"«{NBSP}Activité dans les applications Gemini{NBSP}»", "Paramètres et aide"],
        ["Communauté", "cookies", "ppConfig", "Modèle non affiché", "Chargement", "utiles"],
        id="google-help",
    ),
    pytest.param(
        "microsoft_support.html",
        "#supArticleContent article",
        (),
        ["Model training on text", "Model training on voice", "Account > Privacy"],
        ["Contextual menu", "optional cookies", "ocArticleData", "Archived answer", "helpful"],
        id="microsoft-support",
    ),
]


@pytest.mark.parametrize(("name", "select", "remove", "present", "absent"), HELP_CENTRES)
def test_scoped_help_article_keeps_its_labels_and_drops_the_chrome(
    name: str, select: str, remove: tuple[str, ...], present: list[str], absent: list[str]
) -> None:
    text = extract_text(page(name), select=select, remove=remove)

    folded = text.replace(NBSP, " ")
    for label in present:
        assert label.replace(NBSP, " ") in folded
    for chrome in absent:
        assert chrome not in text


def test_unscoped_page_keeps_navigation_but_never_scripts_or_styles() -> None:
    text = extract_text(page("zendesk_article.html"))

    assert "Submit a request" in text
    assert "Improve the model for everyone" in text
    for code in ("HelpCenter", "FAQPage", "margin-top", "querySelector", "Data Controls FAQ |"):
        assert code not in text


def test_text_is_normalised_and_newline_terminated() -> None:
    text = extract_text(page("zendesk_article.html"), select="article .article-body")

    assert text.endswith("\n")
    assert "\n\n" not in text
    assert all(line == line.strip() and "  " not in line for line in text.splitlines())
    assert normalise(text) == text


def test_same_page_gives_byte_identical_text() -> None:
    html = page("google_help.html")

    runs = {extract_text(html, select=".article-container").encode() for _ in range(3)}

    assert len(runs) == 1


def test_inline_elements_join_and_block_elements_break_lines() -> None:
    html = (
        "<div><b>Data</b> Controls<br>Next line<ul><li>One</li><li>Two</li></ul>"
        "<table><tr><td>Cell A</td><td>Cell B</td></tr></table>"
        "<span>Improve the</span>\n   <a href='#'>model</a>  for <em>everyone</em>"
        "<button>Oui</button><button>Non</button></div>"
    )

    assert extract_text(html) == (
        "Data Controls\nNext line\nOne\nTwo\nCell A\nCell B\n"
        "Improve the model for everyone\nOui\nNon\n"
    )


def test_preformatted_text_keeps_its_line_breaks() -> None:
    assert extract_text("<pre>first  line\n  second line</pre>") == "first line\nsecond line\n"


@pytest.mark.parametrize(
    "hiding",
    [
        "<p hidden>{}</p>",
        '<p style="color: red; display : none">{}</p>',
        '<p style="VISIBILITY:hidden">{}</p>',
        "<script>var label = '{}';</script>",
        "<style>/* {} */</style>",
        "<noscript>{}</noscript>",
        "<template><p>{}</p></template>",
        "<svg><text>{}</text></svg>",
        '<div class="banner"><p>{}</p></div>',
    ],
)
def test_hidden_removed_and_code_regions_give_no_text(hiding: str) -> None:
    html = "<main><p>Visible text</p>" + hiding.format("Improve the model") + "</main>"

    text = extract_text(html, remove=[".banner"])

    assert text == "Visible text\n"


DIALOG_OVER_ARTICLE = """<html><body>
<div aria-hidden="true"><main><article><h1>Manage your privacy</h1>
<p>Open Settings, then turn off “Improve the model for everyone”.</p></article></main></div>
<div role="dialog" aria-modal="true"><p>We use cookies.</p><button>Accept</button></div>
</body></html>"""


def test_an_article_behind_an_open_dialog_is_visible_and_kept() -> None:
    """`aria-hidden` hides from screen readers, not from eyes: a page behind a dialog."""
    text = extract_text(DIALOG_OVER_ARTICLE, select="article")

    assert text == (
        "Manage your privacy\nOpen Settings, then turn off “Improve the model for everyone”.\n"
    )
    assert "We use cookies." in extract_text(DIALOG_OVER_ARTICLE)


@pytest.mark.parametrize("value", ["true", " TRUE ", "false"])
def test_aria_hidden_content_is_kept(value: str) -> None:
    html = f'<main><p>Visible text</p><p aria-hidden="{value}">Improve the model</p></main>'
    assert extract_text(html) == "Visible text\nImprove the model\n"


def test_visible_elements_with_similar_attributes_are_kept() -> None:
    html = (
        '<p aria-hidden="false">one</p><p style="display: block">two</p>'
        '<p style="content-visibility: auto">three</p><p data-hidden="x">four</p>'
    )

    assert extract_text(html) == "one\ntwo\nthree\nfour\n"


def test_select_takes_every_match_in_document_order_once() -> None:
    html = (
        '<div class="part">first<div class="part">nested</div></div>'
        '<p>outside</p><div class="part">second</div>'
    )

    assert extract_text(html, select=".part") == "first\nnested\nsecond\n"


def test_select_matching_nothing_raises_with_the_selector() -> None:
    with pytest.raises(SelectorMatchedNothing) as raised:
        extract_text(page("zendesk_article.html"), select="div.article-body-v2")

    assert raised.value.selector == "div.article-body-v2"
    assert str(raised.value) == (
        "the page's layout changed: selector 'div.article-body-v2' matched nothing"
    )


def test_select_matching_only_hidden_or_removed_elements_raises() -> None:
    html = '<article hidden><p>Old</p></article><div class="x"><article>Gone</article></div>'

    with pytest.raises(SelectorMatchedNothing):
        extract_text(html, select="article", remove=[".x"])


def test_select_matching_an_empty_element_gives_empty_text() -> None:
    assert extract_text("<main><article></article></main>", select="article") == ""


@pytest.mark.parametrize(
    ("select", "remove"), [("article >", ()), ("", ()), ("main", ("div[",)), ("p::before", ())]
)
def test_invalid_selector_raises_with_the_selector(select: str, remove: tuple[str, ...]) -> None:
    with pytest.raises(InvalidSelector) as raised:
        extract_text("<main><p>x</p></main>", select=select, remove=remove)

    bad = remove[0] if remove else select
    assert repr(bad) in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_invalid_ignore_pattern_raises_with_the_pattern() -> None:
    pattern = r"Updated (\d"

    with pytest.raises(InvalidPattern) as raised:
        extract_text("<p>Updated 3 March</p>", ignore=[pattern])

    assert repr(pattern) in str(raised.value)


def test_ignore_removes_volatile_text_and_renormalises() -> None:
    html = page("zendesk_article.html")

    text = extract_text(html, select="article", ignore=[r"Updated: \d+ \w+ \d{4}", r"^Yes No$"])

    assert "March" not in text
    assert "Updated" not in text
    assert "Data Controls FAQ\nHow do I stop" in text
    assert normalise(text) == text


def test_windows_1252_page_decoded_with_the_http_charset() -> None:
    html = page("windows1252_article.html", "text/html; charset=windows-1252")

    text = extract_text(html, select="#contenu")

    # U+00A0 and the bytes of « ’ é € are all read right; the no-break spaces become plain.
    assert "« Données pour l’amélioration de l’IA générative »" in text
    assert "Coût : 0 €." in text
    assert "Accueil" not in text
    assert "\ufffd" not in text


def test_utf8_page_with_a_byte_order_mark() -> None:
    text = extract_text(page("utf8_bom_article.html"), select="main")

    assert text.startswith("Désactiver l’entraînement\n")  # no stray U+FEFF
    assert "Dans Paramètres, désactivez « Améliorer le modèle pour tous ».\n" in text


def test_deeply_nested_markup_does_not_exhaust_recursion() -> None:
    html = "<div>" * 5000 + "deep <b>text</b>" + "</div>" * 5000

    assert extract_text(html) == "deep text\n"


def test_empty_and_broken_documents_give_text() -> None:
    assert extract_text("") == ""
    assert extract_text("<p>unclosed <b>bold") == "unclosed bold\n"
    assert extract_text("</div></p>plain<<>>text") == "plain<<>>text\n"


# --- normalise ---------------------------------------------------------------------------------


def test_normalise_turns_every_white_space_into_one_plain_space() -> None:
    text = f"  Data{NBSP}Controls\tand{NNBSP}more\u2009here\u3000now  \r\n\n\x0b  next \u2028last"

    assert normalise(text) == "Data Controls and more here now\nnext\nlast\n"


def test_normalise_composes_unicode_and_drops_invisible_characters() -> None:
    decomposed = "Activite\u0301 dans les applica\u00adtions\u200b Gemini\ufeff"

    assert normalise(decomposed) == "Activité dans les applications Gemini\n"


def test_normalise_keeps_typographic_quotes() -> None:
    text = "Turn off “Improve the model for everyone” and l’« Activité »"

    assert normalise(text) == text + "\n"


def test_normalise_of_blank_text_is_empty() -> None:
    assert normalise("") == ""
    assert normalise(f" \n\t{NBSP}\n") == ""


# --- match_key ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "Activité dans les applications Gemini",
        f"«{NBSP}Activité dans les applications Gemini{NBSP}»",
        f"«{NNBSP}Activité  dans les applications Gemini{NNBSP}»",
        '"Activité dans les applications Gemini"',
        "“ACTIVITÉ DANS LES APPLICATIONS GEMINI”",
        "Activite\u0301 dans les applications Gemini",
        "'Activité dans les applications Gemini'",
    ],
)
def test_match_key_is_blind_to_case_spaces_and_quote_styles(variant: str) -> None:
    assert match_key(variant) == "activité dans les applications gemini"


def test_match_key_keeps_apostrophes_inside_words_and_every_word() -> None:
    assert match_key("Don’t use my data") == "don't use my data"
    assert match_key("Désactiver l`activité") == "désactiver l'activité"
    assert match_key("l’« Activité »") == "l activité"
    assert match_key("word'\"word") == "word word"
    assert match_key("for everyone") != match_key("everyone for")


def test_match_key_keeps_lines_apart() -> None:
    assert match_key("Data\nControls\n") == "data\ncontrols"


# --- properties --------------------------------------------------------------------------------

any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
# Pieces of markup and of the text help pages hold, to reach the parser's corners quickly.
# fmt: off
HTML_PIECES = [
    "<p>", "</p>", "<div hidden>", "</div>", "<script>", "</script>", "<b>", "</b>", "<main>",
    "</main>", "<br>", "<!--", "-->", "<template>", "<svg>", "<table><tr><td>", "<pre>",
    "<article>", "<p style='display:none'>", "&nbsp;", "Data", "Controls", "é", "\u0301", "“",
    "”", "'", "«\u00a0", "\u00a0»", "\n", " ", "\x00", "\r",
]
# fmt: on
html_like = st.one_of(any_text, st.lists(st.sampled_from(HTML_PIECES), max_size=40).map("".join))


@given(any_text)
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)

    assert normalise(once) == once


@given(st.one_of(any_text, html_like))
def test_match_key_is_idempotent(text: str) -> None:
    once = match_key(text)

    assert match_key(once) == once


@given(st.binary(max_size=500) | html_like.map(str.encode), st.sampled_from([None, "main", "p"]))
def test_extract_text_never_raises_on_arbitrary_bytes(body: bytes, select: str | None) -> None:
    html = decode_html(body).text

    try:
        text = extract_text(html, select=select, remove=[".banner"], ignore=[r"\d+"])
    except SelectorMatchedNothing:
        assert select is not None
    else:
        assert normalise(text) == text


# --- inline_texts ------------------------------------------------------------------------------


def test_inline_texts_are_the_visible_inline_elements_in_scope() -> None:
    html = f"""<html><body><nav><a href="/">Home</a></nav><article>
    <p>Go to <strong>Improve the model{NBSP}for   all users</strong> in <a href="/s">Data
    <b>Controls</b></a>, then <code>Save</code> or <span hidden>Hidden</span>.</p>
    <p class="ad"><em>Removed</em></p><div style="display:none"><b>Invisible</b></div>
    <script>var b = "<b>Script</b>";</script><kbd></kbd></article></body></html>"""

    texts = inline_texts(html, select="article", remove=[".ad"])

    assert texts == {"Improve the model for all users", "Data Controls", "Controls", "Save"}
