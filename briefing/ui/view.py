"""What the reader shows, as plain data: the loaded articles, sources and briefing.

The core does the work (topic matching, facts, health); this module only
picks which of the core's results a pane lists: the articles of one source,
of one fact, of one timeline event, or of a search.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

from briefing.core.models import Article, Briefing, KeyFact, TimelineEvent
from briefing.core.service import BriefingService, SourceSummary
from briefing.core.store import ArticleHeader
from briefing.core.topic import fold, quick_text

DIFFERING_STATUSES = frozenset({"differs", "revised"})
"""Fact statuses that ``d`` keeps: sources disagree, or a value was revised."""

ALL_SOURCES = "all"
STARRED = "starred"
FEED_PREFIX = "feed:"

ScopeKind = Literal["source", "fact", "event", "search"]


@dataclass(frozen=True, slots=True)
class ListScope:
    """Which articles the article list shows, and what its heading says."""

    kind: ScopeKind
    key: str
    """A source key ('all', 'starred', 'feed:<name>'), a fact id, an event date or a query."""
    label: str
    ids: frozenset[str] | None = None
    """For facts, events and searches: the articles that belong."""
    feeds: frozenset[str] | None = None
    """All sources of one tag: the feeds that carry it (None: every feed)."""

    @classmethod
    def source(cls, key: str, tag: TagFilter | None = None) -> ListScope:
        if key == ALL_SOURCES:
            if tag is not None:
                return cls("source", key, f"All tagged {tag.tag}", feeds=tag.feeds)
            return cls("source", key, "All sources")
        if key == STARRED:
            return cls("source", key, "Starred")
        if key.startswith(USER_FEED_PREFIX):
            return cls("source", key, key.removeprefix(USER_FEED_PREFIX))
        return cls("source", key, key.removeprefix(FEED_PREFIX))


@dataclass(frozen=True, slots=True)
class TagFilter:
    """The Sources list narrowed to the feeds with one tag from feeds.toml."""

    tag: str
    feeds: frozenset[str]


def tags_of(sources: Sequence[SourceSummary]) -> dict[str, int]:
    """Every tag in feeds.toml and how many feeds carry it, in first-seen order."""
    counts: dict[str, int] = {}
    for source in sources:
        for tag in source.tags:
            counts[tag] = counts.get(tag, 0) + 1
    return counts


def tag_filter(sources: Sequence[SourceSummary], tag: str | None) -> TagFilter | None:
    if not tag:
        return None
    feeds = frozenset(s.name for s in sources if tag in s.tags)
    return TagFilter(tag, feeds) if feeds else None


USER_FEED_PREFIX = "yours:"
"""A feed of the user's feeds.toml listed while the sample stands in for it."""


def feed_key(name: str) -> str:
    return FEED_PREFIX + name


@dataclass(slots=True)
class ReaderData:
    """One load of the cache, as list rows: the on-topic articles and the starred
    ones (newest first), sources and briefing.

    A row may be an article without its body (built from the store's header
    index): ``article()`` reads the whole article when it is shown, once. The
    first screen's load is ``partial``: only the newest rows, with the totals
    from the indexes; the whole list follows a moment later.
    """

    articles: list[Article]
    sources: list[SourceSummary]
    briefing: Briefing | None
    load_seconds: float = 0.0
    read_article: Callable[[str], Article | None] | None = None
    """Reads a whole article (the rows in ``bodiless`` have no body)."""
    bodiless: set[str] = field(default_factory=set)
    partial: bool = False
    """Only the newest rows: the counts come from ``totals`` and the indexes."""
    totals: tuple[int, int, int] = (0, 0, 0)
    """(on topic, unread on topic, starred) from the indexes, for a partial load."""
    days: dict[str, int] | None = None
    """On-topic articles per day from the index, for a partial load."""
    read_fact: Callable[[Briefing, str], KeyFact | None] | None = None
    """Makes a fact of a summary briefing whole (its quotes and articles), once."""
    _index: dict[str, int] = field(default_factory=dict)
    _whole_facts: dict[str, KeyFact] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index = {article.id: number for number, article in enumerate(self.articles)}

    @property
    def on_topic(self) -> list[Article]:
        return [a for a in self.articles if a.on_topic]

    @property
    def cached(self) -> bool:
        """Whether the cache holds any article of these feeds, on topic or not."""
        return bool(self.articles) or any(s.articles for s in self.sources)

    def on_topic_count(self, feeds: frozenset[str] | None = None) -> int:
        if self.partial:
            return sum(s.on_topic for s in self.sources if feeds is None or s.name in feeds)
        return sum(1 for a in self.articles if a.on_topic and (feeds is None or a.source in feeds))

    def unread_on_topic(self) -> int:
        if self.partial:
            return self.totals[1]
        return sum(1 for a in self.articles if a.on_topic and not a.read)

    def starred_count(self) -> int:
        if self.partial:
            return self.totals[2]
        return sum(1 for a in self.articles if a.starred)

    def row(self, article_id: str) -> Article | None:
        """The list row of an article (its body may not be read yet)."""
        number = self._index.get(article_id)
        return None if number is None else self.articles[number]

    def article(self, article_id: str) -> Article | None:
        """The whole article (read from the store the first time, when its row has no body)."""
        number = self._index.get(article_id)
        if number is None:
            return None
        row = self.articles[number]
        if article_id in self.bodiless and self.read_article is not None:
            whole = self.read_article(article_id)
            self.bodiless.discard(article_id)
            if whole is not None:
                # The marks on screen win: they may be newer than the store's.
                row = replace(whole, read=row.read, starred=row.starred)
                self.articles[number] = row
        return row

    def replace_article(self, article: Article) -> None:
        number = self._index.get(article.id)
        if number is not None:
            self.articles[number] = article
            self.bodiless.discard(article.id)

    def include(self, articles: Iterable[Article]) -> None:
        """Add whole articles that have no row yet (a search's off-topic matches)."""
        added = [a for a in articles if a.id not in self._index]
        if not added:
            return
        self.articles = sorted([*self.articles, *added], key=lambda a: a.sort_time, reverse=True)
        self._index = {article.id: number for number, article in enumerate(self.articles)}

    def set_flags(
        self, ids: Iterable[str], *, read: bool | None = None, starred: bool | None = None
    ) -> list[Article]:
        changed = []
        for article_id in ids:
            number = self._index.get(article_id)
            if number is None:
                continue
            article = self.articles[number]  # the row: marking reads no body
            updated = replace(
                article,
                read=article.read if read is None else read,
                starred=article.starred if starred is None else starred,
            )
            self.articles[number] = updated
            changed.append(updated)
        return changed

    def articles_in(self, scope: ListScope) -> list[Article]:
        if scope.kind == "source":
            if scope.key == STARRED:
                return [a for a in self.articles if a.starred]
            if scope.key.startswith(FEED_PREFIX):
                name = scope.key.removeprefix(FEED_PREFIX)
                return [a for a in self.articles if a.on_topic and a.source == name]
            if scope.key.startswith(USER_FEED_PREFIX):
                return []  # the user's feed while the sample stands in: nothing yet
            if scope.feeds is not None:
                return [a for a in self.articles if a.on_topic and a.source in scope.feeds]
            return self.on_topic
        ids = scope.ids or frozenset()
        return [a for a in self.articles if a.id in ids]

    def unread_count(self, scope: ListScope) -> int:
        return sum(1 for a in self.articles_in(scope) if not a.read)

    def source_unread(self) -> dict[str, int]:
        """Unread on-topic articles per feed, counted from the rows in memory (from
        the indexes for a partial load)."""
        if self.partial:
            return {s.name: s.unread for s in self.sources if s.unread}
        counts: Counter[str] = Counter(a.source for a in self.articles if a.on_topic and not a.read)
        return dict(counts)

    def facts(self, *, differing_only: bool = False) -> list[KeyFact]:
        if self.briefing is None:
            return []
        facts = list(self.briefing.facts)
        if differing_only:
            facts = [f for f in facts if f.status in DIFFERING_STATUSES]
        return facts

    def fact(self, fact_id: str) -> KeyFact | None:
        """The whole fact, quotes and all (one part of the stored merge read, once,
        when the briefing is a summary)."""
        briefing = self.briefing
        if briefing is None:
            return None
        whole = self._whole_facts.get(fact_id)
        if whole is not None:
            return whole
        fact = next((f for f in briefing.facts if f.id == fact_id), None)
        if fact is None or self.read_fact is None or "summary_of" not in briefing.extra:
            return fact
        whole = self.read_fact(briefing, fact_id)
        if whole is None:
            return fact  # the stored merge was replaced meanwhile: the summary stays
        self._whole_facts[fact_id] = whole
        return whole

    def timeline(self) -> list[TimelineEvent]:
        return list(self.briefing.timeline) if self.briefing is not None else []

    def articles_per_day(self, days: int = 60) -> tuple[list[int], date | None, date | None]:
        """On-topic articles per day from the first dated one (at most ``days`` back)."""
        counts: Counter[date] = Counter()
        if self.partial and self.days is not None:
            for day, number in self.days.items():
                with contextlib.suppress(ValueError):
                    counts[date.fromisoformat(day[:10])] += number
        for article in () if self.partial and self.days is not None else self.articles:
            if not article.on_topic:
                continue
            try:
                counts[date.fromisoformat(article.sort_time[:10])] += 1
            except ValueError:
                continue
        if not counts:
            return [], None, None
        last = max(counts)
        first = max(min(counts), last - timedelta(days=days - 1))
        series = [counts.get(first + timedelta(days=n), 0) for n in range((last - first).days + 1)]
        return series, first, last


FIRST_ROWS = 100
"""Rows of the first screen's load: more than a list pane shows, whatever the size."""


def article_row(header: ArticleHeader) -> Article:
    """A list row from the header index: every field but the body."""
    return Article(
        header.id, header.source, header.title, header.link, "", header.published, "", "",
        header.first_seen, header.read, header.starred, header.relevance, True, "",
        header.full_text_status,
    )  # fmt: skip


def _rows(
    service: BriefingService, headers: Sequence[ArticleHeader], first: Article | None
) -> tuple[list[Article], set[str]]:
    rows = [article_row(h) for h in headers]
    bodiless = {row.id for row in rows}
    if first is not None and rows and rows[0].id == first.id:
        rows[0] = first
        bodiless.discard(first.id)
    return rows, bodiless


def load_first_screen(service: BriefingService, limit: int = FIRST_ROWS) -> ReaderData:
    """What the first frame shows, from the indexes: the newest rows, the sources
    and their counts, the first article whole (see ``BriefingService.first_screen``).
    The whole list is ``load_reader_data``; the key facts ``load_briefing``."""
    started = time.perf_counter()
    screen = service.first_screen(limit)
    rows, bodiless = _rows(service, screen.headers, screen.first_article)
    starred = service.starred_count()
    partial = len(rows) < screen.on_topic or starred > sum(1 for r in rows if r.starred)
    return ReaderData(
        rows,
        list(screen.sources),
        None,
        time.perf_counter() - started,
        read_article=service.article,
        bodiless=bodiless,
        partial=partial,
        totals=(screen.on_topic, screen.unread, starred),
        days=service.topic_days() if partial else None,
        read_fact=service.fact_detail,
    )


def load_reader_data(service: BriefingService) -> ReaderData:
    """Every list row and the sources, without the briefing: from the indexes (no
    article body is read but the starred off-topic ones'), so off the UI thread
    only because it grows with the on-topic articles."""
    started = time.perf_counter()
    headers = service.headers()
    rows, bodiless = _rows(service, headers, None)
    known = {row.id for row in rows}
    extra = [a for a in service.starred_articles() if a.id not in known]
    if extra:
        rows = sorted([*rows, *extra], key=lambda a: a.sort_time, reverse=True)
    sources = service.sources()
    return ReaderData(
        rows,
        sources,
        None,
        time.perf_counter() - started,
        read_article=service.article,
        bodiless=bodiless,
        read_fact=service.fact_detail,
    )


def load_briefing(service: BriefingService, data: ReaderData) -> Briefing | None:
    """The key facts: the stored summary when current (what the facts pane lists;
    a fact's quotes are read when it is opened), else worked out, which can take
    seconds on a cold facts cache."""
    if not data.on_topic_count():
        return None
    summary = service.stored_briefing(detail=False)
    if summary is not None:
        return summary
    return service.briefing()


def search_articles(
    service: BriefingService, index: SearchIndex, query: str
) -> tuple[list[str], list[Article]]:
    """Ids of every cached article (on topic or not) whose title or body holds every
    word of ``query``, newest first, and those articles; read feed by feed, so a
    large cache is never all in memory at once."""
    found: list[Article] = []
    for name in service.feed_names:
        articles = service.store.load_articles([name], service.topic_filter)
        found += [articles[n] for n in index.search_positions(articles, query)]
    found.sort(key=lambda a: a.sort_time, reverse=True)
    return [a.id for a in found], found


class SearchIndex:
    """Folded title and body text of each article, built once, searched many times."""

    def __init__(self) -> None:
        self._texts: dict[tuple[str, str, int], str] = {}

    def _text(self, article: Article) -> str:
        # Keyed on the text's size too, so an article a refresh changed is read again.
        key = (article.id, article.title, len(article.body_html))
        text = self._texts.get(key)
        if text is None:
            text = fold(f"{article.title}\n{quick_text(article.body_html)}")
            self._texts[key] = text
        return text

    def search(self, articles: Sequence[Article], query: str) -> list[str]:
        """Ids of the articles whose title or body holds every word of the query."""
        return [articles[n].id for n in self.search_positions(articles, query)]

    def search_positions(self, articles: Sequence[Article], query: str) -> list[int]:
        terms = fold(query).split()
        if not terms:
            return []
        return [n for n, a in enumerate(articles) if all(term in self._text(a) for term in terms)]


META_SOURCE = "ui.source"
META_ARTICLE = "ui.article"
META_SEEN_FACTS = "ui.seen_facts"


def fact_signature(fact: KeyFact) -> str:
    """What a fact said: its status and values. Another signature next visit means
    the fact changed (a new value, a revision, sources now agreeing)."""
    return fact.status + "|" + "|".join(sorted(str(value.value) for value in fact.values))


def fact_changes(
    facts: Sequence[KeyFact], seen: Mapping[str, str] | None
) -> tuple[set[str], set[str]]:
    """(new fact ids, changed fact ids) against what the last visit saw; nothing is
    new or changed on a first visit. A fact seen under the old format (no
    signature) is never called changed."""
    if seen is None:
        return set(), set()
    new = {f.id for f in facts if f.id not in seen}
    changed = {f.id for f in facts if seen.get(f.id) and seen[f.id] != fact_signature(f)}
    return new, changed


@dataclass(slots=True)
class Session:
    """The user's place, kept in the store between runs."""

    source: str | None = None
    article: str | None = None
    seen_facts: dict[str, str] | None = None
    """Fact id -> signature, of the facts the previous session showed; None when there
    was none."""

    @classmethod
    def load(cls, service: BriefingService) -> Session:
        store = service.store
        source = store.get_meta(META_SOURCE)
        article = store.get_meta(META_ARTICLE)
        seen = store.get_meta(META_SEEN_FACTS)
        facts: dict[str, str] | None = None
        if isinstance(seen, list):  # the first format: ids only
            facts = {str(i): "" for i in seen}
        elif isinstance(seen, dict):
            facts = {str(k): str(v) for k, v in seen.items()}
        return cls(
            source if isinstance(source, str) else None,
            article if isinstance(article, str) else None,
            facts,
        )


class Preload:
    """Read the cache in a thread started before the app, while Textual starts up.

    When it is done by the time the main screen mounts, the first frame the
    user sees is already the full screen.
    """

    def __init__(self, service: BriefingService) -> None:
        self.service = service
        self.session: Session | None = None
        self.data: ReaderData | None = None
        self.error: BaseException | None = None
        self._done = threading.Event()
        threading.Thread(target=self._run, name="briefing-preload", daemon=True).start()

    def _run(self) -> None:
        try:
            self.session = Session.load(self.service)
            self.data = load_first_screen(self.service)
        except BaseException as error:  # handed to the UI thread, which reports it
            self.error = error
        finally:
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)
