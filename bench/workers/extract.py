"""Text extraction of a ~1 MB help page: ours (`extract_text`) and the selectolax floor.

    python bench/workers/extract.py time --rounds 7      # both, alternating, in this process
    python bench/workers/extract.py memory ours          # one run, its memory

The page repeats the body of tests/fixtures/pages/google_help.html (scripts, styles, hidden
elements, navigation and all) until it weighs about 1 MB. The floor is the least a text
extractor does: parse (`LexborHTMLParser(html)`) and take `.body.text()`. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from optout_watch.pages.extract import extract_text

FIXTURE = Path(__file__).parents[2] / "tests" / "fixtures" / "pages" / "google_help.html"
TARGET_BYTES = 1_000_000


def big_page() -> str:
    page = FIXTURE.read_text(encoding="utf-8")
    head, rest = page.split("<body>", 1)
    body, tail = rest.rsplit("</body>", 1)
    copies = -(-TARGET_BYTES // len(body.encode("utf-8")))
    return f"{head}<body>{body * copies}</body>{tail}"


def ours(html: str) -> str:
    return extract_text(html)


def floor(html: str) -> str:
    body = LexborHTMLParser(html).body
    return "" if body is None else body.text()


EXTRACTORS: dict[str, Callable[[str], str]] = {"ours": ours, "floor": floor}


def timed(extractor: Callable[[str], str], html: str) -> tuple[float, int]:
    started = time.perf_counter()
    text = extractor(html)
    return time.perf_counter() - started, len(text)


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["time", "memory"])
    parser.add_argument("which", nargs="?", choices=sorted(EXTRACTORS), default="ours")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    html = big_page()
    size = len(html.encode("utf-8"))
    if args.mode == "time":
        times: dict[str, list[float]] = {name: [] for name in EXTRACTORS}
        chars = {name: timed(extractor, html)[1] for name, extractor in EXTRACTORS.items()}
        names = list(EXTRACTORS)
        for round_ in range(args.rounds):
            for name in names if round_ % 2 == 0 else reversed(names):
                times[name].append(timed(EXTRACTORS[name], html)[0])
        result = {
            name: {
                "best": min(values),
                "median": statistics.median(values),
                "all": values,
                "chars": chars[name],
            }
            for name, values in times.items()
        }
        print(json.dumps({"bytes": size, **result}))
        return 0
    before = status_kb("VmRSS")
    reset = reset_peak()
    elapsed, chars = timed(EXTRACTORS[args.which], html)
    peak = status_kb("VmHWM")
    print(
        json.dumps(
            {
                "bytes": size,
                "elapsed": elapsed,
                "chars": chars,
                "rss_before_kb": before,
                "peak_kb": peak,
                "increase_kb": peak - before if reset else None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
