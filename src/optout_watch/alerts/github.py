"""A small synchronous client for the GitHub REST endpoints optout-watch uses, and nothing
else: list the repository's issues (by label, open and closed, every page), create an issue,
comment on one (or on a pull request), edit one; and for the fix pull request, list the pull
requests of a branch, open one, edit one.

Rate limits are waited out, within a bound: a secondary limit (403 or 429 with `Retry-After`)
for as long as GitHub asks; a primary limit (`x-ratelimit-remaining: 0`) until
`x-ratelimit-reset`, plus a second for clocks that disagree. The total wait of a run is capped
(`max_wait`): past it, the sync stops with an error rather than outliving its job. Between two
writes the client pauses `write_interval` seconds, as GitHub asks of integrations that create
content, to stay clear of the secondary limits in the first place.

The token is sent in the `Authorization` header and nowhere else. It never appears in an error
message: messages are built from the status, the action and GitHub's own `message`, and every
one is scrubbed of the token anyway, in case a server echoes it (before it is shortened, so
that no piece of the token is left).

Settings come from the caller only (`trust_env=False`): no proxy variable or `.netrc` of the
process changes where the token goes. No request leaves the API's origin: a redirect or a
`Link` to another host stops the sync with an error, rather than take another server's word
for the state of the issues.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import httpx

from optout_watch import __version__
from optout_watch.errors import OptoutWatchError
from optout_watch.report.safe_markdown import one_line
from optout_watch.settings import DEFAULTS

API_VERSION = "2022-11-28"
PER_PAGE = 100
DEFAULT_MAX_WAIT = 300.0
#: How long to wait on a secondary limit that names no delay, as GitHub's guide says.
UNSPECIFIED_RATE_LIMIT_WAIT = 60.0
#: Rate-limited answers in a row to one request before giving up, whatever the wait.
MAX_RATE_LIMITED_ATTEMPTS = 10
#: A loop in `Link: rel="next"` would never end: no repository has this many pages of issues.
MAX_PAGES = 1_000
#: A renamed repository answers one redirect to its new place; a chain this long is a loop.
MAX_REDIRECTS = 10
_DETAIL_LIMIT = 200
_REDACTED = "[token]"


class GitHubError(OptoutWatchError):
    """A call to GitHub failed; `message` is one line fit to show, free of the token."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AuthError(GitHubError):
    """The token was refused (401)."""


class NotFoundError(GitHubError):
    """The repository or issue is not there, or the token cannot see it (404)."""


class RateLimitError(GitHubError):
    """GitHub's rate limit asked for a longer wait than the run allows."""


@dataclass(frozen=True, slots=True)
class GitHubIssue:
    """An issue as the list gives it (pull requests are left out)."""

    number: int
    title: str
    body: str
    state: str
    state_reason: str | None
    labels: tuple[str, ...]


def _issue(data: object) -> GitHubIssue:
    if not isinstance(data, dict):
        raise GitHubError("GitHub answered with something that is not an issue")
    number, title, state = data.get("number"), data.get("title"), data.get("state")
    if not isinstance(number, int) or not isinstance(title, str) or not isinstance(state, str):
        raise GitHubError("GitHub answered with an issue lacking its number, title or state")
    body, reason, labels = data.get("body"), data.get("state_reason"), data.get("labels")
    names = tuple(
        label["name"] if isinstance(label, dict) else label
        for label in (labels if isinstance(labels, list) else [])
        if isinstance(label, str)
        or (isinstance(label, dict) and isinstance(label.get("name"), str))
    )
    return GitHubIssue(
        number=number,
        title=title,
        body=body if isinstance(body, str) else "",
        state=state,
        state_reason=reason if isinstance(reason, str) else None,
        labels=names,
    )


@dataclass(frozen=True, slots=True)
class GitHubPull:
    """A pull request as the pulls endpoints give it."""

    number: int
    title: str
    body: str
    state: str
    head: str
    """The head branch's name (`optout-watch/fixes`)."""


def _pull(data: object) -> GitHubPull:
    if not isinstance(data, dict):
        raise GitHubError("GitHub answered with something that is not a pull request")
    number, title, state = data.get("number"), data.get("title"), data.get("state")
    if not isinstance(number, int) or not isinstance(title, str) or not isinstance(state, str):
        raise GitHubError("GitHub answered with a pull request lacking its number, title or state")
    body, head = data.get("body"), data.get("head")
    ref = head.get("ref") if isinstance(head, dict) else None
    return GitHubPull(
        number=number,
        title=title,
        body=body if isinstance(body, str) else "",
        state=state,
        head=ref if isinstance(ref, str) else "",
    )


def _tls_context(api_url: httpx.URL) -> ssl.SSLContext:
    """The trusted authorities for an https API. Loading them takes tens of milliseconds that
    an API over plain http (a server of one's own) never needs: no request leaves its origin,
    so it never speaks TLS, and a context that trusts no authority would refuse any anyway."""
    if api_url.scheme == "https":
        return httpx.create_ssl_context()
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class GitHubClient:
    """The issues of one repository. Use it as a context manager."""

    def __init__(
        self,
        *,
        api_url: str,
        token: str,
        repo: str,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_wait: float = DEFAULT_MAX_WAIT,
        write_interval: float = DEFAULTS.github_write_interval,
        timeout: float = 30.0,
    ) -> None:
        self._api_base = api_url.rstrip("/")
        self._api_url = httpx.URL(self._api_base)
        self._repo = repo
        self._token = token
        self._sleep = sleep
        self._clock = clock
        self._max_wait = max_wait
        self._write_interval = write_interval
        self._waited = 0.0
        self._last_write: float | None = None
        self._client = httpx.Client(
            transport=transport,
            timeout=timeout,
            # Followed by hand (see `_request`): only those that stay on the API's origin.
            follow_redirects=False,
            trust_env=False,
            verify=_tls_context(self._api_url),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"optout-watch/{__version__}",
            },
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._client.close()

    def _url(self, path: str) -> httpx.URL:
        # Joined by hand rather than by httpx's base_url, so that the path of an Enterprise API
        # (https://ghe.example/api/v3) is visibly kept.
        return httpx.URL(self._api_base + path)

    def _issues_path(self, suffix: str = "") -> str:
        return f"/repos/{self._repo}/issues{suffix}"

    # --- the four endpoints -----------------------------------------------------------------

    def list_issues(self, label: str) -> list[GitHubIssue]:
        """Every issue, open and closed, carrying `label`, following `Link: rel="next"` to the
        last page; pull requests left out."""
        action = f"listing the issues of {self._repo}"
        url: httpx.URL | None = self._url(self._issues_path())
        params: dict[str, str | int] | None = {
            "state": "all",
            "labels": label,
            "per_page": PER_PAGE,
        }
        issues: list[GitHubIssue] = []
        seen: set[str] = set()
        while url is not None:
            if str(url) in seen or len(seen) >= MAX_PAGES:
                raise GitHubError(f"{action}: the pages of issues never end (a loop in Link)")
            seen.add(str(url))
            response = self._send("GET", url, action, params=params)
            page = self._json(response, action)
            if not isinstance(page, list):
                raise GitHubError(f"{action}: GitHub answered with something that is not a list")
            issues += [
                _issue(item)
                for item in page
                if not (isinstance(item, dict) and "pull_request" in item)
            ]
            url = self._next_page(response, action)
            params = None  # the next link carries them
        return issues

    def create_issue(self, *, title: str, body: str, labels: tuple[str, ...]) -> GitHubIssue:
        action = f"creating an issue in {self._repo}"
        payload = {"title": title, "body": body, "labels": list(labels)}
        response = self._send("POST", self._url(self._issues_path()), action, json=payload)
        return _issue(self._json(response, action))

    def add_comment(self, number: int, body: str) -> None:
        action = f"commenting on issue #{number} of {self._repo}"
        url = self._url(self._issues_path(f"/{number}/comments"))
        self._send("POST", url, action, json={"body": body})

    def edit_issue(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
        state_reason: str | None = None,
    ) -> GitHubIssue:
        action = f"editing issue #{number} of {self._repo}"
        fields = {"title": title, "body": body, "state": state, "state_reason": state_reason}
        payload = {key: value for key, value in fields.items() if value is not None}
        response = self._send(
            "PATCH", self._url(self._issues_path(f"/{number}")), action, json=payload
        )
        return _issue(self._json(response, action))

    # --- pull requests (the fix pull request) ----------------------------------------------

    def list_pulls(self, *, head: str, state: str = "open") -> list[GitHubPull]:
        """The pull requests from `head` (`OWNER:BRANCH`): one page is plenty, as a branch has
        at most one open pull request into a base."""
        action = f"listing the pull requests of {self._repo}"
        url = self._url(f"/repos/{self._repo}/pulls")
        params: dict[str, str | int] = {"head": head, "state": state, "per_page": PER_PAGE}
        page = self._json(self._send("GET", url, action, params=params), action)
        if not isinstance(page, list):
            raise GitHubError(f"{action}: GitHub answered with something that is not a list")
        return [_pull(item) for item in page]

    def create_pull(self, *, title: str, body: str, head: str, base: str) -> GitHubPull:
        action = f"opening a pull request in {self._repo}"
        payload = {"title": title, "body": body, "head": head, "base": base}
        url = self._url(f"/repos/{self._repo}/pulls")
        return _pull(self._json(self._send("POST", url, action, json=payload), action))

    def edit_pull(
        self,
        number: int,
        *,
        title: str | None = None,
        body: str | None = None,
        state: str | None = None,
    ) -> GitHubPull:
        action = f"editing pull request #{number} of {self._repo}"
        fields = {"title": title, "body": body, "state": state}
        payload = {key: value for key, value in fields.items() if value is not None}
        url = self._url(f"/repos/{self._repo}/pulls/{number}")
        return _pull(self._json(self._send("PATCH", url, action, json=payload), action))

    def dispatch_workflow(self, workflow: str, *, ref: str) -> None:
        """Start the workflow `workflow` (its file name, such as `ci.yml`, which must have
        `on: workflow_dispatch`) on the branch `ref`: the one way the workflow's own token may
        start a workflow. GitHub answers 204 and no run number."""
        action = f"dispatching the workflow {workflow} on {ref} in {self._repo}"
        url = self._url(f"/repos/{self._repo}/actions/workflows/{workflow}/dispatches")
        self._send("POST", url, action, json={"ref": ref})

    # --- one request, its rate limits and its errors ----------------------------------------

    def _send(
        self,
        method: str,
        url: httpx.URL,
        action: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: object = None,
    ) -> httpx.Response:
        if method != "GET":
            self._pause_between_writes()
        for _attempt in range(MAX_RATE_LIMITED_ATTEMPTS):
            try:
                response = self._request(method, url, action, params=params, json=json)
            except httpx.HTTPError as error:
                detail = self._shown(str(error) or type(error).__name__)
                raise GitHubError(f"{action}: could not reach {self._api_url}: {detail}") from None
            if method != "GET":
                self._last_write = self._clock()
            wait = self._rate_limit_wait(response)
            if wait is None:
                if response.is_success:
                    return response
                raise self._error(response, action)
            if self._waited + wait > self._max_wait:
                raise RateLimitError(
                    f"{action}: GitHub's rate limit asks to wait {wait:.0f} s more, past the "
                    f"{self._max_wait:.0f} s this run may wait (already {self._waited:.0f} s); "
                    "run the sync again later"
                )
            self._sleep(wait)
            self._waited += wait
        raise RateLimitError(
            f"{action}: still rate limited after {MAX_RATE_LIMITED_ATTEMPTS} attempts; "
            "run the sync again later"
        )

    def _request(
        self,
        method: str,
        url: httpx.URL,
        action: str,
        *,
        params: Mapping[str, str | int] | None,
        json: object,
    ) -> httpx.Response:
        """One request and the redirects it answers (a renamed repository answers 301 or 307
        to its new place), followed only on the API's origin: the token, and the truth about
        the issues, come from there and nowhere else."""
        response = self._client.request(method, url, params=params, json=json)
        for _hop in range(MAX_REDIRECTS):
            following = response.next_request
            if following is None:
                return response
            if not self._on_api_origin(following.url):
                target = self._shown(f"{following.url.scheme}://{following.url.netloc.decode()}")
                raise GitHubError(
                    f"{action}: GitHub answered {response.status_code} redirecting to another "
                    f"host ({target}); stopped, as the sync talks to {self._api_url} only: "
                    "check GITHUB_API_URL"
                )
            response = self._client.send(following)
        raise GitHubError(f"{action}: more than {MAX_REDIRECTS} redirects in a row; stopped")

    def _on_api_origin(self, url: httpx.URL) -> bool:
        api = self._api_url
        return (url.scheme, url.host, url.port) == (api.scheme, api.host, api.port)

    def _pause_between_writes(self) -> None:
        if self._last_write is None or self._write_interval <= 0:
            return
        pause = self._write_interval - (self._clock() - self._last_write)
        if pause > 0:
            self._sleep(pause)

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds to wait before trying again, or None when the answer is no rate limit."""
        if response.status_code not in {403, 429}:
            return None
        headers = response.headers
        retry_after = _number(headers.get("retry-after"))
        if retry_after is not None:
            return max(retry_after, 0.0)
        reset = _number(headers.get("x-ratelimit-reset"))
        if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
            return max(reset - self._clock(), 0.0) + 1.0
        if response.status_code == 429 or "rate limit" in self._detail(response).lower():
            return UNSPECIFIED_RATE_LIMIT_WAIT
        return None

    def _error(self, response: httpx.Response, action: str) -> GitHubError:
        status, detail = response.status_code, self._detail(response)
        if status == 401:
            return AuthError(
                f"the token was refused (401): {detail}; check that GITHUB_TOKEN holds a valid "
                "token"
            )
        if status == 404:
            return NotFoundError(
                f"{action}: not found (404): the repository {self._repo} does not exist or the "
                "token has no access to it"
            )
        if status == 403:
            permission = "pull-requests: write" if "pull request" in action else "issues: write"
            return GitHubError(
                f"{action}: forbidden (403): {detail}; the token needs the {permission} "
                f"permission on {self._repo}"
            )
        if status == 410:
            return GitHubError(f"{action}: issues are turned off in {self._repo} (410)")
        return GitHubError(f"{action}: GitHub answered {status}: {detail}")

    def _detail(self, response: httpx.Response) -> str:
        """GitHub's explanation (`message`, and `errors` of a 422), on one line, redacted."""
        try:
            data = response.json()
        except ValueError:
            data = None
        parts: list[str] = []
        if isinstance(data, dict):
            if isinstance(data.get("message"), str):
                parts.append(data["message"])
            errors = data.get("errors")
            if isinstance(errors, list):
                parts += [
                    str(error.get("message") or error.get("code"))
                    for error in errors
                    if isinstance(error, dict) and (error.get("message") or error.get("code"))
                ]
        return self._shown("; ".join(parts) or response.reason_phrase or "no explanation")

    def _json(self, response: httpx.Response, action: str) -> object:
        try:
            return response.json()
        except ValueError:
            raise GitHubError(f"{action}: GitHub's answer is not JSON") from None

    def _next_page(self, response: httpx.Response, action: str) -> httpx.URL | None:
        """The `rel="next"` page, only on the API's own host: the token must not follow a link
        elsewhere."""
        target = response.links.get("next", {}).get("url")
        if not target:
            return None
        url = response.url.join(target)
        if not self._on_api_origin(url):
            raise GitHubError(f"{action}: the next page of issues is on another host; stopped")
        return url

    def _shown(self, text: str) -> str:
        """Text from a server, fit for a message: on one line, the token redacted, then cut.
        In this order: a cut token would no longer match, and its first characters would
        show; flattened first, so that no control character hides the token from redaction
        only to be removed afterwards."""
        flat = one_line(text, len(text))
        redacted = flat.replace(self._token, _REDACTED) if self._token else flat
        return one_line(redacted, _DETAIL_LIMIT)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None
