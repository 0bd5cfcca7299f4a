"""The rendered guide served from loopback and a headless Chromium (`/usr/bin/chromium`, or
`OPTOUT_WATCH_CHROMIUM`) to read it, each request checked. Fixtures, registered by the root
conftest."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, ViewportSize, sync_playwright

from optout_watch.guide.html import render_site
from tests.support import alerts_reports as reports
from tests.support.guide import FAQ, committed_platforms, faq_page_with_a_missing_label

CHROMIUM = Path(os.environ.get("OPTOUT_WATCH_CHROMIUM", "/usr/bin/chromium"))


DESKTOP: ViewportSize = {"width": 1280, "height": 800}


PHONE: ViewportSize = {"width": 390, "height": 844}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def guide_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = reports.report(
        links=[reports.link(FAQ, uses=[reports.use("openai-chatgpt", "data-controls-faq")])],
        pages=[faq_page_with_a_missing_label()],
    )
    files = render_site(committed_platforms(), reports.view(data))
    folder = tmp_path_factory.mktemp("site")
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def origin(guide_site: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(guide_site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.is_file(), f"no Chromium at {CHROMIUM}; set OPTOUT_WATCH_CHROMIUM"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("OPTOUT_WATCH_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Guarded:
    """A page whose every request is checked: the local site is served, anything else is
    aborted and recorded."""

    def __init__(self, browser: Browser, origin: str, viewport: ViewportSize) -> None:
        self.context = browser.new_context(viewport=viewport, service_workers="block")
        self.page: Page = self.context.new_page()
        self.left: list[str] = []
        self.errors: list[str] = []
        local = urlsplit(origin).netloc

        def route(route: Route) -> None:
            if urlsplit(route.request.url).netloc == local:
                route.continue_()
            else:
                self.left.append(route.request.url)
                route.abort()

        self.page.route("**/*", route)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def close(self) -> None:
        self.context.close()
        assert self.left == [], "requests left the local site"
        assert self.errors == []
