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
from typing import TYPE_CHECKING

from briefing.core.config import load_config, sample_config_path
from briefing.core.models import (
    Article,
    Briefing,
    Config,
    FeedResult,
    FeedState,
    FetchStatus,
    PageReport,
    RefreshSummary,
    SyncReport,
)
from briefing.core.store import FULL_TEXT_PENDING, Store, StoreError, parse_utc, utc_now
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
        self.origin: DataOrigin = origin
        self.notice = ""
        """A sentence for the user about where the data comes from, or ''."""

    # ------------------------------------------------------------------ reading

    def use_config(self, config: Config) -> None:
        """A feeds.toml read again while the reader runs: its feeds and topic from now on."""
        self.config = config
        self.topic_filter = TopicFilter(config.topic)

    @property
    def feed_names(self) -> list[str]:
        return [feed.name for feed in self.config.feeds]

    def articles(self, *, include_off_topic: bool = False) -> list[Article]:
        """Cached articles of the configured feeds, newest first."""
        articles = self.store.load_articles(self.feed_names, self.topic_filter)
        pending = any(a.full_text_status == FULL_TEXT_PENDING for a in articles)
        if pending and not self.store.page_step_running():  # left by a killed process
            articles = [
                replace(a, full_text_status="") if a.full_text_status == FULL_TEXT_PENDING else a
                for a in articles
            ]
        if include_off_topic:
            return articles
        return [a for a in articles if a.on_topic]

    def sources(self, articles: Sequence[Article] | None = None) -> list[SourceSummary]:
        if articles is None:
            articles = self.articles(include_off_topic=True)
        counts: dict[str, list[int]] = {}
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

    def briefing(self, articles: Sequence[Article] | None = None) -> Briefing:
        """The merged key facts and timeline of the on-topic articles.

        The last merge of this topic is kept in the store: when nothing it was
        made from has changed, a new process reads it instead of decoding every
        article's facts and merging again.
        """
        from briefing.core import merged_cache
        from briefing.core.facts import assemble_briefing, build_briefing, fact_cache_key

        if articles is None:
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
            stored = merged_cache.facts_from_record(self.store.get_meta(meta_name), digest)
        except StoreError:
            stored = None  # an unreadable entry is merged afresh and overwritten
        if stored is not None:
            facts, timeline = stored
            count = len(on_topic)
            return assemble_briefing(
                topic, None, facts, timeline, articles=count, extracted=0, cached=count
            )
        briefing = build_briefing(on_topic, topic, cache=self.store, vocabulary=self.config.facts)
        # The stored merge is only a shortcut for next time: a failed write
        # (disk full, a lock held too long) leaves this briefing good.
        with contextlib.suppress(StoreError):
            self.store.set_meta(meta_name, merged_cache.briefing_record(briefing, digest))
        return briefing

    # ------------------------------------------------------------------ state

    def set_read(self, ids: Sequence[str], read: bool = True) -> None:
        self.set_flags(ids, read=read)

    def set_starred(self, ids: Sequence[str], starred: bool) -> None:
        self.set_flags(ids, starred=starred)

    def set_flags(
        self, ids: Sequence[str], *, read: bool | None = None, starred: bool | None = None
    ) -> None:
        """Store marks; with ``[sync]`` they are queued for the server in the same write."""
        if self.server_sync is None:
            self.store.set_flags(ids, read=read, starred=starred)
            return
        with self.store.transaction():
            if read is not None:
                self.server_sync.record_marks(ids, "read", read)
            if starred is not None:
                self.server_sync.record_marks(ids, "starred", starred)

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
        from briefing.core.fetch import fetch_feeds

        started = utc_now()
        feeds = [f for f in self.config.feeds if f.enabled and not f.via]
        states = {f.name: self.store.feed_state(f.name) or FeedState(f.name, f.url) for f in feeds}
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
            # aclosing: a callback that raises (Ctrl-C) stops the downloads and
            # closes their connections now, not whenever the generator is collected.
            outcomes = fetch_feeds(
                feeds, states, self.config.settings, base_dir=base_dir, analyse=score_topic
            )
            async with contextlib.aclosing(outcomes):
                async for outcome in outcomes:
                    result = self._store_outcome(outcome, batch)
                    results.append(result)
                    if on_progress is not None:
                        on_progress(result, len(results), through_server + len(feeds))
        finally:
            batch.flush()
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
        articles = self.store.load_articles(list(modes), self.topic_filter)
        return await fetch_full_texts(
            self.store,
            articles,
            modes,
            self.config.settings,
            on_progress=on_progress,
            on_marked=on_marked,
        )

    def _store_outcome(self, outcome: FetchOutcome, batch: _StateBatch) -> FeedResult:
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
        if outcome.not_modified or outcome.parsed is None:
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
        parsed = outcome.parsed
        batch.flush()  # a transaction is coming anyway: nothing waits behind it
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
