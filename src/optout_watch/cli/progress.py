"""Progress of a long fetch: a bar on a terminal, a few plain lines in CI logs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

#: Plain output prints a line each time this share of the URLs more is done.
_PLAIN_STEP = 0.1


class Advance(Protocol):
    def __call__(self, *_: object) -> None: ...


class _PlainProgress:
    def __init__(self, total: int, stream: TextIO, label: str) -> None:
        self.total, self.stream, self.label = total, stream, label
        self.done = 0
        self.next_report = max(1, round(total * _PLAIN_STEP))

    def __call__(self, *_: object) -> None:
        self.done += 1
        if self.done >= self.next_report or self.done == self.total:
            self.stream.write(f"{self.label}: {self.done}/{self.total}\n")
            self.stream.flush()
            self.next_report = self.done + max(1, round(self.total * _PLAIN_STEP))


@contextmanager
def progress(total: int, stream: TextIO, *, label: str, enabled: bool = True) -> Iterator[Advance]:
    """Yields a callable to call once per finished item."""
    if not enabled or total == 0:
        yield lambda *_: None
        return
    if not stream.isatty():
        yield _PlainProgress(total, stream, label)
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=stream),
        transient=True,
    )
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda *_: bar.advance(task)
