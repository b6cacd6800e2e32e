"""The one service the CLI and the Textual app both call.

It ties config, fetch, store, topic and facts together, so that neither user
interface holds logic of its own.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefing.core.config import load_config, sample_config_path
from briefing.core.models import (
    Article,
    Briefing,
    Config,
    FeedResult,
    FeedState,
    FetchStatus,
    KeyFact,
    PageReport,
    RefreshSummary,
    SyncReport,
)
from briefing.core.store import (
    FULL_TEXT_PENDING,
    ArticleHeader,
    Fault,
    FeedCounts,
    Store,
    StoreError,
    parse_utc,
    topic_fingerprint,
    utc_now,
)
from briefing.core.topic import TopicFilter, match_feed_entries

if TYPE_CHECKING:
    from briefing.core.fetch import FetchOutcome
    from briefing.core.sync.engine import ServerSync

ProgressCallback = Callable[[FeedResult, int, int], None]
"""Called after each feed is stored: (result, feeds done, feeds total)."""
PageProgressCallback = Callable[[int, int], None]
"""Called after each article page is stored: (pages done, pages total)."""

SAMPLE_DIRNAME = "sample"


class DataOrigin(StrEnum):
    """Where the briefing on screen comes from; shown to the user."""

    NETWORK = "network"
    CACHE = "cache"
    SAMPLE = "sample"


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """One feed as the sources pane and `briefing feeds` show it."""

    name: str
    url: str
    enabled: bool
    tags: tuple[str, ...]
    health: str
    """'ok', 'stale', 'error' or 'new' (never fetched)."""
    last_status: str
    last_error: str | None
    last_warning: str | None
    last_success: str | None
    articles: int
    on_topic: int
    unread: int
    via: str = ""
    """The feed server it comes through ('' for a feed of feeds.toml)."""


STALE_AFTER_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class FirstScreen:
    """What the reader's first screen needs, read without loading every article."""

    headers: tuple[ArticleHeader, ...]
    """The newest on-topic articles of the configured feeds (at most the limit asked)."""
    sources: tuple[SourceSummary, ...]
    on_topic: int
    unread: int
    first_article: Article | None
    """The newest on-topic article, body and all (for the article pane)."""
    briefing: Briefing | None
    """The key facts when the stored merge is current; None when they must be worked
    out (``BriefingService.briefing()``, in the background)."""


def age_in_words(iso_time: str | None, now: datetime | None = None) -> str:
    """'3 min', '5 h', '2 days' since a UTC ISO time; 'never' for None."""
    if not iso_time:
        return "never"
    then = parse_utc(iso_time)
    if then is None:
        return "unknown"
    seconds = max(0.0, ((now or datetime.now(UTC)) - then).total_seconds())
    if seconds < 90:
        return "just now"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"


class BriefingService:
    def __init__(
        self, config: Config, store: Store, *, origin: DataOrigin = DataOrigin.CACHE
    ) -> None:
        self.server_sync: ServerSync | None = None
        """The feed server of ``[sync]``; its feeds join ``config.feeds``."""
        if config.sync is not None:
            from briefing.core.sync.engine import ServerSync

            self.server_sync = ServerSync(config, store)
            config = self.server_sync.with_server_feeds(config)
        self.config = config
        self.store = store
        self.topic_filter = TopicFilter(config.topic)
        self.fingerprint = topic_fingerprint(config.topic)
        self.origin: DataOrigin = origin
        self.notice = ""
        """A sentence for the user about where the data comes from, or ''."""
        if store.read_only:
            self.notice = f"Read-only: {store.notes.read_only}. Marks made now are not saved."
        self._unsaved_marks: dict[str, tuple[bool | None, bool | None]] = {}
        """Marks made on a cache that cannot be written: kept for this session only."""

    # ------------------------------------------------------------------ reading

    def use_config(self, config: Config) -> None:
        """A feeds.toml read again while the reader runs: its feeds and topic from now on."""
        self.config = config
        self.topic_filter = TopicFilter(config.topic)

    @property
    def feed_names(self) -> list[str]:
        return [feed.name for feed in self.config.feeds]

    @property
    def indexes_current(self) -> bool:
        """Whether the store's indexes were made under this config's topic (else the
        articles are matched again in memory, until a refresh stores the new matches)."""
        return self.store.topic_state()[0] == self.fingerprint

    def articles(self, *, include_off_topic: bool = False) -> list[Article]:
        """Cached articles of the configured feeds, newest first.

        On-topic ones alone are found through the index (only they are read)."""
        if not include_off_topic and self.indexes_current:
            ids = [h.id for h in self.store.headers(self.feed_names)]
            found = self.store.articles_by_id(ids)
            articles = [found[i] for i in ids if i in found]
            articles.sort(key=lambda a: a.sort_time, reverse=True)
        else:
            articles = self.store.load_articles(self.feed_names, self.topic_filter)
        articles = self._shown(articles)
        if include_off_topic:
            return articles
        return [a for a in articles if a.on_topic]

    def _shown(self, articles: list[Article]) -> list[Article]:
        """With this session's unsaved marks, and 'pending' marks of a killed process
        read as not tried."""
        pending = any(a.full_text_status == FULL_TEXT_PENDING for a in articles)
        if pending and not self.store.page_step_running():  # left by a killed process
            articles = [
                replace(a, full_text_status="") if a.full_text_status == FULL_TEXT_PENDING else a
                for a in articles
            ]
        if self._unsaved_marks:
            articles = [self._with_unsaved(a) for a in articles]
        return articles

    def _with_unsaved(self, item: Any) -> Any:
        marks = self._unsaved_marks.get(item.id)
        if marks is None:
            return item
        read, starred = marks
        return replace(
            item,
            read=item.read if read is None else read,
            starred=item.starred if starred is None else starred,
        )

    def headers(self, *, limit: int | None = None) -> list[ArticleHeader]:
        """The on-topic articles of the configured feeds as list rows, newest first,
        without reading their bodies; ``limit``: only the newest ones (quick whatever
        the size of the cache)."""
        if not self.indexes_current:
            articles = self.articles()[:limit] if limit is not None else self.articles()
            return [_header_of(a) for a in articles]
        if limit is not None:
            found = self.store.newest_headers(limit, self.feed_names)
        else:
            found = self.store.headers(self.feed_names)
        pending = any(h.full_text_status == FULL_TEXT_PENDING for h in found)
        if pending and not self.store.page_step_running():
            found = [
                replace(h, full_text_status="") if h.full_text_status == FULL_TEXT_PENDING else h
                for h in found
            ]
        if self._unsaved_marks:
            found = [self._with_unsaved(h) for h in found]
        return found

    def article(self, article_id: str) -> Article | None:
        found = self.store.articles_by_id([article_id]).get(article_id)
        if found is None or found.source not in self.feed_names:
            return None
        return self._shown([found])[0]

    def first_screen(self, limit: int = 200, *, with_facts: bool = False) -> FirstScreen:
        """The reader's first screen from the indexes alone: the newest ``limit``
        on-topic rows (no body read), every source with its counts, the totals and
        the first article; with ``with_facts``, the stored key facts' summary when
        current (else the reader works them out after the first paint)."""
        headers = self.headers(limit=limit)
        sources = self.sources()
        on_topic = sum(s.on_topic for s in sources)
        unread = sum(s.unread for s in sources)
        first = self.article(headers[0].id) if headers else None
        briefing = self.stored_briefing(detail=False) if with_facts else None
        return FirstScreen(tuple(headers), tuple(sources), on_topic, unread, first, briefing)

    def starred_articles(self) -> list[Article]:
        """The starred articles of the configured feeds, on topic or not (read whole:
        they are few), newest first."""
        feeds = set(self.feed_names)
        ids = [i for i, feed in self.store.starred_ids().items() if feed in feeds]
        found = sorted(
            self.store.articles_by_id(ids).values(), key=lambda a: a.sort_time, reverse=True
        )
        return [a for a in self._shown(found) if a.starred]

    def starred_count(self) -> int:
        feeds = set(self.feed_names)
        return sum(1 for feed in self.store.starred_ids().values() if feed in feeds)

    def topic_days(self) -> dict[str, int] | None:
        """On-topic articles per day (UTC) from the index; None when it is of another topic."""
        return self.store.topic_days() if self.indexes_current else None

    def sources(self, articles: Sequence[Article] | None = None) -> list[SourceSummary]:
        """Every configured feed with its health and counts; the counts come from the
        store's indexes, unless ``articles`` are given (or the topic changed)."""
        counts: dict[str, list[int]] = {}
        if articles is None and self.indexes_current and not self._unsaved_marks:
            for name, found in self.store.feed_counts(self.feed_names).items():
                counts[name] = [found.articles, found.on_topic, found.unread]
        else:
            if articles is None:
                articles = self.articles(include_off_topic=True)
            for article in articles:
                entry = counts.setdefault(article.source, [0, 0, 0])
                entry[0] += 1
                if article.on_topic:
                    entry[1] += 1
                    if not article.read:
                        entry[2] += 1
        now = datetime.now(UTC)
        summaries = []
        for feed in self.config.feeds:
            state = self.store.feed_state(feed.name) or FeedState(name=feed.name, url=feed.url)
            total, on_topic, unread = counts.get(feed.name, [0, 0, 0])
            summaries.append(
                SourceSummary(
                    name=feed.name,
                    url=feed.url,
                    enabled=feed.enabled,
                    tags=feed.tags,
                    health=_health(state, now),
                    last_status=state.last_status,
                    last_error=state.last_error,
                    last_warning=state.last_warning,
                    last_success=state.last_success,
                    articles=total,
                    on_topic=on_topic,
                    unread=unread,
                    via=feed.via,
                )
            )
        return summaries

    def last_refresh(self) -> str | None:
        value = self.store.get_meta("last_refresh")
        return value if isinstance(value, str) else None

    def _generation_digest(self) -> str | None:
        """What the store's index says the on-topic articles are, as a merge digest;
        None when the indexes are of another topic."""
        from briefing.core import merged_cache
        from briefing.core.facts.vocabulary import vocabulary_for

        fingerprint, generation = self.store.topic_state()
        if fingerprint != self.fingerprint:
            return None
        words = vocabulary_for(self.config.facts).digest
        return merged_cache.generation_digest(
            self.config.topic.name, fingerprint, generation, self.feed_names, words
        )

    def stored_briefing(self, *, detail: bool = True) -> Briefing | None:
        """The key facts of the last merge when nothing it was made from has changed
        (no article is read); None when they must be worked out again.

        ``detail=False``: the summary alone (what the facts pane lists; no quotes,
        articles, spans, why or history), a tenth of the reading or less; a fact's
        detail then comes from ``fact_detail``.
        """
        digest = self._generation_digest()
        if digest is None:
            return None
        count = sum(c.on_topic for c in self._counts().values())
        return self._stored(digest, count, detail=detail)

    def _stored(self, digest: str, count: int, *, detail: bool) -> Briefing | None:
        from briefing.core import merged_cache
        from briefing.core.facts import assemble_briefing

        topic = self.config.topic.name
        record = self.store.get_meta(merged_cache.meta_name(topic))
        stored = merged_cache.facts_from_record(record, digest)
        if stored is None:
            return None
        facts, timeline = stored
        merge = str(record["digest"])
        if detail:
            whole = self._whole_facts(merge, facts)
            if whole is None:
                return None
            facts = whole
        briefing = assemble_briefing(
            topic, None, facts, timeline, articles=count, extracted=0, cached=count
        )
        if not detail:
            briefing.extra["summary_of"] = merge
        return briefing

    def _whole_facts(
        self, merge: str, facts: Sequence[KeyFact], numbers: Sequence[int] | None = None
    ) -> tuple[KeyFact, ...] | None:
        """Summary facts made whole from the parts of the stored merge ``merge``
        (only facts ``numbers``, by place, when given); None when a part is missing."""
        from briefing.core import merged_cache

        topic = self.config.topic.name
        wanted = range(len(facts)) if numbers is None else numbers
        parts: dict[int, list[Any] | None] = {}
        whole = []
        for number in wanted:
            part, place = merged_cache.part_of(number)
            if part not in parts:
                record = self.store.get_meta(merged_cache.part_name(topic, merge, part))
                parts[part] = merged_cache.part_facts(record, merge)
            entries = parts[part]
            if entries is None or place >= len(entries):
                return None
            fact = merged_cache.with_detail(facts[number], entries[place])
            if fact is None:
                return None
            whole.append(fact)
        return tuple(whole)

    def fact_detail(self, briefing: Briefing, fact_id: str) -> KeyFact | None:
        """One fact of a summary briefing (``stored_briefing(detail=False)``) with its
        quotes, articles, spans, why and history: one part of the stored merge is
        read. A fact of a whole briefing is returned as it is; None when the stored
        merge was replaced meanwhile."""
        number = next((n for n, f in enumerate(briefing.facts) if f.id == fact_id), None)
        if number is None:
            return None
        merge = briefing.extra.get("summary_of")
        if not isinstance(merge, str):
            return briefing.facts[number]
        found = self._whole_facts(merge, briefing.facts, [number])
        return found[0] if found else None

    def _counts(self) -> dict[str, FeedCounts]:
        return self.store.feed_counts(self.feed_names)

    def briefing(self, articles: Sequence[Article] | None = None) -> Briefing:
        """The merged key facts and timeline of the on-topic articles.

        The last merge of this topic is kept in the store: when nothing it was
        made from has changed, a new process reads it instead of decoding every
        article's facts and merging again (without ``articles``, it reads no
        article to know that).
        """
        from briefing.core import merged_cache
        from briefing.core.facts import build_briefing, fact_cache_key

        generation_digest = None
        if articles is None:
            stored_briefing = self.stored_briefing()
            if stored_briefing is not None:
                return stored_briefing
            # Read before the articles: a change meanwhile gives a newer generation,
            # so this merge is never taken for a later state.
            generation_digest = self._generation_digest()
            articles = self.articles()
        on_topic = [a for a in articles if a.on_topic]
        topic = self.config.topic.name
        from briefing.core.facts.vocabulary import vocabulary_for

        words = vocabulary_for(self.config.facts)
        digest = merged_cache.merge_digest(
            topic, [fact_cache_key(a) for a in on_topic], words.digest
        )
        meta_name = merged_cache.meta_name(topic)
        try:
            stored = self._stored(digest, len(on_topic), detail=True)
        except StoreError:
            stored = None  # an unreadable entry is merged afresh and overwritten
        if stored is not None:
            return stored
        briefing = build_briefing(on_topic, topic, cache=self.store, vocabulary=self.config.facts)
        # The stored merge is only a shortcut for next time: a failed write
        # (disk full, a lock held too long, a read-only cache) leaves this briefing good.
        if not self.store.read_only:
            records = merged_cache.briefing_records(briefing, digest, generation_digest)
            with contextlib.suppress(StoreError):
                old = merged_cache.part_names(topic, self.store.get_meta(meta_name))
                self.store.put_meta(records, delete=[n for n in old if n not in records])
        return briefing

    # ------------------------------------------------------------------ state

    def set_read(self, ids: Sequence[str], read: bool = True) -> None:
        self.set_flags(ids, read=read)

    def set_starred(self, ids: Sequence[str], starred: bool) -> None:
        self.set_flags(ids, starred=starred)

    def set_flags(
        self, ids: Sequence[str], *, read: bool | None = None, starred: bool | None = None
    ) -> None:
        """Store marks; with ``[sync]`` they are queued for the server in the same write.
        On a cache that cannot be written they are kept for this session only."""
        if self.store.read_only:
            for identifier in ids:
                old_read, old_starred = self._unsaved_marks.get(identifier, (None, None))
                self._unsaved_marks[identifier] = (
                    old_read if read is None else read,
                    old_starred if starred is None else starred,
                )
            return
        if self.server_sync is None:
            self.store.set_flags(ids, read=read, starred=starred)
            return
        with self.store.transaction():
            if read is not None:
                self.server_sync.record_marks(ids, "read", read)
            if starred is not None:
                self.server_sync.record_marks(ids, "starred", starred)

    def damage_report(self) -> str:
        """A sentence about records this process found damaged, or ''."""
        damaged = len(self.store.damaged)
        if not damaged:
            return ""
        records = "1 damaged record" if damaged == 1 else f"{damaged} damaged records"
        return (
            f"{records} in the cache at {self.store.directory} could not be read and were"
            " left out; the next fetch of their feeds stores them again, and"
            " `briefing --repair-cache` copies everything still readable into a new cache"
        )

    # ------------------------------------------------------------------ refresh

    async def refresh(
        self,
        on_progress: ProgressCallback | None = None,
        *,
        full_text: bool = True,
        on_page_progress: PageProgressCallback | None = None,
        on_pages_start: Callable[[RefreshSummary], None] | None = None,
    ) -> RefreshSummary:
        """Fetch every enabled feed, store each as it arrives, and report per feed.

        Then, with ``full_text`` and when at least one feed answered, the page
        step fetches the article pages that feeds only summarise (see
        ``fetch_full_texts``). Every feed's ``on_progress`` comes before the first
        page is requested, so feed results are never held up by pages.
        ``on_pages_start`` gets the feeds' summary when the page step begins:
        every feed is stored and the articles waiting for a page are marked
        pending, and no page has been asked for yet.
        """
        import asyncio

        from briefing.core.fetch import fetch_feed_groups

        preload: asyncio.TimerHandle | None = None

        started = utc_now()
        # A changed topic: store the new matches first, so every index is of it.
        self.store.rematch_topic(self.topic_filter)
        feeds = [f for f in self.config.feeds if f.enabled and not f.via]
        stored = self.store.feed_states_of(f.name for f in feeds)
        states = {f.name: stored.get(f.name) or FeedState(f.name, f.url) for f in feeds}
        base_dir = Path(self.config.path).parent if self.config.path else None
        results: list[FeedResult] = []
        score_topic = partial(match_feed_entries, self.config.topic)
        # States of feeds with nothing new (a 304, an error) are written in
        # batches: one transaction each is most of a warm refresh's store time.
        batch = _StateBatch(self.store)
        sync: SyncReport | None = None
        try:
            if self.server_sync is not None:  # the server's feeds come through it
                sync = await self._refresh_through_server(batch, results, on_progress, len(feeds))
            through_server = len(results)
            # A feed of feeds.toml that the server follows too comes through it.
            server_names = {f.name for f in self.config.feeds if f.via}
            feeds = [f for f in feeds if f.name not in server_names]
            # The list of sources is written once, not once for each new feed.
            if not self.store.read_only:
                self.store.add_sources((f.name for f in feeds), first_states=states)
            # aclosing: a callback that raises (Ctrl-C) stops the downloads and
            # closes their connections now, not whenever the generator is collected.
            groups = fetch_feed_groups(
                feeds, states, self.config.settings, base_dir=base_dir, analyse=score_topic
            )
            # The page step's module is loaded while the first answers are awaited
            # (the loop is idle then), not after the last one.
            preload = (
                asyncio.get_running_loop().call_later(PRELOAD_AFTER, _preload_page_step)
                if full_text
                else None
            )
            async with contextlib.aclosing(groups):
                async for group in groups:
                    # The feeds that came in together are stored together.
                    for result in self._store_group(group, batch):
                        results.append(result)
                        if on_progress is not None:
                            on_progress(result, len(results), through_server + len(feeds))
        finally:
            batch.flush()
            if preload is not None:
                preload.cancel()
        if not self.store.still_there():
            raise StoreError(
                f"the cache at {self.store.directory} was deleted or replaced during the"
                " refresh; what was fetched is not kept (run the command again)",
                self.store.directory,
                rebuildable=False,
                fault=Fault.VANISHED,
            )
        any_succeeded = any(r.status is not FetchStatus.ERROR for r in results)
        if any_succeeded:
            self.store.set_meta("last_refresh", utc_now())
            if self.origin != DataOrigin.SAMPLE:  # the sample's feeds are bundled files
                self.origin = DataOrigin.NETWORK
        order = {name: index for index, name in enumerate(self.feed_names)}
        results.sort(key=lambda r: order.get(r.name, len(order)))
        summary = RefreshSummary(
            results=tuple(results), started=started, finished=utc_now(), sync=sync
        )
        if not (full_text and any_succeeded):
            return summary
        feeds_done = summary
        try:
            pages = await self.fetch_full_texts(
                on_progress=on_page_progress,
                on_marked=None if on_pages_start is None else lambda: on_pages_start(feeds_done),
            )
        except Exception as error:  # the feeds are stored: their results stand
            reason = str(error) if isinstance(error, StoreError) else (
                f"unexpected error: {type(error).__name__}: {error}"
            )  # fmt: skip
            pages = PageReport(error=reason)
        return replace(summary, pages=pages, finished=utc_now())

    async def _refresh_through_server(
        self,
        batch: _StateBatch,
        results: list[FeedResult],
        on_progress: ProgressCallback | None,
        direct: int,
    ) -> SyncReport:
        """The sync step (``briefing.core.sync.engine``): its feeds are stored with
        ``_store_outcome`` like fetched ones; a failed sync is one result."""
        import asyncio

        server_sync = self.server_sync
        assert server_sync is not None

        def on_result(result: FeedResult, server_feeds: int) -> None:
            results.append(result)
            if on_progress is not None:
                on_progress(result, len(results), server_feeds + direct)

        store_outcome = partial(self._store_outcome, batch=batch)
        report = await asyncio.to_thread(
            server_sync.refresh, self.topic_filter, store_outcome, on_result
        )
        if report.error is not None:
            failed = FeedResult(report.server, FetchStatus.ERROR, error=report.error)
            on_result(failed, len(results) + 1)
        self.config = server_sync.with_server_feeds(self.config)
        return report

    async def fetch_full_texts(
        self,
        on_progress: PageProgressCallback | None = None,
        on_marked: Callable[[], None] | None = None,
    ) -> PageReport:
        """The page step alone: fetch, extract and store the main text of the
        on-topic articles of enabled feeds that need it (per their ``full_text``
        setting), conditionally when a page was fetched before. ``on_marked``:
        see ``fulltext.fetch_full_texts``."""
        from briefing.core.fulltext import fetch_full_texts

        modes = {f.name: f.full_text for f in self.config.feeds if f.enabled}
        return await fetch_full_texts(
            self.store,
            modes,
            self.config.settings,
            on_progress=on_progress,
            on_marked=on_marked,
        )

    def _store_outcome(self, outcome: FetchOutcome, batch: _StateBatch) -> FeedResult:
        if _has_entries(outcome):
            batch.flush()  # a transaction is coming anyway: nothing waits behind it
            return self._store_parsed(outcome)
        return self._note_unchanged(outcome, batch)

    def _store_group(self, group: Sequence[FetchOutcome], batch: _StateBatch) -> list[FeedResult]:
        """The results of feeds that came in together, in their order; feeds with
        entries are stored in few transactions (``GROUP_FEEDS`` feeds or
        ``GROUP_ENTRIES`` entries at most each), with the states waiting in ``batch``."""
        results: list[FeedResult | None] = [None] * len(group)
        chunk: list[int] = []
        entries = 0

        def store_chunk() -> None:
            with self.store.transaction():
                batch.flush()
                for index in chunk:
                    results[index] = self._store_parsed(group[index])
            chunk.clear()

        for index, outcome in enumerate(group):
            if not _has_entries(outcome):
                results[index] = self._note_unchanged(outcome, batch)
                continue
            chunk.append(index)
            assert outcome.parsed is not None
            entries += len(outcome.parsed.entries)
            if len(chunk) >= GROUP_FEEDS or entries >= GROUP_ENTRIES:
                store_chunk()
                entries = 0
        if chunk:
            store_chunk()
        return [result for result in results if result is not None]

    def _note_unchanged(self, outcome: FetchOutcome, batch: _StateBatch) -> FeedResult:
        """A feed with nothing to store (an error, a 304): its state waits in ``batch``."""
        feed = outcome.feed
        now = utc_now()
        state = outcome.state
        if outcome.error is not None:
            state = replace(
                state,
                last_status=FetchStatus.ERROR.value,
                last_error=outcome.error,
                last_attempt=now,
            )
            batch.add(state)
            return FeedResult(
                feed.name, FetchStatus.ERROR, error=outcome.error, elapsed=outcome.elapsed
            )
        state = replace(
            state,
            last_status=FetchStatus.UNCHANGED.value,
            last_error=None,
            last_attempt=now,
            last_success=now,
        )
        batch.add(state)
        return FeedResult(
            feed.name,
            FetchStatus.UNCHANGED,
            elapsed=outcome.elapsed,
            not_modified=outcome.not_modified,
        )

    def _store_parsed(self, outcome: FetchOutcome) -> FeedResult:
        """A feed's entries and its state, in one transaction."""
        feed = outcome.feed
        now = utc_now()
        state = outcome.state
        parsed = outcome.parsed
        assert parsed is not None
        with self.store.transaction():
            counts = self.store.save_entries(
                feed.name,
                parsed.entries,
                self.topic_filter,
                retention_days=self.config.settings.retention_days,
                now=now,
                state=None,
                matches=outcome.analysis if isinstance(outcome.analysis, dict) else None,
            )
            if counts.new:
                status = FetchStatus.NEW
            elif counts.updated:
                status = FetchStatus.UPDATED
            else:
                status = FetchStatus.UNCHANGED
            state = replace(
                state,
                last_status=status.value,
                last_error=None,
                last_warning=parsed.warning,
                last_attempt=now,
                last_success=now,
                title=parsed.title or state.title,
            )
            self.store.save_feed_state(state)
        return FeedResult(
            feed.name,
            status,
            new=counts.new,
            updated=counts.updated,
            total=counts.total,
            warning=parsed.warning,
            elapsed=outcome.elapsed,
        )


PRELOAD_AFTER = 0.01
"""Seconds after the feed requests start: they are all sent by then, and no answer
(50 ms away on a distant server) has come yet."""


def _preload_page_step() -> None:
    import briefing.core.fulltext  # noqa: F401 -- loaded now, used after the feeds


GROUP_FEEDS = 20
"""Feeds with entries stored in one transaction at most (when that many came in at once)."""
GROUP_ENTRIES = 2000
"""...and entries: a transaction holds the cache's write lock, which marks made in the
reader wait for."""


def _has_entries(outcome: FetchOutcome) -> bool:
    return outcome.error is None and not outcome.not_modified and outcome.parsed is not None


class _StateBatch:
    """Feed states waiting to be written together. They go in when there are
    ``SIZE`` of them, when the oldest has waited ``SECONDS`` and another comes,
    whenever a feed with new articles is stored, and at the end of the refresh.
    They hold no articles: a killed refresh loses at most these feeds' last
    status, never an article or a validator it would need (an unchanged feed
    keeps its ETag)."""

    SIZE = 50
    SECONDS = 0.5

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pending: list[FeedState] = []
        self.since = time.monotonic()

    def add(self, state: FeedState) -> None:
        if not self.pending:
            self.since = time.monotonic()
        self.pending.append(state)
        if len(self.pending) >= self.SIZE or time.monotonic() - self.since >= self.SECONDS:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        self.store.save_feed_states(pending)


def _header_of(article: Article) -> ArticleHeader:
    from briefing.core.store import time_key

    return ArticleHeader(
        article.id, article.source, article.title, article.link, article.published,
        article.first_seen, article.relevance, article.read, article.starred,
        article.full_text_status, time_key(article.published, article.first_seen),
    )  # fmt: skip


def _health(state: FeedState, now: datetime) -> str:
    if not state.last_status:
        return "new"
    if state.last_status == FetchStatus.ERROR.value:
        return "error"
    if state.last_success:
        then = parse_utc(state.last_success)
        if then is None or (now - then).total_seconds() > STALE_AFTER_SECONDS:
            return "stale"
    return "ok"


# ---------------------------------------------------------------------- the bundled sample


def sample_cache_dir(cache_dir: Path) -> Path:
    return cache_dir / SAMPLE_DIRNAME


def open_sample(cache_dir: Path) -> BriefingService:
    """The bundled sample briefing, in a cache of its own beside the user's.

    The sample feeds are local files, so loading them needs no network.
    """
    import asyncio

    config = load_config(sample_config_path())
    try:
        store = Store(sample_cache_dir(cache_dir))
    except StoreError as error:
        if not error.rebuildable:
            raise
        # The sample's cache holds nothing that cannot be made again from the
        # bundled files: move the broken one aside and start a new one.
        Store.move_aside(error.directory)
        store = Store(sample_cache_dir(cache_dir))
    if store.read_only and store.read_only_fault == Fault.DAMAGED:
        store.close()  # damaged records: the same, a new one from the bundled files
        Store.move_aside(sample_cache_dir(cache_dir))
        store = Store(sample_cache_dir(cache_dir))
    service = BriefingService(config, store, origin=DataOrigin.SAMPLE)
    if store.count_articles() == 0 or _sample_changed(store):
        # The sample's links are placeholders: never fetch their pages.
        asyncio.run(service.refresh(full_text=False))
        store.set_meta("sample_version", _sample_stamp())
    service.notice = (
        "Showing the bundled SAMPLE briefing (fictional articles written for the demo)."
    )
    return service


def _sample_stamp() -> float:
    folder = sample_config_path().parent
    return max((p.stat().st_mtime for p in folder.rglob("*") if p.is_file()), default=0.0)


def _sample_changed(store: Store) -> bool:
    return bool(store.get_meta("sample_version") != _sample_stamp())
