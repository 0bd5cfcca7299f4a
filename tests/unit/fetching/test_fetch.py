"""The fetcher against real HTTP servers on loopback, each scenario judged too."""

from __future__ import annotations

import asyncio
import gzip
import socket
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import brotli  # type: ignore[import-untyped]
import httpcore
import httpx
import pytest

from optout_watch.fetching.failures import FetchErrorKind, Outcome
from optout_watch.fetching.judge import Verdict, judge
from optout_watch.fetching.model import FetchRequest, FetchSettings, Validators
from tests.support.fetcher import QUICK, FakeTime, fetch, fetch_all, make_fetcher
from tests.support.loopback import Loopback, Reply, Request, Server, unused_port

HTML = {"Content-Type": "text/html; charset=utf-8"}


def page(title: str, heading: str = "Settings") -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body><h1>{heading}</h1></body></html>".encode()
    )


# Status codes


def test_200_is_ok_and_sends_our_headers(server: Server) -> None:
    server.route("/privacy", Reply(200, {**HTML, "ETag": '"v1"'}, page("Privacy")))
    result = fetch(FetchRequest(server.url("/privacy"), accept_language="fr"))
    assert (result.status, result.attempts, result.redirects) == (200, 1, ())
    assert result.validators == Validators(etag='"v1"')
    assert judge(result).outcome == Outcome.OK
    assert judge(result).reason == "HTTP 200 OK"
    [sent] = server.requests
    assert sent.method == "GET"
    assert sent.headers["user-agent"].startswith("optout-watch/")
    assert "github.com/optout-watch/optout-watch" in sent.headers["user-agent"]
    assert sent.headers["accept-language"] == "fr"


def test_304_after_a_stored_etag_is_ok(server: Server) -> None:
    server.route("/privacy", Reply(304))
    stored = Validators(etag='"v1"', last_modified="Tue, 31 Dec 2024 10:00:00 GMT")
    result = fetch(FetchRequest(server.url("/privacy"), validators=stored))
    assert server.requests[0].headers["if-none-match"] == '"v1"'
    assert server.requests[0].headers["if-modified-since"] == "Tue, 31 Dec 2024 10:00:00 GMT"
    assert result.status == 304
    assert result.validators == stored
    assert judge(result) == Verdict(Outcome.OK, "HTTP 304 Not Modified")


@pytest.mark.parametrize(("status", "reason"), [(404, "Not Found"), (410, "Gone")])
def test_404_and_410_are_broken(server: Server, status: int, reason: str) -> None:
    server.route("/gone", Reply(status, HTML, page("Oops")))
    verdict = judge(fetch(server.url("/gone")))
    assert verdict.outcome == Outcome.BROKEN
    assert verdict.reason == f"HTTP {status} {reason}"


def test_401_is_blocked(server: Server) -> None:
    server.route("/account", Reply(401, {"WWW-Authenticate": "Basic"}))
    verdict = judge(fetch(server.url("/account")))
    assert verdict.outcome == Outcome.BLOCKED
    assert verdict.reason == "HTTP 401 Unauthorized: the page asks for credentials"


def test_status_999_is_blocked(server: Server) -> None:
    server.route("/in/company", Reply(999, HTML, b"<html></html>"))
    verdict = judge(fetch(server.url("/in/company")))
    assert verdict.outcome == Outcome.BLOCKED
    assert verdict.reason == "HTTP 999: LinkedIn's answer to automated requests"


def test_cloudflare_challenge_is_blocked(server: Server) -> None:
    challenge = Reply(
        403,
        {**HTML, "cf-mitigated": "challenge"},
        b"<html><head><title>Just a moment...</title></head>"
        b"<body><script src='/cdn-cgi/challenge-platform/x.js'></script></body></html>",
    )
    server.route("/help", challenge)
    verdict = judge(fetch(server.url("/help")))
    assert verdict.outcome == Outcome.BLOCKED
    assert verdict.reason == (
        "HTTP 403 Forbidden with a bot challenge (header cf-mitigated: challenge; "
        "title “Just a moment...”; marker challenge-platform)"
    )


# Redirects


def test_301_to_a_working_page_is_redirected(server: Server) -> None:
    server.route("/old", Reply(301, {"Location": "/new/place"}))
    server.route("/new/place", Reply(200, HTML, page("New")))
    result = fetch(server.url("/old"))
    assert result.final_url == server.url("/new/place")
    assert [(hop.url, hop.status, hop.location) for hop in result.redirects] == [
        (server.url("/old"), 301, server.url("/new/place"))
    ]
    verdict = judge(result)
    assert verdict.outcome == Outcome.REDIRECTED
    assert verdict.new_url == server.url("/new/place")
    assert verdict.reason == f"moved permanently (HTTP 301) to {server.url('/new/place')}"


def test_trailing_slash_redirect_is_ok(server: Server) -> None:
    server.route("/privacy", Reply(301, {"Location": "/privacy/"}))
    server.route("/privacy/", Reply(200, HTML, page("Privacy")))
    verdict = judge(fetch(server.url("/privacy")))
    assert verdict.outcome == Outcome.OK
    assert verdict.reason == "HTTP 200 OK after a trivial redirect (trailing slash)"


def test_locale_redirects_are_ok(server: Server) -> None:
    server.route("/privacy", Reply(301, {"Location": "/fr-fr/privacy"}))
    server.route("/fr-fr/privacy", Reply(302, {"Location": "/fr-fr/privacy?hl=fr"}))
    server.route("/fr-fr/privacy?hl=fr", Reply(200, HTML, page("Confidentialité")))
    result = fetch(FetchRequest(server.url("/privacy"), accept_language="fr"))
    assert len(result.redirects) == 2
    verdict = judge(result)
    assert verdict.outcome == Outcome.OK
    assert verdict.reason == "HTTP 200 OK after a trivial redirect (locale)"


def test_temporary_redirect_to_a_working_page_is_ok(server: Server) -> None:
    server.route("/latest", Reply(302, {"Location": "/2025/guide"}))
    server.route("/2025/guide", Reply(200, HTML, page("Guide")))
    verdict = judge(fetch(server.url("/latest")))
    assert verdict.outcome == Outcome.OK
    assert verdict.reason == (
        f"HTTP 200 OK after a temporary redirect (HTTP 302) to {server.url('/2025/guide')}"
    )


def test_redirect_across_hosts_takes_each_hosts_slot(net: Loopback) -> None:
    old, new = net.server("127.0.0.2"), net.server("127.0.0.3")
    old.route("/a", Reply(308, {"Location": new.url("/b")}))
    new.route("/b", Reply(200, HTML, page("B")))
    verdict = judge(fetch(old.url("/a")))
    assert (len(old.requests), len(new.requests)) == (1, 1)
    assert verdict == Verdict(
        Outcome.REDIRECTED, f"moved permanently (HTTP 308) to {new.url('/b')}", new.url("/b")
    )


def test_redirect_loop_is_broken(server: Server) -> None:
    server.route("/a", Reply(302, {"Location": "/b"}))
    server.route("/b", Reply(302, {"Location": "/a"}))
    result = fetch(server.url("/a"))
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.REDIRECT_LOOP
    assert len(server.requests) == 2
    verdict = judge(result)
    assert verdict.outcome == Outcome.BROKEN
    assert verdict.reason == (
        f"redirect loop: {server.url('/b')} redirects to {server.url('/a')}, "
        "already seen in this chain"
    )


def chain(server: Server, length: int) -> None:
    for step in range(length):
        server.route(f"/{step}", Reply(301 if step % 2 else 302, {"Location": f"/{step + 1}"}))
    server.route(f"/{length}", Reply(200, HTML, page("End")))


def test_chain_of_ten_redirects_is_followed(server: Server) -> None:
    chain(server, 10)
    result = fetch(server.url("/0"))
    assert (result.status, len(result.redirects)) == (200, 10)
    assert judge(result).outcome == Outcome.REDIRECTED


def test_chain_longer_than_ten_is_broken(server: Server) -> None:
    chain(server, 11)
    result = fetch(server.url("/0"))
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.TOO_MANY_REDIRECTS
    assert len(server.requests) == 11
    verdict = judge(result)
    assert verdict.outcome == Outcome.BROKEN
    assert verdict.reason == (
        f"more than 10 redirects; the last one went from {server.url('/10')} to {server.url('/11')}"
    )


def test_redirect_to_another_scheme_is_broken(server: Server) -> None:
    server.route("/contact", Reply(302, {"Location": "mailto:privacy@example.com"}))
    verdict = judge(fetch(server.url("/contact")))
    assert verdict.outcome == Outcome.BROKEN
    assert verdict.reason == (
        f"{server.url('/contact')} redirects to an unusable location 'mailto:privacy@example.com'"
    )


def test_url_that_is_not_http_is_broken_without_a_request() -> None:
    result = fetch("ftp://files.example.com/optout.txt")
    assert result.attempts == 0
    verdict = judge(result)
    assert verdict.outcome == Outcome.BROKEN
    assert verdict.reason == (
        "not an http(s) URL with a host name: 'ftp://files.example.com/optout.txt'"
    )


# Soft 404s


def test_soft_404_in_english(server: Server) -> None:
    server.route("/settings/ai", Reply(200, HTML, page("Help Center", "We can’t find that page")))
    verdict = judge(fetch(server.url("/settings/ai")))
    assert verdict.outcome == Outcome.BROKEN
    assert verdict.reason == "soft 404: the first heading says “We can’t find that page”"


def test_soft_404_in_french(server: Server) -> None:
    server.route("/parametres", Reply(200, HTML, page("Page introuvable – Aide")))
    verdict = judge(fetch(server.url("/parametres")))
    assert verdict.outcome == Outcome.BROKEN
    assert verdict.reason == "soft 404: the page title says “Page introuvable – Aide”"


def test_deep_link_redirected_home_is_a_soft_404(server: Server) -> None:
    server.route("/help/ai/opt-out", Reply(301, {"Location": "/"}))
    server.route("/", Reply(200, HTML, page("Welcome")))
    verdict = judge(fetch(server.url("/help/ai/opt-out")))
    assert verdict.outcome == Outcome.BROKEN
    assert verdict.reason == (
        f"soft 404: the deep link was redirected to the site's home ({server.url('/')})"
    )


def test_redirect_to_sign_in_is_a_soft_404_unless_expected(server: Server) -> None:
    server.route("/settings/privacy", Reply(302, {"Location": "/login?next=/settings/privacy"}))
    server.route("/login", Reply(200, HTML, page("Sign in")))
    result = fetch(server.url("/settings/privacy"))
    sign_in = server.url("/login?next=/settings/privacy")
    assert judge(result) == Verdict(
        Outcome.BROKEN, f"soft 404: redirected to a sign-in page ({sign_in})"
    )
    expected = judge(result, sign_in_expected=True)
    assert expected.outcome == Outcome.OK
    assert expected.reason == (
        f"HTTP 200 OK on a sign-in page ({sign_in}), as expected for a page that needs an account"
    )


# Retries


def test_429_with_retry_after_seconds_then_200(server: Server) -> None:
    server.route("/p", Reply(429, {"Retry-After": "3"}), Reply(200, HTML, page("P")))
    fake = FakeTime()
    result = fetch(server.url("/p"), fake=fake)
    assert fake.sleeps == [3.0]
    assert (result.status, result.attempts) == (200, 2)
    assert judge(result).reason == "HTTP 200 OK"


def test_429_with_retry_after_date_then_200(server: Server) -> None:
    later = "Wed, 01 Jan 2025 12:00:07 GMT"  # EPOCH + 7 s
    server.route("/p", Reply(429, {"Retry-After": later}), Reply(200, HTML, page("P")))
    fake = FakeTime()
    result = fetch(server.url("/p"), fake=fake)
    assert fake.sleeps == [7.0]
    assert judge(result).outcome == Outcome.OK


def test_429_that_never_clears_is_blocked(server: Server) -> None:
    server.route("/p", Reply(429, {"Retry-After": "1"}))
    result = fetch(server.url("/p"))
    assert result.attempts == 4
    verdict = judge(result)
    assert verdict.outcome == Outcome.BLOCKED
    assert verdict.reason == "HTTP 429 Too Many Requests, still after 4 attempts"


def test_503_then_200_is_ok(server: Server) -> None:
    server.route("/p", Reply(503), Reply(200, HTML, page("P")))
    fake = FakeTime(frozen=True)
    result = fetch(server.url("/p"), fake=fake)
    assert result.attempts == 2
    # A jittered backoff of at most 0.5 s, then what is left of the host's widened interval.
    assert 0.0 <= fake.sleeps[0] <= QUICK.backoff_base
    assert sum(fake.sleeps) == pytest.approx(QUICK.backoff_base)
    assert judge(result) == Verdict(Outcome.OK, "HTTP 200 OK")


def test_503_always_is_an_error_after_the_retries(server: Server) -> None:
    server.route("/p", Reply(503))
    fake = FakeTime(frozen=True)
    result = fetch(server.url("/p"), fake=fake)
    assert result.attempts == 4
    # Each retry waits out the host's interval, widened by every 503: 0.5 + 1 + 2 s.
    assert sum(fake.sleeps) == pytest.approx(3.5)
    verdict = judge(result)
    assert verdict.outcome == Outcome.ERROR
    assert verdict.reason == "HTTP 503 Service Unavailable, still after 4 attempts"


def test_retry_after_past_the_deadline_stops_retrying(server: Server) -> None:
    server.route("/p", Reply(503, {"Retry-After": "30"}))
    fake = FakeTime()
    result = fetch(server.url("/p"), settings=QUICK, fake=fake)
    assert (result.attempts, fake.sleeps) == (1, [])
    assert judge(result).reason == "HTTP 503 Service Unavailable"


def test_retry_after_is_capped(server: Server) -> None:
    server.route("/p", Reply(503, {"Retry-After": "600"}), Reply(200, HTML, page("P")))
    fake = FakeTime()
    settings = FetchSettings(retry_after_max=20.0, deadline=100.0)
    result = fetch(server.url("/p"), settings=settings, fake=fake)
    assert fake.sleeps == [20.0]
    assert judge(result).reason == "HTTP 200 OK"


# Network faults


def test_connection_refused_is_an_error() -> None:
    url = f"http://127.0.0.1:{unused_port()}/p"
    result = fetch(url)
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.CONNECT
    assert result.status is None
    verdict = judge(result)
    assert verdict.outcome == Outcome.ERROR
    assert (
        verdict.reason
        == "could not connect to 127.0.0.1: connection refused, still after 4 attempts"
    )


class UnresolvingBackend(httpcore.AsyncNetworkBackend):
    """Resolves no name under `.invalid`, failing the way the system resolver does; connects
    everything else normally (on loopback, in these tests)."""

    def __init__(self) -> None:
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if host.endswith(".invalid"):
            failure = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            raise httpcore.ConnectError(str(failure)) from failure
        return await self._real.connect_tcp(host, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._real.sleep(seconds)


def test_unknown_host_is_broken() -> None:
    transport = httpx.AsyncHTTPTransport()
    # AsyncHTTPTransport takes no network backend; the httpcore pool it wraps does.
    transport._pool = httpcore.AsyncConnectionPool(network_backend=UnresolvingBackend())
    result = fetch("https://help.nowhere.invalid/ai", transport=transport)
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.DNS
    verdict = judge(result)
    assert verdict.outcome == Outcome.BROKEN
    assert verdict.reason == "unknown host help.nowhere.invalid: the name does not resolve"


def test_read_timeout_is_an_error(server: Server) -> None:
    server.route("/slow", Reply(200, HTML, page("Slow"), delay=2.0))
    result = fetch(server.url("/slow"), settings=FetchSettings(timeout=0.2, retries=1))
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.TIMEOUT
    assert result.attempts == 2
    verdict = judge(result)
    assert verdict.outcome == Outcome.ERROR
    assert (
        verdict.reason == "timeout: no answer from 127.0.0.1 within 0.2 s, still after 2 attempts"
    )


def test_silence_past_the_deadline_is_a_deadline_error(server: Server) -> None:
    server.route("/silent", Reply(200, HTML, page("Late"), delay=2.0))
    result = fetch(server.url("/silent"), settings=FetchSettings(timeout=5.0, deadline=0.2))
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.DEADLINE
    assert result.attempts == 1
    verdict = judge(result)
    assert verdict.outcome == Outcome.ERROR
    assert verdict.reason == f"{server.url('/silent')} took longer than the deadline for one URL"


def test_body_trickling_past_the_deadline_is_an_error(server: Server) -> None:
    server.route("/drip", Reply(200, HTML, b"<p>drop</p>", repeat=200, trickle=0.02))
    result = fetch(server.url("/drip"), settings=FetchSettings(deadline=0.3))
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.DEADLINE
    assert (result.status, result.attempts) == (200, 1)
    assert 0 < len(result.body) < 200 * len(b"<p>drop</p>")
    assert result.body.startswith(b"<p>drop</p>")
    verdict = judge(result)
    assert verdict.outcome == Outcome.ERROR
    assert verdict.reason == f"{server.url('/drip')} took longer than the deadline for one URL"


def test_50_mb_body_is_cut_at_the_cap(server: Server) -> None:
    block = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>"
    server.route("/huge", Reply(200, HTML, block, repeat=800))  # 52 MB, written lazily
    cap = 1_000_000
    result = fetch(server.url("/huge"), settings=FetchSettings(max_bytes=cap))
    assert result.truncated
    assert len(result.body) == cap
    assert result.error is None
    verdict = judge(result)
    assert (verdict.outcome, verdict.reason) == (
        Outcome.OK,
        "HTTP 200 OK; too large: the body goes on past the 1,000,000-byte cap, "
        "judged on what was read",
    )


def test_head_is_never_sent(server: Server) -> None:
    def refuse_head(request: Request) -> Reply:
        if request.method == "HEAD":
            return Reply(405, {"Allow": "GET"})
        return Reply(200, HTML, page("Works with GET"))

    server.handle("/p", refuse_head)
    verdict = judge(fetch(server.url("/p")))
    assert [request.method for request in server.requests] == ["GET"]
    assert (verdict.outcome, verdict.reason) == (Outcome.OK, "HTTP 200 OK")


def test_no_cookie_is_carried_from_one_url_to_the_next(server: Server) -> None:
    server.route("/a", Reply(200, {**HTML, "Set-Cookie": "seen=1; Path=/"}, page("A")))
    server.route("/b", Reply(200, HTML, page("B")))

    async def run() -> None:
        async with make_fetcher() as fetcher:
            await fetcher.fetch(FetchRequest(server.url("/a")))
            await fetcher.fetch(FetchRequest(server.url("/b")))

    asyncio.run(run())
    assert "cookie" not in server.requests[1].headers


# Bodies


def test_unknown_charset_label_falls_back_to_the_meta_charset(server: Server) -> None:
    body = '<meta charset="windows-1252"><title>Café fermé</title>'.encode("cp1252")
    server.route("/p", Reply(200, {"Content-Type": "text/html; charset=no-such-charset"}, body))
    result = fetch(server.url("/p"))
    assert result.text() == '<meta charset="windows-1252"><title>Café fermé</title>'
    assert judge(result).reason == "HTTP 200 OK"


def test_missing_charset_decodes_utf8_then_windows_1252(server: Server) -> None:
    server.route("/utf8", Reply(200, {"Content-Type": "text/html"}, "<p>Réglages</p>".encode()))
    server.route(
        "/legacy", Reply(200, {"Content-Type": "text/html"}, "<p>Réglages</p>".encode("cp1252"))
    )
    assert fetch(server.url("/utf8")).text() == "<p>Réglages</p>"
    assert fetch(server.url("/legacy")).text() == "<p>Réglages</p>"


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
def test_compressed_bodies_are_decoded(
    server: Server, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    body = page("Page introuvable")
    server.route("/p", Reply(200, {**HTML, "Content-Encoding": encoding}, compress(body)))
    result = fetch(server.url("/p"))
    assert encoding in server.requests[0].headers["accept-encoding"]
    assert result.body == body
    assert judge(result).reason == "soft 404: the page title says “Page introuvable”"


# Politeness


def test_limits_per_host_and_global_hold(net: Loopback) -> None:
    servers = [
        net.server(f"127.0.0.{n}", Reply(200, HTML, page("P"), delay=0.05)) for n in (1, 2, 3, 4)
    ]
    # Grouped by host: the worst order for a queue that waits on one host.
    urls = [server.url(f"/{n}") for server in servers for n in range(10)]
    results = fetch_all(urls, settings=FetchSettings(per_host=2, max_concurrency=5))
    assert [result.url for result in results] == urls
    assert all(judge(result).outcome == Outcome.OK for result in results)
    assert max(server.max_in_flight for server in servers) == 2
    assert net.max_in_flight == 5
    # Five at once, two at most per host: three hosts at once. A fourth joins only when the
    # answers' timing staggers the hosts' turns, which nothing here guarantees.
    assert net.max_busy_servers >= 3


def test_a_busy_host_does_not_hold_back_the_others(net: Loopback) -> None:
    busy, quiet = (
        net.server(host, Reply(200, HTML, page("P"), delay=0.05))
        for host in ("127.0.0.5", "127.0.0.6")
    )
    urls = [busy.url(f"/{n}") for n in range(20)] + [quiet.url(f"/{n}") for n in range(4)]
    arrivals: list[str] = []
    fetch_all(
        urls,
        FetchSettings(per_host=2, max_concurrency=10),
        on_result=lambda r: arrivals.append(r.url),
    )
    last_quiet = max(arrivals.index(url) for url in urls[20:])
    assert last_quiet < 10  # the quiet host is done while the busy one still has 10+ to go


def test_min_host_interval_spaces_request_starts(server: Server) -> None:
    fake = FakeTime(frozen=True)
    fetch_all(
        [server.url(f"/{n}") for n in range(3)],
        FetchSettings(per_host=1, min_host_interval=1.0),
        fake,
    )
    assert fake.sleeps == [1.0, 1.0]


def test_overloaded_host_gets_a_wider_interval_that_decays(server: Server) -> None:
    server.route("/busy", Reply(503))
    server.route("/ok", Reply(200, HTML, page("P")))
    fake = FakeTime(frozen=True)

    async def run() -> None:
        async with make_fetcher(FetchSettings(retries=0), fake) as fetcher:
            await fetcher.fetch(FetchRequest(server.url("/busy")))
            for _ in range(5):
                await fetcher.fetch(FetchRequest(server.url("/ok")))

    asyncio.run(run())
    assert fake.sleeps == [0.5, 0.25, 0.125, 0.0625]
