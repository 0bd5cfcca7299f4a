"""Exit codes and the one base of every error a user can act on.

Each command ends with an `ExitCode`. An error that stops a command is an `OptoutWatchError`
(or a subclass), carries its exit code, and reads as one line that names the file, option or
variable at fault and the fix; the CLI catches this one class and nothing else.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    #: Nothing to act on.
    OK = 0
    #: Findings that need action (a confirmed error, a broken link, an invalid file).
    FINDINGS = 1
    #: Usage, configuration or environment error, or an outage: nothing was judged.
    USAGE = 2


class OptoutWatchError(Exception):
    """A problem that stops a command; its message is the one line the user reads."""

    exit_code: ExitCode = ExitCode.USAGE


class UsageError(OptoutWatchError):
    """A mistake in how the command was called or set up."""
