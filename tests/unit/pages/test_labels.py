"""Label tracking across runs and suggestions for renamed labels."""

from __future__ import annotations

import pytest

from optout_watch.fetching.decode import decode_html
from optout_watch.pages.diff import TextChange, compare
from optout_watch.pages.evidence import Evidence
from optout_watch.pages.extract import extract_text, inline_texts
from optout_watch.pages.labels import (
    LabelResult,
    LabelSighting,
    LabelState,
    LastingEvidence,
    Suggestion,
    assess_labels,
    contains_label,
    replaced_span,
    suggest,
)
from tests.support.paths import FIXTURE_PAGES

PAGES = FIXTURE_PAGES
NBSP, NNBSP = "\u00a0", "\u202f"
EARLIER, NOW = "2025-03-01T02:00:00Z", "2025-03-02T02:00:00Z"
OLD_LABEL, NEW_LABEL = "Improve the model for everyone", "Improve the model for all users"


def page(name: str) -> str:
    return decode_html((PAGES / name).read_bytes()).text


def seen(label: str) -> LabelSighting:
    return LabelSighting(label, EARLIER, EARLIER)


def assess_one(label: str, text: str, change: TextChange | None = None) -> LabelResult:
    """The result for `label`, seen on an earlier run, on a page with `text`."""
    (result,) = assess_labels([label], text, {label: seen(label)}, now=NOW, change=change)
    return result


# --- contains_label ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Open Data Controls.", "Data Controls"),
        (f"Open Data{NBSP}Controls", "Data Controls"),
        (f"Open data{NNBSP}controls", "DATA CONTROLS"),
        ("Turn off “Improve the model for everyone”.", '"Improve the model for everyone"'),
        ("Turn off 'Improve the model for everyone'", "“Improve the model for everyone”"),
        ("Tap Don't use my data", "Don’t use my data"),
        (
            f"L’option «{NBSP}Activité dans les applications Gemini{NBSP}» est activée",
            "Activité dans les applications Gemini",
        ),
        (
            "Ouvrez Activité dans les applications Gemini",
            f"«{NBSP}Activité dans les applications Gemini{NBSP}»",
        ),
        ("Désactivez l’activité", "activité"),
        ("Account > Privacy", "Account > Privacy"),
    ],
)
def test_contains_label_ignores_case_spaces_and_quote_styles(text: str, label: str) -> None:
    assert contains_label(text, label)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Metadata Controlsx", "Data Controls"),
        ("Open Data Controlsx", "Data Controls"),
        ("Improve the model for all users", "Improve the model for everyone"),
        ("Data\nControls", "Data Controls"),  # separate blocks of the page
        ("everyone for model the Improve", "Improve the model for everyone"),
        ("Improve the model for everyone", ""),
        ("Improve the model for everyone", " « » "),
    ],
)
def test_contains_label_is_never_blind_to_words(text: str, label: str) -> None:
    assert not contains_label(text, label)


# --- assess_labels -----------------------------------------------------------------------------


def test_labels_are_present_missing_or_never_seen() -> None:
    text = "Open Settings, then Data Controls.\n"
    history = {
        "Data Controls": LabelSighting("Data Controls", "2025-01-01T02:00:00Z", EARLIER),
        OLD_LABEL: seen(OLD_LABEL),
        "Never there": LabelSighting("Never there", None, None),
    }

    results = assess_labels(
        ["Data Controls", OLD_LABEL, "Never there", "Settings", "Brand new"],
        text,
        history,
        now=NOW,
    )

    assert [(result.label, result.state) for result in results] == [
        ("Data Controls", LabelState.PRESENT),
        (OLD_LABEL, LabelState.MISSING),
        ("Never there", LabelState.NEVER_SEEN),
        ("Settings", LabelState.PRESENT),
        ("Brand new", LabelState.NEVER_SEEN),
    ]
    assert [result.sighting for result in results] == [
        LabelSighting("Data Controls", "2025-01-01T02:00:00Z", NOW),  # first sighting kept
        seen(OLD_LABEL),  # unchanged while missing
        LabelSighting("Never there", None, None),
        LabelSighting("Settings", NOW, NOW),
        LabelSighting("Brand new", None, None),
    ]
    assert [bool(result.suggestions) for result in results] == [False] * 5  # nothing similar


def test_only_missing_labels_get_suggestions() -> None:
    text = f"Turn off “{NEW_LABEL}”.\nData Controls\n"

    missing = assess_one(OLD_LABEL, text)
    never = assess_labels([OLD_LABEL], text, {}, now=NOW)[0]
    present = assess_one("Data Controls", text)

    assert missing.state is LabelState.MISSING
    assert missing.suggestions[0].text == NEW_LABEL
    assert never.state is LabelState.NEVER_SEEN
    assert never.suggestions == ()
    assert present.suggestions == ()


@pytest.mark.parametrize(
    ("label", "region"),
    [
        ("Temporary Chat", "hidden attribute"),
        ("Shared links", "display: none"),
        ("Chat history & training", "script"),
        ("Was this article helpful?", "removed by the watch"),
        ("Submit a request", "outside the selected article"),
    ],
)
def test_label_only_in_an_invisible_or_excluded_region_is_missing(label: str, region: str) -> None:
    html = page("zendesk_article.html")
    assert label in html, region

    text = extract_text(html, select="article", remove=[".article-votes"])

    assert assess_one(label, text).state is LabelState.MISSING


def test_a_label_in_an_aria_hidden_region_is_present() -> None:
    html = page("zendesk_article.html")
    assert 'aria-hidden="true"' in html

    text = extract_text(html, select="article", remove=[".article-votes"])

    assert assess_one("Export data", text).state is LabelState.PRESENT


def test_french_label_in_guillemets_matches_the_bare_label() -> None:
    text = extract_text(page("google_help.html"), select=".article-container")

    (result,) = assess_labels(["Activité dans les applications Gemini"], text, {}, now=NOW)

    assert result.state is LabelState.PRESENT
    assert result.sighting == LabelSighting("Activité dans les applications Gemini", NOW, NOW)


def test_labels_split_by_inline_markup_and_nbsp_are_present() -> None:
    text = extract_text(page("zendesk_article.html"), select="article .article-body")

    results = assess_labels(["Data Controls", OLD_LABEL, "Settings"], text, {}, now=NOW)

    assert {result.state for result in results} == {LabelState.PRESENT}


# --- suggestions -------------------------------------------------------------------------------

RENAMED_PAGE = f"""Data Controls FAQ
Improve the model with your feedback
Model settings for everyone
Improve your experience
Everyone can export their data from the same menu.
To stop us from training on your conversations, open Settings > Data Controls, then turn off “{NEW_LABEL}”. The change applies to new conversations.
Manage the model
"""  # noqa: E501


def test_renamed_label_inside_a_sentence_is_suggested_first() -> None:
    suggestions = suggest(OLD_LABEL, RENAMED_PAGE)

    assert suggestions[0].text == NEW_LABEL
    assert len(suggestions) == 3
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)


@pytest.mark.parametrize(
    "sentence",
    [
        f"Then turn off {NEW_LABEL}.",
        f"Then turn off '{NEW_LABEL}', and save.",
        f"Puis désactivez «{NBSP}{NEW_LABEL}{NBSP}» dans les paramètres.",
        f"Settings > Data Controls > {NEW_LABEL}",
        f"Then turn off ({NEW_LABEL}) now",
    ],
)
def test_renamed_label_set_off_by_punctuation_is_suggested_whole(sentence: str) -> None:
    text = RENAMED_PAGE.replace(f"turn off “{NEW_LABEL}”", "do it") + sentence + "\n"

    assert suggest(OLD_LABEL, text)[0].text == NEW_LABEL


def test_renamed_french_label_is_suggested_without_its_guillemets() -> None:
    text = (
        f"Lorsque l'option «{NBSP}Activité dans les applis Gemini{NBSP}» est activée, vos "
        "conversations sont enregistrées.\nActivité récente\nApplications connectées\n"
    )

    suggestions = suggest(f"«{NBSP}Activité dans les applications Gemini{NBSP}»", text)

    assert suggestions[0].text == "Activité dans les applis Gemini"


def test_lines_new_since_the_last_snapshot_are_preferred() -> None:
    text = "Improve the model for everybody\nImprove our model for everybody\n"

    without = suggest(OLD_LABEL, text)
    with_added = suggest(OLD_LABEL, text, added_lines=["Improve our model for everybody"])

    assert without[0].text == "Improve the model for everybody"
    assert with_added[0].text == "Improve our model for everybody"
    assert with_added[0].score < without[0].score  # the boost ranks, it does not inflate scores


def test_added_lines_flow_from_a_snapshot_diff() -> None:
    before_html = page("zendesk_article.html")
    after_html = before_html.replace("Improve the model for everyone", NEW_LABEL, 1)
    before = extract_text(before_html, select="article .article-body")
    after = extract_text(after_html, select="article .article-body")

    result = assess_one(OLD_LABEL, after, compare(before, after, old_label="", new_label=""))

    assert assess_one(OLD_LABEL, before).state is LabelState.PRESENT
    assert result.state is LabelState.MISSING
    assert result.suggestions[0] == Suggestion(
        NEW_LABEL, result.suggestions[0].score, Evidence.REPLACED
    )


def test_suggestions_are_distinct_bounded_and_scored() -> None:
    text = "\n".join([f"Turn off “{NEW_LABEL}”."] * 3 + ["Improve the model for some"] * 2) + "\n"

    suggestions = suggest(OLD_LABEL, text, limit=5)

    texts = [s.text for s in suggestions]
    assert len(texts) == len(set(texts))
    assert texts[:2] == ["Improve the model for some", NEW_LABEL]
    for suggestion in suggestions:
        assert 0 <= suggestion.score <= 1
        assert suggestion.score == round(suggestion.score, 3)
    assert len(suggest(OLD_LABEL, text, limit=1)) == 1
    assert suggest(OLD_LABEL, text, limit=0) == ()


def test_suggestions_do_not_overlap_on_the_page() -> None:
    suggestions = suggest(OLD_LABEL, f"Go on and turn off “{NEW_LABEL}” today\n", limit=3)

    assert [s.text for s in suggestions] == [NEW_LABEL]


def test_nothing_similar_gives_no_suggestions() -> None:
    assert suggest(OLD_LABEL, "Cookie settings\nTerms of use\nContact support\n") == ()
    assert suggest(OLD_LABEL, "") == ()
    assert suggest("", RENAMED_PAGE) == ()


def test_renamed_label_is_found_in_one_very_long_line() -> None:
    filler = " ".join(f"word{index}" for index in range(20_000))
    text = f"{filler} then turn off “{NEW_LABEL}”. {filler}\n"

    assert suggest(OLD_LABEL, text)[0].text == NEW_LABEL


# --- suggestions ranked by the diff's evidence ----------------------------------------------

GEMINI_BEFORE = """\
Gemini Apps Privacy Hub
Gemini gets better with your feedback.
Gemini Agent
With Gemini. Get help with tasks across apps.
Gemini at work and school
Learn how Gemini at work keeps your data private.
"""


def _renamed(before: str, after: str, label: str) -> LabelResult:
    return assess_one(label, after, compare(before, after, old_label="a", new_label="b"))


def test_a_heading_renamed_among_sentences_sharing_its_first_word_comes_first() -> None:
    after = GEMINI_BEFORE.replace("Gemini Agent", "Gemini Spark")

    result = _renamed(GEMINI_BEFORE, after, "Gemini Agent")

    assert result.state is LabelState.MISSING
    first = result.suggestions[0]
    assert (first.text, first.why) == ("Gemini Spark", Evidence.REPLACED)
    # Without the diff, similarity alone ranks a fragment of a sentence first.
    assert suggest("Gemini Agent", after)[0].text != "Gemini Spark"


def test_a_label_reworded_in_place_inside_a_sentence_is_first_with_its_reason() -> None:
    before = f"Open Settings.\nThen turn off “{OLD_LABEL}” and save.\nDone.\n"
    after = before.replace(OLD_LABEL, NEW_LABEL)

    (first, *_) = _renamed(before, after, OLD_LABEL).suggestions

    assert (first.text, first.why) == (NEW_LABEL, Evidence.REPLACED)


def test_a_label_moved_to_another_section_is_a_new_line_of_its_own() -> None:
    before = "Privacy\nData Controls\nImprove the model for everyone\nSecurity\nSessions\n"
    after = "Privacy\nData Controls\nSecurity\nSessions\nTraining\nImprove the model for all\n"

    (first, *_) = _renamed(before, after, OLD_LABEL).suggestions

    assert (first.text, first.why) == ("Improve the model for all", Evidence.NEW_LINE)


def test_a_label_deleted_with_nothing_in_its_place_gets_no_confident_suggestion() -> None:
    before = (
        "Data Controls\nImprove the model for everyone\n"
        "We improve the model with feedback from everyone who opts in.\n"
    )
    after = "Data Controls\nWe improve the model with feedback from everyone who opts in.\n"

    result = _renamed(before, after, OLD_LABEL)

    assert result.state is LabelState.MISSING
    assert result.suggestions == ()
    # The same page without its history would have offered a fragment of the sentence.
    assert suggest(OLD_LABEL, after) != ()


# --- renames inside sentences -----------------------------------------------------------------

SENTENCE_PAGE = """<html><body><article><h1>Your data</h1>
<p>Open your account menu and go to {label}.</p>
<p>Improving the model for everyone is our goal.</p></article></body></html>"""


@pytest.mark.parametrize(
    "markup",
    ["<strong>{}</strong>", "<b>{}</b>", '<a href="/settings">{}</a>', "{}", "<kbd>{}</kbd>"],
)
def test_a_rename_inside_a_sentence_is_the_span_that_replaced_the_label(markup: str) -> None:
    def html(label: str) -> str:
        return SENTENCE_PAGE.format(label=markup.format(label))

    before = extract_text(html(OLD_LABEL), select="article")
    after_html = html(NEW_LABEL)
    after = extract_text(after_html, select="article")
    change = compare(before, after, old_label="a", new_label="b")

    (result,) = assess_labels(
        [OLD_LABEL],
        after,
        {OLD_LABEL: seen(OLD_LABEL)},
        now=NOW,
        change=change,
        inline_texts=lambda: inline_texts(after_html, select="article"),
    )

    first = result.suggestions[0]
    assert (first.text, first.why) == (NEW_LABEL, Evidence.REPLACED)
    # Not the whole sentence, and not the passage that similarity alone would rank first.
    assert suggest(OLD_LABEL, after)[0].text == "Improving the model for everyone"


@pytest.mark.parametrize(
    ("old_line", "new_line", "inline", "expected"),
    [
        (  # bare: the words the diff changed, with the label's words around them
            f"Open your account menu and go to {OLD_LABEL}.",
            f"Open your account menu and go to {NEW_LABEL}.",
            (),
            NEW_LABEL,
        ),
        (  # typographic quotes and apostrophes around it are not part of it
            f"Don’t forget: turn off “{OLD_LABEL}”.",
            f"Don’t forget: turn off “{NEW_LABEL}”.",
            (),
            NEW_LABEL,
        ),
        (  # the bold ends the label where more words follow it
            f"Go to {OLD_LABEL}.",
            f"Go to {NEW_LABEL} and more settings.",
            (NEW_LABEL,),
            NEW_LABEL,
        ),
        (  # and starts it where a word came before it
            f"Go to {OLD_LABEL}.",
            "Go to Help improve the model for all users.",
            ("Help improve the model for all users",),
            "Help improve the model for all users",
        ),
        (  # a link around the whole sentence is no boundary of the label
            f"Go to {OLD_LABEL}.",
            f"Go to {NEW_LABEL}.",
            (f"Go to {NEW_LABEL}.",),
            NEW_LABEL,
        ),
        (  # a whole line renamed
            OLD_LABEL,
            NEW_LABEL,
            (),
            NEW_LABEL,
        ),
    ],
)
def test_replaced_span(
    old_line: str, new_line: str, inline: tuple[str, ...], expected: str
) -> None:
    assert replaced_span(OLD_LABEL, old_line, new_line, inline) == expected


@pytest.mark.parametrize(
    ("old_line", "new_line"),
    [
        (f"Go to {OLD_LABEL}.", f"Go to {OLD_LABEL} now."),  # the label itself did not change
        ("Go to Settings.", f"Go to {NEW_LABEL}."),  # it was not there
        (f"Go to {OLD_LABEL}.", "Everything here was rewritten from its first word to its end."),
    ],
)
def test_no_replaced_span_without_a_change_around_the_label(old_line: str, new_line: str) -> None:
    assert replaced_span(OLD_LABEL, old_line, new_line) is None


# --- evidence kept across runs ----------------------------------------------------------------

URL = "https://help.example.com/privacy"
LATER = "2025-03-03T02:00:00Z"
LINE_BEFORE = f"Open your account menu and go to {OLD_LABEL}."
LINE_AFTER = f"Open your account menu and go to {NEW_LABEL}."
DECOY = "Improving the model for everyone is our goal."


def _kept(text: str, score: float, why: Evidence, **lines: str) -> LabelSighting:
    evidence = LastingEvidence(Suggestion(text, score, why), URL, NOW, **lines)
    return LabelSighting(OLD_LABEL, EARLIER, EARLIER, evidence)


def _night(text: str, sighting: LabelSighting, change: TextChange | None = None) -> LabelResult:
    (result,) = assess_labels(
        [OLD_LABEL], text, {OLD_LABEL: sighting}, now=LATER, change=change, url=URL
    )
    return result


def test_the_diffs_evidence_lasts_when_the_page_no_longer_changes() -> None:
    before, after = f"{LINE_BEFORE}\n{DECOY}\n", f"{LINE_AFTER}\n{DECOY}\n"
    night2 = _renamed(before, after, OLD_LABEL)
    kept = night2.sighting.evidence
    assert kept is not None
    assert (kept.suggestion.text, kept.suggestion.why) == (NEW_LABEL, Evidence.REPLACED)
    assert (kept.old_line, kept.new_line) == (LINE_BEFORE, LINE_AFTER)

    night3 = _night(after, night2.sighting)  # no diff: the page is as it was

    assert night3.suggestions[0] == kept.suggestion
    assert night3.sighting.evidence == kept  # still night 2's, with its date
    # What the page alone says ranks another text first.
    assert suggest(OLD_LABEL, after)[0].text == "Improving the model for everyone"


def test_stronger_evidence_replaces_weaker_and_never_the_reverse() -> None:
    before, after = f"{LINE_BEFORE}\n{DECOY}\n", f"{LINE_AFTER}\n{DECOY}\n"
    change = compare(before, after, old_label="a", new_label="b")
    weak = _kept(NEW_LABEL, 0.95, Evidence.PASSAGE)

    upgraded = _night(after, weak, change)

    assert upgraded.sighting.evidence is not None
    assert upgraded.sighting.evidence.suggestion.why is Evidence.REPLACED
    assert upgraded.sighting.evidence.seen_at == LATER

    strong = _kept(NEW_LABEL, 0.6, Evidence.REPLACED, old_line=LINE_BEFORE, new_line=LINE_AFTER)
    page = f"{LINE_AFTER}\nImprove the model for everyone!!\n".replace("everyone!!", "every one")
    kept = _night(page, strong, compare(after, page, old_label="a", new_label="b"))

    assert kept.sighting.evidence == strong.evidence
    assert kept.suggestions[0].text == NEW_LABEL
    assert "Improve the model for every one" in [s.text for s in kept.suggestions]


def test_the_evidence_ends_when_the_label_is_back() -> None:
    strong = _kept(NEW_LABEL, 0.8, Evidence.REPLACED)

    result = _night(LINE_BEFORE, strong)

    assert result.state is LabelState.PRESENT
    assert result.sighting.evidence is None


def test_a_suggested_name_renamed_again_is_followed() -> None:
    strong = _kept(NEW_LABEL, 0.8, Evidence.REPLACED, old_line=LINE_BEFORE, new_line=LINE_AFTER)
    again = LINE_AFTER.replace(NEW_LABEL, "Improve the model for all people")
    change = compare(f"{LINE_AFTER}\n", f"{again}\n", old_label="a", new_label="b")

    result = _night(f"{again}\n", strong, change)

    evidence = result.sighting.evidence
    assert evidence is not None
    assert evidence.suggestion.text == "Improve the model for all people"
    assert evidence.suggestion.why is Evidence.REPLACED
    assert (evidence.old_line, evidence.new_line, evidence.seen_at) == (LINE_AFTER, again, LATER)


def test_evidence_whose_name_left_the_page_is_dropped() -> None:
    strong = _kept(NEW_LABEL, 0.8, Evidence.REPLACED)

    result = _night("Nothing like it here.\n", strong)

    assert result.state is LabelState.MISSING
    assert result.sighting.evidence is None
    assert result.suggestions == ()
