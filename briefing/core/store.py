"""The offline cache: articles, read/starred marks, page validators and feed states.

Built on diskcache through ``cachefile`` (the only module that imports it):
JSON values, never pickles. Every record is small and one change is one small
write; whatever a query needs to find is kept in an index record, written in
the same transaction as the records it describes, so that no query reads
every article and a killed process never leaves an index out of step.

Layout of keys (schema 2):

``schema``            {"version": 2}
``sources``           names of the feeds with a state or articles
``feed:<name>``       FeedState of one feed
``a:<id>``            one article (every Article field but the marks, plus ``guid``)
``f:<id>``            read/starred marks of one article with the time each last
                      changed (``FlagState``); "the newer change wins" for sync
``p:<id>``            page validators of one article (``PageValidators``)
``fx:<name>``         index of one feed: {"topic": fingerprint, "ids": {id: [time, bits]}}
                      (time: the article's sort time as UTC ISO; bits: ``ON_TOPIC``,
                      ``READ``, ``STARRED``, ``SHORT``, ``WEB_LINK``)
``n:<name>``          counts of one feed [articles, on topic, unread on topic,
                      starred, on topic with a short own text]
``ox:<name>``         [time, id] of the feed's on-topic articles (a short list)
``px:<name>``         the page step's live entries of one feed: {"mode": ..., "entries":
                      {id: [time, state, checked, bits, label]}}; articles whose page is
                      settled for good (old, or not wanted) are left out
``~t:<time> <id>``    header of one on-topic article (what a list row shows); keys
                      sort by time, so the newest N are the last N keys
``topic``             {"fingerprint", "generation", "days": {day: on-topic count}};
                      the generation changes whenever an on-topic article does
``starred``           {id: feed} of every starred article
``claims``            {pid: {"started", "urls"}}: pages each live page step is fetching
``facts:<key>``       extracted facts of one article version (facts engine)
``meta:<name>``       small UI and session state
``sync:<name>``       reserved for sync (issue 13): records it keeps with the marks

A record that cannot be decoded is left out when reading and counted in
``Store.damaged``; the next fetch of its feed writes it again, and
``repair_cache`` (``briefing --repair-cache``) copies everything still readable
into a new cache. A cache that cannot be written (read-only, a full disk) is
opened read-only: reading works, and every write raises a ``StoreError`` that
says why. Reads never write.

What sync (issue 13) builds on:

- ``flag_states(ids)``: each article's marks and when each last changed;
- ``set_flags(ids, read=, starred=, changed=)``: a local change (now by default);
- ``apply_flag_changes([FlagChange(id, changed, read=, starred=)])``: a change from
  a server, taken per mark only when newer than the mark's own last change;
- ``transaction()``: everything inside is kept together or not at all (nests), so a
  change of marks and sync's own ``sync:<account>:<name>`` records (``get_record``,
  ``put_records``; ``set_record``, ``delete_record``) go in one write;
- ``article_id(feed, guid)`` and each article record's ``guid``: to match a
  server's items to stored articles.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from briefing.core import cachefile
from briefing.core.cachefile import DECODE_ERRORS, CacheFile, Fault, StoreError
from briefing.core.models import Article, FeedState, ParsedEntry
from briefing.core.storerecords import (
    COMPARED_FIELDS,
    FULL_TEXT_PENDING,
    HEADER_PREFIX,
    ON_TOPIC,
    READ,
    SHORT,
    STARRED,
    WEB_LINK,
    ArticleHeader,
    FeedCounts,
    FeedIndex,
    FlagChange,
    FlagState,
    MergeCounts,
    PageEntry,
    PageValidators,
    TopicIndex,
    article_from,
    article_id,
    flag_from,
    flag_record,
    fresh_generation,
    header_from,
    header_value,
    page_bits,
    page_state,
    parse_utc,
    state_from,
    time_key,
    topic_fingerprint,
    utc_now,
    validators_from,
    validators_record,
    well_formed,
)
from briefing.core.topic import TopicFilter, TopicMatch

__all__ = [
    "ENV_CACHE_DIR",
    "FULL_TEXT_PENDING",
    "SCHEMA_VERSION",
    "ArticleHeader",
    "Fault",
    "FeedCounts",
    "FlagChange",
    "FlagState",
    "MergeCounts",
    "PageEntry",
    "PageValidators",
    "Store",
    "StoreError",
    "article_id",
    "default_cache_dir",
    "open_store",
    "parse_utc",
    "time_key",
    "topic_fingerprint",
    "utc_now",
    "with_flags",
]

SCHEMA_VERSION = 2
LEGACY_SCHEMA_VERSION = 1
ENV_CACHE_DIR = "BRIEFING_CACHE_DIR"

SYNC_PREFIX = "sync:"
_DEFERRED_KEYS = ("sources", "topic")
"""Index records that many feeds of one transaction change: each is written once, as
the outermost transaction ends, not once per feed (a refresh of N new feeds would
otherwise rewrite the list of N names N times)."""
_BATCH = 500
"""Records per transaction when copying a whole cache (migration, repair)."""


def default_cache_dir() -> Path:
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("briefing", appauthor=False)) / "feeds"


@dataclass(slots=True)
class OpenNotes:
    """What opening the cache did or found, for the user to be told."""

    read_only: str = ""
    """Why the cache is read-only (a sentence), or ''."""
    migrated_from: Path | None = None
    """Where the cache of the first layout was kept when it was carried over."""
    extra: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the store


class Store:
    """A cache directory holding the briefing. Safe to share between processes.

    ``read_only=True`` opens it without ever writing (and never migrating).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        read_only: bool = False,
        _importing: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.notes = OpenNotes()
        self.damaged: set[str] = set()
        """Keys found unreadable by this process (skipped, and reported)."""
        self._file_id: tuple[int, int] | None = None
        self._read_only_fault = Fault.READ_ONLY
        self._deferred: dict[str, Any] | None = None
        """The ``_DEFERRED_KEYS`` records the current transaction has changed, written
        as it ends; None outside a transaction."""
        self._deferred_thread: int | None = None
        """The thread whose transaction ``_deferred`` belongs to (others never see it)."""
        self._ahead: dict[str, Any] | None = None
        """Values read ahead in bulk (``_reading_ahead``), each served once."""
        self._known_sources: set[str] = set()
        """Names seen in the stored "sources" list, which only ever grows: adding one
        of them again reads nothing."""
        self._sources_seen: set[str] = set()
        """Names of "sources" seen by the current transaction: known once it commits."""
        if _importing:  # a new cache being filled by ``cacheupkeep``; no schema yet
            self.directory.mkdir(parents=True)
            self._cache: CacheFile = cachefile.open_writable(self.directory)
        else:
            self._cache = self._open(read_only)

    # ------------------------------------------------------------------ opening

    @property
    def read_only(self) -> bool:
        return self._cache.read_only

    @property
    def read_only_fault(self) -> str:
        """Why a read-only store is so (``Fault.READ_ONLY``, ``DISK_FULL``, ``DAMAGED``)."""
        return self._read_only_fault

    def _open(self, read_only: bool) -> CacheFile:
        directory = self.directory
        if directory.exists() and not directory.is_dir():
            raise StoreError(
                f"the cache path {directory} is a file, not a cache directory; move the file"
                " away or give another --cache-dir",
                directory,
                rebuildable=False,
                fault=Fault.NOT_A_DIRECTORY,
            )
        if not directory.exists():
            from briefing.core import cacheupkeep  # not imported when the cache is there

            # Created under the lock, so that it never appears in the middle of
            # another process's swap (cacheupkeep).
            with contextlib.suppress(OSError):
                directory.parent.mkdir(parents=True, exist_ok=True)
            with exclusive_lock(directory):
                cacheupkeep.adopt_finished_swap(directory)
                if not directory.exists() and not read_only:
                    self._create(directory)
        version = peek_schema(directory)
        if version == LEGACY_SCHEMA_VERSION:
            if read_only:
                raise StoreError(
                    f"the cache at {directory} has the first layout, which this briefing"
                    " upgrades the first time it can write there; it cannot be read as it is",
                    directory,
                    rebuildable=False,
                    fault=Fault.READ_ONLY,
                )
            from briefing.core import cacheupkeep

            self.notes.migrated_from = cacheupkeep.migrate_legacy(directory)
            version = SCHEMA_VERSION
        if version not in (None, SCHEMA_VERSION):
            found = version if version != -1 else "unknown"
            raise StoreError(
                f"the cache at {directory} has schema version {found!r}; this briefing reads"
                f" version {SCHEMA_VERSION} (a newer briefing wrote it: upgrade briefing, or use"
                " another --cache-dir)",
                directory,
                rebuildable=False,
                fault=Fault.NEWER,
            )
        cache = self._open_file(read_only)
        if not cache.read_only and version is None:
            self._initialise(cache)
        self._file_id = cachefile.stat_key(directory)
        return cache

    def _open_file(self, read_only: bool) -> CacheFile:
        directory = self.directory
        if read_only:
            return self._open_read_only(reason="")
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _cannot_create(directory, error) from None
        try:
            return cachefile.open_writable(directory)
        except (sqlite3.Error, OSError) as error:
            if cachefile.is_unreadable(error):
                # Damaged where diskcache looks first (its settings): what can still be
                # read is shown, read-only, until --repair-cache.
                try:
                    return self._open_read_only(
                        reason=f"the cache at {directory} is damaged ({error}); run"
                        " `briefing --repair-cache` to copy everything still readable into a"
                        " new cache",
                        fault=Fault.DAMAGED,
                    )
                except StoreError:
                    raise cachefile.unreadable_error(directory, error) from None
            described = cachefile.write_fault(directory, error)
            if described is None:
                raise StoreError(
                    f"cannot open the cache at {directory}: {error}",
                    directory,
                    rebuildable=False,
                ) from None
            if not (directory / cachefile.DB_NAME).is_file():
                raise StoreError(
                    f"cannot create a cache at {directory}: {described[1]}",
                    directory,
                    rebuildable=False,
                    fault=Fault.CANNOT_CREATE,
                ) from None
            return self._open_read_only(reason=described[1], fault=described[0])

    def _open_read_only(self, reason: str, fault: str = Fault.READ_ONLY) -> CacheFile:
        directory = self.directory
        try:
            cache = cachefile.open_read_only(directory)
        except FileNotFoundError:
            raise StoreError(
                f"there is no cache at {directory} yet" + (f" ({reason})" if reason else ""),
                directory,
                rebuildable=False,
                fault=Fault.CANNOT_CREATE,
            ) from None
        except sqlite3.DatabaseError as error:
            if cachefile.is_unreadable(error):
                raise cachefile.unreadable_error(directory, error) from None
            raise StoreError(
                f"cannot read the cache at {directory}: {error}"
                + (f" ({reason})" if reason else ""),
                directory,
                rebuildable=False,
                fault=fault,
            ) from None
        self.notes.read_only = reason or f"the cache at {directory} was opened read-only"
        self._read_only_fault = fault
        return cache

    def _create(self, directory: Path) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _cannot_create(directory, error) from None
        try:
            cache = cachefile.open_writable(directory)
        except (sqlite3.Error, OSError) as error:
            described = cachefile.write_fault(directory, error)
            raise StoreError(
                f"cannot create a cache at {directory}: {described[1] if described else error}",
                directory,
                rebuildable=False,
                fault=Fault.CANNOT_CREATE,
            ) from None
        try:
            self._initialise(cache)
        finally:
            cache.close()

    def _initialise(self, cache: CacheFile) -> None:
        """A new cache: its schema record, once (two processes may start one at once)."""
        try:
            with cache.transact():
                if cache.get("schema") is None:
                    cache.set("schema", {"version": SCHEMA_VERSION})
        except (sqlite3.Error, OSError) as error:
            cache.close()
            raise self._write_error(error) from None

    def close(self) -> None:
        self._cache.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def move_aside(directory: str | os.PathLike[str], label: str = "broken") -> Path:
        """Rename a cache so a fresh one can start; nothing is deleted."""
        return move_aside_folder(Path(directory), label)

    # ------------------------------------------------------------------ low level

    def _get(self, key: str) -> Any:
        """The value, or None when missing or unreadable (then noted in ``damaged``)."""
        ahead = self._ahead
        if ahead is not None and key in ahead:
            value = ahead.pop(key)  # served once: a later read asks the file again
            if isinstance(value, cachefile.UnreadableValue):
                self.damaged.add(key)
                return None
            return value
        try:
            return self._cache.get(key)
        except DECODE_ERRORS:
            self.damaged.add(key)
            return None
        except sqlite3.DatabaseError as error:
            if cachefile.is_unreadable(error):
                self.damaged.add(key)
                return None
            raise StoreError(
                f"cannot read the cache at {self.directory} ({error})",
                self.directory,
                rebuildable=False,
            ) from None

    def _get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        """``_get`` of many keys in a few queries: {key: value, or None when missing}."""
        try:
            found = self._cache.get_many(keys)
        except sqlite3.DatabaseError as error:
            if not cachefile.is_unreadable(error):
                raise StoreError(
                    f"cannot read the cache at {self.directory} ({error})",
                    self.directory,
                    rebuildable=False,
                ) from None
            return {key: self._get(key) for key in keys}  # one by one: what can be read
        values: dict[str, Any] = {}
        for key in keys:
            value = found.get(key)
            if isinstance(value, cachefile.UnreadableValue):
                self.damaged.add(key)
                value = None
            values[key] = value
        return values

    @contextmanager
    def _reading_ahead(self, keys: Sequence[str]) -> Iterator[None]:
        """Inside, the first ``_get`` of each of these keys is served from one bulk read
        made now (for read-only steps that read a record of every feed)."""
        try:
            found = self._cache.get_many(keys)
        except sqlite3.DatabaseError:
            yield  # the reads one by one say what is wrong
            return
        self._ahead = {key: found.get(key) for key in keys}
        try:
            yield
        finally:
            self._ahead = None

    @contextmanager
    def page_index_read_ahead(self, sources: Iterable[str]) -> Iterator[None]:
        """The page step's plan reads every feed's counts and page entries: read them
        all at once (a few queries instead of two per feed)."""
        names = list(sources)
        with self._reading_ahead([f"n:{n}" for n in names] + [f"px:{n}" for n in names]):
            yield

    def _write_error(self, error: BaseException) -> StoreError:
        if cachefile.is_timeout(error):
            return StoreError(
                f"the cache at {self.directory} is locked by another process; try again",
                self.directory,
                rebuildable=False,
                fault=Fault.LOCKED,
            )
        if cachefile.is_unreadable(error):
            return StoreError(
                f"the cache at {self.directory} is damaged ({error}); run"
                " `briefing --repair-cache` to copy everything still readable into a new cache",
                self.directory,
                rebuildable=False,
                fault=Fault.DAMAGED,
            )
        described = cachefile.write_fault(self.directory, error)
        if described is not None:
            return StoreError(described[1], self.directory, rebuildable=False, fault=described[0])
        return StoreError(
            f"cannot write to the cache at {self.directory} ({error})",
            self.directory,
            rebuildable=False,
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every write inside is kept together or not at all (BEGIN IMMEDIATE: one writer
        at a time across processes). Nests. For sync: its own ``sync:`` records written
        with a change of marks. A failed write (a full disk, a read-only cache, a lock
        held too long) rolls back and raises a ``StoreError`` that says why.

        The index records every feed touches ("sources", "topic") are written once,
        as the outermost transaction ends: storing many feeds in one transaction
        writes each of them once."""
        if self._cache.read_only:
            raise StoreError(
                self.notes.read_only or f"the cache at {self.directory} is read-only",
                self.directory,
                rebuildable=False,
                fault=self._read_only_fault,
            )
        outermost = not self._in_own_transaction()
        try:
            with self._cache.transact():
                if outermost:
                    yield from self._outermost()
                else:
                    yield
        except StoreError:
            raise
        except (sqlite3.Error, OSError) as error:
            raise self._write_error(error) from None
        except Exception as error:
            if cachefile.is_timeout(error):
                raise self._write_error(error) from None
            raise
        finally:
            if outermost:
                seen, self._sources_seen = self._sources_seen, set()
        if outermost:
            self._known_sources.update(seen)  # committed now
            # Only a commit can land in a replaced file: a nested transaction commits
            # nothing (about 800 stat calls of a cold refresh of 200 feeds).
            self._check_still_there()

    def _outermost(self) -> Iterator[None]:
        """The body of an outermost transaction (the cache's lock is held)."""
        self._deferred, self._deferred_thread = {}, threading.get_ident()
        self._sources_seen = set()
        try:
            yield
            deferred = self._deferred
            self._deferred = None
            for key, value in deferred.items():
                self._cache.set(key, value)
        finally:
            self._deferred, self._deferred_thread = None, None

    def _in_own_transaction(self) -> bool:
        return self._deferred is not None and self._deferred_thread == threading.get_ident()

    def _get_deferrable(self, key: str) -> Any:
        """A ``_DEFERRED_KEYS`` record as this thread's transaction left it so far."""
        deferred = self._deferred
        if deferred is not None and key in deferred and self._in_own_transaction():
            return deferred[key]
        return self._get(key)

    def _set_deferrable(self, key: str, value: Any) -> None:
        """Write a ``_DEFERRED_KEYS`` record when the outermost transaction ends (at once
        outside one)."""
        if self._in_own_transaction():
            assert self._deferred is not None
            self._deferred[key] = value
        else:
            self._cache.set(key, value)

    _transaction = transaction

    def _check_still_there(self) -> None:
        """A cache deleted or replaced while open takes writes into a file nobody will
        read again: say so at once rather than report success."""
        if self._file_id is not None and cachefile.stat_key(self.directory) != self._file_id:
            raise StoreError(
                f"the cache at {self.directory} was deleted or replaced while briefing was"
                " writing to it; what was fetched since then is not kept (run the command again)",
                self.directory,
                rebuildable=False,
                fault=Fault.VANISHED,
            )

    def still_there(self) -> bool:
        return self._file_id is None or cachefile.stat_key(self.directory) == self._file_id

    def get_meta(self, name: str, default: Any = None) -> Any:
        value = self._get(f"meta:{name}")
        return default if value is None else value

    def set_meta(self, name: str, value: Any) -> None:
        with self.transaction():
            self._cache.set(f"meta:{name}", value)

    def put_meta(self, values: Mapping[str, Any], *, delete: Iterable[str] = ()) -> None:
        """Write (and delete) ``meta:`` records in one transaction (a stored merge and
        its parts: a reader sees all of one merge or all of the one before)."""
        with self.transaction():
            for name, value in values.items():
                self._cache.set(f"meta:{name}", value)
            for name in delete:
                self._cache.delete(f"meta:{name}")

    def get_record(self, key: str, default: Any = None) -> Any:
        """A ``sync:`` record (sync's own, ``core/sync``); ``default`` when missing or
        unreadable."""
        _check_sync_key(key)
        value = self._get(key)
        return default if value is None else value

    def put_records(self, values: Mapping[str, Any], *, delete: Iterable[str] = ()) -> None:
        """Write (and delete) ``sync:`` records in one transaction."""
        for key in [*values, *delete]:
            _check_sync_key(key)
        with self.transaction():
            for key, value in values.items():
                self._cache.set(key, value)
            for key in delete:
                self._cache.delete(key)

    def set_record(self, key: str, value: Any) -> None:
        """Write a ``sync:`` record; inside ``transaction()`` it goes with the rest."""
        _check_sync_key(key)
        with self.transaction():
            self._cache.set(key, value)

    def delete_record(self, key: str) -> None:
        _check_sync_key(key)
        with self.transaction():
            self._cache.delete(key)

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
        return state_from(record)

    def feed_states_of(self, names: Iterable[str]) -> dict[str, FeedState]:
        """The stored states of these feeds (those that have one), read at once."""
        wanted = list(dict.fromkeys(names))
        records = self._get_many([f"feed:{name}" for name in wanted])
        states: dict[str, FeedState] = {}
        for name in wanted:
            state = state_from(records[f"feed:{name}"])
            if state is not None:
                states[name] = state
        return states

    def save_feed_state(self, state: FeedState) -> None:
        self.save_feed_states([state])

    def save_feed_states(self, states: Sequence[FeedState]) -> None:
        """Several feeds' states in one transaction (a warm refresh's 304s)."""
        if not states:
            return
        with self.transaction():
            for state in states:
                self._cache.set(f"feed:{state.name}", _state_record(state))
            self._add_sources(state.name for state in states)

    def source_names(self) -> list[str]:
        names = self._get_deferrable("sources")
        return [n for n in names if type(n) is str] if isinstance(names, list) else []

    def add_sources(
        self, names: Iterable[str], first_states: Mapping[str, FeedState] | None = None
    ) -> None:
        """Name feeds about to be stored (a refresh's, before it starts): the list of
        sources is then written once, not once per new feed as each is stored.

        ``first_states``: the state each feed starts from when it has none stored
        yet, written now for the new ones, together. The state records of a
        cache's feeds then lie side by side in the file, where a refresh updates
        them in place: written as each feed was first stored, each sat on a page
        of its own between the feed's articles, and a warm refresh of 200 feeds
        rewrote 200 pages (about 750 page writes with the WAL's checkpoint; 170
        with the states together)."""
        fresh = [name for name in dict.fromkeys(names) if name not in self._known_sources]
        if fresh and not self._in_own_transaction():
            self._known_sources.update(self.source_names())  # as committed
            fresh = [name for name in fresh if name not in self._known_sources]
        if fresh:
            with self.transaction():
                if first_states:
                    stored = self._get_many([f"feed:{name}" for name in fresh])
                    for name in fresh:
                        state = first_states.get(name)
                        if state is not None and stored[f"feed:{name}"] is None:
                            self._cache.set(f"feed:{name}", _state_record(state))
                self._add_sources(fresh)

    def _add_sources(self, added: Iterable[str]) -> None:
        wanted = [name for name in dict.fromkeys(added) if name not in self._known_sources]
        if not wanted:
            return  # all in the stored list already (it only grows): nothing to read
        names = self.source_names()
        known = set(names)
        fresh = [name for name in wanted if name not in known]
        if fresh:
            self._set_deferrable("sources", [*names, *fresh])
        if self._in_own_transaction():
            self._sources_seen.update(known, fresh)  # known once the transaction commits

    def feed_counts(self, names: Iterable[str] | None = None) -> dict[str, FeedCounts]:
        """Articles, on-topic, unread, starred per feed, without reading any article."""
        found: dict[str, FeedCounts] = {}
        wanted = list(dict.fromkeys(self.source_names() if names is None else names))
        if self._ahead is None:
            values = self._get_many([f"n:{name}" for name in wanted])
        else:  # the bulk read was made already
            values = {f"n:{name}": self._get(f"n:{name}") for name in wanted}
        for name in wanted:
            value = values[f"n:{name}"]
            if isinstance(value, list) and len(value) == 5 and all(type(v) is int for v in value):
                found[name] = FeedCounts(*value)
        return found

    def count_articles(self) -> int:
        return sum(counts.articles for counts in self.feed_counts().values())

    # ------------------------------------------------------------------ indexes

    def _feed_index(self, source: str) -> FeedIndex | None:
        """The index of one feed; an empty one for a feed never stored, None if damaged."""
        key = f"fx:{source}"
        value = self._get(key)
        if value is None:
            return None if key in self.damaged else FeedIndex(source, "", {})
        ids = value.get("ids") if isinstance(value, dict) else None
        if not isinstance(ids, dict):
            self.damaged.add(key)
            return None
        clean = {
            i: e
            for i, e in ids.items()
            if isinstance(e, list) and len(e) == 2 and type(e[0]) is str and type(e[1]) is int
        }
        topic = value.get("topic")
        return FeedIndex(source, topic if isinstance(topic, str) else "", clean)

    def _load_pages(self, feed: FeedIndex) -> None:
        if feed.pages_known:
            return
        value = self._get(f"px:{feed.source}")
        feed.pages_known = True
        if isinstance(value, dict) and isinstance(value.get("entries"), dict):
            feed.pages = {
                i: e
                for i, e in value["entries"].items()
                if isinstance(e, list) and len(e) == 5 and type(e[0]) is str
            }
            mode = value.get("mode")
            feed.pages_mode = mode if isinstance(mode, str) else None
        else:
            feed.pages = None

    def _topic_index(self) -> TopicIndex:
        value = self._get_deferrable("topic")
        if not isinstance(value, dict):
            return TopicIndex(None, 0, {})
        fingerprint = value.get("fingerprint")
        generation = value.get("generation")
        days = value.get("days")
        return TopicIndex(
            fingerprint if isinstance(fingerprint, str) else None,
            generation if type(generation) is int else 0,
            {d: n for d, n in days.items() if type(n) is int} if isinstance(days, dict) else {},
        )

    def topic_state(self) -> tuple[str | None, int]:
        """(the topic fingerprint every feed was matched under, or None; the generation)."""
        topic = self._topic_index()
        return topic.fingerprint, topic.generation

    def topic_days(self) -> dict[str, int]:
        """On-topic articles per day (UTC date of their sort time)."""
        return dict(self._topic_index().days)

    def _write_feed_index(self, feed: FeedIndex) -> None:
        cache = self._cache
        cache.set(f"fx:{feed.source}", {"topic": feed.topic, "ids": feed.ids})
        total = len(feed.ids)
        on_topic = unread = starred = short = 0
        for _tkey, bits in feed.ids.values():
            if bits & STARRED:
                starred += 1
            if bits & ON_TOPIC:
                on_topic += 1
                if not bits & READ:
                    unread += 1
                if bits & SHORT:
                    short += 1
        cache.set(f"n:{feed.source}", [total, on_topic, unread, starred, short])
        if feed.on_topic_changed:
            cache.set(
                f"ox:{feed.source}",
                [[tkey, i] for i, (tkey, bits) in feed.ids.items() if bits & ON_TOPIC],
            )
        if feed.pages_changed and feed.pages is not None:
            cache.set(f"px:{feed.source}", {"mode": feed.pages_mode, "entries": feed.pages})

    def _write_topic(self, topic: TopicIndex) -> None:
        if topic.changed:
            self._set_deferrable(
                "topic",
                {
                    "fingerprint": topic.fingerprint,
                    "generation": topic.generation,
                    "days": topic.days,
                },
            )

    def _put_article(
        self,
        feed: FeedIndex,
        topic: TopicIndex,
        record: dict[str, Any],
        marks: int | None = None,
    ) -> None:
        """Index one article record just written (its header, page entry and bits)."""
        identifier = record["id"]
        old = feed.ids.get(identifier)
        if marks is None:  # marks of an article new to the index: none yet
            marks = (old[1] & (READ | STARRED)) if old is not None else 0
        tkey = time_key(record.get("published"), record["first_seen"])
        on_topic = bool(record.get("on_topic"))
        bits = marks
        if on_topic:
            bits |= ON_TOPIC | page_bits(record)
        if old is not None and old[1] & ON_TOPIC and (not on_topic or old[0] != tkey):
            self._cache.delete(f"{HEADER_PREFIX}{old[0]} {identifier}")
            topic.remove(old[0])
        if on_topic:
            self._cache.set(
                f"{HEADER_PREFIX}{tkey} {identifier}",
                header_value(record, bool(marks & READ), bool(marks & STARRED)),
            )
            if old is None or not old[1] & ON_TOPIC or old[0] != tkey:
                topic.add(tkey)
        if on_topic or (old is not None and old[1] & ON_TOPIC):
            topic.bump()
        was_on_topic = old is not None and bool(old[1] & ON_TOPIC)
        if was_on_topic != on_topic or (on_topic and old is not None and old[0] != tkey):
            feed.on_topic_changed = True
        feed.ids[identifier] = [tkey, bits]
        self._load_pages(feed)
        if feed.pages is not None or on_topic:
            if feed.pages is None:
                # A feed seen for the first time: its entries are complete.
                feed.pages = {}
                feed.pages_mode = None
            if on_topic:
                feed.pages[identifier] = self._page_entry(record, tkey, bits)
            else:
                feed.pages.pop(identifier, None)
            feed.pages_changed = True

    def _page_entry(self, record: Mapping[str, Any], tkey: str, bits: int) -> list[Any]:
        validators = validators_from(self._get(f"p:{record['id']}"))
        link = str(record.get("link") or "")
        checked = validators.checked if validators and validators.url == link.strip() else ""
        label = link or str(record.get("title") or "")
        return [tkey, page_state(record), checked, bits & (SHORT | WEB_LINK), label]

    def _drop_article(self, feed: FeedIndex, topic: TopicIndex, identifier: str) -> None:
        old = feed.ids.pop(identifier, None)
        for key in (f"a:{identifier}", f"f:{identifier}", f"p:{identifier}"):
            self._cache.delete(key)
        if old is not None and old[1] & ON_TOPIC:
            self._cache.delete(f"{HEADER_PREFIX}{old[0]} {identifier}")
            topic.remove(old[0])
            topic.bump()
            feed.on_topic_changed = True
        if old is not None and old[1] & STARRED:
            starred = self._starred()
            if starred.pop(identifier, None) is not None:
                self._cache.set("starred", starred)
        self._load_pages(feed)
        if feed.pages is not None and feed.pages.pop(identifier, None) is not None:
            feed.pages_changed = True

    def _marks_of(self, identifier: str) -> int:
        flag = flag_from(identifier, self._get(f"f:{identifier}"))
        if flag is None:
            return 0
        return (READ if flag.read else 0) | (STARRED if flag.starred else 0)

    def _read_article(self, identifier: str) -> dict[str, Any] | None:
        key = f"a:{identifier}"
        record = self._get(key)
        if record is None:
            return None
        if not well_formed(record) or record.get("id") != identifier:
            self.damaged.add(key)
            return None
        return record  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ articles

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
        marks and any extracted full text of an unchanged page), and articles
        the feed no longer lists stay until ``retention_days`` after they were
        published; starred ones stay for ever. ``matches`` are topic matches
        by entry id computed elsewhere (in the parse workers); any entry
        missing from it is matched here. Only the articles of this feed are read,
        and only new or changed ones are written.
        """
        now = now or utc_now()
        fingerprint = topic_fingerprint(topic_filter.topic)
        cutoff = (datetime.fromisoformat(now) - timedelta(days=retention_days)).isoformat()
        new = updated = expired = 0
        with self.transaction():
            fresh_store = self._get_deferrable("topic") is None
            feed = self._feed_index(source)
            if feed is None:  # its index is damaged: make every index again first
                self._reindex_locked()
                feed = self._feed_index(source) or FeedIndex(source, "", {})
            topic = self._topic_index()
            if feed.ids and feed.topic != fingerprint:
                self._rematch_locked(feed, topic, topic_filter)
            feed.topic = fingerprint
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
                    "guid": entry.id,
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
                }
                # Not in a readable index: no record either (a cold refresh reads nothing).
                old = self._read_article(identifier) if identifier in feed.ids else None
                if old is None:
                    new += 1
                else:
                    record["first_seen"] = old.get("first_seen", now)
                    if any(old.get(key) != record[key] for key in COMPARED_FIELDS):
                        updated += 1
                    if old.get("link") == record["link"]:
                        record["full_text"] = old.get("full_text", "")
                        record["full_text_status"] = old.get("full_text_status", "")
                    if old == record and identifier in feed.ids:
                        continue  # unchanged: nothing to write
                self._cache.set(f"a:{identifier}", record)
                self._put_article(feed, topic, record)
            for identifier, (tkey, bits) in list(feed.ids.items()):
                if identifier in current or bits & STARRED or tkey >= cutoff:
                    continue
                self._drop_article(feed, topic, identifier)
                expired += 1
            self._write_feed_index(feed)
            if fresh_store:  # the first feed stored: the topic every index is matched under
                topic.fingerprint = fingerprint
                topic.changed = True
            self._write_topic(topic)
            if state is not None:
                self._cache.set(f"feed:{source}", _state_record(state))
            self._add_sources([source])
        return MergeCounts(new=new, updated=updated, total=len(current), expired=expired)

    def load_articles(
        self, sources: Iterable[str] | None = None, topic_filter: TopicFilter | None = None
    ) -> list[Article]:
        """Every stored article of these sources (all by default), newest first.

        With a topic filter, the articles of a feed matched under other keywords
        are matched again in memory (a refresh stores the new matches), so
        editing the topic in feeds.toml takes effect without one. Never writes.
        """
        names = list(sources) if sources is not None else self.source_names()
        fingerprint = topic_fingerprint(topic_filter.topic) if topic_filter else None
        articles: list[Article] = []
        for name in names:
            feed = self._feed_index(name)
            if feed is None:
                continue
            stale = topic_filter is not None and feed.topic != fingerprint
            for identifier, (_tkey, bits) in feed.ids.items():
                record = self._read_article(identifier)
                if record is None or record["source"] != name:
                    continue
                if stale and topic_filter is not None:
                    match = topic_filter.match(
                        record["title"], record["summary"], record["content"]
                    )
                    record["on_topic"], record["relevance"] = match.on_topic, match.relevance
                articles.append(article_from(record, bool(bits & READ), bool(bits & STARRED)))
        articles.sort(key=lambda a: a.sort_time, reverse=True)
        return articles

    def feed_identities(
        self, source: str, skip: Container[str] = ()
    ) -> dict[str, tuple[str, str, str]]:
        """The guid, link and title of each stored article of one feed, by id, but
        those in ``skip``: what a feed server's entries are matched on. Never writes."""
        feed = self._feed_index(source)
        found: dict[str, tuple[str, str, str]] = {}
        for identifier in feed.ids if feed is not None else ():
            if identifier in skip:
                continue
            record = self._read_article(identifier)
            guid = record.get("guid") if record is not None else None
            if (
                record is not None
                and record["source"] == source
                and isinstance(guid, str)
                and article_id(source, guid) == identifier
            ):
                found[identifier] = (guid, record["link"], record["title"])
        return found

    def articles_by_id(self, ids: Iterable[str]) -> dict[str, Article]:
        """Stored articles by id, with their marks; missing or damaged ones left out."""
        found: dict[str, Article] = {}
        for identifier in ids:
            record = self._read_article(identifier)
            if record is None:
                continue
            marks = self._marks_of(identifier)
            found[identifier] = article_from(record, bool(marks & READ), bool(marks & STARRED))
        return found

    def article(self, source: str, identifier: str) -> Article | None:
        found = self.articles_by_id([identifier]).get(identifier)
        return found if found is not None and found.source == source else None

    def headers(self, sources: Iterable[str] | None = None) -> list[ArticleHeader]:
        """Headers of the on-topic articles of these feeds, newest first, from the
        indexes (no article is read)."""
        names = list(sources) if sources is not None else self.source_names()
        headers: list[ArticleHeader] = []
        for name in names:
            for tkey, identifier in self._on_topic_of(name):
                key = f"{HEADER_PREFIX}{tkey} {identifier}"
                header = header_from(key, self._get(key))
                if header is None:
                    self.damaged.add(key)
                    continue
                headers.append(header)
        headers.sort(key=lambda h: (h.time, h.id), reverse=True)
        return headers

    def _on_topic_of(self, source: str) -> list[tuple[str, str]]:
        """(time, id) of a feed's on-topic articles, from its small ``ox:`` list (the
        feed's whole index when that list cannot be read)."""
        value = self._get(f"ox:{source}")
        if isinstance(value, list) and all(
            isinstance(e, list) and len(e) == 2 and type(e[0]) is str and type(e[1]) is str
            for e in value
        ):
            return [(e[0], e[1]) for e in value]
        feed = self._feed_index(source)
        if feed is None:
            return []
        return [(tkey, i) for i, (tkey, bits) in feed.ids.items() if bits & ON_TOPIC]

    def newest_headers(
        self, limit: int, sources: Iterable[str] | None = None
    ) -> list[ArticleHeader]:
        """The newest ``limit`` on-topic headers (of these feeds): what a first screen
        shows, read from the end of the time-ordered header keys, whatever the size
        of the cache."""
        wanted = set(sources) if sources is not None else None
        found: list[ArticleHeader] = []
        if limit <= 0:
            return found
        try:
            for key in self._cache.newest_keys(HEADER_PREFIX):
                header = header_from(key, self._get(key))
                if header is None or (wanted is not None and header.source not in wanted):
                    continue
                found.append(header)
                if len(found) >= limit:
                    break
        except sqlite3.DatabaseError as error:
            if not cachefile.is_unreadable(error):
                raise
            self.damaged.add(HEADER_PREFIX)
        return found

    def update_articles(self, articles: Sequence[Article]) -> None:
        """Write back what the page step computes (full text and its status)."""
        self.save_page_results(articles, {})

    # ------------------------------------------------------------------ topic

    def rematch_topic(self, topic_filter: TopicFilter) -> int:
        """Match every feed's articles again under a changed topic (one transaction per
        feed); returns the number of feeds matched again. Nothing when up to date."""
        fingerprint = topic_fingerprint(topic_filter.topic)
        if self._topic_index().fingerprint == fingerprint:
            return 0
        done = 0
        for name in self.source_names():
            with self.transaction():
                feed = self._feed_index(name)
                if feed is None or feed.topic == fingerprint:
                    continue
                topic = self._topic_index()
                self._rematch_locked(feed, topic, topic_filter)
                self._write_feed_index(feed)
                self._write_topic(topic)
                done += 1
        with self.transaction():
            topic = self._topic_index()
            topic.fingerprint = fingerprint
            topic.changed = True
            self._write_topic(topic)
        return done

    def _rematch_locked(
        self, feed: FeedIndex, topic: TopicIndex, topic_filter: TopicFilter
    ) -> None:
        for identifier in list(feed.ids):
            record = self._read_article(identifier)
            if record is None:
                continue
            match = topic_filter.match(record["title"], record["summary"], record["content"])
            if (match.on_topic, match.relevance) == (record["on_topic"], record["relevance"]):
                continue
            record["on_topic"], record["relevance"] = match.on_topic, match.relevance
            self._cache.set(f"a:{identifier}", record)
            self._put_article(feed, topic, record)
        feed.topic = topic_fingerprint(topic_filter.topic)

    # ------------------------------------------------------------------ read / starred

    def flags(self) -> dict[str, list[bool]]:
        """[read, starred] of every article not in the default state (reads every
        feed's index: for tests and tools, not for a screen)."""
        found: dict[str, list[bool]] = {}
        for name in self.source_names():
            feed = self._feed_index(name)
            for identifier, (_tkey, bits) in (feed.ids if feed else {}).items():
                if bits & (READ | STARRED):
                    found[identifier] = [bool(bits & READ), bool(bits & STARRED)]
        return found

    def flag_states(self, ids: Iterable[str]) -> dict[str, FlagState]:
        """The marks of these articles with the time each last changed (for sync).
        An article never marked has no entry."""
        found: dict[str, FlagState] = {}
        for identifier in ids:
            flag = flag_from(identifier, self._get(f"f:{identifier}"))
            if flag is not None:
                found[identifier] = flag
        return found

    def starred_ids(self) -> dict[str, str]:
        """{article id: feed} of every starred article, on topic or not."""
        return dict(self._starred())

    def _starred(self) -> dict[str, str]:
        value = self._get("starred")
        if not isinstance(value, dict):
            return {}
        return {i: s for i, s in value.items() if type(s) is str}

    def set_flags(
        self,
        ids: Iterable[str],
        *,
        read: bool | None = None,
        starred: bool | None = None,
        changed: str | None = None,
    ) -> list[FlagState]:
        """Set read and/or starred on articles, at ``changed`` (now by default); survives
        refreshes and restarts. Returns the new states of the articles found."""
        stamp = changed or utc_now()
        changes = [FlagChange(i, stamp, read=read, starred=starred) for i in ids]
        return self._apply_flags(changes, newer_only=False)

    def apply_flag_changes(self, changes: Iterable[FlagChange]) -> list[FlagState]:
        """Marks set elsewhere (a sync server): each mark takes the change only when the
        change is newer than the mark's own last change. Returns the states that changed."""
        return self._apply_flags(list(changes), newer_only=True)

    def _apply_flags(self, changes: Sequence[FlagChange], *, newer_only: bool) -> list[FlagState]:
        if not changes:
            return []
        result: list[FlagState] = []
        with self.transaction():
            feeds: dict[str, FeedIndex] = {}
            starred_ids = self._starred()
            starred_before = dict(starred_ids)
            for change in changes:
                flag = flag_from(change.id, self._get(f"f:{change.id}"))
                if flag is None:
                    record = self._read_article(change.id)
                    if record is None:
                        continue  # expired meanwhile, or never stored
                    flag = FlagState(change.id, record["source"])
                updated = flag
                if (
                    change.read is not None
                    and change.read != flag.read
                    and not (newer_only and change.changed <= flag.read_changed)
                ):
                    updated = replace(updated, read=change.read, read_changed=change.changed)
                if (
                    change.starred is not None
                    and change.starred != flag.starred
                    and not (newer_only and change.changed <= flag.starred_changed)
                ):
                    updated = replace(
                        updated, starred=change.starred, starred_changed=change.changed
                    )
                if updated == flag:
                    continue
                feed = feeds.get(flag.source)
                if feed is None:
                    feed = self._feed_index(flag.source)
                    if feed is None:
                        continue
                    feeds[flag.source] = feed
                entry = feed.ids.get(change.id)
                if entry is None:
                    continue
                self._cache.set(f"f:{change.id}", flag_record(updated))
                bits = entry[1] & ~(READ | STARRED)
                bits |= (READ if updated.read else 0) | (STARRED if updated.starred else 0)
                entry[1] = bits
                if bits & ON_TOPIC:
                    key = f"{HEADER_PREFIX}{entry[0]} {change.id}"
                    value = self._get(key)
                    if isinstance(value, list) and len(value) == 9:
                        value[6], value[7] = updated.read, updated.starred
                        self._cache.set(key, value)
                if updated.starred:
                    starred_ids[change.id] = flag.source
                else:
                    starred_ids.pop(change.id, None)
                result.append(updated)
            for feed in feeds.values():
                self._write_feed_index(feed)
            if starred_ids != starred_before:
                self._cache.set("starred", starred_ids)
        return result

    # ------------------------------------------------------------------ the page step

    def page_validators(self, ids: Iterable[str]) -> dict[str, PageValidators]:
        found: dict[str, PageValidators] = {}
        for identifier in ids:
            validators = validators_from(self._get(f"p:{identifier}"))
            if validators is not None:
                found[identifier] = validators
        return found

    def page_entries(self, source: str, mode: str) -> tuple[list[PageEntry], str | None]:
        """The articles of one feed the page step may act on under ``mode``, and the
        mode they were last pruned under (None: never pruned).

        Under another mode than the last one (or when none are kept yet) they are
        made again from the feed's on-topic articles, read once.
        """
        probe = FeedIndex(source, "", {})
        self._load_pages(probe)
        entries = probe.pages
        recorded = probe.pages_mode
        if entries is None or (recorded is not None and recorded != mode):
            feed = self._feed_index(source)
            if feed is None:
                return [], None
            if self.read_only:
                entries = self._page_entries_from_articles(feed)
            else:
                with self.transaction():
                    feed = self._feed_index(source) or feed
                    entries = self._page_entries_from_articles(feed)
                    self._cache.set(f"px:{source}", {"mode": None, "entries": entries})
            recorded = None
        found = [
            PageEntry(i, source, e[0], str(e[1]), str(e[2]), bool(e[3] & SHORT),
                      bool(e[3] & WEB_LINK), str(e[4]))
            for i, e in entries.items()
        ]  # fmt: skip
        return found, recorded

    def _page_entries_from_articles(self, feed: FeedIndex) -> dict[str, list[Any]]:
        entries: dict[str, list[Any]] = {}
        for identifier, (tkey, bits) in feed.ids.items():
            if not bits & ON_TOPIC:
                continue
            record = self._read_article(identifier)
            if record is not None:
                entries[identifier] = self._page_entry(record, tkey, bits)
        return entries

    def settle_page_entries(self, source: str, mode: str, at_rest: Iterable[str]) -> None:
        """Drop entries the page step will not act on again under ``mode`` (old pages
        read or failed, pages not wanted), and remember that mode for the feed."""
        drop = set(at_rest)
        with self.transaction():
            feed = self._feed_index(source)
            if feed is None:
                return
            self._load_pages(feed)
            if feed.pages is None:
                return
            if not drop and feed.pages_mode == mode:
                return
            for identifier in drop:
                feed.pages.pop(identifier, None)
            feed.pages_mode = mode
            self._cache.set(f"px:{source}", {"mode": mode, "entries": feed.pages})

    def save_page_results(
        self,
        articles: Sequence[Article],
        validators: Mapping[str, PageValidators | None],
    ) -> None:
        """One transaction: the page step's changes to these articles (full text and
        its status) and to their validators (a value of None drops them; ids not in
        ``validators`` keep theirs). ``validators`` may name articles not in
        ``articles`` (a 304 changes only its validators)."""
        if not articles and not validators:
            return
        with self.transaction():
            feeds: dict[str, FeedIndex] = {}
            topic = self._topic_index()
            for identifier, value in validators.items():
                if value is None:
                    self._cache.delete(f"p:{identifier}")
                else:
                    self._cache.set(f"p:{identifier}", validators_record(value))
            changed = {a.id: a for a in articles}
            for identifier in dict.fromkeys([*changed, *validators]):
                record = self._read_article(identifier)
                if record is None:
                    continue  # expired meanwhile: nothing to update
                article = changed.get(identifier)
                new_text = False
                if article is not None and (
                    record.get("full_text"),
                    record.get("full_text_status"),
                ) != (article.full_text, article.full_text_status):
                    new_text = record.get("full_text") != article.full_text
                    record["full_text"] = article.full_text
                    record["full_text_status"] = article.full_text_status
                    self._cache.set(f"a:{identifier}", record)
                feed = feeds.get(record["source"])
                if feed is None:
                    feed = self._feed_index(record["source"])
                    if feed is None:
                        continue
                    feeds[record["source"]] = feed
                entry = feed.ids.get(identifier)
                if entry is None:
                    continue
                if entry[1] & ON_TOPIC:
                    key = f"{HEADER_PREFIX}{entry[0]} {identifier}"
                    value = self._get(key)
                    if (
                        isinstance(value, list)
                        and len(value) == 9
                        and value[8] != record.get("full_text_status", "")
                    ):
                        value[8] = record.get("full_text_status", "")
                        self._cache.set(key, value)
                    if new_text:  # what the facts engine reads changed
                        topic.bump()
                self._load_pages(feed)
                if feed.pages is not None and identifier in feed.pages:
                    feed.pages[identifier] = self._page_entry(record, entry[0], entry[1])
                    feed.pages_changed = True
            for feed in feeds.values():
                if feed.pages_changed and feed.pages is not None:
                    self._cache.set(
                        f"px:{feed.source}", {"mode": feed.pages_mode, "entries": feed.pages}
                    )
            self._write_topic(topic)

    def claim_pages(self, urls: Iterable[str]) -> set[str]:
        """Claim pages for this process's page step; returns those another live page
        step has claimed (not to be fetched here). Claims of dead processes lapse."""
        wanted = list(dict.fromkeys(urls))
        with self.transaction():
            claims = self._live_claims()
            taken: set[str] = set()
            for pid, claim in claims.items():
                if pid != str(os.getpid()):
                    taken.update(claim.get("urls", ()))
            mine = [url for url in wanted if url not in taken]
            claims[str(os.getpid())] = {"started": utc_now(), "urls": mine}
            self._cache.set("claims", claims)
        return {url for url in wanted if url in taken}

    def release_pages(self) -> None:
        with self.transaction():
            claims = self._live_claims()
            if claims.pop(str(os.getpid()), None) is not None or claims != self._get("claims"):
                self._cache.set("claims", claims)

    def _live_claims(self) -> dict[str, dict[str, Any]]:
        value = self._get("claims")
        if not isinstance(value, dict):
            return {}
        return {
            pid: claim
            for pid, claim in value.items()
            if isinstance(claim, dict) and pid.isdigit() and process_alive(int(pid))
        }

    def mark_page_step(self, *, running: bool) -> None:
        """Record that this process's page step (full text) starts or ends."""
        if running:
            self.claim_pages([])
        else:
            self.release_pages()

    def page_step_running(self) -> bool:
        """Whether a live process is fetching pages into this store now.

        A process killed mid-step (no chance to clean up) leaves its "pending"
        marks behind; they mean nothing once that process is gone.
        """
        return bool(self._live_claims())

    # ------------------------------------------------------------------ facts cache

    def load_facts(self, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Stored facts by key; missing or unreadable entries are left out (and redone)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for key in keys:
            value = self._get(f"facts:{key}")
            if isinstance(value, list):
                found[key] = value
        return found

    def save_facts(self, entries: Mapping[str, list[dict[str, Any]]]) -> None:
        """Keep extracted facts for next time. They are only a cache: on a cache that
        cannot be written (read-only, a full disk) they are simply not kept."""
        if not entries or self.read_only:
            return
        with contextlib.suppress(StoreError), self.transaction():
            for key, value in entries.items():
                self._cache.set(f"facts:{key}", value)

    # ------------------------------------------------------------------ whole cache

    def _reindex_locked(self) -> None:
        """Make every index again from the article records (inside a transaction): when
        an index record is found damaged. Reads every article once."""
        fingerprint = self._topic_index().fingerprint or ""
        by_source: dict[str, dict[str, dict[str, Any]]] = {}
        for key in list(self._cache.all_keys()):
            if not key.startswith("a:"):
                if key.startswith((HEADER_PREFIX, "fx:", "px:", "n:", "ox:")) or key in (
                    "topic",
                    "starred",
                ):
                    self._cache.delete(key)
                continue
            record = self._read_article(key[2:])
            if record is not None:
                by_source.setdefault(record["source"], {})[record["id"]] = record
        topic = TopicIndex(fingerprint or None, fresh_generation(), {}, True)
        starred: dict[str, str] = {}
        for source, records in by_source.items():
            feed = FeedIndex(source, fingerprint, {}, pages=None, pages_known=True)
            for record in records.values():
                marks = self._marks_of(record["id"])
                self._put_article(feed, topic, record, marks)
                if marks & STARRED:
                    starred[record["id"]] = source
            self._write_feed_index(feed)
        self._write_topic(topic)
        self._cache.set("starred", starred)
        self._add_sources(by_source)
        self.damaged = {k for k in self.damaged if k.startswith(("a:", "f:", "p:", "facts:"))}


# --------------------------------------------------------------------------- helpers


def _check_sync_key(key: str) -> None:
    if not key.startswith(SYNC_PREFIX):
        raise ValueError(f"only {SYNC_PREFIX!r} records may be written this way, not {key!r}")


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, but another user's
    return True


def _cannot_create(directory: Path, error: OSError) -> StoreError:
    described = cachefile.write_fault(directory, error)
    reason = described[1] if described else (error.strerror or str(error))
    return StoreError(
        f"cannot create the cache directory {directory}: {error.strerror or error}"
        + (f" ({reason})" if described else ""),
        directory,
        rebuildable=False,
        fault=Fault.CANNOT_CREATE,
    )


def move_aside_folder(source: Path, label: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = source.with_name(f"{source.name}.{label}-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = source.with_name(f"{source.name}.{label}-{stamp}-{counter}")
    source.rename(target)
    return target


def peek_schema(directory: Path) -> int | None:
    """The schema version of the cache at ``directory``: None when there is no cache
    yet, -1 when it has one this code cannot tell."""
    if not (directory / cachefile.DB_NAME).is_file():
        return None
    for legacy in (False, True):
        try:
            reader = cachefile.open_read_only(directory, legacy=legacy)
        except (sqlite3.Error, OSError):
            return None  # the real open says what is wrong
        try:
            value = reader.get("schema")
        except (*DECODE_ERRORS, sqlite3.Error):
            value = None
        finally:
            reader.close()
        if isinstance(value, dict) and type(value.get("version")) is int:
            return int(value["version"])
        if value is not None:
            return -1
    return None


@contextmanager
def exclusive_lock(directory: Path) -> Iterator[bool]:
    """An advisory lock beside the cache (``<dir>.lock``) while it is moved or copied;
    yields False when the lock file cannot be made (a read-only parent)."""
    path = directory.with_name(directory.name + ".lock")
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield False
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield True
    finally:
        os.close(handle)


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


_STATE_FIELDS = tuple(each.name for each in fields(FeedState))


def _state_record(state: FeedState) -> dict[str, Any]:
    """``asdict`` without its deep copies: every field of a FeedState is a str or None
    (200 of these per warm refresh)."""
    return {name: getattr(state, name) for name in _STATE_FIELDS}
