"""Read and starred marks go to the cache from one thread of their own.

The reader shows a mark at once and hands the write to a ``FlagWriter``; the UI
thread never waits for the cache. Another briefing process (a ``briefing
fetch`` in cron, say) may hold the cache's write lock for a while: the writer
then says so once (``on_news(waiting=True)``) and carries on when the lock is
free. A write that fails is kept and tried again, so no mark is lost while
the reader runs. No Textual here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from briefing.core.store import StoreError
from briefing.core.textclean import clean_line

SLOW_AFTER = 0.5
"""Seconds a write may take before the user is told the cache is busy."""
RETRY_AFTER = 5.0
"""Seconds between tries of a write that failed."""


class FlagTarget(Protocol):
    """Where marks go: the service (which queues them for a feed server with
    ``[sync]``), or a bare store."""

    def set_flags(
        self, ids: Sequence[str], *, read: bool | None = None, starred: bool | None = None
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class FlagWrite:
    store: FlagTarget
    ids: tuple[str, ...]
    read: bool | None = None
    starred: bool | None = None


News = Callable[[bool, str], None]
"""(waiting, error): called from the writer's thread."""


class FlagWriter:
    def __init__(
        self,
        on_news: News,
        *,
        slow_after: float = SLOW_AFTER,
        retry_after: float = RETRY_AFTER,
    ) -> None:
        self._on_news = on_news
        self._slow_after = slow_after
        self._retry_after = retry_after
        self._pending: list[FlagWrite] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="briefing-flags", daemon=True)
        self._thread.start()

    def write(
        self,
        store: FlagTarget,
        ids: Sequence[str],
        *,
        read: bool | None = None,
        starred: bool | None = None,
    ) -> None:
        """Queue a write; returns at once."""
        if not ids:
            return
        with self._lock:
            self._pending.append(FlagWrite(store, tuple(ids), read, starred))
            self._idle.clear()
        self._wake.set()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every queued write is stored (or failed); True when none is left."""
        return self._idle.wait(timeout)

    def close(self, timeout: float = 3.0) -> int:
        """Store what is queued, waiting at most ``timeout``; returns how many writes are lost."""
        self.wait_idle(timeout)
        self._closed = True
        self._wake.set()
        return self.pending

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait()
            self._wake.clear()
            self._drain()

    def _drain(self) -> None:
        while not self._closed:
            with self._lock:
                if not self._pending:
                    self._idle.set()
                    return
                write = self._pending[0]
            if not self._store(write):
                self._idle.set()  # not lost: kept first in line, tried again
                self._wake.wait(self._retry_after)
                self._wake.clear()
                continue
            with self._lock:
                self._pending.pop(0)

    def _store(self, write: FlagWrite) -> bool:
        done = threading.Event()
        told = threading.Event()

        def tell_if_slow() -> None:
            if not done.wait(self._slow_after):
                told.set()
                self._on_news(True, "")

        watcher = threading.Thread(target=tell_if_slow, name="briefing-flags-watch", daemon=True)
        watcher.start()
        try:
            write.store.set_flags(write.ids, read=write.read, starred=write.starred)
        except (StoreError, OSError) as error:
            done.set()
            self._on_news(False, clean_line(str(error)) or type(error).__name__)
            return False
        finally:
            done.set()
        watcher.join()
        if told.is_set():
            self._on_news(False, "")  # stored after all: the wait is over
        return True
