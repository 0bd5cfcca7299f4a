"""Expected interface labels on a watched page: present, missing or never seen, and for a
missing label the page texts most likely to be its new name.

Pure functions over normalised page text (see `extract`); the caller keeps the sightings.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Annotated, TypeVar

from annotated_types import Ge, Le
from rapidfuzz import fuzz, process

from optout_watch.pages.diff import TextChange
from optout_watch.pages.evidence import Evidence
from optout_watch.pages.extract import is_word_char, match_key, normalise

__all__ = [
    "LabelResult",
    "LabelSighting",
    "LabelState",
    "LastingEvidence",
    "Suggestion",
    "assess_labels",
    "contains_label",
    "labels_in",
    "replaced_span",
    "suggest",
    "suggest_renames",
]


class LabelState(StrEnum):
    PRESENT = "present"
    #: Seen on an earlier run, gone now: the interface was probably renamed.
    MISSING = "missing"
    #: Expected but never observed: the catalogue's expectation is unconfirmed.
    NEVER_SEEN = "never_seen"


@dataclass(frozen=True, slots=True)
class Suggestion:
    #: Text as the page shows it, without the quotes or punctuation around it.
    text: str
    #: Similarity to the missing label in [0, 1], rounded to 3 decimals; lowered a little
    #: for a run of words cut out of the middle of a longer phrase.
    score: Annotated[float, Ge(0), Le(1)]
    why: Evidence = Evidence.PASSAGE


_T = TypeVar("_T")

#: Evidence kinds by strength (see `LastingEvidence.outranks`).
_STRENGTH = {Evidence.REPLACED: 2, Evidence.NEW_LINE: 1, Evidence.PASSAGE: 0}


@dataclass(frozen=True, slots=True)
class LastingEvidence:
    """The strongest evidence seen of a missing label's new name, kept with the label's
    sighting from the run that saw it until the label is seen again: the diff that showed a
    rename is there only on the night the page changed, and later runs must not forget it."""

    suggestion: Suggestion
    #: The URL of the page (as the catalogue writes it) and the run (ISO timestamp) that saw it.
    url: str
    seen_at: str
    #: The label's line before and the line that took its place, when the diff placed it.
    old_line: str | None = None
    new_line: str | None = None

    def outranks(self, other: LastingEvidence) -> bool:
        """Stronger evidence (an in-place replacement over a new line over a passage), or
        the same kind with a higher score; a tie keeps what was known."""
        mine, theirs = self.suggestion, other.suggestion
        return (_STRENGTH[mine.why], mine.score) > (_STRENGTH[theirs.why], theirs.score)


@dataclass(frozen=True, slots=True)
class LabelSighting:
    label: str
    #: ISO timestamps; None when the label has never been seen.
    first_seen: str | None
    last_seen: str | None
    #: For a missing label, the strongest evidence of its new name seen since it went.
    evidence: LastingEvidence | None = None


@dataclass(frozen=True, slots=True)
class LabelResult:
    label: str
    state: LabelState
    suggestions: tuple[Suggestion, ...]
    #: The sighting updated by this run, to be kept for the next one.
    sighting: LabelSighting


# French pages vary in ways a reader does not see as another wording: many drop the accents of
# capitals ("A propos", "Etat"), write "oe" for "œ", and put a space, a non-breaking or a narrow
# non-breaking one, or none before : ; ? ! (and inside « », which `match_key` drops already).
_ACCENTS = re.compile("[\u0300-\u036f]")
_SPACE_BEFORE_PUNCTUATION = re.compile(r" +(?=[:;?!])")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def _key(text: str) -> str:
    """The form labels and page text are compared in: `match_key`, also blind to accents,
    to the ligatures œ and æ, and to the space before : ; ? !"""
    key = match_key(text)
    if key.isascii():  # (most words of most pages: no accent, no ligature)
        return _SPACE_BEFORE_PUNCTUATION.sub("", key)
    folded = _ACCENTS.sub("", unicodedata.normalize("NFD", key)).translate(_LIGATURES)
    return unicodedata.normalize("NFC", _SPACE_BEFORE_PUNCTUATION.sub("", folded))


def _contains_key(text_key: str, label_key: str) -> bool:
    """Whether `label_key` occurs in `text_key` as whole words (both in `_key` form)."""
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
    return _contains_key(_key(text), _key(label))


def labels_in(text: str, labels: Sequence[str]) -> tuple[str, ...]:
    """The `labels` that `text` holds (as `contains_label` finds them), in order; the text's
    matching form is computed once, however many labels there are."""
    text_key = _key(text)
    return tuple(label for label in labels if _contains_key(text_key, _key(label)))


def assess_labels(
    expect: Sequence[str],
    text: str,
    history: Mapping[str, LabelSighting],
    *,
    now: str,
    change: TextChange | None = None,
    url: str = "",
    inline_texts: Callable[[], Collection[str]] | None = None,
) -> list[LabelResult]:
    """One result per expected label, in order. `history` holds the sightings of earlier runs
    by label; `now` (ISO timestamp) becomes `last_seen` of every label found. Only a missing
    label gets suggestions, ranked by the evidence of `change` (the diff since the last
    snapshot) when there is one (see `suggest_renames`), after the evidence kept from earlier
    runs when that is stronger (see `LastingEvidence`). `url` is the page's, for the evidence;
    `inline_texts` gives the texts of the page's inline elements (see `suggest_renames`).
    """
    text_key = _key(text)
    results = []
    for label in expect:
        before = history.get(label) or LabelSighting(label, None, None)
        if _contains_key(text_key, _key(label)):
            sighting = LabelSighting(label, before.first_seen or now, now)
            results.append(LabelResult(label, LabelState.PRESENT, (), sighting))
        elif before.last_seen is not None:
            kept = before.evidence
            found = suggest_renames(
                label, text, change, url=url, now=now, kept=kept, inline_texts=inline_texts
            )
            if kept is not None and not _contains_key(text_key, _key(kept.suggestion.text)):
                kept = None  # the page no longer shows that name: it is evidence of nothing
            strongest = found[0] if found else None
            if kept is not None and (strongest is None or not strongest.outranks(kept)):
                strongest = kept
            suggestions = _first_and_others(
                strongest.suggestion if strongest else None,
                [evidence.suggestion for evidence in found],
            )
            sighting = replace(before, evidence=strongest)
            results.append(LabelResult(label, LabelState.MISSING, suggestions, sighting))
        else:
            results.append(LabelResult(label, LabelState.NEVER_SEEN, (), before))
    return results


def _first_and_others(
    first: Suggestion | None, others: Sequence[Suggestion], limit: int = 3
) -> tuple[Suggestion, ...]:
    """`first`, then `others` that name another text, up to `limit`."""
    chosen = _distinct([*([first] if first else []), *others], lambda suggestion: suggestion.text)
    return tuple(chosen[:limit])


def _distinct(items: Iterable[_T], text: Callable[[_T], str]) -> list[_T]:
    """`items` in order, without those whose `text` reads as one before them."""
    seen: set[str] = set()
    chosen = []
    for item in items:
        key = _key(text(item))
        if key not in seen:
            seen.add(key)
            chosen.append(item)
    return chosen


# --- suggestions -------------------------------------------------------------------------------
#
# Candidates are runs of words from the page's lines, of a length near the label's (a label is
# usually a short phrase inside a longer line), plus whole phrases set off by punctuation or
# quotes. Scorer: `fuzz.ratio` (normalised Indel similarity) on `_key` forms. It weighs
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
    keys = [_key(" ".join(passage.words)) for passage in passages]
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
    word_keys = [_key(word) for word in words]
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
    label_key = _key(label).strip(_EDGE_PUNCTUATION)
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
    return _contains_key(_key(line), label_key)


def _whole_lines(label: str, lines: Sequence[str]) -> list[Suggestion]:
    label_key = _key(label).strip(_EDGE_PUNCTUATION)
    most_words = label_key.count(" ") + 1 + _WHOLE_LINE_EXTRA_WORDS
    found = []
    for line in lines:
        text = normalise(line).strip().strip(_EDGE_PUNCTUATION)
        key = _key(text)
        if not key or key.count(" ") + 1 > most_words:
            continue
        score = round(fuzz.ratio(label_key, key) / 100, 3)
        if score >= _MIN_SCORE:
            found.append(Suggestion(text, score, Evidence.NEW_LINE))
    return sorted(found, key=lambda suggestion: -suggestion.score)


# --- the span that replaced a name inside its line ---------------------------------------------
#
# A label is often a few words of a sentence: "Open your account menu and go to **Improve the
# model for everyone**." When that line is replaced by one that differs only around the label,
# a word-level diff of the two lines says which words took the label's place; the words around
# it, unchanged, are not part of the new name. Inline elements of the page (bold, links, code…)
# are boundaries that the text alone has lost: where one holds the changed words, it is the new
# name, whatever else changed next to it.

# A word (letters, digits, combining marks, with its inner apostrophes: l’activité, don't), or
# any other visible character on its own.
_TOKEN = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+(?:['’ʼ](?:[^\W_]|[\u0300-\u036f])+)*|\S")
#: A span replacing a name counts as "around the name" up to this many words longer than it.
_SPAN_EXTRA_WORDS = 3


@dataclass(frozen=True, slots=True)
class _Tokens:
    """The words of a line in `_key` form, with where each stands in the line; quotes
    and other characters with no key are left out."""

    keys: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, line: str) -> _Tokens:
        pairs = [(_key(m.group()), m.span()) for m in _TOKEN.finditer(line)]
        kept = [(key, span) for key, span in pairs if key]
        return cls(tuple(key for key, _ in kept), tuple(span for _, span in kept))

    def find(self, words: Sequence[str]) -> list[int]:
        """Where `words` occur in the line, as token indices."""
        size = len(words)
        return [
            start
            for start in range(len(self.keys) - size + 1)
            if size and self.keys[start : start + size] == tuple(words)
        ]


def _span_text(line: str, tokens: _Tokens, start: int, end: int) -> str:
    return line[tokens.spans[start][0] : tokens.spans[end - 1][1]].strip(_EDGE_PUNCTUATION)


def replaced_span(
    name: str, old_line: str, new_line: str, inline_texts: Collection[str] = ()
) -> str | None:
    """The words of `new_line` that took the place of `name` in `old_line`, by a word-level
    diff of the two lines; None when `old_line` does not hold `name`, when nothing of it
    changed, or when the change reaches far beyond it (a rewritten sentence). Among
    `inline_texts` (texts of the page's inline elements), one that holds the changed words
    and no unchanged word outside the name sets the span's edges."""
    old, new, wanted = _Tokens.of(old_line), _Tokens.of(new_line), _Tokens.of(name).keys
    places = old.find(wanted)
    if not places:
        return None
    first, last = places[0], places[0] + len(wanted) - 1
    opcodes = difflib.SequenceMatcher(None, old.keys, new.keys, autojunk=False).get_opcodes()
    # Most words around the label must stay, or the sentence was rewritten, not the label
    # renamed (punctuation does not count: a full stop is kept by any rewrite).
    around = [i for i, key in enumerate(old.keys) if not first <= i <= last and _WORD.search(key)]
    equal = {i for tag, start, stop, _, _ in opcodes if tag == "equal" for i in range(start, stop)}
    if around and 2 * len(equal.intersection(around)) <= len(around):
        return None
    changed = {
        index
        for tag, _, _, new_start, new_end in opcodes
        if tag != "equal"
        for index in range(new_start, new_end)
    }
    start = end = None
    touched = False
    for tag, old_start, old_end, new_start, new_end in opcodes:
        if tag == "insert":
            touched |= first < old_start <= last
            continue
        if old_start <= first < old_end:
            start = new_start + first - old_start if tag == "equal" else new_start
        if old_start <= last < old_end:
            end = new_start + last - old_start + 1 if tag == "equal" else new_end
        touched |= tag != "equal" and old_start <= last and first < old_end
    if start is None or end is None or not touched:
        return None
    best = _inline_span(new, changed, start, end, inline_texts=inline_texts, name=name)
    if best is not None:
        start, end = best
    elif end - start > len(wanted) + _SPAN_EXTRA_WORDS or start >= end:
        return None
    return _span_text(new_line, new, start, end) or None


def _inline_span(
    tokens: _Tokens,
    changed: Collection[int],
    start: int,
    end: int,
    *,
    inline_texts: Collection[str],
    name: str,
) -> tuple[int, int] | None:
    """The span of the inline element around the new name, if the page has one: it holds a
    changed word of `start:end` and, outside it, no word the change left alone."""
    spans = set()
    for inline in inline_texts:
        words = _Tokens.of(inline).keys
        for position in tokens.find(words):
            span = range(position, position + len(words))
            if len(span) == len(tokens.keys):
                continue  # the whole line: no boundary at all
            holds_change = any(index in changed for index in span if start <= index < end)
            spills = any(index not in changed for index in span if not start <= index < end)
            if holds_change and not spills:
                spans.add((span.start, span.stop))
    name_key = _key(name)
    return max(
        sorted(spans),
        key=lambda span: fuzz.ratio(name_key, " ".join(tokens.keys[span[0] : span[1]])),
        default=None,
    )


def _in_place(
    label: str,
    names: Sequence[str],
    change: TextChange,
    inline_texts: Collection[str],
) -> list[tuple[Suggestion, str, str]]:
    """What took the place of a line holding one of `names` (the label, or the name earlier
    evidence gave it), with the old and the new line; scored against `label`."""
    label_key = _key(label).strip(_EDGE_PUNCTUATION)
    found = []
    for block in change.replaced:
        for name in names:
            name_key = _key(name)
            old_line = next((line for line in block.old if _holds(line, name_key)), None)
            if old_line is None:
                continue
            old_key = _key(old_line)
            new_line = max(block.new, key=lambda line: fuzz.ratio(old_key, _key(line)))
            span = replaced_span(name, old_line, new_line, inline_texts)
            if span is not None:
                score = round(fuzz.ratio(label_key, _key(span)) / 100, 3)
                suggestion = Suggestion(span, score, Evidence.REPLACED)
            else:
                best = suggest(
                    label, "\n".join(block.new), limit=1, min_score=_IN_PLACE_MIN_SCORE,
                    why=Evidence.REPLACED,
                )  # fmt: skip
                if not best:
                    continue
                suggestion = best[0]
                new_line = next(
                    (line for line in block.new if _holds(line, _key(suggestion.text))),
                    new_line,
                )
            if suggestion.score >= _IN_PLACE_MIN_SCORE:
                found.append((suggestion, old_line, new_line))
            break
    return found


def suggest_renames(
    label: str,
    text: str,
    change: TextChange | None,
    *,
    url: str,
    now: str,
    kept: LastingEvidence | None = None,
    inline_texts: Callable[[], Collection[str]] | None = None,
    limit: int = 3,
) -> list[LastingEvidence]:
    """Up to `limit` likely new names of a missing `label`, strongest evidence first (see
    `Evidence`), by score within each kind of evidence; without a diff, passages alone.

    What replaced the label inside its line is found by `replaced_span`, given the texts of
    the page's inline elements by `inline_texts` (called only when a line holding the label
    was replaced). The line of `kept`'s name (earlier evidence) being replaced in turn is
    followed as the label's is: the page renamed it again."""
    if change is None:
        return [LastingEvidence(s, url, now) for s in suggest(label, text, limit=limit)]
    label_key = _key(label)
    names = [label, *([kept.suggestion.text] if kept is not None else [])]
    holding = [
        block
        for block in change.replaced
        if any(_holds(line, _key(name)) for line in block.old for name in names)
    ]
    inline = inline_texts() if inline_texts is not None and holding else ()
    in_place = [
        LastingEvidence(suggestion, url, now, old_line, new_line)
        for suggestion, old_line, new_line in _in_place(label, names, change, inline)
    ]
    placed = {line for block in change.replaced for line in block.new}
    new_lines = _whole_lines(label, [line for line in change.added if line not in placed])
    deleted = any(_holds(line, label_key) for line in change.deleted)
    floor = _AFTER_DELETION_MIN_SCORE if deleted and not in_place else _MIN_SCORE
    passages = suggest(label, text, added_lines=change.added, limit=limit, min_score=floor)
    found = [*in_place, *(LastingEvidence(s, url, now) for s in (*new_lines, *passages))]
    return _distinct(found, lambda evidence: evidence.suggestion.text)[:limit]
