"""The floor: plain httpx, one `AsyncClient`, a semaphore per host and one for all.

    python bench/workers/httpx_floor.py URLS_FILE --per-host 2 --global 40

Takes the host's slot first, then a global one (as a polite checker must, or one busy host
holds the global slots while the others idle). Prints one JSON line: the time spent fetching
(client made, before the first request → after the last answer) and the count of 200s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx


async def fetch_all(urls: list[str], per_host: int, global_limit: int) -> tuple[float, int]:
    hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_host))
    slots = asyncio.Semaphore(global_limit)
    limits = httpx.Limits(max_connections=global_limit, max_keepalive_connections=global_limit)
    async with httpx.AsyncClient(limits=limits, timeout=30.0, trust_env=False) as client:

        async def one(url: str) -> int:
            async with hosts[httpx.URL(url).host], slots:
                response = await client.get(url)
                return response.status_code

        started = time.perf_counter()
        statuses = await asyncio.gather(*(one(url) for url in urls))
        elapsed = time.perf_counter() - started
    return elapsed, sum(status == 200 for status in statuses)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("urls", type=Path)
    parser.add_argument("--per-host", type=int, required=True)
    parser.add_argument("--global", dest="global_limit", type=int, required=True)
    args = parser.parse_args()
    urls = args.urls.read_text().split()
    elapsed, ok = asyncio.run(fetch_all(urls, args.per_host, args.global_limit))
    print(json.dumps({"elapsed": elapsed, "ok": ok, "requests": len(urls)}))
    return 0 if ok == len(urls) else 1


if __name__ == "__main__":
    sys.exit(main())
