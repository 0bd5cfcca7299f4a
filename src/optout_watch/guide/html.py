"""The guide as a static site: the templates filled with the view, and the static files.

Catalogue text is never trusted as HTML: the templates autoescape every value. Interface
labels are set apart by splitting a step's text into plain and label segments, never by
inserting markup into it.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined

from optout_watch.catalogue.models import Platform
from optout_watch.guide.label_checks import check_text, report_date
from optout_watch.guide.model import label_of
from optout_watch.guide.view import guide_platforms
from optout_watch.guide.words import (
    CHANNELS,
    CNIL_FURTHER_READING,
    CNIL_GUIDE_URL,
    LANGS,
    LANGUAGE_NAMES,
    SURFACES,
    WORDS,
    Lang,
    long_date,
    reservation,
)
from optout_watch.report.people import ReportView

#: The site's static files, copied beside the pages: the site loads nothing else.
STATIC_FILES = ("guide.css", "guide.js")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("optout_watch.guide", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        CHANNELS=CHANNELS,
        SURFACES=SURFACES,
        CNIL_GUIDE_URL=CNIL_GUIDE_URL,
        CNIL_FURTHER_READING=CNIL_FURTHER_READING,
        reservation=reservation,
        label_of=label_of,
        check_text=check_text,
    )
    return env


def _static(name: str) -> str:
    return resources.files("optout_watch.guide").joinpath("static", name).read_text("utf-8")


def render_site(
    platforms: Sequence[Platform],
    report: ReportView | None = None,
    langs: Sequence[Lang] = LANGS,
) -> dict[str, str]:
    """The site: `index.html` (the language choice), `<lang>/index.html` (the platforms, with
    search and filters), `<lang>/<platform>.html`, and the static files under `static/`."""
    env = _environment()
    day = report_date(report) if report else None
    files: dict[str, str] = {f"static/{name}": _static(name) for name in STATIC_FILES}
    files["index.html"] = env.get_template("root.html.j2").render(
        langs=list(langs), words=WORDS, root="", page="index.html"
    )
    for lang in langs:
        views = guide_platforms(platforms, report, lang)
        common = {"lang": lang, "langs": list(langs), "w": WORDS[lang], "root": "../"}
        files[f"{lang}/index.html"] = env.get_template("index.html.j2").render(
            platforms=views,
            channels=list(dict.fromkeys(c for v in views for c in v.channels)),
            surfaces=list(dict.fromkeys(s for v in views for s in v.surfaces)),
            page="index.html",
            checked=long_date(day, lang) if day else None,
            **common,
        )
        # A platform page dates each procedure's check in its freshness line only.
        for view in views:
            files[f"{lang}/{view.id}.html"] = env.get_template("platform.html.j2").render(
                platform=view, page=f"{view.id}.html", checked=None, **common
            )
    return files
