"""Our fetcher alone: `Fetcher.fetch_all` over a list of URLs, whatever `Fetcher` is today.

    python bench/workers/fetcher.py URLS_FILE --concurrency 64

The per-host limit and the global limit are both `--concurrency` (all URLs are on one host);
no retries. Prints one JSON line: the time `fetch_all` took (the fetcher already made) and
the count of 200s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from optout_watch.fetching.addresses import AddressPolicy
from optout_watch.fetching.fetch import Fetcher, FetchRequest, FetchSettings


async def fetch_all(urls: list[str], concurrency: int) -> tuple[float, int]:
    settings = FetchSettings(max_concurrency=concurrency, per_host=concurrency, retries=0)
    requests = [FetchRequest(url) for url in urls]
    async with Fetcher(settings, address_policy=AddressPolicy(any_address=True)) as fetcher:
        started = time.perf_counter()
        results = await fetcher.fetch_all(requests)
        elapsed = time.perf_counter() - started
    return elapsed, sum(result.status == 200 for result in results)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("urls", type=Path)
    parser.add_argument("--concurrency", type=int, required=True)
    args = parser.parse_args()
    urls = args.urls.read_text().split()
    elapsed, ok = asyncio.run(fetch_all(urls, args.concurrency))
    print(json.dumps({"elapsed": elapsed, "ok": ok, "requests": len(urls)}))
    return 0 if ok == len(urls) else 1


if __name__ == "__main__":
    sys.exit(main())
