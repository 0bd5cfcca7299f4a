"""`optout-watch fix`: the catalogue edits that a check's confirmed findings call for.

Two kinds of finding carry a fix, and one observation of the check:

- `link-moved`: the link's URL becomes the final URL of the permanent redirect (the report's
  `links[].new_url`, put back to the catalogue's address when `--remap` fetched a mirror),
  wherever the catalogue uses the old one (`links[].url`, `sources[].url`). Refused when the new
  URL is no deep link: a home page or a sign-in page (the judge's own tests, `fetching/judge.py`).
- a proposed selector: for a page watched without `select`, the report's `pages[].proposed_watch`
  (what `optout-watch inspect` proposes from the page as the check read it) becomes the first
  keys of the link's `watch` (`select`, and `remove` unless the link has its own).
- `label-missing`: when the report's best suggestion is backed by the page's diff (its `why`
  is "replaced the label's line") or scores at least `min_score` (default
  `DEFAULT_MIN_SCORE`, 0.85), the label is replaced in the page link's `watch.expect`, in the
  `ui` lists of the steps of the link's language and wherever those steps' texts quote it
  (“…”, « … », "…"), and the rename is recorded in the link's `watch.renamed`
  (`catalogue/models.py`: `Rename`), dated by the check's run.

Nothing else is edited (`last_reviewed` stays: a machine reviewed nothing). Every fix is made
with `catalogue/edit.py`, which keeps every other character of the file. Each fix is taken
whole or not at all: a fix that would add a validation error to the catalogue is refused,
with the error, and the files stay as they were.

The planning is pure: report and file texts in, new texts and reasons out. `check_fixes`
validates a plan's result in a temporary folder (the runner reads files).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from optout_watch.catalogue.edit import (
    Edit,
    EditError,
    JsonPath,
    PlainScalar,
    append_to_list,
    apply_edits,
    compose,
    prepend_to_mapping,
    replace_scalar,
)
from optout_watch.catalogue.loader import LoadError, parse_document
from optout_watch.fetching.link_shape import is_deep_link, is_sign_in_url
from optout_watch.fixes.propose import proposed
from optout_watch.kinds import FIXABLE_CODES, Code
from optout_watch.lint.rules import RuleSettings
from optout_watch.lint.runner import Selection, display_path, validate_files
from optout_watch.pages.evidence import Evidence
from optout_watch.report.read import ReportedFinding, ReportedPage, ReportView
from optout_watch.severity import Severity

#: The least score of a suggested label taken without the diff's evidence ("replaced the
#: label's line"). Genuine rewordings ("for everyone" → "for all users") score 0.85-0.95;
#: below, the suggestion is as likely a neighbouring line of the page. The diff's evidence is
#: confident at any score: the check keeps it for as long as the label is missing, so the
#: report that confirms a rename still has it (`pages.labels.LastingEvidence`).
DEFAULT_MIN_SCORE = 0.85
#: The code of a fix made from a page's proposed selector (no finding: an observation).
SELECT_PROPOSED = "select-proposed"

_SPACES = "[ \u00a0\u202f]?"
_OPENING = "“«\"‘'"
_CLOSING = "”»\"’'"


@dataclass(frozen=True, slots=True)
class Fix:
    """One confirmed finding's fix, as a reviewer reads it."""

    code: str
    fingerprint: str
    platform: str
    old: str
    new: str
    url: str
    """The link (link-moved) or the watched page (label-missing)."""
    score: float | None = None
    why: str | None = None
    files: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        if self.code == Code.LINK_MOVED:
            return f"moved link: {self.old} → {self.new}"
        if self.code == SELECT_PROPOSED:
            return f"selector for {self.url}: select {self.new}"
        return (
            f"renamed label on {self.url}: “{self.old}” → “{self.new}” ({self.score}, {self.why})"
        )


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
    min_score: float = DEFAULT_MIN_SCORE,
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
                fix, texts = _link_fix(report, finding, plan.after)
            else:
                fix, texts = _label_fix(report, finding, plan.after, min_score)
        except EditError as error:
            plan.refused.append(Refusal.of(finding, str(error)))
            continue
        _take(plan, fix, texts, check, Refusal.of(finding, ""))
    for page in report.pages:
        if page.proposed_watch is None:
            continue
        refusal = Refusal(SELECT_PROPOSED, page.url, "")
        try:
            fix, texts = _selector_fix(page, plan.after)
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


# --- proposed selectors -----------------------------------------------------------------------


def _selector_fix(
    page: ReportedPage, files: Mapping[str, str]
) -> tuple[Fix | None, dict[str, str]]:
    """The page's proposed `select` (and `remove`) written into each link watching it
    without `select`."""
    proposal = page.proposed_watch
    assert proposal is not None
    texts: dict[str, str] = {}
    for name, text in files.items():
        edits = []
        for index, link in enumerate(_list(_data(name, text), "links")):
            watch = link.get("watch") if isinstance(link, dict) else None
            if link.get("url") != page.url or not isinstance(watch, dict) or "select" in watch:
                continue
            entries: dict[str, str | Sequence[str]] = {"select": proposal.select}
            if proposal.remove and "remove" not in watch:
                entries["remove"] = proposal.remove
            edits.append((("links", index, "watch"), entries))
        if edits:
            root = compose(text)
            texts[name] = apply_edits(
                text, [prepend_to_mapping(text, root, path, entries) for path, entries in edits]
            )
    if not texts:
        return None, {}
    platform = page.platforms[0] if page.platforms else ""
    fix = Fix(SELECT_PROPOSED, "", platform, "", proposal.select, page.url, files=tuple(texts))
    return fix, texts


# --- moved links ------------------------------------------------------------------------------


def _link_fix(
    report: ReportView, finding: ReportedFinding, files: Mapping[str, str]
) -> tuple[Fix | None, dict[str, str]]:
    proposal = proposed(finding, report)
    if proposal is None:
        raise EditError("the report gives no new URL for it")
    old, new = proposal.old, proposal.new
    if is_sign_in_url(new):
        raise EditError(f"the new URL {new} is a sign-in page, not the page itself")
    if not is_deep_link(new):
        raise EditError(f"the new URL {new} is the site's home page, not a deep link")
    texts: dict[str, str] = {}
    for name, text in files.items():
        data = _data(name, text)
        paths: list[JsonPath] = [
            (section, index, "url")
            for section in ("links", "sources")
            for index, entry in enumerate(_list(data, section))
            if isinstance(entry, dict) and entry.get("url") == old
        ]
        if paths:
            root = compose(text)
            texts[name] = apply_edits(
                text, [replace_scalar(text, root, p, old, new) for p in paths]
            )
    if not texts:
        return None, {}
    fix = Fix(finding.code, finding.fingerprint, finding.platform, old, new, old,
              files=tuple(texts))  # fmt: skip
    return fix, texts


# --- renamed labels ---------------------------------------------------------------------------


def _label_fix(
    report: ReportView, finding: ReportedFinding, files: Mapping[str, str], min_score: float
) -> tuple[Fix | None, dict[str, str]]:
    proposal = proposed(finding, report)
    if proposal is None or proposal.suggestion is None or finding.url is None:
        raise EditError("the report suggests no new wording")
    old, url, best = proposal.old, finding.url, proposal.suggestion
    if best.why != Evidence.REPLACED and best.score < min_score:
        raise EditError(
            f"the best suggestion “{best.text}” scores {best.score} ({best.why}), under "
            f"{min_score} and not backed by the page's diff; rename it by hand"
        )
    new = best.text
    day = report.started_at[:10]
    texts: dict[str, str] = {}
    for name, text in files.items():
        edits = _label_edits(_data(name, text), url, old, new)
        if edits:
            root = compose(text)
            made = [e(text, root) for e in edits]
            for index in _links_expecting(_data(name, text), url, old):
                entry = {
                    "date": PlainScalar(day),
                    "old": old,
                    "new": new,
                    "evidence": {"url": url, "score": best.score, "why": str(best.why)},
                }
                made.append(append_to_list(text, root, ("links", index, "watch"), "renamed", entry))
            texts[name] = apply_edits(text, made)
    if not texts:
        return None, {}
    fix = Fix(finding.code, finding.fingerprint, finding.platform, old, new, url,
              best.score, str(best.why), tuple(texts))  # fmt: skip
    return fix, texts


_Make = Callable[[str, Any], Edit]


def _links_expecting(data: Any, url: str, label: str) -> list[int]:
    return [
        index
        for index, link in enumerate(_list(data, "links"))
        if isinstance(link, dict)
        and link.get("url") == url
        and label in (link.get("watch") or {}).get("expect", [])
    ]


def _label_edits(data: Any, url: str, old: str, new: str) -> list[_Make]:
    """The edits renaming `old` in this file: nothing unless one of its links watching `url`
    expects it."""
    indices = _links_expecting(data, url, old)
    if not indices:
        return []
    makes: list[_Make] = []
    languages: set[str] = set()
    for index in indices:
        link = data["links"][index]
        languages.add(str(link.get("lang", "")).split("-")[0])
        for position, label in enumerate(link["watch"]["expect"]):
            if label == old:
                makes.append(_scalar(("links", index, "watch", "expect", position), old, new))
    quoted = re.compile(f"([{_OPENING}]{_SPACES}){re.escape(old)}({_SPACES}[{_CLOSING}])")
    for p_index, procedure in enumerate(_list(data, "procedures")):
        steps = procedure.get("steps", {}) if isinstance(procedure, dict) else {}
        for lang in sorted(languages):
            for s_index, step in enumerate(steps.get(lang, []) or []):
                base: JsonPath = ("procedures", p_index, "steps", lang, s_index)
                for u_index, label in enumerate(step.get("ui", []) or []):
                    if label == old:
                        makes.append(_scalar((*base, "ui", u_index), old, new))
                step_text = step.get("text")
                if isinstance(step_text, str) and quoted.search(step_text):
                    replaced = quoted.sub(lambda m: m.group(1) + new + m.group(2), step_text)
                    makes.append(_scalar((*base, "text"), step_text, replaced))
    return makes


def _scalar(path: JsonPath, old: str, new: str) -> _Make:
    return lambda text, root: replace_scalar(text, root, path, old, new)


# --- reading the files ------------------------------------------------------------------------


def _data(name: str, text: str) -> Any:
    try:
        return parse_document(text.encode("utf-8"), Path(name)).data
    except LoadError as error:
        raise EditError(f"{name} cannot be read: {error.message}") from None


def _list(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


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
