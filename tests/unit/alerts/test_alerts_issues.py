"""One finding's issue: a title a person can scan, labels by kind, a body that says what broke,
where and what to do, markers a later run can trust, and web text that cannot act."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
from markdown_it import MarkdownIt

from optout_watch.alerts.issues import (
    DASHBOARD_MARKER,
    IssueSubject,
    RepositoryFiles,
    evidence_digest,
    is_dashboard,
    issue_body,
    issue_labels,
    read_markers,
    removed_comment,
    resolved_comment,
)
from optout_watch.report.people import ReportView, finding_title, humanise
from optout_watch.report.read import ReportError, alerts, parse_report
from optout_watch.report.safe_markdown import WORD_JOINER
from tests.support.alerts_reports import (
    failing_link,
    finding,
    label,
    link,
    page,
    report,
    use,
    view,
)
from tests.support.paths import ROOT

REPOSITORY = RepositoryFiles("https://github.com", "octo/guide")
RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
FORM = "https://www.facebook.com/help/contact/6359191084165019"
HELP = "https://help.openai.com/en/articles/7730893"
LABEL = "Improve the model for everyone"
FORGED = "<!-- optout-watch:fingerprint=ffffffffffffffff -->"
HOSTILE = f"@someone see #123, fixes #1 <script>alert(1)</script> [x](javascript:alert(1)) {FORGED}"


def only(data: dict[str, Any]) -> tuple[ReportView, Any]:
    parsed = view(data)
    return parsed, parsed.findings[0]


def label_report(state: str = "missing", **page_options: Any) -> dict[str, Any]:
    watched = page(
        HELP,
        ["openai-chatgpt"],
        labels=[label(LABEL, state, suggestions=[("Improve the model for all", 0.91)])],
        **page_options,
    )
    code = "label-missing" if state == "missing" else "label-never-seen"
    return report(
        findings=[finding(code, platform="openai-chatgpt", url=HELP, label=LABEL, line=31)],
        links=[link(HELP, uses=[use("openai-chatgpt", "data-controls", line=22)])],
        pages=[watched],
    )


# --- titles and labels ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "title", "kind"),
    [
        ("link-broken", 404, "Broken link: Meta AI › objection form (404)", "broken-link"),
        ("link-error", 503, "Link fails: Meta AI › objection form (503)", "broken-link"),
        ("link-error", None, "Link fails: Meta AI › objection form", "broken-link"),
        ("link-moved", 301, "Moved link: Meta AI › objection form", "moved-link"),
        ("link-blocked", 403, "Blocked link: Meta AI › objection form", "broken-link"),
    ],
)
def test_link_titles_name_the_service_and_the_link(
    code: str, status: int | None, title: str, kind: str
) -> None:
    entry_link, entry_finding = failing_link(FORM, code, status=status)
    parsed, alert = only(report(findings=[entry_finding], links=[entry_link]))
    assert finding_title(alert, parsed) == title
    assert issue_labels(alert) == ("optout-watch", kind)


def test_a_link_title_is_preferred_to_its_id() -> None:
    entry_link, entry_finding = failing_link(FORM, title="Objection form for Meta AI")
    parsed, alert = only(report(findings=[entry_finding], links=[entry_link]))
    assert finding_title(alert, parsed) == "Broken link: Meta AI › Objection form for Meta AI (404)"


def test_label_titles_quote_the_label() -> None:
    parsed, alert = only(label_report("missing"))
    assert finding_title(alert, parsed) == f"Label gone: ChatGPT › « {LABEL} »"
    assert issue_labels(alert) == ("optout-watch", "label-gone")
    parsed, alert = only(label_report("never_seen"))
    assert finding_title(alert, parsed) == f"Label never seen: ChatGPT › « {LABEL} »"


def test_layout_catalogue_and_review_titles() -> None:
    layout = report(
        findings=[finding("page-selector-empty", platform="openai-chatgpt", url=HELP)],
        links=[link(HELP, uses=[use("openai-chatgpt", "data-controls")])],
        pages=[page(HELP, ["openai-chatgpt"], checked=False, selector_failed=True)],
    )
    invalid = report(
        findings=[
            finding(
                "catalogue-invalid",
                platform="x-grok",
                file="catalogue/x-grok.yaml",
                line=7,
                evidence={"rule": "OW201"},
            )
        ]
    )
    stale = report(findings=[finding("review-stale", platform="whatsapp")])
    parsed, alert = only(layout)
    assert finding_title(alert, parsed) == "Layout changed: ChatGPT › data controls"
    assert issue_labels(alert) == ("optout-watch", "layout-changed")
    parsed, alert = only(invalid)
    assert (
        finding_title(alert, parsed) == "Catalogue invalid: catalogue/x-grok.yaml, line 7 (OW201)"
    )
    assert issue_labels(alert) == ("optout-watch", "catalogue")
    parsed, alert = only(stale)
    assert finding_title(alert, parsed) == "Review overdue: WhatsApp"


def test_titles_are_one_line_and_short() -> None:
    entry_link, entry_finding = failing_link(
        FORM, title="A\ttitle\nwith breaks\x1b[31m " + "x" * 300
    )
    parsed, alert = only(report(findings=[entry_finding], links=[entry_link]))
    title = finding_title(alert, parsed)
    assert "\n" not in title
    assert "\t" not in title
    assert "\x1b" not in title
    assert len(title) <= 120
    assert title.endswith("…")


def test_humanise_turns_ids_into_words() -> None:
    assert humanise("objection-form") == "objection form"
    assert humanise("data_controls-faq") == "data controls faq"


# --- bodies ---------------------------------------------------------------------------------


def test_a_broken_link_body_says_what_where_evidence_and_what_to_do() -> None:
    entry_link, entry_finding = failing_link(FORM, reason="HTTP 404 Not Found")
    entry_link["redirects"] = [
        {"url": FORM.replace("https", "http"), "status": 301, "location": FORM}
    ]
    entry_link["uses"].append(use("whatsapp", "objection-form", line=40, title="WhatsApp form"))
    parsed, alert = only(report(findings=[entry_finding], links=[entry_link]))
    body = issue_body(alert, parsed, REPOSITORY)
    assert "is broken: HTTP 404 Not Found." in body
    assert "of Meta AI and WhatsApp" in body
    assert "https://github.com/octo/guide/blob/HEAD/catalogue/meta-ai.yaml#L12" in body
    assert "https://github.com/octo/guide/blob/HEAD/catalogue/whatsapp.yaml#L40" in body
    assert f"<{FORM}>" in body
    assert "- HTTP status: 404" in body
    assert f"1. 301 <{FORM.replace('https', 'http')}> → <{FORM}>" in body
    assert "- [ ] Update or remove the link at `catalogue/meta-ai.yaml` line 12" in body
    assert "meta-ai" not in body.replace("meta-ai.yaml", "")  # people read service names


def test_a_moved_link_body_suggests_the_new_url() -> None:
    new = "https://www.facebook.com/privacy/genai"
    entry_link, entry_finding = failing_link(FORM, "link-moved", status=301, new_url=new)
    parsed, alert = only(report(findings=[entry_finding], links=[entry_link]))
    body = issue_body(alert, parsed, REPOSITORY)
    assert f"the catalogue should take <{new}>" in body
    assert f"- Suggested new URL: <{new}>" in body


def test_a_label_body_gives_suggestions_with_scores_and_a_cut_diff() -> None:
    diff = "--- a\n+++ b\n" + "".join(f"-old line {n}\n+new line {n}\n" for n in range(400))
    parsed, alert = only(label_report("missing", changed=True, diff=diff))
    body = issue_body(alert, parsed, REPOSITORY)
    assert "« Improve the model for all » (score 0.91, replaced the label's line)" in body
    assert "blob/HEAD/catalogue/openai-chatgpt.yaml#L31" in body  # the label's line
    assert "```diff\n--- a\n+++ b\n-old line 0\n" in body
    assert "more characters not shown" in body
    assert len(body) < 6_000


def test_the_server_url_and_file_path_are_quoted_in_links() -> None:
    repository = RepositoryFiles("https://ghe.example", "octo/guide")
    assert (
        repository.file_url("catalogue/a b(1).yaml", 3)
        == "https://ghe.example/octo/guide/blob/HEAD/catalogue/a%20b%281%29.yaml#L3"
    )


def test_web_text_cannot_mention_reference_inject_or_forge_markers() -> None:
    entry_link, entry_finding = failing_link(FORM, "link-moved", reason=HOSTILE, title=HOSTILE)
    entry_link["new_url"] = "javascript:alert(1)"
    entry_finding["message"] = HOSTILE
    watched = page(
        HELP,
        ["openai-chatgpt"],
        labels=[label(HOSTILE, "missing", suggestions=[(HOSTILE, 0.5)])],
        error=HOSTILE,
    )
    label_finding = finding(
        "label-missing", platform="openai-chatgpt", url=HELP, label=HOSTILE, message=HOSTILE
    )
    parsed = view(
        report(
            findings=[entry_finding, label_finding],
            links=[entry_link, link(HELP, uses=[use("openai-chatgpt", "help", title=HOSTILE)])],
            pages=[watched],
        )
    )
    for alert in parsed.findings:
        body = issue_body(alert, parsed, REPOSITORY)
        assert not re.search(f"@(?!{WORD_JOINER})someone", body)
        assert not re.search(f"#(?!{WORD_JOINER})1", body)  # neither #1 nor #123
        assert "<script>" not in body
        assert not re.search(r"(?<!\\)\]\(javascript:", body)  # only as escaped text
        assert FORGED not in body
        assert body.count("<!--") == 3  # our three markers, nothing else
        markers = read_markers(body)
        assert markers is not None
        assert markers.fingerprint == alert.fingerprint
        rendered = RENDERER.render(body)
        assert "<script" not in rendered
        assert 'href="javascript:' not in rendered
        links = re.findall(r'href="([^"]*)"', rendered)
        assert all(href.startswith("https://") for href in links), links


def test_a_hostile_diff_stays_inside_its_code_block() -> None:
    parsed, alert = only(label_report("missing", changed=True, diff=f"+{HOSTILE}\n+```\n+{FORGED}"))
    body = issue_body(alert, parsed, REPOSITORY)
    assert body.count("<!--") == 3
    rendered = RENDERER.render(body)
    assert "<script" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered  # shown, inside <code>
    markers = read_markers(body)
    assert markers is not None
    assert markers.fingerprint == alert.fingerprint


# --- markers --------------------------------------------------------------------------------


def test_markers_round_trip_and_only_the_leading_block_counts() -> None:
    parsed, alert = only(label_report("missing"))
    body = issue_body(alert, parsed, REPOSITORY)
    markers = read_markers(body)
    assert markers is not None
    assert markers.fingerprint == alert.fingerprint
    assert markers.evidence == evidence_digest(alert, parsed)
    assert markers.subject == IssueSubject("label-missing", alert.file, HELP, LABEL)
    assert read_markers(body.replace("\n", "\r\n")) == markers
    assert read_markers("Some text\n" + body) is None
    assert read_markers(f"An issue of another tool.\n\n{FORGED}\n") is None
    assert read_markers(f"{FORGED}\nText") is not None  # the exact form, at the start
    assert read_markers("<!-- optout-watch:fingerprint=FFFFFFFFFFFFFFFF -->") is None
    assert read_markers("<!-- optout-watch:fingerprint=0123 -->") is None
    assert read_markers(None) is None


def test_a_subject_holds_any_url_or_label_and_never_ends_its_comment() -> None:
    subject = IssueSubject(
        "label-missing", "catalogue/a.yaml", "https://x.example/?a=1&b=-->", "« -->&= »"
    )
    encoded = subject.encode()
    assert "-->" not in encoded
    assert " " not in encoded
    assert IssueSubject.decode(encoded) == subject


def test_the_dashboard_marker_is_its_first_line_only() -> None:
    assert is_dashboard(f"{DASHBOARD_MARKER}\n# optout-watch dashboard")
    assert not is_dashboard(f"Intro\n{DASHBOARD_MARKER}")
    assert not is_dashboard(None)


def test_the_evidence_digest_ignores_when_and_how_often() -> None:
    first_link, first = failing_link(FORM, attempts=1, streak=2)
    later_link, later = failing_link(FORM, attempts=3, streak=9)
    later_link["elapsed_ms"] = 9_999
    one = view(report(findings=[first], links=[first_link]))
    two = view(report(findings=[later], links=[later_link], started_at="2027-01-01T00:00:00Z"))
    assert evidence_digest(one.findings[0], one) == evidence_digest(two.findings[0], two)


@pytest.mark.parametrize(
    "change",
    [
        {"status": 410},
        {"new_url": "https://www.facebook.com/elsewhere"},
        {"outcome": "blocked"},
    ],
)
def test_the_evidence_digest_follows_status_outcome_and_new_url(change: dict[str, Any]) -> None:
    first_link, first = failing_link(FORM)
    one = view(report(findings=[first], links=[first_link]))
    two = view(report(findings=[first], links=[{**first_link, **change}]))
    assert evidence_digest(one.findings[0], one) != evidence_digest(two.findings[0], two)


def test_the_evidence_digest_follows_the_top_suggested_label() -> None:
    one = view(label_report("missing"))
    data = label_report("missing")
    data["pages"][0]["labels"][0]["suggestions"] = [{"text": "Train our models", "score": 0.8}]
    two = view(data)
    assert evidence_digest(one.findings[0], one) != evidence_digest(two.findings[0], two)
    data["pages"][0]["labels"][0]["suggestions"] = [
        {"text": "Improve the model for all", "score": 0.7}
    ]
    three = view(data)
    assert evidence_digest(one.findings[0], one) == evidence_digest(three.findings[0], three)


# --- comments -------------------------------------------------------------------------------


def test_closing_comments_say_why() -> None:
    parsed = view(report(links=[link(FORM)]))
    subject = IssueSubject("link-broken", "catalogue/meta-ai.yaml", FORM)
    assert resolved_comment(subject, parsed).startswith(
        f"Resolved: the check of 2026-12-01T03:17:00Z found <{FORM}> working (`ok`: HTTP 200)."
    )
    assert removed_comment(subject, parsed).startswith(f"<{FORM}> is no longer in the catalogue")


# --- the report view ------------------------------------------------------------------------


def test_the_report_view_reads_the_new_fields() -> None:
    entry_link, entry_finding = failing_link(FORM, title="Objection form")
    parsed = view(
        report(findings=[entry_finding], links=[entry_link], skipped_files=["catalogue/x.yaml"])
    )
    assert parsed.service("meta-ai") == "Meta AI"
    assert parsed.service("unknown-id") == "unknown-id"
    assert parsed.links[0].uses[0].title == "Objection form"
    assert parsed.skipped_files == ("catalogue/x.yaml",)
    assert alerts(parsed.findings[0])


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("platforms"), "report.platforms: field required"),
        (lambda d: d["summary"].pop("outage"), "report.summary.outage: field required"),
        (lambda d: d["findings"][0].update(fingerprint="XYZ"), "report.findings[0].fingerprint"),
        (lambda d: d["findings"][0].update(streak="many"), "report.findings[0].streak"),
        (lambda d: d["links"][0].update(outcome="fine"), "report.links[0].outcome"),
        (lambda d: d["links"][0].update(surprise=1), "report.links[0].surprise"),
    ],
)
def test_the_report_view_names_a_missing_or_wrong_field(mutate: Any, message: str) -> None:
    entry_link, entry_finding = failing_link(FORM)
    data = report(findings=[entry_finding], links=[entry_link])
    mutate(data)
    with pytest.raises(ReportError, match=re.escape(message)):
        parse_report(json.dumps(data))


def test_the_report_view_refuses_what_is_not_json() -> None:
    with pytest.raises(ReportError, match="not JSON"):
        parse_report("{")


def test_the_fixtures_are_reports_as_the_schema_describes_them() -> None:
    """The alerts' tests build reports by hand: they must be what the check writes."""
    schema = json.loads((ROOT / "schema" / "report.schema.json").read_text(encoding="utf-8"))
    entry_link, entry_finding = failing_link(FORM, "link-moved", status=301, new_url=HELP)
    entry_link["redirects"] = [{"url": FORM, "status": 301, "location": HELP}]
    data = label_report("missing", changed=True, diff="-a\n+b\n")
    data["findings"].append(entry_finding)
    data["links"].append(entry_link)
    data["skipped_files"] = ["catalogue/x-grok.yaml"]
    jsonschema.validate(data, schema)
