"""A located problem in a catalogue file."""

from __future__ import annotations

from dataclasses import dataclass

from optout_watch.severity import Severity


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    path: str
    line: int
    column: int
    code: str
    severity: Severity
    message: str

    def location(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"
