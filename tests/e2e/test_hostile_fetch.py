"""The fetcher against servers that attack it: a charset naming a codec that is no text
encoding, compressed bodies that inflate to a gigabyte, and headers sent a byte at a time.
Each costs its own link at most; the run goes on."""

from __future__ import annotations

import codecs
import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]
import pytest

import optout_watch
from optout_watch.cli import main
from optout_watch.fetching import decode
from optout_watch.fetching.decode import codec_for_label, decode_html
from optout_watch.fetching.failures import FetchErrorKind, Outcome
from optout_watch.fetching.judge import judge
from optout_watch.fetching.model import FetchSettings
from tests.support.catalogue import platform_yaml, valid_platform
from tests.support.fetcher import fetch
from tests.support.loopback import Loopback, Reply, Server
from tests.support.nightly import help_page

# Hostile servers and decompression bombs fetched in child processes: seconds each.
pytestmark = pytest.mark.slow

#: Far beyond the byte cap: what an attacker's 1,617 bytes of brotli inflate to.
BOMB_SIZE = 1 << 30
_MiB = 1 << 20
# The fetcher tests' loopback fixtures (and no proxy from the environment) and helper.


# Charsets


@pytest.mark.parametrize("label", ["zlib", "rot13", "base64", "hex", "idna", "undefined", "utf-7"])
def test_a_charset_naming_no_text_encoding_decodes_as_utf8(server: Server, label: str) -> None:
    body = "<title>Réglages</title><h1>Confidentialité</h1>".encode()
    server.route("/p", Reply(200, {"Content-Type": f"text/html; charset={label}"}, body))
    result = fetch(server.url("/p"))
    assert result.text() == "<title>Réglages</title><h1>Confidentialité</h1>"
    verdict = judge(result)
    assert (verdict.outcome, verdict.reason) == (Outcome.OK, "HTTP 200 OK")


def test_a_meta_charset_naming_no_text_encoding_decodes_as_utf8(server: Server) -> None:
    body = '<meta charset="rot13"><title>Réglages</title>'.encode()
    server.route("/p", Reply(200, {"Content-Type": "text/html"}, body))
    result = fetch(server.url("/p"))
    assert result.text() == '<meta charset="rot13"><title>Réglages</title>'
    assert judge(result).reason == "HTTP 200 OK"


def test_a_bad_header_charset_gives_way_to_a_good_meta_charset() -> None:
    body = '<meta charset="windows-1252"><p>fermé</p>'.encode("cp1252")
    decoded = decode_html(body, "text/html; charset=base64")
    assert (decoded.text, decoded.encoding, decoded.source) == (
        '<meta charset="windows-1252"><p>fermé</p>',
        "cp1252",
        "meta",
    )


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        (" Shift_JIS ", "cp932"),
        ("x-sjis", "cp932"),
        ("ISO-8859-1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("latin2", "iso8859-2"),
        ("gb2312", "gb18030"),
        ("euc-kr", "cp949"),
        ("utf8", "utf-8"),
        ("x-user-defined", None),
        ("iso-2022-kr", None),
        ("latin_1", None),  # a Python alias, not a web label
    ],
)
def test_labels_are_read_as_the_encoding_standard_reads_them(label: str, codec: str | None) -> None:
    assert codec_for_label(label) == codec


def test_every_codec_of_the_label_table_is_a_text_encoding() -> None:
    codecs_used = set(decode._CODEC_BY_LABEL.values())
    assert all(codecs.lookup(name)._is_text_encoding for name in codecs_used)
    assert len(decode._CODEC_BY_LABEL) > 200


def test_a_meta_charset_of_utf16_is_read_as_utf8() -> None:
    body = '<meta charset="utf-16"><p>été</p>'.encode()
    assert decode_html(body).text == '<meta charset="utf-16"><p>été</p>'


# Compressed bodies


def _zlib_bomb(wbits: int) -> bytes:
    """BOMB_SIZE zeros, gzip (wbits 31) or zlib-wrapped deflate (15). After a full flush the
    compressor keeps no history, so every further MiB of zeros compresses to the same bytes:
    one is made and repeated, and only the trailer's checksum is computed over the whole."""
    block = bytes(_MiB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    head = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()
    blocks = BOMB_SIZE // _MiB
    if wbits > 15:  # gzip: CRC-32 and size, little-endian
        crc = 0
        for _ in range(blocks):
            crc = zlib.crc32(block, crc)
        trailer = crc.to_bytes(4, "little") + (BOMB_SIZE % (1 << 32)).to_bytes(4, "little")
    else:  # zlib: Adler-32 of zeros is 1 + (length << 16), both sums mod 65521
        trailer = (((BOMB_SIZE % 65521) << 16) | 1).to_bytes(4, "big")
    return head + repeated * (blocks - 1) + end[: -len(trailer)] + trailer


def _brotli_bomb() -> bytes:
    compressor = brotli.Compressor(quality=1)
    block = bytes(_MiB)
    return b"".join(
        [*(compressor.process(block) for _ in range(BOMB_SIZE // _MiB)), compressor.finish()]
    )


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    gzip_bomb = _zlib_bomb(31)
    outer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return {
        "br": _brotli_bomb(),
        "gzip": gzip_bomb,
        "deflate": _zlib_bomb(15),
        "gzip, gzip": outer.compress(gzip_bomb) + outer.flush(),
    }


_MEASURE = """
import asyncio, json, re, resource, sys
from optout_watch.fetching.addresses import AddressPolicy
from optout_watch.fetching.fetch import Fetcher
from optout_watch.fetching.model import FetchRequest, FetchSettings

def resident():
    with open("/proc/self/status") as status:
        return int(re.search(r"^VmRSS:\\s+(\\d+) kB", status.read(), re.M).group(1)) * 1024

async def measure(url, warm_up):
    settings = FetchSettings(retries=0, timeout=20.0, deadline=60.0)
    async with Fetcher(settings, address_policy=AddressPolicy(any_address=True)) as fetcher:
        await fetcher.fetch(FetchRequest(warm_up))  # every import and buffer warmed up
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # Linux: the peak resident size starts again from the current one
        before = resident()
        result = await fetcher.fetch(FetchRequest(url))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # A summary, not the result: asyncio may take the repr of what a task returns.
    return {
        "before": before, "peak": peak, "status": result.status, "size": len(result.body),
        "truncated": result.truncated, "zeros": result.body.count(0),
        "error": None if result.error is None else result.error.message,
    }

print(json.dumps(asyncio.run(measure(sys.argv[1], sys.argv[2]))))
"""


def _fetch_in_a_child(url: str, warm_up: str) -> dict[str, Any]:
    env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()} | {
        "PYTHONPATH": str(Path(optout_watch.__file__).parents[1])
    }
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, url, warm_up],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    measured: dict[str, Any] = json.loads(done.stdout)
    return measured


@pytest.mark.parametrize("encoding", ["br", "gzip", "deflate", "gzip, gzip"])
def test_a_decompression_bomb_is_cut_at_the_cap_in_bounded_memory(
    server: Server, bombs: dict[str, bytes], encoding: str
) -> None:
    server.route(
        "/bomb",
        Reply(200, {"Content-Type": "text/html", "Content-Encoding": encoding}, bombs[encoding]),
    )
    server.route("/warm", Reply(200, {"Content-Type": "text/html"}, b"<title>Warm</title>"))
    measured = _fetch_in_a_child(server.url("/bomb"), server.url("/warm"))
    cap = FetchSettings().max_bytes
    assert (measured["status"], measured["size"], measured["truncated"]) == (200, cap, True)
    assert measured["zeros"] == cap
    assert measured["error"] is None
    # The cap, its copies and a few pieces: about 77 MiB at the peak, 34 MiB more than before
    # the fetch, as for a plain body over the cap (up to 160 MiB when run among the whole
    # suite). Inflating one 64 KiB network chunk whole, as before, took the peak to 742 MiB
    # for br and 2 GB for gzip twice (gzip and deflate alone, 170 MiB: a chunk's worth).
    assert measured["peak"] < 300 * _MiB, measured


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        # Applied in the order named, so undone last first.
        ("deflate, br", lambda body: brotli.compress(zlib.compress(body))),
        ("br, gzip", lambda body: gzip.compress(brotli.compress(body))),
        # Raw deflate without its zlib wrapper, as some servers send it.
        ("deflate", lambda body: zlib.compress(body, wbits=-zlib.MAX_WBITS)),
        ("identity", lambda body: body),
    ],
)
def test_stacked_and_raw_encodings_are_undone(
    server: Server, encoding: str, encoded: Callable[[bytes], bytes]
) -> None:
    body = b"<title>Settings</title>" + b"<p>Improve the model</p>" * 20_000
    headers = {"Content-Type": "text/html", "Content-Encoding": encoding}
    server.route("/p", Reply(200, headers, encoded(body)))
    result = fetch(server.url("/p"))
    assert (result.error, result.truncated, result.body) == (None, False, body)


def test_a_body_that_does_not_inflate_is_an_invalid_answer(server: Server) -> None:
    server.route(
        "/p", Reply(200, {"Content-Type": "text/html", "Content-Encoding": "br"}, b"not brotli")
    )
    result = fetch(server.url("/p"))
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.PROTOCOL
    assert result.error.message.startswith("invalid answer from 127.0.0.1: invalid br body")


def test_a_body_with_too_many_encodings_is_an_invalid_answer(server: Server) -> None:
    body = b"<title>Deep</title>"
    for _ in range(2000):
        body = gzip.compress(body, mtime=0)
    headers = {"Content-Type": "text/html", "Content-Encoding": ", ".join(["gzip"] * 1300)}
    server.route("/p", Reply(200, headers, body))
    result = fetch(server.url("/p"))
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.PROTOCOL
    assert result.error.message == (
        "invalid answer from 127.0.0.1: 1300 content encodings on one body, more than 3"
    )


# Slow headers


class Trickler:
    """A server that answers each connection with `head`, then one byte every `interval`
    seconds (from a thread) until the client hangs up or `limit` bytes went out, when it
    ends the headers with a small page. Close it to stop it."""

    def __init__(
        self, host: str = "127.0.0.1", *, interval: float = 0.05, limit: int = 200
    ) -> None:
        self.head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: "
        self._interval = interval
        self._limit = limit
        self._stop = threading.Event()
        self._listener = socket.create_server((host, 0))
        self.base_url = f"http://{host}:{self._listener.getsockname()[1]}"
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        self._listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._answer, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(65536)
                connection.sendall(self.head)
                for _ in range(self._limit):
                    if self._stop.wait(self._interval):
                        return
                    connection.sendall(b"x")
                connection.sendall(b"\r\nContent-Length: 17\r\n\r\n<title>Up</title>")
            except OSError:
                return  # the client hung up

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)


@pytest.fixture
def trickler() -> Iterator[Trickler]:
    server = Trickler()
    yield server
    server.close()


def test_headers_sent_a_byte_at_a_time_end_at_the_deadline(trickler: Trickler) -> None:
    # Each byte restarts the 5 s read timeout; only the deadline can end this.
    settings = FetchSettings(timeout=5.0, deadline=0.4, retries=0)
    started = time.monotonic()
    result = fetch(trickler.base_url + "/p", settings=settings)
    elapsed = time.monotonic() - started
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.DEADLINE
    assert result.status is None
    assert 0.35 < elapsed < 3.0
    verdict = judge(result)
    assert verdict.outcome == Outcome.ERROR
    assert verdict.reason == f"{trickler.base_url}/p took longer than the deadline for one URL"


def test_the_deadline_counts_every_hop(server: Server, trickler: Trickler) -> None:
    server.route("/moved", Reply(302, {"Location": trickler.base_url + "/p"}, delay=0.25))
    settings = FetchSettings(timeout=5.0, deadline=0.4, retries=0)
    started = time.monotonic()
    result = fetch(server.url("/moved"), settings=settings)
    elapsed = time.monotonic() - started
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.DEADLINE
    assert [hop.status for hop in result.redirects] == [302]
    assert 0.35 < elapsed < 3.0


def test_a_body_sent_a_byte_at_a_time_keeps_what_came_before_the_deadline(server: Server) -> None:
    server.route("/drip", Reply(200, {"Content-Type": "text/html"}, b"x", repeat=400, trickle=0.01))
    settings = FetchSettings(timeout=5.0, deadline=0.5, retries=0)
    result = fetch(server.url("/drip"), settings=settings)
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.DEADLINE
    assert result.status == 200
    assert 0 < len(result.body) < 400


# A whole run


def _hostile_catalogue(folder: Path) -> None:
    data: dict[str, Any] = valid_platform()
    data["links"] = [
        {
            "id": "help",
            "url": "https://help.example.org/privacy",
            "kind": "help",
            "lang": "en",
            "watch": {"select": "article", "expect": ["Improve the model for everyone"]},
        },
        {"id": "form", "url": "https://help.example.org/form", "kind": "form", "lang": "en"},
        {
            "id": "charset",
            "url": "https://help.example.org/charset",
            "kind": "help",
            "lang": "en",
            "watch": {"expect": ["Send a request"]},
        },
        {"id": "bomb", "url": "https://help.example.org/bomb", "kind": "help", "lang": "en"},
        {"id": "slow", "url": "https://help.example.org/slow", "kind": "help", "lang": "en"},
    ]
    data["sources"][0]["url"] = "https://help.example.org/source"
    ids = [link["id"] for link in data["links"]]
    steps = data["procedures"][0]["steps"]
    steps["fr"][0]["links"] = list(ids)
    steps["en"][0]["links"] = list(ids)
    (folder / "catalogue").mkdir()
    (folder / "catalogue" / "example-chat.yaml").write_text(platform_yaml(data), encoding="utf-8")


def test_a_check_with_a_hostile_link_of_each_kind_reports_them_and_goes_on(
    run_folder: Path,
    bombs: dict[str, bytes],
    trickler: Trickler,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _hostile_catalogue(run_folder)
    form = b"<title>Form</title><p>Send a request</p>"
    with Loopback() as loopback:
        server = loopback.server()
        server.route("/privacy", help_page())
        server.route("/form", Reply(200, {"content-type": "text/html"}, form))
        server.route("/source", Reply(200, {"content-type": "text/html"}, form))
        server.route(
            "/charset",
            Reply(
                200, {"content-type": "text/html; charset=zlib"}, b'<meta charset="rot13">' + form
            ),
        )
        server.route(
            "/bomb",
            Reply(200, {"content-type": "text/html", "content-encoding": "br"}, bombs["br"]),
        )
        started = time.monotonic()
        code = main(
            [
                "check", "--catalogue", "catalogue", "--state", "state",
                "--report", "report.json", "--retries", "0", "--timeout", "5", "-q",
                "--deadline", "1",
                "--remap", rf"^https://help\.example\.org/slow {trickler.base_url}/slow",
                "--remap", rf"^https://help\.example\.org/ {server.base_url}/",
            ]
        )  # fmt: skip
        elapsed = time.monotonic() - started
    output = capsys.readouterr()
    assert (run_folder / "report.json").is_file(), output
    report = json.loads((run_folder / "report.json").read_text())
    reasons = {
        link["url"].rpartition("/")[2]: (link["outcome"], link["reason"])
        for link in report["links"]
    }
    slow_outcome, slow_reason = reasons.pop("slow")
    assert slow_outcome == "error", output
    assert slow_reason.endswith("/slow took longer than the deadline for one URL"), output
    # The bomb is judged on its first 5 MiB, as any body over the byte cap, and said to be cut.
    assert reasons.pop("bomb") == (
        "ok",
        "HTTP 200 OK; too large: the body goes on past the 5 MiB cap, judged on what was read",
    )
    assert reasons == dict.fromkeys(("privacy", "form", "source", "charset"), ("ok", "HTTP 200 OK"))
    labels = {
        page["url"].rpartition("/")[2]: [label["state"] for label in page["labels"]]
        for page in report["pages"]
    }
    assert labels == {"privacy": ["present"], "charset": ["present"]}
    assert (run_folder / "state" / "state.json").is_file()
    assert code == 0  # one night's error waits for its confirmation
    assert elapsed < 10
