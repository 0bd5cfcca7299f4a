"""Probe benchmark: 1,000 URLs over 20 loopback hosts that answer after 200 ms.

Runs `optout-watch probe` as a whole command and compares its time with the politeness bound:
the larger of (busiest host's URLs ÷ per-host limit × latency) and (all URLs ÷ global limit ×
latency) — the fastest any polite checker can finish. The catalogue lists the URLs host by
host, the order that makes a naive shared queue wait on one busy host while the others idle.

    python bench/probe_bench.py [--hosts 20] [--per-host-urls 50] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import platform_yaml, valid_platform  # noqa: E402
from tests.loopback import Loopback, Reply  # noqa: E402


def write_catalogue(folder: Path, hosts: int, per_host_urls: int) -> None:
    for host in range(1, hosts + 1):
        data = valid_platform()
        data["id"] = f"bench-{host}"
        data["sources"][0]["url"] = f"https://host-{host}.example.org/source"
        data["links"] = [
            {
                "id": f"page-{page}",
                "url": f"https://host-{host}.example.org/page-{page}",
                "kind": "help",
                "lang": "en",
            }
            for page in range(1, per_host_urls)  # the source is the host's last URL
        ]
        link_ids = [link["id"] for link in data["links"]]
        for lang in ("fr", "en"):  # a list each: a shared one would be dumped as a YAML alias
            data["procedures"][0]["steps"][lang][0]["links"] = list(link_ids)
        (folder / f"bench-{host}.yaml").write_text(platform_yaml(data), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--per-host-urls", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--max-concurrency", type=int, default=40)
    args = parser.parse_args()

    total = args.hosts * args.per_host_urls
    bound = max(
        args.per_host_urls / args.per_host * args.latency,
        total / args.max_concurrency * args.latency,
    )
    folder = Path(tempfile.mkdtemp(prefix="optout-watch-bench-"))
    try:
        catalogue = folder / "catalogue"
        catalogue.mkdir()
        write_catalogue(catalogue, args.hosts, args.per_host_urls)
        with Loopback() as net:
            remaps: list[str] = []
            servers = []
            for host in range(1, args.hosts + 1):
                server = net.server(f"127.0.0.{host}", default=Reply(200, delay=args.latency))
                servers.append(server)
                remaps += ["--remap", rf"^https://host-{host}\.example\.org/ {server.base_url}/"]
            command = [
                sys.executable, "-m", "optout_watch", "probe", "-q",
                "--catalogue", str(catalogue), "--format", "json", "-o", str(folder / "out.json"),
                "--per-host", str(args.per_host), "--max-concurrency", str(args.max_concurrency),
                *remaps,
            ]  # fmt: skip
            started = time.perf_counter()
            code = subprocess.run(command, cwd=folder, check=False).returncode
            elapsed = time.perf_counter() - started
            busiest = max(server.max_in_flight for server in servers)
            in_flight = net.max_in_flight
        report = json.loads((folder / "out.json").read_text())
        outcomes = report["summary"]["outcomes"]
        print(f"URLs: {report['summary']['links']} over {args.hosts} hosts, {outcomes}")
        print(f"exit code: {code}; most in flight: {busiest} at one host, {in_flight} in all")
        print(f"optout-watch probe: {elapsed:.2f} s (whole command, start-up included)")
        print(f"politeness bound:   {bound:.2f} s  → {elapsed / bound:.2f}× the bound")
        polite = busiest <= args.per_host and in_flight <= args.max_concurrency
        return 0 if code == 0 and polite else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
