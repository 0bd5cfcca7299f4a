"""What every command writes to, and the shape of a command's runner: kept apart so that the
parser can name the runners without importing them."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TextIO

from optout_watch.settings import Settings


class Streams:
    def __init__(self, out: TextIO, err: TextIO, *, quiet: bool, verbose: bool) -> None:
        self.out, self.err, self.quiet, self.verbose = out, err, quiet, verbose

    def info(self, text: str) -> None:
        if not self.quiet:
            self.err.write(text + "\n")


Runner = Callable[[argparse.Namespace, Settings, Streams], int]
