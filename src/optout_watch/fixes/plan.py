"""`optout-watch fix`: the catalogue edits that a check's confirmed findings call for.

Two kinds of finding carry a fix, and one observation of the check:

- `link-moved`: the link's URL becomes the final URL of the permanent redirect (the report's
  `links[].new_url`, which says the catalogue's address even when `--remap` fetched a mirror),
  wherever the catalogue uses the old one (`links[].url`, `sources[].url`). Refused when the new
  URL is no deep link: a home page or a sign-in page (the judge's own tests, `fetching/judge.py`).
- a proposed selector: for a page watched without `select`, the report's `pages[].proposed_watch`
  (what `optout-watch inspect` proposes from the page as the check read it) becomes the first
  keys of the link's `watch` (`select`, and `remove` unless the link has its own).
- `label-missing`: when the report's best suggestion is backed by the page's diff (its `why`
  is "replaced the label's line") or scores at least `min_score` (the setting `min-score`,
  0.85 by default; the diff's evidence is confident at any score: the check keeps it for as
  long as the label is missing, see `pages.labels.LastingEvidence`), the label is replaced
  in the page link's `watch.expect`, in the `ui` lists of the steps of the link's language
  and wherever those steps' texts quote it (“…”, « … », "…"), and the rename is recorded in
  the link's `watch.renamed` (`catalogue/models.py`: `Rename`), dated by the check's run.

Nothing else is edited (`last_reviewed` stays: a machine reviewed nothing). Every fix is made
with `catalogue/edit.py`, which keeps every other character of the file. Each fix is taken
whole or not at all: a fix that would add a validation error to the catalogue is refused,
with the error, and the files stay as they were.

The planning is pure: report and file texts in, new texts and reasons out (the edits are
`fixes/edits.py`'s, what they write `fixes/propose.py`'s). `check_in_folder` validates a
plan's result in a temporary folder (the runner reads files).
"""

from __future__ import annotations

import datetime as dt
import difflib
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from optout_watch.catalogue.edit import EditError
from optout_watch.fixes.edits import SELECT_PROPOSED, Fix, label_fix, link_fix, selector_fix
from optout_watch.kinds import FIXABLE_CODES, Code
from optout_watch.lint.rules import RuleSettings
from optout_watch.lint.runner import Selection, display_path, validate_files
from optout_watch.report.read import ReportedFinding, ReportView
from optout_watch.settings import DEFAULTS
from optout_watch.severity import Severity


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    #: The label or the URL the fix was for.
    what: str | None
    reason: str

    @classmethod
    def of(cls, finding: ReportedFinding, reason: str) -> Refusal:
        return cls(finding.code, finding.label if finding.label else finding.url, reason)

    @property
    def summary(self) -> str:
        return f"no fix for {self.code} ({self.what}): {self.reason}"


@dataclass(slots=True)
class FixPlan:
    """The files' texts before and after, the fixes made and those refused."""

    before: dict[str, str]
    after: dict[str, str]
    fixes: list[Fix] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        return [name for name, text in self.after.items() if text != self.before[name]]

    def diff(self) -> str:
        """A unified diff of every changed file, as `git diff` shows it (a/ and b/)."""
        chunks: list[str] = []
        for name in self.changed:
            chunks += difflib.unified_diff(
                self.before[name].splitlines(keepends=True),
                self.after[name].splitlines(keepends=True),
                f"a/{name}",
                f"b/{name}",
            )
        return "".join(chunks)


#: Validation of candidate texts: the error messages the texts add to the catalogue's.
Checker = Callable[[Mapping[str, str], Mapping[str, str]], list[str]]


def plan_fixes(
    report: ReportView,
    files: Mapping[str, str],
    *,
    min_score: float = DEFAULTS.min_score,
    check: Checker | None = None,
) -> FixPlan:
    """The fixes of the report's confirmed findings applied to `files` (name → text). Each fix
    is checked by `check` (before, after) on its own; one that adds an error is refused."""
    plan = FixPlan(before=dict(files), after=dict(files))
    # Labels first: they find their page by the URL the report knows, which a move replaces.
    ordered = sorted(report.findings, key=lambda f: f.code != Code.LABEL_MISSING)
    for finding in ordered:
        if not finding.confirmed or finding.code not in FIXABLE_CODES:
            continue
        try:
            if finding.code == Code.LINK_MOVED:
                fix, texts = link_fix(report, finding, plan.after)
            else:
                fix, texts = label_fix(report, finding, plan.after, min_score)
        except EditError as error:
            plan.refused.append(Refusal.of(finding, str(error)))
            continue
        _take(plan, fix, texts, check, Refusal.of(finding, ""))
    for page in report.pages:
        if page.proposed_watch is None:
            continue
        refusal = Refusal(SELECT_PROPOSED, page.url, "")
        try:
            fix, texts = selector_fix(page, plan.after)
        except EditError as error:
            plan.refused.append(replace(refusal, reason=str(error)))
            continue
        _take(plan, fix, texts, check, refusal)
    return plan


def _take(
    plan: FixPlan,
    fix: Fix | None,
    texts: dict[str, str],
    check: Checker | None,
    refusal: Refusal,
) -> None:
    """Add the fix to the plan, unless it is already made (a second run on the same report)
    or adds a validation error (then `refusal` says so)."""
    if fix is None:
        return
    if check is not None:
        errors = check(plan.after, {**plan.after, **texts})
        if errors:
            reason = "the edit would not validate: " + "; ".join(errors)
            plan.refused.append(replace(refusal, reason=reason))
            return
    plan.after.update(texts)
    plan.fixes.append(fix)


# --- validation -------------------------------------------------------------------------------


def check_in_folder(today: dt.date, max_review_age_days: int) -> Checker:
    """A checker that validates texts as files of one catalogue folder (cross-file rules
    included) and names the errors the new texts have that the old ones had not."""
    settings = RuleSettings(today=today, max_review_age_days=max_review_age_days)

    def errors(texts: Mapping[str, str]) -> Counter[tuple[str, str, str]]:
        with tempfile.TemporaryDirectory(prefix="optout-watch-fix-") as folder:
            paths = []
            for name, text in texts.items():
                path = Path(folder) / Path(name).name
                path.write_text(text, encoding="utf-8")
                paths.append(path)
            result = validate_files(paths, selection=Selection(), settings=settings)
            return Counter(
                (Path(d.path).name, d.code, d.message)
                for d in result.diagnostics
                if d.severity is Severity.ERROR
            )

    def check(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
        added = errors(after) - errors(before)
        return [f"{name}: {code} {message}" for name, code, message in sorted(added)]

    return check


def read_catalogue(folder: Path) -> dict[str, str]:
    """Every catalogue file of `folder`, by its path as given (`catalogue/x.yaml`)."""
    return {
        display_path(path): path.read_bytes().decode("utf-8")
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    }


def describe(plan: FixPlan) -> Sequence[str]:
    """One line per fix made and per fix refused."""
    return [f"fixed: {fix.summary}" for fix in plan.fixes] + [r.summary for r in plan.refused]
