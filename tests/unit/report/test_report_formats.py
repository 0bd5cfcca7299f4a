"""The formats of a report (JSON, Markdown, terminal text, GitHub job summary and annotations),
and the quoting that keeps text from web pages from acting in the Markdown GitHub renders."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from optout_watch.fetching.failures import FetchErrorKind
from optout_watch.fetching.model import Hop
from optout_watch.lint.diagnostics import Diagnostic
from optout_watch.pages.labels import Suggestion
from optout_watch.report.formats import (
    REPORT_FORMATS,
    STEP_SUMMARY_DIFF_LIMIT,
    github_annotations,
    outage_line,
    report_format,
    step_summary,
)
from optout_watch.report.model import (
    LabelReport,
    LinkReport,
    Location,
    PageReport,
    Report,
)
from optout_watch.report.safe_markdown import (
    WORD_JOINER,
    autolink,
    code_block,
    code_span,
    html_text,
    inline,
    one_line,
)
from optout_watch.severity import Severity
from tests.support.report_models import (
    CHAT,
    MAIL,
    SERVICES,
    STARTED,
    catalogue_file,
    make_finding,
    make_report,
)

# CommonMark with GitHub's tables and strikethrough, raw HTML let through: any HTML that slips
# past the quoting shows up as a tag.
RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

HOSTILE = [
    "@octocat please look",
    "see #1",
    "GH-123",
    "owner/repo#1",
    "[x](https://evil.example)",
    "![i](https://evil.example/i.png)",
    "<img src=x onerror=alert(1)>",
    "<!-- optout-watch:fingerprint=0123456789abcdef -->",
    "```\n</details>\n```",
    "| table | injection |\n|---|---|\n| a | b |",
    "# Title",
    "- item",
    "1. item",
    "> quote",
    "<details><summary>x</summary>",
    "*bold* _em_ ~~gone~~ `code`",
    "$x^2$",
    "\x1b[31mred\x1b[0m\x00",
    "a trailing backslash \\",
    "&lt;b&gt; &#64;octocat",
]

# A mention or an issue reference as GitHub finds them: in text, outside code and links.
REFERENCE = re.compile(r"@[A-Za-z0-9]|#\d|GH-\d", re.IGNORECASE)
FINGERPRINT_MARKER = "<!--"


def _text_of(rendered: str) -> str:
    """What a reader sees: tags dropped, entities decoded, word joiners gone."""
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace(WORD_JOINER, "")


def _tags(rendered: str) -> set[str]:
    return set(re.findall(r"</?([a-zA-Z][\w-]*)", rendered))


def _references(rendered: str) -> list[str]:
    """References GitHub would act on: code, code blocks and links are exempt."""
    outside = re.sub(r"<(code|pre|a)\b.*?</\1>", "", rendered, flags=re.DOTALL)
    return REFERENCE.findall(html.unescape(re.sub(r"<[^>]+>", "", outside)))


def _links(rendered: str) -> list[tuple[str, str]]:
    return [
        (html.unescape(href), html.unescape(text))
        for href, text in re.findall(r'<a href="([^"]*)">(.*?)</a>', rendered)
    ]


# --- safe_markdown ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_inline_text_renders_as_itself_and_nothing_more(text: str) -> None:
    rendered = RENDERER.render(inline(text))
    assert _tags(rendered) == {"p"}
    assert _text_of(rendered).strip() == one_line(text).replace(WORD_JOINER, "")
    assert _references(rendered) == []


@given(st.text(st.sampled_from("ab Z09@#!$%&*()[]{}<>|`~_-+=.:;'\"\\/\n\t\r\x1b«»é")))
def test_inline_text_renders_as_itself_whatever_it_holds(text: str) -> None:
    rendered = RENDERER.render(inline(text))
    assert _tags(rendered) <= {"p"}
    assert _text_of(rendered).strip() == one_line(text)
    assert _references(rendered) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_inline_text_stays_in_its_table_cell(text: str) -> None:
    table = f"| Platform | Reason |\n| --- | --- |\n| example | {inline(text)} |\n"
    rendered = RENDERER.render(table)
    assert rendered.count("<td>") == 2
    assert _tags(rendered) == {"table", "thead", "tbody", "tr", "th", "td"}


def test_inline_text_is_one_line_of_bounded_length() -> None:
    assert inline("first\nsecond\r\n\tthird") == "first second third"
    assert one_line("x" * 500, limit=10) == "x" * 9 + "…"
    assert one_line("\x1b[31mred\x1b[0m\x00 \u202eevil") == "[31mred[0m evil"
    assert one_line("« Confidentialité »\u00a0!") == "« Confidentialité »\u00a0!"


@pytest.mark.parametrize("text", HOSTILE)
def test_html_text_in_a_summary_stays_text(text: str) -> None:
    rendered = RENDERER.render(
        f"<details><summary>{html_text(text)}</summary>\n\nbody\n\n</details>"
    )
    assert _tags(rendered) == {"details", "summary", "p"}
    summary = re.search(r"<summary>(.*)</summary>", rendered)
    assert summary is not None
    assert _text_of(summary[1]) == one_line(text)
    assert _references(rendered) == []


@pytest.mark.parametrize("text", [*HOSTILE, "````\n```\n~~~\n", "-- a\n++ b\n@@ -1 +1 @@\n"])
def test_a_code_block_cannot_be_closed_by_its_content(text: str) -> None:
    rendered = RENDERER.render(code_block(text, "diff") + "\nafter\n")
    assert rendered.count("<pre>") == 1
    assert rendered.endswith("</code></pre>\n<p>after</p>\n")
    code = re.search(r'<pre><code class="language-diff">(.*)</code></pre>', rendered, re.DOTALL)
    assert code is not None
    expected = re.sub("[\x00-\x08\x1b]", "", text).rstrip("\n") + "\n"
    assert html.unescape(code[1]).replace(WORD_JOINER, "") == expected
    assert "<!--" not in code[1]


def test_a_code_block_is_cut_at_a_line_end_and_says_so() -> None:
    text = "".join(f"+line {n}\n" for n in range(1000))
    block = code_block(text, "diff", limit=100)
    lines = block.splitlines()
    assert lines[0] == "```diff"
    assert lines[-1] == "```"
    assert lines[1:-2] == [f"+line {n}" for n in range(12)]  # 98 characters, whole lines
    shown = len("\n".join(lines[1:-2]))
    assert lines[-2] == f"… ({len(text.rstrip()) - shown} more characters not shown)"


def test_a_code_block_language_is_a_plain_word() -> None:
    assert code_block("x").startswith("```\n")
    for language in ("diff\n<b>", "a`b", "x y"):
        with pytest.raises(ValueError, match="language"):
            code_block("x", language)


@pytest.mark.parametrize("text", [*HOSTILE, "`", "``a`", "a ``` b", ""])
def test_a_code_span_shows_its_text_verbatim(text: str) -> None:
    rendered = RENDERER.render(f"before {code_span(text)} after")
    code = re.findall(r"<code>(.*?)</code>", rendered)
    assert len(code) == 1
    assert html.unescape(code[0]).strip(" ").replace(WORD_JOINER, "") == one_line(text)
    assert "<!--" not in code[0]
    assert _tags(rendered) == {"p", "code"}
    assert _references(rendered) == []


def test_an_autolink_shows_exactly_where_it_leads() -> None:
    url = "https://help.example.org/privacy?lang=en#settings"
    assert _links(RENDERER.render(autolink(url))) == [(url, url)]
    for text in (
        "https://evil.example/ [x](https://other.example)",
        "javascript:alert(1)",
        "https://evil.example/<img>",
        "https://evil.example/a|b",
    ):
        rendered = RENDERER.render(autolink(text))
        assert _links(rendered) == []
        assert _tags(rendered) == {"p", "code"}


# --- report fixtures -------------------------------------------------------------------------

HELP_URL = "https://help.example.org/privacy"
FORM_URL = "https://help.example.org/form"
WALL_URL = "https://help.example.org/wall"
OLD_URL = "https://help.example.org/old-settings"
NEW_URL = "https://help.example.org/settings/privacy"
MAIL_URL = "https://mail.example.com/help/ai"


def _use(platform: str, line: int, entry: str = "help") -> Location:
    kind = "source" if entry == "source" else "help"
    return Location(
        platform=platform, file=catalogue_file(platform), line=line, entry=entry, kind=kind
    )


def _link(
    url: str,
    *uses: Location,
    outcome: str = "ok",
    status: int | None = 200,
    reason: str = "HTTP 200",
    redirects: Sequence[Hop] = (),
    new_url: str | None = None,
) -> LinkReport:
    return LinkReport(
        url=url,
        fetched_url=url,
        outcome=outcome,
        reason=reason,
        status=status,
        final_url=redirects[-1].location if redirects else url,
        new_url=new_url,
        redirects=list(redirects),
        attempts=1,
        elapsed_ms=140,
        uses=list(uses),
    )


def _label(
    text: str, state: str = "present", line: int = 30, *suggestions: Suggestion
) -> LabelReport:
    return LabelReport(
        label=text, state=state, suggestions=list(suggestions), file=catalogue_file(CHAT), line=line
    )


def _page(
    url: str, platform: str, *labels: LabelReport, diff: str = "", line: int = 25
) -> PageReport:
    return PageReport(
        url=url,
        platforms=[platform],
        file=catalogue_file(platform),
        line=line,
        checked=True,
        error=None,
        selector_failed=False,
        changed=bool(diff),
        diff=diff,
        labels=list(labels),
    )


def healthy() -> Report:
    return make_report(
        [
            _link(HELP_URL, _use(CHAT, 25)),
            _link(FORM_URL, _use(CHAT, 40, "form"), _use(CHAT, 44, "form")),
            _link(MAIL_URL, _use(MAIL, 18)),
            _link("https://www.cnil.fr/fr/guide", _use(CHAT, 9, "source"), _use(MAIL, 9, "source")),
        ],
        [
            _page(HELP_URL, CHAT, _label("Privacy"), _label("Improve the model for everyone")),
            _page(MAIL_URL, MAIL, _label("Smart features")),
        ],
    )


SUGGESTIONS = (
    Suggestion(text="Improve the model for all users", score=0.93),
    Suggestion(text="Improve our models", score=0.71),
)


def broken_and_missing() -> Report:
    """A 404 seen for the second night (confirmed) and a label gone since last night."""
    return make_report(
        [
            _link(HELP_URL, _use(CHAT, 25)),
            _link(
                FORM_URL, _use(CHAT, 40, "form"), outcome="broken", status=404, reason="HTTP 404"
            ),
            _link(MAIL_URL, _use(MAIL, 18)),
        ],
        [
            _page(
                HELP_URL,
                CHAT,
                _label("Privacy"),
                _label("Improve the model for everyone", "missing", 31, *SUGGESTIONS),
            ),
            _page(MAIL_URL, MAIL, _label("Smart features", "never_seen", 22)),
        ],
        [
            make_finding(
                "label-missing",
                Severity.ERROR,
                31,
                f"label “Improve the model for everyone” is gone from {HELP_URL}; most likely "
                "renamed to “Improve the model for all users”",
                url=HELP_URL,
                label="Improve the model for everyone",
                evidence={"suggestions": [f"{s.text} ({s.score:.2f})" for s in SUGGESTIONS]},
                streak=1,
            ),
            make_finding(
                "link-broken",
                Severity.ERROR,
                40,
                f"{FORM_URL}: HTTP 404",
                url=FORM_URL,
                evidence={
                    "outcome": "broken",
                    "reason": "HTTP 404",
                    "status": 404,
                    "final_url": FORM_URL,
                    "new_url": None,
                    "attempts": 1,
                    "redirects": [],
                    "used_by": [f"{catalogue_file(CHAT)}:40 (form)"],
                },
            ),
        ],
    )


def blocked_and_moved() -> Report:
    hops = [
        Hop(url=OLD_URL, status=301, location=f"{OLD_URL}/"),
        Hop(url=f"{OLD_URL}/", status=308, location=NEW_URL),
    ]
    return make_report(
        [
            _link(
                WALL_URL,
                _use(CHAT, 50, "wall"),
                outcome="blocked",
                status=403,
                reason="bot protection (challenge page)",
            ),
            _link(
                OLD_URL,
                _use(MAIL, 18),
                outcome="redirected",
                status=200,
                reason="moved permanently",
                redirects=hops,
                new_url=NEW_URL,
            ),
        ],
        findings=[
            make_finding(
                "link-moved",
                Severity.WARNING,
                18,
                f"{OLD_URL}: moved permanently; the catalogue should take {NEW_URL}",
                platform=MAIL,
                url=OLD_URL,
                evidence={
                    "status": 200,
                    "new_url": NEW_URL,
                    "redirects": [f"{h.status} {h.url} → {h.location}" for h in hops],
                },
            ),
            make_finding(
                "link-blocked",
                Severity.WARNING,
                50,
                f"{WALL_URL}: bot protection (challenge page)",
                url=WALL_URL,
                evidence={"status": 403},
                streak=1,
            ),
        ],
    )


DIFF = """\
--- https://help.example.org/privacy
+++ https://help.example.org/privacy
@@ -3,2 +3,2 @@
 Open Settings, then the Privacy tab.
-Turn off “Improve the model for everyone”.
+Turn off “Improve the model for all users”.
"""


def changed_page(diff: str = DIFF) -> Report:
    return make_report(
        [_link(HELP_URL, _use(CHAT, 25))],
        [_page(HELP_URL, CHAT, _label("Privacy"), diff=diff)],
        [
            make_finding(
                "page-changed",
                Severity.INFO,
                25,
                f"{HELP_URL} changed: 1 line added, 1 line removed",
                url=HELP_URL,
                evidence={"lines_added": 1, "lines_removed": 1},
            )
        ],
    )


def outage() -> Report:
    links = [
        _link(
            url, _use(CHAT, 25 + n), outcome="error", status=None, reason="connection refused"
        ).model_copy(update={"failure": FetchErrorKind.CONNECT if n else FetchErrorKind.TIMEOUT})
        for n, url in enumerate((HELP_URL, FORM_URL, WALL_URL))
    ]
    findings = [
        make_finding(
            "link-error", Severity.ERROR, 25, f"{HELP_URL}: connection refused", url=HELP_URL
        )
    ]
    return make_report(links, findings=findings, outage=True)


EVIL = "@octocat #1 GH-2 owner/repo#3 [x](https://evil.example) ![i](https://evil.example/i)"
EVIL_HTML = "<img src=x onerror=alert(1)> <!-- optout-watch:fingerprint=0123456789abcdef -->"


def hostile() -> Report:
    """Every field a page controls, written by someone who wants to act through the report."""
    evil_label = f"{EVIL}\n# Title\n| a | b |"
    evil_diff = f"+{EVIL}\n```\n</details>\n<!-- x -->\n````\n-{EVIL_HTML}\n"
    page = PageReport(
        url=HELP_URL,
        platforms=[CHAT],
        file=catalogue_file(CHAT),
        line=25,
        checked=True,
        error=None,
        selector_failed=False,
        changed=True,
        diff=evil_diff,
        labels=[_label("Privacy", "missing", 31, Suggestion(text=evil_label, score=0.9))],
    )
    reason = f"page says not found: “{EVIL} {EVIL_HTML}”"
    return make_report(
        [
            _link(
                FORM_URL,
                _use(CHAT, 40, "form"),
                outcome="broken",
                reason=reason,
                redirects=[Hop(url=FORM_URL, status=302, location=f"https://evil.example/{EVIL}")],
            )
        ],
        [page],
        [
            make_finding(
                "link-broken",
                Severity.ERROR,
                40,
                f"{FORM_URL}: {reason}\n\x1b[2J",
                url=FORM_URL,
                evidence={
                    "reason": reason,
                    "final_url": f"https://evil.example/{EVIL}",
                    "new_url": "https://evil.example/@octocat",
                    "redirects": [f"302 {FORM_URL} → https://evil.example/{EVIL}"],
                },
            ),
            make_finding(
                "label-missing",
                Severity.ERROR,
                31,
                f"label “Privacy” is gone; most likely renamed to “{evil_label}”",
                url=HELP_URL,
                label="Privacy",
                evidence={"suggestions": [f"{evil_label} (0.90)"]},
            ),
        ],
        [
            Diagnostic(
                path=catalogue_file(CHAT),
                line=7,
                column=3,
                code="OW102",
                severity=Severity.ERROR,
                message=f"not a public host: {EVIL_HTML}",
            )
        ],
    )


ALL_FIXTURES = [healthy, broken_and_missing, blocked_and_moved, changed_page, outage, hostile]


def _table(markdown: str) -> dict[str, dict[str, str]]:
    """The per-platform table: platform → column title → cell."""
    rows = [
        [cell.strip() for cell in line.strip("|").split(" | ")]
        for line in markdown.splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
    ]
    header, *body = rows
    return {row[0]: dict(zip(header[1:], row[1:], strict=True)) for row in body}


def _cells(*values: int) -> dict[str, str]:
    titles = (
        "Links fine", "Moved", "Broken", "Blocked", "Error",
        "Labels present", "Missing", "Never seen",
    )  # fmt: skip
    return dict(zip(titles, map(str, values), strict=True))


# --- JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ALL_FIXTURES, ids=lambda fixture: fixture.__name__)
def test_json_round_trips_in_the_models_key_order(fixture: Callable[[], Report]) -> None:
    report = fixture()
    rendered = REPORT_FORMATS["json"].render(report)
    assert rendered.endswith("}\n")
    assert Report.model_validate_json(rendered) == report
    assert list(json.loads(rendered)) == list(Report.model_fields)


# --- Markdown --------------------------------------------------------------------------------


def test_markdown_of_a_healthy_run() -> None:
    markdown = REPORT_FORMATS["markdown"].render(healthy())
    assert markdown.startswith(f"# optout-watch report, {STARTED}\n\n**Nothing to act on.**\n")
    assert "4 links, 2 watched pages (0 changed), 0 findings." in markdown
    # Platforms by name; a link two entries of one platform use counts once for it; a source
    # that both platforms cite has a row of its own instead of a count in each.
    assert _table(markdown) == {
        SERVICES[CHAT]: _cells(2, 0, 0, 0, 0, 2, 0, 0),
        SERVICES[MAIL]: _cells(1, 0, 0, 0, 0, 1, 0, 0),
        "Sources": _cells(1, 0, 0, 0, 0, 0, 0, 0),
    }
    assert "## Needs action" not in markdown
    assert "<details>" not in markdown


def test_markdown_of_a_broken_link_and_a_missing_label() -> None:
    markdown = REPORT_FORMATS["markdown"].render(broken_and_missing())
    assert "**1 confirmed error; 1 finding awaiting confirmation.**" in markdown
    assert _table(markdown) == {
        SERVICES[CHAT]: _cells(1, 0, 1, 0, 0, 1, 1, 0),
        SERVICES[MAIL]: _cells(1, 0, 0, 0, 0, 0, 0, 1),
    }
    # Only the confirmed problem needs action; the other awaits confirmation, in one line.
    assert re.findall(r"^### (.*)$", markdown, re.MULTILINE) == [
        "Broken link: Example Chat › form (404)"
    ]
    broken = markdown.split("### ")[1].split("## Awaiting")[0]
    assert broken.count("HTTP 404") == 1  # the reason, said once
    assert "HTTP 404 (error, confirmed, 2 runs)" in broken
    assert "- Catalogue: `catalogue/example-chat.yaml:40`" in broken
    assert "<details><summary>Evidence</summary>\n\n- HTTP status: 404\n\n</details>" in broken
    assert "Used by" not in broken  # one platform only
    assert "Message" not in broken
    assert "Suggested new URL" not in broken  # no value, no line
    assert "Redirect chain" not in broken
    awaiting = markdown.split("## Awaiting confirmation\n\n")[1].split("\n\n")[0]
    assert awaiting == (
        "- Label gone: Example Chat › « Improve the model for everyone »: label “Improve the "
        f"model for everyone” is gone from {HELP_URL}; most likely renamed to “Improve the "
        "model for all users” (error, unconfirmed, 1/2 runs)\n"
    )


def test_markdown_of_a_blocked_and_a_moved_link() -> None:
    markdown = REPORT_FORMATS["markdown"].render(blocked_and_moved())
    assert "**No confirmed errors; 1 confirmed warning; 1 finding awaiting confirmation.**" in (
        markdown
    )
    assert _table(markdown) == {
        SERVICES[CHAT]: _cells(0, 0, 0, 1, 0, 0, 0, 0),
        SERVICES[MAIL]: _cells(0, 1, 0, 0, 0, 0, 0, 0),
    }
    assert "### Moved link: Example Mail › help" in markdown
    assert f"moved permanently; the catalogue should take {NEW_URL} (warning" in markdown
    assert (
        f"- Redirect chain:\n  1. 301 {OLD_URL} → {OLD_URL}/\n  2. 308 {OLD_URL}/ → {NEW_URL}"
    ) in markdown
    rendered = RENDERER.render(markdown)
    assert re.search(r"<li>Redirect chain:\n<ol>\n<li>301 ", rendered)


def test_markdown_of_a_changed_page_folds_its_diff() -> None:
    markdown = REPORT_FORMATS["markdown"].render(changed_page())
    assert "**Nothing to act on.**" in markdown
    assert "### " not in markdown  # information, not a problem
    assert (
        "## Changed pages\n\n"
        f"<details><summary>Example Chat: {HELP_URL}: 1 line added, 1 line removed "
        "(catalogue/example-chat.yaml:25)</summary>"
        f"\n\n```diff\n{DIFF}```\n\n</details>"
    ) in markdown
    rendered = RENDERER.render(markdown)
    code = re.search(r'<pre><code class="language-diff">(.*?)</code></pre>', rendered, re.DOTALL)
    assert code is not None
    assert html.unescape(code[1]) == DIFF


def test_markdown_of_an_outage_says_so_first() -> None:
    markdown = REPORT_FORMATS["markdown"].render(outage())
    title, _, caution, notice, *_ = markdown.splitlines()
    assert title == f"# optout-watch report, {STARTED}"
    assert caution == "> [!CAUTION]"
    assert notice == (
        "> **Outage:** 3 of 3 URLs failed at the network level (could not connect: 2, timed "
        "out: 1): nothing was changed (no issue, streak or snapshot)."
    )
    assert _table(markdown) == {SERVICES[CHAT]: _cells(0, 0, 0, 0, 3, 0, 0, 0)}


def test_hostile_page_text_cannot_act_in_the_markdown() -> None:
    report = hostile()
    for markdown in (REPORT_FORMATS["markdown"].render(report), step_summary(report)):
        assert FINGERPRINT_MARKER not in markdown
        rendered = RENDERER.render(markdown)
        assert _references(rendered) == []
        assert all(href == text for href, text in _links(rendered))
        assert {href for href, _ in _links(rendered)} == {FORM_URL, HELP_URL}
        assert _tags(rendered) <= {
            "h1", "h2", "h3", "p", "strong", "ul", "ol", "li", "a", "code", "pre",
            "details", "summary", "table", "thead", "tbody", "tr", "th", "td",
        }  # fmt: skip
        assert re.findall(r"<h[1-6]>(.*?)</h[1-6]>", rendered) == [
            f"optout-watch report, {STARTED}",
            "Needs action",
            "Broken link: Example Chat › form (a “not found” page)",
            "Label gone: Example Chat › « Privacy »",
            "Changed pages",
            "Catalogue validation",
        ]
        assert rendered.count("<table>") == 1
        assert rendered.count("<details>") == rendered.count("</details>")
        assert rendered.count("<pre>") == 1
        assert "\x1b" not in markdown


def test_a_source_every_platform_cites_is_one_finding_listing_them() -> None:
    guide = "https://www.cnil.fr/fr/guide"
    moved = "https://www.cnil.fr/fr/guide-ia"
    report = make_report(
        [
            _link(
                guide, _use(CHAT, 9, "source"), _use(MAIL, 9, "source"), outcome="redirected",
                reason=f"moved permanently (HTTP 301) to {moved}", new_url=moved,
            )
        ],
        findings=[
            make_finding("link-moved", Severity.WARNING, 9, f"{guide}: moved", url=guide,
                     evidence={"status": 200, "new_url": moved})
        ],
    )  # fmt: skip
    markdown = REPORT_FORMATS["markdown"].render(report)
    assert _table(markdown) == {"Sources": _cells(0, 1, 0, 0, 0, 0, 0, 0)}
    assert markdown.count("### ") == 1
    assert "- Used by: Example Chat, Example Mail" in markdown
    assert markdown.count(f"the catalogue should take {moved}") == 1


def test_with_remap_the_markdown_says_so_and_never_names_the_mirror() -> None:
    # As `report.build` writes it: the catalogue's addresses everywhere but `fetched_url`.
    mirror = "http://127.0.0.1:8123"
    link = _link(
        OLD_URL, _use(CHAT, 12), outcome="redirected", reason=f"moved permanently to {NEW_URL}",
        new_url=NEW_URL, redirects=[Hop(url=OLD_URL, status=301, location=NEW_URL)],
    ).model_copy(update={"fetched_url": f"{mirror}/old-settings"})  # fmt: skip
    finding = make_finding(
        "link-moved", Severity.WARNING, 12, "moved", url=OLD_URL,
        evidence={"redirects": [f"301 {OLD_URL} → {NEW_URL}"]},
    )  # fmt: skip
    markdown = REPORT_FORMATS["markdown"].render(make_report([link], findings=[finding]))
    assert mirror not in markdown
    assert (
        "1 link fetched elsewhere through `--remap`; the addresses below are the catalogue's."
    ) in markdown
    assert f"the catalogue should take {NEW_URL}" in markdown
    assert f"1. 301 {OLD_URL} → {NEW_URL}" in markdown


def test_the_step_summary_cuts_long_diffs() -> None:
    diff = "".join(f"+line {n}\n" for n in range(500))
    report = changed_page(diff)
    full, short = REPORT_FORMATS["markdown"].render(report), step_summary(report)
    assert diff in full
    assert "more characters not shown" in short
    assert len(short) < STEP_SUMMARY_DIFF_LIMIT + 2_000
    assert _table(short) == _table(full)


# --- text ------------------------------------------------------------------------------------


def test_text_is_one_line_per_finding_then_a_summary() -> None:
    assert REPORT_FORMATS["text"].render(broken_and_missing()).splitlines() == [
        "catalogue/example-chat.yaml:31: [error] label-missing (unconfirmed, 1/2 runs) "
        f"label “Improve the model for everyone” is gone from {HELP_URL}; "
        "most likely renamed to “Improve the model for all users”",
        f"catalogue/example-chat.yaml:40: [error] link-broken {FORM_URL}: HTTP 404",
        "3 links, 2 watched pages (0 changed), 2 findings: 1 confirmed error; 1 finding awaiting "
        "confirmation.",
    ]
    assert REPORT_FORMATS["text"].render(healthy()) == (
        "4 links, 2 watched pages (0 changed), 0 findings: Nothing to act on.\n"
    )


def test_text_of_an_outage_and_of_hostile_messages() -> None:
    assert REPORT_FORMATS["text"].render(outage()).splitlines() == [
        "3 of 3 URLs failed at the network level (could not connect: 2, timed out: 1): an "
        "outage, so nothing was changed (no issue, streak or snapshot) (-v lists each URL)"
    ]
    verbose = report_format("text", verbose=True).render(outage()).splitlines()
    assert (
        verbose[0]
        == f"catalogue/example-chat.yaml:25: [error] link-error {HELP_URL}: connection refused"
    )
    assert verbose[1:] == [outage_line(outage())]
    lines = REPORT_FORMATS["text"].render(hostile()).splitlines()
    assert len(lines) == 3
    assert not any("\x1b" in line for line in lines)


# --- GitHub annotations ----------------------------------------------------------------------


def test_annotations_name_the_file_and_line_and_fail_only_when_confirmed() -> None:
    assert github_annotations(broken_and_missing()) == [
        "::notice file=catalogue/example-chat.yaml,line=31,"
        "title=label-missing (example-chat%2C unconfirmed%2C 1/2 runs)::"
        f"label “Improve the model for everyone” is gone from {HELP_URL}; most likely renamed "
        "to “Improve the model for all users”",
        "::error file=catalogue/example-chat.yaml,line=40,"
        f"title=link-broken (example-chat%2C confirmed%2C 2 runs)::{FORM_URL}: HTTP 404",
    ]
    levels = [line.split(" ", 1)[0] for line in github_annotations(blocked_and_moved())]
    assert levels == ["::warning", "::notice"]
    assert github_annotations(changed_page())[0].startswith("::notice ")


def test_annotations_of_an_outage_are_notices() -> None:
    [line] = github_annotations(outage())
    assert line.startswith("::notice file=catalogue/example-chat.yaml,line=25,")


def test_annotations_are_one_line_each() -> None:
    for line in github_annotations(hostile()):
        assert "\n" not in line
        assert "\x1b" not in line


def test_formats_are_chosen_by_name() -> None:
    assert sorted(REPORT_FORMATS) == ["json", "markdown", "text"]
