"""A fake of GitHub's REST API for issues, served over real HTTP on loopback, so that the
sync is tested through its real client: headers, pagination, status codes and all.

It answers the four endpoints the sync uses, the way GitHub does:

- `GET /repos/{owner}/{repo}/issues`: `state` (open by default, closed, all), `labels` (each of
  a comma-separated list), `per_page` (30 by default, at most 100) and `page`; newest first;
  `Link` with `rel="next"`, `"last"` (and `"first"`, `"prev"` past page 1); pull requests
  included, each with a `pull_request` key, as GitHub does;
- `POST /repos/{owner}/{repo}/issues`, `POST .../issues/{n}/comments`,
  `PATCH .../issues/{n}` (title, body, state, state_reason; labels as on creation);
- for the fix pull request: `GET /repos/{owner}/{repo}/pulls` (`head` as `OWNER:BRANCH`,
  `state`), `POST .../pulls` (title, body, head, base; 422 when the branch already has an
  open pull request, as GitHub answers) and `PATCH .../pulls/{n}` (title, body, state). Pull
  requests are issues with `pull_request` set, as on GitHub: comments go to `.../issues/{n}`;
- `POST /repos/{owner}/{repo}/actions/workflows/{file}/dispatches` (`ref`): 204 and no body for
  a workflow of `dispatchable` (`ci.yml` by default), recorded in `dispatches`; 404 for
  another, 422 without a `ref`, as GitHub answers.

Every request is logged (method, path, query, JSON body) before it is answered, so that tests
can assert on what was sent, and what was not. A wrong or missing token is answered 401, an
unknown repository 404. Faults can be queued for the next requests: a secondary rate limit
(403 with `Retry-After`), a primary one (403 with `x-ratelimit-remaining: 0`), anything.

    with FakeGitHub(token="t", repo="octo/guide") as github:
        github.add_issue("Unrelated", labels=["bug"])
        ... GITHUB_API_URL=github.url ...
        assert github.writes == []
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    """Without the prefix (an Enterprise server's `/api/v3`) and without the query; a request
    outside the prefix is logged with its full path and answered 404."""
    query: dict[str, str]
    body: Any
    """The JSON body, parsed; None when there is none."""
    headers: dict[str, str]

    @property
    def is_write(self) -> bool:
        return self.method != "GET"


@dataclass(frozen=True)
class Fault:
    """An answer given instead of the API's, to the next request with one of `methods`."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] = field(default_factory=lambda: {"message": "fault"})
    methods: frozenset[str] = frozenset({"GET", "POST", "PATCH"})


@dataclass
class FakeIssue:
    number: int
    title: str
    body: str | None
    labels: list[str]
    state: str = "open"
    state_reason: str | None = None
    pull_request: bool = False
    comments: list[str] = field(default_factory=list)
    head: str | None = None
    base: str | None = None

    def pull_json(self, base: str, repo: str) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "body": self.body,
            "state": self.state,
            "head": {"ref": self.head, "label": f"{repo.split('/', maxsplit=1)[0]}:{self.head}"},
            "base": {"ref": self.base},
            "html_url": f"https://github.example/{repo}/pull/{self.number}",
            "url": f"{base}/repos/{repo}/pulls/{self.number}",
        }

    def to_json(self, base: str, repo: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "number": self.number,
            "title": self.title,
            "body": self.body,
            "state": self.state,
            "state_reason": self.state_reason,
            "labels": [{"name": name} for name in self.labels],
            "comments": len(self.comments),
            "html_url": f"https://github.example/{repo}/issues/{self.number}",
            "url": f"{base}/repos/{repo}/issues/{self.number}",
        }
        if self.pull_request:
            data["pull_request"] = {"url": f"{base}/repos/{repo}/pulls/{self.number}"}
        return data


#: The fake's token, 36 characters as GitHub's are, and its repository.
TOKEN = "ghs_" + "Q7w2E9r4T1y6U3i8O5p0A7s2D9f4G1h6"
REPO = "octo/guide"


class FakeGitHub:
    def __init__(
        self,
        *,
        token: str,
        repo: str = "octo/guide",
        prefix: str = "",
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """`tls`: served over https with that context's certificate."""
        self.token = token
        self.repo = repo
        self.prefix = prefix.rstrip("/")
        self.issues: dict[int, FakeIssue] = {}
        self.requests: list[LoggedRequest] = []
        #: The workflows that have `on: workflow_dispatch`, and each (workflow, ref) dispatched.
        self.dispatchable: set[str] = {"ci.yml"}
        self.dispatches: list[tuple[str, str]] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self._scheme = "https"
        # A short poll keeps `shutdown` (which waits for the next poll) from slowing each test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def url(self) -> str:
        """The API's base URL, as `GITHUB_API_URL` gives it."""
        return f"{self._origin}{self.prefix}"

    @property
    def _origin(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self._server.server_port}"

    # --- for tests --------------------------------------------------------------------------

    def add_issue(
        self,
        title: str,
        body: str | None = "",
        *,
        labels: Iterable[str] = (),
        state: str = "open",
        state_reason: str | None = None,
        pull_request: bool = False,
    ) -> FakeIssue:
        with self._lock:
            issue = FakeIssue(
                number=max(self.issues, default=0) + 1,
                title=title,
                body=body,
                labels=list(labels),
                state=state,
                state_reason=state_reason,
                pull_request=pull_request,
            )
            self.issues[issue.number] = issue
            return issue

    def add_pull(
        self, title: str, body: str = "", *, head: str, base: str = "main", state: str = "open"
    ) -> FakeIssue:
        issue = self.add_issue(title, body, state=state, pull_request=True)
        issue.head, issue.base = head, base
        return issue

    def fail_next(self, *faults: Fault) -> None:
        """Answer the next requests with these faults, in order, each to the first request
        with one of its methods, before anything else (even the token check)."""
        with self._lock:
            self._faults += faults

    def secondary_rate_limit(
        self, retry_after: int, times: int = 1, methods: Iterable[str] = ("GET", "POST", "PATCH")
    ) -> None:
        self.fail_next(
            *[
                Fault(
                    403,
                    {"Retry-After": str(retry_after)},
                    {"message": "You have exceeded a secondary rate limit."},
                    frozenset(methods),
                )
            ]
            * times
        )

    def primary_rate_limit(self, reset: int, times: int = 1) -> None:
        self.fail_next(
            *[
                Fault(
                    403,
                    {
                        "x-ratelimit-limit": "5000",
                        "x-ratelimit-remaining": "0",
                        "x-ratelimit-reset": str(reset),
                    },
                    {"message": "API rate limit exceeded for installation."},
                )
            ]
            * times
        )

    @property
    def writes(self) -> list[LoggedRequest]:
        return [request for request in self.requests if request.is_write]

    def ours(self) -> list[FakeIssue]:
        """Issues labelled `optout-watch` that are not pull requests, by number."""
        return [
            issue
            for _, issue in sorted(self.issues.items())
            if "optout-watch" in issue.labels and not issue.pull_request
        ]

    # --- the server -------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, each answer waits for a
            # delayed acknowledgement.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the log is `fake.requests`

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PATCH(self) -> None:
                self._serve("PATCH")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, headers, body = fake._answer(method, self.path, dict(self.headers), raw)
                payload = json.dumps(body).encode() if status != 204 else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def _answer(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(target)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, {}, {"message": "Problems parsing JSON"}
        path = parts.path
        with self._lock:
            outside = not path.startswith(f"{self.prefix}/")
            path = path.removeprefix(self.prefix)
            self.requests.append(LoggedRequest(method, path, query, body, headers))
            if outside:  # an Enterprise API lives under its prefix only
                return 404, {}, {"message": "Not Found"}
            fault = next((fault for fault in self._faults if method in fault.methods), None)
            if fault is not None:
                self._faults.remove(fault)
                return fault.status, dict(fault.headers), dict(fault.body)
            authorization = {key.lower(): value for key, value in headers.items()}.get(
                "authorization", ""
            )
            if authorization not in {f"Bearer {self.token}", f"token {self.token}"}:
                return 401, {}, {"message": "Bad credentials"}
            return self._route(method, path, query, body)

    def _route(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        segments = path.strip("/").split("/")
        not_found: tuple[int, dict[str, str], Any] = (404, {}, {"message": "Not Found"})
        if (
            segments[0] == "repos"
            and segments[3:4] == ["actions"]
            and "/".join(segments[1:3]) == self.repo
        ):
            return self._dispatch(method, segments[4:], body)
        if len(segments) >= 4 and segments[0] == "repos" and segments[3] == "pulls":
            if f"{segments[1]}/{segments[2]}" != self.repo:
                return not_found
            return self._pulls(method, segments[4:], query, body)
        if len(segments) < 4 or segments[0] != "repos" or segments[3] != "issues":
            return not_found
        if f"{segments[1]}/{segments[2]}" != self.repo:
            return not_found
        rest = segments[4:]
        if method == "GET" and not rest:
            return self._list(path, query)
        if method == "POST" and not rest:
            return self._create(body)
        if not rest or not rest[0].isdigit() or int(rest[0]) not in self.issues:
            return not_found
        issue = self.issues[int(rest[0])]
        if method == "POST" and rest[1:] == ["comments"]:
            if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                return 422, {}, {"message": "Validation Failed"}
            issue.comments.append(body["body"])
            return 201, {}, {"id": len(issue.comments), "body": body["body"]}
        if method == "PATCH" and len(rest) == 1:
            return self._edit(issue, body)
        return not_found

    def _list(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        state = query.get("state", "open")
        wanted = [name for name in query.get("labels", "").split(",") if name]
        per_page = min(int(query.get("per_page", DEFAULT_PER_PAGE)), MAX_PER_PAGE)
        page = int(query.get("page", 1))
        matching = [
            issue
            for _, issue in sorted(self.issues.items(), reverse=True)
            if (state in ("all", issue.state)) and all(name in issue.labels for name in wanted)
        ]
        last = max(1, -(-len(matching) // per_page))
        chosen = matching[(page - 1) * per_page : page * per_page]
        base = self._origin

        def link(number: int, rel: str) -> str:
            url = f"{base}{self.prefix}{path}?" + urlencode({**query, "page": number})
            return f'<{url}>; rel="{rel}"'

        links = []
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, headers, [issue.to_json(base + self.prefix, self.repo) for issue in chosen]

    def _create(self, body: Any) -> tuple[int, dict[str, str], Any]:
        if not isinstance(body, dict) or not isinstance(body.get("title"), str):
            return 422, {}, {"message": "Validation Failed", "errors": [{"code": "missing"}]}
        issue = FakeIssue(
            number=max(self.issues, default=0) + 1,
            title=body["title"],
            body=body.get("body"),
            labels=list(body.get("labels", [])),
        )
        self.issues[issue.number] = issue
        return 201, {}, issue.to_json(self.url, self.repo)

    def pulls(self) -> list[FakeIssue]:
        return [issue for _, issue in sorted(self.issues.items()) if issue.pull_request]

    def _pulls(
        self, method: str, rest: list[str], query: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        owner = self.repo.split("/")[0]
        if method == "GET" and not rest:
            state = query.get("state", "open")
            head = query.get("head")
            chosen = [
                pull
                for pull in reversed(self.pulls())
                if state in ("all", pull.state) and (head is None or head == f"{owner}:{pull.head}")
            ]
            return 200, {}, [pull.pull_json(self.url, self.repo) for pull in chosen]
        if method == "POST" and not rest:
            if not isinstance(body, dict) or not all(
                isinstance(body.get(key), str) for key in ("title", "head", "base")
            ):
                return 422, {}, {"message": "Validation Failed"}
            if any(p.head == body["head"] and p.state == "open" for p in self.pulls()):
                message = f"A pull request already exists for {owner}:{body['head']}."
                return 422, {}, {"message": "Validation Failed", "errors": [{"message": message}]}
            created = FakeIssue(
                number=max(self.issues, default=0) + 1,
                title=body["title"],
                body=body.get("body"),
                labels=[],
                pull_request=True,
                head=body["head"],
                base=body["base"],
            )
            self.issues[created.number] = created
            return 201, {}, created.pull_json(self.url, self.repo)
        if method == "PATCH" and len(rest) == 1 and rest[0].isdigit():
            pull = self.issues.get(int(rest[0]))
            if pull is None or not pull.pull_request or not isinstance(body, dict):
                return 404, {}, {"message": "Not Found"}
            for key in ("title", "body"):
                if key in body:
                    setattr(pull, key, body[key])
            if body.get("state") in ("open", "closed"):
                pull.state = body["state"]
            return 200, {}, pull.pull_json(self.url, self.repo)
        return 404, {}, {"message": "Not Found"}

    def _edit(self, issue: FakeIssue, body: Any) -> tuple[int, dict[str, str], Any]:
        if not isinstance(body, dict):
            return 422, {}, {"message": "Validation Failed"}
        if "title" in body:
            issue.title = body["title"]
        if "body" in body:
            issue.body = body["body"]
        if "labels" in body:
            issue.labels = list(body["labels"])
        if body.get("state") == "closed":
            issue.state = "closed"
            issue.state_reason = body.get("state_reason") or "completed"
        elif body.get("state") == "open":
            was_closed = issue.state == "closed"
            issue.state = "open"
            issue.state_reason = "reopened" if was_closed else None
        return 200, {}, issue.to_json(self.url, self.repo)

    def _dispatch(self, method: str, rest: list[str], body: Any) -> tuple[int, dict[str, str], Any]:
        if method != "POST" or len(rest) != 3 or rest[0] != "workflows" or rest[2] != "dispatches":
            return 404, {}, {"message": "Not Found"}
        if rest[1] not in self.dispatchable:
            return 404, {}, {"message": "Not Found"}
        if not isinstance(body, dict) or not isinstance(body.get("ref"), str):
            return 422, {}, {"message": 'Invalid request.\n\n"ref" wasn\'t supplied.'}
        self.dispatches.append((rest[1], body["ref"]))
        return 204, {}, None
