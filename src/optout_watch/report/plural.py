"""Counts in words, for every message a person reads: `1 file`, `2 files`."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """`count` and `noun`, with an `s` unless there is exactly one."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
