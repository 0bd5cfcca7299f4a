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
through a proxy of its own on loopback (`_GuardedProxy`), loopback included
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
import socket
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

from optout_watch.fetching.addresses import AddressPolicy, NonPublicAddress, ip_literal
from optout_watch.fetching.fetch import DEFAULT_SETTINGS as FETCH_DEFAULTS
from optout_watch.settings import DEFAULTS

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Playwright, Route

#: What a page that needs the browser says when there is none.
NEEDS_BROWSER = (
    "needs a browser to show its text: install optout-watch[browser] and Chromium ({reason})"
)
#: Requests the browser never makes: nothing in them is text.
BLOCKED_RESOURCES = frozenset({"image", "media", "font"})
_CHUNK = 64 * 1024
#: The longest request or response head the proxy reads.
_HEAD_LIMIT = 1024 * 1024
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authorization"})
_LAUNCH_ARGS = (
    # For chrome-headless-shell, which reads no profile preference (see `_PREFERENCES`).
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--disable-quic",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--mute-audio",
)
#: The profile's preferences: WebRTC may send no UDP that does not go through the proxy.
_PREFERENCES = {"webrtc": {"ip_handling_policy": "disable_non_proxied_udp"}}
#: Run in every frame before its scripts: no WebRTC interface is left to call.
_NO_WEBRTC_SCRIPT = """(() => {
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (/^(webkit)?RTC/.test(name)) delete globalThis[name];
  }
})();"""
#: The page's HTML, as `page.content()` makes it, unless it is longer than `cap` bytes in
#: UTF-8: then null. The document is measured first, node by node, stopping as soon as the
#: count passes the cap, so that a huge page is refused without being serialised. The count
#: leaves out markup escapes and template contents, hence the check of the HTML itself.
_HTML_WITHIN_CAP_SCRIPT = """(cap) => {
  let size = 0;
  const walker = document.createTreeWalker(document);
  for (let node = walker.currentNode; node !== null && size <= cap; node = walker.nextNode()) {
    if (node.nodeType === Node.ELEMENT_NODE) {
      size += 2 * node.localName.length + 5;
      for (const { name, value } of node.attributes) size += name.length + value.length + 4;
    } else if (node.nodeValue !== null) {
      size += node.nodeValue.length;
    }
  }
  if (size > cap) return null;
  const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : "";
  const html = doctype + (document.documentElement ? document.documentElement.outerHTML : "");
  return new TextEncoder().encode(html).length > cap ? null : html;
}"""
#: Seconds for a page's context to close, after its deadline.
_CLOSE_GRACE = 5.0
_LANGUAGES_SCRIPT = """(() => {{
  const languages = Object.freeze({languages});
  for (const [name, value] of [["languages", languages], ["language", languages[0]]]) {{
    Object.defineProperty(Navigator.prototype, name, {{ get: () => value, configurable: true }});
  }}
}})();"""


@dataclass(frozen=True, slots=True)
class BrowserSettings:
    executable: Path = DEFAULTS.chromium
    timeout: float = DEFAULTS.timeout
    """Seconds for the document to load, again for its text to appear, and again to read it."""
    max_concurrency: int = DEFAULTS.max_concurrency
    per_host: int = DEFAULTS.per_host
    user_agent: str = DEFAULTS.user_agent
    deadline: float = DEFAULTS.deadline
    """Seconds for one URL at most, as for the plain fetch."""
    launch_timeout: float = 30.0
    max_bytes: int = FETCH_DEFAULTS.max_bytes
    """The longest HTML read back from a page (UTF-8 bytes), as the plain fetch's body."""

    @property
    def page_deadline(self) -> float:
        """Seconds for one page, every step from opening its context to reading its HTML: the
        three timeouts, which also bound what has no timeout of its own (making the page), and
        never more than the per-URL deadline."""
        return min(3 * self.timeout, self.deadline)


@dataclass(frozen=True, slots=True)
class RenderRequest:
    url: str
    """The URL to show, already remapped by the caller."""
    lang: str | None = None
    """The link's language: the context's locale, `Accept-Language` and `navigator.languages`."""
    select: str | None = None
    """A CSS selector to wait for: the page's text is there once it matches."""


@dataclass(frozen=True, slots=True)
class Rendered:
    url: str
    """As requested."""
    final_url: str
    status: int | None
    """The document's final status; None when none came."""
    html: str
    elapsed_ms: int
    error: str | None = None
    """A sentence a person understands; None when the page was shown."""
    unavailable: bool = False
    """There is no browser to show pages (`error` says what to install)."""


def unavailable(url: str, reason: str) -> Rendered:
    """The answer for a page when no browser can show it."""
    return Rendered(url, url, None, "", 0, NEEDS_BROWSER.format(reason=reason), unavailable=True)


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

        proxy = _GuardedProxy(self._policy, settings.timeout)
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
                await context.add_init_script(_NO_WEBRTC_SCRIPT)
                if lang:
                    script = _LANGUAGES_SCRIPT.format(languages=json.dumps([lang]))
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
        html: str | None = await page.evaluate(_HTML_WITHIN_CAP_SCRIPT, max_bytes)
    except Error:
        await page.wait_for_load_state("domcontentloaded", timeout=step_ms())
        html = await page.evaluate(_HTML_WITHIN_CAP_SCRIPT, max_bytes)
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


@dataclass(frozen=True, slots=True)
class _Forwarded:
    """A plain HTTP request the proxy forwards: its request line and its header lines."""

    method: str
    target: str
    version: str
    headers: list[str]


@dataclass(slots=True)
class _Refusal:
    host: str
    message: str


@dataclass  # no slots: Playwright marks the route handler's owner with an attribute
class _GuardedProxy:
    """An HTTP proxy on loopback for one page's context: it connects only where the address
    policy allows, to an address it resolved and vetted itself, and remembers what it
    refused. HTTPS (and WebSockets) pass through `CONNECT` tunnels; plain HTTP requests are
    forwarded one per connection (`Connection: close`), so that no request on a kept-alive
    connection can reach a host that was not vetted."""

    policy: AddressPolicy
    timeout: float
    refused: list[_Refusal] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=_HEAD_LIMIT)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    def refusal(self, host: str | None = None) -> str | None:
        """What was refused (for `host` only, when given), as a sentence."""
        for refused in self.refused:
            if host is None or refused.host == host.strip("[]").lower():
                return (
                    f"refused to connect: {refused.message}; nothing was fetched there (only "
                    "the hosts a --remap rule names may be non-public)"
                )
        return None

    async def route(self, route: Route) -> None:
        """Every request of the page: no images, media or fonts, no refused IP literal."""
        from playwright.async_api import Error  # noqa: PLC0415

        request = route.request
        blocked = request.resource_type in BLOCKED_RESOURCES
        host = urlsplit(request.url).hostname or ""
        literal = ip_literal(host)
        if not blocked and literal is not None:
            try:
                self.policy.check(host, [literal])
            except NonPublicAddress as refused:
                self.refused.append(_Refusal(host.lower(), str(refused)))
                blocked = True
        with contextlib.suppress(Error):  # the page closed meanwhile
            await (route.abort("blockedbyclient") if blocked else route.continue_())

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.timeout)
            request_line, *lines = head.decode("latin-1").split("\r\n")
            method, target, version = request_line.split(" ", 2)
            if method == "CONNECT":
                await self._tunnel(target, reader, writer)
            else:
                forwarded = _Forwarded(method, target, version, [line for line in lines if line])
                await self._forward(forwarded, reader, writer)
        except (
            OSError,
            ValueError,
            TimeoutError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ):
            pass  # the browser or the server went away, or sent nonsense: nothing to answer
        except asyncio.CancelledError:
            # Closing. Ending quietly rather than cancelled, because the stream server's
            # done-callback calls `task.exception()`, which raises on a cancelled task.
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _connect(
        self, host: str, port: int, writer: asyncio.StreamWriter
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A connection to a vetted address of `host`, or None after answering the browser."""
        host = host.strip("[]").lower()
        try:
            address = await self._vet(host, port)
            return await asyncio.wait_for(
                asyncio.open_connection(address, port, limit=_HEAD_LIMIT), self.timeout
            )
        except NonPublicAddress as refused:
            self.refused.append(_Refusal(host, str(refused)))
            writer.write(_answer(403, "Forbidden"))
        except (OSError, TimeoutError):
            writer.write(_answer(502, "Bad Gateway"))
        await writer.drain()
        return None

    async def _vet(self, host: str, port: int) -> str:
        literal = ip_literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
            addresses = [str(entry[4][0]) for entry in found]
        if not addresses:
            raise OSError(f"{host} has no address")
        self.policy.check(host, addresses)
        return addresses[0]

    async def _tunnel(
        self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        host, _, port = target.rpartition(":")
        upstream = await self._connect(host, int(port), writer)
        if upstream is None:
            return
        up_reader, up_writer = upstream
        try:
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await writer.drain()
            pipes = {
                asyncio.create_task(_pipe(reader, up_writer)),
                asyncio.create_task(_pipe(up_reader, writer)),
            }
            try:
                await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pipe in pipes:
                    pipe.cancel()
                await asyncio.gather(*pipes, return_exceptions=True)
        finally:
            up_writer.close()

    async def _forward(
        self, request: _Forwarded, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        url = urlsplit(request.target)
        if url.scheme != "http" or not url.hostname:
            writer.write(_answer(400, "Bad Request"))
            return
        upstream = await self._connect(url.hostname, url.port or 80, writer)
        if upstream is None:
            return
        up_reader, up_writer = upstream
        try:
            path = (url.path or "/") + (f"?{url.query}" if url.query else "")
            kept = [line for line in request.headers if _name(line) not in _HOP_BY_HOP]
            head = f"{request.method} {path} {request.version}\r\n"
            head += "".join(f"{line}\r\n" for line in kept)
            up_writer.write((head + "Connection: close\r\n\r\n").encode("latin-1"))
            length = next((line for line in kept if _name(line) == "content-length"), None)
            if length is not None and (size := int(length.partition(":")[2])):
                up_writer.write(await reader.readexactly(size))
            await up_writer.drain()
            await self._relay_response(up_reader, writer)
        finally:
            up_writer.close()

    async def _relay_response(
        self, up_reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """The response with `Connection: close` (the browser opens a new connection for its
        next request), then its body as it comes."""
        while True:
            head = await up_reader.readuntil(b"\r\n\r\n")
            status_line, *lines = head.decode("latin-1").split("\r\n")
            kept = [line for line in lines if line and _name(line) not in _HOP_BY_HOP]
            informational = status_line.split(" ", 2)[1].startswith("1")
            if not informational:
                kept.append("Connection: close")
            writer.write(
                (status_line + "\r\n" + "".join(f"{line}\r\n" for line in kept) + "\r\n").encode(
                    "latin-1"
                )
            )
            if not informational:
                break
        await _pipe(up_reader, writer)


def _name(header_line: str) -> str:
    return header_line.partition(":")[0].strip().lower()


def _answer(status: int, phrase: str) -> bytes:
    return f"HTTP/1.1 {status} {phrase}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while chunk := await source.read(_CHUNK):
            sink.write(chunk)
            await sink.drain()
