"""The workflows: pinned actions, least permissions, and the nightly run's order and conditions.

The `if:` expressions of the nightly workflow are evaluated by a small evaluator of GitHub's
expression syntax, and its jobs are played by a small runner that runs the real `run:` scripts
with bash, in the order and under the conditions GitHub would. A local bare repository stands
in for GitHub: git's `url.<base>.insteadOf` maps the HTTPS URL carrying the token onto it, and
`GIT_ALLOW_PROTOCOL=file` stops git from ever reaching the network. `optout-watch` and `python`
are fakes that record how they were called. So these tests prove what a run does with exit
codes 0, 1 and 2, on a first run, on a later one and when the push loses a race.

The repository's composite action (action.yml) is expanded where a job uses it (`uses: ./`,
or `optout-watch/optout-watch@<sha>` in another repository's workflow): its steps run in place,
with its inputs, as GitHub runs them, so the same tests hold for the action.
"""

from __future__ import annotations

import copy
import functools
import math
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.paths import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
NIGHTLY = WORKFLOWS / "nightly.yml"
ACTION = ROOT / "action.yml"
THIS_ACTION = "optout-watch/optout-watch"  # how another repository names the action
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
STATE_BRANCH = "optout-watch-state"
TOKEN = "ghs_FakeTokenThatMustNeverBePrinted"
SERVER_URL = "https://github.example"
REPOSITORY = "example/optout-watch"
PUSH_URL = f"https://x-access-token:{TOKEN}@github.example/{REPOSITORY}.git"


# --- reading the workflows ----------------------------------------------------------------


def load(path: Path) -> dict[str, Any]:
    """The workflow or action at `path`, a copy of its own for the caller to change."""
    return copy.deepcopy(_parsed(path))


@functools.cache
def _parsed(path: Path) -> dict[str, Any]:
    """Each file is parsed once: the runner reads the workflows and the action at every step."""
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as the boolean true
        data["on"] = data.pop(True)
    return data


def nightly() -> dict[str, Any]:
    return load(NIGHTLY)


def action() -> dict[str, Any]:
    return load(ACTION)


def is_this_action(step: dict[str, Any]) -> bool:
    """A step using this repository's action: `./` here, `optout-watch/optout-watch@…` elsewhere."""
    used = str(step.get("uses", ""))
    return used == "./" or used.startswith(f"{THIS_ACTION}@")


def action_inputs(step: dict[str, Any], context: dict[str, Any] | None = None) -> dict[str, str]:
    """The inputs the action gets from a step: its `with:` over the defaults, interpolated."""
    declared = action()["inputs"]
    given = step.get("with", {})
    assert set(given) <= set(declared), f"unknown inputs {set(given) - set(declared)}"
    return {
        name: interpolate(given.get(name, spec.get("default", "")), context or {})
        for name, spec in declared.items()
    }


def expanded(job: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, str] | None]]:
    """A job's steps with the action's own steps in place of a step using it, each with the
    inputs it runs with (None for the job's own steps)."""
    found: list[tuple[dict[str, Any], dict[str, str] | None]] = []
    for step in job.get("steps", []):
        if is_this_action(step):
            inputs = action_inputs(step)
            found.extend((inner, inputs) for inner in action()["runs"]["steps"])
        else:
            found.append((step, None))
    return found


def steps_of(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for step, _ in expanded(job)]


def can_run(step: dict[str, Any], inputs: dict[str, str] | None) -> bool:
    """Whether an action's step may run with these inputs, whatever the check's exit code;
    the job's own steps are taken as able to run."""
    if inputs is None:
        return True
    return any(
        condition(step.get("if"), {"inputs": inputs, **step_context(code)}, status)
        for code in ("0", "1", "2", None)
        for status in (ALL_WELL, A_STEP_FAILED)
    )


def all_steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every step of every job, the action's steps in place of a step using it."""
    for job_id, job in workflow["jobs"].items():
        for step in steps_of(job):
            yield job_id, step


def written_steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The steps as written in the workflow file, a step using the action as it is."""
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def step_index(job: dict[str, Any], predicate: Callable[[dict[str, Any]], bool]) -> int:
    matches = [i for i, step in enumerate(steps_of(job)) if predicate(step)]
    assert len(matches) == 1, f"expected one matching step, found {len(matches)}"
    return matches[0]


def step_of(job: dict[str, Any], predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return steps_of(job)[step_index(job, predicate)]


def uses(action: str) -> Callable[[dict[str, Any]], bool]:
    return lambda step: str(step.get("uses", "")).startswith(f"{action}@")


def has_id(step_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda step: step.get("id") == step_id


def runs(command: str) -> Callable[[dict[str, Any]], bool]:
    return lambda step: command in str(step.get("run", ""))


def job_with_step(workflow: dict[str, Any], predicate: Callable[[dict[str, Any]], bool]) -> str:
    """The one job with a step that matches and may run (an action's step may be turned off
    by the inputs the job gives it)."""
    found: set[str] = {
        job_id
        for job_id, job in workflow["jobs"].items()
        for step, inputs in expanded(job)
        if predicate(step) and can_run(step, inputs)
    }
    assert len(found) == 1, found
    return found.pop()


# --- GitHub's expression syntax, as far as the workflows use it ----------------------------

_LEXEME = re.compile(
    r"\s*(?:(?P<op>==|!=|&&|\|\||!|\(|\))"
    r"|(?P<str>'(?:[^']|'')*')"
    r"|(?P<num>\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*))"
)
STATUS_FUNCTIONS = ("success", "failure", "always", "cancelled")


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        if not value.strip():
            return 0.0
        try:
            return float(value)
        except ValueError:
            return math.nan
    return math.nan


def _equal(left: Any, right: Any) -> bool:
    """GitHub's loose equality: strings ignore case; mixed types are compared as numbers."""
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if type(left) is type(right):
        return bool(left == right)
    return _number(left) == _number(right)  # NaN equals nothing


def _truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def _as_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Parser:
    """or := and ('||' and)*; and := unary ('&&' unary)*; unary := '!' unary | comparison;
    comparison := primary (('==' | '!=') primary)?; primary := '(' or ')' | literal | call | path.
    """

    def __init__(self, text: str, context: dict[str, Any], status: dict[str, bool]) -> None:
        self.lexemes: list[tuple[str, str]] = []
        position, text = 0, text.strip()
        while position < len(text):
            match = _LEXEME.match(text, position)
            assert match, f"cannot read {text[position:]!r}"
            assert match.lastgroup
            self.lexemes.append((match.lastgroup, match.group(match.lastgroup)))
            position = match.end()
        self.index = 0
        self.context = context
        self.status = status

    def evaluate(self) -> Any:
        value = self._or()
        assert self.index == len(self.lexemes), f"trailing {self.lexemes[self.index :]}"
        return value

    def _peek(self) -> str | None:
        if self.index < len(self.lexemes) and self.lexemes[self.index][0] == "op":
            return self.lexemes[self.index][1]
        return None

    def _take(self) -> tuple[str, str]:
        lexeme = self.lexemes[self.index]
        self.index += 1
        return lexeme

    def _expect(self, op: str) -> None:
        assert self._take() == ("op", op), f"expected {op!r}"

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if _truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._unary()
        while self._peek() == "&&":
            self._take()
            right = self._unary()
            value = right if _truthy(value) else value
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not _truthy(self._unary())
        return self._comparison()

    def _comparison(self) -> Any:
        left = self._primary()
        if self._peek() in ("==", "!="):
            op = self._take()[1]
            equal = _equal(left, self._primary())
            return equal if op == "==" else not equal
        return left

    def _primary(self) -> Any:
        kind, text = self._take()
        if (kind, text) == ("op", "("):
            value = self._or()
            self._expect(")")
            return value
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        assert kind == "name", f"unexpected {text!r}"
        if self._peek() == "(":
            self._take()
            self._expect(")")
            assert text in STATUS_FUNCTIONS, f"unsupported function {text}()"
            return self.status[text]
        literals: dict[str, Any] = {"true": True, "false": False, "null": None}
        if text in literals:
            return literals[text]
        found: Any = self.context
        for part in text.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        return found


def evaluate(text: str, context: dict[str, Any], status: dict[str, bool] | None = None) -> Any:
    return _Parser(text, context, status or {}).evaluate()


def condition(expression: Any, context: dict[str, Any], status: dict[str, bool]) -> bool:
    """Whether a step or a job with this `if:` runs; without a status function GitHub adds
    `success() &&` in front."""
    text = "success()" if expression is None else _as_string(expression).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    if not re.search(r"\b(?:success|failure|always|cancelled)\s*\(", text):
        text = f"success() && ({text})"
    return _truthy(evaluate(text, context, status))


def interpolate(value: Any, context: dict[str, Any]) -> str:
    return re.sub(
        r"\$\{\{(.*?)\}\}",
        lambda match: _as_string(evaluate(match.group(1), context)),
        _as_string(value),
    )


# --- a small runner for the nightly workflow ------------------------------------------------

FAKE_OPTOUT_WATCH = r"""#!/bin/bash
# Records its call (and only whether a token was given); the check writes its state
# (even on exit 2, the worst case) and its reports, then exits with $FAKE_EXIT.
set -eu
echo "optout-watch $* token=${GITHUB_TOKEN:+given}" >> "$FAKE_LOG"
if [ "$1" = fix ] && [ "$FAKE_FIX" = 1 ]; then echo "fixed: true" >> catalogue/example.yaml; fi
if [ "$1" != check ]; then exit 0; fi
state="" report="" markdown=""
while [ $# -gt 0 ]; do
  case "$1" in
    --state) state=$2; shift ;;
    --report) report=$2; shift ;;
    --markdown) markdown=$2; shift ;;
  esac
  shift
done
if [ "$FAKE_WRITE" = 1 ]; then
  mkdir -p "$state/snapshots"
  echo $(( $(cat "$state/runs" 2>/dev/null || echo 0) + 1 )) > "$state/runs"
  echo "snapshot" > "$state/snapshots/example.txt"
  if [ -n "$FAKE_EXTRACTOR" ]; then
    printf '{\n  "extractor": "%s"\n}\n' "$FAKE_EXTRACTOR" > "$state/state.json"
  fi
fi
echo '{"findings": []}' > "$report"
echo '# Report' > "$markdown"
exit "$FAKE_EXIT"
"""

FAKE_PYTHON = """#!/bin/bash
echo "python $*" >> "$FAKE_LOG"
"""


@dataclass
class StepRun:
    name: str
    outcome: str  # success, failure or skipped
    output: str = ""


@dataclass
class JobRun:
    result: str  # success, failure or skipped
    steps: list[StepRun] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    def outcomes(self) -> dict[str, str]:
        return {step.name: step.outcome for step in self.steps}

    def step(self, name: str) -> StepRun:
        (found,) = [step for step in self.steps if step.name == name]
        return found


def step_name(step: dict[str, Any]) -> str:
    """A step's id, else its action, else its name."""
    if "id" in step:
        return str(step["id"])
    return str(step["uses"]).split("@")[0] if "uses" in step else str(step["name"])


class Sandbox:
    """A bare repository standing in for GitHub, fakes on the PATH, and fresh workspaces."""

    def __init__(self, root: Path, template: Path | None = None) -> None:
        """`template`: a remote made by another sandbox, copied instead of made again."""
        self.root = root
        self.remote = root / "remote.git"
        self.artifacts = root / "artifacts"
        self.log = root / "calls.log"
        self.bin = root / "bin"
        self.gitconfig = root / "gitconfig"
        self.runs = 0
        self.exit_code = "0"
        self.write_state = True
        self.fix_catalogue = False
        #: The extractor version the fake check records in state.json ("" for none).
        self.extractor = ""
        self.hooks: dict[str, Callable[[], None]] = {}
        self.bin.mkdir()
        (root / "home").mkdir()
        for name, text in (("optout-watch", FAKE_OPTOUT_WATCH), ("python", FAKE_PYTHON)):
            (self.bin / name).write_text(text, encoding="utf-8")
            (self.bin / name).chmod(0o755)
        self.point_github_at(self.remote)
        if template is None:
            self._seed_remote()
        else:
            shutil.copytree(template, self.remote)
        self.main_head = self.head("main")

    def _seed_remote(self) -> None:
        """The remote with one commit on main."""
        self.git("init", "--quiet", "--bare", "--initial-branch=main", str(self.remote))
        seed = self.root / "seed"
        self.git("clone", "--quiet", self.remote.as_uri(), str(seed))
        (seed / "README.md").write_text("optout-watch\n", encoding="utf-8")
        self.commit_all(seed, "initial commit")
        self.git("-C", str(seed), "push", "--quiet", "origin", "HEAD:main")

    def point_github_at(self, repository: Path) -> None:
        self.gitconfig.write_text(
            f'[url "{repository.as_uri()}"]\n\tinsteadOf = {PUSH_URL}\n', encoding="utf-8"
        )

    def env(self) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.root / "home"),
            "LANG": "C.UTF-8",
            "GIT_CONFIG_GLOBAL": str(self.gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_ALLOW_PROTOCOL": "file",  # never the network, whatever a script asks for
            "GIT_TERMINAL_PROMPT": "0",
            "GITHUB_SERVER_URL": SERVER_URL,
            "GITHUB_REPOSITORY": REPOSITORY,
            "FAKE_LOG": str(self.log),
            "FAKE_EXIT": self.exit_code,
            "FAKE_WRITE": "1" if self.write_state else "0",
            "FAKE_FIX": "1" if self.fix_catalogue else "0",
            "FAKE_EXTRACTOR": self.extractor,
        }

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=self.env(), capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def commit_all(self, clone: Path, message: str) -> None:
        self.git("-C", str(clone), "add", "--all")
        self.git(
            "-C", str(clone), "-c", "user.name=someone", "-c", "user.email=someone@example.com",
            "commit", "--quiet", "-m", message,
        )  # fmt: skip

    def head(self, branch: str) -> str | None:
        done = subprocess.run(
            ["git", "--git-dir", str(self.remote), "rev-parse", "--verify", "--quiet",
             f"refs/heads/{branch}"],
            env=self.env(), capture_output=True, text=True, check=False,
        )  # fmt: skip
        return done.stdout.strip() or None

    def branch_log(self, branch: str) -> list[str]:
        """Commits of a branch of the remote, newest first, as 'subject|parents|author'."""
        out = self.git(
            "--git-dir", str(self.remote), "log", "--format=%s|%P|%an", f"refs/heads/{branch}"
        )
        return out.splitlines()

    def branch_files(self, branch: str) -> dict[str, str]:
        names = self.git(
            "--git-dir", str(self.remote), "ls-tree", "-r", "--name-only", f"refs/heads/{branch}"
        ).splitlines()
        return {
            name: self.git("--git-dir", str(self.remote), "show", f"refs/heads/{branch}:{name}")
            for name in names
        }

    def push_from_elsewhere(self, files: dict[str, str], *, orphan: bool = False) -> str:
        """Someone else pushes the state branch (a maintainer, or a run outside the group)."""
        clone = self.root / f"elsewhere-{len(list(self.root.glob('elsewhere-*')))}"
        if orphan:
            self.git("init", "--quiet", f"--initial-branch={STATE_BRANCH}", str(clone))
        else:
            self.git("clone", "--quiet", "--branch", STATE_BRANCH, self.remote.as_uri(), str(clone))
        for name, text in files.items():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            (clone / name).write_text(text, encoding="utf-8")
        self.commit_all(clone, "someone else's push")
        self.git("-C", str(clone), "push", "--quiet", self.remote.as_uri(), f"HEAD:{STATE_BRANCH}")
        head = self.head(STATE_BRANCH)
        assert head
        return head

    def calls(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []

    # -- playing a run --

    def run_nightly(self, exit_code: int | str) -> dict[str, JobRun]:
        """Plays the jobs of nightly.yml in order, under their conditions, like GitHub."""
        return self.run_workflow(nightly(), exit_code)

    def run_workflow(self, workflow: dict[str, Any], exit_code: int | str) -> dict[str, JobRun]:
        self.runs += 1
        self.exit_code = str(exit_code)
        results: dict[str, JobRun] = {}
        for job_id, job in workflow["jobs"].items():
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            assert all(need in results for need in needs), "jobs are listed in run order"
            context: dict[str, Any] = {
                "github": {"token": TOKEN},
                "needs": {
                    need: {"result": results[need].result, "outputs": results[need].outputs}
                    for need in needs
                },
            }
            status = {
                "success": all(results[need].result == "success" for need in needs),
                "failure": any(results[need].result == "failure" for need in needs),
                "always": True,
                "cancelled": False,
            }
            if condition(job.get("if"), context, status):
                workspace = self.root / f"run-{self.runs}" / job_id
                workspace.mkdir(parents=True)
                results[job_id] = self.run_job(job, workspace, context)
            else:
                results[job_id] = JobRun("skipped")
        return results

    def run_job(self, job: dict[str, Any], workspace: Path, context: dict[str, Any]) -> JobRun:
        context = {**context, "steps": {}}
        job_env = {key: interpolate(value, context) for key, value in job.get("env", {}).items()}
        run = JobRun("success")
        failed = self.run_steps(job["steps"], context, job_env, workspace, run, failed=False)
        run.result = "failure" if failed else "success"
        outputs = job.get("outputs", {})
        run.outputs = {key: interpolate(value, context) for key, value in outputs.items()}
        return run

    def run_steps(
        self,
        steps: list[dict[str, Any]],
        context: dict[str, Any],
        env: dict[str, str],
        workspace: Path,
        run: JobRun,
        *,
        failed: bool,
    ) -> bool:
        """Runs steps in order under their conditions, recording each in `run`; whether one
        failed. This repository's action is expanded: its steps are recorded in its place."""
        for step in steps:
            name = step_name(step)
            if name in self.hooks:
                self.hooks[name]()
            status = {"success": not failed, "failure": failed, "always": True, "cancelled": False}
            outputs: dict[str, str] = {}
            step_env = {
                **env,
                **{k: interpolate(v, context) for k, v in step.get("env", {}).items()},
            }
            if not condition(step.get("if"), context, status):
                outcome, output = "skipped", ""
                if is_this_action(step):
                    run.steps.append(StepRun(name, outcome, output))
            elif is_this_action(step):
                outcome, outputs = self.run_composite(step, context, step_env, workspace, run)
            elif "uses" in step:
                outcome, output = self.run_action(step, workspace), ""
            else:
                outcome, output, outputs = self.run_script(step, step_env, workspace)
            failed = failed or outcome == "failure"
            if not is_this_action(step):
                run.steps.append(StepRun(name, outcome, output))
            if "id" in step:
                context["steps"][step["id"]] = {"outputs": outputs, "outcome": outcome}
        return failed

    def run_composite(
        self,
        step: dict[str, Any],
        context: dict[str, Any],
        env: dict[str, str],
        workspace: Path,
        run: JobRun,
    ) -> tuple[str, dict[str, str]]:
        """As GitHub runs a composite action: its steps with the inputs (the `with:` over the
        defaults) and steps of their own, in the action's folder ($GITHUB_ACTION_PATH: the
        workspace for `./`); its outputs from its own steps' outputs."""
        composite = action()
        assert composite["runs"]["using"] == "composite"
        inner: dict[str, Any] = {
            "github": context.get("github", {}),
            "inputs": action_inputs(step, context),
            "steps": {},
        }
        if step["uses"] == "./":
            action_path = workspace
        else:
            action_path = self.root / "action"
            action_path.mkdir(exist_ok=True)
        env = {**env, "GITHUB_ACTION_PATH": str(action_path)}
        failed = self.run_steps(
            composite["runs"]["steps"], inner, env, workspace, run, failed=False
        )
        outputs = {
            key: interpolate(spec["value"], inner) for key, spec in composite["outputs"].items()
        }
        return ("failure" if failed else "success"), outputs

    def run_action(self, step: dict[str, Any], workspace: Path) -> str:
        action = str(step["uses"]).split("@")[0]
        with_ = step.get("with", {})
        if action == "actions/checkout":
            self.git("clone", "--quiet", "--branch", "main", self.remote.as_uri(), str(workspace))
        elif action == "actions/upload-artifact":
            folder = self.artifacts / with_["name"]
            folder.mkdir(parents=True, exist_ok=True)
            for line in str(with_["path"]).split():
                if (workspace / line).is_file():
                    shutil.copy(workspace / line, folder / line)
        elif action == "actions/download-artifact":
            folder = self.artifacts / with_["name"]
            if not folder.is_dir():
                return "failure"
            shutil.copytree(folder, workspace, dirs_exist_ok=True)
        else:
            assert action == "actions/setup-python", f"no stand-in for {action}"
        return "success"

    def run_script(
        self, step: dict[str, Any], env: dict[str, str], workspace: Path
    ) -> tuple[str, str, dict[str, str]]:
        """As GitHub runs a `run:` step: `shell: bash` is `bash --noprofile --norc -eo pipefail`,
        no shell is `bash -e`."""
        index = len(list(workspace.parent.glob("*.step.sh")))
        script = workspace.parent / f"{index}.step.sh"
        script.write_text(step["run"], encoding="utf-8")
        github_output = workspace.parent / f"{index}.output"
        github_output.touch()
        options = ["-eo", "pipefail"] if step.get("shell") == "bash" else ["-e"]
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", *options, str(script)],
            cwd=workspace,
            env={
                **self.env(),
                "GITHUB_WORKSPACE": str(workspace),
                "GITHUB_OUTPUT": str(github_output),
                **env,
            },
            capture_output=True,
            text=True,
            check=False,
        )
        outputs = dict(
            line.split("=", 1) for line in github_output.read_text().splitlines() if "=" in line
        )
        outcome = "success" if done.returncode == 0 else "failure"
        return outcome, done.stdout + done.stderr, outputs


@pytest.fixture(scope="module")
def seeded_remote(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded remote per module, copied by each sandbox: five git runs fewer each."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return Sandbox(tmp_path_factory.mktemp("template")).remote


@pytest.fixture
def sandbox(tmp_path: Path, seeded_remote: Path) -> Sandbox:
    return Sandbox(tmp_path, template=seeded_remote)


def conclusion(results: dict[str, JobRun]) -> str:
    return "failure" if any(job.result == "failure" for job in results.values()) else "success"


# --- the expression evaluator itself --------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("'1' == '1'", True),
        ("'a' == 'A'", True),  # strings compare without case
        ("'1' != '2' && '3' == '3'", True),
        ("'1' == '2' || '3' == '3'", True),
        ("!('1' == '1')", False),
        ("x.y == '0'", True),  # a missing value is null, and null == '0' as numbers
        ("'' == '0'", False),
        ("always() && !cancelled()", True),
    ],
)
def test_the_evaluator_follows_github(expression: str, expected: bool) -> None:
    status = {"success": True, "failure": False, "always": True, "cancelled": False}
    assert evaluate(expression, {}, status) is expected


# --- both workflows -------------------------------------------------------------------------


def written_uses(path: Path) -> list[str]:
    """The `uses:` of a workflow's or of action.yml's steps as written, the action's own
    `./` left out."""
    data = load(path)
    steps = data["runs"]["steps"] if path == ACTION else [s for _, s in written_steps(data)]
    return [str(step["uses"]) for step in steps if "uses" in step and step["uses"] != "./"]


@pytest.mark.parametrize("path", [*WORKFLOW_FILES, ACTION], ids=lambda path: path.name)
def test_every_action_is_pinned_by_a_commit_with_its_version(path: Path) -> None:
    actions = written_uses(path)
    assert actions
    for action in actions:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action
    pinned = re.findall(
        r"^\s*(?:-\s+)?uses:\s+(\S+@[0-9a-f]{40}) # v\d+\.\d+\.\d+\s*$",
        path.read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    assert sorted(pinned) == sorted(actions), "each `uses:` line ends with `# vX.Y.Z`"


def test_an_action_has_the_same_pin_in_every_workflow() -> None:
    pins: dict[str, set[str]] = {}
    for path in [*WORKFLOW_FILES, ACTION]:
        for used in written_uses(path):
            name, sha = used.split("@")
            pins.setdefault(name, set()).add(sha)
    assert {action: shas for action, shas in pins.items() if len(shas) > 1} == {}


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_no_expression_inside_a_script(path: Path) -> None:
    for job_id, step in all_steps(load(path)):  # the action's scripts too, where it is used
        assert "${{" not in str(step.get("run", "")), f"{job_id}: {step_name(step)}"
    for step in action()["runs"]["steps"]:
        assert "${{" not in str(step.get("run", "")), step_name(step)


def test_the_only_local_action_is_this_repository_s() -> None:
    for path in WORKFLOW_FILES:
        for job_id, step in written_steps(load(path)):
            if str(step.get("uses", "")).startswith("."):
                assert step["uses"] == "./", job_id


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_checkouts_keep_no_credentials(path: Path) -> None:
    for job_id, step in all_steps(load(path)):
        if uses("actions/checkout")(step):
            assert step["with"]["persist-credentials"] is False, job_id


# --- nightly.yml: triggers, permissions, concurrency ---------------------------------------


def test_nightly_runs_daily_and_by_hand_only() -> None:
    triggers = nightly()["on"]
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    (schedule,) = triggers["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert (day, month, weekday) == ("*", "*", "*")
    assert minute.isdigit()
    assert hour.isdigit()


def test_nightly_runs_one_at_a_time_without_cancelling() -> None:
    concurrency = nightly()["concurrency"]
    assert concurrency["group"]
    assert concurrency.get("cancel-in-progress", False) is False


def test_every_nightly_job_has_a_timeout() -> None:
    for job_id, job in nightly()["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), job_id


def job_with_uses(workflow: dict[str, Any], prefix: str) -> str:
    """The id of the one job with a step using the action `prefix`."""
    ids: list[str] = [
        job_id
        for job_id, job in workflow["jobs"].items()
        if any(str(step.get("uses", "")).startswith(prefix) for step in job.get("steps", []))
    ]
    (found,) = ids
    return found


def test_permissions_are_the_least_each_job_needs() -> None:
    workflow = nightly()
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    for job_id, job in jobs.items():
        assert isinstance(job.get("permissions"), dict), f"{job_id} states its permissions"
    writes = {
        scope: {job_id for job_id, job in jobs.items() if job["permissions"].get(scope) == "write"}
        for scope in ("contents", "issues", "pull-requests", "actions")
    }
    allowed = {scope for job in jobs.values() for scope, level in job["permissions"].items()}
    assert allowed <= {"contents", "issues", "pull-requests", "actions", "pages", "id-token"}
    publishing = job_with_uses(workflow, "actions/deploy-pages@")
    # Publishing the guide has the two permissions Pages needs and nothing else; rendering it
    # (code from the repository) runs with read access only.
    assert jobs[publishing]["permissions"] == {"pages": "write", "id-token": "write"}
    assert all(
        "pages" not in job["permissions"] and "id-token" not in job["permissions"]
        for job_id, job in jobs.items()
        if job_id != publishing
    )
    assert jobs["guide"]["permissions"] == {"contents": "read"}
    pushing = job_with_step(workflow, runs('git push --quiet "$remote"'))
    fixing = job_with_step(workflow, runs("optout-watch propose"))
    syncing = job_with_step(workflow, runs("optout-watch issues sync"))
    assert writes == {
        "contents": {pushing, fixing},
        "issues": {syncing},
        "pull-requests": {fixing},
        "actions": {fixing},
    }
    assert len({pushing, fixing, syncing}) == 3, "no job may both push and write issues"
    assert jobs[syncing]["permissions"] == {"contents": "read", "issues": "write"}
    # `actions: write` only to dispatch CI on the fixes' branch (see the test below).
    assert jobs[fixing]["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "actions": "write",
    }


def token_paths(node: Any, pattern: str, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of the values naming the token."""
    if isinstance(node, dict):
        return [
            found
            for key, value in node.items()
            for found in token_paths(value, pattern, (*path, key))
        ]
    if isinstance(node, list):
        return [
            found
            for index, value in enumerate(node)
            for found in token_paths(value, pattern, (*path, index))
        ]
    return [path] if re.search(pattern, str(node)) else []


def test_the_token_is_given_only_through_env_to_the_steps_that_need_it() -> None:
    workflow = nightly()
    alerts, fixes = workflow["jobs"]["alerts"], workflow["jobs"]["fixes"]
    expected = [
        ("jobs", "alerts", "steps", step_index(alerts, has_id("sync")), "env", "GITHUB_TOKEN"),
        ("jobs", "fixes", "steps", step_index(fixes, has_id("push-fixes")), "env", "GITHUB_TOKEN"),
        (
            "jobs",
            "fixes",
            "steps",
            step_index(fixes, has_id("pull-request")),
            "env",
            "GITHUB_TOKEN",
        ),
    ]
    assert "GITHUB_TOKEN" not in step_of(fixes, has_id("fix")).get("env", {})
    assert token_paths(workflow, r"github\.token|secrets\.") == expected
    # The check job's token is the action's default (the job's own token), never passed on.
    check = workflow["jobs"]["check"]
    (uses_action,) = [step for step in check["steps"] if is_this_action(step)]
    assert "token" not in uses_action.get("with", {})


def test_the_action_gives_its_token_only_to_the_steps_that_need_it() -> None:
    composite = action()
    assert composite["inputs"]["token"]["default"] == "${{ github.token }}"
    steps = composite["runs"]["steps"]

    def at(step_id: str) -> tuple[Any, ...]:
        (index,) = [i for i, step in enumerate(steps) if step.get("id") == step_id]
        return ("runs", "steps", index, "env", "GITHUB_TOKEN")

    assert token_paths(composite, r"github\.token|secrets\.") == [("inputs", "token", "default")]
    assert token_paths(composite, r"inputs\.token") == [
        at("state-branch"),
        at("push-state"),
        at("sync"),
    ]
    for step in steps:
        assert "${{ inputs.token }}" not in str(step.get("with", {})), step_name(step)
    check_step = next(step for step in steps if step.get("id") == "check")
    assert "GITHUB_TOKEN" not in check_step.get("env", {})


# --- nightly.yml: order and conditions ------------------------------------------------------


def test_the_check_job_runs_its_steps_in_order() -> None:
    check = nightly()["jobs"]["check"]
    order = [
        step_index(check, uses("actions/checkout")),
        step_index(check, uses("actions/setup-python")),
        step_index(check, has_id("install")),
        step_index(check, has_id("state-branch")),
        step_index(check, has_id("check")),
        step_index(check, uses("actions/upload-artifact")),
        step_index(check, has_id("push-state")),
    ]
    assert order == sorted(order)
    # The checkout comes before the action (which is read from it); after pushing the state,
    # nothing may run in this job: the action's sync and verdict are turned off by its inputs.
    assert [step_name(step) for step in check["steps"]] == ["actions/checkout", "optout-watch"]
    live = [step_name(step) for step, inputs in expanded(check) if can_run(step, inputs)]
    assert live[-1] == "push-state", "pushing the state is the last step"
    dead = [step_name(step) for step, inputs in expanded(check) if not can_run(step, inputs)]
    assert dead == ["sync", "verdict"]


def test_the_action_runs_its_steps_in_order() -> None:
    steps = action()["runs"]["steps"]
    names = [step_name(step) for step in steps]
    assert names == [
        "actions/setup-python", "install", "state-branch", "check", "actions/upload-artifact",
        "push-state", "sync", "verdict",
    ]  # fmt: skip
    for step in steps:
        if "run" in step:
            assert step.get("shell") == "bash", step_name(step)  # composite steps need one


def test_the_action_installs_the_hashed_lock_then_itself_without_dependencies() -> None:
    composite = action()
    (setup,) = [step for step in composite["runs"]["steps"] if uses("actions/setup-python")(step)]
    assert str(setup["with"]["python-version"]) == "3.11", "the lock is for CPython 3.11"
    install = next(step for step in composite["runs"]["steps"] if step.get("id") == "install")
    lines = [line.strip() for line in install["run"].splitlines() if line.strip()]
    assert lines == [
        "set -euo pipefail",
        'cd "$GITHUB_ACTION_PATH"',
        "python -m pip install --require-hashes -r requirements/nightly.txt",
        "python -m pip install --no-deps .",
    ]
    assert (ROOT / "requirements" / "nightly.txt").is_file()


def test_the_action_s_inputs_and_their_defaults() -> None:
    inputs = action()["inputs"]
    defaults = {name: spec.get("default") for name, spec in inputs.items()}
    assert defaults == {
        "catalogue": "catalogue",
        "state-branch": STATE_BRANCH,
        "sync-issues": "true",
        "fail-on-findings": "true",
        "token": "${{ github.token }}",
    }
    assert all(spec.get("description") for spec in inputs.values())
    assert action()["outputs"]["exit-code"]["value"] == "${{ steps.check.outputs.exit-code }}"


def test_the_nightly_uses_the_action_for_the_check_only() -> None:
    check = nightly()["jobs"]["check"]
    (step,) = [step for step in check["steps"] if is_this_action(step)]
    assert step["uses"] == "./"
    assert action_inputs(step) == {
        "catalogue": "catalogue",
        "state-branch": STATE_BRANCH,
        "sync-issues": "false",  # the alerts job syncs, with issues: write
        "fail-on-findings": "false",  # the verdict job fails the run, after alerts and fixes
        "token": "",  # the default: the job's own token
    }
    assert check["outputs"]["exit-code"] == "${{ steps.optout-watch.outputs.exit-code }}"


def test_the_check_runs_the_nox_session_command_on_the_state_branch() -> None:
    check = nightly()["jobs"]["check"]
    step = step_of(check, has_id("check"))
    script = step["run"]
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    for argument in ("optout-watch", "check", "--report", "report.json", "--markdown", "report.md"):
        assert f'"{argument}"' in noxfile
        assert argument in script.split()
    assert '--state "$STATE_DIR/state"' in script
    assert '--catalogue "$CATALOGUE"' in script
    assert step["env"]["CATALOGUE"] == "${{ inputs.catalogue }}"
    state_dirs = {
        step_of(check, has_id(step_id))["env"]["STATE_DIR"]
        for step_id in ("state-branch", "check", "push-state")
    }
    assert state_dirs == {"state-branch"}
    for step_id in ("state-branch", "push-state"):
        state_branch = step_of(check, has_id(step_id))["env"]["STATE_BRANCH"]
        assert state_branch == "${{ inputs.state-branch }}"
    assert action()["inputs"]["state-branch"]["default"] == STATE_BRANCH != "main"
    upload = step_of(check, uses("actions/upload-artifact"))
    assert str(upload["with"]["path"]).split() == ["report.json", "report.md"]


def step_context(exit_code: str | None) -> dict[str, Any]:
    check = {} if exit_code is None else {"outputs": {"exit-code": exit_code}}
    return {"steps": {"check": check}}


ALL_WELL = {"success": True, "failure": False, "always": True, "cancelled": False}
A_STEP_FAILED = {"success": False, "failure": True, "always": True, "cancelled": False}


@pytest.mark.parametrize(("exit_code", "pushed"), [("0", True), ("1", True), ("2", False)])
def test_the_state_is_pushed_unless_the_check_exits_2(exit_code: str, pushed: bool) -> None:
    check = nightly()["jobs"]["check"]
    push = step_of(check, has_id("push-state"))
    assert condition(push.get("if"), step_context(exit_code), ALL_WELL) is pushed
    assert condition(push.get("if"), step_context(exit_code), A_STEP_FAILED) is False


@pytest.mark.parametrize("exit_code", ["0", "1", "2", None])
def test_the_report_is_uploaded_whatever_happened(exit_code: str | None) -> None:
    check = nightly()["jobs"]["check"]
    upload = step_of(check, uses("actions/upload-artifact"))
    assert upload["if"] == "always()"
    for status in (ALL_WELL, A_STEP_FAILED):
        assert condition(upload["if"], step_context(exit_code), status) is True


def needs_context(exit_code: str | None, result: str = "success") -> dict[str, Any]:
    outputs = {} if exit_code is None else {"exit-code": exit_code}
    return {"needs": {"check": {"result": result, "outputs": outputs}}}


@pytest.mark.parametrize(("exit_code", "synced"), [("0", True), ("1", True), ("2", False)])
def test_the_issues_are_synced_unless_the_check_exits_2(exit_code: str, synced: bool) -> None:
    alerts = nightly()["jobs"]["alerts"]
    assert alerts["needs"] in ("check", ["check"])
    assert condition(alerts["if"], needs_context(exit_code), ALL_WELL) is synced
    # A check job that failed (its state was not kept) syncs nothing.
    assert condition(alerts["if"], needs_context(exit_code, "failure"), A_STEP_FAILED) is False
    sync = step_of(alerts, has_id("sync"))
    assert sync["run"].split() == ["optout-watch", "issues", "sync", "--report", "report.json"]
    order = [
        step_index(alerts, uses("actions/checkout")),
        step_index(alerts, runs("python -m pip install .")),
        step_index(alerts, uses("actions/download-artifact")),
        step_index(alerts, has_id("sync")),
    ]
    assert order == sorted(order)


# --- nightly.yml played with bash against a local repository --------------------------------


CHECK_STEPS = ["actions/checkout", "actions/setup-python", "install"]
CHECK_INSTALL_CALLS = [
    "python -m pip install --require-hashes -r requirements/nightly.txt",
    "python -m pip install --no-deps .",
]
FIXES_CALLS = [
    "python -m pip install .",
    "optout-watch fix --report report.json token=",
    "optout-watch propose --report report.json --branch optout-watch/fixes --diff fixes.diff "
    "--ci-workflow ci.yml token=given",
]
FIXES_BRANCH = "optout-watch/fixes"


@pytest.mark.parametrize("exit_code", [0, 1])
def test_a_first_run_creates_the_state_branch_and_syncs(sandbox: Sandbox, exit_code: int) -> None:
    results = sandbox.run_nightly(exit_code)
    check = results["check"]
    assert [step.name for step in check.steps] == [
        *CHECK_STEPS, "state-branch", "check", "actions/upload-artifact", "push-state",
        "sync", "verdict",
    ]  # fmt: skip
    outcomes = check.outcomes()
    # The action's own sync and verdict are turned off in the nightly (`with:`).
    assert (outcomes.pop("sync"), outcomes.pop("verdict")) == ("skipped", "skipped")
    assert set(outcomes.values()) == {"success"}, check.steps
    assert check.outputs == {"exit-code": str(exit_code)}
    # An orphan branch holding only the state; main untouched.
    (commit,) = sandbox.branch_log(STATE_BRANCH)
    subject, parents, author = commit.split("|")
    assert subject.startswith("state: nightly check of ")
    assert parents == ""
    assert author == "optout-watch"
    assert sandbox.branch_files(STATE_BRANCH) == {
        "state/runs": "1",
        "state/snapshots/example.txt": "snapshot",
    }
    assert sandbox.head("main") == sandbox.main_head
    assert (sandbox.artifacts / "report" / "report.json").is_file()
    assert (sandbox.artifacts / "report" / "report.md").is_file()
    # The issues are synced with the token; the check never sees it.
    assert results["alerts"].result == "success"
    assert sandbox.calls() == [
        *CHECK_INSTALL_CALLS,
        "optout-watch check --catalogue catalogue --state state-branch/state "
        "--report report.json --markdown report.md token=",
        "python -m pip install .",
        "optout-watch issues sync --report report.json token=given",
        *FIXES_CALLS,
    ]
    if exit_code == 0:
        assert results["verdict"].result == "skipped"
        assert conclusion(results) == "success"
    else:
        assert results["verdict"].result == "failure"
        assert "optout-watch check exited 1" in results["verdict"].steps[0].output
        assert conclusion(results) == "failure"


def test_a_later_run_appends_a_commit_on_the_state_it_read(sandbox: Sandbox) -> None:
    sandbox.run_nightly(1)
    first = sandbox.head(STATE_BRANCH)
    results = sandbox.run_nightly(0)
    assert conclusion(results) == "success"
    log = sandbox.branch_log(STATE_BRANCH)
    assert len(log) == 2
    assert log[0].split("|")[1] == first, "the new commit follows the previous one"
    assert sandbox.branch_files(STATE_BRANCH)["state/runs"] == "2", "the state was read back"
    assert sandbox.head("main") == sandbox.main_head


def test_an_unchanged_state_makes_no_commit(sandbox: Sandbox) -> None:
    sandbox.run_nightly(0)
    head = sandbox.head(STATE_BRANCH)
    sandbox.write_state = False
    results = sandbox.run_nightly(0)
    assert results["check"].outcomes()["push-state"] == "success"
    assert "nothing to push" in results["check"].step("push-state").output
    assert sandbox.head(STATE_BRANCH) == head


@pytest.mark.parametrize("first_run", [True, False])
def test_an_outage_keeps_the_state_and_syncs_nothing(sandbox: Sandbox, first_run: bool) -> None:
    if not first_run:
        sandbox.run_nightly(0)
    head = sandbox.head(STATE_BRANCH)
    calls = len(sandbox.calls())
    results = sandbox.run_nightly(2)
    check = results["check"]
    assert check.result == "success"
    assert check.outcomes()["actions/upload-artifact"] == "success"
    assert check.outcomes()["push-state"] == "skipped"
    assert check.outputs == {"exit-code": "2"}
    assert sandbox.head(STATE_BRANCH) == head  # None on a first run: no branch is created
    assert results["alerts"].result == "skipped"
    assert not any("issues sync" in call for call in sandbox.calls()[calls:])
    assert results["verdict"].result == "failure"
    assert "optout-watch check exited 2" in results["verdict"].steps[0].output
    assert sandbox.head("main") == sandbox.main_head


@pytest.mark.parametrize("first_run", [True, False])
def test_a_push_that_loses_a_race_fails_and_drops_nothing(
    sandbox: Sandbox, first_run: bool
) -> None:
    if not first_run:
        sandbox.run_nightly(0)
    theirs: list[str] = []
    sandbox.hooks["push-state"] = lambda: theirs.append(
        sandbox.push_from_elsewhere({"state/runs": "99"}, orphan=first_run)
    )
    results = sandbox.run_nightly(1)
    check = results["check"]
    assert check.outcomes()["actions/upload-artifact"] == "success", "uploaded before the push"
    assert check.outcomes()["push-state"] == "failure"
    assert "::error::" in check.step("push-state").output
    assert "rejected" in check.step("push-state").output
    assert check.result == "failure"
    # Their commit stays the head of the branch: nothing was forced over it.
    assert sandbox.head(STATE_BRANCH) == theirs[0]
    assert sandbox.branch_files(STATE_BRANCH)["state/runs"] == "99"
    assert sandbox.head("main") == sandbox.main_head
    # The state of this run was not kept, so the issues are not synced from it.
    assert results["alerts"].result == "skipped"
    assert conclusion(results) == "failure"


def test_an_unreadable_remote_creates_no_branch(sandbox: Sandbox) -> None:
    sandbox.point_github_at(sandbox.root / "missing.git")
    results = sandbox.run_nightly(0)
    outcomes = results["check"].outcomes()
    assert outcomes["state-branch"] == "failure"
    assert outcomes["check"] == "skipped"
    assert outcomes["actions/upload-artifact"] == "success"
    assert outcomes["push-state"] == "skipped"
    assert results["alerts"].result == "skipped"
    assert conclusion(results) == "failure"
    assert sandbox.head(STATE_BRANCH) is None


def test_a_first_run_carries_over_a_state_left_on_main(sandbox: Sandbox) -> None:
    clone = sandbox.root / "maintainer"
    sandbox.git("clone", "--quiet", sandbox.remote.as_uri(), str(clone))
    (clone / "state").mkdir()
    (clone / "state" / "runs").write_text("41\n", encoding="utf-8")
    sandbox.commit_all(clone, "state kept on main by the previous workflow")
    sandbox.git("-C", str(clone), "push", "--quiet", "origin", "HEAD:main")
    main_head = sandbox.head("main")
    sandbox.run_nightly(0)
    assert sandbox.branch_files(STATE_BRANCH) == {
        "state/runs": "42",
        "state/snapshots/example.txt": "snapshot",
    }
    sandbox.run_nightly(0)  # now the branch is read, not main's folder
    assert sandbox.branch_files(STATE_BRANCH)["state/runs"] == "43"
    assert sandbox.head("main") == main_head


def test_the_token_is_never_printed_nor_stored(sandbox: Sandbox) -> None:
    sandbox.run_nightly(1)
    theirs: list[str] = []
    sandbox.hooks["push-state"] = lambda: theirs.append(
        sandbox.push_from_elsewhere({"state/runs": "7"})
    )
    results = sandbox.run_nightly(1)  # a rejected push prints git's errors too
    assert results["check"].outcomes()["push-state"] == "failure"
    for path in sandbox.root.rglob("*"):
        if path.is_file() and path != sandbox.gitconfig:
            assert TOKEN.encode() not in path.read_bytes(), path
    for job in results.values():
        for step in job.steps:
            assert TOKEN not in step.output, step.name


@pytest.mark.parametrize(("exit_code", "runs_verdict"), [("0", False), ("1", True), ("2", True)])
@pytest.mark.parametrize("alerts", ["success", "skipped", "failure"])
def test_the_verdict_comes_last_and_fails_unless_the_check_exited_0(
    exit_code: str, runs_verdict: bool, alerts: str
) -> None:
    verdict = nightly()["jobs"]["verdict"]
    assert set(verdict["needs"]) == {"check", "alerts"}
    assert verdict["permissions"] == {}
    context = needs_context(exit_code)
    context["needs"]["alerts"] = {"result": alerts, "outputs": {}}
    status = {"success": alerts == "success", "failure": alerts == "failure", "always": True}
    assert condition(verdict["if"], context, {**status, "cancelled": False}) is runs_verdict
    assert condition(verdict["if"], context, {**status, "cancelled": True}) is False
    if not runs_verdict:
        return
    (step,) = verdict["steps"]
    env = {"EXIT_CODE": interpolate(step["env"]["EXIT_CODE"], context)}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == int(exit_code)
    assert f"::error::optout-watch check exited {exit_code}" in done.stdout


def test_no_verdict_when_the_check_job_failed_before_the_check() -> None:
    """The check job's own failure fails the run then; null != '0' is false in GitHub."""
    verdict = nightly()["jobs"]["verdict"]
    status = {"success": False, "failure": True, "always": True, "cancelled": False}
    assert condition(verdict["if"], needs_context(None, "failure"), status) is False


# --- nightly.yml: the fix pull request ------------------------------------------------------


@pytest.mark.parametrize(("exit_code", "runs_fixes"), [("0", True), ("1", True), ("2", False)])
def test_the_fixes_are_proposed_unless_the_check_exits_2(exit_code: str, runs_fixes: bool) -> None:
    fixes = nightly()["jobs"]["fixes"]
    assert fixes["needs"] in ("check", ["check"])
    assert condition(fixes["if"], needs_context(exit_code), ALL_WELL) is runs_fixes
    assert condition(fixes["if"], needs_context(exit_code, "failure"), A_STEP_FAILED) is False
    assert fixes["env"]["FIXES_BRANCH"] == FIXES_BRANCH
    order = [
        step_index(fixes, uses("actions/checkout")),
        step_index(fixes, uses("actions/download-artifact")),
        step_index(fixes, has_id("fix")),
        step_index(fixes, has_id("push-fixes")),
        step_index(fixes, has_id("pull-request")),
    ]
    assert order == sorted(order)
    assert order[-1] == len(fixes["steps"]) - 1


def test_the_fix_pull_request_s_ci_is_dispatched_on_its_branch() -> None:
    """A pull request opened with the workflow's token starts no workflow: `propose` dispatches
    CI on the branch, which ci.yml must accept."""
    fixes = nightly()["jobs"]["fixes"]
    command = step_of(fixes, has_id("pull-request"))["run"]
    (workflow,) = re.findall(r"--ci-workflow (\S+)", command)
    assert '--branch "$FIXES_BRANCH"' in command
    dispatched = load(WORKFLOWS / workflow)
    assert "workflow_dispatch" in dispatched["on"]
    assert {"push", "pull_request"} <= set(dispatched["on"])
    # Dispatched, it checks out and tests the branch it runs on, with read access only.
    assert dispatched["permissions"] == {"contents": "read"}
    for job in dispatched["jobs"].values():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert "ref" not in step.get("with", {})


def _catalogue_on_main(sandbox: Sandbox) -> str:
    clone = sandbox.root / "maintainer"
    sandbox.git("clone", "--quiet", sandbox.remote.as_uri(), str(clone))
    (clone / "catalogue").mkdir()
    (clone / "catalogue" / "example.yaml").write_text("id: example\n", encoding="utf-8")
    sandbox.commit_all(clone, "a catalogue")
    sandbox.git("-C", str(clone), "push", "--quiet", "origin", "HEAD:main")
    head = sandbox.head("main")
    assert head
    return head


def test_no_fix_pushes_nothing_and_lets_the_pull_request_close(sandbox: Sandbox) -> None:
    _catalogue_on_main(sandbox)
    results = sandbox.run_nightly(1)
    fixes = results["fixes"]
    assert fixes.result == "success"
    assert fixes.outcomes()["push-fixes"] == "skipped"
    assert fixes.outcomes()["pull-request"] == "success"
    assert sandbox.head(FIXES_BRANCH) is None
    assert sandbox.calls()[-3:] == [
        "python -m pip install .",
        "optout-watch fix --report report.json token=",
        "optout-watch propose --report report.json --branch optout-watch/fixes --diff fixes.diff "
        "--ci-workflow ci.yml token=given",
    ]
    workspace = sandbox.root / "run-1" / "fixes"
    assert (workspace / "fixes.diff").read_text(encoding="utf-8") == ""


def test_fixes_are_force_pushed_to_one_branch_off_main(sandbox: Sandbox) -> None:
    main_head = _catalogue_on_main(sandbox)
    sandbox.fix_catalogue = True
    results = sandbox.run_nightly(1)
    fixes = results["fixes"]
    assert set(fixes.outcomes().values()) == {"success"}, fixes.steps
    (commit,) = sandbox.branch_log(FIXES_BRANCH)[:1]
    subject, parents, author = commit.split("|")
    assert subject.startswith("catalogue: fixes from the nightly check of ")
    assert (parents, author) == (main_head, "optout-watch")
    files = sandbox.branch_files(FIXES_BRANCH)
    assert files["catalogue/example.yaml"] == "id: example\nfixed: true"
    diff = (sandbox.root / "run-1" / "fixes" / "fixes.diff").read_text(encoding="utf-8")
    assert "+fixed: true" in diff
    assert "report.json" not in files
    # The next night rebuilds the branch from main: one commit on main, never stacked.
    sandbox.run_nightly(1)
    log = [entry.split("|")[0] for entry in sandbox.branch_log(FIXES_BRANCH)]
    assert log[1:] == ["a catalogue", "initial commit"]
    assert sandbox.head("main") == main_head
    assert results["alerts"].result == "success"


# --- action.yml used by another repository ---------------------------------------------------

# The README's example: another repository keeping its own catalogue, in one job.
CALLER_WORKFLOW = """
name: optout-watch
on:
  schedule:
    - cron: "17 3 * * *"
  workflow_dispatch:
permissions: {}
concurrency:
  group: optout-watch
  cancel-in-progress: false
jobs:
  watch:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    permissions:
      contents: write # push the state branch
      issues: write # sync the findings' issues
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - id: watch
        uses: optout-watch/optout-watch@0123456789abcdef0123456789abcdef01234567 # v0.1.0
"""


def caller(**inputs: str) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True.
    workflow: dict[Any, Any] = yaml.safe_load(CALLER_WORKFLOW)
    workflow["on"] = workflow.pop(True)
    if inputs:
        workflow["jobs"]["watch"]["steps"][-1]["with"] = inputs
    return workflow


ACTION_STEPS = [
    "actions/checkout", "actions/setup-python", "install", "state-branch", "check",
    "actions/upload-artifact", "push-state", "sync", "verdict",
]  # fmt: skip


def test_the_caller_example_is_valid_and_pinned() -> None:
    workflow = caller()
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "write", "issues": "write"}
    for step in job["steps"]:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"])
    assert [step_name(step) for step in steps_of(job)] == ACTION_STEPS


@pytest.mark.parametrize("exit_code", [0, 1])
def test_the_action_alone_checks_keeps_the_state_and_syncs(
    sandbox: Sandbox, exit_code: int
) -> None:
    results = sandbox.run_workflow(caller(), exit_code)
    watch = results["watch"]
    assert [step.name for step in watch.steps] == ACTION_STEPS
    outcomes = watch.outcomes()
    verdict = outcomes.pop("verdict")
    assert set(outcomes.values()) == {"success"}, watch.steps
    assert (sandbox.root / "action").is_dir(), "installed from the action's own folder"
    assert sandbox.calls() == [
        *CHECK_INSTALL_CALLS,
        "optout-watch check --catalogue catalogue --state state-branch/state "
        "--report report.json --markdown report.md token=",
        "optout-watch issues sync --catalogue catalogue --report report.json token=given",
    ]
    assert sandbox.branch_files(STATE_BRANCH)["state/runs"] == "1"
    assert (sandbox.artifacts / "report" / "report.json").is_file()
    if exit_code == 0:
        assert verdict == "skipped"
        assert watch.result == "success"
    else:  # failed last, once the state is kept and the issues are synced
        assert verdict == "failure"
        assert "optout-watch check exited 1" in watch.step("verdict").output
        assert watch.result == "failure"


def test_the_action_alone_keeps_nothing_on_an_outage(sandbox: Sandbox) -> None:
    results = sandbox.run_workflow(caller(), 2)
    outcomes = results["watch"].outcomes()
    assert outcomes["actions/upload-artifact"] == "success"
    assert (outcomes["push-state"], outcomes["sync"]) == ("skipped", "skipped")
    assert outcomes["verdict"] == "failure"
    assert "optout-watch check exited 2" in results["watch"].step("verdict").output
    assert sandbox.head(STATE_BRANCH) is None
    assert not any("issues sync" in call for call in sandbox.calls())


def test_the_action_s_inputs_are_honoured(sandbox: Sandbox) -> None:
    workflow = caller(
        catalogue="data/opt-outs",
        **{"state-branch": "watch-state", "sync-issues": "false", "fail-on-findings": "false"},
    )
    results = sandbox.run_workflow(workflow, 1)
    watch = results["watch"]
    assert watch.result == "success"
    assert (watch.outcomes()["sync"], watch.outcomes()["verdict"]) == ("skipped", "skipped")
    assert sandbox.calls()[-1] == (
        "optout-watch check --catalogue data/opt-outs --state state-branch/state "
        "--report report.json --markdown report.md token="
    )
    assert sandbox.head(STATE_BRANCH) is None
    assert sandbox.branch_files("watch-state")["state/runs"] == "1"
    assert sandbox.head("main") == sandbox.main_head


def test_the_action_syncs_nothing_when_the_push_loses_a_race(sandbox: Sandbox) -> None:
    sandbox.run_workflow(caller(), 0)
    theirs: list[str] = []
    sandbox.hooks["push-state"] = lambda: theirs.append(
        sandbox.push_from_elsewhere({"state/runs": "99"})
    )
    calls = len(sandbox.calls())
    results = sandbox.run_workflow(caller(), 1)
    outcomes = results["watch"].outcomes()
    assert outcomes["push-state"] == "failure"
    assert outcomes["sync"] == "skipped"
    assert results["watch"].result == "failure"
    assert sandbox.head(STATE_BRANCH) == theirs[0]
    assert not any("issues sync" in call for call in sandbox.calls()[calls:])
    for path in sandbox.root.rglob("*"):
        if path.is_file() and path != sandbox.gitconfig:
            assert TOKEN.encode() not in path.read_bytes(), path


def test_an_extractor_upgrade_is_its_own_commit(sandbox: Sandbox) -> None:
    sandbox.extractor = "1+selectolax-0.3"
    sandbox.run_nightly(0)  # the first state: a plain nightly commit
    sandbox.run_nightly(0)  # the same extractor: nothing new but the runs counter
    sandbox.extractor = "2+selectolax-1.0"
    sandbox.run_nightly(0)
    messages = [line.split("|")[0] for line in sandbox.branch_log(STATE_BRANCH)]
    assert messages[0].startswith("state: extractor upgraded, snapshots re-baselined")
    assert all(message.startswith("state: nightly check of") for message in messages[1:])
