"""Every distinct URL of the catalogue, with the places that use it and what to watch there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from optout_watch.catalogue.loader import Document
from optout_watch.catalogue.models import LinkKind, Platform, RenderMode, Watch


@dataclass(frozen=True, slots=True)
class Use:
    """One place in the catalogue that names a URL."""

    platform: str
    file: str
    line: int
    #: The link's id, or `source` for an entry of `sources`.
    entry: str
    kind: str
    #: The link's or the source's title, when the catalogue gives one.
    title: str | None = None


@dataclass(frozen=True, slots=True)
class ExpectedLabel:
    """A label that must stay on a watched page, and where the catalogue expects it."""

    text: str
    platform: str
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class WatchSpec:
    """What to extract from a page and which labels must stay on it."""

    select: str | None
    remove: tuple[str, ...]
    ignore: tuple[str, ...]
    expect: tuple[ExpectedLabel, ...]
    #: `browser`: the page builds its text with scripts (see `fetching/browser.py`).
    render: RenderMode = "plain"


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    lang: str | None
    uses: tuple[Use, ...]
    watch: WatchSpec | None
    #: Settings pages need an account: reaching a sign-in page is expected there.
    sign_in_expected: bool

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(use.platform for use in self.uses))


@dataclass(frozen=True, slots=True)
class CataloguePlatform:
    """A platform with the document it was read from (for file names and lines)."""

    platform: Platform
    document: Document
    file: str


@dataclass
class _Builder:
    url: str
    lang: str | None = None
    uses: list[Use] = field(default_factory=list)
    watch: WatchSpec | None = None
    sign_in_expected: bool = False


def _watch_spec(watch: Watch, item: CataloguePlatform, link_index: int) -> WatchSpec:
    base = ("links", link_index, "watch", "expect")
    return WatchSpec(
        select=watch.select,
        remove=tuple(watch.remove),
        ignore=tuple(watch.ignore),
        render=watch.render,
        expect=tuple(
            ExpectedLabel(label, item.platform.id, item.file, item.document.locate((*base, i)).line)
            for i, label in enumerate(watch.expect)
        ),
    )


def _merge(first: WatchSpec, other: WatchSpec) -> WatchSpec:
    """Two links watching one page: one fetch with the first link's extraction settings (rule
    OW506 refuses links that disagree on them), and the union of their expected labels, each
    kept with its own file and line."""
    known = {label.text for label in first.expect}
    extra = tuple(label for label in other.expect if label.text not in known)
    return WatchSpec(first.select, first.remove, first.ignore, first.expect + extra, first.render)


def collect_targets(platforms: Sequence[CataloguePlatform]) -> list[Target]:
    """Distinct URLs in catalogue order; links before sources so a link's `lang` wins."""
    builders: dict[str, _Builder] = {}

    def add(url: str, use: Use, lang: str | None) -> _Builder:
        builder = builders.setdefault(url, _Builder(url=url))
        builder.uses.append(use)
        builder.lang = builder.lang or lang
        return builder

    for item in platforms:
        for index, link in enumerate(item.platform.links):
            line = item.document.locate(("links", index, "url")).line
            use = Use(item.platform.id, item.file, line, link.id, link.kind, link.title)
            builder = add(link.url, use, link.lang)
            builder.sign_in_expected |= link.kind is LinkKind.SETTINGS
            if link.watch is not None:
                spec = _watch_spec(link.watch, item, index)
                builder.watch = spec if builder.watch is None else _merge(builder.watch, spec)
    for item in platforms:
        for index, source in enumerate(item.platform.sources):
            line = item.document.locate(("sources", index, "url")).line
            use = Use(item.platform.id, item.file, line, "source", "source", source.title)
            add(source.url, use, None)
    return [
        Target(b.url, b.lang, tuple(b.uses), b.watch, b.sign_in_expected) for b in builders.values()
    ]
