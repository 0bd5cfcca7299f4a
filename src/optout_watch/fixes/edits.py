"""The catalogue edits of each kind of fix, made with `catalogue/edit.py` (which keeps every
other character of the file): a moved link's new URL, a renamed label's new wording (and its
rename history), a page's proposed selector. What the edits write comes from
`fixes/propose.py`; whether they are taken is `fixes/plan.py`'s call."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
from optout_watch.kinds import Code
from optout_watch.pages.evidence import Evidence
from optout_watch.report.read import ReportedFinding, ReportedPage, ReportView

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


# --- proposed selectors -----------------------------------------------------------------------


def selector_fix(page: ReportedPage, files: Mapping[str, str]) -> tuple[Fix | None, dict[str, str]]:
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


def link_fix(
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


def label_fix(
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
