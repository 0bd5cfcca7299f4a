"""The guide as Markdown, one file per language, for a README or a wiki.

Catalogue text is never trusted as Markdown: every value is quoted with
`report/safe_markdown.py`, and interface labels are set apart by the view's segments.
"""

from __future__ import annotations

from collections.abc import Sequence

from optout_watch.catalogue.models import Platform
from optout_watch.guide.label_checks import check_text, report_date
from optout_watch.guide.model import GuidePlatform, UiLabel, label_of
from optout_watch.guide.view import guide_platforms
from optout_watch.guide.words import (
    CNIL_FURTHER_READING,
    CNIL_GUIDE_URL,
    LANGS,
    WORDS,
    Lang,
    long_date,
    reservation,
)
from optout_watch.report.people import ReportView
from optout_watch.report.safe_markdown import autolink, inline

#: Markdown text is long on purpose (a step, a caveat): only line breaks are flattened.
_TEXT_LIMIT = 20_000


def _md(text: str) -> str:
    """Catalogue text quoted for Markdown, keeping the white space around it (a label inside
    a sentence keeps its spaces)."""
    stripped = text.strip()
    if not stripped:
        return " " if text else ""
    lead = " " if text[0].isspace() else ""
    trail = " " if text[-1].isspace() else ""
    if text[0] == "\u00a0":
        lead = "\u00a0"
    if text[-1] == "\u00a0":
        trail = "\u00a0"
    return f"{lead}{inline(stripped, _TEXT_LIMIT)}{trail}"


def _md_label(label: UiLabel, lang: Lang) -> str:
    return f"**{_md(label.text)}** <sub>{_md(check_text(label.check, lang))}</sub>"


def _md_platform(view: GuidePlatform, lang: Lang) -> list[str]:
    w = WORDS[lang]
    lines = [f'<a id="{view.id}"></a>', "", f"## {_md(_name(view))}", ""]
    if view.aliases:
        lines += [f"{_md(w['also_called'])}{_colon(lang)} {_md(', '.join(view.aliases))}", ""]
    for procedure in view.procedures:
        lines += [f"### {_md(procedure.title)}", ""]
        if procedure.action is not None:
            link = procedure.action.link
            note = f" ({_md(link.language_note)})" if link.language_note else ""
            lines += [f"**{_md(procedure.action.label)}**{note}{_colon(lang)} "
                      f"{autolink(link.url)}", ""]  # fmt: skip
        for number, step in enumerate(procedure.steps, start=1):
            text = "".join(
                _md_label(label_of(step, s.text), lang) if s.label else _md(s.text)
                for s in step.segments
            )
            lines.append(f"{number}. {text}")
            if step.unquoted:
                shown = ", ".join(_md_label(label, lang) for label in step.unquoted)
                lines.append(f"   {_md(w['on_screen'])} {shown}")
            for link in step.links:
                note = f" ({_md(link.language_note)})" if link.language_note else ""
                lines.append(f"   {_md(link.name)}{note}{_colon(lang)} {autolink(link.url)}")
            for step_note in step.notes:
                where = autolink(step_note.source.url) if step_note.source else ""
                lines.append(f"   {_md(step_note.text)}{where}")
        lines += ["", f"- {_md(w['stops'])}{_colon(lang)} {_md(procedure.stops)}",
                  f"- {_md(procedure.effort)}"]  # fmt: skip
        lines += [f"- {_md(caveat)}" for caveat in procedure.caveats]
        if procedure.freshness is not None:
            lines.append(f"- {_md(procedure.freshness.text)}")
        lines.append("")
    lines += [f"**{_md(w['sources'])}**", ""]
    for source in view.sources:
        published = w["published"].format(publisher=source.publisher, date=source.date)
        lines.append(
            f"- {_md(source.title)} ({_md(published)}){_colon(lang)} {autolink(source.url)}"
        )
    lines += ["", _md(w["last_reviewed"].format(date=view.last_reviewed)), ""]
    return lines


def _name(view: GuidePlatform) -> str:
    """`ChatGPT (OpenAI)`, but `DeepSeek` alone."""
    if view.provider.casefold() == view.service.casefold():
        return view.service
    return f"{view.service} ({view.provider})"


def _colon(lang: Lang) -> str:
    return "\u00a0:" if lang == "fr" else ":"


def render_markdown(
    platforms: Sequence[Platform],
    report: ReportView | None = None,
    langs: Sequence[Lang] = LANGS,
) -> dict[str, str]:
    """One guide per language, `guide.<lang>.md`, for a README or a wiki."""
    files: dict[str, str] = {}
    day = report_date(report) if report else None
    for lang in langs:
        w = WORDS[lang]
        views = guide_platforms(platforms, report, lang)
        lines = [f"# {_md(w['site_title'])}", "", _md(w["site_intro"]), ""]
        if day is not None:
            lines += [_md(w["checked_on"].format(date=long_date(day, lang))), ""]
        lines += [f"> {_md(reservation(lang))} ({autolink(CNIL_GUIDE_URL)})", ""]
        lines += [f"**{_md(w['markdown_index'])}**", ""]
        lines += [f"- [{_md(_name(v))}](#{v.id})" for v in views]
        lines.append("")
        for view in views:
            lines += _md_platform(view, lang)
        lines += [f"**{_md(w['further_reading'])}**", ""]
        lines += [f"- {_md(names[lang])}{_colon(lang)} {autolink(url)}"
                  for url, names in CNIL_FURTHER_READING]  # fmt: skip
        lines += ["", _md(w["footer"]), ""]
        files[f"guide.{lang}.md"] = "\n".join(lines)
    return files
