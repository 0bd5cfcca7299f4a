"""How much a problem asks of a maintainer: shared by validation and the check's findings."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    #: Needs action: exit code 1, an issue once confirmed.
    ERROR = "error"
    #: Worth a look: an issue once confirmed, never a failing exit code.
    WARNING = "warning"
    #: For the record only (a page's text changed): reported, never alerted on.
    INFO = "info"


def severity_rank(severity: Severity) -> int:
    """Errors first, then warnings, then information: the one order of every listing."""
    return _ORDER.index(severity)


_ORDER = tuple(Severity)
