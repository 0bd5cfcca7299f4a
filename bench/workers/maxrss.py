"""Run a command and write its peak RSS (KiB) to a file: the fallback of `/usr/bin/time -f %M`.

    python bench/workers/maxrss.py RSS_FILE COMMAND...

The command is forked from this small process, not from the benchmark: a child's `ru_maxrss`
includes the resident size of the process it was forked from, as it was at the fork.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path


def main() -> int:
    rss_file, command = Path(sys.argv[1]), sys.argv[2:]
    code = subprocess.run(command, check=False).returncode
    rss_file.write_text(f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\n")
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
