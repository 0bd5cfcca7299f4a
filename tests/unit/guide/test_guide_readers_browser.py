"""The guide as its readers meet it, in Debian's Chromium (see `test_render_browser.py` for the
browser and the loopback site, reused here): on a phone the first button to act is on the
first screen of every platform page; the search finds a platform by every name the catalogue
gives it, and only that platform; a page speaks one language, the other's fragments marked
with `lang`; axe-core finds no violation on any page at desktop or phone size.

Screenshots of the Meta AI and LinkedIn pages on a phone go to `OPTOUT_WATCH_SCREENSHOTS`
when set, else to pytest's tmp_path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from optout_watch.guide.view import search_key
from tests.support.guide import committed_platforms
from tests.support.guide_browser import DESKTOP, PHONE, Guarded

# Starts headless Chromium: left out of the quick loop (`-m "not browser"`).
pytestmark = pytest.mark.browser

PLATFORMS = sorted(committed_platforms(), key=lambda p: (p.service.casefold(), p.id))
PAGES = [f"{lang}/{p.id}.html" for lang in ("fr", "en") for p in PLATFORMS]
ALL_PAGES = ["index.html", "fr/index.html", "en/index.html", *PAGES]


@pytest.fixture(scope="module")
def phone(browser: Browser, origin: str) -> Iterator[Guarded]:
    guarded = Guarded(browser, origin, PHONE)
    yield guarded
    guarded.close()


@pytest.mark.parametrize("path", PAGES)
def test_the_first_button_to_act_is_on_the_first_phone_screen(
    phone: Guarded,
    origin: str,
    path: str,
) -> None:
    page = phone.page
    page.goto(f"{origin}/{path}")
    first = page.locator("section.procedure").first
    button = first.locator(".action a.button")
    assert button.count() == 1, "the first procedure has no button to act"
    box = button.bounding_box()
    assert box is not None
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= PHONE["height"], box
    # It leads where the catalogue says, and before the steps.
    assert (button.get_attribute("href") or "").startswith("https://")
    steps = first.locator("ol.steps").bounding_box()
    assert steps is not None
    assert steps["y"] > box["y"]


def test_the_meta_ai_and_linkedin_pages_on_a_phone(
    phone: Guarded,
    origin: str,
    screenshots: Path,
) -> None:
    for name in ("meta-ai", "linkedin"):
        phone.page.goto(f"{origin}/fr/{name}.html")
        target = screenshots / f"{name}-fr-phone.png"
        phone.page.screenshot(path=str(target))
        assert target.stat().st_size > 5_000


def _visible(page: Page) -> list[str]:
    return page.locator("#platforms > li.platform:visible h3").all_inner_texts()


def _names() -> list[tuple[str, str]]:
    return [(p.service, alias.name) for p in PLATFORMS for alias in p.aliases]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_each_alias_finds_its_platform_and_only_it(
    phone: Guarded,
    origin: str,
    lang: str,
) -> None:
    page = phone.page
    page.goto(f"{origin}/{lang}/index.html")
    search = page.locator("#search")
    names = _names()
    assert {alias for _, alias in names} >= {
        "Facebook", "Instagram", "Messenger", "Twitter", "X", "Bing", "Copilote", "Vibe", "Bard",
    }  # fmt: skip
    for service, alias in names:
        for typed in (alias, alias.lower() + " ", alias.upper()):
            search.fill(typed)
            assert _visible(page) == [service], typed
    # Whole words: "x" is X, not the x inside "texte" or "exercice".
    search.fill("x ")
    assert _visible(page) == ["Grok"]
    search.fill("Le Chat")
    assert _visible(page) == ["Le Chat"]
    # The word being typed may be the start of a name.
    search.fill("chatg")
    assert _visible(page) == ["ChatGPT"]
    search.fill("")
    assert len(_visible(page)) == len(PLATFORMS)


def test_the_search_key_is_made_of_whole_words() -> None:
    assert search_key("X / xAI") == "x xai"
    assert search_key("Le Chat (Mistral AI)") == "le chat mistral ai"
    assert search_key("Copilote Élevé") == "copilote eleve"


#: Words that mark a text as English or as French (whole words, lower case): common words,
#: and the words of help pages' names ("Google legal help troubleshooter (request form)").
_MARKERS = {
    "en": {"the", "and", "of", "to", "is", "are", "your", "with", "this", "not", "for", "from",
           "help", "request", "form", "settings", "privacy", "hub", "manage", "delete", "how",
           "controls", "improvement", "legal", "troubleshooter", "processing", "formerly",
           "keep", "steps"},
    "fr": {"le", "la", "les", "des", "du", "et", "est", "une", "pour", "dans", "vos", "votre",
           "avec", "pas", "aux", "sont", "aide", "formulaire", "paramètres", "confidentialité",
           "données", "libellé", "libellés", "étapes", "anciennement", "gardent"},
}  # fmt: skip

#: Every text of the page in the page's own language: text nodes whose nearest `lang` is the
#: page's (fragments in the other language carry their own `lang`).
_OWN_TEXTS = """() => {
  const own = document.documentElement.lang;
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const parent = node.parentElement;
    if (!text || parent.closest('script, style')) { continue; }
    if (parent.closest('[lang]').getAttribute('lang').split('-')[0] === own) {
      texts.push(text);
    }
  }
  return {own, texts};
}"""


def _in_language(text: str, lang: str) -> bool:
    words = set(re.findall(r"[a-zàâçéèêëîïôûùüÿœ]+", text.casefold()))
    return len(words & _MARKERS[lang]) >= 2


@pytest.mark.parametrize("path", ["fr/index.html", "en/index.html", *PAGES])
def test_a_page_speaks_its_language_and_marks_the_others_fragments(
    phone: Guarded,
    origin: str,
    path: str,
) -> None:
    page = phone.page
    page.goto(f"{origin}/{path}")
    result = page.evaluate(_OWN_TEXTS)
    other = "en" if result["own"] == "fr" else "fr"
    mixed = [text for text in result["texts"] if _in_language(text, other)]
    assert mixed == []
    assert len(result["texts"]) > 20


def test_the_language_check_sees_a_fragment_in_the_other_language() -> None:
    assert _in_language("The English interface labels are not confirmed", "en")
    assert _in_language("Google legal help troubleshooter (request form)", "en")
    assert _in_language("Gemini Apps Privacy Hub (en français)", "en")
    assert _in_language("The French steps keep « Le Chat »", "fr") is False
    assert _in_language("Les étapes gardent « Le Chat »", "fr")
    assert not _in_language("Les libellés de l’interface ne sont pas confirmés", "en")
    assert _in_language("Les libellés de l’interface ne sont pas confirmés", "fr")


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_axe_core_finds_no_violation_on_any_page(
    browser: Browser,
    origin: str,
    size: str,
    viewport: dict[str, int],
) -> None:
    axe = Axe()
    guarded = Guarded(browser, origin, viewport)  # type: ignore[arg-type]
    violations: dict[str, list[str]] = {}
    try:
        for path in ALL_PAGES:
            guarded.page.goto(f"{origin}/{path}")
            results = axe.run(guarded.page)
            found = [v["id"] for v in results.response["violations"]]
            if found:
                violations[path] = found
            assert len(results.response["passes"]) > 10  # axe-core did run its rules
    finally:
        guarded.close()
    assert violations == {}, size
