"""The rendered guide in a real browser: headless Chromium (`/usr/bin/chromium`, or
`OPTOUT_WATCH_CHROMIUM`) driven by Playwright, the site served from loopback. Search, the
language switch, a platform page, the keyboard, contrast and the phone-sized layout; any
request that would leave the local site fails the test. Nothing here is skipped: a missing
browser is a failure.

Screenshots of the index and of one platform page, at desktop (1280×800) and phone (390×844)
sizes, go to `OPTOUT_WATCH_SCREENSHOTS` when set, else to pytest's tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from optout_watch.catalogue.models import Procedure
from tests.support.guide import FAQ, committed_platforms
from tests.support.guide_browser import DESKTOP, PHONE, Guarded

# Starts headless Chromium: left out of the quick loop (`-m "not browser"`).
pytestmark = pytest.mark.browser


@pytest.fixture
def desktop(browser: Browser, origin: str) -> Iterator[Guarded]:
    guarded = Guarded(browser, origin, DESKTOP)
    yield guarded
    guarded.close()


def _visible_platforms(page: Page) -> list[str]:
    return page.locator("#platforms > li.platform:visible h3").all_inner_texts()


def test_search_switch_language_open_a_platform_and_use_the_keyboard(
    desktop: Guarded, origin: str
) -> None:
    platforms = committed_platforms()

    def expected(test: Callable[[Procedure], bool]) -> list[str]:
        """The services, in the index's order, with a procedure that passes `test`."""
        chosen = [p for p in platforms if any(test(q) for q in p.procedures)]
        return [p.service for p in sorted(chosen, key=lambda p: (p.service.casefold(), p.id))]

    page = desktop.page
    page.goto(f"{origin}/index.html")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("link", name="Lire le guide en français").click()
    page.wait_for_url(f"{origin}/fr/index.html")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert len(_visible_platforms(page)) == 10
    assert page.locator("#shown").inner_text() == "10 plateformes affichées"

    search = page.get_by_label("Rechercher une plateforme")
    search.fill("ChatGPT")
    assert _visible_platforms(page) == ["ChatGPT"]
    assert page.locator("#shown").inner_text() == "1 plateforme affichée"
    search.fill("chatgpt  ")  # case and spaces do not matter
    assert _visible_platforms(page) == ["ChatGPT"]
    search.fill("meta")
    assert _visible_platforms(page) == ["Meta AI", "WhatsApp"]
    search.fill("zzz")
    assert _visible_platforms(page) == []
    assert page.locator("#shown").inner_text() == "Aucune plateforme ne correspond à la recherche."
    search.fill("")
    no_account = page.get_by_label("Seulement les démarches possibles sans compte")
    no_account.check()
    assert _visible_platforms(page) == expected(lambda p: p.requires_account is False)
    no_account.uncheck()
    page.get_by_label("Démarche", exact=True).select_option("form")
    assert _visible_platforms(page) == expected(lambda p: p.channel == "form")
    page.get_by_label("Appareil", exact=True).select_option("android")
    assert _visible_platforms(page) == expected(
        lambda p: p.channel == "form" and "android" in p.surfaces
    )
    page.get_by_label("Démarche", exact=True).select_option("")
    assert _visible_platforms(page) == expected(lambda p: "android" in p.surfaces)
    page.get_by_label("Appareil", exact=True).select_option("")
    assert len(_visible_platforms(page)) == 10

    page.get_by_role("navigation", name="Langue").get_by_role("link", name="English").click()
    page.wait_for_url(f"{origin}/en/index.html")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Search for a platform").fill("ChatGPT")
    assert _visible_platforms(page) == ["ChatGPT"]
    page.locator("#platforms").get_by_role("link", name="ChatGPT", exact=True).click()
    page.wait_for_url(f"{origin}/en/openai-chatgpt.html")

    assert page.locator("h1").inner_text().startswith("ChatGPT")
    label = page.locator(".ui-label", has_text="Data Controls").first
    assert label.is_visible()
    link = page.get_by_role("link", name="Data Controls FAQ").first
    assert link.is_visible()
    assert link.get_attribute("href") == FAQ  # not followed: it leads off the site
    freshness = page.locator(".freshness").inner_text()
    assert freshness.startswith("Checked automatically on 1 December 2026: not found")
    gone = page.locator(".label-check.gone").first
    assert gone.is_visible()
    assert "not found on the help page when checked on 1 December 2026" in gone.inner_text()

    # The keyboard reaches the skip link first, then the links and controls, and shows where
    # it is.
    focused: list[dict[str, str]] = []
    for _ in range(30):  # the page's last link, then the focus leaves the page
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break
        focused.append(
            page.evaluate(
                """() => {
                  const e = document.activeElement;
                  const s = getComputedStyle(e);
                  return {tag: e.tagName, text: e.textContent.trim(),
                          href: e.getAttribute('href') || '',
                          outline: s.outlineStyle, width: s.outlineWidth};
                }"""
            )
        )
    assert focused[0]["text"] == "Skip to content"
    assert len(focused) >= 6
    assert all(f["tag"] in {"A", "INPUT", "SELECT", "BUTTON", "SUMMARY"} for f in focused)
    assert all(
        f["outline"] != "none" and float(f["width"].removesuffix("px")) >= 2 for f in focused
    )
    assert any(f["href"] == "../fr/openai-chatgpt.html" for f in focused)
    assert any(f["href"] == FAQ for f in focused)
    # The skip link takes the keyboard to the content.
    page.keyboard.press("Shift+Tab")
    page.goto(f"{origin}/en/openai-chatgpt.html")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


#: Every element with its own text: the contrast of its colour against the first opaque
#: background behind it (WCAG 2 relative luminance).
CONTRAST = """() => {
  const channel = (c) => {
    c /= 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const parse = (s) => s.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] === 1) { return c; }
    }
    return [255, 255, 255];
  };
  const low = [];
  let checked = 0;
  for (const e of document.querySelectorAll('body *')) {
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const hidden = getComputedStyle(e).visibility === 'hidden';
    if (!own || !e.getClientRects().length || hidden) { continue; }
    const fg = luminance(parse(getComputedStyle(e).color));
    const bg = luminance(background(e));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    checked += 1;
    if (ratio < 4.5) { low.push(`${e.tagName}.${e.className}: ${ratio.toFixed(2)}`); }
  }
  return {checked, low};
}"""


@pytest.mark.parametrize("path", ["index.html", "en/index.html", "fr/openai-chatgpt.html",
                                  "en/meta-ai.html"])  # fmt: skip
def test_text_contrast_is_at_least_4_5(desktop: Guarded, origin: str, path: str) -> None:
    desktop.page.goto(f"{origin}/{path}")
    result = desktop.page.evaluate(CONTRAST)
    assert result["checked"] >= 6
    assert result["low"] == []


def test_screenshots_at_desktop_and_phone_sizes(
    browser: Browser, origin: str, screenshots: Path
) -> None:
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        guarded = Guarded(browser, origin, viewport)
        page = guarded.page
        for name, path in (("index", "en/index.html"), ("platform", "en/openai-chatgpt.html")):
            page.goto(f"{origin}/{path}")
            # Nothing wider than the screen: no sideways scrolling on a phone.
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            target = screenshots / f"{name}-{size}.png"
            page.screenshot(path=str(target))
            assert target.stat().st_size > 5_000
        guarded.close()
    assert sorted(p.name for p in screenshots.glob("*.png")) >= [
        "index-desktop.png", "index-phone.png", "platform-desktop.png", "platform-phone.png",
    ]  # fmt: skip


def test_the_print_stylesheet_hides_the_controls_and_shows_addresses(
    desktop: Guarded, origin: str
) -> None:
    page = desktop.page
    page.goto(f"{origin}/en/openai-chatgpt.html")
    page.emulate_media(media="print")
    assert page.locator("nav.languages").is_hidden()
    after = page.evaluate(
        "getComputedStyle(document.querySelector('main a[href^=\"http\"]'), '::after').content"
    )
    assert FAQ in after
    page.goto(f"{origin}/en/index.html")
    assert page.locator("#filters").is_hidden()
