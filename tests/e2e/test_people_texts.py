"""Texts for people never show where `--remap` sent a URL: three nights of `check` against
loopback mirrors with five kinds of fault (timeout, redirect loop, soft 404 to the home page,
301, unknown host), then `issues sync` against a fake GitHub. The Markdown report, the job
summary, the terminal lines, the annotations, the issues, their comments and the dashboard
name the catalogue's addresses only. Also: the one mapping back, a soft 404's title, and an
outage said in one line."""

from __future__ import annotations

import io
import json
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from optout_watch.alerts.sync import sync_issues
from optout_watch.cli import main
from optout_watch.fetching.remap import Mirror, MirrorMap
from optout_watch.report.model import LinkReport, Location
from optout_watch.report.people import ReportView, finding_title
from optout_watch.severity import Severity
from tests.support.catalogue import platform_yaml, valid_platform
from tests.support.fake_github import REPO, TOKEN, FakeGitHub
from tests.support.loopback import Loopback, Reply, Request, Server
from tests.support.nightly import OK
from tests.support.report_models import make_finding, make_report

#: Never resolves (RFC 6761); the test's resolver says so without asking any server.
NOWHERE = "nonexistent.invalid"
LAST_MODIFIED = "Fri, 01 May 2026 10:00:00 GMT"
ARTICLE = Reply(
    200,
    {"content-type": "text/html", "last-modified": LAST_MODIFIED},
    b"<title>Your data</title><h1>Privacy</h1><p>Turn it off in Settings.</p>",
)
HOME = Reply(
    200,
    {"content-type": "text/html", "last-modified": LAST_MODIFIED},
    b"<title>Example Support</title><h1>How can we help?</h1><p>Privacy</p>",
)

LINKS = {
    "slow": "https://help.example.org/slow",
    "loop": "https://www.example.com/account/loop",
    "deep": "https://support.example.net/articles/42-privacy",
    "moved": "https://docs.example.io/faq/old",
    "gone": "https://gone.example.com/privacy",
}
SOURCE = "https://docs.example.io/source"


def _catalogue(root: Path) -> None:
    data: dict[str, Any] = valid_platform()
    data["links"] = [
        {"id": entry, "url": url, "kind": "help", "lang": "en"} for entry, url in LINKS.items()
    ]
    data["links"][2]["watch"] = {"expect": ["Privacy"]}
    data["sources"][0]["url"] = SOURCE
    for steps in data["procedures"][0]["steps"].values():
        steps[0]["links"] = list(LINKS)
    folder = root / "catalogue"
    folder.mkdir()
    (folder / "example-chat.yaml").write_text(platform_yaml(data), encoding="utf-8")


def _home_or_not_modified(request: Request) -> Reply:
    """The home page, answering 304 to a request made conditional by the deep link's date,
    as a site whose pages all date from one release does."""
    if request.headers.get("if-modified-since") == LAST_MODIFIED:
        return Reply(304)
    return HOME


class Mirrors:
    """One loopback server per catalogue host, and the `--remap` rules that send it there."""

    def __init__(self, net: Loopback) -> None:
        self.slow = net.server("127.0.0.11")
        self.loop = net.server("127.0.0.12")
        self.deep = net.server("127.0.0.13")
        self.docs = net.server("127.0.0.14")
        # Far longer than the run's timeout; the server stops waiting when the test ends.
        self.slow.route("/slow", Reply(200, delay=30))
        self.loop.route("/account/loop", Reply(302, {"location": "/account/loop?loop=1"}))
        self.loop.route("/account/loop?loop=1", Reply(302, {"location": "/account/loop"}))
        self.deep.route("/articles/42-privacy", ARTICLE)  # until it is sent home
        self.deep.handle("/", _home_or_not_modified)
        self.docs.route("/faq/old", Reply(301, {"location": "/faq/new"}))
        self.docs.route("/faq/new", OK)
        self.docs.route("/source", OK)

    @property
    def servers(self) -> list[Server]:
        return [self.slow, self.loop, self.deep, self.docs]

    def remaps(self) -> list[str]:
        rules = {
            r"help\.example\.org": self.slow.base_url,
            r"www\.example\.com": self.loop.base_url,
            r"support\.example\.net": self.deep.base_url,
            r"docs\.example\.io": self.docs.base_url,
            r"gone\.example\.com": f"http://{NOWHERE}:{self.docs.port}",
        }
        return [
            option
            for host, place in rules.items()
            for option in ("--remap", rf"^https://{host}/ {place}/")
        ]


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names under `.invalid` fail as the system resolver fails them, without a DNS query:
    the test sends nothing off this machine."""
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.rstrip(".").endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def _night(
    root: Path, mirrors: Mirrors, capsys: pytest.CaptureFixture[str], number: int
) -> tuple[dict[str, Any], list[str]]:
    """One `check`, as in GitHub Actions: the JSON report, and every text it wrote for people
    (the Markdown report, the job summary, the terminal's lines and annotations)."""
    markdown, summary = root / f"night-{number}.md", root / f"summary-{number}.md"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GITHUB_ACTIONS", "true")
        env.setenv("GITHUB_STEP_SUMMARY", str(summary))
        main(
            [
                "check", "-q", "--retries", "0", "--timeout", "0.5",
                "--report", "report.json", "--markdown", str(markdown), *mirrors.remaps(),
            ]
        )  # fmt: skip
    captured = capsys.readouterr()
    report = json.loads((root / "report.json").read_text(encoding="utf-8"))
    texts = [markdown.read_text(encoding="utf-8"), summary.read_text(encoding="utf-8")]
    return report, [*texts, captured.out, captured.err]


def _sync(root: Path, github: FakeGitHub, *, dry_run: bool = False) -> str:
    """`issues sync` as the command runs it, the pause between writes not waited for."""
    out = io.StringIO()
    code = sync_issues(
        root / "report.json", repo=REPO, dry_run=dry_run, out=out,
        environ={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.url},
        sleep=lambda _: None, write_interval=0,
    )  # fmt: skip
    assert code == 0
    return out.getvalue()


def _mirror_traces(mirrors: Mirrors) -> Callable[[str], list[str]]:
    """What shows a mirror in a text: a loopback address, the unresolvable host, a port."""
    ports = "|".join(str(server.port) for server in mirrors.servers)
    trace = re.compile(rf"127\.|{re.escape(NOWHERE)}|(?<![\w.])(?:{ports})(?!\w)")

    def found(text: str) -> list[str]:
        return [text[max(0, m.start() - 60) : m.end() + 20] for m in trace.finditer(text)]

    return found


def test_no_text_for_people_names_a_mirror(
    run_folder: Path,
    no_dns: None,
    github: FakeGitHub,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _catalogue(run_folder)
    texts: list[str] = []
    with Loopback() as net:
        mirrors = Mirrors(net)
        traces = _mirror_traces(mirrors)
        texts += _night(run_folder, mirrors, capsys, 1)[1]
        # Night 2: the article sends its readers to the home page.
        mirrors.deep.route("/articles/42-privacy", Reply(302, {"location": "/"}))
        texts += _night(run_folder, mirrors, capsys, 2)[1]
        texts.append(_sync(run_folder, github, dry_run=True))
        texts.append(_sync(run_folder, github))
        # Night 3: the page moved again (an "evidence changed" comment), the loop is healed
        # (a "resolved" comment), the article's soft 404 is confirmed (a new issue).
        mirrors.docs.route("/faq/old", Reply(301, {"location": "/faq/newer"}))
        mirrors.docs.route("/faq/newer", OK)
        mirrors.loop.route("/account/loop", OK)
        report, written = _night(run_folder, mirrors, capsys, 3)
        texts += written
        texts.append(_sync(run_folder, github))
    # `fix` writes the moved link's new address into the catalogue: the catalogue's, too.
    main(["fix", "--report", "report.json"])
    captured = capsys.readouterr()
    texts += [captured.out, captured.err]
    catalogue = (run_folder / "catalogue" / "example-chat.yaml").read_text(encoding="utf-8")
    assert "url: https://docs.example.io/faq/newer\n" in catalogue
    texts.append(catalogue)

    links = {link["url"]: link for link in report["links"]}
    # The five faults were seen, each as what it is.
    reasons = {entry: links[url]["reason"] for entry, url in LINKS.items()}
    assert reasons["slow"] == "timeout: no answer from help.example.org within 0.5 s"
    assert reasons["deep"] == (
        "soft 404: the deep link was redirected to the site's home (https://support.example.net/)"
    )
    assert reasons["moved"] == "moved permanently (HTTP 301) to https://docs.example.io/faq/newer"
    assert reasons["gone"] == "unknown host gone.example.com: the name does not resolve"
    assert links[LINKS["moved"]]["new_url"] == "https://docs.example.io/faq/newer"
    # The home page answered the article's conditional request: a 304, which the title
    # does not show.
    assert links[LINKS["deep"]]["status"] == 304
    # Only `fetched_url` says where each URL was fetched.
    assert links[LINKS["moved"]]["fetched_url"] == f"{mirrors.docs.base_url}/faq/old"
    assert links[LINKS["gone"]]["fetched_url"] == f"http://{NOWHERE}:{mirrors.docs.port}/privacy"

    everyone = github.ours()
    issues = [issue for issue in everyone if issue.title != "optout-watch dashboard"]
    assert len(everyone) == len(issues) + 1  # and the dashboard
    titles = sorted(issue.title for issue in issues)
    assert titles == [
        "Broken link: Chat › deep (sent to the home page)",
        "Broken link: Chat › gone",
        "Broken link: Chat › loop (302)",
        "Link fails: Chat › slow",
        "Moved link: Chat › moved",
    ]
    comments = [comment for issue in everyone for comment in issue.comments]
    assert any(comment.startswith("The evidence changed") for comment in comments)
    assert any(comment.startswith("Resolved:") for comment in comments)
    texts += [f"{issue.title}\n{issue.body}" for issue in everyone]
    texts += comments
    # Where the mirrors' addresses were, the catalogue's are.
    everything = "\n".join(texts)
    assert "https://www.example.com/account/loop?loop=1" in everything
    assert "https://docs.example.io/faq/newer" in everything
    assert [trace for text in texts for trace in traces(text)] == []


# --- the one mapping back -------------------------------------------------------------------


def test_an_address_on_the_mirror_becomes_the_same_address_on_the_catalogues_site() -> None:
    mirror = Mirror.between(
        "https://help.example.com/en/articles/42-data", "http://127.0.0.1:8000/en/articles/42-data"
    )
    assert mirror is not None
    assert mirror.address("http://127.0.0.1:8000/en/articles/43-new") == (
        "https://help.example.com/en/articles/43-new"
    )
    assert mirror.address("http://127.0.0.1:8000/") == "https://help.example.com/"
    # Another port is another server: left as it is.
    assert mirror.address("http://127.0.0.1:8001/x") == "http://127.0.0.1:8001/x"


def test_a_mirror_with_other_paths_maps_its_page_to_the_catalogues_and_the_rest_by_path() -> None:
    mirror = Mirror.between(
        "https://www.linkedin.com/help/linkedin/answer/a1337839",
        "http://127.0.0.12:39539/acceptance/extra-02",
    )
    assert mirror is not None
    assert mirror.text(
        "redirect loop: http://127.0.0.12:39539/acceptance/extra-02?loop=1 redirects to "
        "http://127.0.0.12:39539/acceptance/extra-02, already seen in this chain"
    ) == (
        "redirect loop: https://www.linkedin.com/help/linkedin/answer/a1337839?loop=1 redirects "
        "to https://www.linkedin.com/help/linkedin/answer/a1337839, already seen in this chain"
    )
    assert mirror.text("home (http://127.0.0.12:39539/).") == "home (https://www.linkedin.com/)."
    # A longer segment is another page of the mirror, put at the same path.
    assert mirror.address("http://127.0.0.12:39539/acceptance/extra-023") == (
        "https://www.linkedin.com/acceptance/extra-023"
    )


def test_a_mirror_under_a_folder_keeps_the_path_below_it() -> None:
    mirror = Mirror.between("https://a.example/x/y", "http://m.test/mirror/a.example/x/y")
    assert mirror is not None
    assert mirror.address("http://m.test/mirror/a.example/z") == "https://a.example/z"


def test_host_names_alone_become_the_catalogues_host_and_only_whole_names_do() -> None:
    mirror = Mirror.between("https://help.example.org/p", "http://127.0.0.1:8000/p")
    assert mirror is not None
    assert mirror.text("timeout: no answer from 127.0.0.1 within 2 s") == (
        "timeout: no answer from help.example.org within 2 s"
    )
    assert mirror.text("could not connect to 127.0.0.1:8000: refused") == (
        "could not connect to help.example.org: refused"
    )
    assert mirror.text("127.0.0.11 and 10.127.0.0.1") == "127.0.0.11 and 10.127.0.0.1"
    named = Mirror.between("https://gone.example.com/p", f"http://{NOWHERE}:9/p")
    assert named is not None
    assert named.text(f"unknown host {NOWHERE}: the name does not resolve") == (
        "unknown host gone.example.com: the name does not resolve"
    )


def test_a_redirect_to_another_mirror_is_put_back_too_but_not_a_live_site_the_catalogue_names() -> (
    None
):
    mirrors = MirrorMap(
        [
            ("https://a.example/p", "http://127.0.0.1:8001/p"),
            ("https://b.example/q", "http://127.0.0.2:8002/q"),
            ("https://old.example/r", "https://b.example/r"),  # an archive the catalogue names
        ]
    )
    text = "302 http://127.0.0.1:8001/p → http://127.0.0.2:8002/q, see b.example"
    assert mirrors.text(text, "https://a.example/p") == (
        "302 https://a.example/p → https://b.example/q, see b.example"
    )
    assert mirrors.text("r moved to https://b.example/s", "https://old.example/r") == (
        "r moved to https://old.example/s"
    )
    fetched_where_written = MirrorMap([("https://a.example/p", "https://a.example/p")])
    assert fetched_where_written.text("https://a.example/q", "https://a.example/p") == (
        "https://a.example/q"
    )


# --- titles ---------------------------------------------------------------------------------


def _soft_404(status: int, final_url: str) -> LinkReport:
    url = "https://www.linkedin.com/help/linkedin/answer/a1337839"
    use = Location(platform="linkedin", file="catalogue/linkedin.yaml", line=9, entry="data",
                   kind="help", title="Data for generative AI")  # fmt: skip
    return LinkReport(
        url=url, fetched_url=url, outcome="broken", reason="soft 404", status=status,
        final_url=final_url, new_url=None, redirects=[], attempts=1, elapsed_ms=1, uses=[use],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "final_url", "note"),
    [
        (304, "https://www.linkedin.com/", "sent to the home page"),
        (200, "https://www.linkedin.com/fr/", "sent to the home page"),
        (200, "https://www.linkedin.com/login?next=/help", "sent to a sign-in page"),
        (200, "https://www.linkedin.com/help/linkedin/answer/a1337839", "a “not found” page"),
    ],
)
def test_a_soft_404_is_titled_by_what_happened_not_by_its_status(
    status: int, final_url: str, note: str
) -> None:
    link = _soft_404(status, final_url)
    finding = make_finding(
        "link-broken", Severity.ERROR, 9, "soft 404", platform="linkedin", url=link.url
    )
    view = ReportView(make_report([link], findings=[finding]))
    assert finding_title(finding, view).endswith(f"› Data for generative AI ({note})")


# --- an outage ------------------------------------------------------------------------------


def _outage(
    run_folder: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[list[str], list[str]]:
    """A `check` where no name resolves (the machine has no network): its lines on stdout and
    on stderr, but for the progress of the fetch."""
    _catalogue(run_folder)
    code = main(["check", "--retries", "0", "--remap", f"^https://([^/]+)/ http://\\1.{NOWHERE}/",
                 *extra])  # fmt: skip
    assert code == 2
    captured = capsys.readouterr()
    err = [line for line in captured.err.splitlines() if not line.startswith("fetching: ")]
    return captured.out.splitlines(), err


def test_an_outage_is_one_line_saying_what_failed_and_that_nothing_changed(
    run_folder: Path, no_dns: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _outage(run_folder, capsys) == (
        [
            "6 of 6 URLs failed at the network level (unknown host: 6): an outage, so nothing "
            "was changed (no issue, streak or snapshot) (-v lists each URL)"
        ],
        [],
    )
    assert not (run_folder / "state" / "state.json").exists()


def test_with_v_an_outage_lists_each_url(
    run_folder: Path, no_dns: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = _outage(run_folder, capsys, "-v")
    assert len(out) == 7
    assert all("[error] link-broken (unconfirmed, 1/2 runs)" in line for line in out[:6])
    assert all("unknown host" in line and NOWHERE not in line for line in out[:6])
    assert out[-1].startswith("6 of 6 URLs failed at the network level (unknown host: 6)")


def test_an_outage_reported_in_json_is_said_once_on_stderr(
    run_folder: Path, no_dns: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out, err = _outage(run_folder, capsys, "-q", "--format", "json")
    assert json.loads("\n".join(out))["summary"]["outage"] is True
    assert err == [
        "optout-watch: 6 of 6 URLs failed at the network level (unknown host: 6): an outage, so "
        "nothing was changed (no issue, streak or snapshot)"
    ]
