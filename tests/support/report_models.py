"""Reports built from the report's own types, for the formats and the texts people read."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence

from optout_watch.lint.diagnostics import Diagnostic
from optout_watch.report.model import (
    Finding,
    LinkReport,
    PageReport,
    PlatformInfo,
    Report,
    Summary,
)
from optout_watch.severity import Severity

STARTED, FINISHED = "2025-05-03T02:00:00Z", "2025-05-03T02:01:30Z"


CHAT, MAIL = "example-chat", "example-mail"


def catalogue_file(platform: str) -> str:
    return f"catalogue/{platform}.yaml"


SERVICES = {CHAT: "Example Chat", MAIL: "Example Mail"}


def make_finding(
    code: str,
    severity: Severity,
    line: int,
    message: str,
    *,
    platform: str = CHAT,
    url: str | None = None,
    label: str | None = None,
    evidence: dict[str, str | int | float | list[str] | None] | None = None,
    streak: int = 2,
) -> Finding:
    identity = "\x1f".join((code, url or "", label or "")).encode()
    return Finding(
        code=code,
        severity=severity,
        platform=platform,
        file=catalogue_file(platform),
        line=line,
        url=url,
        label=label,
        message=message,
        evidence=evidence or {},
        fingerprint=hashlib.sha256(identity).hexdigest()[:16],
        streak=streak,
        runs_needed=2,
        confirmed=streak >= 2,
    )


def make_report(
    links: Sequence[LinkReport],
    pages: Sequence[PageReport] = (),
    findings: Sequence[Finding] = (),
    validation: Sequence[Diagnostic] = (),
    *,
    outage: bool = False,
) -> Report:
    errors = sum(f.confirmed and f.severity is Severity.ERROR for f in findings)
    return Report(
        generator="optout-watch 0.1.0",
        started_at=STARTED,
        finished_at=FINISHED,
        summary=Summary(
            links=len(links),
            outcomes=dict(Counter(link.outcome for link in links)),
            pages=len(pages),
            pages_changed=sum(page.changed for page in pages),
            labels=dict(Counter(label.state for page in pages for label in page.labels)),
            findings=len(findings),
            confirmed_errors=errors,
            confirmed_warnings=sum(
                f.confirmed and f.severity is Severity.WARNING for f in findings
            ),
            outage=outage,
            exit_code=2 if outage else int(errors > 0),
        ),
        platforms=[
            PlatformInfo(id=pid, provider="Example", service=name, file=catalogue_file(pid))
            for pid, name in SERVICES.items()
        ],
        skipped_files=[],
        validation=list(validation),
        links=list(links),
        pages=list(pages),
        findings=list(findings),
    )
