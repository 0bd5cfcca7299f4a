"""The fixtures every test folder shares: catalogue files, a clean folder to run commands in
(with or without the nightly's example catalogue), loopback servers, and the browser that reads
the rendered guide (tests/support/guide_browser.py). Builders and servers live in tests/support/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tests.support.catalogue import WriteFile, platform_yaml
from tests.support.fake_github import REPO, TOKEN, FakeGitHub
from tests.support.loopback import Loopback, Server
from tests.support.nightly import write_catalogue

pytest_plugins = ["tests.support.guide_browser"]

# Hypothesis's per-example deadline is wall-clock time: on a busy machine, or with the tests
# spread over every core, a fast example can miss it, and the same test passes or fails by load.
settings.register_profile("optout-watch", deadline=None)
settings.load_profile("optout-watch")


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
def no_user_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No GitHub Actions variables and none of the developer's own settings; the fixtures that
    set some of their own ask for this one first."""
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("OPTOUT_WATCH_") and name not in NO_ARCHIVE:
            monkeypatch.delenv(name)


@pytest.fixture
def run_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_user_settings: None) -> Path:
    """A working folder for a command run: no GitHub Actions variables, no user settings."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def nightly_root(run_folder: Path) -> Path:
    """A run folder holding the nightly's example catalogue (tests/support/nightly.py)."""
    write_catalogue(run_folder)
    return run_folder


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy from the environment would take loopback requests elsewhere."""
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def net() -> Iterator[Loopback]:
    with Loopback() as loopback:
        yield loopback


@pytest.fixture
def server(net: Loopback) -> Server:
    return net.server()


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """A fake GitHub REST API on loopback for `REPO`, under an Enterprise prefix: a path that
    leaves out the API's base is a 404, as it would be on such a server."""
    with FakeGitHub(token=TOKEN, repo=REPO, prefix="/api/v3") as fake:
        yield fake


@pytest.fixture
def github_env(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, no_user_settings: None
) -> FakeGitHub:
    """`github`, reached by the commands as the nightly reaches GitHub: the token and the API
    in the environment, no repository unless a test names one, and no pause between writes
    (the pause itself is tested with an injected clock)."""
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    monkeypatch.setenv("OPTOUT_WATCH_GITHUB_WRITE_INTERVAL", "0")
    return github
