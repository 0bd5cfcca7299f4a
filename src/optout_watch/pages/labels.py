"""Expected interface labels on a watched page: present, missing or never seen, and for a
missing label the page texts most likely to be its new name.

Pure functions over normalised page text (see `extract`); the caller keeps the sightings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from annotated_types import Ge, Le
from rapidfuzz import fuzz, process

from optout_watch.pages.diff import TextChange
from optout_watch.pages.extract import is_word_char, match_key, normalise

__all__ = [
    "LabelResult",
    "LabelSighting",
    "LabelState",
    "Suggestion",
    "assess_labels",
    "contains_label",
    "labels_in",
    "suggest",
]


class LabelState(StrEnum):
    PRESENT = "present"
    #: Seen on an earlier run, gone now: the interface was probably renamed.
    MISSING = "missing"
    #: Expected but never observed: the catalogue's expectation is unconfirmed.
    NEVER_SEEN = "never_seen"


class Evidence(StrEnum):
    """Why a text is suggested as a missing label's new name, strongest first."""

    #: The diff put it where the label's line was.
    REPLACED = "replaced the label's line"
    #: A line of its own (a heading, a button, a list item…) new since the last snapshot.
    NEW_LINE = "a new line of its own on the page"
    #: Words of the page that read like the label, wherever they stand.
    PASSAGE = "a passage of the page like the label"


@dataclass(frozen=True, slots=True)
class Suggestion:
    #: Text as the page shows it, without the quotes or punctuation around it.
    text: str
    #: Similarity to the missing label in [0, 1], rounded to 3 decimals; lowered a little
    #: for a run of words cut out of the middle of a longer phrase.
    score: Annotated[float, Ge(0), Le(1)]
    why: Evidence = Evidence.PASSAGE


@dataclass(frozen=True, slots=True)
class LabelSighting:
    label: str
    #: ISO timestamps; None when the label has never been seen.
    first_seen: str | None
    last_seen: str | None


@dataclass(frozen=True, slots=True)
class LabelResult:
    label: str
    state: LabelState
    suggestions: tuple[Suggestion, ...]
    #: The sighting updated by this run, to be kept for the next one.
    sighting: LabelSighting


def _contains_key(text_key: str, label_key: str) -> bool:
    """Whether `label_key` occurs in `text_key` as whole words (both in `match_key` form)."""
    if not label_key:
        return False
    start = text_key.find(label_key)
    while start != -1:
        end = start + len(label_key)
        # A boundary is needed only where the label itself starts or ends with a word
        # character: "Data Controls" must not match inside "Metadata Controlsx".
        cut_before = is_word_char(label_key[0]) and start > 0 and is_word_char(text_key[start - 1])
        cut_after = (
            is_word_char(label_key[-1]) and end < len(text_key) and is_word_char(text_key[end])
        )
        if not (cut_before or cut_after):
            return True
        start = text_key.find(label_key, start + 1)
    return False


def contains_label(text: str, label: str) -> bool:
    """Whether `label` appears in `text` as whole words, on one line, blind to case, white
    space, non-breaking spaces and quote styles."""
    return _contains_key(match_key(text), match_key(label))


def labels_in(text: str, labels: Sequence[str]) -> tuple[str, ...]:
    """The `labels` that `text` holds (as `contains_label` finds them), in order; the text's
    matching form is computed once, however many labels there are."""
    text_key = match_key(text)
    return tuple(label for label in labels if _contains_key(text_key, match_key(label)))


def assess_labels(
    expect: Sequence[str],
    text: str,
    history: Mapping[str, LabelSighting],
    *,
    now: str,
    change: TextChange | None = None,
) -> list[LabelResult]:
    """One result per expected label, in order. `history` holds the sightings of earlier runs
    by label; `now` (ISO timestamp) becomes `last_seen` of every label found. Only a missing
    label gets suggestions, ranked by the evidence of `change` (the diff since the last
    snapshot) when there is one (see `suggest_renames`).
    """
    text_key = match_key(text)
    results = []
    for label in expect:
        before = history.get(label) or LabelSighting(label, None, None)
        if _contains_key(text_key, match_key(label)):
            sighting = LabelSighting(label, before.first_seen or now, now)
            results.append(LabelResult(label, LabelState.PRESENT, (), sighting))
        elif before.last_seen is not None:
            suggestions = suggest_renames(label, text, change)
            results.append(LabelResult(label, LabelState.MISSING, suggestions, before))
        else:
            results.append(LabelResult(label, LabelState.NEVER_SEEN, (), before))
    return results


# --- suggestions -------------------------------------------------------------------------------
#
# Candidates are runs of words from the page's lines, of a length near the label's (a label is
# usually a short phrase inside a longer line), plus whole phrases set off by punctuation or
# quotes. Scorer: `fuzz.ratio` (normalised Indel similarity) on `match_key` forms. It weighs
# every character and keeps word order, so a changed word lowers the score in proportion to its
# length; the token-set and partial scorers were rejected because they give a perfect score to
# any fragment of the label ("Improve the model" for "Improve the model for everyone"), and the
# token-sort scorer because it ignores word order. Windowing the candidates ourselves does the
# job of a partial match without that flaw.

#: Below this similarity a candidate is noise, not a likely new name.
_MIN_SCORE = 0.5
#: A renamed label is new text: candidates from lines new since the last snapshot rank as if
#: this much more similar (the reported score does not include it). A boost rather than
#: a separate tier, so that a page rewritten wholesale does not bury a near-perfect match.
_ADDED_LINE_BOOST = 0.1
#: A candidate cut out of the middle of a phrase loses this factor per cut edge, so that
#: “Improve the model for all users” beats its fragment "Improve the model for all".
_CUT_EDGE_FACTOR = 0.9
#: Passages (lines, or windows of long lines) kept after the cheap first ranking, for new
#: lines and for the others alike.
_PASSAGES_PER_TIER = 40
#: Long lines are cut into windows of this many words (at least), overlapping by a label's length.
_WINDOW_WORDS = 48
# A phrase ends after clause punctuation or a closing quote, and starts at an opening one.
_ENDS_PHRASE = frozenset(",;:.!?)]}»”\"’'›…")
_STARTS_PHRASE = frozenset("([{«“\"‘'‹„¿¡")
_WORD = re.compile(r"[^\W_]")
# Stripped from a candidate's ends: the quotes and punctuation around a label are not the label.
_EDGE_PUNCTUATION = "".join(sorted(_ENDS_PHRASE | _STARTS_PHRASE | set(" <>|/•·–—-→"))) + "`´"


@dataclass(frozen=True, slots=True)
class _Passage:
    """A line of the page, or a window of a long one: `line_words[start:end]`."""

    line: int
    line_words: tuple[str, ...]
    start: int
    end: int
    added: bool

    @property
    def words(self) -> tuple[str, ...]:
        return self.line_words[self.start : self.end]


@dataclass(frozen=True, slots=True)
class _Candidate:
    text: str
    key: str
    factor: float
    added: bool
    line: int
    start: int  # word range in the line, to keep two suggestions from overlapping
    end: int


def _is_phrase_edge(before: str, after: str) -> bool:
    """Whether a phrase may end after the word `before` and start at the word `after`."""
    return (
        before[-1] in _ENDS_PHRASE
        or after[0] in _STARTS_PHRASE
        or not _WORD.search(before)  # a separator such as ">" or "–"
        or not _WORD.search(after)
    )


def _passages(text: str, added: frozenset[str], label_words: int) -> Iterator[_Passage]:
    overlap = label_words + 2
    window = max(_WINDOW_WORDS, 4 * overlap)
    for line_number, line in enumerate(normalise(text).splitlines()):
        words = tuple(line.split(" "))
        is_added = line in added
        for start in range(0, max(1, len(words) - overlap), window - overlap):
            end = min(len(words), start + window)
            yield _Passage(line_number, words, start, end, is_added)


def _most_promising(label_key: str, passages: Sequence[_Passage]) -> list[_Passage]:
    """The passages most likely to hold the label's new name, by a cheap whole-passage score:
    partial similarity for passages longer than the label, plain similarity for shorter ones
    (a partial score would rate every fragment of the label, even "the", as perfect)."""
    keys = [match_key(" ".join(passage.words)) for passage in passages]
    longer = {i: key for i, key in enumerate(keys) if len(key) >= len(label_key)}
    shorter = {i: key for i, key in enumerate(keys) if 0 < len(key) < len(label_key)}
    ranked = [
        *process.extract(label_key, longer, scorer=fuzz.partial_ratio, limit=_PASSAGES_PER_TIER),
        *process.extract(label_key, shorter, scorer=fuzz.ratio, limit=_PASSAGES_PER_TIER),
    ]
    ranked.sort(key=lambda match: (-match[1], match[2]))
    return [passages[index] for _, _, index in ranked[:_PASSAGES_PER_TIER]]


def _candidates(passage: _Passage, label_words: int) -> Iterator[_Candidate]:
    words, line_words = passage.words, passage.line_words
    # edges[i]: whether a phrase may start or end before words[i] (i == len(words): after all).
    edges = [
        position in (0, len(line_words))
        or _is_phrase_edge(line_words[position - 1], line_words[position])
        for position in range(passage.start, passage.end + 1)
    ]
    word_keys = [match_key(word) for word in words]
    shortest, longest = max(1, label_words - 2), label_words + 2
    longest_phrase = 2 * label_words + 2
    for start in range(len(words)):
        for end in range(start + shortest, min(len(words), start + longest_phrase) + 1):
            is_phrase = edges[start] and edges[end]
            if end - start > longest and not is_phrase:
                continue
            key = " ".join(key for key in word_keys[start:end] if key).strip(_EDGE_PUNCTUATION)
            text = " ".join(words[start:end]).strip(_EDGE_PUNCTUATION)
            if not key or not text:
                continue
            factor = (1 if edges[start] else _CUT_EDGE_FACTOR) * (
                1 if edges[end] else _CUT_EDGE_FACTOR
            )
            yield _Candidate(
                text,
                key,
                factor,
                passage.added,
                passage.line,
                passage.start + start,
                passage.start + end,
            )


def _same_or_overlapping(candidate: _Candidate, other: _Candidate) -> bool:
    overlapping = candidate.start < other.end and other.start < candidate.end
    return candidate.key == other.key or (candidate.line == other.line and overlapping)


def suggest(
    label: str,
    text: str,
    *,
    added_lines: Sequence[str] = (),
    limit: int = 3,
    min_score: float = _MIN_SCORE,
    why: Evidence = Evidence.PASSAGE,
) -> tuple[Suggestion, ...]:
    """Up to `limit` texts of the page most likely to be the new name of `label`, best first.

    Ranked by score, with a boost of `_ADDED_LINE_BOOST` for candidates from `added_lines`
    (lines of `text` new since the last snapshot): a renamed label is new text. Suggestions never
    repeat one another nor overlap on the page. The work is bounded: only the most promising
    lines (and windows of long lines) are searched word by word.
    """
    label_key = match_key(label).strip(_EDGE_PUNCTUATION)
    if not label_key or limit <= 0:
        return ()
    label_words = label_key.count(" ") + 1
    added = frozenset(normalise(line).rstrip("\n") for line in added_lines)
    passages = list(_passages(text, added, label_words))
    searched = [
        *_most_promising(label_key, [passage for passage in passages if passage.added]),
        *_most_promising(label_key, [passage for passage in passages if not passage.added]),
    ]
    candidates = [
        candidate for passage in searched for candidate in _candidates(passage, label_words)
    ]
    ranked: list[tuple[tuple[float, int, int], _Candidate, float]] = []
    for _, similarity, index in process.extract(
        label_key,
        [candidate.key for candidate in candidates],
        scorer=fuzz.ratio,
        score_cutoff=min_score * 100,
        limit=None,
    ):
        candidate = candidates[index]
        score = round(similarity / 100 * candidate.factor, 3)
        if score >= min_score:
            boost = _ADDED_LINE_BOOST if candidate.added else 0
            order = (-(score + boost), candidate.line, candidate.start)
            ranked.append((order, candidate, score))
    ranked.sort(key=lambda entry: entry[0])
    chosen: list[_Candidate] = []
    suggestions: list[Suggestion] = []
    for _, candidate, score in ranked:
        if any(_same_or_overlapping(candidate, other) for other in chosen):
            continue
        chosen.append(candidate)
        suggestions.append(Suggestion(candidate.text, score, why))
        if len(suggestions) == limit:
            break
    return tuple(suggestions)


# --- suggestions ranked by the diff's evidence ------------------------------------------------
#
# Similarity alone ranks fragments of sentences that share a label's first word above the
# heading that replaced it ("Gemini gets…" over "Gemini Spark" for "Gemini Agent"). The diff
# knows better: what took the place of the label's line is the strongest evidence, a new line
# of its own (a heading, a button, a list item) the next, and a passage anywhere the weakest.

#: A text that took the label's place may differ more than an unplaced one and still be it.
_IN_PLACE_MIN_SCORE = 0.4
#: A new line counts as an element of its own when it is at most this many words longer.
_WHOLE_LINE_EXTRA_WORDS = 3
#: When the label's line went with nothing in its place, only a near twin elsewhere is
#: offered: "no likely new name" is the honest answer for a deleted label.
_AFTER_DELETION_MIN_SCORE = 0.8


def _holds(line: str, label_key: str) -> bool:
    return _contains_key(match_key(line), label_key)


def _whole_lines(label: str, lines: Sequence[str]) -> list[Suggestion]:
    label_key = match_key(label).strip(_EDGE_PUNCTUATION)
    most_words = label_key.count(" ") + 1 + _WHOLE_LINE_EXTRA_WORDS
    found = []
    for line in lines:
        text = normalise(line).strip().strip(_EDGE_PUNCTUATION)
        key = match_key(text)
        if not key or key.count(" ") + 1 > most_words:
            continue
        score = round(fuzz.ratio(label_key, key) / 100, 3)
        if score >= _MIN_SCORE:
            found.append(Suggestion(text, score, Evidence.NEW_LINE))
    return sorted(found, key=lambda suggestion: -suggestion.score)


def suggest_renames(
    label: str, text: str, change: TextChange | None, *, limit: int = 3
) -> tuple[Suggestion, ...]:
    """Up to `limit` likely new names of a missing `label`, strongest evidence first (see
    `Evidence`), by score within each kind of evidence; without a diff, passages alone."""
    if change is None:
        return suggest(label, text, limit=limit)
    label_key = match_key(label)
    in_place = [
        suggestion
        for block in change.replaced
        if any(_holds(line, label_key) for line in block.old)
        for suggestion in suggest(
            label, "\n".join(block.new), limit=1, min_score=_IN_PLACE_MIN_SCORE,
            why=Evidence.REPLACED,
        )
    ]  # fmt: skip
    placed = {line for block in change.replaced for line in block.new}
    new_lines = _whole_lines(label, [line for line in change.added if line not in placed])
    deleted = any(_holds(line, label_key) for line in change.deleted)
    floor = _AFTER_DELETION_MIN_SCORE if deleted and not in_place else _MIN_SCORE
    passages = suggest(label, text, added_lines=change.added, limit=limit, min_score=floor)
    chosen: list[Suggestion] = []
    for suggestion in (*in_place, *new_lines, *passages):
        if all(match_key(suggestion.text) != match_key(other.text) for other in chosen):
            chosen.append(suggestion)
    return tuple(chosen[:limit])
