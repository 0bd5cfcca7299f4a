"""Pages whose text scripts write: shown by headless Chromium (`render: browser`), over loopback.

These tests drive the system's Chromium (`/usr/bin/chromium`, or `OPTOUT_WATCH_CHROMIUM`);
`.ci/run` installs it. Nothing here is skipped without it: a missing browser is a failure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from optout_watch.cli import main
from optout_watch.fetching.addresses import AddressPolicy
from optout_watch.fetching.browser import Renderer
from optout_watch.fetching.browser_model import BrowserSettings, Rendered, RenderRequest
from optout_watch.fetching.browser_proxy import GuardedProxy
from optout_watch.lint.rules import RuleSettings
from optout_watch.lint.runner import Selection, validate_files
from optout_watch.pages.extract import SelectorMatchedNothing, extract_text
from optout_watch.settings import DEFAULTS, ConfigError, load_settings
from tests.support.catalogue import WriteFile, platform_yaml, valid_platform
from tests.support.loopback import Loopback, Reply, Server

# Starts headless Chromium: left out of the quick loop (`-m "not browser"`).
pytestmark = pytest.mark.browser

LABELS = ["Data Controls", "Improve the model for everyone"]
HTML = {"content-type": "text/html; charset=utf-8"}
#: The labels exist only once the script has run.
SCRIPTED = (
    b"<!doctype html><html lang='en'><head><title>Help</title></head><body>"
    b'<div id="app"></div>'
    b"<script>document.getElementById('app').innerHTML = '<article><h1>Data Controls</h1>"
    b"<p>Improve the model for everyone</p></article>'</script></body></html>"
)
#: Loopback servers are allowed as a `--remap` rule allows them.
LOOPBACK = AddressPolicy(frozenset({"127.0.0.1"}))


def _catalogue(root: Path, *, render: str | None = "browser") -> None:
    data: dict[str, Any] = valid_platform()
    watch: dict[str, Any] = {"select": "article", "expect": LABELS}
    if render is not None:
        watch["render"] = render
    data["links"][0].update(url="https://help.example.org/app", watch=watch)
    folder = root / "catalogue"
    folder.mkdir()
    (folder / "example-chat.yaml").write_text(platform_yaml(data), encoding="utf-8")


def _watch(
    capsys: pytest.CaptureFixture[str], server: Server, *options: str
) -> tuple[int, dict[str, Any], str]:
    code = main(
        [
            "watch", "--remap", rf"^https://help\.example\.org/ {server.base_url}/",
            "--retries", "0", "--timeout", "5", "--format", "json", *options,
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def _render(
    requests: Sequence[RenderRequest],
    *,
    policy: AddressPolicy = LOOPBACK,
    timeout: float = 5.0,
    per_host: int = 2,
    max_concurrency: int = 16,
) -> list[Rendered]:
    settings = BrowserSettings(timeout=timeout, per_host=per_host, max_concurrency=max_concurrency)

    async def run() -> list[Rendered]:
        async with Renderer(settings, address_policy=policy) as renderer:
            return await renderer.render_all(requests)

    return asyncio.run(run())


def _targets(server: Server) -> list[str]:
    return [request.target for request in server.requests]


# --- the page's text ------------------------------------------------------------------------------


def test_the_plain_fetch_never_sees_the_labels_of_a_script_built_page(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _catalogue(run_folder)
    with pytest.raises(SelectorMatchedNothing):
        extract_text(SCRIPTED.decode(), select="article")
    with Loopback() as net:
        server = net.server()
        server.route("/app", Reply(200, HTML, SCRIPTED))
        code, report, err = _watch(capsys, server, "--render", "never")
    assert code == 1  # the selector matched nothing: the page's layout seems to have changed
    (page,) = report["pages"]
    assert (page["checked"], page["selector_failed"], page["labels"]) == (False, True, [])
    assert "article" in page["error"]
    assert _targets(server) == ["/app"]  # the probe only: no browser
    assert "browser" not in err


def test_the_browser_shows_the_labels_a_script_writes(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _catalogue(run_folder)
    with Loopback() as net:
        server = net.server()
        server.route("/app", Reply(200, HTML, SCRIPTED))
        code, report, err = _watch(capsys, server, "-v")
    assert code == 0
    (page,) = report["pages"]
    assert (page["checked"], page["error"]) == (True, None)
    assert [(label["label"], label["state"]) for label in page["labels"]] == [
        (label, "present") for label in LABELS
    ]
    assert _targets(server) == ["/app", "/app"]  # the probe, then the browser
    assert f"browser 200 {server.url('/app')}" in err
    (text,) = (run_folder / "state" / "snapshots").rglob("*.txt")
    assert text.read_text(encoding="utf-8") == "Data Controls\nImprove the model for everyone\n"


def test_render_always_shows_every_watched_page_in_the_browser(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _catalogue(run_folder, render=None)  # the link does not ask for it
    with Loopback() as net:
        server = net.server()
        server.route("/app", Reply(200, HTML, SCRIPTED))
        _, plain, _ = _watch(capsys, server)
        assert plain["pages"][0]["selector_failed"] is True
        code, shown, _ = _watch(capsys, server, "--render", "always")
    assert code == 0
    assert [label["state"] for label in shown["pages"][0]["labels"]] == ["present", "present"]


def test_the_probe_never_renders(run_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _catalogue(run_folder)
    with Loopback() as net:
        server = net.server(default=Reply(200, HTML, b"<title>Guide</title>"))
        server.route("/app", Reply(200, HTML, SCRIPTED))
        code = main(
            [
                "probe", "--render", "always", "--retries", "0", "--format", "json",
                "--remap", rf"^https://(help\.example\.org|www\.cnil\.fr)/ {server.base_url}/",
            ]
        )  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out)["pages"] == []
    assert _targets(server).count("/app") == 1


def test_a_selector_that_never_matches_waits_the_timeout_then_fails_as_for_a_plain_page() -> None:
    with Loopback() as net:
        server = net.server()
        server.route("/app", Reply(200, HTML, SCRIPTED))
        (shown,) = _render([RenderRequest(server.url("/app"), "en", "main")], timeout=1)
    assert (shown.status, shown.error) == (200, None)
    assert 1000 <= shown.elapsed_ms < 5000
    with pytest.raises(SelectorMatchedNothing):
        extract_text(shown.html, select="main")
    assert "Improve the model for everyone" in extract_text(shown.html, select="article")


# --- what the browser asks for, and how -----------------------------------------------------------

HEAVY = b"""<!doctype html><html><head><link rel="stylesheet" href="/style.css"></head><body>
<img src="/picture.png" alt=""><video src="/clip.mp4" preload="auto" autoplay muted></video>
<p style="font-family: Brand">Text</p><script src="/app.js"></script></body></html>"""
STYLE = b"@font-face { font-family: Brand; src: url(/brand.woff2) format('woff2'); }"


def test_images_media_and_fonts_are_never_requested() -> None:
    with Loopback() as net:
        server = net.server()
        server.route("/page", Reply(200, HTML, HEAVY))
        server.route("/style.css", Reply(200, {"content-type": "text/css"}, STYLE))
        server.route("/app.js", Reply(200, {"content-type": "text/javascript"}, b"1;"))
        (shown,) = _render([RenderRequest(server.url("/page"), "en")])
    assert shown.error is None
    assert sorted(_targets(server)) == ["/app.js", "/page", "/style.css"]


LANGUAGE_PAGE = b"""<!doctype html><html><body><main id="out"></main><script>
document.getElementById('out').textContent =
  navigator.languages.join(',') + '|' + navigator.language;
</script></body></html>"""


def test_the_links_language_and_the_fetchers_user_agent() -> None:
    with Loopback() as net:
        server = net.server()
        server.route("/page", Reply(200, HTML, LANGUAGE_PAGE))
        (shown,) = _render([RenderRequest(server.url("/page"), "fr", "main:not(:empty)")])
    assert extract_text(shown.html, select="main") == "fr|fr\n"
    (request,) = server.requests
    assert request.headers["accept-language"] == "fr"
    assert request.headers["user-agent"] == DEFAULTS.user_agent


def test_no_cookie_is_carried_from_one_page_to_the_next() -> None:
    with Loopback() as net:
        server = net.server()
        cookie = {**HTML, "set-cookie": "session=1; Path=/; Max-Age=3600"}
        server.route("/first", Reply(200, cookie, b"<p>one</p>"))
        server.route("/second", Reply(200, HTML, b"<p>two</p>"))
        first = RenderRequest(server.url("/first"), "en")
        second = RenderRequest(server.url("/second"), "en")
        _render([first, second], per_host=1)
    assert [request.headers.get("cookie") for request in server.requests] == [None, None]


# --- politeness and where the browser may go ------------------------------------------------------


def test_a_page_counts_towards_its_hosts_limit_and_the_global_one() -> None:
    slow = Reply(200, HTML, b"<p>slow</p>", delay=0.5)
    policy = AddressPolicy(frozenset({"127.0.0.1", "127.0.0.2"}))
    for per_host, max_concurrency, most_at_once in ((1, 16, 2), (2, 1, 1)):
        with Loopback() as net:
            first = net.server("127.0.0.1", default=slow)
            second = net.server("127.0.0.2", default=slow)
            urls = [server.url(f"/{n}") for server in (first, second) for n in range(2)]
            shown = _render(
                [RenderRequest(url, "en", "p") for url in urls],
                policy=policy,
                per_host=per_host,
                max_concurrency=max_concurrency,
            )
        assert [page.error for page in shown] == [None] * 4
        assert max(first.max_in_flight, second.max_in_flight) <= per_host
        assert net.max_in_flight == most_at_once


def test_the_browser_goes_only_where_the_fetcher_may(run_folder: Path) -> None:
    """A script's request to a refused address (an IP literal, a name resolving to one, a
    redirect to one) never leaves; the page itself is still read."""
    with Loopback() as net:
        server = net.server("127.0.0.1")
        hidden = net.server("127.0.0.3")  # stands for 169.254.169.254
        page = f"""<!doctype html><body><div id="app"></div>
<script src="/hop.js"></script>
<script>
Promise.allSettled([
  fetch("{hidden.url("/literal")}"),
  fetch("http://localhost:{server.port}/by-name"),
]).then(() => {{
  document.getElementById("app").innerHTML = "<article>Data Controls</article>";
}});
</script></body>"""
        server.route("/page", Reply(200, HTML, page.encode()))
        server.route("/hop.js", Reply(302, {"location": hidden.url("/redirected.js")}))
        (shown,) = _render([RenderRequest(server.url("/page"), "en", "article")])
    assert hidden.requests == []
    assert _targets(server) == ["/page", "/hop.js"]
    assert shown.error is None
    assert extract_text(shown.html, select="article") == "Data Controls\n"


def test_a_page_redirected_to_a_refused_address_is_not_read() -> None:
    with Loopback() as net:
        server = net.server("127.0.0.1")
        hidden = net.server("127.0.0.3", default=Reply(200, HTML, b"<article>secret</article>"))
        server.route("/page", Reply(302, {"location": hidden.url("/latest/meta-data/")}))
        (shown,) = _render([RenderRequest(server.url("/page"), "en", "article")])
    assert hidden.requests == []
    assert shown.html == ""
    assert shown.error is not None
    assert shown.error.startswith(
        "refused to connect: 127.0.0.3 leads to 127.0.0.3, a loopback address; nothing was fetched"
    )


def test_the_proxy_tunnels_only_to_vetted_addresses() -> None:
    """HTTPS goes through CONNECT tunnels; here one carries plain HTTP, which is the same to
    the proxy."""

    async def connect(proxy: str, target: str) -> bytes:
        port = int(proxy.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        answer = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " in answer:
            writer.write(b"GET /inside HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer += await reader.read()
        writer.close()
        return answer

    async def run(allowed: Server, refused: Server) -> tuple[bytes, bytes, str | None]:
        proxy = GuardedProxy(LOOPBACK, timeout=5)
        url = await proxy.start()
        try:
            through = await connect(url, f"127.0.0.1:{allowed.port}")
            stopped = await connect(url, f"127.0.0.3:{refused.port}")
        finally:
            await proxy.close()
        return through, stopped, proxy.refusal()

    with Loopback() as net:
        allowed = net.server("127.0.0.1")
        refused = net.server("127.0.0.3")
        allowed.route("/inside", Reply(200, {}, b"tunnelled"))
        through, stopped, refusal = asyncio.run(run(allowed, refused))
    assert through.startswith(b"HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200 OK")
    assert through.endswith(b"tunnelled")
    assert stopped.startswith(b"HTTP/1.1 403 Forbidden")
    assert refused.requests == []
    assert refusal is not None
    assert "127.0.0.3 leads to 127.0.0.3, a loopback address" in refusal


# --- without a browser ----------------------------------------------------------------------------


def _without_browser(
    capsys: pytest.CaptureFixture[str], run_folder: Path, reason: str
) -> dict[str, Any]:
    _catalogue(run_folder)
    with Loopback() as net:
        server = net.server()
        server.route("/app", Reply(200, HTML, SCRIPTED))
        code, report, err = _watch(capsys, server, "-q")
    assert code == 0
    (page,) = report["pages"]
    message = (
        f"needs a browser to show its text: install optout-watch[browser] and Chromium ({reason})"
    )
    assert (page["checked"], page["error"], page["labels"]) == (False, message, [])
    assert err.splitlines() == [f"optout-watch: 1 watched page not checked: {message}"]
    assert _targets(server) == ["/app"]  # the probe still ran
    return report


def test_without_chromium_the_page_is_reported_unchecked_once(
    run_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPTOUT_WATCH_CHROMIUM", str(run_folder / "no-such-chromium"))
    reason = (
        f"no Chromium at {run_folder / 'no-such-chromium'}; set OPTOUT_WATCH_CHROMIUM to its path"
    )
    report = _without_browser(capsys, run_folder, reason)
    assert report["findings"] == []


def test_without_the_extra_the_page_is_reported_unchecked_once(
    run_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "playwright.async_api", None)  # import fails
    _without_browser(capsys, run_folder, "the Python package playwright is not installed")


def test_without_a_browser_a_check_keeps_the_pages_findings_as_they_were(
    run_folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _catalogue(run_folder)
    with Loopback() as net:
        server = net.server(default=Reply(200, HTML, b"<title>Guide</title>"))
        server.route("/app", Reply(200, HTML, SCRIPTED.replace(b"Data Controls", b"Data")))
        arguments = [
            "check", "--retries", "0", "--format", "json", "--confirm-after", "1",
            "--remap", rf"^https://(help\.example\.org|www\.cnil\.fr)/ {server.base_url}/",
        ]  # fmt: skip
        assert main(arguments) == 0  # first run: the label is never seen, a warning
        report = json.loads(capsys.readouterr().out)
        assert [f["code"] for f in report["findings"]] == ["label-never-seen"]
        remembered = json.loads((run_folder / "state" / "state.json").read_text())["findings"]
        monkeypatch.setenv("OPTOUT_WATCH_CHROMIUM", str(run_folder / "gone"))
        assert main(arguments) == 0
        captured = capsys.readouterr()
    assert json.loads(captured.out)["pages"][0]["checked"] is False
    state = json.loads((run_folder / "state" / "state.json").read_text())
    assert state["findings"] == remembered != {}
    assert "1 watched page not checked: needs a browser" in captured.err


# --- the setting and the catalogue ----------------------------------------------------------------


def test_render_is_range_checked_wherever_it_comes_from(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _catalogue(run_folder)
    assert main(["watch", "--render", "sometimes"]) == 2
    assert (
        "--render: expected one of auto, never, always, got 'sometimes'" in capsys.readouterr().err
    )
    with pytest.raises(ConfigError, match="OPTOUT_WATCH_RENDER: expected one of auto, never"):
        load_settings(None, cwd=run_folder, environ={"OPTOUT_WATCH_RENDER": "yes"})
    settings = load_settings(None, cwd=run_folder, environ={"OPTOUT_WATCH_RENDER": "never"})
    assert (settings.render, DEFAULTS.render) == ("never", "auto")
    assert DEFAULTS.chromium == Path("/usr/bin/chromium")


def test_links_watching_one_url_must_agree_on_render(write_catalogue_file: WriteFile) -> None:
    first = write_catalogue_file(valid_platform())
    data = valid_platform()
    data["id"] = "other-chat"
    data["links"][0]["watch"] = {"select": "article", "expect": ["Privacy"], "render": "browser"}
    second = write_catalogue_file(data)
    result = validate_files(
        [first, second], selection=Selection(), settings=RuleSettings(today=dt.date(2026, 11, 28))
    )
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "OW506"
    assert "select, remove, ignore or render" in diagnostic.message


def test_render_must_be_plain_or_browser(write_catalogue_file: WriteFile) -> None:
    data = valid_platform()
    data["links"][0]["watch"]["render"] = "chromium"
    result = validate_files(
        [write_catalogue_file(data)],
        selection=Selection(),
        settings=RuleSettings(today=dt.date(2026, 11, 28)),
    )
    assert [d.code for d in result.diagnostics] != []
    assert all(d.severity == "error" for d in result.diagnostics)
