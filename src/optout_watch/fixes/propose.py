"""What a confirmed finding proposes: the new address of a moved link, the new wording of a
gone label. Worked out once, from the report alone, for `fix` (which writes it into the
catalogue), the fix pull request (which describes it) and the issues (which suggest it), so
that the three never disagree. The report already says every address as the catalogue writes
it (`report/build.py` maps a `--remap` mirror's back)."""

from __future__ import annotations

from dataclasses import dataclass

from optout_watch.kinds import Code
from optout_watch.report.read import ReportedFinding, ReportedSuggestion, ReportView, label_on


@dataclass(frozen=True, slots=True)
class Proposed:
    """The catalogue's text a finding is about (`old`), and what should replace it (`new`)."""

    finding: ReportedFinding
    old: str
    new: str
    #: The page's suggestion behind a new wording (its score and why); None for a link, and
    #: for a wording known only from the finding's own evidence.
    suggestion: ReportedSuggestion | None = None


def proposed(finding: ReportedFinding, report: ReportView) -> Proposed | None:
    """What `finding` proposes, or None: only a moved link and a gone label propose anything,
    and only when the report says what replaces them."""
    if finding.url is None:
        return None
    if finding.code == Code.LINK_MOVED:
        link = report.link(finding.url)
        if link is None or not link.new_url:
            return None
        return Proposed(finding, finding.url, link.new_url)
    if finding.code != Code.LABEL_MISSING or finding.label is None:
        return None
    page = report.page(finding.url)
    label = label_on(page, finding.label) if page is not None else None
    if label is not None:
        if not label.suggestions:
            return None
        best = label.suggestions[0]
        return Proposed(finding, finding.label, best.text, best)
    listed = finding.evidence.get("suggestions")
    if isinstance(listed, list) and listed:
        return Proposed(finding, finding.label, listed[0])
    return None
