"""The fake GitHub answers like GitHub where the sync's tests rely on it: pagination, filters,
tokens, unknown repositories, faults, and its request log."""

from __future__ import annotations

import httpx

from tests.support.fake_github import TOKEN, FakeGitHub, Fault


def client(token: str = TOKEN) -> httpx.Client:
    return httpx.Client(headers={"Authorization": f"Bearer {token}"}, trust_env=False)


def test_lists_every_page_newest_first_with_link_headers(github: FakeGitHub) -> None:
    for number in range(1, 251):
        github.add_issue(f"issue {number}", labels=["optout-watch"] if number % 2 else ["bug"])
    seen: list[int] = []
    url: str | None = f"{github.url}/repos/octo/guide/issues"
    params: dict[str, str | int] | None = {
        "state": "all",
        "labels": "optout-watch",
        "per_page": 100,
    }
    with client() as http:
        while url is not None:
            response = http.get(url, params=params)
            assert response.status_code == 200
            seen += [issue["number"] for issue in response.json()]
            url = response.links.get("next", {}).get("url")
            params = None
            if url is not None:
                assert response.links["last"]["url"].endswith("page=2")
    assert seen == list(range(249, 0, -2))
    assert [request.query.get("page") for request in github.requests] == [None, "2"]
    assert all(request.path == "/repos/octo/guide/issues" for request in github.requests)


def test_filters_by_state_and_caps_per_page(github: FakeGitHub) -> None:
    github.add_issue("open one")
    github.add_issue("closed one", state="closed", state_reason="completed")
    with client() as http:
        url = f"{github.url}/repos/octo/guide/issues"
        default = http.get(url).json()
        closed = http.get(url, params={"state": "closed"}).json()
        for number in range(200):
            github.add_issue(f"more {number}")
        capped = http.get(url, params={"state": "all", "per_page": 500}).json()
    assert [issue["title"] for issue in default] == ["open one"]
    assert [issue["state_reason"] for issue in closed] == ["completed"]
    assert len(capped) == 100


def test_refuses_a_wrong_or_missing_token(github: FakeGitHub) -> None:
    with client("not-the-token") as http:
        wrong = http.get(f"{github.url}/repos/octo/guide/issues")
    with httpx.Client(trust_env=False) as http:
        missing = http.get(f"{github.url}/repos/octo/guide/issues")
    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert wrong.json()["message"] == "Bad credentials"


def test_answers_404_for_an_unknown_repository_or_issue(github: FakeGitHub) -> None:
    with client() as http:
        repository = http.get(f"{github.url}/repos/octo/other/issues")
        issue = http.patch(f"{github.url}/repos/octo/guide/issues/7", json={"state": "closed"})
    assert (repository.status_code, issue.status_code) == (404, 404)


def test_creates_comments_edits_and_logs_each_request(github: FakeGitHub) -> None:
    with client() as http:
        created = http.post(
            f"{github.url}/repos/octo/guide/issues",
            json={"title": "T", "body": "B", "labels": ["optout-watch", "broken-link"]},
        ).json()
        number = created["number"]
        http.post(f"{github.url}/repos/octo/guide/issues/{number}/comments", json={"body": "C"})
        http.patch(
            f"{github.url}/repos/octo/guide/issues/{number}",
            json={"state": "closed", "state_reason": "completed"},
        )
        reopened = http.patch(
            f"{github.url}/repos/octo/guide/issues/{number}", json={"state": "open"}
        ).json()
    issue = github.issues[number]
    assert (issue.title, issue.body, issue.labels) == ("T", "B", ["optout-watch", "broken-link"])
    assert issue.comments == ["C"]
    assert (reopened["state"], reopened["state_reason"]) == ("open", "reopened")
    assert [(request.method, request.body) for request in github.writes] == [
        ("POST", {"title": "T", "body": "B", "labels": ["optout-watch", "broken-link"]}),
        ("POST", {"body": "C"}),
        ("PATCH", {"state": "closed", "state_reason": "completed"}),
        ("PATCH", {"state": "open"}),
    ]


def test_queued_faults_answer_first_then_the_api_again(github: FakeGitHub) -> None:
    github.secondary_rate_limit(retry_after=30)
    github.fail_next(Fault(502, body={"message": "Bad gateway"}))
    with client() as http:
        url = f"{github.url}/repos/octo/guide/issues"
        limited, failed, fine = http.get(url), http.get(url), http.get(url)
    assert (limited.status_code, limited.headers["Retry-After"]) == (403, "30")
    assert failed.status_code == 502
    assert fine.status_code == 200
    assert len(github.requests) == 3


def test_lists_pull_requests_with_their_key(github: FakeGitHub) -> None:
    github.add_issue("a pull request", labels=["optout-watch"], pull_request=True)
    with client() as http:
        (item,) = http.get(f"{github.url}/repos/octo/guide/issues").json()
    assert "pull_request" in item
