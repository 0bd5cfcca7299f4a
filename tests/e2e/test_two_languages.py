"""One help article watched in two languages, end to end over loopback: both pages fetched in
their own language within the host's limit, and a label renamed in one language only said so
in the issue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from optout_watch.alerts.dashboard import DashboardIssues, dashboard_body
from optout_watch.alerts.issues import RepositoryFiles, issue_body
from optout_watch.alerts.languages import language_lag_line
from optout_watch.cli import main
from optout_watch.report.read import parse_report
from tests.support.catalogue import NBSP, platform_yaml, valid_platform
from tests.support.loopback import Loopback, Reply, Server

PAGE = """<!doctype html><html><head><title>{title}</title></head>
<body><nav>Help</nav><article><h1>{title}</h1><p>{line}</p></article></body></html>"""
ENGLISH_LINE = "Open the Privacy tab, then turn off “{label}”."
FRENCH_LINE = "Ouvrez l’onglet Confidentialité, puis décochez « Aider à améliorer le modèle »."
#: Long enough for the pages' requests to overlap if the per-host limit let them.
SLOW = 0.05


def _page(title: str, line: str) -> Reply:
    body = PAGE.format(title=title, line=line).encode()
    return Reply(200, {"content-type": "text/html; charset=utf-8"}, body, delay=SLOW)


def _english(label: str = "Help improve the model") -> Reply:
    return _page("Privacy settings", ENGLISH_LINE.format(label=label))


def _catalogue(folder: Path) -> None:
    data: dict[str, Any] = valid_platform()
    watch = {"select": "article"}
    data["links"] = [
        {
            "id": "help",
            "url": "https://help.example.org/en/articles/1",
            "kind": "help",
            "lang": "en",
            "watch": {**watch, "expect": ["Privacy", "Help improve the model"]},
        },
        {
            "id": "help-fr",
            "url": "https://help.example.org/fr/articles/1",
            "kind": "help",
            "lang": "fr",
            "watch": {**watch, "expect": ["Confidentialité", "Aider à améliorer le modèle"]},
        },
    ]
    del data["unwatched_labels"]
    data["sources"][0]["url"] = "https://help.example.org/source"
    steps = data["procedures"][0]["steps"]
    steps["fr"][0]["links"] = ["help-fr"]
    steps["fr"][0]["text"] = f"Ouvrez l’onglet «{NBSP}Confidentialité{NBSP}»."
    (folder / "catalogue").mkdir()
    (folder / "catalogue" / "example-chat.yaml").write_text(platform_yaml(data), encoding="utf-8")


def _check(capsys: pytest.CaptureFixture[str], server: Server, *extra: str) -> str:
    code = main(
        [
            "check", "--catalogue", "catalogue", "--state", "state", "--report", "report.json",
            "--remap", rf"^https://help\.example\.org/ {server.base_url}/",
            "--retries", "0", "--timeout", "5", "-q", *extra,
        ]
    )  # fmt: skip
    capsys.readouterr()
    assert code in (0, 1)
    return Path("report.json").read_text(encoding="utf-8")


def _serve(server: Server, english: Reply) -> None:
    server.route("/en/articles/1", english)
    server.route("/fr/articles/1", _page("Paramètres de confidentialité", FRENCH_LINE))
    server.route("/source", _page("Source", "Guide"))


def test_both_languages_of_one_host_are_fetched_within_its_limit(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _catalogue(run_folder)
    with Loopback() as net:
        server = net.server("127.0.0.1")
        _serve(server, _english())
        report = json.loads(_check(capsys, server, "--per-host", "1"))
    assert server.max_in_flight == 1
    languages = {r.target: r.headers.get("accept-language") for r in server.requests}
    assert languages["/en/articles/1"] == "en"
    assert languages["/fr/articles/1"] == "fr"
    pages = {page["lang"]: page for page in report["pages"]}
    assert {lang: [x["state"] for x in page["labels"]] for lang, page in pages.items()} == {
        "en": ["present", "present"],
        "fr": ["present", "present"],
    }
    assert all(x["last_seen"] for page in pages.values() for x in page["labels"])
    coverage = report["summary"]["label_coverage"]
    assert [(c["lang"], c["watched"], c["total"]) for c in coverage] == [("fr", 1, 1), ("en", 1, 1)]


def test_a_label_renamed_in_one_language_only_gets_a_line_of_its_own(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _catalogue(run_folder)
    with Loopback() as net:
        server = net.server("127.0.0.1")
        _serve(server, _english())
        _check(capsys, server)
        _serve(server, _english(label="Improve the model for all users"))
        view = parse_report(_check(capsys, server))
    [finding] = [f for f in view.findings if f.code == "label-missing"]
    assert finding.label == "Help improve the model"
    line = language_lag_line(finding, view)
    assert line is not None
    assert line.startswith("- The French page of this platform still shows all its labels")
    assert "the rename has reached the English page only" in line
    body = issue_body(finding, view, RepositoryFiles("https://github.example", "o/r"))
    assert line in body


def test_no_lag_line_when_both_languages_lost_a_label(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _catalogue(run_folder)
    with Loopback() as net:
        server = net.server("127.0.0.1")
        _serve(server, _english())
        _check(capsys, server)
        _serve(server, _english(label="Improve the model for all users"))
        server.route("/fr/articles/1", _page("Paramètres", "Ouvrez l’onglet Confidentialité."))
        view = parse_report(_check(capsys, server))
    missing = [f for f in view.findings if f.code == "label-missing"]
    assert len(missing) == 2
    assert [language_lag_line(f, view) for f in missing] == [None, None]


def test_the_dashboard_gives_the_watched_share_and_the_last_sightings(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _catalogue(run_folder)
    with Loopback() as net:
        server = net.server("127.0.0.1")
        _serve(server, _english())
        server.route("/fr/articles/1", _page("Paramètres", "Ouvrez l’onglet Confidentialité."))
        view = parse_report(_check(capsys, server))
    day = view.started_at[:10]
    body = dashboard_body(view, DashboardIssues())
    section = body[body.index("## Labels watched") :]
    assert f"| Chat | fr | 1/1 | 0 | oldest {day}; 1 never seen |" in section
    assert f"| Chat | en | 1/1 | 0 | all on {day} |" in section
    assert "- Chat (fr): Aider à améliorer le modèle, never seen" in section
    assert f"- Chat (en): Help improve the model, last seen {day}" in section
