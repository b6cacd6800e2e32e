"""Upkeep of a whole cache: carry the first layout over, salvage a damaged cache, rebuild.

Each builds a new cache in a folder beside the old one, writes its schema
record last, then swaps the two folders: the old cache is kept aside, renamed,
never deleted. A process killed at any point leaves either the old cache in
place or a finished new one beside it, which the next open puts in place
(``adopt_finished_swap``). An advisory lock (``<cache>.lock``) keeps two
processes from doing it at once.

The first layout (schema 1, the code before the store was laid out for its
queries) kept, with diskcache.JSONDisk: ``articles:<feed>`` {id: article} per
feed, one ``flags`` {id: [read, starred]}, ``feed:<name>`` states, ``sources``,
``facts:<key>``, and ``meta:<name>``, among them ``meta:pages:<feed>``
{id: {url, etag, lm, checked}} (page validators).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefing.core import cachefile
from briefing.core.cachefile import DECODE_ERRORS, Fault, StoreError

_DERIVED = ("fx:", "px:", "n:", "ox:", "~t:")
_DERIVED_KEYS = ("topic", "starred", "claims", "schema", "sources")
_BATCH = 500


@dataclass(frozen=True, slots=True)
class UpkeepReport:
    """What a repair or rebuild did, in words for the user and in counts."""

    message: str
    kept_articles: int = 0
    moved_to: Path | None = None


def _temp_dir(directory: Path, label: str) -> Path:
    return directory.with_name(f"{directory.name}.{label}-{os.getpid()}")


def adopt_finished_swap(directory: Path) -> None:
    """When a swap was cut short (the old cache moved aside, the new one not yet in
    place), put the finished new cache in place. Called under the lock."""
    from briefing.core.store import SCHEMA_VERSION, peek_schema

    parent = directory.parent
    if not parent.is_dir():
        return
    candidates = sorted(
        (
            p
            for p in parent.iterdir()
            if p.name.startswith((f"{directory.name}.upgrading-", f"{directory.name}.repairing-"))
        ),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for candidate in candidates:
        if peek_schema(candidate) == SCHEMA_VERSION:
            candidate.rename(directory)
            return


def _discard_stale_copies(directory: Path) -> None:
    """Copies left by a process killed while building one (the original is still in
    place, so they hold nothing that is not there)."""
    from briefing.core.store import process_alive

    for label in ("upgrading", "repairing"):
        for candidate in directory.parent.glob(f"{directory.name}.{label}-*"):
            pid = candidate.name.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
                _discard(candidate)


def _swap(directory: Path, built: Path, label: str) -> Path:
    from briefing.core.store import move_aside_folder

    aside = move_aside_folder(directory, label)
    built.rename(directory)
    return aside


# --------------------------------------------------------------------------- importing


class _Importer:
    """Writes records into a new (v2) cache, then makes its indexes."""

    def __init__(self, target_dir: Path) -> None:
        from briefing.core.store import Store

        if target_dir.exists():
            shutil.rmtree(target_dir)  # our own unfinished copy from a killed run
        self.store = Store(target_dir, _importing=True)
        self.cache = self.store._cache
        self.ids_by_source: dict[str, list[str]] = {}
        self.topics: dict[str, set[str]] = {}
        self.sources: list[str] = []
        self.pending: list[tuple[str, Any]] = []
        self.articles = 0

    def put(self, key: str, value: Any) -> None:
        self.pending.append((key, value))
        if len(self.pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        with self.store.transaction():
            for key, value in self.pending:
                self.cache.set(key, value)
        self.pending = []

    def article(self, record: Any, topic_key: str | None) -> None:
        from briefing.core.storerecords import well_formed

        if not well_formed(record):
            return
        clean = {k: v for k, v in record.items() if k != "topic_key"}
        clean.setdefault("full_text", "")
        clean.setdefault("full_text_status", "")
        clean.setdefault("relevance", 0.0)
        clean.setdefault("on_topic", False)
        if clean["full_text_status"] == "pending":
            clean["full_text_status"] = ""  # the page step that marked it is gone
        source = clean["source"]
        self.ids_by_source.setdefault(source, []).append(clean["id"])
        self.topics.setdefault(source, set()).add(topic_key or "")
        self.articles += 1
        self.put(f"a:{clean['id']}", clean)

    def finish(self, *, note: dict[str, Any]) -> None:
        """Make every index from the records written, then the schema record, last."""
        from briefing.core.store import SCHEMA_VERSION
        from briefing.core.storerecords import STARRED, FeedIndex, TopicIndex, fresh_generation

        self.flush()
        store = self.store
        fingerprints = {t for topics in self.topics.values() for t in topics}
        common = next(iter(fingerprints)) if len(fingerprints) == 1 else None
        topic = TopicIndex(common or None, fresh_generation(), {}, changed=True)
        starred: dict[str, str] = {}
        for source, ids in self.ids_by_source.items():
            topics = self.topics.get(source, set())
            fingerprint = next(iter(topics)) if len(topics) == 1 else ""
            with store.transaction():
                feed = FeedIndex(source, fingerprint, {}, pages=None, pages_known=True)
                for identifier in dict.fromkeys(ids):
                    record = store._read_article(identifier)
                    if record is None:
                        continue
                    marks = store._marks_of(identifier)
                    store._put_article(feed, topic, record, marks)
                    if marks & STARRED:
                        starred[identifier] = source
                store._write_feed_index(feed)
                store._write_topic(topic)
                topic.changed = True
        with store.transaction():
            names = list(dict.fromkeys([*self.sources, *self.ids_by_source]))
            self.cache.set("sources", names)
            self.cache.set("starred", starred)
            store._write_topic(topic)
            self.cache.set("meta:cache_history", note)
            self.cache.set("schema", {"version": SCHEMA_VERSION})
        store.close()


def _legacy_rows(reader: cachefile.ReadOnlyCache) -> Iterator[tuple[Any, Any]]:
    for key in list(reader.all_keys()):
        try:
            yield key, reader.get(key)
        except (*DECODE_ERRORS, sqlite3.DatabaseError):
            continue


def _import_legacy(rows: Iterable[tuple[Any, Any]], importer: _Importer) -> None:
    from briefing.core.storerecords import FlagState, flag_record

    flags: dict[str, Any] = {}
    for key, value in rows:
        if not isinstance(key, str):
            continue
        if key.startswith("articles:") and isinstance(value, dict):
            for record in value.values():
                topic_key = record.get("topic_key") if isinstance(record, dict) else None
                importer.article(record, topic_key if isinstance(topic_key, str) else None)
        elif key == "flags" and isinstance(value, dict):
            flags = value
        elif key.startswith("meta:pages:") and isinstance(value, dict):
            for identifier, validators in value.items():
                if isinstance(validators, dict) and isinstance(validators.get("url"), str):
                    importer.put(f"p:{identifier}", validators)
        elif key == "meta:page_step" or key == "schema":
            continue
        elif key == "sources" and isinstance(value, list):
            importer.sources = [n for n in value if type(n) is str]
        elif key.startswith(("feed:", "facts:", "meta:")):
            importer.put(key, value)
    source_of = {i: s for s, ids in importer.ids_by_source.items() for i in ids}
    for identifier, pair in flags.items():
        source = source_of.get(identifier)
        if source is None or not isinstance(pair, list) or len(pair) != 2:
            continue
        flag = FlagState(identifier, source, bool(pair[0]), "", bool(pair[1]), "")
        importer.put(f"f:{identifier}", flag_record(flag))


def _import_current(rows: Iterable[tuple[Any, Any]], importer: _Importer) -> None:
    topics: dict[str, str] = {}
    for key, value in rows:
        if not isinstance(key, str):
            continue
        if key.startswith("a:"):
            importer.article(value, None)
        elif key.startswith("fx:"):
            if isinstance(value, dict) and isinstance(value.get("topic"), str):
                topics[key[3:]] = value["topic"]
        elif key == "sources" and isinstance(value, list):
            importer.sources = [n for n in value if type(n) is str]
        elif key.startswith(_DERIVED) or key in _DERIVED_KEYS:
            continue
        else:
            importer.put(key, value)
    for source in importer.topics:
        importer.topics[source] = {topics.get(source, "")}


# --------------------------------------------------------------------------- the operations


def migrate_legacy(directory: Path) -> Path | None:
    """Carry a cache of the first layout into the current one; returns where the old
    cache is kept (None when another process did it meanwhile)."""
    from briefing.core.store import LEGACY_SCHEMA_VERSION, exclusive_lock, peek_schema, utc_now

    with exclusive_lock(directory):
        if peek_schema(directory) != LEGACY_SCHEMA_VERSION:
            return None
        _discard_stale_copies(directory)
        built = _temp_dir(directory, "upgrading")
        try:
            reader = cachefile.open_read_only(directory, legacy=True)
            try:
                importer = _Importer(built)
                _import_legacy(_legacy_rows(reader), importer)
                importer.finish(note={"upgraded_from": 1, "at": utc_now()})
            finally:
                reader.close()
            return _swap(directory, built, "v1")
        except StoreError as error:
            _discard(built)
            raise StoreError(
                f"cannot upgrade the cache at {directory} to this briefing's layout: {error}",
                directory,
                rebuildable=False,
                fault=error.fault,
            ) from None
        except (sqlite3.Error, OSError) as error:
            _discard(built)
            described = cachefile.write_fault(directory.parent, error)
            reason = described[1] if described else str(error)
            raise StoreError(
                f"cannot upgrade the cache at {directory} to this briefing's layout: {reason}",
                directory,
                rebuildable=False,
                fault=described[0] if described else Fault.OTHER,
            ) from None


def _discard(built: Path) -> None:
    with contextlib.suppress(OSError):
        shutil.rmtree(built)


def repair_cache(directory: Path) -> UpkeepReport:
    """Copy every record still readable into a new cache, keep the old one aside
    (``--repair-cache``, and ``--rebuild-cache``: a cache that cannot be read at all
    gives an empty new one). An ordinary file at the path is left alone. Never
    raises for the file system's sake: every failure is a ``StoreError`` that says
    what and where."""
    from briefing.core.store import SCHEMA_VERSION, exclusive_lock, peek_schema, utc_now

    if not directory.exists():
        return UpkeepReport(f"there is no cache at {directory} yet; a new one will be made")
    if not directory.is_dir():
        raise StoreError(
            f"the cache path {directory} is a file, not a cache directory; it was left as it"
            " is (move it away, or give another --cache-dir)",
            directory,
            rebuildable=False,
            fault=Fault.NOT_A_DIRECTORY,
        )
    with exclusive_lock(directory) as locked:
        if not locked:
            raise StoreError(
                f"cannot repair the cache at {directory}: its folder's parent cannot be written"
                + _parent_reason(directory),
                directory,
                rebuildable=False,
                fault=Fault.READ_ONLY,
            )
        _discard_stale_copies(directory)
        built = _temp_dir(directory, "repairing")
        version = peek_schema(directory)
        legacy = version == 1
        try:
            reader: cachefile.ReadOnlyCache | None
            try:
                reader = cachefile.open_read_only(directory, legacy=legacy, probe=False)
                if version is None and reader.has_text_keys() is False:
                    reader.close()  # the schema record is lost, but the keys tell
                    legacy = True
                    reader = cachefile.open_read_only(directory, legacy=True, probe=False)
            except (sqlite3.Error, OSError):
                reader = None
            rows: Iterable[tuple[Any, Any]] = reader.rows() if reader is not None else ()
            try:
                importer = _Importer(built)
                if legacy:
                    _import_legacy(rows, importer)
                else:
                    _import_current(rows, importer)
                importer.finish(note={"repaired": True, "at": utc_now()})
                kept = importer.articles
            finally:
                if reader is not None:
                    reader.close()
            aside = _swap(directory, built, "damaged")
        except StoreError as error:
            _discard(built)
            raise StoreError(
                f"cannot repair the cache at {directory}: {error}",
                directory,
                rebuildable=False,
                fault=error.fault,
            ) from None
        except (sqlite3.Error, OSError) as error:
            _discard(built)
            described = cachefile.write_fault(directory.parent, error)
            reason = described[1] if described else str(getattr(error, "strerror", "") or error)
            raise StoreError(
                f"cannot repair the cache at {directory} (the cache was left as it is): {reason}",
                directory,
                rebuildable=False,
                fault=described[0] if described else Fault.OTHER,
            ) from None
    assert peek_schema(directory) == SCHEMA_VERSION
    return UpkeepReport(
        f"copied {kept} readable articles (with their marks, page validators, feed states and"
        f" facts) into a new cache at {directory}; the damaged one is kept at {aside}",
        kept_articles=kept,
        moved_to=aside,
    )


def _parent_reason(directory: Path) -> str:
    described = cachefile.write_fault(directory.parent, OSError(13, "Permission denied"))
    return f" ({described[1]})" if described else ""
