"""The connection designs the fetcher was chosen from, side by side in one run, alternating.

    python bench/connection_designs.py [--rounds N] [--case 2|7 ...]

Case 2: 2,000 URLs on one loopback host answering at once, at 1, 16 and 64 requests at once.
Case 7: 10,000 URLs over 100 loopback hosts answering after 50 ms, per host 2, 64 in all
(politeness bound 7.8 s). Each design runs the fetcher (`Fetcher.fetch_all`) with its own
transport: httpcore's pool shared by every host (the design before), one httpcore pool per
host with one SSL context, the `httpx-aiohttp` package's transport (`pip install
httpx-aiohttp` to include it), and the fetcher's own transport over aiohttp (the design
chosen). Prints the median time and rate of each.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpcore
import httpx

sys.path.insert(0, str(Path(__file__).parents[1]))

from tests.support.loopback import Loopback, Reply

from optout_watch.fetching.addresses import AddressPolicy
from optout_watch.fetching.connections import AiohttpTransport
from optout_watch.fetching.fetch import Fetcher, FetchRequest, FetchSettings

ANYWHERE = AddressPolicy(any_address=True)
Design = Callable[[FetchSettings], httpx.AsyncBaseTransport]


def _httpcore_pool(size: int, context: object) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(verify=context, trust_env=False)  # type: ignore[arg-type]
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context,  # type: ignore[arg-type]
        max_connections=size,
        max_keepalive_connections=size,
        keepalive_expiry=5.0,
    )
    return transport


class _PerHostPools(httpx.AsyncBaseTransport):
    def __init__(self, size: int) -> None:
        self._size, self._context = size, httpx.create_ssl_context()
        self._pools: dict[tuple[str, str, int | None], httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = (request.url.scheme, request.url.host, request.url.port)
        if origin not in self._pools:
            self._pools[origin] = _httpcore_pool(self._size, self._context)
        return await self._pools[origin].handle_async_request(request)

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()


def _httpx_aiohttp(settings: FetchSettings) -> httpx.AsyncBaseTransport:
    import aiohttp  # noqa: PLC0415
    from httpx_aiohttp import AiohttpTransport as PackageTransport  # noqa: PLC0415

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=settings.max_concurrency, limit_per_host=settings.per_host
        )
        return aiohttp.ClientSession(connector=connector)

    return PackageTransport(client=session)  # type: ignore[no-any-return]


DESIGNS: dict[str, Design] = {
    "httpcore, one pool": lambda s: _httpcore_pool(s.max_concurrency, httpx.create_ssl_context()),
    "httpcore, pool per host": lambda s: _PerHostPools(s.per_host),
    "ours over aiohttp": lambda s: AiohttpTransport(
        per_host=s.per_host, max_connections=s.max_concurrency, policy=ANYWHERE
    ),
}
try:
    import httpx_aiohttp  # noqa: F401

    DESIGNS["httpx-aiohttp package"] = _httpx_aiohttp
except ImportError:
    pass


async def _run(urls: list[str], settings: FetchSettings, design: Design) -> tuple[float, int]:
    async with Fetcher(settings, address_policy=ANYWHERE, transport=design(settings)) as fetcher:
        start = time.perf_counter()
        results = await fetcher.fetch_all([FetchRequest(url) for url in urls])
        took = time.perf_counter() - start
    return took, sum(result.status != 200 for result in results)


def _case(name: str, urls: list[str], settings: FetchSettings, rounds: int) -> None:
    times: dict[str, list[float]] = {design: [] for design in DESIGNS}
    for _ in range(rounds):
        for design, make in DESIGNS.items():
            gc.collect()
            took, failed = asyncio.run(_run(urls, settings, make))
            times[design].append(took)
            if failed:
                print(f"  {design}: {failed} answers were not 200")
    for design, taken in times.items():
        median = statistics.median(taken)
        print(f"{name:44} {design:24} {median:7.2f} s {len(urls) / median:8.0f} requests/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--case", action="append", choices=["2", "7"])
    args = parser.parse_args()
    cases = args.case or ["2", "7"]
    ok = Reply(200, {"content-type": "text/html"}, b"<title>ok</title>")
    with Loopback() as net:
        if "2" in cases:
            server = net.server("127.0.0.1", default=ok)
            urls = [server.url(f"/p{n}") for n in range(2_000)]
            for at_once in (1, 16, 64):
                settings = FetchSettings(max_concurrency=at_once, per_host=at_once, retries=0)
                _case(f"2,000 URLs, one host, {at_once} at once", urls, settings, args.rounds)
        if "7" in cases:
            slow = Reply(200, {"content-type": "text/html"}, b"<title>ok</title>", delay=0.05)
            hosts = [
                net.server(f"127.0.{1 + n // 200}.{2 + n % 200}", default=slow) for n in range(100)
            ]
            urls = [host.url(f"/p{n}") for n in range(100) for host in hosts]
            settings = FetchSettings(max_concurrency=64, per_host=2, retries=0)
            _case("10,000 URLs, 100 hosts, 50 ms (bound 7.8 s)", urls, settings, args.rounds)


if __name__ == "__main__":
    main()
