"""The alerts against a hostile or misconfigured API: the token shows nowhere, not even in
part, and no request leaves the API's origin."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from optout_watch.alerts.github import GitHubClient, GitHubError
from optout_watch.alerts.sync import sync_issues
from optout_watch.errors import OptoutWatchError
from tests.support.alerts_reports import two_problems, write_report
from tests.support.fake_github import REPO, TOKEN, FakeGitHub, Fault
from tests.support.loopback import Loopback, Reply

LISTING = f"/repos/{REPO}/issues"


# Every piece of six characters or more of the token must stay hidden.
def _pieces(secret: str, size: int = 6) -> set[str]:
    return {secret[start : start + size] for start in range(len(secret) - size + 1)}


def _leaked(text: str) -> set[str]:
    return {piece for piece in _pieces(TOKEN) if piece in text}


def _sync(github: FakeGitHub, tmp_path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        code = sync_issues(
            write_report(tmp_path / "report.json", two_problems()),
            repo=None,
            dry_run=False,
            environ={
                "GITHUB_TOKEN": TOKEN,
                "GITHUB_REPOSITORY": REPO,
                "GITHUB_API_URL": github.url,
            },
            out=out,
            sleep=lambda _: None,
            clock=lambda: 1_800_000_000.0,
            write_interval=0,
        )
    except OptoutWatchError as error:  # as `main` says it
        err.write(f"optout-watch: {error}\n")
        code = error.exit_code
    return code, out.getvalue(), err.getvalue()


def test_a_token_at_the_cut_of_an_error_message_shows_no_piece(
    github: FakeGitHub, tmp_path: Path
) -> None:
    github.fail_next(Fault(500, {}, {"message": "x" * 170 + TOKEN}))  # cut at 200
    code, out, err = _sync(github, tmp_path)
    assert code == 2
    assert "GitHub answered 500: xxx" in err
    assert _leaked(out + err) == set()


@pytest.mark.parametrize(
    "message",
    [
        *["x" * length + TOKEN for length in range(160, 200, 3)],  # every cut through the token
        "x" * 150 + TOKEN[:10] + "\x00" + TOKEN[10:],  # a control character, removed on display
    ],
)
def test_no_cut_leaves_a_piece_of_the_token(github: FakeGitHub, message: str) -> None:
    github.fail_next(Fault(422, {}, {"message": message, "errors": [{"message": TOKEN}]}))
    with (
        GitHubClient(api_url=github.url, token=TOKEN, repo=REPO) as client,
        pytest.raises(GitHubError) as caught,
    ):
        client.list_issues("optout-watch")
    assert _leaked(caught.value.message) == set()


def test_a_redirect_to_another_host_stops_the_sync_before_it_writes(
    github: FakeGitHub, tmp_path: Path
) -> None:
    with Loopback() as net:
        elsewhere = net.server("127.0.0.1")  # another port: another origin
        empty = Reply(200, {"Content-Type": "application/json"}, b"[]")
        elsewhere.route(f"/api/v3{LISTING}", empty)
        github.fail_next(Fault(307, {"Location": elsewhere.url(f"/api/v3{LISTING}")}, {}))
        code, _out, err = _sync(github, tmp_path)
        assert elsewhere.requests == []
    assert code == 2
    assert "GitHub answered 307 redirecting to another host (http://127.0.0.1:" in err
    assert github.writes == []
    assert [(r.method, r.path) for r in github.requests] == [("GET", LISTING)]


def test_a_redirect_on_the_api_origin_is_followed(github: FakeGitHub, tmp_path: Path) -> None:
    moved = f"{github.url}{LISTING}?state=all&labels=optout-watch&per_page=100"
    github.fail_next(Fault(307, {"Location": moved}, {}))  # a renamed repository
    code, _out, _err = _sync(github, tmp_path)
    assert code == 0
    assert len(github.ours()) == 3
