"""Beside each label, the guide says whether a watched page checks it and when the official
page last showed it; its footer claims only that."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from optout_watch.cli import main
from tests.support import alerts_reports as reports
from tests.support.paths import ROOT

FAQ_FR = "https://help.openai.com/fr-fr/articles/7730893-data-controls-faq"


def _beside(page: Path) -> dict[str, str]:
    """Each label of the page -> the note beside it."""
    text = html.unescape(page.read_text(encoding="utf-8"))
    found = re.findall(
        r'<span class="ui-label">([^<]*)</span> '
        r'<span class="label-check[^"]*">([^<]*)</span>',
        text,
    )
    return dict(found)


def _render(capsys: pytest.CaptureFixture[str], *extra: str) -> int:
    code = main(["render", "--catalogue", str(ROOT / "catalogue"), "-o", "site", *extra])
    capsys.readouterr()
    return code


def test_each_label_says_whether_it_is_checked_and_when_it_was_last_seen(
    capsys: pytest.CaptureFixture[str], run_folder: Path
) -> None:
    seen = {**reports.label("Améliorer le modèle pour tous"), "last_seen": "2026-11-30T02:00:00Z"}
    data = reports.report(
        links=[reports.link(FAQ_FR, uses=[reports.use("openai-chatgpt", "data-controls-faq-fr")])],
        pages=[
            reports.page(
                FAQ_FR,
                ("openai-chatgpt",),
                labels=[seen, reports.label("Gestion des données", "never_seen")],
            )
        ],
    )
    reports.write_report(run_folder / "report.json", data)
    assert _render(capsys, "--report", "report.json") == 0
    chatgpt = _beside(run_folder / "site" / "fr" / "openai-chatgpt.html")
    # No date beside a label: the procedure's freshness line dates the check.
    assert chatgpt["Améliorer le modèle pour tous"] == (
        "vérifié chaque nuit, vu sur la page officielle"
    )
    assert chatgpt["Gestion des données"] == (
        "vérifié chaque nuit, pas encore vu sur la page officielle"
    )
    whatsapp = _beside(run_folder / "site" / "fr" / "whatsapp.html")
    assert whatsapp["l’IA par Meta"] == "non vérifié automatiquement"


def test_without_a_report_the_guide_says_only_which_labels_are_checked(
    capsys: pytest.CaptureFixture[str], run_folder: Path
) -> None:
    assert _render(capsys) == 0
    claude = _beside(run_folder / "site" / "en" / "anthropic-claude.html")
    assert set(claude.values()) == {"checked every night"}
    page = (run_folder / "site" / "en" / "anthropic-claude.html").read_text(encoding="utf-8")
    assert "the labels marked “checked every night”" in html.unescape(page)
    assert "interface labels every night" not in page
