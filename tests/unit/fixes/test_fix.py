"""`optout-watch fix`: the catalogue edits of confirmed findings, byte for byte.

A hand-written file (comments, flow and block lists, plain, single- and double-quoted
strings, French typographic quotes, a label quoted in several steps) is fixed through the
command line; each test states the whole expected file, so that every byte outside the
edited values is shown to be kept."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from optout_watch.catalogue.edit import EditError, compose, quote_like, replace_scalar
from optout_watch.catalogue.models import Platform
from optout_watch.cli import main
from optout_watch.settings import DEFAULTS
from tests.support.alerts_reports import (
    PLATFORMS,
    failing_link,
    finding,
    label,
    page,
    report,
    write_report,
)
from tests.support.paths import ROOT

N = "\u00a0"  # the non-breaking space inside French guillemets
EN_PAGE = "https://help.acmechat.com/en/articles/42-data-controls"
FR_PAGE = "https://help.acmechat.com/fr/articles/42-gestion"
OLD_EN = "Improve the model for everyone"
NEW_EN = "Improve the model for all users"
OLD_FR = "Améliorer le modèle pour tous"
NEW_FR = "Améliorer l'IA pour tous"
NAME = "catalogue/acme-chat.yaml"

ACME = f"""\
# yaml-language-server: $schema=../schema/platform.schema.json
# Acme Chat: a made-up platform for the fix tests.
id: acme-chat
provider: Acme
service: Acme Chat
last_reviewed: 2026-11-28  # reviewed by hand
sources:
  - title: "Acme's help"
    publisher: Acme
    url: {EN_PAGE}   # also a link below
    date: 2026-11-28
procedures:
  - id: settings
    title:
      fr: Désactiver «{N}{OLD_FR}{N}» dans les paramètres
      en: Turn off “{OLD_EN}” in the settings
    channel: settings
    surfaces: [web]
    requires_account: true
    audience: [account-holders]
    stops:
      fr: L’entraînement sur vos conversations.
      en: Training on your conversations.
    steps:
      fr:
        - text: 'Ouvrez «{N}Gestion des données{N}», puis «{N}{OLD_FR}{N}».'
          ui:
            - Gestion des données
            - '{OLD_FR}'
          links: [aide-fr]
        - text: "Décochez «{N}{OLD_FR}{N}» : c’est tout."
          ui: ["{OLD_FR}"]
      en:
        - text: Go to “Data Controls”, then “{OLD_EN}”.
          ui: [Data Controls, {OLD_EN}]
          links: [data-controls]
        # The toggle itself.
        - text: Turn off “{OLD_EN}”.
          ui:
            - "{OLD_EN}"
links:
  # The English help page.
  - id: data-controls
    url: {EN_PAGE}
    kind: help
    lang: en
    watch:
      select: article  # the article body only
      expect: [Data Controls, {OLD_EN}]
  - id: aide-fr
    url: '{FR_PAGE}'
    kind: help
    lang: fr
    watch:
      select: article
      expect:
        - Gestion des données
        - '{OLD_FR}'
    # The French page was checked on 2026-11-28.
"""

ACME_PLATFORM = {
    "id": "acme-chat",
    "provider": "Acme",
    "service": "Acme Chat",
    "file": NAME,
}
DIFF = f"--- before\n+++ after\n@@ -1,2 +1,2 @@\n Data Controls\n-{OLD_EN}\n+{NEW_EN}\n"


@pytest.fixture
def root(run_folder: Path) -> Path:
    (run_folder / "catalogue").mkdir()
    (run_folder / NAME).write_text(ACME, encoding="utf-8")
    shutil.copytree(ROOT / "schema", run_folder / "schema")
    return run_folder


def renamed(
    url: str,
    old: str,
    new: str,
    *,
    score: float = 0.912,
    why: str = "replaced the label's line",
    confirmed: bool = True,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A watched page whose label is gone with a suggestion, and its finding."""
    entry = label(old, "missing", suggestions=[(new, score)], file=NAME)
    entry["suggestions"][0]["why"] = why
    reported = page(url, ("acme-chat",), labels=[entry], changed=True, diff=DIFF)
    reported["file"] = NAME
    gone = finding(
        "label-missing", platform="acme-chat", url=url, label=old, file=NAME,
        streak=2 if confirmed else 1,
    )  # fmt: skip
    return reported, gone


def moved(old: str, new: str, *, fetched: str | None = None) -> tuple[dict[str, Any], ...]:
    entry, found = failing_link(
        old, "link-moved", platform="acme-chat", entry="data-controls", status=200, new_url=new
    )
    entry["uses"][0]["file"] = NAME
    found["file"] = NAME
    if fetched is not None:
        entry["fetched_url"] = fetched
    return entry, found


def write(root: Path, *, links: Any = (), pages: Any = (), findings: Any = ()) -> Path:
    data = report(
        findings=findings, links=links, pages=pages, platforms=[*PLATFORMS, ACME_PLATFORM]
    )
    return write_report(root / "report.json", data)


def fix(*extra: str) -> int:
    return main(["fix", "--report", "report.json", "--catalogue", "catalogue", *extra])


def text() -> str:
    return Path(NAME).read_text(encoding="utf-8")


def platform() -> Platform:
    return Platform.model_validate(yaml.safe_load(text()))


# --- renamed labels ---------------------------------------------------------------------------

RENAMED_EN_BLOCK = f"""\
      renamed:
        - date: 2026-12-01
          old: {OLD_EN}
          new: {NEW_EN}
          evidence:
            url: {EN_PAGE}
            score: 0.912
            why: replaced the label's line
"""


def test_a_renamed_label_is_replaced_where_quoted_and_recorded(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reported, gone = renamed(EN_PAGE, OLD_EN, NEW_EN)
    write(root, pages=[reported], findings=[gone])
    assert fix() == 0
    expected = (
        ACME.replace(f"“{OLD_EN}”.", f"“{NEW_EN}”.")  # both step texts, not the title
        .replace(f"ui: [Data Controls, {OLD_EN}]", f"ui: [Data Controls, {NEW_EN}]")
        .replace(f'- "{OLD_EN}"', f'- "{NEW_EN}"')
        .replace(
            f"expect: [Data Controls, {OLD_EN}]\n",
            f"expect: [Data Controls, {NEW_EN}]\n" + RENAMED_EN_BLOCK,
        )
    )
    assert text() == expected
    assert f"Turn off “{OLD_EN}” in the settings" in text()  # titles are not edited
    watch = platform().links[0].watch
    assert watch is not None
    (rename,) = watch.renamed
    assert (rename.old, rename.new, rename.evidence.score) == (OLD_EN, NEW_EN, 0.912)
    assert "fixed: renamed label" in capsys.readouterr().err


def test_a_french_label_keeps_its_quoting_and_escapes_its_apostrophe(root: Path) -> None:
    reported, gone = renamed(FR_PAGE, OLD_FR, NEW_FR)
    write(root, pages=[reported], findings=[gone])
    assert fix() == 0
    after = text()
    # Single-quoted stays single-quoted, the apostrophe doubled; double-quoted stays double.
    assert f"'Ouvrez «{N}Gestion des données{N}», puis «{N}Améliorer l''IA pour tous{N}».'" in after
    assert "- 'Améliorer l''IA pour tous'" in after
    assert f'"Décochez «{N}{NEW_FR}{N}» : c’est tout."' in after
    assert f'ui: ["{NEW_FR}"]' in after
    assert "        - 'Améliorer l''IA pour tous'\n      renamed:\n" in after
    assert f"fr: Désactiver «{N}{OLD_FR}{N}» dans les paramètres" in after
    # The English steps and the comment after the block are untouched.
    assert after.endswith("    # The French page was checked on 2026-11-28.\n")
    assert after.count(OLD_EN) == ACME.count(OLD_EN)
    model = platform()
    assert [step.ui for step in model.procedures[0].steps.fr] == [
        ["Gestion des données", NEW_FR],
        [NEW_FR],
    ]
    watch = model.links[1].watch
    assert watch is not None
    assert watch.expect == ["Gestion des données", NEW_FR]
    assert watch.renamed[0].old == OLD_FR


def test_a_second_rename_appends_to_the_history(root: Path) -> None:
    reported, gone = renamed(EN_PAGE, OLD_EN, NEW_EN)
    write(root, pages=[reported], findings=[gone])
    assert fix() == 0
    again, gone_again = renamed(EN_PAGE, NEW_EN, "Improve our models")
    write(root, pages=[again], findings=[gone_again])
    assert fix() == 0
    watch = platform().links[0].watch
    assert watch is not None
    assert [(r.old, r.new) for r in watch.renamed] == [
        (OLD_EN, NEW_EN),
        (NEW_EN, "Improve our models"),
    ]


def test_a_weak_suggestion_is_not_taken_unless_min_score_allows_it(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reported, gone = renamed(
        EN_PAGE, OLD_EN, NEW_EN, score=0.8, why="a new line of its own on the page"
    )
    write(root, pages=[reported], findings=[gone])
    assert fix() == 0
    assert text() == ACME
    assert f"under {DEFAULTS.min_score}" in capsys.readouterr().err
    assert fix("--min-score", "0.75") == 0
    assert NEW_EN in text()


def test_the_diff_evidence_is_enough_whatever_the_score(root: Path) -> None:
    reported, gone = renamed(EN_PAGE, OLD_EN, NEW_EN, score=0.5)
    write(root, pages=[reported], findings=[gone])
    assert fix() == 0
    assert f"expect: [Data Controls, {NEW_EN}]" in text()


# --- moved links ------------------------------------------------------------------------------

NEW_URL = "https://support.acmechat.com/en/articles/42-data-controls"


def test_a_moved_link_is_replaced_in_links_and_sources(root: Path) -> None:
    entry, found = moved(EN_PAGE, NEW_URL)
    write(root, links=[entry], findings=[found])
    assert fix() == 0
    assert text() == ACME.replace(EN_PAGE, NEW_URL)
    assert f"url: {NEW_URL}   # also a link below" in text()


def test_a_single_quoted_url_stays_single_quoted(root: Path) -> None:
    new = "https://support.acmechat.com/fr/articles/42-gestion"
    entry, found = moved(FR_PAGE, new)
    write(root, links=[entry], findings=[found])
    assert fix() == 0
    assert text() == ACME.replace(f"'{FR_PAGE}'", f"'{new}'")


def test_with_remap_the_fix_takes_the_address_the_report_gives(root: Path) -> None:
    """The report says every address as the catalogue writes it (`report.build` maps a
    mirror's back); only `fetched_url` shows the mirror, and the fix never reads it."""
    mirror = "http://127.0.0.1:8000/en/articles/42-data-controls"
    new = "https://help.acmechat.com/en/articles/43-privacy"
    entry, found = moved(EN_PAGE, new, fetched=mirror)
    write(root, links=[entry], findings=[found])
    assert fix() == 0
    assert text() == ACME.replace(EN_PAGE, "https://help.acmechat.com/en/articles/43-privacy")


@pytest.mark.parametrize(
    ("new", "why"),
    [
        ("https://support.acmechat.com/", "home page"),
        ("https://support.acmechat.com/fr-fr/", "home page"),
        ("https://support.acmechat.com/login?next=/en/articles/42", "sign-in page"),
        ("https://accounts.google.com/ServiceLogin", "sign-in page"),
    ],
)
def test_a_link_moved_to_a_home_or_sign_in_page_is_refused(
    root: Path, capsys: pytest.CaptureFixture[str], new: str, why: str
) -> None:
    entry, found = moved(EN_PAGE, new)
    write(root, links=[entry], findings=[found])
    assert fix() == 0
    assert text() == ACME
    err = capsys.readouterr().err
    assert f"no fix for link-moved ({EN_PAGE})" in err
    assert why in err


def test_a_fix_that_would_not_validate_writes_nothing(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry, found = moved(EN_PAGE, "http://support.acmechat.com/en/articles/42")
    write(root, links=[entry], findings=[found])
    assert fix() == 0
    assert text() == ACME
    err = capsys.readouterr().err
    assert "would not validate" in err
    assert "OW301" in err


@pytest.mark.parametrize(
    "host", ["127.1", "0x7f.0.0.1", "169.254.43518", "127.0.0.1.", "169.254.169.254."]
)
def test_a_link_moved_to_a_disguised_internal_address_is_refused(
    root: Path, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    entry, found = moved(EN_PAGE, f"https://{host}/en/articles/42-data-controls")
    write(root, links=[entry], findings=[found])
    assert fix() == 0
    assert text() == ACME
    err = capsys.readouterr().err
    assert "would not validate" in err
    assert "OW304" in err


def test_a_label_from_a_hostile_page_is_written_so_that_the_next_fix_reads_it(root: Path) -> None:
    hostile = "Improve\tthe model for all"
    reported, gone = renamed(EN_PAGE, OLD_EN, hostile)
    write(root, pages=[reported], findings=[gone])
    assert fix() == 0
    written = 'new: "Improve\\tthe model for all"\n'
    assert f"old: {OLD_EN}\n          {written}" in text()
    for loader in (yaml.SafeLoader, yaml.CSafeLoader):  # PyYAML's pure-Python one and libyaml's
        links = yaml.load(text(), Loader=loader)["links"]
        assert hostile in links[0]["watch"]["expect"]
    again, gone_again = renamed(EN_PAGE, hostile, "0o17")  # the page changes again
    write(root, pages=[again], findings=[gone_again])
    assert fix() == 0
    assert 'old: "Improve\\tthe model for all"\n          new: "0o17"\n' in text()
    watch = platform().links[0].watch
    assert watch is not None
    assert [(r.old, r.new) for r in watch.renamed] == [
        (OLD_EN, hostile),
        (hostile, "0o17"),
    ]


def test_only_confirmed_findings_are_fixed(root: Path) -> None:
    entry, found = moved(EN_PAGE, NEW_URL)
    found["streak"], found["confirmed"] = 1, False
    reported, gone = renamed(EN_PAGE, OLD_EN, NEW_EN, confirmed=False)
    write(root, links=[entry], pages=[reported], findings=[found, gone])
    assert fix() == 0
    assert text() == ACME


def test_fixing_twice_changes_nothing_the_second_time(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry, found = moved(EN_PAGE, NEW_URL)
    reported, gone = renamed(EN_PAGE, OLD_EN, NEW_EN)
    write(root, links=[entry], pages=[reported], findings=[found, gone])
    assert fix() == 0
    first = text()
    assert NEW_URL in first
    assert NEW_EN in first
    capsys.readouterr()
    assert fix() == 0
    assert text() == first
    assert "nothing to fix" in capsys.readouterr().err


def test_a_dry_run_prints_the_diff_and_writes_nothing(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry, found = moved(EN_PAGE, NEW_URL)
    write(root, links=[entry], findings=[found])
    assert fix("--dry-run") == 0
    assert text() == ACME
    out = capsys.readouterr().out
    assert out.startswith(f"--- a/{NAME}\n+++ b/{NAME}\n")
    assert f"-    url: {EN_PAGE}\n+    url: {NEW_URL}\n" in out
    assert out.count("\n-") == 2


def test_a_report_that_cannot_be_read_exits_2(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "report.json").write_text("{", encoding="utf-8")
    assert fix() == 2
    assert "report.json" in capsys.readouterr().err
    assert fix("--min-score", "2") == 2


def test_the_real_catalogue_takes_a_rename_and_a_move(run_folder: Path) -> None:
    tmp_path = run_folder
    shutil.copytree(ROOT / "catalogue", tmp_path / "catalogue")
    shutil.copytree(ROOT / "schema", tmp_path / "schema")
    help_page = "https://help.openai.com/en/articles/7730893-data-controls-faq"
    entry = label(OLD_EN, "missing", suggestions=[(NEW_EN, 0.912)])
    reported = page(help_page, ("openai-chatgpt",), labels=[entry], changed=True, diff=DIFF)
    gone = finding("label-missing", platform="openai-chatgpt", url=help_page, label=OLD_EN)
    old = "https://www.linkedin.com/help/linkedin/answer/a6278444"
    new = "https://www.linkedin.com/help/linkedin/answer/a6278445"
    link_entry, link_found = failing_link(old, "link-moved", status=200, new_url=new)
    data = report(findings=[gone, link_found], links=[link_entry], pages=[reported])
    write_report(tmp_path / "report.json", data)
    before = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "catalogue").iterdir()}
    assert fix() == 0
    after = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "catalogue").iterdir()}
    changed = {name for name in before if before[name] != after[name]}
    assert "openai-chatgpt.yaml" in changed
    assert changed <= {"openai-chatgpt.yaml", "linkedin.yaml"}
    # deepseek.yaml expects the same words on another page: untouched.
    assert after["deepseek.yaml"] == before["deepseek.yaml"]
    assert main(["validate", "-q", "--catalogue", "catalogue"]) == 0


# --- edit.py ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "plain words",
        "a: colon",
        "a #hash",
        "- dash",
        "true",
        "12",
        "[x]",
        "l'IA",
        "“x”",
        "«\u00a0y\u00a0»",
    ],
)
@pytest.mark.parametrize(
    ("style", "flow"), [(None, False), (None, True), ("'", True), ('"', False)]
)
def test_a_quoted_value_reads_back_as_itself(value: str, style: str | None, flow: bool) -> None:
    scalar = quote_like(value, style, flow=flow)
    document = f"k: [{scalar}, z]\n" if flow else f"k: {scalar}\n"
    loaded = yaml.safe_load(document)["k"]
    assert (loaded[0] if flow else loaded) == value


def test_a_multi_line_value_is_left_to_a_person() -> None:
    source = "k: 'first\n  second'\n"
    with pytest.raises(EditError, match="several lines"):
        replace_scalar(source, compose(source), ("k",), "first second", "x")
