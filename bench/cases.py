"""The cases of `nox -s bench`; each returns its figures (for its JSON file) and its rows.

Whatever `Fetcher`, `extract_text` and the CLI are when the suite runs is what is measured:
nothing here copies or patches project code.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import (
    ROOT,
    WORKERS,
    Figure,
    Row,
    Sample,
    alternate,
    figures,
    mb,
    measure,
)
from workloads import (
    HOST_BY_HOST,
    SHUFFLED,
    Loopback,
    ProbeLoad,
    Reply,
    catalogue_urls,
    lychee_command,
    lychee_successes,
    optout_watch_command,
    run_httpx_floor,
    run_lychee,
    run_probe_command,
    start_servers,
    write_catalogue,
)


@dataclass(frozen=True)
class Context:
    runs: int
    """Rounds per case (at least 5 in a full run)."""
    quick: bool
    lychee: str | None
    work: Path
    """A scratch folder, removed after the suite."""


@dataclass(frozen=True)
class Outcome:
    name: str
    """The results file's name (bench/results/<name>.json)."""
    data: dict[str, Any]
    rows: list[Row]


def _problems(figure: Figure) -> list[str]:
    found = []
    for index, sample in enumerate(figure.samples, start=1):
        output = sample.output if isinstance(sample.output, dict) else {}
        problems = output.get("problems", [])
        if not problems and sample.code != 0:
            problems = [f"exit {sample.code}: {sample.stderr.strip()[-300:]}"]
        found += [f"run {index}: {problem}" for problem in problems]
    return found


def _subject(name: str, figure: Figure) -> str:
    """The row's subject, flagged when a run failed its checks (see the JSON file)."""
    return f"{name} ⚠ failed checks" if _problems(figure) else name


def _row(
    case: str, name: str, figure: Figure, value: str, *, ratio: float | None, versus: str
) -> Row:
    """The table's line for one figure: its subject flagged if it failed its checks, and its
    peak memory and number of runs."""
    return Row(
        case, _subject(name, figure), value, ratio, versus, mb(figure.peak_rss_kb),
        len(figure.samples),
    )  # fmt: skip


def _figure_data(figure: Figure, **extra: Any) -> dict[str, Any]:
    return {**figure.as_dict(), **extra, "problems": _problems(figure)}


# Case 1 ------------------------------------------------------------------------------------


def case_1(ctx: Context) -> Outcome:
    """1,000 URLs over 20 hosts answering after 200 ms, per host 2, global 40, two orders:
    `optout-watch probe` (whole command), lychee and the httpx floor, against the bound."""
    data: dict[str, Any] = {"orders": {}}
    rows = []
    for order in (HOST_BY_HOST, SHUFFLED):
        load = ProbeLoad(20, 50, 0.2, per_host=2, global_limit=40, order=order)
        urls = catalogue_urls(load)
        catalogue = ctx.work / f"case1-{order.replace(' ', '-')}"
        write_catalogue(catalogue, urls, files=load.hosts)
        contenders: dict[str, Callable[[], Sample]] = {
            "optout-watch probe": functools.partial(run_probe_command, load, catalogue, ctx.work)
        }
        if ctx.lychee is not None:
            contenders["lychee"] = functools.partial(run_lychee, ctx.lychee, load, urls, ctx.work)
        contenders["httpx floor"] = functools.partial(run_httpx_floor, load, urls, ctx.work)
        _say(f"case 1, {load.describe()}: bound {load.bound:.2f} s")
        found = figures(alternate(ctx.runs, contenders))
        data["orders"][order] = {
            "settings": load.settings(),
            "figures": {
                name: _figure_data(figure, ratio_to_bound=figure.median_wall / load.bound)
                for name, figure in found.items()
            },
        }
        for name, figure in found.items():
            rows.append(
                _row(
                    f"1 · 1,000 URLs, {order}",
                    name,
                    figure,
                    f"{figure.median_wall:.2f} s",
                    ratio=figure.median_wall / load.bound,
                    versus=f"bound {load.bound:.2f} s",
                )
            )
    data["notes"] = (
        "Whole processes, wall time from spawn to exit. optout-watch probe reads a 20-file "
        "catalogue and remaps its URLs to loopback; lychee and the floor read a URL list. "
        "lychee: --max-concurrency 40 --host-concurrency 2 --host-request-interval 0ms "
        "--max-retries 0. Floor: httpx.AsyncClient, a semaphore per host then a global one."
    )
    return Outcome("case1_probe", data, rows)


# Case 2 ------------------------------------------------------------------------------------

THROUGHPUT_URLS = 2000
THROUGHPUT_BODY = b"<!DOCTYPE html><title>ok</title><p>Answered at once.</p>"


def _one_host_run(command_for: Callable[[Path, Path], list[str]], work: Path) -> Sample:
    """Run a client against one loopback host answering at once; the URL list is written
    for this run's server (its port is new each time)."""
    listing, report = work / "throughput-urls.txt", work / "throughput-report.json"
    report.unlink(missing_ok=True)
    with Loopback() as net:
        (server,) = start_servers(net, 1, Reply(200, body=THROUGHPUT_BODY))
        urls = [server.url(f"/page-{number}") for number in range(THROUGHPUT_URLS)]
        listing.write_text("\n".join(urls) + "\n", encoding="utf-8")
        command = command_for(listing, report)
        is_worker = command[0] == sys.executable
        sample = measure(command, cwd=work, json_output=is_worker)
        if is_worker:
            ok = int(sample.output["ok"]) if isinstance(sample.output, dict) else 0
            elapsed = float(sample.output["elapsed"]) if isinstance(sample.output, dict) else 0
        else:  # lychee: the whole command is all there is to time
            ok, elapsed = lychee_successes(report), sample.wall
    problems = [] if ok == THROUGHPUT_URLS else [f"{ok} of {THROUGHPUT_URLS} answered 200"]
    if sample.code != 0:
        problems.append(f"exit {sample.code}: {sample.stderr.strip()[-300:]}")
    output = {"ok": ok, "elapsed": elapsed, "problems": problems}
    return Sample(sample.wall, sample.rss_kb, sample.code, output, sample.stderr)


def _ours(concurrency: int) -> Callable[[Path, Path], list[str]]:
    def command(listing: Path, _report: Path) -> list[str]:
        worker = str(WORKERS / "fetcher.py")
        return [sys.executable, worker, str(listing), "--concurrency", str(concurrency)]

    return command


def _httpx(concurrency: int) -> Callable[[Path, Path], list[str]]:
    def command(listing: Path, _report: Path) -> list[str]:
        worker, limit = str(WORKERS / "httpx_floor.py"), str(concurrency)
        return [sys.executable, worker, str(listing), "--per-host", limit, "--global", limit]

    return command


def _lychee(lychee: str, concurrency: int) -> Callable[[Path, Path], list[str]]:
    def command(listing: Path, report: Path) -> list[str]:
        return lychee_command(
            lychee, listing, report, global_limit=concurrency, per_host=concurrency
        )

    return command


def case_2(ctx: Context) -> Outcome:
    """2,000 URLs on one host answering at once: requests/s of `Fetcher.fetch_all` at
    concurrency 1, 16, 64 beside plain httpx with a semaphore, and lychee at 64."""
    levels = (1, 16, 64)
    contenders: dict[str, Callable[[], Sample]] = {}
    for level in levels:
        for label, command in (("Fetcher.fetch_all", _ours), ("httpx + semaphore", _httpx)):
            contenders[f"{label}, c={level}"] = functools.partial(
                _one_host_run, command(level), ctx.work
            )
    if ctx.lychee is not None:
        contenders["lychee (whole command), c=64"] = functools.partial(
            _one_host_run, _lychee(ctx.lychee, 64), ctx.work
        )
    _say(f"case 2, {THROUGHPUT_URLS:,} URLs on one host answering at once, c = 1, 16, 64")
    found = figures(alternate(ctx.runs, contenders))
    rates = {name: THROUGHPUT_URLS / figure.median_of("elapsed") for name, figure in found.items()}
    rows = []
    data: dict[str, Any] = {
        "settings": {"urls": THROUGHPUT_URLS, "hosts": 1, "latency_s": 0.0, "levels": levels},
        "figures": {},
        "notes": (
            "Requests/s = 2,000 ÷ the median time of the fetching itself for our Fetcher "
            "and httpx (measured inside the worker, client already made); for lychee, of "
            "its whole command (start-up included). Per-host limit = global limit = c; "
            "no retries."
        ),
    }
    for name, figure in found.items():
        level = int(name.rsplit("c=", 1)[1])
        reference = f"httpx + semaphore, c={level}"
        ratio = None if name == reference else rates[reference] / rates[name]
        data["figures"][name] = _figure_data(
            figure, requests_per_s=rates[name], time_ratio_to_httpx=ratio
        )
        rows.append(
            _row(
                f"2 · 2,000 URLs, 1 host, c={level}",
                name.rsplit(",", 1)[0],
                figure,
                f"{rates[name]:,.0f} req/s",
                ratio=ratio,
                versus="" if ratio is None else f"httpx c={level}",
            )
        )
    return Outcome("case2_throughput", data, rows)


# Case 3 ------------------------------------------------------------------------------------


def case_3(ctx: Context) -> Outcome:
    """`extract_text` on a ~1 MB help page vs the selectolax floor, in-process."""
    rounds = max(7, ctx.runs)  # a few hundred milliseconds in all
    _say(f"case 3, text of a ~1 MB help page, {rounds} alternating rounds in one process")
    worker = [sys.executable, str(WORKERS / "extract.py")]
    timing = measure([*worker, "time", "--rounds", str(rounds)], json_output=True)
    memory = {
        which: measure([*worker, "memory", which], json_output=True) for which in ("ours", "floor")
    }
    if not isinstance(timing.output, dict) or any(
        not isinstance(sample.output, dict) for sample in memory.values()
    ):
        raise RuntimeError(f"the extraction worker failed: {timing.stderr}")
    names = {"ours": "extract_text", "floor": "selectolax .body.text()"}
    data: dict[str, Any] = {
        "settings": {"page_bytes": timing.output["bytes"], "rounds": rounds},
        "figures": {},
        "notes": (
            "Times from one process, the two extractors alternating, after one warm-up each. "
            "Memory from a fresh process per extractor: its peak RSS (VmHWM), and the "
            "increase over the RSS just before the extraction (peak reset through "
            "/proc/self/clear_refs)."
        ),
    }
    rows = []
    floor_median = timing.output["floor"]["median"]
    for which, name in names.items():
        times, used = timing.output[which], memory[which].output
        ratio = times["median"] / floor_median
        data["figures"][name] = {
            "best_s": times["best"],
            "median_s": times["median"],
            "all_s": times["all"],
            "chars": times["chars"],
            "time_ratio_to_floor": ratio,
            "peak_rss_mb": mb(used["peak_kb"]),
            "increase_mb": None if used["increase_kb"] is None else mb(used["increase_kb"]),
        }
        increase = "" if used["increase_kb"] is None else f", +{mb(used['increase_kb'])} MB"
        rows.append(
            Row(
                "3 · text of a 1 MB page",
                name,
                f"{times['median'] * 1000:.1f} ms (best {times['best'] * 1000:.1f}){increase}",
                None if which == "floor" else ratio,
                "" if which == "floor" else "selectolax floor",
                mb(used["peak_kb"]),
                rounds,
            )
        )
    return Outcome("case3_extract", data, rows)


# Case 4 ------------------------------------------------------------------------------------

VALIDATE_FILES = 1000


def write_platform_copies(folder: Path, count: int) -> None:
    """`count` copies of catalogue/openai-chatgpt.yaml, each with its own id and file name."""
    folder.mkdir(parents=True, exist_ok=True)
    source = (ROOT / "catalogue" / "openai-chatgpt.yaml").read_text(encoding="utf-8")
    if "\nid: openai-chatgpt\n" not in source:
        raise RuntimeError("catalogue/openai-chatgpt.yaml no longer has `id: openai-chatgpt`")
    for index in range(count):
        platform_id = f"bench-{index:04d}"
        text = source.replace("\nid: openai-chatgpt\n", f"\nid: {platform_id}\n", 1)
        (folder / f"{platform_id}.yaml").write_text(text, encoding="utf-8")


def _validate_ours(folder: Path, work: Path) -> Sample:
    sample = measure([*optout_watch_command(), "validate", str(folder)], cwd=work)
    problems = [] if sample.code == 0 else [f"exit {sample.code}: {sample.stderr[-300:]}"]
    return Sample(sample.wall, sample.rss_kb, sample.code, {"problems": problems}, sample.stderr)


def _validate_floor(folder: Path, work: Path) -> Sample:
    schema = ROOT / "schema" / "platform.schema.json"
    command = [sys.executable, str(WORKERS / "validate_floor.py"), str(folder), str(schema)]
    sample = measure(command, cwd=work, json_output=True)
    output = sample.output if isinstance(sample.output, dict) else {}
    problems = []
    if output.get("files") != VALIDATE_FILES or output.get("errors") != 0 or sample.code != 0:
        problems.append(f"exit {sample.code}, {output}: {sample.stderr[-300:]}")
    return Sample(
        sample.wall, sample.rss_kb, sample.code, {**output, "problems": problems}, sample.stderr
    )


def case_4(ctx: Context) -> Outcome:
    """`optout-watch validate` on 1,000 platform files vs PyYAML (C) + jsonschema."""
    folder = ctx.work / "case4-catalogue"
    write_platform_copies(folder, VALIDATE_FILES)
    _say(f"case 4, validate {VALIDATE_FILES:,} platform files")
    found = figures(
        alternate(
            ctx.runs,
            {
                "optout-watch validate": functools.partial(_validate_ours, folder, ctx.work),
                "CSafeLoader + jsonschema floor": functools.partial(
                    _validate_floor, folder, ctx.work
                ),
            },
        )
    )
    floor = found["CSafeLoader + jsonschema floor"]
    data: dict[str, Any] = {
        "settings": {"files": VALIDATE_FILES, "source": "catalogue/openai-chatgpt.yaml"},
        "figures": {},
        "notes": (
            "Whole processes. Ours: positions, duplicate keys, the models and every content "
            "rule. Floor: CSafeLoader (no timestamps) and the validator $schema names, with "
            "its format checker, against schema/platform.schema.json."
        ),
    }
    rows = []
    for name, figure in found.items():
        ratio = None if figure is floor else figure.median_wall / floor.median_wall
        data["figures"][name] = _figure_data(figure, time_ratio_to_floor=ratio)
        rows.append(
            _row(
                "4 · validate 1,000 files",
                name,
                figure,
                f"{figure.median_wall:.2f} s",
                ratio=ratio,
                versus="" if ratio is None else "floor",
            )
        )
    return Outcome("case4_validate", data, rows)


# Case 5 ------------------------------------------------------------------------------------


def case_5(ctx: Context) -> Outcome:
    """Start-up: `optout-watch --help`, `--version`, `rules` vs `python -c pass`."""
    runs = max(ctx.runs, 5 if ctx.quick else 10)
    ours = optout_watch_command()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "optout-watch --help": [*ours, "--help"],
        "optout-watch --version": [*ours, "--version"],
        "optout-watch rules": [*ours, "rules"],
    }
    _say(f"case 5, start-up, {runs} rounds")
    found = figures(
        alternate(
            runs,
            {
                name: functools.partial(measure, command, cwd=ROOT)
                for name, command in commands.items()
            },
        )
    )
    baseline = found["python -c pass"]
    data: dict[str, Any] = {
        "settings": {"commands": commands, "cwd": "the repository"},
        "figures": {},
        "notes": "Whole processes, the console script as installed.",
    }
    rows = []
    for name, figure in found.items():
        ratio = None if figure is baseline else figure.median_wall / baseline.median_wall
        data["figures"][name] = _figure_data(figure, time_ratio_to_python=ratio)
        rows.append(
            _row(
                "5 · start-up",
                name,
                figure,
                f"{figure.median_wall * 1000:.0f} ms",
                ratio=ratio,
                versus="" if ratio is None else "python -c pass",
            )
        )
    return Outcome("case5_startup", data, rows)


# Case 6 ------------------------------------------------------------------------------------


def case_6(ctx: Context) -> Outcome:
    """10,000 URLs over 100 hosts at 50 ms (per host 2, global 64), and the same at 1,000
    URLs: whole-command time and memory of ours and lychee, and their growth per URL."""
    runs = 1 if ctx.quick else 3
    big_per_host = 30 if ctx.quick else 100
    loads = {
        "small": ProbeLoad(100, 10, 0.05, per_host=2, global_limit=64, order=SHUFFLED),
        "big": ProbeLoad(100, big_per_host, 0.05, per_host=2, global_limit=64, order=SHUFFLED),
    }
    data: dict[str, Any] = {"loads": {}, "runs": runs}
    found_by_load: dict[str, dict[str, Figure]] = {}
    rows = []
    for key, load in loads.items():
        urls = catalogue_urls(load)
        catalogue = ctx.work / f"case6-{key}"
        write_catalogue(catalogue, urls, files=load.hosts)
        contenders: dict[str, Callable[[], Sample]] = {
            "optout-watch probe": functools.partial(run_probe_command, load, catalogue, ctx.work)
        }
        if ctx.lychee is not None:
            contenders["lychee"] = functools.partial(run_lychee, ctx.lychee, load, urls, ctx.work)
        _say(f"case 6, {load.describe()}: bound {load.bound:.2f} s, {runs} rounds")
        found = found_by_load[key] = figures(alternate(runs, contenders))
        data["loads"][key] = {
            "settings": load.settings(),
            "figures": {
                name: _figure_data(figure, ratio_to_bound=figure.median_wall / load.bound)
                for name, figure in found.items()
            },
        }
        for name, figure in found.items():
            rows.append(
                _row(
                    f"6 · {load.urls:,} URLs, 100 hosts, 50 ms",
                    name,
                    figure,
                    f"{figure.median_wall:.2f} s",
                    ratio=figure.median_wall / load.bound,
                    versus=f"bound {load.bound:.2f} s",
                )
            )
    extra_urls = loads["big"].urls - loads["small"].urls
    growth: dict[str, dict[str, float]] = {}
    for name in found_by_load["big"]:
        big, small = found_by_load["big"][name], found_by_load["small"][name]
        growth[name] = {
            "ms_per_url": (big.median_wall - small.median_wall) / extra_urls * 1000,
            "kb_per_url": (big.peak_rss_kb - small.peak_rss_kb) / extra_urls,
        }
    data["growth_per_extra_url"] = growth
    data["notes"] = (
        f"Shuffled order, whole commands. Growth = (big − small) ÷ {extra_urls:,} extra "
        "URLs, for the median wall time and for the peak RSS. The bound grows by "
        f"{(loads['big'].bound - loads['small'].bound) / extra_urls * 1000:.3f} ms per URL."
    )
    bound_growth = (loads["big"].bound - loads["small"].bound) / extra_urls * 1000
    for name, per_url in growth.items():
        rows.append(
            Row(
                f"6 · growth per extra URL ({loads['small'].urls:,} → {loads['big'].urls:,})",
                name,
                f"{per_url['ms_per_url']:.3f} ms, {per_url['kb_per_url']:.1f} KB",
                per_url["ms_per_url"] / bound_growth,
                f"bound {bound_growth:.3f} ms",
                None,
                runs,
            )
        )
    return Outcome("case6_scale", data, rows)


CASES: dict[int, Callable[[Context], Outcome]] = {
    1: case_1,
    2: case_2,
    3: case_3,
    4: case_4,
    5: case_5,
    6: case_6,
}


def _say(message: str) -> None:
    print(message, flush=True)
