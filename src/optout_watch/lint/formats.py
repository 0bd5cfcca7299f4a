"""Output formats of `validate`: small classes behind one protocol, chosen by name."""

from __future__ import annotations

import json
from typing import Protocol

from optout_watch.catalogue.coverage import coverage_by_language, coverage_line
from optout_watch.lint.runner import ValidationResult
from optout_watch.report.annotations import annotation
from optout_watch.report.plural import plural
from optout_watch.severity import Severity


class ValidationFormat(Protocol):
    def render(self, result: ValidationResult) -> str: ...


def _summary(result: ValidationResult) -> str:
    checked = f"{plural(result.files, 'file')} checked"
    if not result.diagnostics:
        return f"{checked}: no problems."
    return f"{checked}: {plural(result.errors, 'error')}, {plural(result.warnings, 'warning')}."


def _closing_lines(result: ValidationResult) -> list[str]:
    """The summary, then the share of step labels a watched page checks (when a platform
    could be read: a file that does not load has no labels to count)."""
    decisions = result.label_decisions()
    return [_summary(result), *([coverage_line(decisions)] if decisions else [])]


class TextValidationFormat:
    """`path:line:col: CODE message`, one per line, as compilers and linters print."""

    def render(self, result: ValidationResult) -> str:
        lines = [
            f"{d.location()}: {d.code} "
            + ("(warning) " if d.severity is Severity.WARNING else "")
            + d.message
            for d in result.diagnostics
        ]
        return "\n".join([*lines, *_closing_lines(result)]) + "\n"


class JsonValidationFormat:
    def render(self, result: ValidationResult) -> str:
        document = {
            "files": result.files,
            "errors": result.errors,
            "warnings": result.warnings,
            "diagnostics": [
                {
                    "path": d.path,
                    "line": d.line,
                    "column": d.column,
                    "code": d.code,
                    "severity": str(d.severity),
                    "message": d.message,
                }
                for d in result.diagnostics
            ],
            "labels": [
                {
                    "lang": c.lang,
                    "watched": c.watched,
                    "not_watchable": c.not_watchable,
                    "undecided": c.undecided,
                    "total": c.total,
                }
                for c in coverage_by_language(result.label_decisions())
            ],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


class GitHubValidationFormat:
    """Workflow commands: GitHub shows each problem on its line in the pull request."""

    def render(self, result: ValidationResult) -> str:
        lines = [
            annotation(
                str(d.severity),
                d.message,
                file=d.path,
                line=d.line,
                column=d.column,
                title=d.code,
            )
            for d in result.diagnostics
        ]
        return "\n".join([*lines, *_closing_lines(result)]) + "\n"


VALIDATION_FORMATS: dict[str, ValidationFormat] = {
    "text": TextValidationFormat(),
    "json": JsonValidationFormat(),
    "github": GitHubValidationFormat(),
}
