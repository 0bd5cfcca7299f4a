"""Pages built by scripts: their HTML as headless Chromium shows it, through Playwright.

Some help centres send an empty shell and write their text with scripts; the plain fetcher
sees no label there. For such a page (`render: browser`, or every watched page with
`--render always`), the run still probes the URL with the plain fetcher, then asks this
renderer for the page's HTML, which it extracts like any other.

Each page gets a browser context of its own (no cookie, cache or storage carried from one page
to the next), in the link's language (`locale`, `Accept-Language`, `navigator.languages`), with
the fetcher's user agent. Images, media and fonts are never requested. After the document's
`DOMContentLoaded`, the renderer waits for the link's `select` selector, or when there is none
for the network to fall idle, at most the fetch timeout either way, then takes the HTML.

Limits, as for the plain fetch: each page, from opening its context to reading its HTML back,
ends within its deadline (`BrowserSettings.page_deadline`: three times the timeout, for the
document, for its text, for reading it, and never past the per-URL deadline), whatever its
scripts do; closing the context afterwards has a
short grace of its own. Starting Chromium is not counted: it happens once for the whole run,
within `launch_timeout`. The HTML read back is at most the plain fetch's byte cap: the page
measures its document first, stopping as soon as it passes the cap, and a page over it is
reported as too large, not read.

Politeness: a page counts as one request towards its host's limit (`per_host`) and the global
one (`max_concurrency`), like the plain fetcher's; the browser makes several requests to show
it (its scripts, styles and data).

Where the browser may connect: the address policy of `addresses`, as for the plain fetcher.
`page.route` sees the requests Chromium starts, but not the hops of a redirect, and Chromium
resolves host names itself, so checking there cannot be complete. So each page's context goes
through a proxy of its own on loopback (`browser_proxy`), loopback included
(`<-loopback>`): the proxy resolves every host name, refuses the connection unless every
address is allowed, and connects to a vetted address, so a redirect, a script or a DNS answer
cannot take the browser anywhere the plain fetcher could not go. `page.route` also aborts
requests to refused IP literals before they reach the proxy. Service workers are blocked so
that every request is seen; QUIC is turned off, so nothing goes around the proxy over UDP.

WebRTC would: its STUN and media packets are UDP that no proxy sees. Chromium allows no UDP
that does not go through the proxy when the profile's preference `webrtc.ip_handling_policy`
says so (the `--force-webrtc-ip-handling-policy` switch is read by content_shell and
chrome-headless-shell only, not by Chromium), and that preference lives in a profile: Chromium
is started on a profile of its own, written before the start and removed after, and each
page's context, made from it, keeps it, for each of its frames (a worker has no
`RTCPeerConnection` in Chromium). Besides, `RTCPeerConnection` and every other `RTC…` interface
are removed from each frame before its scripts run, so a page cannot even ask.

Playwright is imported only when the first page needs the browser, and Chromium started then.
Without the `browser` extra or without a Chromium executable, the renderer does not fail: each
page it is asked for comes back `unavailable`, with a sentence saying what to install.
Playwright's own browser download is not used: the executable is `settings.executable`
(`OPTOUT_WATCH_CHROMIUM`, by default Debian's `/usr/bin/chromium`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

from optout_watch.fetching.addresses import AddressPolicy
from optout_watch.fetching.browser_model import (
    BrowserSettings,
    Rendered,
    RenderRequest,
    unavailable,
)
from optout_watch.fetching.browser_proxy import GuardedProxy
from optout_watch.fetching.browser_scripts import (
    HTML_WITHIN_CAP_SCRIPT,
    LANGUAGES_SCRIPT,
    NO_WEBRTC_SCRIPT,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Playwright

_LAUNCH_ARGS = (
    # For chrome-headless-shell, which reads no profile preference (see `_PREFERENCES`).
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--disable-quic",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--mute-audio",
)
#: The profile's preferences: WebRTC may send no UDP that does not go through the proxy.
_PREFERENCES = {"webrtc": {"ip_handling_policy": "disable_non_proxied_udp"}}
#: Seconds for a page's context to close, after its deadline.
_CLOSE_GRACE = 5.0


class Renderer:
    """Shows pages in headless Chromium; an async context manager that starts the browser only
    when the first page needs it, and closes it on exit."""

    def __init__(
        self,
        settings: BrowserSettings | None = None,
        *,
        address_policy: AddressPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings or BrowserSettings()
        self._policy = address_policy or AddressPolicy()
        self._clock = clock
        self._global = asyncio.Semaphore(self._settings.max_concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._starting = asyncio.Lock()
        self._started = False
        self._playwright: Playwright | None = None
        self._profile: tempfile.TemporaryDirectory[str] | None = None
        self._launched: BrowserContext | None = None
        self._browser: Browser | None = None
        #: Why there is no browser, once a page needed one and none could start.
        self.unavailable: str | None = None
        #: Pages answered `unavailable`.
        self.unavailable_pages = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._browser = None
        if self._launched is not None:
            with contextlib.suppress(Exception):  # already gone: nothing left to close
                await self._launched.close()  # and with it, Chromium
            self._launched = None
        if self._playwright is not None:
            with contextlib.suppress(Exception):
                await self._playwright.stop()
            self._playwright = None
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None

    async def render_all(
        self,
        requests: Sequence[RenderRequest],
        on_result: Callable[[Rendered], None] | None = None,
    ) -> list[Rendered]:
        """Show every page at once (the limits do the pacing); results in the same order."""

        async def render_one(request: RenderRequest) -> Rendered:
            result = await self.render(request)
            if on_result is not None:
                on_result(result)
            return result

        return list(await asyncio.gather(*(render_one(request) for request in requests)))

    async def render(self, request: RenderRequest) -> Rendered:
        """The page's HTML after its scripts ran; a problem never raises, it becomes `error`."""
        browser = await self._browser_or_none()
        if browser is None:
            assert self.unavailable is not None
            self.unavailable_pages += 1
            return unavailable(request.url, self.unavailable)
        host = urlsplit(request.url).hostname or ""
        slots = self._hosts.setdefault(host, asyncio.Semaphore(self._settings.per_host))
        async with slots, self._global:
            return await self._render(browser, request)

    async def _browser_or_none(self) -> Browser | None:
        async with self._starting:
            if not self._started:
                self._started = True
                self.unavailable = await self._start()
        return self._browser

    async def _start(self) -> str | None:
        """Start Chromium; the reason when it cannot be started."""
        try:
            from playwright.async_api import Error, async_playwright  # noqa: PLC0415
        except ImportError:
            return "the Python package playwright is not installed"
        executable = self._settings.executable
        if not executable.is_file() or not os.access(executable, os.X_OK):
            return f"no Chromium at {executable}; set OPTOUT_WATCH_CHROMIUM to its path"
        # Started on a profile of its own, for its preferences (see the module's docstring).
        # Pages are shown in contexts of their own made from it, never in this one.
        self._profile = tempfile.TemporaryDirectory(prefix="optout-watch-chromium-")
        preferences = Path(self._profile.name, "Default", "Preferences")
        preferences.parent.mkdir()
        preferences.write_text(json.dumps(_PREFERENCES), encoding="utf-8")
        try:
            self._playwright = await async_playwright().start()
            self._launched = await self._playwright.chromium.launch_persistent_context(
                self._profile.name,
                executable_path=str(executable),
                headless=True,
                args=list(_LAUNCH_ARGS),
                timeout=self._settings.launch_timeout * 1000,
            )
        except Error as error:
            await self.aclose()
            return f"Chromium at {executable} did not start: {_first_line(error.message)}"
        self._browser = self._launched.browser
        assert self._browser is not None, "a launched Chromium has its browser"
        return None

    async def _render(self, browser: Browser, request: RenderRequest) -> Rendered:
        from playwright.async_api import Error  # noqa: PLC0415

        started = self._clock()
        settings = self._settings
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + settings.page_deadline

        def step_ms() -> float:
            """The step's timeout: the fetch timeout, or less when the deadline is nearer (at
            least a millisecond: Playwright takes 0 for no timeout at all)."""
            return max(0.001, min(settings.timeout, ends_at - loop.time())) * 1000

        proxy = GuardedProxy(self._policy, settings.timeout)
        status: int | None = None
        final_url = request.url
        context: BrowserContext | None = None
        try:
            async with asyncio.timeout_at(ends_at):
                proxy_url = await proxy.start()
                lang = request.lang
                context = await browser.new_context(
                    user_agent=settings.user_agent,
                    locale=lang,
                    extra_http_headers={"Accept-Language": lang} if lang else None,
                    service_workers="block",
                    accept_downloads=False,
                    proxy={"server": proxy_url, "bypass": "<-loopback>"},
                )
                await context.add_init_script(NO_WEBRTC_SCRIPT)
                if lang:
                    script = LANGUAGES_SCRIPT.format(languages=json.dumps([lang]))
                    await context.add_init_script(script)
                page = await context.new_page()
                await page.route("**/*", proxy.route)
                response = await page.goto(
                    request.url, wait_until="domcontentloaded", timeout=step_ms()
                )
                status = response.status if response is not None else None
                final_url = page.url
                await _settle(page, request.select, step_ms())
                html = await _html(page, settings.max_bytes, step_ms)
                final_url = page.url
        except (Error, OSError, TimeoutError) as error:
            if isinstance(error, TimeoutError):
                message = (
                    f"timeout: the browser did not show {request.url} within its deadline of "
                    f"{settings.page_deadline:g} s"
                )
            else:
                text = error.message if isinstance(error, Error) else str(error)
                message = _describe(text, request.url, settings.timeout)
            refusal = proxy.refusal()
            return self._result(
                request, started, final_url=final_url, status=status, error=refusal or message
            )
        finally:
            if context is not None:
                with contextlib.suppress(Error, TimeoutError):
                    await asyncio.wait_for(context.close(), _CLOSE_GRACE)
            await proxy.close()
        refusal = proxy.refusal(urlsplit(final_url).hostname)
        if html is None:
            refusal = refusal or _too_large(final_url, settings.max_bytes)
        return self._result(
            request, started, final_url=final_url, status=status, html=html or "", error=refusal
        )

    def _result(
        self,
        request: RenderRequest,
        started: float,
        *,
        final_url: str,
        status: int | None,
        html: str = "",
        error: str | None,
    ) -> Rendered:
        elapsed = round((self._clock() - started) * 1000)
        return Rendered(request.url, final_url, status, "" if error else html, elapsed, error)


async def _settle(page: Page, select: str | None, timeout_ms: float) -> None:
    """Wait until the page's text is there: `select` matches, or the network is idle. A page
    that never gets there is taken as it is (a selector matching nothing is then reported by
    the extraction, as for a plain page)."""
    from playwright.async_api import Error  # noqa: PLC0415

    with contextlib.suppress(Error):
        if select is not None:
            await page.wait_for_selector(f"css={select}", state="attached", timeout=timeout_ms)
        else:
            await page.wait_for_load_state("networkidle", timeout=timeout_ms)


async def _html(page: Page, max_bytes: int, step_ms: Callable[[], float]) -> str | None:
    """The page's HTML, or None when it is longer than `max_bytes`; a page that navigates
    again by itself (a script setting `location`) is given time to load the new document,
    once."""
    from playwright.async_api import Error  # noqa: PLC0415

    try:
        html: str | None = await page.evaluate(HTML_WITHIN_CAP_SCRIPT, max_bytes)
    except Error:
        await page.wait_for_load_state("domcontentloaded", timeout=step_ms())
        html = await page.evaluate(HTML_WITHIN_CAP_SCRIPT, max_bytes)
    return html


def _too_large(url: str, max_bytes: int) -> str:
    return (
        f"too large: the page the browser shows at {url} is more than {max_bytes / 2**20:g} MiB "
        f"({max_bytes:,} bytes) of HTML; it was not read"
    )


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "no reason given"


def _describe(message: str, url: str, timeout: float) -> str:
    """Playwright's message (`Page.goto: net::ERR_… at URL` and a call log) as a sentence."""
    line = _first_line(message)
    line = line.split(": ", 1)[1] if line.startswith(("Page.", "BrowserContext.")) else line
    if line.startswith("Timeout "):
        return f"timeout: the browser did not load {url} within {timeout:g} s"
    return f"the browser could not load {url}: {line}"
