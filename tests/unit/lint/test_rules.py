"""Every content rule: an example that fails it and the fix that passes it."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from optout_watch.catalogue.coverage import coverage_line
from optout_watch.lint.rules import RULES, RULES_BY_CODE, RuleSettings
from optout_watch.lint.runner import Selection, validate_files
from tests.support.catalogue import NBSP, SCHEMA_COMMENT, WriteFile, platform_yaml, valid_platform

TODAY = dt.date(2026, 11, 28)
Mutation = Callable[[dict[str, Any]], None]


def _step(data: dict[str, Any], lang: str) -> dict[str, Any]:
    step: dict[str, Any] = data["procedures"][0]["steps"][lang][0]
    return step


def _set_url(url: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["links"][0]["url"] = url

    return mutate


def _rename_file(data: dict[str, Any]) -> None:
    data["id"] = "another-name"


def _duplicate_link(data: dict[str, Any]) -> None:
    data["links"].append(copy.deepcopy(data["links"][0]))


def _unknown_link(data: dict[str, Any]) -> None:
    _step(data, "en")["links"] = ["help", "nowhere"]


def _unused_link(data: dict[str, Any]) -> None:
    data["links"].append(
        {"id": "spare", "url": "https://help.example.com/2", "kind": "help", "lang": "en"}
    )


def _extra_english_step(data: dict[str, Any]) -> None:
    data["procedures"][0]["steps"]["en"].append({"text": "Save."})


def _label_not_in_text(data: dict[str, Any]) -> None:
    _step(data, "en")["text"] = "Open the privacy tab."


def _plain_spaces_in_guillemets(data: dict[str, Any]) -> None:
    _step(data, "fr")["text"] = "Ouvrez l’onglet « Confidentialité »."


def _label_without_guillemets(data: dict[str, Any]) -> None:
    _step(data, "fr")["text"] = "Ouvrez l’onglet Confidentialité."


def _alias_without_source(data: dict[str, Any]) -> None:
    data["aliases"] = [{"name": "Example", "source": "https://elsewhere.example.com/names"}]


def _bad_ignore(data: dict[str, Any]) -> None:
    data["links"][0]["watch"]["ignore"] = ["Updated: ("]


def _bad_selector(data: dict[str, Any]) -> None:
    data["links"][0]["watch"]["select"] = "article[["


def _watch_without_select(data: dict[str, Any]) -> None:
    del data["links"][0]["watch"]["select"]


def _stale(data: dict[str, Any]) -> None:
    data["last_reviewed"] = "2025-01-01"


def _future(data: dict[str, Any]) -> None:
    data["sources"][0]["date"] = "2027-01-01"


# code -> a mutation of the valid example that breaks that rule (and only that one)
FAILING: dict[str, Mutation] = {
    "OW202": _rename_file,
    "OW301": _set_url("http://help.example.com/articles/1-privacy"),
    "OW302": _set_url("https://user:secret@help.example.com/articles/1"),
    "OW303": _set_url("https://help.example.com/a?visit_id=1&utm_source=x"),
    "OW304": _set_url("https://192.168.1.10/help"),
    "OW305": _set_url("https://help.example.com/a#:~:text=Privacy"),
    "OW401": _duplicate_link,
    "OW402": _unknown_link,
    "OW403": _unused_link,
    "OW404": _alias_without_source,
    "OW501": _extra_english_step,
    "OW502": _label_not_in_text,
    "OW503": _plain_spaces_in_guillemets,
    "OW504": _bad_ignore,
    "OW505": _bad_selector,
    "OW507": _watch_without_select,
    "OW601": _stale,
    "OW602": _future,
}


def _codes(paths: list[Path], selection: Selection | None = None) -> list[str]:
    result = validate_files(
        paths, selection=selection or Selection(), settings=RuleSettings(today=TODAY)
    )
    return [d.code for d in result.diagnostics]


def test_every_rule_with_a_check_has_a_failing_example_here() -> None:
    checked = {rule.code for rule in RULES if rule.check is not None} - {"OW108"}
    assert checked == set(FAILING)


def test_the_valid_example_passes_every_rule(write_catalogue_file: WriteFile) -> None:
    assert _codes([write_catalogue_file(valid_platform())]) == []


@pytest.mark.parametrize("code", sorted(FAILING))
def test_rule_fails_on_its_example(code: str, write_catalogue_file: WriteFile) -> None:
    data = valid_platform()
    FAILING[code](data)
    path = write_catalogue_file(data, name="example-chat.yaml")
    codes = _codes([path])
    assert code in codes
    assert set(codes) <= {code, "OW403"}  # an unknown link may leave the real one unused


@pytest.mark.parametrize("code", sorted(FAILING))
def test_rule_can_be_ignored_for_one_file(code: str, write_catalogue_file: WriteFile) -> None:
    data = valid_platform()
    FAILING[code](data)
    path = write_catalogue_file(data, name="example-chat.yaml")
    selection = Selection(per_file_ignores={"example-chat.yaml": (code,)})
    assert code not in _codes([path], selection)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://localhost/a", "not a public DNS name"),
        ("https://intranet/a", "not a public DNS name"),
        ("https://help.corp/a", "reserved .corp"),
        ("https://[::1]/a", "IP address"),
        ("https://169.254.169.254/latest", "IP address"),
        ("https://printer.local/a", "reserved .local"),
    ],
)
def test_non_public_hosts_are_refused(
    url: str, fragment: str, write_catalogue_file: WriteFile
) -> None:
    data = valid_platform()
    data["links"][0]["url"] = url
    result = validate_files(
        [write_catalogue_file(data)], selection=Selection(), settings=RuleSettings(today=TODAY)
    )
    assert [d.code for d in result.diagnostics] == ["OW304"]
    assert fragment in result.diagnostics[0].message


def test_host_specific_tracking_parameters(write_catalogue_file: WriteFile) -> None:
    data = valid_platform()
    data["sources"][0]["url"] = "https://support.google.com/gemini/answer/13594961?p=x&rd=1"
    data["links"][0]["url"] = "https://help.example.com/a?p=2&hl=fr"  # `p` is content elsewhere
    result = validate_files(
        [write_catalogue_file(data)], selection=Selection(), settings=RuleSettings(today=TODAY)
    )
    assert [(d.code, d.line) for d in result.diagnostics] == [("OW303", 9)]
    assert "(p, rd)" in result.diagnostics[0].message


def test_missing_french_guillemets_around_a_label(write_catalogue_file: WriteFile) -> None:
    data = valid_platform()
    _label_without_guillemets(data)
    result = validate_files(
        [write_catalogue_file(data)], selection=Selection(), settings=RuleSettings(today=TODAY)
    )
    assert [d.code for d in result.diagnostics] == ["OW503"]
    assert f"«{NBSP}Confidentialité{NBSP}»" in result.diagnostics[0].message


def test_narrow_no_break_space_is_accepted_in_guillemets(write_catalogue_file: WriteFile) -> None:
    data = valid_platform()
    _step(data, "fr")["text"] = "Ouvrez l’onglet «\u202fConfidentialité\u202f»."
    assert _codes([write_catalogue_file(data)]) == []


def test_schema_comment_rule(write_catalogue_file: WriteFile) -> None:
    text = platform_yaml(valid_platform()).removeprefix(SCHEMA_COMMENT + "\n")
    assert _codes([write_catalogue_file(text, name="example-chat.yaml")]) == ["OW108"]


def test_stale_review_is_a_warning_with_a_configurable_age(write_catalogue_file: WriteFile) -> None:
    data = valid_platform()
    data["last_reviewed"] = "2026-09-01"  # 88 days before TODAY
    path = write_catalogue_file(data)
    strict = validate_files(
        [path],
        selection=Selection(),
        settings=RuleSettings(today=TODAY, max_review_age_days=60),
    )
    assert [(d.code, d.severity) for d in strict.diagnostics] == [("OW601", "warning")]
    assert strict.errors == 0
    assert _codes([path]) == []  # within the default 180 days


def test_duplicate_platform_ids_across_files(write_catalogue_file: WriteFile) -> None:
    first = write_catalogue_file(valid_platform())
    second = write_catalogue_file(valid_platform(), name="copy.yaml")
    assert sorted(_codes([first, second])) == ["OW202", "OW401"]


def test_a_watched_page_without_select_is_a_warning_at_its_watch_key(
    write_catalogue_file: WriteFile,
) -> None:
    data = valid_platform()
    _watch_without_select(data)
    result = validate_files(
        [write_catalogue_file(data)], selection=Selection(), settings=RuleSettings(today=TODAY)
    )
    (diagnostic,) = result.diagnostics
    assert (diagnostic.code, diagnostic.severity) == ("OW507", "warning")
    assert result.errors == 0
    assert diagnostic.line == platform_yaml(data).splitlines().index("  watch:") + 1
    assert "'help'" in diagnostic.message
    assert "add `select:` with the CSS selector of the article body" in diagnostic.message


def test_a_scoped_watch_or_an_unwatched_link_needs_no_select(
    write_catalogue_file: WriteFile,
) -> None:
    data = valid_platform()  # its watched page has `select: article`
    data["links"].append(
        {"id": "form", "url": "https://help.example.com/form", "kind": "form", "lang": "en"}
    )
    _step(data, "en")["links"] = ["help", "form"]
    assert _codes([write_catalogue_file(data)]) == []


def _second_platform(**watch: object) -> dict[str, Any]:
    """Another platform whose link watches the valid example's URL."""
    data = valid_platform()
    data["id"] = "other-chat"
    data["links"][0]["watch"] = {"select": "article", "expect": ["Privacy"], **watch}
    return data


def test_links_watching_one_url_must_agree_on_its_extraction(
    write_catalogue_file: WriteFile,
) -> None:
    first = write_catalogue_file(valid_platform())
    second = write_catalogue_file(_second_platform(select="main"))
    result = validate_files(
        [first, second], selection=Selection(), settings=RuleSettings(today=TODAY)
    )
    (diagnostic,) = result.diagnostics
    assert (diagnostic.code, Path(diagnostic.path).name) == ("OW506", "other-chat.yaml")
    assert diagnostic.line == platform_yaml(_second_platform()).splitlines().index("  watch:") + 1
    assert "also watched at" in diagnostic.message
    assert "example-chat.yaml:" in diagnostic.message


def test_links_watching_one_url_may_expect_different_labels(
    write_catalogue_file: WriteFile,
) -> None:
    first = write_catalogue_file(valid_platform())
    second = write_catalogue_file(_second_platform(expect=["Privacy", "Data Controls"]))
    assert _codes([first, second]) == []


def test_select_and_ignore_prefixes(write_catalogue_file: WriteFile) -> None:
    data = valid_platform()
    _stale(data)
    _set_url("http://help.example.com/a")(data)
    path = write_catalogue_file(data)
    assert sorted(_codes([path])) == ["OW301", "OW601"]
    assert _codes([path], Selection(select=("OW3",))) == ["OW301"]
    assert _codes([path], Selection(ignore=("OW6",))) == ["OW301"]


def test_load_errors_cannot_be_ignored(write_catalogue_file: WriteFile) -> None:
    path = write_catalogue_file("a: 1\na: 2\n", name="broken.yaml")
    assert _codes([path], Selection(ignore=("OW1",))) == ["OW104"]
    assert not RULES_BY_CODE["OW104"].can_ignore


def test_every_rule_has_a_unique_code_a_name_and_a_reason() -> None:
    assert len({rule.code for rule in RULES}) == len(RULES)
    assert len({rule.name for rule in RULES}) == len(RULES)
    assert all(rule.rationale.endswith(".") for rule in RULES)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://127.1/a", "IP address (browsers read it as 127.0.0.1)"),
        ("https://0x7f.0.0.1/a", "IP address (browsers read it as 127.0.0.1)"),
        ("https://169.254.43518/latest", "IP address (browsers read it as 169.254.169.254)"),
        ("https://127.0.0.1./a", "IP address (browsers read it as 127.0.0.1)"),
        ("https://169.254.169.254./latest", "browsers read it as 169.254.169.254"),
        ("https://2130706433/a", "browsers read it as 127.0.0.1"),
        ("https://0177.0.0.01/a", "browsers read it as 127.0.0.1"),
        ("https://127.0.0.%31/a", "browsers read it as 127.0.0.1"),
        ("https://\uff11\uff12\uff17.0.0.1/a", "browsers read it as 127.0.0.1"),  # full-width
        ("https://8.8.8.8/a", "IP address"),  # public, but still no name
        ("https://[::ffff:127.0.0.1]/a", "IP address"),
        ("https://help.example.com.0x/a", "not one that browsers accept"),
        ("https://1.2.3.256/a", "not one that browsers accept"),
        ("https://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54./a", "no domain"),
        ("https://printer.LOCAL./a", "reserved .local"),
    ],
)
def test_hosts_that_browsers_read_as_addresses_are_refused(
    url: str, fragment: str, write_catalogue_file: WriteFile
) -> None:
    data = valid_platform()
    data["links"][0]["url"] = url
    result = validate_files(
        [write_catalogue_file(data)], selection=Selection(), settings=RuleSettings(today=TODAY)
    )
    assert [d.code for d in result.diagnostics] == ["OW304"]
    assert fragment in result.diagnostics[0].message


@pytest.mark.parametrize(
    "host",
    [
        "0x.example.com",  # a name whose first label looks like a number
        "0x7f.example.com",
        "127.0.0.1.nip.io",
        "1.2.3.4.example.org",
        "123.com",
        "www.0x1.net",
    ],
)
def test_names_that_only_start_like_numbers_are_public_hosts(
    host: str, write_catalogue_file: WriteFile
) -> None:
    data = valid_platform()
    data["links"][0]["url"] = f"https://{host}/help/privacy"
    assert _codes([write_catalogue_file(data)]) == []


# --- OW508: every step label is watched, or the catalogue says why it cannot be ----------------


def _undecided_label(data: dict[str, Any]) -> None:
    del data["unwatched_labels"]


FAILING["OW508"] = _undecided_label


def _french_page_expecting(data: dict[str, Any], labels: list[str]) -> None:
    data["links"].append(
        {
            "id": "help-fr",
            "url": "https://help.example.com/fr/articles/1-privacy",
            "kind": "help",
            "lang": "fr",
            "watch": {"select": "article", "expect": labels},
        }
    )
    _step(data, "fr")["links"] = ["help", "help-fr"]


def _diagnostics(path: Path) -> list[tuple[str, str]]:
    result = validate_files([path], selection=Selection(), settings=RuleSettings(today=TODAY))
    return [(d.code, d.message) for d in result.diagnostics]


def test_a_label_no_page_watches_and_no_reason_covers_is_undecided(
    write_catalogue_file: WriteFile,
) -> None:
    data = valid_platform()
    _undecided_label(data)
    found = _diagnostics(write_catalogue_file(data, name="example-chat.yaml"))
    assert [code for code, _ in found] == ["OW508"]
    assert "'Confidentialité' is expected by no watched page in 'fr'" in found[0][1]
    assert RULES_BY_CODE["OW508"].severity.value == "warning"


def test_a_label_expected_by_a_page_of_its_language_is_decided(
    write_catalogue_file: WriteFile,
) -> None:
    data = valid_platform()
    _undecided_label(data)
    _french_page_expecting(data, ["confidentialité"])  # compared blind to case
    assert _diagnostics(write_catalogue_file(data, name="example-chat.yaml")) == []


def test_a_page_in_another_language_does_not_decide_a_label(
    write_catalogue_file: WriteFile,
) -> None:
    data = valid_platform()
    _undecided_label(data)
    data["links"][0]["watch"]["expect"] = ["Privacy", "Confidentialité"]
    assert [c for c, _ in _diagnostics(write_catalogue_file(data))] == ["OW508"]


def test_a_generic_word_is_decided_like_any_other(write_catalogue_file: WriteFile) -> None:
    data = valid_platform()
    _step(data, "en")["text"] = "Open “Settings”, then the “Privacy” tab."
    _step(data, "en")["ui"] = ["Settings", "Privacy"]
    found = _diagnostics(write_catalogue_file(data))
    assert [(c, "'Settings'" in m) for c, m in found] == [("OW508", True)]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"label": "Paramètres", "lang": "fr"}, "no 'fr' step names 'Paramètres'"),
        ({"label": "Privacy", "lang": "en"}, "'Privacy' is watched by help"),
    ],
)
def test_a_stale_unwatched_entry_is_reported(
    entry: dict[str, str], problem: str, write_catalogue_file: WriteFile
) -> None:
    data = valid_platform()
    data["unwatched_labels"].append({**entry, "reason": "not shown on any page"})
    found = _diagnostics(write_catalogue_file(data))
    assert [code for code, _ in found] == ["OW508"]
    assert found[0][1].startswith(problem)


def test_undecided_labels_can_be_ignored_for_one_file(write_catalogue_file: WriteFile) -> None:
    data = valid_platform()
    _undecided_label(data)
    path = write_catalogue_file(data, name="example-chat.yaml")
    selection = Selection(per_file_ignores={"example-chat.yaml": ("OW508",)})
    assert _codes([path], selection) == []


def test_the_coverage_line_counts_undecided_labels(write_catalogue_file: WriteFile) -> None:
    data = valid_platform()
    _undecided_label(data)
    result = validate_files(
        [write_catalogue_file(data)], selection=Selection(), settings=RuleSettings(today=TODAY)
    )
    assert coverage_line(result.label_decisions()) == (
        "labels watched: fr 0/1, en 1/1; 0 not watchable, each with its reason; 1 undecided (OW508)"
    )
