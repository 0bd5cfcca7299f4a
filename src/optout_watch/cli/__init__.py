"""The `optout-watch` command: argument parsing and wiring of the stages, nothing else."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

from optout_watch import __version__
from optout_watch.cli.streams import Runner, Streams
from optout_watch.errors import ExitCode, OptoutWatchError
from optout_watch.settings import DEFAULTS, Settings, load_settings

#: The formats' names, for the parser: the formats themselves load when a command runs
#: (a test checks that these names and the formats agree).
VALIDATION_FORMAT_NAMES = ("github", "json", "text")
REPORT_FORMAT_NAMES = ("json", "markdown", "text")

EPILOG = """\
examples:
  optout-watch check --report report.json     the nightly job: validate, probe, watch, report
  optout-watch probe --format markdown        probe every link once, no state kept
  optout-watch watch                          refresh the watched pages' snapshots
  optout-watch validate                       check every file under catalogue/
  optout-watch validate catalogue/linkedin.yaml --format github
  optout-watch rules                          list every rule code and why it exists
  optout-watch export -o catalogue.json       the whole catalogue as one JSON document
  optout-watch schema --check                 fail if schema/ drifts from the models
  optout-watch issues sync --report report.json   one GitHub issue per confirmed problem
  optout-watch fix --report report.json --dry-run   the catalogue edits the report calls for
  optout-watch render -o site                 the guide as a self-contained site
  optout-watch inspect URL --expect LABEL     propose a page's watch: block
  optout-watch backtest PLATFORM --since DATE   replay a watched page's archived history

exit codes: 0 nothing to act on, 1 findings, 2 usage, configuration or environment error.
Settings come from [tool.optout-watch] in pyproject.toml and OPTOUT_WATCH_* variables.
"""


#: Options that set a setting of the same name (`--per-host` → `per-host`).
_SETTING_OPTIONS = (
    "catalogue", "state", "select", "ignore", "confirm_after", "blocked_after", "timeout",
    "deadline", "retries", "max_concurrency", "per_host", "render", "min_score", "max_new",
    "fixes_branch",
)  # fmt: skip


def _common_options() -> argparse.ArgumentParser:
    """Options every command takes, before or after its name. Their defaults are suppressed
    so that a subcommand's default cannot overwrite a value given before the subcommand."""
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument(
        "--catalogue", type=Path, metavar="DIR",
        help=f"catalogue folder (default {DEFAULTS.catalogue}/)",
    )  # fmt: skip
    common.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="settings file (default: [tool.optout-watch] of the nearest pyproject.toml)",
    )
    verbosity = common.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print only findings")
    verbosity.add_argument(
        "-v", "--verbose", action="store_true", help="print each URL as it is fetched"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The parser: each command's options are declared by its own function below."""
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="optout-watch",
        description="Keeps a guide to AI-training opt-outs true.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"optout-watch {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (
        _add_validate,
        _add_check,
        _add_probe,
        _add_watch,
        _add_rules,
        _add_export,
        _add_fix,
        _add_render,
        _add_propose,
        _add_issues,
        _add_inspect,
        _add_backtest,
        _add_schema,
    ):
        add(commands, common)
    return parser


#: The subcommands' action (a generic only for the type checker).
_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


# --- the catalogue: validate, rules, export, schema (run by `cli/catalogue.py`) -------------


def _add_validate(commands: _Commands, common: argparse.ArgumentParser) -> None:
    validate = commands.add_parser(
        "validate",
        parents=[common],
        help="check catalogue files against the schema and the content rules",
        description="Report every problem of every file as path:line:column: CODE message.",
        epilog="example: optout-watch validate catalogue/ --format github",
    )
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    validate.add_argument("--format", choices=VALIDATION_FORMAT_NAMES, default="text")
    validate.add_argument("--select", metavar="CODES", help="only these codes (comma-separated)")
    validate.add_argument("--ignore", metavar="CODES", help="skip these codes (comma-separated)")
    validate.set_defaults(run=_deferred("catalogue", "run_validate"))


def _add_rules(commands: _Commands, common: argparse.ArgumentParser) -> None:
    rules = commands.add_parser(
        "rules", parents=[common], help="list the rule codes with their reasons"
    )
    rules.set_defaults(run=_run_rules)


def _run_rules(_args: argparse.Namespace, _settings: Settings, streams: Streams) -> int:
    """The registry alone: listing the rules loads neither the models nor the validator."""
    from optout_watch.lint.rules import RULES  # noqa: PLC0415

    for rule in RULES:
        streams.out.write(f"{rule.code}  {rule.name:<24} {rule.severity:<8} {rule.rationale}\n")
    return ExitCode.OK


def _add_export(commands: _Commands, common: argparse.ArgumentParser) -> None:
    export = commands.add_parser(
        "export",
        parents=[common],
        help="write the whole catalogue as one JSON document",
        epilog="example: optout-watch export -o catalogue.json",
    )
    export.add_argument("--format", choices=["json"], default="json")
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: stdout")
    export.set_defaults(run=_deferred("catalogue", "run_export"))


def _add_schema(commands: _Commands, common: argparse.ArgumentParser) -> None:
    schema = commands.add_parser(
        "schema",
        parents=[common],
        help="write the JSON Schemas generated from the models",
        epilog="example: optout-watch schema --check",
    )
    schema.add_argument("--output", type=Path, default=Path("schema"), metavar="DIR")
    schema.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file differs"
    )
    schema.set_defaults(run=_deferred("catalogue", "run_schema"))


# --- the network: check, probe, watch (run by `cli/network.py`) -----------------------------


def _add_check(commands: _Commands, common: argparse.ArgumentParser) -> None:
    check = commands.add_parser(
        "check",
        parents=[common, _network_options()],
        help="validate, probe and watch; report; remember the state",
        description="The nightly job. Findings are confirmed after --confirm-after runs.",
        epilog="example: optout-watch check --state state --report report.json "
        "--markdown report.md",
    )
    _state_options(check)
    check.add_argument("--report", type=Path, metavar="FILE", help="write the JSON report")
    check.add_argument("--markdown", type=Path, metavar="FILE", help="write a Markdown report")
    check.add_argument(
        "--confirm-after", type=int, metavar="N",
        help=f"runs before a finding is confirmed (default {DEFAULTS.confirm_after})",
    )  # fmt: skip
    check.add_argument(
        "--blocked-after", type=int, metavar="N",
        help=f"runs before a blocked link becomes a warning (default {DEFAULTS.blocked_after})",
    )  # fmt: skip
    check.set_defaults(run=_deferred("network", "run_check_command"))


def _add_probe(commands: _Commands, common: argparse.ArgumentParser) -> None:
    probe = commands.add_parser(
        "probe",
        parents=[common, _network_options()],
        help="fetch every catalogue URL once and judge it (no state)",
        epilog="example: optout-watch probe --remap '^https://(.*) http://127.0.0.1:8000/\\1'",
    )
    probe.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: stdout")
    probe.set_defaults(run=_deferred("network", "run_probe_command"))


def _add_watch(commands: _Commands, common: argparse.ArgumentParser) -> None:
    watch = commands.add_parser(
        "watch",
        parents=[common, _network_options()],
        help="fetch the watched pages, diff them, track their labels",
        epilog="example: optout-watch watch --state state",
    )
    _state_options(watch)
    watch.set_defaults(run=_deferred("network", "run_watch_command"))


# --- after a check: fix (`cli/fixes.py`), render (`cli/render.py`), propose, issues sync ---


def _add_fix(commands: _Commands, common: argparse.ArgumentParser) -> None:
    fix = commands.add_parser(
        "fix",
        parents=[common],
        help="edit the catalogue from a report's confirmed findings (moved links, renamed labels)",
        description="Apply the fixes a check's report carries: the new URL of a link that "
        "moved permanently, the new wording of a renamed label (with its rename history). "
        "Every other byte of the files is kept; the result must validate or nothing is "
        "written.",
        epilog="example: optout-watch fix --report report.json --dry-run",
    )
    fix.add_argument("--report", type=Path, required=True, metavar="FILE", help="check report")
    fix.add_argument("--dry-run", action="store_true", help="print the diff; write nothing")
    fix.add_argument(
        "--min-score", metavar="S",
        help="least score of a suggested label taken without the diff's evidence "
        f"(default {DEFAULTS.min_score})",
    )  # fmt: skip
    fix.set_defaults(run=_deferred("fixes", "run_fix"))


def _add_render(commands: _Commands, common: argparse.ArgumentParser) -> None:
    render = commands.add_parser(
        "render",
        parents=[common],
        help="render the catalogue as the guide people read (HTML site or Markdown)",
        epilog="example: optout-watch render --report report.json -o site",
    )
    render.add_argument("--report", type=Path, metavar="FILE", help="freshness from a report")
    render.add_argument("--lang", choices=("fr", "en", "all"), default="all")
    render.add_argument("--format", choices=("html", "markdown"), default="html")
    render.add_argument("-o", "--output", type=Path, required=True, metavar="DIR")
    render.set_defaults(run=_deferred("render", "run_render"))


def _add_propose(commands: _Commands, common: argparse.ArgumentParser) -> None:
    propose = commands.add_parser(
        "propose",
        parents=[common],
        help="open, update or close the one pull request of the catalogue's fixes",
        description="Reads the report and the catalogue's diff after `optout-watch fix`; an "
        "empty diff closes an open fix pull request. Needs GITHUB_TOKEN, like issues sync.",
        epilog="example: optout-watch propose --report report.json --diff fixes.diff",
    )
    propose.add_argument("--report", type=Path, required=True, metavar="FILE")
    propose.add_argument(
        "--diff", type=Path, required=True, metavar="FILE",
        help="the catalogue's diff after `optout-watch fix` (empty: nothing changed)",
    )  # fmt: skip
    propose.add_argument(
        "--branch", dest="fixes_branch", metavar="BRANCH",
        help=f"the fixes' branch (default {DEFAULTS.fixes_branch})",
    )  # fmt: skip
    propose.add_argument(
        "--ci-workflow", metavar="FILE",
        help="dispatch this workflow (ci.yml) on the branch: a pull request opened by a "
        "workflow's token starts none; needs `actions: write` and `on: workflow_dispatch`",
    )  # fmt: skip
    propose.add_argument("--base", help="default: $GITHUB_REF_NAME, else main")
    propose.add_argument("--repo", metavar="OWNER/NAME", help="default: $GITHUB_REPOSITORY")
    propose.add_argument("--dry-run", action="store_true", help="print; change nothing")
    propose.set_defaults(run=_run_propose)


def _run_propose(args: argparse.Namespace, settings: Settings, streams: Streams) -> int:
    from optout_watch.alerts.pull_request import sync_pull_request  # noqa: PLC0415

    return sync_pull_request(
        args.report,
        args.diff,
        branch=settings.fixes_branch,
        base=args.base,
        repo=args.repo,
        dry_run=args.dry_run,
        environ=os.environ,
        out=streams.out,
        ci_workflow=args.ci_workflow,
        write_interval=settings.github_write_interval,
    )


def _add_issues(commands: _Commands, common: argparse.ArgumentParser) -> None:
    issues = commands.add_parser(
        "issues",
        parents=[common],
        help="GitHub issues from a check's report (one per confirmed problem, and a dashboard)",
        description="Open, comment, close and reopen one issue per confirmed finding; keep "
        "one dashboard issue up to date. Reads only the report.",
    )
    issue_commands = issues.add_subparsers(dest="issues_command", metavar="ACTION", required=True)
    sync = issue_commands.add_parser(
        "sync",
        parents=[common],
        help="bring the repository's issues in line with the report",
        description="Needs GITHUB_TOKEN; the repository comes from --repo or "
        "GITHUB_REPOSITORY, the API from GITHUB_API_URL (default https://api.github.com).",
        epilog="example: optout-watch issues sync --report report.json --dry-run",
    )
    sync.add_argument("--report", type=Path, required=True, metavar="FILE", help="check report")
    sync.add_argument("--repo", metavar="OWNER/NAME", help="default: $GITHUB_REPOSITORY")
    sync.add_argument(
        "--dry-run", action="store_true", help="print the plan; change nothing on GitHub"
    )
    sync.add_argument(
        "--max-new", metavar="N",
        help="open at most N new issues a run; the rest wait on the dashboard "
        f"(default {DEFAULTS.max_new})",
    )  # fmt: skip
    sync.add_argument(
        "--dashboard", action=argparse.BooleanOptionalAction, default=True,
        help="keep the dashboard issue up to date (default: on)",
    )  # fmt: skip
    sync.set_defaults(run=_run_issues_sync)


def _run_issues_sync(args: argparse.Namespace, settings: Settings, streams: Streams) -> int:
    """The alerts load only when they run, like the network commands."""
    from optout_watch.alerts.sync import sync_issues  # noqa: PLC0415

    return sync_issues(
        args.report,
        repo=args.repo,
        dry_run=args.dry_run,
        max_new=settings.max_new,
        dashboard=args.dashboard,
        environ=os.environ,
        out=streams.out,
        write_interval=settings.github_write_interval,
    )


# --- a page outside the nightly run: inspect (`cli/inspect.py`), backtest (`cli/backtest.py`) ---


def _archive_network_options() -> argparse.ArgumentParser:
    """The network options of the commands that read pages outside the nightly run."""
    network = argparse.ArgumentParser(add_help=False)
    network.add_argument(
        "--remap", action="append", default=[], metavar="'REGEX REPLACEMENT'",
        help="fetch matching URLs elsewhere (the archive's addresses too; repeatable)",
    )  # fmt: skip
    network.add_argument(
        "--timeout", type=float, metavar="S",
        help=f"seconds per live request (default {DEFAULTS.timeout:g})",
    )  # fmt: skip
    network.add_argument(
        "--per-host", type=int, metavar="N",
        help=f"requests at once per host (default {DEFAULTS.per_host})",
    )  # fmt: skip
    network.add_argument("--format", choices=("json", "text"), default="text")
    return network


def _add_inspect(commands: _Commands, common: argparse.ArgumentParser) -> None:
    inspect = commands.add_parser(
        "inspect",
        parents=[common, _archive_network_options()],
        help="read a page and propose its watch: block (select, remove, expect)",
        description="The smallest stably named container holding every expected label, "
        "the selectors to remove from it, the share of the page it keeps and the copies of "
        "the labels it leaves out. Exit 0: a proposal; 1: no container holds every label.",
        epilog="example: optout-watch inspect https://help.example.com/privacy "
        "--expect 'Data Controls' --archive",
    )
    inspect.add_argument("url", metavar="URL")
    inspect.add_argument(
        "--expect", action="append", default=[], metavar="LABEL", help="a label (repeatable)"
    )
    inspect.add_argument("--lang", metavar="TAG", help="sent as Accept-Language (e.g. fr)")
    inspect.add_argument(
        "--render", dest="read_with", choices=("plain", "browser"), default="plain",
        help="read the page in headless Chromium (browser) or by one request (plain)",
    )  # fmt: skip
    inspect.add_argument(
        "--archive", dest="from_archive", action="store_true",
        help="read the web archive's freshest copy, and try the proposal on older ones",
    )  # fmt: skip
    inspect.set_defaults(run=_deferred("inspect", "run_inspect"))


def _add_backtest(commands: _Commands, common: argparse.ArgumentParser) -> None:
    backtest = commands.add_parser(
        "backtest",
        parents=[common, _archive_network_options()],
        help="replay a watched page's history through the nightly's checks",
        description="Each copy of the page (the web archive's, or an Open Terms Archive "
        "snapshots repository's) read as one night: copies, share where select matched, each "
        "label's first and last dates, the renames the nightly would have reported, and how "
        "often the text changed.",
        epilog="example: optout-watch backtest google-gemini --since 2026-01-01",
    )
    backtest.add_argument(
        "pages", nargs="*", metavar="PLATFORM|URL", help="default: every watched page"
    )
    backtest.add_argument(
        "--since", metavar="DATE", help="first day replayed (default: a year ago)"
    )
    backtest.add_argument(
        "--source", default="wayback", metavar="wayback|ota:PATH",
        help="the web archive (default), or a local clone of an Open Terms Archive snapshots "
        "repository",
    )  # fmt: skip
    backtest.add_argument(
        "--ota-path", metavar="SERVICE/TYPE.html", help="the page's file in that repository"
    )
    backtest.set_defaults(run=_deferred("backtest", "run_backtest"))


def _deferred(module: str, name: str) -> Runner:
    """The runner `name` of `optout_watch.cli.<module>`, imported when the command runs, so that
    `--help`, `--version` and a mistyped command start without loading the stages."""

    def run(args: argparse.Namespace, settings: Settings, streams: Streams) -> int:
        runner: Runner = getattr(importlib.import_module(f"optout_watch.cli.{module}"), name)
        return runner(args, settings, streams)

    return run


def _network_options() -> argparse.ArgumentParser:
    network = argparse.ArgumentParser(add_help=False)
    network.add_argument(
        "--remap", action="append", default=[], metavar="'REGEX REPLACEMENT'",
        help="fetch matching URLs elsewhere (repeatable; reports keep the catalogue's URL)",
    )  # fmt: skip
    network.add_argument(
        "--timeout", type=float, metavar="S",
        help=f"seconds per request (default {DEFAULTS.timeout:g})",
    )  # fmt: skip
    network.add_argument(
        "--deadline", type=float, metavar="S",
        help="seconds for everything one URL may take, retries and redirects included "
        f"(default {DEFAULTS.deadline:g})",
    )  # fmt: skip
    network.add_argument(
        "--retries", type=int, metavar="N", help=f"retries per URL (default {DEFAULTS.retries})"
    )
    network.add_argument(
        "--max-concurrency", type=int, metavar="N",
        help=f"requests at once (default {DEFAULTS.max_concurrency})",
    )  # fmt: skip
    network.add_argument(
        "--per-host", type=int, metavar="N",
        help=f"requests at once per host (default {DEFAULTS.per_host})",
    )  # fmt: skip
    network.add_argument(
        "--render", metavar="auto|never|always",
        help="which watched pages headless Chromium shows: auto, those marked `render: "
        f"browser`; never, none; always, all (default {DEFAULTS.render}); `probe` watches "
        "no page, so it never renders",
    )  # fmt: skip
    network.add_argument("--format", choices=REPORT_FORMAT_NAMES, default="text")
    return network


def _state_options(parser: argparse.ArgumentParser) -> None:
    """Options of the runs that remember (`check`, `watch`)."""
    parser.add_argument(
        "--state", type=Path, metavar="DIR", help=f"state folder (default {DEFAULTS.state}/)"
    )
    # (`dest` differs from the setting's name: `inspect --archive` is a flag of its own.)
    parser.add_argument(
        "--archive", dest="archive_mode", metavar="never|fallback",
        help="fallback: read a watched page the check cannot read live from the web archive's "
        "freshest copy, and give a broken link its last archived copy; never: ask no archive "
        f"(default {DEFAULTS.archive})",
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    streams = Streams(
        sys.stdout,
        sys.stderr,
        quiet=getattr(args, "quiet", False),
        verbose=getattr(args, "verbose", False),
    )
    try:
        options = {name.replace("_", "-"): getattr(args, name, None) for name in _SETTING_OPTIONS}
        options["archive"] = getattr(args, "archive_mode", None)
        settings = load_settings(
            getattr(args, "config", None), cwd=Path.cwd(), environ=os.environ, options=options
        )
        run: Runner = args.run
        return run(args, settings, streams)
    except OptoutWatchError as error:
        sys.stderr.write(f"optout-watch: {error}\n")
        return error.exit_code
    except OSError as error:  # a folder that cannot be written, a full disk
        where = f"{error.filename}: " if error.filename else ""
        sys.stderr.write(f"optout-watch: {where}{error.strerror or error}\n")
        return ExitCode.USAGE
    except KeyboardInterrupt:
        sys.stderr.write("optout-watch: interrupted\n")
        return ExitCode.USAGE


if __name__ == "__main__":
    sys.exit(main())
