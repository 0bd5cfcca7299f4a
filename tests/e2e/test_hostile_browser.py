"""Pages that attack the browser that shows them: WebRTC packets around the guarded proxy, and
documents too large or too slow to read. Each page costs at most its own link.

WebRTC: a UDP listener on loopback plays the STUN server a page names (by address and by
`localhost`), answering binding requests the way a real one does, so that a browser left to
itself finishes gathering at once. The page reports when it is done (or that it found nothing
to call), the renderer closes the page's context, and only then is the listener read: every
packet the browser sent has arrived by then. What is proven: with both defences, no frame,
not even a blank iframe made by a script, finds a WebRTC interface, and a worker has none in
Chromium; with the profile's preference alone, a page that does call `RTCPeerConnection`
gathers nothing and sends nothing; with neither, the listener hears the browser.

Size and time: a page's whole visit ends within its deadline, and the HTML read back is at
most the byte cap; one `check` with such a page among ordinary links is measured in a
subprocess, for its wall time and the Python process's own peak memory.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from optout_watch.fetching import browser
from optout_watch.fetching.addresses import AddressPolicy
from optout_watch.fetching.browser import Renderer
from optout_watch.fetching.browser_model import BrowserSettings, Rendered, RenderRequest
from optout_watch.pages.extract import extract_text
from tests.support.catalogue import platform_yaml, valid_platform
from tests.support.loopback import Loopback, Reply
from tests.support.paths import ROOT

# Starts headless Chromium against hostile pages, some in child processes: seconds each.
pytestmark = [pytest.mark.browser, pytest.mark.slow]

HTML = {"content-type": "text/html; charset=utf-8"}
LOOPBACK = AddressPolicy(frozenset({"127.0.0.1"}))


def _render(requests: Sequence[RenderRequest], *, timeout: float = 5.0) -> list[Rendered]:
    async def run() -> list[Rendered]:
        async with Renderer(BrowserSettings(timeout=timeout), address_policy=LOOPBACK) as shown:
            return await shown.render_all(requests)

    return asyncio.run(run())


# --- WebRTC ---------------------------------------------------------------------------------------

_STUN_MAGIC = 0x2112A442


class _StunServer(asyncio.DatagramProtocol):
    """Records every datagram in `heard`; answers a STUN binding request with the sender's
    address."""

    def __init__(self, heard: list[tuple[bytes, Any]]) -> None:
        self.heard = heard
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast("asyncio.DatagramTransport", transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.heard.append((data, addr))
        if self._transport is None or len(data) < 20 or data[:2] != b"\x00\x01":
            return
        host, port = addr[0], addr[1]
        family, raw = (
            (1, socket.inet_pton(socket.AF_INET, host))
            if ":" not in host
            else (2, socket.inet_pton(socket.AF_INET6, host))
        )
        key = struct.pack("!I", _STUN_MAGIC) + data[8:20]
        mapped = bytes(a ^ b for a, b in zip(raw, key, strict=False))
        value = struct.pack("!BBH", 0, family, port ^ (_STUN_MAGIC >> 16)) + mapped
        attribute = struct.pack("!HH", 0x0020, len(value)) + value  # XOR-MAPPED-ADDRESS
        header = struct.pack("!HH", 0x0101, len(attribute)) + data[4:20]  # binding success
        self._transport.sendto(header + attribute, addr)


def _gathering_page(stun_url: str) -> bytes:
    """A page that tries WebRTC from its window, from a blank iframe a script adds (a fresh
    window, the classic way round a removed constructor) and from a worker, then says what
    it found in `<article>`."""
    return f"""<!doctype html><body><script>
function gather(where, Connection) {{
  if (typeof Connection !== "function") return Promise.resolve(where + ": none");
  const connection = new Connection({{ iceServers: [{{ urls: "{stun_url}" }}] }});
  connection.createDataChannel("probe");
  const found = [];
  return new Promise((done) => {{
    connection.onicecandidate = (event) => {{
      if (event.candidate) found.push(event.candidate.type);
      else done(where + ": gathered [" + found.join(",") + "]");
    }};
    connection.createOffer().then((offer) => connection.setLocalDescription(offer));
  }});
}}
const frame = document.createElement("iframe");
document.body.append(frame);
const worker = new Worker(URL.createObjectURL(new Blob(
  ["postMessage(typeof RTCPeerConnection + ',' + typeof webkitRTCPeerConnection)"])));
Promise.all([
  gather("window", window.RTCPeerConnection),
  gather("iframe", frame.contentWindow.RTCPeerConnection),
  new Promise((done) => {{ worker.onmessage = (event) => done("worker: " + event.data); }}),
]).then((all) => {{
  document.body.insertAdjacentHTML("beforeend", "<article>" + all.join("; ") + "</article>");
}});
</script></body>""".encode()


def _gather(stun_host: str) -> tuple[str, list[tuple[bytes, Any]]]:
    """What the page found, and every datagram the STUN listener received."""

    heard: list[tuple[bytes, Any]] = []

    async def run(page_url: str) -> Rendered:
        loop = asyncio.get_running_loop()
        # By name, on every address `localhost` may resolve to, with one port.
        hosts = ["127.0.0.2"] if stun_host == "127.0.0.2" else ["127.0.0.1", "::1"]
        listeners: list[asyncio.DatagramTransport] = []
        port = 0
        try:
            for host in hosts:
                listener, _ = await loop.create_datagram_endpoint(
                    lambda: _StunServer(heard), local_addr=(host, port)
                )
                listeners.append(listener)
                port = listener.get_extra_info("sockname")[1]
            server.route("/rtc", Reply(200, HTML, _gathering_page(f"stun:{stun_host}:{port}")))
            async with Renderer(BrowserSettings(timeout=5), address_policy=LOOPBACK) as shown:
                (rendered,) = await shown.render_all([RenderRequest(page_url, "en", "article")])
            return rendered
        finally:
            for transport in listeners:
                transport.close()

    with Loopback() as net:
        server = net.server()
        shown = asyncio.run(run(server.url("/rtc")))
    assert shown.error is None
    return extract_text(shown.html, select="article").strip(), heard


@pytest.mark.parametrize("stun_host", ["127.0.0.2", "localhost"])
def test_no_frame_of_a_page_finds_webrtc_and_no_packet_leaves(stun_host: str) -> None:
    found, heard = _gather(stun_host)
    assert found == "window: none; iframe: none; worker: undefined,undefined"
    assert heard == []


@pytest.mark.parametrize("stun_host", ["127.0.0.2", "localhost"])
def test_a_page_that_calls_webrtc_anyway_gathers_nothing_and_sends_nothing(
    stun_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The profile's preference holds by itself: as if a frame still had `RTCPeerConnection`."""
    monkeypatch.setattr(browser, "NO_WEBRTC_SCRIPT", "")
    found, heard = _gather(stun_host)
    assert found == "window: gathered []; iframe: gathered []; worker: undefined,undefined"
    assert heard == []


def test_the_listener_hears_a_browser_left_to_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without either defence, the same page reaches the listener: the tests above can fail."""
    monkeypatch.setattr(browser, "NO_WEBRTC_SCRIPT", "")
    monkeypatch.setattr(browser, "_PREFERENCES", {})
    found, heard = _gather("127.0.0.2")
    assert "srflx" in found
    assert len(heard) >= 1
    assert all(data[:2] == b"\x00\x01" for data, _ in heard)  # STUN binding requests


# --- size and time --------------------------------------------------------------------------------

CAP = BrowserSettings().max_bytes


def _growing(script: str, *, after_load: bool = False) -> bytes:
    """A page whose `<article>` is there at once, and a script that runs `script` at once or
    200 ms after the page has loaded."""
    if after_load:
        script = f'addEventListener("load", () => setTimeout(() => {{ {script} }}, 200));'
    return (
        "<!doctype html><html><body><article>Data Controls</article>"
        f"<script>{script}</script></body></html>"
    ).encode()


def _paragraphs(count: int, text: str = "x", mib: int = 1) -> str:
    return (
        f"for (let i = 0; i < {count}; i++) {{ const p = document.createElement('p');"
        f" p.textContent = {json.dumps(text)}.repeat({mib} << 20); document.body.append(p); }}"
    )


#: Each over the cap: in its text, hidden in a template (which a walk of the document does not
#: enter), and in characters of two bytes (fewer characters than the cap, more bytes).
OVER_THE_CAP = {
    "paragraphs": _paragraphs(6),
    "template": (
        "const t = document.createElement('template'); t.innerHTML = '<p>' + 'x'.repeat(6 << 20);"
        " document.body.append(t);"
    ),
    "two-byte characters": _paragraphs(3, "é"),
}


@pytest.mark.parametrize("script", OVER_THE_CAP.values(), ids=OVER_THE_CAP.keys())
def test_a_page_over_the_byte_cap_is_reported_too_large_not_read(script: str) -> None:
    with Loopback() as net:
        server = net.server()
        server.route("/big", Reply(200, HTML, _growing(script)))
        server.route("/small", Reply(200, HTML, _growing(_paragraphs(4))))
        big, small = _render(
            [RenderRequest(server.url("/big"), "en", "p"), RenderRequest(server.url("/small"))],
            timeout=30,  # only a bound: these pages are read as soon as they have loaded
        )
    assert (big.status, big.html) == (200, "")
    assert big.error == (
        f"too large: the page the browser shows at {server.url('/big')} is more than 5 MiB "
        "(5,242,880 bytes) of HTML; it was not read"
    )
    assert small.error is None
    assert 4 << 20 < len(small.html.encode()) <= CAP  # under the cap, the page is read


def test_a_page_whose_script_never_yields_ends_at_its_deadline() -> None:
    """Its document loads, then its script keeps the page busy for ever: nothing can be read
    from it. On a busy machine its document may even miss the step's timeout; either way the
    page ends within its deadline (here 3 s)."""
    settings = BrowserSettings(timeout=1)
    with Loopback() as net:
        server = net.server()
        server.route("/busy", Reply(200, HTML, _growing("while (true) {}", after_load=True)))
        started = time.monotonic()
        (busy,) = _render([RenderRequest(server.url("/busy"), "en")], timeout=settings.timeout)
        took = time.monotonic() - started
    assert busy.error is not None
    assert busy.error in {
        f"timeout: the browser did not show {server.url('/busy')} within its deadline of 3 s",
        f"timeout: the browser did not load {server.url('/busy')} within 1 s",
    }
    assert busy.elapsed_ms < (settings.page_deadline + 2) * 1000
    # Chromium's start, and closing the busy page's context, come on top of the deadline.
    assert took < settings.page_deadline + browser._CLOSE_GRACE + 30


# --- one run with a 300 MiB page among ordinary links --------------------------------------------

ORDINARY = b"<!doctype html><html><body><article>Privacy</article></body></html>"
#: The page of the report: 300 paragraphs of 1 MiB each, 200 ms after it has loaded; its
#: text (`<article>`, the link's `select`) comes after them.
SWELLING = (
    b"<!doctype html><html><body><script>"
    + b'addEventListener("load", () => setTimeout(() => {'
    + _paragraphs(300).encode()
    + b' document.body.insertAdjacentHTML("beforeend", "<article>Data Controls</article>");'
    + b"}, 200));</script></body></html>"
)
#: Runs `optout-watch` and appends to stderr, as JSON, its own peak memory in KiB (`VmHWM`:
#: `ru_maxrss` would count the memory of the process it was forked from, which exec keeps)
#: and the largest peak of its waited-for children (the Playwright driver, Chromium).
MEASURED = """
import json, re, resource, sys
from pathlib import Path
from optout_watch.cli import main
code = main(sys.argv[1:])
own = re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"self": int(own[1]), "children": children}), file=sys.stderr)
sys.exit(code)
"""


def _swelling_catalogue(root: Path) -> None:
    data: dict[str, Any] = valid_platform()
    help_link = data["links"][0]
    help_link["url"] = "https://help.example.com/privacy"
    app = {
        "id": "app",
        "url": "https://help.example.com/app",
        "kind": "help",
        "lang": "en",
        "watch": {"select": "article", "expect": ["Data Controls"], "render": "browser"},
    }
    data["links"].append(app)
    data["procedures"][0]["steps"]["en"][0]["links"] = ["help", "app"]
    data["procedures"][0]["steps"]["fr"][0]["links"] = ["help", "app"]
    folder = root / "catalogue"
    folder.mkdir()
    (folder / "example-chat.yaml").write_text(platform_yaml(data), encoding="utf-8")


def test_a_check_with_a_swelling_page_stays_within_its_deadline_and_memory(
    run_folder: Path,
) -> None:
    """`--timeout 1`: the browser's deadline is 3 s. Bounds with a generous margin: Python's
    own peak under 300 MB, and the run within the deadline, Chromium's start and a few seconds
    (before, the page was serialised whole: the run took over 50 s, and the Playwright driver
    died). Chromium's page itself grows as its script makes it until the deadline closes it:
    that is measured, not bounded, here."""
    _swelling_catalogue(run_folder)
    with Loopback() as net:
        server = net.server()
        server.route("/privacy", Reply(200, HTML, ORDINARY))
        server.route("/fr/guide", Reply(200, HTML, ORDINARY))
        server.route("/app", Reply(200, HTML, SWELLING))
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable, "-c", MEASURED, "check", "--retries", "0", "--timeout", "1",
                "--format", "json", "-q",
                "--remap", rf"^https://(help\.example\.com|www\.cnil\.fr)/ {server.base_url}/",
            ],
            check=False, capture_output=True, text=True, cwd=run_folder, timeout=120,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )  # fmt: skip
        took = time.monotonic() - started
    peaks = json.loads(done.stderr.splitlines()[-1])
    report = json.loads(done.stdout)
    assert done.returncode == 0, done.stderr
    pages = {page["url"]: page for page in report["pages"]}
    swelling = pages["https://help.example.com/app"]
    assert swelling["checked"] is False
    assert swelling["error"].startswith(("too large: ", "timeout: "))
    assert pages["https://help.example.com/privacy"]["checked"] is True
    assert {link["outcome"] for link in report["links"]} == {"ok"}
    assert (run_folder / "state" / "state.json").is_file()
    assert peaks["self"] < 300 * 1024
    assert took < 3 + 30
