"""`optout-watch render`: the guide people read, as HTML and as Markdown, from the committed
catalogue and from crafted ones. What a browser does with the site is `test_render_browser.py`."""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from optout_watch.cli import main
from optout_watch.guide.html import render_site
from optout_watch.guide.manifest import MANIFEST, read_manifest
from optout_watch.guide.markdown import render_markdown
from optout_watch.guide.view import split_labels
from optout_watch.guide.words import (
    CNIL_FURTHER_READING,
    CNIL_GUIDE_URL,
    CNIL_RESERVATION,
    CNIL_RESERVATION_EN,
)
from tests.support import alerts_reports as reports
from tests.support.catalogue import NBSP, WriteFile, valid_platform
from tests.support.guide import CATALOGUE, FAQ, committed_platforms, faq_page_with_a_missing_label
from tests.support.paths import ROOT

HOSTILE = "<script>alert('x')</script> & \"quoted\" <b>bold</b> ' &amp;"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class _Page(HTMLParser):
    """The parts of a page the tests look at: elements, links, text, `lang` attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed catalogue's guide, rendered once for the tests that only read it."""
    folder = tmp_path_factory.mktemp("guide") / "s"
    with (
        contextlib.redirect_stderr(io.StringIO()) as err,
        contextlib.redirect_stdout(io.StringIO()),
    ):
        code = main(["render", "--catalogue", str(CATALOGUE), "-o", str(folder)])
    assert code == 0, err.getvalue()
    assert "wrote" in err.getvalue()
    return folder


# --- the committed catalogue --------------------------------------------------------------


def test_every_platform_and_procedure_appears_in_both_languages(site: Path) -> None:
    platforms = committed_platforms()
    assert len(platforms) >= 10
    for lang in ("fr", "en"):
        index = parse(site / lang / "index.html")
        hrefs = {a["href"] for a in index.all("a")}
        for platform in platforms:
            assert f"{platform.id}.html" in hrefs
            assert platform.service in index.plain
            page = parse(site / lang / f"{platform.id}.html")
            assert page.all("html")[0]["lang"] == lang
            ids = {attrs.get("id") for _, attrs in page.tags}
            for procedure in platform.procedures:
                assert procedure.id in ids
                assert _flat(getattr(procedure.title, lang)) in page.plain
                assert _flat(getattr(procedure.stops, lang)) in page.plain
                for step in getattr(procedure.steps, lang):
                    for piece in re.split("|".join(map(re.escape, step.ui)) or "$^", step.text):
                        assert _flat(piece) in page.plain
                    for label in step.ui:
                        assert f'<span class="ui-label">{html.escape(label)}</span>' in (
                            site / lang / f"{platform.id}.html"
                        ).read_text(encoding="utf-8")
                for caveat in procedure.caveats:
                    text = getattr(caveat, lang)
                    other = caveat.en if lang == "fr" else caveat.fr
                    if text is not None:
                        assert _flat(text) in page.plain
                    else:  # a note about the other language's interface stays there
                        assert other is not None
                        assert _flat(other) not in page.plain
            for source in platform.sources:
                assert _flat(source.title) in page.plain


def test_the_language_switch_leads_to_the_same_page_in_the_other_language(site: Path) -> None:
    for page_path in sorted(site.glob("*/*.html")):
        lang = page_path.parent.name
        other = "en" if lang == "fr" else "fr"
        page = parse(page_path)
        switch = [
            a
            for a in page.all("a")
            if a.get("hreflang") == other and (a["href"] or "").startswith("../")
        ]
        assert [a["href"] for a in switch] == [f"../{other}/{page_path.name}"]
        assert (site / other / page_path.name).is_file()


def test_links_are_the_catalogues_and_nothing_is_loaded_from_elsewhere(site: Path) -> None:
    platforms = {p.id: p for p in committed_platforms()}
    further = {url for url, _ in CNIL_FURTHER_READING}
    for page_path in sorted(site.glob("*/*.html")):
        page = parse(page_path)
        lang = page_path.parent.name
        outside = {a["href"] for a in page.all("a") if (a["href"] or "").startswith("http")}
        if page_path.stem in platforms:
            platform = platforms[page_path.stem]
            ids = {
                i
                for p in platform.procedures
                for step in getattr(p.steps, lang)
                for i in step.links
            }
            for procedure in platform.procedures:
                if procedure.action is not None:
                    link = procedure.action.link
                    ids.add(link if isinstance(link, str) else getattr(link, lang))
            used = {link.url for link in platform.links if link.id in ids}
            assert used <= outside
            assert outside <= used | {source.url for source in platform.sources} | further
            assert further <= outside
        elif page_path.parent != site:
            assert outside == further
        else:
            assert outside == set()
        # Everything a page loads is beside it.
        loaded = [a.get("href") for a in page.all("link") if a.get("rel") == "stylesheet"]
        loaded += [s.get("src") for s in page.all("script")]
        loaded += [i.get("src") for i in page.all("img")]
        assert loaded
        for address in loaded:
            assert address is not None
            assert not re.match(r"^([a-z]+:)?//", address)
            assert (page_path.parent / address).resolve().is_file()
        text = page_path.read_text(encoding="utf-8")
        assert "@import" not in text
        assert "style=" not in text  # the CSP allows no inline style
    css = (site / "static" / "guide.css").read_text(encoding="utf-8")
    assert "url(" not in css
    assert "@import" not in css
    assert "@media print" in css
    assert "http" not in (site / "static" / "guide.js").read_text(encoding="utf-8")


def test_every_page_is_a_page_for_people(site: Path) -> None:
    for page_path in sorted(site.rglob("*.html")):
        page = parse(page_path)
        assert page.all("html")[0].get("lang") in {"fr", "en"}
        metas = page.all("meta")
        assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in metas
        assert any(m.get("http-equiv") == "Content-Security-Policy" for m in metas)
        assert len(page.all("h1")) >= 1
        assert page.all("main")
        assert page.all("title")


def test_the_index_carries_what_the_filters_need(site: Path) -> None:
    page = parse(site / "en" / "index.html")
    items = {a["data-search"]: a for a in page.all("li") if "data-search" in a}
    assert len(items) == len(committed_platforms())
    chatgpt = next(a for key, a in items.items() if "chatgpt" in (key or ""))
    assert chatgpt["data-channels"] == "settings"
    assert chatgpt["data-surfaces"] == "web android ios"
    assert chatgpt["data-no-account"] == "false"
    assert any(a["data-no-account"] == "true" for a in items.values())  # Meta's rights centre
    assert {"id": "search", "name": "q", "type": "search"}.items() <= next(
        a for a in page.all("input") if a.get("id") == "search"
    ).items()


def test_no_freshness_without_a_report(site: Path) -> None:
    text = (site / "en" / "openai-chatgpt.html").read_text(encoding="utf-8")
    assert "Freshness" not in text
    # Beside each label, whether it is watched is a fact of the catalogue, not of a check.
    # The footer says which labels are checked, not when.
    beside_labels = re.compile(
        r'<span class="label-check[^"]*">[^<]*</span>|<footer.*</footer>', re.S
    )
    assert "checked" not in beside_labels.sub("", text).lower().replace("unchecked", "")
    assert "seen on" not in text


# --- escaping -------------------------------------------------------------------------------


def _hostile_platform() -> dict[str, Any]:
    data = valid_platform()
    data["service"] = f"Chat {HOSTILE}"
    data["provider"] = f"Example {HOSTILE}"
    procedure = data["procedures"][0]
    procedure["title"] = {"fr": f"Titre {HOSTILE}", "en": f"Title {HOSTILE}"}
    procedure["stops"] = {"fr": f"Arrête {HOSTILE}", "en": f"Stops {HOSTILE}"}
    procedure["caveats"] = [{"fr": f"Attention {HOSTILE}", "en": f"Careful {HOSTILE}"}]
    for lang, label in (("fr", f"«{NBSP}<i>Menu</i> & co{NBSP}»"), ("en", "“<i>Menu</i> & co”")):
        step = procedure["steps"][lang][0]
        step["text"] = f"Click {label} then {HOSTILE} *stars* [x](javascript:1)"
        step["ui"] = ["<i>Menu</i> & co"]
    data["links"][0]["title"] = f'Help "page" <img src=x onerror=alert(1)> {HOSTILE}'
    data["links"][0]["url"] = 'https://help.example.com/a?b=1&c="2"\'<x>'
    data["sources"][0]["title"] = f"Source {HOSTILE}"
    return data


def test_catalogue_text_is_never_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run_folder: Path,
    write_catalogue_file: WriteFile,
) -> None:  # fmt: skip
    write_catalogue_file(_hostile_platform())
    code, _, err = run(capsys, "render", "-o", str(tmp_path / "s"))
    assert code == 0, err
    for lang in ("fr", "en"):
        for name in ("index.html", "example-chat.html"):
            text = (tmp_path / "s" / lang / name).read_text(encoding="utf-8")
            assert "<script>alert" not in text
            assert "<b>bold</b>" not in text
            assert "<i>Menu</i>" not in text
            assert "<img" not in text
            assert "&lt;script&gt;alert(" in text
            assert "&amp;amp;" in text  # a literal `&amp;` stays literal text
            page = parse(tmp_path / "s" / lang / name)
            assert [s.get("src") for s in page.all("script")] == (
                ["../static/guide.js"] if name == "index.html" else []
            )
            assert not page.all("b")
            assert not page.all("i")
            assert all(not key.startswith("on") for _, attrs in page.tags for key in attrs)
            assert HOSTILE in page.plain
        page = parse(tmp_path / "s" / lang / "example-chat.html")
        hrefs = [a["href"] for a in page.all("a")]
        assert 'https://help.example.com/a?b=1&c="2"\'<x>' in hrefs  # attribute-escaped
        assert "javascript:1" not in hrefs
        labels = re.findall(
            r'<span class="ui-label">(.*?)</span>',
            (tmp_path / "s" / lang / "example-chat.html").read_text(encoding="utf-8"),
        )
        assert labels == ["&lt;i&gt;Menu&lt;/i&gt; &amp; co"]


def test_catalogue_text_is_quoted_for_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run_folder: Path,
    write_catalogue_file: WriteFile,
) -> None:  # fmt: skip
    write_catalogue_file(_hostile_platform())
    code, _, err = run(capsys, "render", "--format", "markdown", "-o", str(tmp_path / "md"))
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "md").iterdir()) == [
        MANIFEST,
        "guide.en.md",
        "guide.fr.md",
    ]
    for lang in ("fr", "en"):
        text = (tmp_path / "md" / f"guide.{lang}.md").read_text(encoding="utf-8")
        assert "<script>" not in text
        assert "<i>" not in text
        rendered = MarkdownIt("commonmark", {"html": True}).render(text)
        assert "<script>" not in rendered
        assert "<i>" not in rendered
        assert "<b>" not in rendered
        assert 'href="javascript' not in rendered
        assert "&lt;script&gt;alert('x')&lt;/script&gt;" in rendered
        # The label is set apart (bold), its text intact.
        assert "<strong>&lt;i&gt;Menu&lt;/i&gt; &amp; co</strong>" in rendered
        assert "*stars*" in rendered.replace("\\", "")


# --- Markdown from the committed catalogue --------------------------------------------------


def test_markdown_guides_hold_every_platform_procedure_and_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run_folder: Path
) -> None:
    out = tmp_path / "md"
    code, _, err = run(
        capsys, "render", "--catalogue", str(CATALOGUE), "--format", "markdown", "-o", str(out)
    )
    assert code == 0, err
    md = MarkdownIt("commonmark", {"html": True})
    for lang in ("fr", "en"):
        rendered = md.render((out / f"guide.{lang}.md").read_text(encoding="utf-8"))
        # Without the note beside each label (<sub>), the step's text reads whole.
        plain = _flat(
            html.unescape(re.sub(r"<[^>]+>", "", re.sub(r" <sub>.*?</sub>", "", rendered)))
        )
        hrefs = set(re.findall(r'href="([^"]+)"', rendered))
        for platform in committed_platforms():
            assert f'<a id="{platform.id}"></a>' in rendered
            assert f"#{platform.id}" in hrefs
            for procedure in platform.procedures:
                assert _flat(getattr(procedure.title, lang)) in plain
                for step in getattr(procedure.steps, lang):
                    assert _flat(step.text) in plain
                    for label in step.ui:
                        assert f"<strong>{html.escape(label, quote=False)}</strong>" in rendered
            for link in platform.links:
                assert html.escape(link.url) in hrefs or any(
                    link.id not in s.links
                    for p in platform.procedures
                    for s in (*p.steps.fr, *p.steps.en)
                )
            for source in platform.sources:
                assert html.escape(source.url) in hrefs


def test_one_language_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run_folder: Path
) -> None:
    code, _, _ = run(capsys, "render", "--catalogue", str(CATALOGUE), "--lang", "en", "-o", "s")
    assert code == 0
    assert not (run_folder / "s" / "fr").exists()
    index = parse(run_folder / "s" / "en" / "index.html")
    switch = [a for a in index.all("a") if not (a["href"] or "").startswith("http")]
    assert not [a for a in switch if a.get("hreflang") == "fr"]
    root = parse(run_folder / "s" / "index.html")
    assert [a["href"] for a in root.all("a")] == ["en/index.html"]
    code, _, _ = run(
        capsys, "render", "--catalogue", str(CATALOGUE), "--lang", "fr", "--format", "markdown",
        "-o", "m",
    )  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in (run_folder / "m").iterdir()) == [MANIFEST, "guide.fr.md"]


def test_an_invalid_catalogue_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run_folder: Path,
    write_catalogue_file: WriteFile,
) -> None:  # fmt: skip
    data = valid_platform()
    del data["provider"]
    write_catalogue_file(data)
    code, _, err = run(capsys, "render", "-o", "s")
    assert code == 1
    assert "OW201 missing 'provider'" in err
    assert "render refused" in err
    assert not (run_folder / "s").exists()


def test_an_unreadable_report_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], run_folder: Path
) -> None:
    (run_folder / "report.json").write_text("{}", encoding="utf-8")
    code, _, err = run(
        capsys, "render", "--catalogue", str(CATALOGUE), "--report", "report.json", "-o", "s"
    )
    assert code == 2
    assert "report.json" in err


# --- freshness from a report ----------------------------------------------------------------

FAQ_FR = "https://help.openai.com/fr-fr/articles/7730893-data-controls-faq"


def _freshness(page_path: Path) -> list[str]:
    """Each procedure's freshness line."""
    text = page_path.read_text(encoding="utf-8")
    lines = re.findall(r'<p class="freshness[^"]*">(.*?)</p>', text)
    return [_flat(html.unescape(line)) for line in lines]


def test_a_report_gives_each_procedure_its_freshness(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run_folder: Path
) -> None:
    platforms = {p.id: p for p in committed_platforms()}
    meta_url = next(link.url for link in platforms["meta-ai"].links if link.id == "privacy-help")
    data = reports.report(
        links=[
            reports.link(FAQ, uses=[reports.use("openai-chatgpt", "data-controls-faq")]),
            reports.link(FAQ_FR, uses=[reports.use("openai-chatgpt", "data-controls-faq-fr")]),
            reports.link(meta_url, "blocked", status=403, uses=[reports.use()]),
        ],
        pages=[faq_page_with_a_missing_label()],
        findings=[
            reports.finding(
                "label-missing",
                platform="openai-chatgpt",
                url=FAQ,
                label="Improve the model for everyone",
                streak=3,
            )
        ],
    )
    reports.write_report(run_folder / "report.json", data)
    code, _, err = run(
        capsys, "render", "--catalogue", str(CATALOGUE), "--report", "report.json", "-o", "s"
    )
    assert code == 0, err
    chatgpt_en = _freshness(run_folder / "s" / "en" / "openai-chatgpt.html")
    assert chatgpt_en == [
        "Checked automatically on 1 December 2026: not found on the help page: “Improve the "
        "model for everyone” (marked on its step); not seen on the help page yet: “Settings”."
    ]
    page = (run_folder / "s" / "en" / "openai-chatgpt.html").read_text(encoding="utf-8")
    assert page.count('<span class="label-check gone">') == 2  # on each step that shows it
    assert "it may now read “Improve the model for everyone (beta)”" in html.unescape(page)
    assert '<span class="label-check seen">' in page  # "Data Controls", seen
    # French steps: the link was checked; their labels were not seen yet, so no ✓.
    chatgpt_fr = _freshness(run_folder / "s" / "fr" / "openai-chatgpt.html")
    assert chatgpt_fr == [
        "Vérifié automatiquement le 1er décembre 2026 : pas encore vu sur la page d’aide : "
        "« Gestion des données », « Améliorer le modèle pour tous »."
    ]
    meta_en = _freshness(run_folder / "s" / "en" / "meta-ai.html")
    blocked = (
        "Checked automatically on 1 December 2026: the site of “Meta’s privacy rights centre” "
        "turned our robot away, so the link was not checked (it may work for you)."
    )
    assert meta_en == [blocked] * len(platforms["meta-ai"].procedures)
    meta_page = (run_folder / "s" / "en" / "meta-ai.html").read_text(encoding="utf-8")
    assert '<p class="freshness freshness-info">Checked automatically' in meta_page
    assert "freshness-ok" not in meta_page
    # Platforms the report does not cover say so, calmly, and claim nothing.
    claude = _freshness(run_folder / "s" / "en" / "anthropic-claude.html")
    assert claude
    assert all("was not checked" in n and "up to date" not in n for n in claude)
    index = (run_folder / "s" / "en" / "index.html").read_text(encoding="utf-8")
    assert "Links checked automatically on 1 December 2026." in index


def test_a_new_missing_label_and_a_broken_link(
    capsys: pytest.CaptureFixture[str], run_folder: Path
) -> None:
    entry, finding = reports.failing_link(FAQ, platform="openai-chatgpt", status=404)
    data = reports.report(
        links=[entry, reports.link(FAQ_FR, uses=[reports.use("openai-chatgpt")])],
        pages=[
            reports.page(
                FAQ, ("openai-chatgpt",), labels=[reports.label("Data Controls", "missing")]
            )
        ],
        findings=[
            finding,
            reports.finding(
                "label-missing", platform="openai-chatgpt", url=FAQ, label="Data Controls",
                streak=1,
            ),
        ],
        started_at="2026-11-27T02:00:00+00:00",
    )  # fmt: skip
    reports.write_report(run_folder / "r.json", data)
    code, _, _ = run(
        capsys, "render", "--catalogue", str(CATALOGUE), "--report", "r.json", "-o", "s"
    )
    assert code == 0
    notes = _freshness(run_folder / "s" / "en" / "openai-chatgpt.html")
    assert notes == [
        "Checked automatically on 27 November 2026: the link “Data Controls FAQ” did not work "
        "(HTTP 404); not found on the help page: “Data Controls” (marked on its step); not "
        "seen on the help page yet: “Settings”, “Improve the model for everyone”."
    ]
    text = (run_folder / "s" / "en" / "openai-chatgpt.html").read_text(encoding="utf-8")
    assert '<p class="freshness freshness-warning">' in text
    assert (
        '<span class="ui-label">Data Controls</span> <span class="label-check gone">not found '
        "on the help page when checked on 27 November 2026</span>" in text
    )
    code, _, _ = run(
        capsys, "render", "--catalogue", str(CATALOGUE), "--report", "r.json",
        "--format", "markdown", "-o", "m",
    )  # fmt: skip
    markdown = (run_folder / "m" / "guide.en.md").read_text(encoding="utf-8")
    assert "not found on the help page when checked on 27 November 2026" in markdown
    assert "Links checked automatically on 27 November 2026." in markdown


# --- pieces ---------------------------------------------------------------------------------


def test_labels_are_cut_out_of_the_text_longest_first() -> None:
    segments = split_labels("Open “Data Controls”, then “Data”.", ["Data", "Data Controls"])
    assert [(s.text, s.label) for s in segments] == [
        ("Open “", False),
        ("Data Controls", True),
        ("”, then “", False),
        ("Data", True),
        ("”.", False),
    ]
    assert split_labels("No label here.", ["Settings"])[0].text == "No label here."


def test_a_recorded_rename_shows_the_former_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run_folder: Path,
    write_catalogue_file: WriteFile,
) -> None:  # fmt: skip
    """`fix` records label renames in the link's `watch.renamed`; the guide says "formerly"."""
    data = valid_platform()
    data["links"][0]["watch"]["renamed"] = [
        {
            "date": "2026-10-02",
            "old": "Confidentiality",
            "new": "Data & privacy",
            "evidence": {"url": data["links"][0]["url"], "score": 0.8, "why": "replaced"},
        },
        {
            "date": "2026-11-20",
            "old": "Data & privacy",
            "new": "Privacy",
            "evidence": {"url": data["links"][0]["url"], "score": 0.9, "why": "replaced"},
        },
    ]
    write_catalogue_file(data)
    code, _, err = run(capsys, "render", "--lang", "en", "-o", "s")
    assert code == 0, err
    text = html.unescape((run_folder / "s" / "en" / "example-chat.html").read_text("utf-8"))
    # On the step that shows the label, each former wording with the page that showed it.
    notes = re.findall(r'<p class="formerly">(.*?)</p>', text)
    assert [_flat(re.sub(r"<[^>]+>", "", note)) for note in notes] == [
        "“Privacy” was formerly “Data & privacy”; noted on 20 November 2026 on Help page.",
        "“Privacy” was formerly “Confidentiality”; noted on 2 October 2026 on Help page.",
    ]
    assert f'href="{data["links"][0]["url"]}"' in notes[0]
    code, _, _ = run(capsys, "render", "--lang", "en", "--format", "markdown", "-o", "m")
    markdown = (run_folder / "m" / "guide.en.md").read_text(encoding="utf-8")
    assert "“Privacy” was formerly “Data &amp; privacy”; noted on 20 November 2026 on" in markdown


def test_the_static_files_are_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for pattern in ("guide/templates/*.html.j2", "guide/static/*.css", "guide/static/*.js"):
        assert pattern in pyproject
    files = render_site(committed_platforms()[:1], None, ("fr",))
    assert {"static/guide.css", "static/guide.js", "index.html", "fr/index.html"} <= set(files)
    json.dumps(files)  # plain text throughout


# --- the output folder: only a guide render made, cleaned of what it no longer writes -------


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}


def _two_platforms(write_catalogue_file: WriteFile) -> Path:
    write_catalogue_file(valid_platform())
    other = valid_platform()
    other["id"] = "other-chat"
    return write_catalogue_file(other)


def test_the_files_written_are_the_renders_and_a_manifest_of_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run_folder: Path
) -> None:
    for output_format, render in (("html", render_site), ("markdown", render_markdown)):
        out = tmp_path / output_format
        code, _, err = run(
            capsys, "render", "--catalogue", str(CATALOGUE), "--format", output_format,
            "-o", str(out),
        )  # fmt: skip
        assert code == 0, err
        expected = render(committed_platforms())
        assert _files(out) == {*expected, MANIFEST}
        for relative, text in expected.items():
            assert (out / relative).read_bytes() == text.encode("utf-8"), relative
        assert read_manifest((out / MANIFEST).read_text(encoding="utf-8")) == set(expected)


def test_a_platform_taken_out_of_the_catalogue_leaves_no_file_and_others_stay(
    capsys: pytest.CaptureFixture[str], run_folder: Path, write_catalogue_file: WriteFile
) -> None:
    other = _two_platforms(write_catalogue_file)
    assert run(capsys, "render", "-o", "s")[0] == 0
    assert {"fr/other-chat.html", "en/other-chat.html"} <= _files(run_folder / "s")
    (run_folder / "s" / "notes.txt").write_text("mine\n", encoding="utf-8")
    (run_folder / "s" / "en" / "extra.html").write_text("mine too\n", encoding="utf-8")
    other.unlink()

    code, _, err = run(capsys, "render", "-o", "s")

    assert code == 0, err
    assert "removed 2 it no longer writes" in err
    files = _files(run_folder / "s")
    assert not {"fr/other-chat.html", "en/other-chat.html"} & files
    assert {"fr/example-chat.html", "en/example-chat.html", "notes.txt", "en/extra.html"} <= files
    listed = read_manifest((run_folder / "s" / MANIFEST).read_text(encoding="utf-8"))
    assert files == {*listed, MANIFEST, "notes.txt", "en/extra.html"}


def test_another_format_or_language_replaces_the_guide_and_its_folders(
    capsys: pytest.CaptureFixture[str], run_folder: Path, write_catalogue_file: WriteFile
) -> None:
    _two_platforms(write_catalogue_file)
    assert run(capsys, "render", "-o", "s")[0] == 0
    assert run(capsys, "render", "--format", "markdown", "--lang", "en", "-o", "s")[0] == 0
    assert sorted(p.name for p in (run_folder / "s").iterdir()) == [MANIFEST, "guide.en.md"]


@pytest.mark.parametrize("content", ["keep.txt", ".git"])
def test_a_folder_render_did_not_make_is_refused_untouched(
    capsys: pytest.CaptureFixture[str],
    run_folder: Path,
    write_catalogue_file: WriteFile,
    content: str,
) -> None:
    write_catalogue_file(valid_platform())
    (run_folder / "docs").mkdir()
    (run_folder / "docs" / content).write_text("mine\n", encoding="utf-8")

    code, out, err = run(capsys, "render", "-o", "docs")

    assert code == 2
    assert out == ""
    assert f"docs: the folder is not empty and holds no {MANIFEST}" in err
    assert "give -o a new or empty folder" in err
    assert _files(run_folder / "docs") == {content}


def test_an_empty_folder_is_used(
    capsys: pytest.CaptureFixture[str], run_folder: Path, write_catalogue_file: WriteFile
) -> None:
    write_catalogue_file(valid_platform())
    (run_folder / "s").mkdir()
    assert run(capsys, "render", "-o", "s")[0] == 0
    assert "en/example-chat.html" in _files(run_folder / "s")


@pytest.mark.parametrize(
    "listed",
    [["../outside.txt"], ["/tmp/outside.txt"], ["a\\..\\..\\outside.txt"], [MANIFEST], "x"],
)
def test_a_manifest_naming_files_outside_the_guide_is_refused(
    capsys: pytest.CaptureFixture[str],
    run_folder: Path,
    write_catalogue_file: WriteFile,
    listed: object,
) -> None:
    write_catalogue_file(valid_platform())
    (run_folder / "outside.txt").write_text("mine\n", encoding="utf-8")
    (run_folder / "s").mkdir()
    manifest = run_folder / "s" / MANIFEST
    manifest.write_text(json.dumps({"files": listed}), encoding="utf-8")

    code, _, err = run(capsys, "render", "-o", "s")

    assert code == 2
    assert f"{MANIFEST}: unreadable list of the files render wrote" in err
    assert "remove the folder and render again" in err
    assert (run_folder / "outside.txt").read_text(encoding="utf-8") == "mine\n"
    assert _files(run_folder / "s") == {MANIFEST}


def test_a_file_reached_through_a_linked_folder_is_never_removed(
    capsys: pytest.CaptureFixture[str], run_folder: Path, write_catalogue_file: WriteFile
) -> None:
    write_catalogue_file(valid_platform())
    (run_folder / "elsewhere").mkdir()
    (run_folder / "elsewhere" / "page.html").write_text("mine\n", encoding="utf-8")
    assert run(capsys, "render", "-o", "s")[0] == 0
    (run_folder / "s" / "linked").symlink_to(run_folder / "elsewhere", target_is_directory=True)
    manifest = run_folder / "s" / MANIFEST
    listed = read_manifest(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({"files": [*listed, "linked/page.html"]}), encoding="utf-8")

    assert run(capsys, "render", "-o", "s")[0] == 0

    assert (run_folder / "elsewhere" / "page.html").read_text(encoding="utf-8") == "mine\n"
    assert "linked/page.html" not in read_manifest(manifest.read_text(encoding="utf-8"))


def test_an_output_that_is_a_file_is_refused(
    capsys: pytest.CaptureFixture[str], run_folder: Path, write_catalogue_file: WriteFile
) -> None:
    write_catalogue_file(valid_platform())
    (run_folder / "s").write_text("mine\n", encoding="utf-8")
    code, _, err = run(capsys, "render", "-o", "s")
    assert code == 2
    assert "s: not a folder; give -o a folder for the guide" in err
    assert (run_folder / "s").read_text(encoding="utf-8") == "mine\n"


def test_every_page_gives_the_cnils_reservation_and_further_reading(site: Path) -> None:
    """The CNIL's reservation in its own words on French pages, translated on English ones."""
    for page_path in sorted(site.glob("*/*.html")):
        page = parse(page_path)
        lang = page_path.parent.name
        expected = CNIL_RESERVATION if lang == "fr" else CNIL_RESERVATION_EN
        assert expected in page.plain, page_path
        hrefs = {a["href"] for a in page.all("a")}
        assert {url for url, _ in CNIL_FURTHER_READING} <= hrefs, page_path
        assert [q["cite"] for q in page.all("blockquote")] == [CNIL_GUIDE_URL]
