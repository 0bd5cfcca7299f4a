"""https through the fetcher and the GitHub client, on loopback servers holding a certificate of
a test authority: a certificate nobody vouches for is refused; one from an authority the
machine trusts (`SSL_CERT_FILE`, as the system's own bundle would) is accepted."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from optout_watch.alerts.github import GitHubClient, GitHubError
from optout_watch.fetching.failures import FetchErrorKind, Outcome
from optout_watch.fetching.judge import judge
from tests.support.fake_github import REPO, TOKEN, FakeGitHub
from tests.support.fetcher import fetch
from tests.support.loopback import Loopback, Reply, Server

PAGE = b"<html><head><title>Privacy</title></head><body><h1>Settings</h1></body></html>"


@pytest.fixture
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def certificate(authority: trustme.CA) -> ssl.SSLContext:
    """A server's TLS context holding a certificate for 127.0.0.1 issued by `authority`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def trusted(authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine trusts `authority`, as it trusts those of its bundle."""
    bundle = tmp_path / "authority.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


@pytest.fixture
def https_server(net: Loopback, certificate: ssl.SSLContext) -> Server:
    server = net.server("127.0.0.1", tls=certificate)
    server.route("/privacy", Reply(200, {"Content-Type": "text/html"}, PAGE))
    return server


@pytest.fixture
def https_github(certificate: ssl.SSLContext) -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN, repo=REPO, tls=certificate) as fake:
        yield fake


def test_a_page_whose_certificate_nobody_vouches_for_is_a_tls_error(
    https_server: Server,
) -> None:
    result = fetch(https_server.url("/privacy"))
    assert result.error is not None
    assert result.error.kind == FetchErrorKind.TLS
    assert "certificate verify failed" in result.error.message
    assert https_server.requests == []


@pytest.mark.usefixtures("trusted")
def test_a_page_whose_certificate_a_trusted_authority_issued_is_read(
    https_server: Server,
) -> None:
    result = fetch(https_server.url("/privacy"))
    assert result.error is None
    assert judge(result).outcome == Outcome.OK
    assert [request.target for request in https_server.requests] == ["/privacy"]


def test_an_http_page_needs_no_authority(net: Loopback) -> None:
    server = net.server()
    server.route("/privacy", Reply(200, {"Content-Type": "text/html"}, PAGE))
    assert judge(fetch(server.url("/privacy"))).outcome == Outcome.OK


def test_github_over_https_with_a_certificate_nobody_vouches_for_is_refused(
    https_github: FakeGitHub,
) -> None:
    assert https_github.url.startswith("https://")
    with (
        GitHubClient(api_url=https_github.url, token=TOKEN, repo=REPO) as client,
        pytest.raises(GitHubError, match="certificate verify failed"),
    ):
        client.list_issues("optout-watch")
    assert https_github.requests == []
