"""The guide's inputs: the committed catalogue's platforms, ChatGPT's watched page in a report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from optout_watch.catalogue.models import Platform
from optout_watch.lint.rules import RuleSettings
from optout_watch.lint.runner import Selection, discover, validate_files
from tests.support import alerts_reports as reports
from tests.support.paths import ROOT

CATALOGUE = ROOT / "catalogue"


def committed_platforms(folder: Path = CATALOGUE) -> list[Platform]:
    result = validate_files(
        discover([folder]), selection=Selection(), settings=RuleSettings(today=dt.date(2026, 12, 1))
    )
    return [item.platform for item in result.platforms]


FAQ = "https://help.openai.com/en/articles/7730893-data-controls-faq"


def faq_page_with_a_missing_label() -> dict[str, Any]:
    """ChatGPT's watched page in a report: one label present, one gone with a suggestion."""
    return reports.page(
        FAQ,
        ("openai-chatgpt",),
        labels=[
            reports.label("Data Controls"),
            reports.label(
                "Improve the model for everyone",
                "missing",
                suggestions=[("Improve the model for everyone (beta)", 0.9)],
            ),
        ],
    )
