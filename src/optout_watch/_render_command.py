"""`optout-watch render`: the catalogue (and a report's freshness) as the guide people read,
a self-contained HTML site or one Markdown guide per language. Imported only when it runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from optout_watch._commands import validate_catalogue
from optout_watch._streams import Streams
from optout_watch.alerts.report_view import load_report
from optout_watch.errors import ExitCode
from optout_watch.guide.render import render_markdown, render_site
from optout_watch.guide.words import LANGS, Lang
from optout_watch.lint.formats import VALIDATION_FORMATS
from optout_watch.settings import Settings
from optout_watch.storage.atomic import write_text_atomic


def run_render(args: argparse.Namespace, settings: Settings, streams: Streams) -> int:
    result = validate_catalogue(settings, [settings.catalogue])
    if result.errors:
        streams.err.write(VALIDATION_FORMATS["text"].render(result))
        streams.err.write("render refused: fix the catalogue first\n")
        return ExitCode.FINDINGS
    report = load_report(args.report) if args.report is not None else None
    langs: tuple[Lang, ...] = LANGS if args.lang == "all" else (args.lang,)
    platforms = [item.platform for item in result.platforms]
    render = render_markdown if args.format == "markdown" else render_site
    files = render(platforms, report, langs)
    output: Path = args.output
    for relative, text in files.items():
        path = output.joinpath(*relative.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)
    first = "index.html" if args.format == "html" else f"guide.{langs[0]}.md"
    streams.info(
        f"wrote {len(files)} files to {output} ({len(platforms)} platforms, "
        f"{', '.join(langs)}); open {output / first}"
    )
    return ExitCode.OK
