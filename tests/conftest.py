"""Shared fixtures: a valid platform to mutate, and a way to write catalogue files."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

SCHEMA_COMMENT = "# yaml-language-server: $schema=../schema/platform.schema.json"
NBSP = "\u00a0"

VALID_PLATFORM: dict[str, Any] = {
    "id": "example-chat",
    "provider": "Example",
    "service": "Chat",
    "last_reviewed": "2026-11-01",
    "sources": [
        {
            "title": "Guide",
            "publisher": "CNIL",
            "url": "https://www.cnil.fr/fr/guide",
            "date": "2025-10-16",
        }
    ],
    "procedures": [
        {
            "id": "settings",
            "title": {"fr": "Désactiver l’entraînement", "en": "Turn training off"},
            "channel": "settings",
            "surfaces": ["web"],
            "requires_account": True,
            "audience": ["account-holders"],
            "stops": {"fr": "L’entraînement sur vos données.", "en": "Training on your data."},
            "steps": {
                "fr": [
                    {
                        "text": f"Ouvrez l’onglet «{NBSP}Confidentialité{NBSP}».",
                        "ui": ["Confidentialité"],
                        "links": ["help"],
                    }
                ],
                "en": [
                    {
                        "text": "Open the “Privacy” tab.",
                        "ui": ["Privacy"],
                        "links": ["help"],
                    }
                ],
            },
        }
    ],
    "links": [
        {
            "id": "help",
            "url": "https://help.example.com/articles/1-privacy",
            "kind": "help",
            "lang": "en",
            "watch": {"select": "article", "expect": ["Privacy"]},
        }
    ],
    "unwatched_labels": [
        {"label": "Confidentialité", "lang": "fr", "reason": "no French page of the help centre"}
    ],
}


def valid_platform() -> dict[str, Any]:
    return copy.deepcopy(VALID_PLATFORM)


def platform_yaml(data: dict[str, Any]) -> str:
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    return f"{SCHEMA_COMMENT}\n{body}"


WriteFile = Callable[..., Path]


@pytest.fixture
def write_catalogue_file(tmp_path: Path) -> WriteFile:
    """Write a catalogue file named after the platform id (or `name`) in tmp_path/catalogue."""
    folder = tmp_path / "catalogue"
    folder.mkdir()

    def write(data: dict[str, Any] | str | bytes, name: str | None = None) -> Path:
        if isinstance(data, dict):
            name = name or f"{data.get('id', 'platform')}.yaml"
            content: str | bytes = platform_yaml(data)
        else:
            name = name or "platform.yaml"
            content = data
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


#: No test asks the web archive unless it is about the archive (and says `--archive fallback`).
NO_ARCHIVE = {"OPTOUT_WATCH_ARCHIVE": "never"}


@pytest.fixture(autouse=True)
def _no_archive(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in NO_ARCHIVE.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def run_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder for a command run: no GitHub Actions variables, no user settings."""
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("OPTOUT_WATCH_") and name not in NO_ARCHIVE:
            monkeypatch.delenv(name)
    return tmp_path
