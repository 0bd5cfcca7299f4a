"""A nightly `check` over loopback: the example catalogue it reads, the pages its servers answer
with, and one run of it through the command line (its report checked against the schema)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from optout_watch.cli import main
from tests.support.catalogue import NBSP, platform_yaml, valid_platform
from tests.support.loopback import Reply
from tests.support.paths import ROOT

REPORT_SCHEMA = json.loads((ROOT / "schema" / "report.schema.json").read_text(encoding="utf-8"))
#: Made once: `jsonschema.validate` checks the schema itself at every call, a tenth of a second
#: (the schema is checked in tests/unit/alerts/test_alerts_issues.py).
_REPORT_VALIDATOR = jsonschema.validators.validator_for(REPORT_SCHEMA)(REPORT_SCHEMA)


HELP_PAGE = """<!doctype html><html lang="en"><head><title>Privacy settings</title></head>
<body><nav>Home · Help</nav><article><h1>Manage your privacy</h1>
<p>Open Settings, then the <b>Privacy</b> tab.</p>
<p>Turn off “{label}”.</p><p>Last updated: {date}</p></article>
<footer>© Example</footer></body></html>"""


def help_page(label: str = "Improve the model for everyone", date: str = "1 May") -> Reply:
    body = HELP_PAGE.format(label=label, date=date).encode()
    return Reply(200, {"content-type": "text/html; charset=utf-8"}, body)


CHALLENGE = Reply(
    403,
    {"cf-mitigated": "challenge", "content-type": "text/html"},
    b"<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>",
)


NOT_FOUND = Reply(404, {"content-type": "text/html"}, b"<title>Not found</title>")


OK = Reply(200, {"content-type": "text/html"}, b"<title>Form</title><p>Send a request</p>")


def write_catalogue(tmp_path: Path) -> Path:
    data: dict[str, Any] = valid_platform()
    data["links"] = [
        {
            "id": "help",
            "url": "https://help.example.org/privacy",
            "kind": "help",
            "lang": "en",
            "watch": {
                "select": "article",
                "ignore": [r"Last updated: .*"],
                "expect": ["Privacy", "Improve the model for everyone"],
            },
        },
        {"id": "form", "url": "https://help.example.org/form", "kind": "form", "lang": "en"},
        {"id": "wall", "url": "https://help.example.org/wall", "kind": "help", "lang": "en"},
    ]
    data["sources"][0]["url"] = "https://help.example.org/source"
    steps = data["procedures"][0]["steps"]
    steps["fr"][0]["links"] = ["help", "form", "wall"]
    steps["en"][0]["links"] = ["help", "form", "wall"]
    steps["fr"][0]["text"] = f"Ouvrez l’onglet «{NBSP}Confidentialité{NBSP}»."
    folder = tmp_path / "catalogue"
    folder.mkdir()
    (folder / "example-chat.yaml").write_text(platform_yaml(data), encoding="utf-8")
    return folder


def run_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server_url: str, *extra: str
) -> tuple[int, dict[str, Any], str]:
    report = tmp_path / "report.json"
    report.unlink(missing_ok=True)
    code = main(
        [
            "check",
            # Relative, as users and `nox -s check` give them (the test runs in tmp_path).
            "--catalogue", "catalogue",
            "--state", "state",
            "--report", str(report),
            "--remap", rf"^https://help\.example\.org/ {server_url}/",
            "--retries", "0",
            "--timeout", "5",
            "-q",
            *extra,
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    document = json.loads(report.read_text()) if report.exists() else {}
    if document:
        _REPORT_VALIDATOR.validate(document)
    return code, document, captured.out + captured.err
