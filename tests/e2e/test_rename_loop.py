"""From a renamed label to its fix, over three nightly runs on loopback: the label reworded
inside its sentence on night 2, confirmed on night 3 with the evidence night 2 saw, and
`fix --report` on night 3's report writing the new wording where the page's language uses it
(and only there), into a catalogue that still validates. In English and in French."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from optout_watch.alerts.github import GitHubIssue
from optout_watch.alerts.issues import RepositoryFiles
from optout_watch.alerts.plan import IssueChange, index_issues, plan_sync
from optout_watch.cli import main
from optout_watch.report.read import load_report
from tests.support.catalogue import NBSP, platform_yaml, valid_platform
from tests.support.loopback import Loopback, Reply, Server
from tests.support.paths import ROOT

REPLACED = "replaced the label's line"
NNBSP = "\u202f"
FILE = "catalogue/example-chat.yaml"

EN_URL = "https://help.example.org/en/privacy"
FR_URL = "https://help.example.org/fr/privacy"
EN_OLD, EN_NEW = "Improve the model for everyone", "Improve the model for all users"
FR_OLD, FR_NEW = "Améliorer le modèle pour tous", "Améliorer le modèle pour tout le monde"

EN_PAGE = """<!doctype html><html lang="en"><head><title>Your data</title></head><body>
<article><h1>Manage your data</h1>
<p>Open your account menu and go to <strong>{label}</strong>.</p>
<p>Improving the model for everyone is our goal.</p></article></body></html>"""
# Each page also has a passage much like the old label, which similarity alone ranks above the
# new one once the diff that showed the rename is gone.
# A typographic apostrophe, a non-breaking space before the colon, narrow ones inside « ».
FR_PAGE = f"""<!doctype html><html lang="fr"><head><title>Vos données</title></head><body>
<article><h1>Gérer vos données</h1>
<p>Dans l’onglet Données{NBSP}: ouvrez le menu de votre compte et désactivez
«{NNBSP}<strong>{{label}}</strong>{NNBSP}».</p>
<p>Nous voulons améliorer les modèles pour tous.</p></article></body></html>"""


@dataclass(frozen=True)
class Case:
    lang: str
    path: str
    page: str
    old: str
    new: str


CASES = {
    "en": Case("en", "/en/privacy", EN_PAGE, EN_OLD, EN_NEW),
    "fr": Case("fr", "/fr/privacy", FR_PAGE, FR_OLD, FR_NEW),
}


def _catalogue(folder: Path) -> None:
    data: dict[str, Any] = valid_platform()
    data["links"] = [
        {
            "id": "help",
            "url": EN_URL,
            "kind": "help",
            "lang": "en",
            "watch": {"select": "article", "expect": [EN_OLD]},
        },
        {
            "id": "aide",
            "url": FR_URL,
            "kind": "help",
            "lang": "fr",
            "watch": {"select": "article", "expect": [FR_OLD]},
        },
    ]
    data["sources"][0]["url"] = "https://help.example.org/source"
    steps = data["procedures"][0]["steps"]
    steps["fr"] = [
        {
            "text": f"Dans l’onglet Données{NBSP}: désactivez «{NBSP}{FR_OLD}{NBSP}».",
            "ui": [FR_OLD],
            "links": ["aide"],
        }
    ]
    steps["en"] = [
        {"text": f"Open your account menu and turn off “{EN_OLD}”.", "ui": [EN_OLD],
         "links": ["help"]},
    ]  # fmt: skip
    (folder / "catalogue").mkdir()
    (folder / FILE).write_text(platform_yaml(data), encoding="utf-8")
    shutil.copytree(ROOT / "schema", folder / "schema")


def _reply(case: Case, label: str) -> Reply:
    body = case.page.format(label=label).encode()
    return Reply(200, {"content-type": "text/html; charset=utf-8"}, body)


def _serve(server: Server, en_label: str, fr_label: str) -> None:
    server.route(CASES["en"].path, _reply(CASES["en"], en_label))
    server.route(CASES["fr"].path, _reply(CASES["fr"], fr_label))
    server.route("/source", Reply(200, {"content-type": "text/html"}, b"<title>Ok</title>"))


def _night(
    capsys: pytest.CaptureFixture[str], server_url: str, report: str, *extra: str
) -> dict[str, Any]:
    main(
        [
            "check", "--catalogue", "catalogue", "--state", "state", "--report", report,
            "--remap", rf"^https://help\.example\.org/ {server_url}/",
            "--retries", "0", "--timeout", "5", "-q", *extra,
        ]
    )  # fmt: skip
    capsys.readouterr()
    document: dict[str, Any] = json.loads(Path(report).read_text(encoding="utf-8"))
    return document


def _label(report: dict[str, Any], url: str) -> dict[str, Any]:
    page = next(page for page in report["pages"] if page["url"] == url)
    (label,) = page["labels"]
    return dict(label)


def _missing(report: dict[str, Any]) -> dict[str, Any]:
    (finding,) = [f for f in report["findings"] if f["code"] == "label-missing"]
    return dict(finding)


def _suggestion_line(report: dict[str, Any], url: str) -> str:
    best = _label(report, url)["suggestions"][0]
    return f"{best['text']} ({best['score']:.2f}, {best['why']})"


def _procedure(folder: Path) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, Any]]:
    data = yaml.safe_load((folder / FILE).read_text(encoding="utf-8"))
    expect = {link["lang"]: link["watch"]["expect"] for link in data["links"]}
    steps = data["procedures"][0]["steps"]
    return data, expect, steps


@pytest.fixture
def folder(run_folder: Path) -> Path:
    _catalogue(run_folder)
    return run_folder


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_label_renamed_inside_its_sentence_is_fixed_after_three_nights(
    folder: Path, capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    case, other = CASES[lang], CASES["fr" if lang == "en" else "en"]
    url = EN_URL if lang == "en" else FR_URL
    labels = {"en": EN_OLD, "fr": FR_OLD}
    with Loopback() as net:
        server = net.server("127.0.0.1")
        _serve(server, **{f"{code}_label": text for code, text in labels.items()})
        night1 = _night(capsys, server.base_url, "night1.json")
        assert [f["code"] for f in night1["findings"]] == []

        labels[lang] = case.new
        _serve(server, **{f"{code}_label": text for code, text in labels.items()})
        night2 = _night(capsys, server.base_url, "night2.json")
        night3 = _night(capsys, server.base_url, "night3.json")

    lines = [_suggestion_line(night, url) for night in (night2, night3)]
    with capsys.disabled():  # shown with `pytest -s`: the lines a person reads
        print(f"\n[{lang}] night 2: {lines[0]}\n[{lang}] night 3: {lines[1]}")
    assert _label(night1, url)["state"] == "present"
    for night in (night2, night3):
        missing = _label(night, url)
        assert missing["state"] == "missing"
        assert missing["suggestions"][0]["text"] == case.new
        assert missing["suggestions"][0]["why"] == REPLACED
        assert _label(night, EN_URL if lang == "fr" else FR_URL)["state"] == "present"
    assert lines[0] == lines[1]
    # Night 3 saw no change: the evidence is night 2's, with the lines of its diff.
    assert not next(p for p in night3["pages"] if p["url"] == url)["changed"]
    finding = _missing(night3)
    assert finding["confirmed"]
    assert finding["evidence"]["evidence_seen_at"] == night2["started_at"]
    assert finding["evidence"]["evidence_url"] == url
    assert case.old in str(finding["evidence"]["line_before"])
    assert case.new in str(finding["evidence"]["line_after"])

    before = (folder / FILE).read_text(encoding="utf-8")
    assert main(["fix", "--report", "night3.json", "--catalogue", "catalogue", "--dry-run"]) == 0
    dry_run = capsys.readouterr().out
    with capsys.disabled():
        print(f"[{lang}] fix --dry-run:\n{dry_run}")
    assert (folder / FILE).read_text(encoding="utf-8") == before
    diff_lines = dry_run.splitlines()
    assert any(line.startswith("-") and case.old in line for line in diff_lines)
    assert any(line.startswith("+") and case.new in line for line in diff_lines)
    assert main(["fix", "--report", "night3.json", "--catalogue", "catalogue"]) == 0
    assert (folder / FILE).read_text(encoding="utf-8") != before

    data, expect, steps = _procedure(folder)
    assert expect[lang] == [case.new]
    assert steps[lang][0]["ui"] == [case.new]
    assert case.new in steps[lang][0]["text"]
    assert case.old not in steps[lang][0]["text"]
    # The other language is left exactly as it was.
    assert expect[other.lang] == [other.old]
    assert steps[other.lang][0]["ui"] == [other.old]
    assert other.old in steps[other.lang][0]["text"]
    (renamed,) = next(link for link in data["links"] if link["lang"] == lang)["watch"]["renamed"]
    assert (renamed["old"], renamed["new"], renamed["evidence"]["why"]) == (
        case.old,
        case.new,
        REPLACED,
    )
    capsys.readouterr()
    assert main(["validate", "-q", "--catalogue", "catalogue"]) == 0


def test_the_issue_gets_no_evidence_comment_while_the_evidence_stands(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Confirmed at once, the issue opens on night 2 with the diff's evidence; on night 3 the
    page is unchanged, and so is the evidence: nothing to say."""
    repository = RepositoryFiles("https://github.com", "octo/guide")
    with Loopback() as net:
        server = net.server("127.0.0.1")
        _serve(server, en_label=EN_OLD, fr_label=FR_OLD)
        _night(capsys, server.base_url, "night1.json", "--confirm-after", "1")
        _serve(server, en_label=EN_OLD, fr_label=FR_NEW)
        _night(capsys, server.base_url, "night2.json", "--confirm-after", "1")
        _night(capsys, server.base_url, "night3.json", "--confirm-after", "1")
    night2, night3 = load_report(Path("night2.json")), load_report(Path("night3.json"))
    first = plan_sync(night2, index_issues([]), max_new=10, repository=repository)
    (created,) = first.creates
    issue = GitHubIssue(1, created.title, created.body, "open", None, created.labels)
    second = plan_sync(night3, index_issues([issue]), max_new=10, repository=repository)
    assert second.updates(IssueChange.EVIDENCE) == ()
    assert second.actions == ()
    # An issue first opened on night 3, when the page's own diff is empty, still shows the
    # line that replaced the label, from the evidence the finding kept.
    (late,) = plan_sync(night3, index_issues([]), max_new=10, repository=repository).creates
    assert f"as seen by the check of {night2.report.started_at}" in late.body
    replaced = [line for line in late.body.splitlines() if line.startswith(("- ", "+ "))]
    assert any(line.startswith("- ") and FR_OLD in line for line in replaced)
    assert any(line.startswith("+ ") and FR_NEW in line for line in replaced)
