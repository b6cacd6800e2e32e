"""One refresh through the feed server: pull, reconcile marks, store, push.

1. Pull what changed on the server (its subscriptions, new entries, marks).
2. Decide each mark with ``reconcile.decide`` against the marks waiting in
   the queue and the marks the server held at the last sync.
3. Store the entries through the same path as fetched feeds (the service's
   ``_store_outcome``, so the topic filter, key facts and full-text step see
   them unchanged), one feed at a time, and set the marks decided.
4. Send the waiting marks the server lacks, read them back, and let go of
   those it was seen to hold.

Entries the server deleted stay in the cache like articles a feed drops
(until ``retention_days``; starred ones for ever). A server that cannot be
reached leaves everything as it was, marks queued.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from briefing.core.fetch import FetchOutcome
from briefing.core.models import (
    Config,
    FeedConfig,
    FeedResult,
    FeedState,
    FetchStatus,
    ParsedEntry,
    ParsedFeed,
    SyncReport,
)
from briefing.core.store import Store, article_id, utc_now
from briefing.core.sync.account import Account
from briefing.core.sync.queue import MarkQueue, QueuedMark
from briefing.core.sync.reconcile import Pending, decide, needs_time
from briefing.core.sync.server import (
    FLAGS,
    EntryState,
    Flag,
    MarkChange,
    PullResult,
    ServerEntry,
    SyncBackend,
    SyncError,
)
from briefing.core.sync.state import BaseEntry, SyncState, feed_url_key, text_digest
from briefing.core.sync.transport import SyncTransport, UrllibTransport
from briefing.core.textclean import clean_line
from briefing.core.topic import TopicFilter, TopicMatch

StoreOutcome = Callable[[FetchOutcome], FeedResult]
LOCK_SECONDS = 15 * 60
"""A sync lock older than this (or dated this far ahead: the clock was set back) is
taken over: its process hung or its clock jumped."""


class ServerSync:
    """The feed server of one service: its client (and login), state and queue."""

    def __init__(
        self, config: Config, store: Store, *, transport: SyncTransport | None = None
    ) -> None:
        if config.sync is None:
            raise ValueError("ServerSync needs a [sync] table")
        self.sync = config.sync
        self.account = Account(config.sync)
        self.store = store
        self.timeout = config.settings.timeout
        self.own_feeds = tuple(f for f in config.feeds if not f.via)
        self.own_names = tuple(f.name for f in self.own_feeds)
        self.queue = MarkQueue(store, self.account.key)
        self._transport = transport
        self._backend: SyncBackend | None = None
        self._held: dict[str, float] | None = None
        """The lock record this sync wrote, while it holds the lock."""

    @property
    def label(self) -> str:
        return self.account.label

    @property
    def backend(self) -> SyncBackend:
        if self._backend is None:
            transport = self._transport or UrllibTransport(timeout=self.timeout)
            if self.sync.backend == "greader":
                from briefing.core.sync.greader import GReaderClient

                self._backend = GReaderClient(self.account, transport)
            else:
                from briefing.core.sync.miniflux import MinifluxClient

                self._backend = MinifluxClient(self.account, transport)
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()

    # ------------------------------------------------------------------ no network

    def feeds(self) -> tuple[FeedConfig, ...]:
        """The server's feeds as the last sync saw them (none before the first)."""
        state = SyncState.load(self.store, self.account.key, entries=False)
        return state.feed_configs(self.label, self.sync.full_text)

    def with_server_feeds(self, config: Config) -> Config:
        """feeds.toml's feeds and the server's. A feed in feeds.toml that the server
        follows too is read through the server (one source per feed), with its own
        ``full_text`` and tags."""
        own = {f.name: f for f in config.feeds if not f.via}
        server = []
        for feed in self.feeds():
            mine = own.pop(feed.name, None)
            if mine is not None:
                feed = replace(feed, full_text=mine.full_text, tags=mine.tags or feed.tags)
            server.append(feed)
        return replace(config, feeds=(*own.values(), *server))

    def status(self) -> dict[str, Any]:
        """Last attempt, last success, last error and the marks still queued."""
        state = SyncState.load(self.store, self.account.key, entries=False)
        meta = state.meta
        return {
            "server": self.label,
            "last_attempt": meta.get("last_attempt"),
            "last_success": meta.get("last_success"),
            "last_error": meta.get("last_error"),
            "queued": len(self.queue),
        }

    def record_marks(self, article_ids: Sequence[str], flag: Flag, value: bool) -> None:
        """Set a mark here, and queue it for the server in the same transaction."""
        with self.store.transaction():
            if flag == "read":
                self.store.set_flags(article_ids, read=value)
            else:
                self.store.set_flags(article_ids, starred=value)
            state = SyncState.load(self.store, self.account.key)
            entries = state.entry_of_article(article_ids)
            if entries:
                pairs = [(entries[a], a) for a in article_ids if a in entries]
                self.queue.add(pairs, flag, value, time.time())

    # ------------------------------------------------------------------ refresh

    def refresh(
        self,
        topic_filter: TopicFilter,
        store_outcome: StoreOutcome,
        on_result: Callable[[FeedResult, int], None],
    ) -> SyncReport:
        """Pull, reconcile, store and push. ``on_result(result, feeds)`` is called
        for each stored feed, with the number of feeds the server has."""
        started = time.monotonic()
        backend = self.backend
        before = backend.requests
        if not self._lock():
            message = "sync: another briefing is syncing with this server now; try again soon"
            return SyncReport(server=self.label, error=message, marks_queued=len(self.queue))
        try:
            return self._refresh(backend, topic_filter, store_outcome, on_result, started, before)
        finally:
            self._unlock()

    def _refresh(
        self,
        backend: SyncBackend,
        topic_filter: TopicFilter,
        store_outcome: StoreOutcome,
        on_result: Callable[[FeedResult, int], None],
        started: float,
        before: int,
    ) -> SyncReport:
        state = SyncState.load(self.store, self.account.key)
        state.meta["last_attempt"] = utc_now()
        try:
            pull = backend.pull(state.known())
        except (SyncError, *_HOSTILE) as error:
            message = _message(error, self.label)
            state.meta["last_error"] = message
            state.save(entries=False)
            return SyncReport(
                server=self.label,
                error=message,
                marks_queued=len(self.queue),
                requests=backend.requests - before,
                elapsed=time.monotonic() - started,
            )
        new_feeds = any(feed.id not in state.feeds for feed in pull.feeds)
        state.take_feeds(pull.feeds, self.own_names, self._direct_feeds(state) if new_feeds else {})
        entries_before = dict(state.entries)
        pull = self._match_stored(state, pull)
        pending = self.queue.pending()
        plan = _plan(state, pull, pending, backend)
        # The articles, through the same path as a fetched feed.
        new = 0
        followed = state.order
        for feed_id in followed:
            result = store_outcome(self._outcome(state, feed_id, pull, plan, topic_filter))
            new += result.new
            on_result(result, len(followed))
        for entry, server_entry in plan.fresh.items():
            name = state.name_of(server_entry.feed_id)
            if name is not None:
                guid = server_entry.entry.id
                state.entries[entry] = BaseEntry(
                    article_id(name, guid),
                    server_entry.feed_id,
                    server_entry.state.read,
                    server_entry.state.starred,
                    plan.digests[entry],
                    "" if guid == str(entry) else guid,
                )
        for entry, digest in plan.digests.items():
            if entry in state.entries:
                state.entries[entry] = replace(state.entries[entry], digest=digest)
        for entry in plan.gone:
            state.entries.pop(entry, None)
        for entry, server_state in plan.server_now.items():
            if entry in state.entries:
                state.entries[entry] = _with_state(state.entries[entry], server_state)
        pulled = self._apply_local(state, plan, pending)
        # What waits here and the server lacks.
        settled = list(plan.settled)
        pushed = 0
        push_error: str | None = None
        if plan.changes:
            try:
                outcome = backend.push(plan.changes)
            except (SyncError, *_HOSTILE) as failure:
                push_error = f"{_message(failure, self.label)} (marks stay queued)"
            else:
                for change in plan.changes:
                    mark = pending[(change.entry, change.flag)]
                    seen = outcome.confirmed.get(change.entry)
                    if change.entry in outcome.gone:
                        settled.append(mark)
                    elif seen is not None and seen.flag(change.flag) == change.value:
                        settled.append(mark)
                        pushed += 1
                for entry, seen in outcome.confirmed.items():
                    if entry in state.entries:
                        state.entries[entry] = _with_state(state.entries[entry], seen)
        self.queue.settle(settled)
        state.meta.update(
            cursor=dict(pull.cursor),
            foreign=sorted(pull.foreign),
            last_error=push_error,
        )
        if push_error is None:
            state.meta["last_success"] = utc_now()
        # The entries record is the large one: written only when something in it moved.
        state.save(entries=state.entries != entries_before)
        return SyncReport(
            server=self.label,
            error=push_error,
            feeds=len(followed),
            new=new,
            marks_pulled=pulled,
            marks_pushed=pushed,
            marks_queued=len(self.queue),
            requests=backend.requests - before,
            elapsed=time.monotonic() - started,
        )

    def _outcome(
        self,
        state: SyncState,
        feed_id: str,
        pull: PullResult,
        plan: _Plan,
        topic_filter: TopicFilter,
    ) -> FetchOutcome:
        feed = state.feeds[feed_id]
        name = feed["name"]
        config = FeedConfig(
            name=name,
            url=feed["url"] or feed.get("site", ""),
            full_text=self.sync.full_text,
            via=self.label,
        )
        stored_state = self.store.feed_state(name) or FeedState(name=name, url=config.url)
        changed = plan.by_feed.get(feed_id, [])
        gone_here = any(state.entries.get(e, _NOWHERE).feed == feed_id for e in plan.gone)
        if not changed and not gone_here:
            if stored_state.last_status:
                return FetchOutcome(config, stored_state, None, True, None, 0.0)
            # Never stored: an empty feed on its first sync has "no items", it is not
            # "unchanged"; stored as an empty feed, with its title
            empty = ParsedFeed(title=feed.get("title", name), link=feed.get("site", ""), entries=())
            return FetchOutcome(config, stored_state, empty, False, None, 0.0, analysis={})
        # save_entries takes a feed's whole list: the entries kept are given back
        # as they are stored, and those the server deleted are left out, so that
        # they expire like articles a feed drops.
        changed_ids = {e.id for e in changed}
        stored = {a.id: a for a in self.store.load_articles([name], topic_filter)}
        entries = [e.entry for e in changed]
        matches: dict[str, TopicMatch] = {}
        for entry, base in state.entries.items():
            if base.feed != feed_id or entry in changed_ids or entry in plan.gone:
                continue
            article = stored.get(base.article)
            if article is None:
                continue
            entries.append(
                ParsedEntry(
                    id=base.guid or str(entry),
                    title=article.title,
                    link=article.link,
                    author=article.author,
                    published=article.published,
                    summary=article.summary,
                    content=article.content,
                )
            )
            matches[base.guid or str(entry)] = TopicMatch(article.on_topic, article.relevance)
        parsed = ParsedFeed(
            title=feed.get("title", name), link=feed.get("site", ""), entries=tuple(entries)
        )
        return FetchOutcome(config, stored_state, parsed, False, None, 0.0, analysis=matches)

    def _direct_feeds(self, state: SyncState) -> dict[str, str]:
        """Feed URL -> name of the feeds briefing fetches itself (feeds.toml), or
        fetched before (stored, and not the server's): a server feed of the same
        URL takes that name."""
        server_names = {feed["name"].casefold() for feed in state.feeds.values()}
        found: dict[str, str] = {}
        for name, feed_state in self.store.feed_states().items():
            if feed_state.url and name.casefold() not in server_names:
                found.setdefault(feed_url_key(feed_state.url), name)
        found.update((feed_url_key(f.url), f.name) for f in self.own_feeds)
        return found

    def _match_stored(self, state: SyncState, pull: PullResult) -> PullResult:
        """Entries new here, of a feed that holds articles briefing fetched itself,
        are matched to those articles: by the guid's hash where the server gives it
        (Miniflux), else by the link when one article has it, else by the link and
        the title. A matched entry is
        stored as that article (the same id, so it is not stored twice), and the
        marks set here on it and not on the server are queued to be sent: the first
        sync loses no read and no star."""
        claimed = {base.article for base in state.entries.values()}
        fresh: dict[str, list[ServerEntry]] = {}
        for item in pull.entries:
            if item.id not in state.entries and item.feed_id in state.feeds:
                fresh.setdefault(item.feed_id, []).append(item)
        matched: dict[int, ServerEntry] = {}
        for feed_id, items in fresh.items():
            name = state.feeds[feed_id]["name"]
            stored = self.store.feed_identities(name, skip=claimed)
            if not stored:
                continue
            by_hash: dict[str, str] = {}
            by_link: dict[str | tuple[str, str], list[str]] = {}
            for stored_guid, link, title in stored.values():
                by_hash.setdefault(hashlib.sha256(stored_guid.encode()).hexdigest(), stored_guid)
                if link:
                    by_link.setdefault(link, []).append(stored_guid)
                    by_link.setdefault((link, title), []).append(stored_guid)
            for item in items:
                guid = by_hash.get(item.guid_hash) if item.guid_hash else None
                for key in (item.entry.link, (item.entry.link, item.entry.title)):
                    if guid is None and len(by_link.get(key, ())) == 1:
                        guid = by_link[key][0]
                if guid is None or article_id(name, guid) in claimed:
                    continue
                claimed.add(article_id(name, guid))
                matched[item.id] = replace(item, entry=replace(item.entry, id=guid))
        if not matched:
            return pull
        names = {e: state.feeds[m.feed_id]["name"] for e, m in matched.items()}
        ids = {e: article_id(names[e], m.entry.id) for e, m in matched.items()}
        marks = self.store.flag_states(ids.values())
        now = time.time()
        with self.store.transaction():
            for flag in FLAGS:
                pairs = [
                    (e, ids[e])
                    for e, m in matched.items()
                    if (mark := marks.get(ids[e])) is not None
                    and (mark.read if flag == "read" else mark.starred)
                    and not m.state.flag(flag)
                ]
                self.queue.add(pairs, flag, True, now)
        return replace(pull, entries=tuple(matched.get(e.id, e) for e in pull.entries))

    def _apply_local(
        self, state: SyncState, plan: _Plan, pending: dict[tuple[int, Flag], QueuedMark]
    ) -> int:
        """Set the marks decided, except where a newer mark was made meanwhile."""
        pulled = 0
        with self.store.transaction():
            fresh = self.queue.pending()
            # The marks of the articles decided on only: all of them would read every
            # feed's index, whatever the size of the cache.
            articles = [b.article for e in plan.local if (b := state.entries.get(e)) is not None]
            flags = {i: [f.read, f.starred] for i, f in self.store.flag_states(articles).items()}
            groups: dict[tuple[bool, bool], list[str]] = {}
            for entry, (read, starred) in plan.local.items():
                base = state.entries.get(entry)
                if base is None:
                    continue
                moved = any(
                    fresh.get((entry, f)) is not None
                    and (
                        pending.get((entry, f)) is None
                        or fresh[(entry, f)].seq != pending[(entry, f)].seq
                    )
                    for f in FLAGS
                )
                if moved:
                    continue
                now = flags.get(base.article, [False, False])
                if [read, starred] != now:
                    if entry not in plan.fresh:
                        pulled += (read != now[0]) + (starred != now[1])
                    groups.setdefault((read, starred), []).append(base.article)
            for (read, starred), ids in groups.items():
                self.store.set_flags(ids, read=read, starred=starred)
        return pulled

    # ------------------------------------------------------------------ lock

    def _lock(self) -> bool:
        """One sync per account at a time across processes: two at once could each
        send the same mark, and Miniflux flips a mark sent twice."""
        key = f"sync:{self.account.key}:lock"
        with self.store.transaction():
            held = self.store.get_record(key)
            if (
                isinstance(held, dict)
                and _alive(held.get("pid"))
                and held.get("pid") != os.getpid()
            ):
                since = held.get("since")
                # Set back, the clock makes a lock look younger: off by more than
                # LOCK_SECONDS either way, it is as stale as an old one.
                if isinstance(since, int | float) and abs(time.time() - since) < LOCK_SECONDS:
                    return False
            self._held = {"pid": os.getpid(), "since": time.time()}
            self.store.put_records({key: self._held})
        return True

    def _unlock(self) -> None:
        """Let go of the lock if it is still this sync's: one taken over meanwhile
        (this sync outlived LOCK_SECONDS) is the other briefing's to let go."""
        key = f"sync:{self.account.key}:lock"
        with self.store.transaction():
            held = self.store.get_record(key)
            if held == self._held:
                self.store.put_records({}, delete=[key])
        self._held = None


_NOWHERE = BaseEntry("", "", False, False)
_HOSTILE = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    OverflowError,
    RecursionError,
)
"""What an answer of an unexpected shape can raise in a client; never a traceback."""


def _message(error: Exception, server: str) -> str:
    if isinstance(error, SyncError):
        return str(error)
    return (
        f"sync: {server} answered in a way briefing cannot use"
        f" ({type(error).__name__}: {clean_line(str(error))[:120]})"
    )


class _Plan:
    """What a pull means for each entry: the marks to show, send and let go."""

    def __init__(self) -> None:
        self.server_now: dict[int, EntryState] = {}
        self.fresh: dict[int, ServerEntry] = {}
        """Entries the store does not have yet."""
        self.by_feed: dict[str, list[ServerEntry]] = {}
        """New and changed entries to store, by server feed id."""
        self.digests: dict[int, str] = {}
        """The text digest of each entry stored this time."""
        self.gone: set[int] = set()
        self.local: dict[int, tuple[bool, bool]] = {}
        self.changes: list[MarkChange] = []
        self.settled: list[QueuedMark] = []


def _plan(
    state: SyncState,
    pull: PullResult,
    pending: dict[tuple[int, Flag], QueuedMark],
    backend: SyncBackend,
) -> _Plan:
    plan = _Plan()
    followed = set(state.order)
    if not pull.complete_states:
        plan.server_now.update({e: b.state for e, b in state.entries.items()})
    plan.server_now.update(pull.states)
    for item in pull.entries:
        if item.feed_id not in followed:
            continue
        plan.server_now[item.id] = item.state
        digest = text_digest(item.entry)
        known = state.entries.get(item.id)
        if known is not None and known.digest == digest:
            continue  # listed again for a new mark only: its text is stored already
        plan.digests[item.id] = digest
        plan.by_feed.setdefault(item.feed_id, []).append(item)
        if known is None:
            plan.fresh[item.id] = item
    if pull.present is not None:
        plan.gone = {e for e in state.entries if e not in pull.present}
    # Marks whose outcome hangs on when the server changed them (rule 4).
    ask = [
        entry
        for (entry, flag), mark in pending.items()
        if entry in plan.server_now
        and needs_time(
            flag,
            server=plan.server_now[entry].flag(flag),
            base=_base_flag(state, entry, flag),
            pending=Pending(mark.value, mark.at),
        )
        and plan.server_now[entry].changed is None
    ]
    times: dict[int, float] = {}
    if ask:
        try:
            times = backend.changed_times(sorted(set(ask)))
        except (SyncError, *_HOSTILE):
            times = {}  # without the server's times, the marks made here win (rule 4)
    for entry, server in plan.server_now.items():
        values: dict[Flag, bool] = {}
        for flag in FLAGS:
            mark = pending.get((entry, flag))
            decision = decide(
                flag,
                server=server.flag(flag),
                base=_base_flag(state, entry, flag),
                pending=Pending(mark.value, mark.at) if mark else None,
                server_changed=server.changed if server.changed is not None else times.get(entry),
            )
            values[flag] = decision.local
            if mark is not None and decision.settle:
                plan.settled.append(mark)
            if mark is not None and decision.push:
                plan.changes.append(MarkChange(entry, flag, mark.value))
        plan.local[entry] = (values["read"], values["starred"])
    for (entry, _flag), mark in pending.items():
        if entry in plan.gone or (entry not in plan.server_now and entry not in state.entries):
            plan.settled.append(mark)  # the server no longer has it: the mark stays here
    return plan


def _base_flag(state: SyncState, entry: int, flag: Flag) -> bool | None:
    base = state.entries.get(entry)
    if base is None:
        return None
    return base.read if flag == "read" else base.starred


def _with_state(base: BaseEntry, state: EntryState) -> BaseEntry:
    return replace(base, read=state.read, starred=state.starred)


def _alive(pid: object) -> bool:
    if type(pid) is not int or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def server_error_result(report: SyncReport) -> FeedResult:
    """The one line of a failed sync, as the reader and `briefing fetch` list failures."""
    return FeedResult(report.server, FetchStatus.ERROR, error=report.error)
