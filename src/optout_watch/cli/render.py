"""`optout-watch render`: the catalogue (and a report's freshness) as the guide people read,
a self-contained HTML site or one Markdown guide per language. Imported only when it runs."""

from __future__ import annotations

import argparse
from collections.abc import Collection
from pathlib import Path

from optout_watch.cli.catalogue import validate_catalogue
from optout_watch.cli.streams import Streams
from optout_watch.errors import ExitCode, UsageError
from optout_watch.guide.html import render_site
from optout_watch.guide.manifest import MANIFEST, read_manifest, render_manifest
from optout_watch.guide.markdown import render_markdown
from optout_watch.guide.words import LANGS, Lang
from optout_watch.lint.formats import VALIDATION_FORMATS
from optout_watch.report.read import load_report
from optout_watch.settings import Settings
from optout_watch.storage.atomic import write_text_atomic


def run_render(args: argparse.Namespace, settings: Settings, streams: Streams) -> int:
    result = validate_catalogue(settings, [settings.catalogue])
    if result.errors:
        streams.err.write(VALIDATION_FORMATS["text"].render(result))
        streams.err.write("render refused: fix the catalogue first\n")
        return ExitCode.FINDINGS
    output: Path = args.output
    written_before = _written_before(output)
    report = load_report(args.report) if args.report is not None else None
    langs: tuple[Lang, ...] = LANGS if args.lang == "all" else (args.lang,)
    platforms = [item.platform for item in result.platforms]
    render = render_markdown if args.format == "markdown" else render_site
    files = render(platforms, report, langs)
    # Listed first with the files about to be written, so that an interrupted render leaves
    # none of its files unlisted; listed again once the stale ones are gone.
    write_text_atomic(output / MANIFEST, render_manifest(written_before | files.keys()))
    for relative, text in files.items():
        write_text_atomic(_inside(output, relative), text)
    stale = sorted(written_before - files.keys())
    _remove(output, stale)
    write_text_atomic(output / MANIFEST, render_manifest(files))
    first = "index.html" if args.format == "html" else f"guide.{langs[0]}.md"
    removed = f", removed {len(stale)} it no longer writes" if stale else ""
    streams.info(
        f"wrote {len(files)} files to {output}{removed} ({len(platforms)} platforms, "
        f"{', '.join(langs)}); open {output / first}"
    )
    return ExitCode.OK


def _written_before(output: Path) -> frozenset[str]:
    """The files the last render into `output` wrote, from its manifest. Raises UsageError
    for a folder that is not a guide `render` made: it never writes into one."""
    if not output.exists():
        return frozenset()
    if not output.is_dir():
        raise UsageError(f"{output}: not a folder; give -o a folder for the guide")
    manifest = output / MANIFEST
    if not manifest.is_file():
        if any(output.iterdir()):
            raise UsageError(
                f"{output}: the folder is not empty and holds no {MANIFEST}, so it is not a "
                "guide that render made; give -o a new or empty folder (render replaces only "
                "a guide it made, removing the files it no longer writes)"
            )
        return frozenset()
    try:
        return read_manifest(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UsageError(
            f"{manifest}: unreadable list of the files render wrote ({error}); remove the "
            "folder and render again"
        ) from None


def _inside(output: Path, relative: str) -> Path:
    """Where the file `relative` (a manifest's or a render's `a/b.html`) stands in `output`."""
    return output.joinpath(*relative.split("/"))


def _remove(output: Path, stale: Collection[str]) -> None:
    """Remove the files of `stale`, then the folders of the guide they leave empty; nothing
    outside `output` (a folder linked from inside it) and no folder that still holds a file."""
    root = output.resolve()
    for relative in stale:
        path = _inside(output, relative)
        if not path.parent.resolve().is_relative_to(root):
            continue
        if path.is_file() or path.is_symlink():
            path.unlink()
        folder = path.parent
        while folder != output and _is_empty_folder(folder):
            folder.rmdir()
            folder = folder.parent


def _is_empty_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and not any(path.iterdir())
