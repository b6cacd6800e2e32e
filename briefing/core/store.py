"""The offline cache: every article, per-feed HTTP metadata, read/starred state.

This is the only module that imports diskcache. Values are JSON (diskcache's
JSONDisk), never pickles, because unpickling a tampered cache file would run
code. Layout of keys:

``schema``            {"version": N}
``feed:<name>``       FeedState of one feed
``articles:<name>``   {article id: article fields} for one feed, written in one
                      transaction per refresh, so a killed process loses nothing
                      already stored and never leaves half a feed
``flags``             {article id: [read, starred]} for articles not in the
                      default state; kept apart so a refresh never resets them
``sources``           names of the feeds that have articles stored
``facts:<key>``       extracted facts of one article version (facts engine)
``meta:<name>``       small UI and session state
``sync:<account>:<name>``  what the feed server sync keeps (core/sync/state.py and
                      queue.py), through ``get_record``/``put_records``
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from briefing.core.models import Article, FeedState, ParsedEntry, Topic
from briefing.core.topic import MATCH_VERSION, TopicFilter, TopicMatch

SCHEMA_VERSION = 1
FULL_TEXT_PENDING = "pending"
"""``Article.full_text_status`` while a page step is to fetch the article's page."""
_PAGE_STEP_META = "page_step"
ENV_CACHE_DIR = "BRIEFING_CACHE_DIR"

# JSON can fail to decode, zlib can fail to inflate, SQLite can find a broken file.
_UNREADABLE = (sqlite3.DatabaseError, json.JSONDecodeError, zlib.error, UnicodeDecodeError)


class StoreError(Exception):
    """The cache cannot be used. ``str()`` says what and where."""

    def __init__(self, message: str, directory: Path, *, rebuildable: bool = True) -> None:
        super().__init__(message)
        self.directory = directory
        self.rebuildable = rebuildable


def default_cache_dir() -> Path:
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("briefing", appauthor=False)) / "feeds"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_utc(stamp: str | None) -> datetime | None:
    """A stored ISO time as an aware UTC datetime; None when missing or unreadable.

    Times without a zone are taken as UTC, so comparing never raises.
    """
    if not stamp or not isinstance(stamp, str):
        return None
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def article_id(source: str, entry_id: str) -> str:
    """Stable across refreshes and processes; distinct for the same guid in two feeds."""
    return hashlib.sha1(f"{source}\0{entry_id}".encode()).hexdigest()[:16]


def topic_fingerprint(topic: Topic) -> str:
    payload = json.dumps([MATCH_VERSION, sorted(topic.keywords), sorted(topic.exclude)])
    return hashlib.sha1(payload.encode()).hexdigest()[:12]


_ARTICLE_FIELDS = tuple(f.name for f in fields(Article) if f.name not in ("read", "starred"))
_STATE_FIELDS = tuple(f.name for f in fields(FeedState))


def _article_record(article: Article) -> dict[str, Any]:
    record = asdict(article)
    del record["read"], record["starred"]
    return record


_TEXT_FIELDS = ("id", "source", "title", "link", "author", "summary", "content", "first_seen")
_OPTIONAL_TEXT_FIELDS = ("full_text", "full_text_status")


def _well_formed(record: Any) -> bool:
    """Whether a stored article record has the shape this version writes.

    A record damaged by hand or by another program is left out when reading
    (the next refresh of its feed writes it again), never a crash later on.
    """
    if type(record) is not dict:
        return False
    for name in _TEXT_FIELDS:
        if type(record.get(name)) is not str:
            return False
    for name in _OPTIONAL_TEXT_FIELDS:
        if type(record.get(name, "")) is not str:
            return False
    published = record.get("published")
    relevance = record.get("relevance", 0.0)
    return (
        (published is None or type(published) is str)
        and type(record.get("on_topic", False)) is bool
        and type(relevance) in (int, float)
    )


def _article_from(record: Mapping[str, Any], flags: Sequence[bool] | None) -> Article:
    values = {name: record[name] for name in _ARTICLE_FIELDS if name in record}
    read, starred = (bool(flags[0]), bool(flags[1])) if flags else (False, False)
    return Article(**values, read=read, starred=starred)


@dataclass(frozen=True, slots=True)
class MergeCounts:
    new: int
    updated: int
    total: int
    expired: int


class Store:
    """A diskcache directory holding the briefing. Safe to share between processes."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._cache = self._open()

    # ------------------------------------------------------------------ opening

    def _open(self) -> Any:
        import diskcache

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"cannot create cache directory {self.directory}: {error.strerror or error}",
                self.directory,
                rebuildable=False,
            ) from None
        try:
            cache = diskcache.Cache(
                str(self.directory),
                disk=diskcache.JSONDisk,
                disk_compress_level=1,
                # Feed blobs are 50-500 KB; as separate files each write makes a
                # directory and a file, which dominated the cold refresh.
                disk_min_file_size=2**24,
                eviction_policy="none",
                size_limit=2**40,
                timeout=30,
            )
        except _UNREADABLE as error:
            raise StoreError(
                f"the cache at {self.directory} cannot be read ({error})", self.directory
            ) from None
        except OSError as error:
            raise StoreError(
                f"cannot open the cache at {self.directory}: {error.strerror or error}",
                self.directory,
                rebuildable=False,
            ) from None
        try:
            version = cache.get("schema")
        except _UNREADABLE as error:
            cache.close()
            raise StoreError(
                f"the cache at {self.directory} cannot be read ({error})", self.directory
            ) from None
        if version is None:
            try:
                cache.set("schema", {"version": SCHEMA_VERSION})
            except (sqlite3.Error, OSError) as error:
                cache.close()
                raise StoreError(
                    f"cannot write to the cache at {self.directory} ({error})",
                    self.directory,
                    rebuildable=False,
                ) from None
        elif not isinstance(version, dict) or version.get("version") != SCHEMA_VERSION:
            cache.close()
            found = version.get("version") if isinstance(version, dict) else version
            raise StoreError(
                f"the cache at {self.directory} has schema version {found!r};"
                f" this briefing reads version {SCHEMA_VERSION}",
                self.directory,
            )
        return cache

    def close(self) -> None:
        self._cache.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def move_aside(directory: str | os.PathLike[str]) -> Path:
        """Rename a broken cache so a fresh one can start; nothing is deleted."""
        source = Path(directory)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = source.with_name(f"{source.name}.broken-{stamp}")
        counter = 1
        while target.exists():
            counter += 1
            target = source.with_name(f"{source.name}.broken-{stamp}-{counter}")
        source.rename(target)
        return target

    # ------------------------------------------------------------------ low level

    def _get(self, key: str, default: Any = None) -> Any:
        try:
            return self._cache.get(key, default)
        except _UNREADABLE as error:
            raise StoreError(
                f"the cache at {self.directory} has an unreadable entry {key!r} ({error})",
                self.directory,
            ) from None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # BEGIN IMMEDIATE: one writer at a time across processes. A failed write
        # (disk full, read-only directory, a lock held too long) rolls back and
        # says where; what was stored before stays.
        import diskcache

        try:
            with self._cache.transact():
                yield
        except diskcache.Timeout:
            raise StoreError(
                f"the cache at {self.directory} is locked by another process; try again",
                self.directory,
                rebuildable=False,
            ) from None
        except (sqlite3.Error, OSError) as error:
            raise StoreError(
                f"cannot write to the cache at {self.directory} ({error})",
                self.directory,
                rebuildable=False,
            ) from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes (``set_flags``, ``put_records``) so that all or none land.

        Nests: the methods' own transactions join the caller's."""
        with self._transaction():
            yield

    def get_record(self, key: str, default: Any = None) -> Any:
        """A JSON value another core module keeps under its own ``key`` (``sync:...``)."""
        return self._get(key, default)

    def put_records(self, values: Mapping[str, Any], *, delete: Iterable[str] = ()) -> None:
        """Write (and delete) such values in one transaction."""
        with self._transaction():
            for key, value in values.items():
                self._cache.set(key, value)
            for key in delete:
                self._cache.delete(key)

    def get_meta(self, name: str, default: Any = None) -> Any:
        return self._get(f"meta:{name}", default)

    def set_meta(self, name: str, value: Any) -> None:
        with self._transaction():
            self._cache.set(f"meta:{name}", value)

    def mark_page_step(self, *, running: bool) -> None:
        """Record that this process's page step (full text) starts or ends."""
        self.set_meta(_PAGE_STEP_META, {"pid": os.getpid()} if running else None)

    def page_step_running(self) -> bool:
        """Whether a live process is fetching pages into this store now.

        A process killed mid-step (no chance to clean up) leaves its "pending"
        marks behind; they mean nothing once that process is gone.
        """
        record = self.get_meta(_PAGE_STEP_META)
        if not isinstance(record, dict) or type(record.get("pid")) is not int:
            return False
        try:
            os.kill(record["pid"], 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True  # alive, but another user's
        return True

    # ------------------------------------------------------------------ feeds

    def feed_states(self) -> dict[str, FeedState]:
        states: dict[str, FeedState] = {}
        for name in self.source_names():
            state = self.feed_state(name)
            if state is not None:
                states[name] = state
        return states

    def feed_state(self, name: str) -> FeedState | None:
        record = self._get(f"feed:{name}")
        if not isinstance(record, dict):
            return None
        values = {k: record[k] for k in _STATE_FIELDS if k in record}
        if not all(value is None or type(value) is str for value in values.values()):
            return None  # damaged: treated as a feed not fetched yet
        if type(values.get("name")) is not str or type(values.get("url")) is not str:
            return None
        return FeedState(**values)

    def save_feed_state(self, state: FeedState) -> None:
        self.save_feed_states([state])

    def save_feed_states(self, states: Sequence[FeedState]) -> None:
        """Several feeds' states in one transaction (a warm refresh's 304s)."""
        if not states:
            return
        with self._transaction():
            for state in states:
                self._cache.set(f"feed:{state.name}", asdict(state))
            self._add_sources(state.name for state in states)

    def source_names(self) -> list[str]:
        names = self._get("sources", [])
        return [n for n in names if type(n) is str] if isinstance(names, list) else []

    def _add_sources(self, added: Iterable[str]) -> None:
        """Record new feed names (inside the caller's transaction); one write at most."""
        names = self.source_names()
        fresh = [name for name in dict.fromkeys(added) if name not in names]
        if fresh:
            self._cache.set("sources", [*names, *fresh])

    # ------------------------------------------------------------------ articles

    def _feed_records(self, name: str) -> dict[str, dict[str, Any]]:
        records = self._get(f"articles:{name}", {})
        if not isinstance(records, dict):
            return {}
        if all(_well_formed(r) for r in records.values()):
            return records
        return {i: r for i, r in records.items() if _well_formed(r)}

    def flags(self) -> dict[str, list[bool]]:
        flags = self._get("flags", {})
        if not isinstance(flags, dict):
            return {}
        return {
            i: [bool(v[0]), bool(v[1])]
            for i, v in flags.items()
            if isinstance(v, list) and len(v) == 2
        }

    def save_entries(
        self,
        source: str,
        entries: Sequence[ParsedEntry],
        topic_filter: TopicFilter,
        *,
        retention_days: int,
        now: str | None = None,
        state: FeedState | None = None,
        matches: Mapping[str, TopicMatch] | None = None,
    ) -> MergeCounts:
        """Merge one feed's parsed entries into the store, in one transaction.

        New articles are added, changed ones updated (keeping first-seen time,
        flags and any extracted full text of an unchanged page), and articles
        the feed no longer lists stay until ``retention_days`` after they were
        published; starred ones stay for ever. ``matches`` are topic matches
        by entry id computed elsewhere (in the parse workers); any entry
        missing from it is matched here.
        """
        now = now or utc_now()
        fingerprint = topic_fingerprint(topic_filter.topic)
        cutoff = (datetime.fromisoformat(now) - timedelta(days=retention_days)).isoformat()
        new = updated = expired = 0
        with self._transaction():
            records = self._feed_records(source)
            flags = self.flags()
            current: set[str] = set()
            for entry in entries:
                identifier = article_id(source, entry.id)
                if identifier in current:
                    continue  # a feed listing one guid twice: first wins
                current.add(identifier)
                match = (matches or {}).get(entry.id) or topic_filter.match(
                    entry.title, entry.summary, entry.content
                )
                record: dict[str, Any] = {
                    "id": identifier,
                    "source": source,
                    "title": entry.title,
                    "link": entry.link,
                    "author": entry.author,
                    "published": entry.published,
                    "summary": entry.summary,
                    "content": entry.content,
                    "first_seen": now,
                    "relevance": match.relevance,
                    "on_topic": match.on_topic,
                    "full_text": "",
                    "full_text_status": "",
                    "topic_key": fingerprint,
                }
                old = records.get(identifier)
                if old is None:
                    new += 1
                else:
                    record["first_seen"] = old.get("first_seen", now)
                    changed = any(
                        old.get(key) != record[key]
                        for key in ("title", "link", "summary", "content", "published", "author")
                    )
                    if changed:
                        updated += 1
                    if old.get("link") == record["link"]:
                        record["full_text"] = old.get("full_text", "")
                        record["full_text_status"] = old.get("full_text_status", "")
                records[identifier] = record
            for identifier in list(records):
                if identifier in current:
                    continue
                stored = records[identifier]
                starred = bool(flags.get(identifier, (False, False))[1])
                when = str(stored.get("published") or stored.get("first_seen") or now)
                if not starred and when < cutoff:
                    del records[identifier]
                    expired += 1
            self._cache.set(f"articles:{source}", records)
            if state is not None:
                self._cache.set(f"feed:{source}", asdict(state))
            self._add_sources([source])
        return MergeCounts(new=new, updated=updated, total=len(current), expired=expired)

    def load_articles(
        self, sources: Iterable[str] | None = None, topic_filter: TopicFilter | None = None
    ) -> list[Article]:
        """Every stored article of these sources (all by default), newest first.

        With a topic filter, articles matched under different keywords are
        matched again (and the store is brought up to date), so editing the
        topic in feeds.toml takes effect without a refresh.
        """
        names = list(sources) if sources is not None else self.source_names()
        flags = self.flags()
        fingerprint = topic_fingerprint(topic_filter.topic) if topic_filter else None
        articles: list[Article] = []
        for name in names:
            records = self._feed_records(name)
            stale = fingerprint is not None and any(
                r.get("topic_key") != fingerprint for r in records.values()
            )
            if stale and topic_filter is not None and fingerprint is not None:
                records = self._rematch(name, topic_filter, fingerprint)
            articles.extend(_article_from(r, flags.get(i)) for i, r in records.items())
        articles.sort(key=lambda a: a.sort_time, reverse=True)
        return articles

    def _rematch(
        self, source: str, topic_filter: TopicFilter, fingerprint: str
    ) -> dict[str, dict[str, Any]]:
        with self._transaction():
            records = self._feed_records(source)
            for record in records.values():
                match = topic_filter.match(
                    record.get("title", ""), record.get("summary", ""), record.get("content", "")
                )
                record["on_topic"] = match.on_topic
                record["relevance"] = match.relevance
                record["topic_key"] = fingerprint
            self._cache.set(f"articles:{source}", records)
        return records

    def article(self, source: str, identifier: str) -> Article | None:
        record = self._feed_records(source).get(identifier)
        if record is None:
            return None
        return _article_from(record, self.flags().get(identifier))

    def update_articles(self, articles: Sequence[Article]) -> None:
        """Write back fields the core computes later (full text and its status).

        One transaction per feed, whatever the number of articles.
        """
        by_source: dict[str, list[Article]] = {}
        for article in articles:
            by_source.setdefault(article.source, []).append(article)
        for source, group in by_source.items():
            with self._transaction():
                records = self._feed_records(source)
                for article in group:
                    record = records.get(article.id)
                    if record is None:
                        continue  # expired meanwhile: nothing to update
                    fresh = _article_record(article)
                    del fresh["first_seen"]
                    record.update(fresh)
                self._cache.set(f"articles:{source}", records)

    def count_articles(self) -> int:
        return sum(len(self._feed_records(name)) for name in self.source_names())

    # ------------------------------------------------------------------ read / starred

    def set_flags(
        self, ids: Iterable[str], *, read: bool | None = None, starred: bool | None = None
    ) -> None:
        """Set read and/or starred on articles; survives refreshes and restarts."""
        with self._transaction():
            flags = self.flags()
            for identifier in ids:
                current = flags.get(identifier, [False, False])
                value = [
                    bool(current[0]) if read is None else read,
                    bool(current[1]) if starred is None else starred,
                ]
                if value == [False, False]:
                    flags.pop(identifier, None)
                else:
                    flags[identifier] = value
            self._cache.set("flags", flags)

    # ------------------------------------------------------------------ facts cache

    def load_facts(self, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Stored facts by key; missing or unreadable entries are left out (and redone)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for name, value in self._get_many([f"facts:{key}" for key in keys]).items():
            if isinstance(value, list):
                found[name[len("facts:") :]] = value
        return found

    def _get_many(self, names: Sequence[str]) -> dict[str, Any]:
        """Many values in a few SQLite queries instead of one each (a thousand
        articles' facts: ~3x faster). Unreadable values are left out."""
        cache = self._cache
        disk = cache._disk
        by_db_key: dict[bytes, str] = {}
        for name in names:
            db_key, _raw = disk.put(name)
            by_db_key[bytes(db_key)] = name
        found: dict[str, Any] = {}
        wanted = list(by_db_key)
        for start in range(0, len(wanted), 500):  # SQLite's bound on parameters
            chunk = wanted[start : start + 500]
            query = (
                "SELECT key, mode, filename, value FROM Cache WHERE raw = 1"
                f" AND key IN ({','.join('?' * len(chunk))})"
                " AND (expire_time IS NULL OR expire_time > ?)"
            )
            try:
                rows = cache._sql(query, (*chunk, time.time())).fetchall()
            except sqlite3.DatabaseError as error:
                raise StoreError(
                    f"the cache at {self.directory} cannot be read ({error})", self.directory
                ) from None
            for db_key, mode, filename, value in rows:
                try:
                    found[by_db_key[bytes(db_key)]] = disk.fetch(mode, filename, value, False)
                except (*_UNREADABLE, OSError):
                    continue
        return found

    def save_facts(self, entries: Mapping[str, list[dict[str, Any]]]) -> None:
        if not entries:
            return
        with self._transaction():
            for key, value in entries.items():
                self._cache.set(f"facts:{key}", value)


def open_store(directory: str | os.PathLike[str] | None = None) -> Store:
    return Store(directory if directory is not None else default_cache_dir())


def with_flags(
    article: Article, *, read: bool | None = None, starred: bool | None = None
) -> Article:
    return replace(
        article,
        read=article.read if read is None else read,
        starred=article.starred if starred is None else starred,
    )
