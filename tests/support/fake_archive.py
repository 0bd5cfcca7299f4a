"""A fake of the web archive's three addresses on a loopback server, reached through
`--remap` exactly as a mirror would be."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from optout_watch.archive.wayback import moment_of, raw_copy_url
from tests.support.loopback import Loopback, Reply, Request

_PREFIX = "https://"


class FakeArchive:
    """Copies added with `add` are listed by CDX, found by availability and served raw."""

    def __init__(self, net: Loopback, host: str = "127.0.0.3") -> None:
        self.server = net.server(host)
        self.copies: dict[str, list[tuple[str, bytes]]] = {}
        self.statuses: dict[tuple[str, str], int] = {}
        self.server.handle("/archive.org/wayback/available", self._available)
        self.server.handle("/web.archive.org/cdx/search/cdx", self._cdx)

    @property
    def remap(self) -> str:
        """The `--remap` rule sending both archive hosts here."""
        return rf"^https://((?:web\.)?archive\.org)/ {self.server.base_url}/\1/"

    def add(self, url: str, timestamp: str, html: str | bytes, status: int = 200) -> None:
        """A copy of `url`, served raw with the status the site answered (as the archive
        replays it); CDX lists only the copies of status 200."""
        body = html.encode() if isinstance(html, str) else html
        self.copies.setdefault(url, []).append((timestamp, body))
        self.copies[url].sort()
        self.statuses[url, timestamp] = status
        raw = raw_copy_url(timestamp, url).removeprefix(_PREFIX)
        headers = {"Content-Type": "text/html; charset=utf-8"}
        self.server.route("/" + raw, Reply(status, headers, body))

    def requests_to(self, path: str) -> int:
        return sum(request.target.startswith(path) for request in self.server.requests)

    def _query(self, request: Request) -> dict[str, str]:
        return {
            name: values[0] for name, values in parse_qs(urlsplit(request.target).query).items()
        }

    def _available(self, request: Request) -> Reply:
        query = self._query(request)
        copies = self.copies.get(query["url"], [])
        if not copies:
            return _json({"url": query["url"], "archived_snapshots": {}})
        wanted = moment_of(query["timestamp"])
        timestamp, _ = min(copies, key=lambda c: abs(moment_of(c[0]) - wanted))
        closest = {
            "available": True,
            "status": str(self.statuses[query["url"], timestamp]),
            "timestamp": timestamp,
            "url": f"http://web.archive.org/web/{timestamp}/{query['url']}",
        }
        return _json({"url": query["url"], "archived_snapshots": {"closest": closest}})

    def _cdx(self, request: Request) -> Reply:
        query = self._query(request)
        assert query["output"] == "json"
        assert query["filter"] == "statuscode:200"
        assert query["collapse"] == "digest"
        rows: list[list[str]] = [["timestamp", "original", "statuscode", "digest"]]
        for timestamp, body in self.copies.get(query["url"], []):
            if timestamp[:4] >= query["from"] and self.statuses[query["url"], timestamp] == 200:
                rows.append([timestamp, query["url"], "200", f"D{hash(body) & 0xFFFFFF:X}"])
        return _json(rows if len(rows) > 1 else [])


def _json(document: object) -> Reply:
    return Reply(200, {"Content-Type": "application/json"}, json.dumps(document).encode())
