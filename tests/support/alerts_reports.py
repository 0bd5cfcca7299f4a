"""Check reports as the alerts read them, built as plain dicts: the JSON of
`schema/report.schema.json` with `platforms`, `skipped_files` and `uses[].title`.

Each builder gives the smallest valid piece with sensible defaults; `failing_link` and
`label_problem` give a report entry and its finding together, consistent with each other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from optout_watch.report.read import ReportView, parse_report

STARTED_AT = "2026-12-01T03:17:00Z"

SEVERITIES = {
    "catalogue-invalid": "error",
    "review-stale": "warning",
    "link-broken": "error",
    "link-error": "error",
    "link-moved": "warning",
    "link-blocked": "warning",
    "label-missing": "error",
    "label-never-seen": "warning",
    "page-selector-empty": "error",
    "page-changed": "info",
}
LINK_OUTCOMES = {
    "link-broken": "broken",
    "link-error": "error",
    "link-moved": "redirected",
    "link-blocked": "blocked",
}

PLATFORMS = [
    {"id": "meta-ai", "provider": "Meta", "service": "Meta AI", "file": "catalogue/meta-ai.yaml"},
    {
        "id": "openai-chatgpt",
        "provider": "OpenAI",
        "service": "ChatGPT",
        "file": "catalogue/openai-chatgpt.yaml",
    },
    {
        "id": "whatsapp",
        "provider": "Meta",
        "service": "WhatsApp",
        "file": "catalogue/whatsapp.yaml",
    },
]
FILES = {platform["id"]: platform["file"] for platform in PLATFORMS}


def fingerprint(code: str, url: str | None = None, label: str | None = None, *extra: str) -> str:
    """As the check computes it: the problem's identity, never when it was seen."""
    parts = (code, url or "", label or "", *extra)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def use(
    platform: str = "meta-ai",
    entry: str = "objection-form",
    *,
    line: int = 12,
    title: str | None = None,
    kind: str = "form",
) -> dict[str, Any]:
    return {
        "platform": platform,
        "file": FILES.get(platform, f"catalogue/{platform}.yaml"),
        "line": line,
        "entry": entry,
        "kind": kind,
        "title": title,
    }


def link(
    url: str,
    outcome: str = "ok",
    *,
    status: int | None = 200,
    reason: str | None = None,
    new_url: str | None = None,
    redirects: Sequence[dict[str, Any]] = (),
    uses: Sequence[dict[str, Any]] | None = None,
    attempts: int = 1,
    elapsed_ms: int = 120,
) -> dict[str, Any]:
    return {
        "url": url,
        "fetched_url": url,
        "outcome": outcome,
        "reason": reason or (f"HTTP {status}" if status else outcome),
        "status": status,
        "final_url": new_url or url,
        "new_url": new_url,
        "redirects": list(redirects),
        "attempts": attempts,
        "elapsed_ms": elapsed_ms,
        "uses": list(uses) if uses is not None else [use()],
    }


def label(
    text: str,
    state: str = "present",
    *,
    suggestions: Sequence[tuple[str, float]] = (),
    line: int = 30,
    file: str = "catalogue/openai-chatgpt.yaml",
) -> dict[str, Any]:
    return {
        "label": text,
        "state": state,
        "suggestions": [
            {"text": s, "score": score, "why": "replaced the label's line"}
            for s, score in suggestions
        ],
        "file": file,
        "line": line,
    }


def page(
    url: str,
    platforms: Sequence[str] = ("meta-ai",),
    *,
    labels: Sequence[dict[str, Any]] = (),
    checked: bool = True,
    selector_failed: bool = False,
    error: str | None = None,
    changed: bool = False,
    diff: str = "",
    line: int = 12,
) -> dict[str, Any]:
    return {
        "url": url,
        "platforms": list(platforms),
        "file": FILES.get(platforms[0], f"catalogue/{platforms[0]}.yaml"),
        "line": line,
        "checked": checked,
        "error": error,
        "selector_failed": selector_failed,
        "changed": changed,
        "diff": diff,
        "labels": list(labels),
    }


def finding(
    code: str,
    *,
    platform: str = "meta-ai",
    url: str | None = None,
    label: str | None = None,
    line: int = 12,
    message: str | None = None,
    evidence: dict[str, Any] | None = None,
    streak: int = 2,
    runs_needed: int = 2,
    confirmed: bool | None = None,
    identity: Sequence[str] = (),
    file: str | None = None,
) -> dict[str, Any]:
    return {
        "code": code,
        "severity": SEVERITIES[code],
        "platform": platform,
        "file": file or FILES.get(platform, f"catalogue/{platform}.yaml"),
        "line": line,
        "url": url,
        "label": label,
        "message": message or f"{code} {url or ''} {label or ''}".strip(),
        "evidence": evidence or {},
        "fingerprint": fingerprint(code, url, label, *identity),
        "streak": streak,
        "runs_needed": runs_needed,
        "confirmed": streak >= runs_needed if confirmed is None else confirmed,
    }


def failing_link(
    url: str,
    code: str = "link-broken",
    *,
    platform: str = "meta-ai",
    entry: str = "objection-form",
    title: str | None = None,
    status: int | None = 404,
    reason: str | None = None,
    new_url: str | None = None,
    streak: int = 2,
    runs_needed: int = 2,
    attempts: int = 1,
    line: int = 12,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A failing link of the report and its finding."""
    entry_link = link(
        url,
        LINK_OUTCOMES[code],
        status=status,
        reason=reason,
        new_url=new_url,
        uses=[use(platform, entry, title=title, line=line)],
        attempts=attempts,
    )
    entry_finding = finding(
        code,
        platform=platform,
        url=url,
        line=line,
        message=f"{url}: {entry_link['reason']}",
        evidence={
            "outcome": entry_link["outcome"],
            "reason": entry_link["reason"],
            "status": status,
            "final_url": entry_link["final_url"],
            "new_url": new_url,
            "attempts": attempts,
            "redirects": [],
            "used_by": [f"{FILES.get(platform)}:{line} ({entry})"],
        },
        streak=streak,
        runs_needed=runs_needed,
    )
    return entry_link, entry_finding


def report(
    *,
    findings: Iterable[dict[str, Any]] = (),
    links: Iterable[dict[str, Any]] = (),
    pages: Iterable[dict[str, Any]] = (),
    platforms: Sequence[dict[str, Any]] = PLATFORMS,
    skipped_files: Sequence[str] = (),
    started_at: str = STARTED_AT,
    outage: bool = False,
) -> dict[str, Any]:
    findings, links, pages = list(findings), list(links), list(pages)
    confirmed = [f for f in findings if f["confirmed"]]
    return {
        "format_version": 1,
        "generator": "optout-watch test",
        "started_at": started_at,
        "finished_at": started_at,
        "summary": {
            "links": len(links),
            "outcomes": {},
            "pages": len(pages),
            "pages_changed": sum(p["changed"] for p in pages),
            "labels": {},
            "findings": len(findings),
            "confirmed_errors": sum(f["severity"] == "error" for f in confirmed),
            "confirmed_warnings": sum(f["severity"] == "warning" for f in confirmed),
            "outage": outage,
            "exit_code": 2 if outage else int(bool(confirmed)),
        },
        "validation": [],
        "links": links,
        "pages": pages,
        "findings": findings,
        "platforms": list(platforms),
        "skipped_files": list(skipped_files),
    }


def view(data: dict[str, Any]) -> ReportView:
    return parse_report(json.dumps(data))


def write_report(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


FORM = "https://www.facebook.com/help/contact/6359191084165019"


HELP = "https://help.openai.com/en/articles/7730893"


LABEL = "Improve the model for everyone"


def two_problems() -> dict[str, Any]:
    """A broken link and a missing label, confirmed; an unconfirmed failure; a changed page."""
    broken_link, broken = failing_link(FORM)
    flaky_link, flaky = failing_link("https://x.example/flaky", "link-error", streak=1)
    return report(
        findings=[
            broken,
            finding("label-missing", platform="openai-chatgpt", url=HELP, label=LABEL, line=31),
            flaky,
            finding("page-changed", platform="openai-chatgpt", url=HELP, runs_needed=1, streak=1),
        ],
        links=[broken_link, flaky_link, link(HELP, uses=[use("openai-chatgpt", "data-controls")])],
        pages=[
            page(
                HELP,
                ["openai-chatgpt"],
                labels=[label(LABEL, "missing", suggestions=[("Improve the model for all", 0.9)])],
                changed=True,
                diff="-Improve the model for everyone\n+Improve the model for all\n",
            )
        ],
    )
