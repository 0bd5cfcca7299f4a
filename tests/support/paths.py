"""Where the repository and the test data are, wherever a test module sits under tests/."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
FIXTURE_PAGES = TESTS / "fixtures" / "pages"
