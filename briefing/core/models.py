"""The project's own data types. Every layer passes these, never library dicts.

All are frozen dataclasses. Times are timezone-aware UTC ISO-8601 strings
(``2026-01-16T14:03:00+00:00``) so that they serialise to JSON unchanged and
sort as text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal

FullTextMode = Literal["auto", "always", "never"]


# --------------------------------------------------------------------------- config


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    keywords: tuple[str, ...]
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Settings:
    timeout: float = 20.0
    """Total deadline in seconds for one feed (connect, redirects and body)."""
    concurrency: int = 100
    retention_days: int = 90
    max_bytes: int = 10 * 1024 * 1024
    """Largest body accepted, counted after decompression."""
    max_redirects: int = 5
    per_host: int = 4
    """Concurrent article-page fetches per host (full text)."""


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One ``[[feeds]]`` entry of feeds.toml: a source the user follows."""

    name: str
    url: str
    """An http(s) URL, or a ``file://`` URL / absolute local path."""
    tags: tuple[str, ...] = ()
    enabled: bool = True
    full_text: FullTextMode = "auto"
    via: str = ""
    """The feed server it comes through ('Miniflux at https://rss.example.org'),
    or '' for a feed of feeds.toml, fetched directly."""


SyncBackendName = Literal["greader", "miniflux"]


@dataclass(frozen=True, slots=True)
class SyncConfig:
    """The ``[sync]`` table of feeds.toml: a feed server the articles come from.

    It never holds the secret, only where to get it.
    """

    backend: SyncBackendName
    url: str
    """The server's base URL, without a trailing slash."""
    username: str = ""
    """Required for greader; for miniflux, '' means the secret is an API key."""
    password_env: str = ""
    password_command: str = ""
    category: str = ""
    """Follow only this folder (category) of the server; '' for all."""
    full_text: FullTextMode = "auto"
    """The full-text setting of every feed that comes through the server."""


@dataclass(frozen=True, slots=True)
class FactsVocabulary:
    """The ``[facts]`` table of feeds.toml: a story's own words for its key facts."""

    synonyms: tuple[tuple[str, ...], ...] = ()
    """Groups of words that name the same thing in this story ("songs", "tracks")."""
    events: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(label participle, words): an event of the user's own ("scraped", ("rip",))."""
    labels: tuple[tuple[str, str], ...] = ()
    """(label briefing gives a fact, the label to show instead)."""

    @property
    def is_empty(self) -> bool:
        return not (self.synonyms or self.events or self.labels)


@dataclass(frozen=True, slots=True)
class Config:
    topic: Topic
    settings: Settings
    feeds: tuple[FeedConfig, ...]
    path: str | None = None
    """Where the config was read from; None for a config built in code."""
    keys: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """The reader's ``[keys]``: (command id, Textual key names), as the user wrote them."""
    facts: FactsVocabulary = field(default_factory=FactsVocabulary)
    sync: SyncConfig | None = None

    def feed(self, name: str) -> FeedConfig | None:
        return next((f for f in self.feeds if f.name == name), None)


# --------------------------------------------------------------------------- articles


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One feed entry as parsed from the network, before the store adds state.

    All text fields are already free of control characters. ``summary`` and
    ``content`` are HTML as the feed gave them (untrusted: render through
    ``textclean``, never as markup).
    """

    id: str
    title: str
    link: str
    author: str
    published: str | None
    summary: str
    content: str


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    link: str
    entries: tuple[ParsedEntry, ...]
    warning: str | None = None
    """Set when the feed parsed with errors (bozo) but still had entries."""


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article: a parsed entry plus what briefing knows about it."""

    id: str
    source: str
    """The feed's name, as in feeds.toml."""
    title: str
    link: str
    author: str
    published: str | None
    summary: str
    content: str
    first_seen: str
    read: bool = False
    starred: bool = False
    relevance: float = 0.0
    on_topic: bool = False
    full_text: str = ""
    """Main text extracted from the article page, as simple HTML, when fetched."""
    full_text_status: str = ""
    """'' (not tried), 'pending', 'ok', 'skipped' or 'failed: <reason>'."""

    @property
    def sort_time(self) -> str:
        """The time to sort by: publication, else first seen."""
        return self.published or self.first_seen

    @property
    def body_html(self) -> str:
        """The richest body we have: extracted page text, else content, else summary."""
        return self.full_text or self.content or self.summary


# --------------------------------------------------------------------------- fetching


class FetchStatus(enum.StrEnum):
    NEW = "new"
    """The feed had articles never seen before."""
    UPDATED = "updated"
    """No new articles, but some changed upstream."""
    UNCHANGED = "unchanged"
    """304, or the same content as last time."""
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class FeedState:
    """Per-feed HTTP metadata and health, kept in the store."""

    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_status: str = ""
    """A FetchStatus value, or '' when never fetched."""
    last_error: str | None = None
    last_warning: str | None = None
    last_attempt: str | None = None
    last_success: str | None = None
    title: str = ""


@dataclass(frozen=True, slots=True)
class FeedResult:
    """What one refresh did to one feed."""

    name: str
    status: FetchStatus
    new: int = 0
    updated: int = 0
    total: int = 0
    error: str | None = None
    """A reason a person can act on: 'timeout after 20 s', 'HTTP 404 Not Found'..."""
    warning: str | None = None
    elapsed: float = 0.0
    not_modified: bool = False
    """The server said 304 (or a local file was unchanged): nothing was parsed."""


@dataclass(frozen=True, slots=True)
class PageReport:
    """What one refresh's page step (full article text) did."""

    fetched: int = 0
    """Pages downloaded and their main text stored."""
    unchanged: int = 0
    """Pages the server said had not changed (304); the stored text is kept."""
    failed: int = 0
    """Pages that could not be fetched or read; the feed's own text stays."""
    skipped: int = 0
    """On-topic articles whose page was not needed (feed set to false, or long enough)."""
    fresh: int = 0
    """Pages with stored text checked within the last hour, so not requested again."""
    elapsed: float = 0.0
    failures: tuple[tuple[str, str], ...] = ()
    """(link, reason) for each page that failed, asked for or not."""
    error: str = ""
    """Why the page step stopped before it was done (a full disk, a locked cache);
    the counts are what it did before that."""
    elsewhere: int = 0
    """Pages left to another briefing process fetching them into the same cache."""


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one refresh did through the feed server of ``[sync]``."""

    server: str
    """'Miniflux at https://rss.example.org' (the same words as ``FeedConfig.via``)."""
    error: str | None = None
    """One line a person can act on when the server step failed; the cache stays."""
    feeds: int = 0
    new: int = 0
    """Articles the server had that the cache did not."""
    marks_pulled: int = 0
    """Read or starred marks made elsewhere and applied here."""
    marks_pushed: int = 0
    """Marks made here that the server now holds."""
    marks_queued: int = 0
    """Marks made here still waiting for the server (sent on the next refresh)."""
    requests: int = 0
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class RefreshSummary:
    results: tuple[FeedResult, ...]
    started: str
    finished: str
    offline: bool = False
    pages: PageReport | None = None
    """The page step's report; None when it did not run (``--no-full-text``)."""
    sync: SyncReport | None = None
    """What the feed server step did; None without ``[sync]``."""

    @property
    def any_succeeded(self) -> bool:
        return any(r.status is not FetchStatus.ERROR for r in self.results)

    @property
    def errors(self) -> tuple[FeedResult, ...]:
        return tuple(r for r in self.results if r.status is FetchStatus.ERROR)


# --------------------------------------------------------------------------- figures and facts


class FigureKind(enum.StrEnum):
    MONEY = "money"
    COUNT = "count"
    PERCENT = "percent"
    SIZE = "size"
    DATE = "date"


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` of some text, with a kind."""

    start: int
    end: int
    kind: str


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure found in text: '$13 trillion', '86 million music files', 'Jan. 20'."""

    kind: FigureKind
    text: str
    start: int
    end: int
    value: float | str
    """A number; for dates an ISO string ('2026-01-16' or '2025-12')."""
    unit: str
    """Currency code, counted noun phrase, '%', 'B', or '' for dates."""
    hedge: str = ""
    """'about', 'nearly', 'up to', 'more than', '~'... or ''."""


@dataclass(frozen=True, slots=True)
class FactValue:
    text: str
    value: float | str
    unit: str
    sources: tuple[str, ...]
    articles: tuple[str, ...]
    quotes: tuple[str, ...]
    spans: tuple[tuple[str, int, int], ...] = ()
    """(article id, sentence start, sentence end) for each quote."""


FactStatus = Literal["agreed", "differs", "revised", "single"]


@dataclass(frozen=True, slots=True)
class ValueReport:
    """When one value of a fact was reported: the days of its first and last report."""

    text: str
    value: float | str
    first: str
    """ISO date of the earliest article stating it ('' when no article is dated)."""
    last: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KeyFact:
    id: str
    label: str
    kind: FigureKind
    status: FactStatus
    """'agreed': every source gives the same value; 'differs': sources give different
    values for the same quantity; 'revised': later reports replaced an earlier value
    (see ``history``); 'single': one source so far."""
    values: tuple[FactValue, ...]
    note: str = ""
    """E.g. 'agree to within rounding'."""
    why: tuple[str, ...] = ()
    """Which words made these figures one fact, and what kept others apart."""
    history: tuple[ValueReport, ...] = ()
    """Each value with the days it was first and last reported, oldest first (for every
    fact with more than one value; a revised fact's last entry is the current one)."""
    within_rounding: bool = False
    """The values differ only as far as the precision they are written with allows."""

    @property
    def sources(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for value in self.values:
            for source in value.sources:
                seen.setdefault(source, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    date: str
    label: str
    sources: tuple[str, ...]
    articles: tuple[str, ...]
    fact: str = ""
    """Id of the key fact this dated event belongs to (its other dates are disputes)."""


@dataclass(frozen=True, slots=True)
class Briefing:
    topic: str
    generated: str
    facts: tuple[KeyFact, ...]
    timeline: tuple[TimelineEvent, ...]
    extra: dict[str, Any] = field(default_factory=dict)
