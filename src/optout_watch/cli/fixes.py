"""`optout-watch fix --report FILE [--dry-run] [--min-score S]`: read the report and the
catalogue, plan the fixes (`fixes/plan.py`), print them, and write the files (or, with
`--dry-run`, print the diff). Exit codes: 0 nothing to fix, or fixed (refused fixes are
printed with their reason); 2 a report or an option that cannot be used. Never 1: fixes are
not findings."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from optout_watch.cli.streams import Streams
from optout_watch.errors import ExitCode, UsageError
from optout_watch.fixes.plan import check_in_folder, describe, plan_fixes
from optout_watch.fixes.plan import read_catalogue as read_files
from optout_watch.report.read import ReportError, load_report
from optout_watch.settings import Settings
from optout_watch.storage.atomic import write_text_atomic


def run_fix(args: argparse.Namespace, settings: Settings, streams: Streams) -> int:
    try:
        report = load_report(args.report)
    except ReportError as error:
        raise UsageError(str(error)) from None
    if report.outage:
        streams.info("an outage report: its findings are the network's; nothing to fix")
        return ExitCode.OK
    folder = Path(settings.catalogue)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such catalogue folder")
    files = read_files(folder)
    check = check_in_folder(dt.datetime.now(dt.UTC).date(), settings.max_review_age_days)
    plan = plan_fixes(report, files, min_score=settings.min_score, check=check)
    for line in describe(plan):
        streams.err.write(line + "\n")
    if not plan.changed:
        streams.info("nothing to fix")
        return ExitCode.OK
    if args.dry_run:
        streams.out.write(plan.diff())
        streams.info(f"dry run: {len(plan.changed)} file(s) would change; nothing written")
        return ExitCode.OK
    for name in plan.changed:
        write_text_atomic(Path(name), plan.after[name])
        streams.info(f"wrote {name}")
    return ExitCode.OK
