"""The cache's SQLite file: diskcache to write it, a read-only reader when it cannot be written.

This is the only module that imports diskcache. It knows how values are
encoded and how the file fails; it knows nothing of articles (``store.py``
lays records out on top of it).

Values are JSON, never pickles: unpickling a tampered cache file would run
code. Keys are plain strings, so SQLite keeps them in order (``newest_keys``).
A value is UTF-8 JSON, and zlib-compressed when it is over ``COMPRESS_OVER``
bytes (compressing a small record costs more than it saves). A row that
claims any other encoding (diskcache's pickle mode, a file outside the cache
directory) is refused, never decoded.

diskcache writes its settings every time a cache is opened, so a cache on a
read-only file system, without write permission, or on a full disk cannot be
opened with it at all. ``open_cache`` then falls back to ``ReadOnlyCache``,
which reads the same SQLite file with SQLite's own read-only mode (diskcache's
``Cache`` table: key, raw, mode, filename, value; decoded with this module's
``Disk``, through diskcache's public ``Disk`` interface).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import diskcache
from diskcache.core import MODE_BINARY, MODE_RAW, UNKNOWN

DB_NAME = "cache.db"
COMPRESS_OVER = 16384
"""Values longer than this (bytes of JSON) are zlib-compressed: a page's full text,
not a typical article (compressing 3 KB costs ~50-100 us, more than writing it)."""
_ZLIB_HEADER = 0x78  # every zlib stream starts with it; JSON never does ('x')
BUSY_SECONDS = 30
_UPSERT = (
    "INSERT INTO Cache(key, raw, store_time, expire_time, access_time, access_count,"
    " tag, size, mode, filename, value) VALUES (?, 1, ?, NULL, ?, 0, NULL, 0, ?, NULL, ?)"
    " ON CONFLICT(key, raw) DO UPDATE SET store_time = excluded.store_time,"
    " expire_time = NULL, access_time = excluded.access_time, access_count = 0,"
    " tag = NULL, size = 0, mode = excluded.mode, filename = NULL, value = excluded.value"
    " WHERE filename IS NULL"
)
"""diskcache's row for a string key and a value kept in the row (``_row_insert`` /
``_row_update``), in one statement."""
_KEYS_PER_QUERY = 500
"""Keys asked for in one query by ``get_many`` (SQLite allows 999 parameters)."""


class Fault:
    """Why a cache cannot be used (``StoreError.fault``)."""

    UNREADABLE = "unreadable"
    """Not a database, or damaged past reading: only moving it aside helps."""
    DAMAGED = "damaged"
    """Some records cannot be read; the rest can (``--repair-cache``)."""
    READ_ONLY = "read-only"
    DISK_FULL = "disk-full"
    LOCKED = "locked"
    VANISHED = "vanished"
    """Deleted or replaced while open."""
    NOT_A_DIRECTORY = "not-a-directory"
    CANNOT_CREATE = "cannot-create"
    NEWER = "newer"
    """Written by a newer briefing."""
    OTHER = "other"


class StoreError(Exception):
    """The cache cannot be used, or not for this. ``str()`` says what, where and what to do.

    ``rebuildable`` is True only when the cache really cannot be read, so that
    moving it aside (``--rebuild-cache``) is the fix.
    """

    def __init__(
        self,
        message: str,
        directory: Path,
        *,
        rebuildable: bool = True,
        fault: str | None = None,
    ) -> None:
        super().__init__(message)
        self.directory = Path(directory)
        self.rebuildable = rebuildable
        self.fault = fault or (Fault.UNREADABLE if rebuildable else Fault.OTHER)


class UnreadableValue(ValueError):
    """A stored value that cannot be decoded (bad zlib, bad JSON, a refused mode)."""


DECODE_ERRORS = (UnreadableValue, ValueError, zlib.error, UnicodeDecodeError, OSError)
"""What decoding one value can raise (json.JSONDecodeError is a ValueError)."""


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""One encoder for every value: ``json.dumps`` with these options makes a new one on
each call (a tenth of the encoding time of a cold refresh's 10,000 records)."""


def encode_value(value: Any) -> bytes:
    data = _ENCODER.encode(value).encode("utf-8", "surrogatepass")
    if len(data) > COMPRESS_OVER:
        return zlib.compress(data, 1)
    return data


def decode_value(data: bytes) -> Any:
    if data[:1] == bytes((_ZLIB_HEADER,)):
        data = zlib.decompress(data)
    return json.loads(data.decode("utf-8", "surrogatepass"))


class JsonDisk(diskcache.Disk):  # type: ignore[misc]
    """diskcache's serialiser for this cache: string keys, JSON values, no pickles."""

    def __init__(self, directory: str, **options: Any) -> None:
        options.pop("compress_level", None)  # a setting the first layout's JSONDisk kept
        super().__init__(directory, **options)
        self.cache_directory = Path(directory)

    def put(self, key: Any) -> tuple[Any, bool]:
        if type(key) is not str:
            raise TypeError(f"cache keys are strings, not {type(key).__name__}")
        return key, True

    def get(self, key: Any, raw: bool) -> Any:
        if not raw or type(key) is not str:
            raise UnreadableValue("a key that is not a string")
        return key

    def store(self, value: Any, read: bool, key: Any = UNKNOWN) -> Any:
        return super().store(encode_value(value), False, key=key)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        return decode_value(_raw_bytes(self, mode, filename, value))


class LegacyJsonDisk(diskcache.JSONDisk):  # type: ignore[misc]
    """How the first cache layout (schema 1) was written: diskcache.JSONDisk, whose
    keys are zlib-compressed JSON too. Used only to read such a cache, never a pickle."""

    def __init__(self, directory: str, **options: Any) -> None:
        super().__init__(directory, **options)
        self.cache_directory = Path(directory)

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise UnreadableValue("a pickled key")
        return super().get(key, raw)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        data = _raw_bytes(self, mode, filename, value)
        return json.loads(zlib.decompress(data).decode("utf-8"))


def _raw_bytes(
    disk: JsonDisk | LegacyJsonDisk, mode: int, filename: str | None, value: Any
) -> bytes:
    if mode == MODE_RAW and isinstance(value, bytes):
        return bytes(value)
    if mode == MODE_BINARY and filename and _inside(filename):
        return (disk.cache_directory / filename).read_bytes()
    raise UnreadableValue(f"a value stored in mode {mode!r}")


def _inside(filename: str) -> bool:
    parts = Path(filename).parts
    return bool(parts) and not Path(filename).is_absolute() and ".." not in parts


_DISK_SETTINGS: dict[str, Any] = {
    # Values are single records; a file per value would cost a directory and a
    # file for each. Larger ones still work (as files diskcache names itself).
    "disk_min_file_size": 2**24,
    "eviction_policy": "none",
    "size_limit": 2**40,
    # Nothing expires or is evicted: no culling query on every write.
    "cull_limit": 0,
    "statistics": 0,
    # SQLite's page cache per connection: 512 pages (2 MB) instead of diskcache's
    # 8,192 (32 MB). Reads come through the memory map anyway; a cold refresh that
    # wrote 8,000 articles kept 32 MB of pages it never read again.
    "sqlite_cache_size": 512,
    # No memory map: reads go through that small cache. Mapped, every page read
    # brought its neighbours into this process (the kernel maps 64 KB around a
    # fault): planning the page step after a cold refresh, a few hundred small
    # reads, mapped 23 MB of the 36 MB file.
    "sqlite_mmap_size": 0,
}


# --------------------------------------------------------------------------- faults


def _sqlite_code(error: BaseException) -> str:
    return str(getattr(error, "sqlite_errorname", "") or "")


def is_unreadable(error: BaseException) -> bool:
    """The database file itself is broken (not a database, malformed pages)."""
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    code = _sqlite_code(error)
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    text = str(error).lower()
    return "malformed" in text or "not a database" in text


def _free_bytes(directory: Path) -> int | None:
    for candidate in (directory, *directory.parents):
        with contextlib.suppress(OSError):
            info = os.statvfs(candidate)
            return info.f_bavail * info.f_frsize
    return None


def _read_only_fs(directory: Path) -> bool:
    for candidate in (directory, *directory.parents):
        with contextlib.suppress(OSError):
            return bool(os.statvfs(candidate).f_flag & os.ST_RDONLY)
    return False


def write_fault(directory: Path, error: BaseException) -> tuple[str, str] | None:
    """(fault, message) when ``error`` means the cache cannot be written; None otherwise.

    Read-only file system, no permission, a full disk or quota: each gets its
    own sentence, with the path and what to do.
    """
    number = getattr(error, "errno", None)
    code = _sqlite_code(error)
    text = str(error).lower()
    full = (
        number in (errno.ENOSPC, errno.EDQUOT)
        or code.startswith("SQLITE_FULL")
        or "disk is full" in text
        or "no space left" in text
    )
    # SQLite reports a file it could not create (its -wal, say) as "unable to open", without
    # the errno: ENOSPC where a full file system refuses new files too (fuse2fs does).
    cannot_open = code.startswith("SQLITE_CANTOPEN") or "unable to open database" in text
    if not full and (code.startswith("SQLITE_IOERR") or "disk i/o error" in text or cannot_open):
        free = _free_bytes(directory)
        full = free is not None and free < 1024 * 1024
        if cannot_open:  # not for want of permission or a read-only file system
            full = full and os.access(directory, os.W_OK)
    if full:
        free = _free_bytes(directory)
        room = f" ({_size(free)} free)" if free is not None else ""
        return Fault.DISK_FULL, (
            f"the disk holding the cache at {directory} is full{room}; free some space and"
            " try again (the cached articles are kept and can still be read)"
        )
    read_only = (
        number in (errno.EROFS, errno.EACCES, errno.EPERM)
        or code.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH"))
        or "readonly database" in text
        or "unable to open database" in text
        or (code.startswith("SQLITE_IOERR") and _read_only_fs(directory))
    )
    if not read_only:
        return None
    if number == errno.EROFS or _read_only_fs(directory):
        return Fault.READ_ONLY, (
            f"the cache at {directory} is on a read-only file system; it can be read but"
            " nothing can be saved (remount it read-write, or use --cache-dir elsewhere)"
        )
    return Fault.READ_ONLY, (
        f"the cache at {directory} is read-only (this user may not write there); it can be"
        " read but nothing can be saved (fix its permissions, or use --cache-dir elsewhere)"
    )


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.0f} MB"
    if count >= 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count} bytes"


def unreadable_error(directory: Path, error: BaseException) -> StoreError:
    return StoreError(
        f"the cache at {directory} cannot be read ({error})", directory, fault=Fault.UNREADABLE
    )


# --------------------------------------------------------------------------- the two readers


class CacheFile:
    """What the store needs from the file; ``WritableCache`` and ``ReadOnlyCache``."""

    read_only: bool = False
    directory: Path

    def get(self, key: str) -> Any:
        """The value, or None when there is none. Raises ``DECODE_ERRORS`` for a value
        that cannot be decoded and sqlite3.DatabaseError for a damaged file."""
        raise NotImplementedError

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        """The values of these keys that exist, in a few queries instead of one per key
        (a value that cannot be decoded maps to its ``UnreadableValue``; a damaged file
        raises sqlite3.DatabaseError, as ``get`` does)."""
        found: dict[str, Any] = {}
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            chunk = list(keys[start : start + _KEYS_PER_QUERY])
            marks = ",".join("?" * len(chunk))
            query = (
                "SELECT key, mode, filename, value FROM Cache"
                f" WHERE raw = 1 AND key IN ({marks})"  # only "?" marks in it
            )
            for key, mode, filename, value in self._rows(query, chunk):
                try:
                    found[key] = self._decode(mode, filename, value)
                except DECODE_ERRORS as error:
                    found[key] = (
                        error if isinstance(error, UnreadableValue) else UnreadableValue(error)
                    )
        return found

    def _rows(self, query: str, parameters: Sequence[Any]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _decode(self, mode: int, filename: str | None, value: Any) -> Any:
        raise NotImplementedError

    def set(self, key: str, value: Any) -> None:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def transact(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def all_keys(self) -> Iterator[str]:
        """Every key (in no particular order)."""
        raise NotImplementedError

    def newest_keys(self, prefix: str) -> Iterator[str]:
        """Keys that start with ``prefix``, greatest first. ``prefix`` must start with
        '~', which sorts after every other key of the store."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class WritableCache(CacheFile):
    def __init__(self, directory: Path, disk: type[diskcache.Disk] = JsonDisk) -> None:
        self.directory = directory
        with _reader_kept_open(directory):
            self._cache = diskcache.Cache(
                str(directory), disk=disk, timeout=BUSY_SECONDS, **_DISK_SETTINGS
            )

    def get(self, key: str) -> Any:
        return self._cache.get(key)

    def _rows(self, query: str, parameters: Sequence[Any]) -> list[tuple[Any, ...]]:
        # diskcache's own connection for this thread: inside a transaction it sees
        # what the transaction wrote, as ``get`` does. Nothing here expires (no
        # expire times are set) and no access is counted (statistics are off, no
        # eviction), so a plain SELECT reads what ``get`` would.
        return list(self._cache._sql(query, parameters).fetchall())

    def _decode(self, mode: int, filename: str | None, value: Any) -> Any:
        return self._cache.disk.fetch(mode, filename, value, False)

    def set(self, key: str, value: Any) -> None:
        """diskcache's ``set``, in one statement where it can be: inside this thread's
        transaction, diskcache spends a SELECT, then an UPDATE or an INSERT, and about
        20 us of its own Python on every key, most of the time a cold refresh spends
        storing. The row written is the one diskcache writes (its columns, and its
        triggers fire the same way: an insert counts a row, an update does not).
        Values big enough for a file of their own, keys whose old value is in one
        (diskcache removes the file), and ``meta:`` records (a stored merge can be
        that big) go through diskcache."""
        cache = self._cache
        if type(key) is not str:
            raise TypeError(f"cache keys are strings, not {type(key).__name__}")
        if cache._txn_id == threading.get_ident() and not key.startswith("meta:"):
            data = encode_value(value)
            if len(data) < cache.disk_min_file_size:
                now = time.time()
                if cache._sql(_UPSERT, (key, now, now, MODE_RAW, data)).rowcount:
                    return
                # Nothing written: the old value is in a file, which diskcache removes.
        cache.set(key, value)

    def delete(self, key: str) -> None:
        self._cache.delete(key)

    def transact(self) -> contextlib.AbstractContextManager[Any]:
        return self._cache.transact()  # type: ignore[no-any-return]

    def all_keys(self) -> Iterator[str]:
        return iter(self._cache)

    def newest_keys(self, prefix: str) -> Iterator[str]:
        assert prefix.startswith("~")
        for key in self._cache.iterkeys(reverse=True):
            if not key.startswith(prefix):
                if key < prefix:
                    return
                continue
            yield key

    def close(self) -> None:
        self._cache.close()


@contextlib.contextmanager
def _reader_kept_open(directory: Path) -> Iterator[None]:
    """A connection to an existing cache file held open while diskcache opens it.

    diskcache's ``Cache()`` writes its settings, then closes its connection and
    opens another. Closing the last connection to a database in WAL mode copies
    the WAL into the file, syncs it to disk and deletes the WAL: a second time per
    process (the close at exit does it anyway), and most of the 4-25 ms of
    opening the cache of a warm refresh on a loaded disk. With this reader open,
    that close is not the last one, so it leaves the WAL for the close at exit.
    Nothing is read through it, and it holds no lock once its query is done."""
    path = directory / DB_NAME
    reader: sqlite3.Connection | None = None
    if path.is_file():
        try:
            reader = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
            reader.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        except sqlite3.Error:  # diskcache's own open says what is wrong, as before
            if reader is not None:
                reader.close()
            reader = None
    try:
        yield
    finally:
        if reader is not None:
            reader.close()


class ReadOnlyCache(CacheFile):
    """The cache file read with SQLite's read-only mode; never writes a byte.

    On a read-only file system without the WAL's shared-memory file SQLite can
    only open the file as immutable; that is safe there, as nothing can change it.
    """

    read_only = True

    def __init__(
        self, directory: Path, disk: type[diskcache.Disk] = JsonDisk, *, probe: bool = True
    ) -> None:
        self.directory = directory
        path = directory / DB_NAME
        if not path.is_file():
            raise FileNotFoundError(errno.ENOENT, "no cache file", str(path))
        self._disk = disk(str(directory))
        self._all: list[sqlite3.Connection] = []
        uri = path.resolve().as_uri()
        error: sqlite3.Error | None = None
        for options in ("?mode=ro", "?mode=ro&immutable=1"):
            try:
                connection = sqlite3.connect(uri + options, uri=True, timeout=BUSY_SECONDS)
                # A salvage (probe=False) reads what it can, row by row, whatever this says.
                query = "SELECT 1 FROM Cache LIMIT 1" if probe else "SELECT 1 FROM sqlite_master"
                connection.execute(query).fetchall()
            except sqlite3.DatabaseError as failure:
                error = failure
                if is_unreadable(failure) and probe:
                    raise
                continue
            connection.close()
            self._uri = uri + options
            self._local = threading.local()
            # A reader reads in threads of its own: closing a connection while another
            # thread runs a statement on it crashes the interpreter (sqlite3 is not
            # safe there), so statements and close take turns, and a closed cache
            # answers with an error, never a new connection.
            self._lock = threading.RLock()
            self._closed = False
            return
        assert error is not None
        raise error

    @property
    def _connection(self) -> sqlite3.Connection:
        """One connection per thread, as diskcache keeps them (a reader preloads the
        cache in a thread of its own)."""
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
            if connection is None:
                connection = sqlite3.connect(
                    self._uri, uri=True, timeout=BUSY_SECONDS, check_same_thread=False
                )
                self._local.connection = connection
                self._all.append(connection)
            return connection

    def _row(self, key: str) -> tuple[Any, ...] | None:
        db_key, raw = self._disk.put(key)
        with self._lock:
            row = self._connection.execute(
                "SELECT mode, filename, value FROM Cache WHERE key = ? AND raw = ?", (db_key, raw)
            ).fetchone()
        return tuple(row) if row is not None else None

    def get(self, key: str) -> Any:
        row = self._row(key)
        if row is None:
            return None
        mode, filename, value = row
        return self._disk.fetch(mode, filename, value, False)

    def _rows(self, query: str, parameters: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._connection.execute(query, parameters).fetchall())

    def _decode(self, mode: int, filename: str | None, value: Any) -> Any:
        return self._disk.fetch(mode, filename, value, False)

    def set(self, key: str, value: Any) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    def delete(self, key: str) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    def transact(self) -> contextlib.AbstractContextManager[Any]:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    def all_keys(self) -> Iterator[str]:
        with self._lock:
            rows = self._connection.execute("SELECT key, raw FROM Cache").fetchall()
        for db_key, raw in rows:
            with contextlib.suppress(*DECODE_ERRORS):
                yield self._disk.get(db_key, bool(raw))

    def newest_keys(self, prefix: str) -> Iterator[str]:
        assert prefix.startswith("~")
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        with self._lock:
            rows = self._connection.execute(
                "SELECT key FROM Cache WHERE key >= ? AND key < ? AND raw = 1 ORDER BY key DESC",
                (prefix, upper),
            ).fetchall()
        for (key,) in rows:
            if type(key) is str:
                yield key

    def has_text_keys(self) -> bool | None:
        """Whether the first rows that can be read have text keys (this layout) or blobs
        (the first layout's compressed JSON); None when none can be read."""
        for rowid in range(1, 200):
            try:
                with self._lock:
                    row = self._connection.execute(
                        "SELECT typeof(key) FROM Cache WHERE rowid = ?", (rowid,)
                    ).fetchone()
            except sqlite3.DatabaseError:
                continue
            if row is not None:
                return bool(row[0] == "text")
        return None

    def rows(self) -> Iterator[tuple[Any, Any]]:
        """Every (key, value) still readable, row by row: a damaged row or page is
        skipped, never the end of the walk (for salvaging a damaged cache)."""
        try:
            with self._lock:
                (top,) = self._connection.execute("SELECT max(rowid) FROM Cache").fetchone()
        except sqlite3.DatabaseError:
            top = None
        if top is None:
            with self._lock:
                top = _probe_max_rowid(self._connection)
        select = "SELECT key, raw, mode, filename, value FROM Cache WHERE rowid = ?"
        for rowid in range(1, top + 1):
            try:
                with self._lock:
                    row = self._connection.execute(select, (rowid,)).fetchone()
            except sqlite3.DatabaseError:
                continue
            if row is None:
                continue
            db_key, raw, mode, filename, value = row
            try:
                key = self._disk.get(db_key, bool(raw))
                decoded = self._disk.fetch(mode, filename, value, False)
            except DECODE_ERRORS:
                continue
            yield key, decoded

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for connection in self._all:
                with contextlib.suppress(sqlite3.Error):
                    connection.close()
            self._all.clear()


def _probe_max_rowid(connection: sqlite3.Connection) -> int:
    """The highest rowid found by probing, when max(rowid) itself cannot be read."""
    top = 0
    step = 1 << 24
    while step:
        candidate = top + step
        try:
            found = connection.execute(
                "SELECT rowid FROM Cache WHERE rowid >= ? ORDER BY rowid LIMIT 1", (candidate,)
            ).fetchone()
        except sqlite3.DatabaseError:
            found = (candidate,)  # damaged there: assume rows go on
        if found is not None:
            top = candidate
        else:
            step //= 2
        if top > 1 << 31:
            break
    return top


def open_writable(directory: Path, *, legacy: bool = False) -> WritableCache:
    return WritableCache(directory, LegacyJsonDisk if legacy else JsonDisk)


def open_read_only(directory: Path, *, legacy: bool = False, probe: bool = True) -> ReadOnlyCache:
    return ReadOnlyCache(directory, LegacyJsonDisk if legacy else JsonDisk, probe=probe)


def stat_key(directory: Path) -> tuple[int, int] | None:
    """(device, inode) of the database file, to tell when it was deleted or replaced."""
    try:
        info = os.stat(directory / DB_NAME)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def is_timeout(error: BaseException) -> bool:
    return isinstance(error, diskcache.Timeout)
