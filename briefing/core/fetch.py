"""Fetch feeds: HTTP with conditional GET and hard limits, local files, parsing off-loop.

Two layers:

* ``httpclient.HttpFetcher`` GETs one URL at a time with a total deadline,
  a body cap counted after decompression, bounded redirects and
  conditional-GET validators. It knows nothing about feeds, so article pages
  use it too.
* ``fetch_feeds`` runs every feed concurrently, reads local files, and parses
  200 answers in a small process pool while other downloads go on. A 304 (or
  an unchanged local file) is never parsed, and the pool is only started
  when there is something to parse, so a warm run does not even import
  feedparser. Each feed's outcome is yielded as soon as it is known; one
  feed's failure never touches another.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, cast
from urllib.parse import unquote, urlsplit

from briefing.core.httpclient import (
    FetchError,
    HttpFetcher,
    HttpResponse,
    TooLargeError,
)
from briefing.core.models import FeedConfig, FeedState, ParsedFeed, Settings
from briefing.core.workers import WorkerCrashed, WorkerPool, WorkerTimeout

PARSE_WORKERS = 2
PARSE_IN_FLIGHT = 2 * PARSE_WORKERS
"""Bodies handed to the pool at once: two per worker, so a worker that finishes one
finds the next already waiting, instead of idling until the event loop (busy
storing the feeds that came before) hands one over. A body's parse deadline
still measures its own parse, never a wait behind another feed's: its clock
starts when a worker is free for it (``workers.WorkerPool``)."""
BODIES_IN_HAND = 8 * 1024 * 1024
"""Bytes of feed bodies downloaded but not yet handed back to the caller (parsed,
then stored) at which no new download starts: when downloads outrun parsing and
storing, bodies would otherwise pile up (a cold refresh of 200 feeds held every
one of them). The next download starts as soon as the caller takes what is done."""
MIN_PARSE_TIME = 1.0
"""A parse gets at least this long even when the download used up nearly all
of the feed's time, so a slow server is not reported as a slow parse."""


# =========================================================================== feeds


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What fetching one feed gave: new content, 'not modified', or an error."""

    feed: FeedConfig
    state: FeedState
    """Updated HTTP metadata: validators from a 200 (kept on a 304 or an
    error), ``last_attempt`` set. Status and error fields are the store's."""
    parsed: ParsedFeed | None
    """None on 304 / unchanged file, and on error."""
    not_modified: bool
    error: str | None
    elapsed: float
    analysis: Any = None
    """What ``fetch_feeds(analyse=...)`` returned for ``parsed``, else None."""


async def fetch_feeds(
    feeds: Sequence[FeedConfig],
    states: Mapping[str, FeedState],
    settings: Settings,
    *,
    base_dir: Path | None = None,
    analyse: Callable[[ParsedFeed], Any] | None = None,
) -> AsyncGenerator[FetchOutcome]:
    """Fetch every feed concurrently; yield each outcome as soon as it is done.

    ``states`` holds the last known ``FeedState`` per feed name (validators).
    Relative local paths resolve against ``base_dir`` (else the working
    directory). ``analyse``, if given, runs in the parse worker on each parsed
    feed and its result comes back as ``FetchOutcome.analysis`` (it must be
    picklable; see ``feedparse.parse_and_analyse``). Never raises because of
    one feed. To stop early, close it (``contextlib.aclosing``) so that the
    downloads still running are cancelled and the workers stopped at once.
    """
    groups = fetch_feed_groups(feeds, states, settings, base_dir=base_dir, analyse=analyse)
    async with contextlib.aclosing(groups):
        async for group in groups:
            for outcome in group:
                yield outcome


async def fetch_feed_groups(
    feeds: Sequence[FeedConfig],
    states: Mapping[str, FeedState],
    settings: Settings,
    *,
    base_dir: Path | None = None,
    analyse: Callable[[ParsedFeed], Any] | None = None,
) -> AsyncGenerator[list[FetchOutcome]]:
    """``fetch_feeds``, but every outcome that is done by the time the caller asks
    for more comes in one list (in the order they finished): a caller that stores
    them can store them together, never waiting for one that is not there yet."""
    if not feeds:
        return
    async with _FeedFetcher(settings, base_dir, analyse) as fetcher:
        if any(_cannot_be_unchanged(feed, states.get(feed.name)) for feed in feeds):
            fetcher.parser.warm_up()
        finished: list[asyncio.Task[FetchOutcome]] = []
        wake = asyncio.Event()

        def on_done(task: asyncio.Task[FetchOutcome]) -> None:
            finished.append(task)
            wake.set()

        # Running tasks only: a finished one holds its outcome (a parsed feed), which
        # must not stay in memory once the caller has it.
        running = {
            asyncio.create_task(fetcher.fetch(feed, states.get(feed.name), key)): key
            for key, feed in enumerate(feeds)
        }
        for task in running:
            task.add_done_callback(on_done)
        try:
            while running:
                await wake.wait()
                wake.clear()
                done, finished[:] = list(finished), []
                keys = [running.pop(task) for task in done]
                group = [task.result() for task in done]
                del done
                yield group
                del group
                fetcher.release(keys)  # the caller is done with them
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)


def _cannot_be_unchanged(feed: FeedConfig, state: FeedState | None) -> bool:
    """True when a fetch cannot end in 304, so its body will certainly need parsing."""
    if state is None or state.url != feed.url:
        return True
    return not state.etag and not state.last_modified


class _FeedFetcher:
    def __init__(
        self,
        settings: Settings,
        base_dir: Path | None,
        analyse: Callable[[ParsedFeed], Any] | None = None,
    ) -> None:
        self.settings = settings
        self.base_dir = base_dir
        self.analyse = analyse
        self.slots = asyncio.Semaphore(max(1, settings.concurrency))
        self._http: HttpFetcher | None = None
        self.parser = _ParsePool()
        self._held: dict[int, int] = {}
        """Body sizes by feed key, until ``release``."""
        self._held_bytes = 0
        self._room = asyncio.Event()
        self._room.set()

    def release(self, keys: Iterable[int]) -> None:
        """The caller has taken these feeds' outcomes: their bodies no longer count."""
        for key in keys:
            self._held_bytes -= self._held.pop(key, 0)
        if self._held_bytes < BODIES_IN_HAND:
            self._room.set()

    def _hold(self, key: int, size: int) -> None:
        self._held[key] = size
        self._held_bytes += size
        if self._held_bytes >= BODIES_IN_HAND:
            self._room.clear()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self._http is not None:
                await self._http.aclose()
        finally:
            await self.parser.aclose()

    @property
    def http(self) -> HttpFetcher:
        # Created on first use: a config of local files opens no connection pool.
        if self._http is None:
            settings = self.settings
            self._http = HttpFetcher(
                timeout=settings.timeout,
                max_bytes=settings.max_bytes,
                max_redirects=settings.max_redirects,
                max_connections=max(1, settings.concurrency),
            )
        return self._http

    async def fetch(self, feed: FeedConfig, state: FeedState | None, key: int) -> FetchOutcome:
        started = time.monotonic()
        if state is None or state.url != feed.url:
            state = FeedState(name=feed.name, url=feed.url)  # old validators belong to the old URL
        state = replace(state, last_attempt=_now_iso())

        def outcome(
            new_state: FeedState,
            parsed: ParsedFeed | None = None,
            *,
            not_modified: bool = False,
            error: str | None = None,
            analysis: Any = None,
        ) -> FetchOutcome:
            elapsed = time.monotonic() - started
            return FetchOutcome(feed, new_state, parsed, not_modified, error, elapsed, analysis)

        try:
            await self._room.wait()  # not counted in the feed's deadline
            async with self.slots:
                began = time.monotonic()  # the feed's deadline runs from here
                source = _local_path(feed.url, self.base_dir)
                if source is None:
                    response = await self.http.get(
                        feed.url, etag=state.etag, last_modified=state.last_modified
                    )
                else:
                    response = await _read_file(
                        source, state, self.settings.max_bytes, self.settings.timeout
                    )
            if response.not_modified:
                return outcome(state, not_modified=True)
            self._hold(key, len(response.body))
            timeout = self.settings.timeout
            parsed, analysis = await self.parser.parse(
                response.body,
                response.content_type,
                response.final_url,
                self.analyse,
                timeout=max(timeout - (time.monotonic() - began), min(timeout, MIN_PARSE_TIME)),
                deadline=timeout,
            )
            fresh = replace(state, etag=response.etag, last_modified=response.last_modified)
            return outcome(fresh, parsed, analysis=analysis)
        except FetchError as error:
            return outcome(state, error=str(error))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug must not take the other feeds down
            return outcome(state, error=f"unexpected error: {type(error).__name__}: {error}")


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- local files


def _local_path(url: str, base_dir: Path | None) -> Path | None:
    """The file a feed URL names, or None for a web URL. Raises FetchError for other schemes."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return None
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise FetchError(f"file URL on another host is not supported: {url}")
        return Path(unquote(parts.path))
    if scheme and len(scheme) > 1:  # 'c:' would be a Windows drive, not a scheme
        raise FetchError(f"unsupported URL scheme '{scheme}': {url}")
    path = Path(url).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    return path.absolute()  # a relative base_dir must not leave it relative (file URIs)


async def _read_file(path: Path, state: FeedState, limit: int, timeout: float) -> HttpResponse:
    """``_read_file_sync`` in a daemon thread, held to the feed's deadline.

    Not ``asyncio.to_thread``: a read stuck for good (a hung network file
    system) would then keep the program from exiting, as the default executor
    is joined at shutdown. A daemon thread left behind is simply dropped.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[HttpResponse] = loop.create_future()

    def settle(result: HttpResponse | None, error: Exception | None) -> None:
        if done.done():
            return  # the deadline passed first
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(cast(HttpResponse, result))

    def read() -> None:
        result: HttpResponse | None = None
        error: Exception | None = None
        try:
            result = _read_file_sync(path, state, limit)
        except Exception as caught:  # handed to the event loop, not lost
            error = caught
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=read, name="briefing-read-file", daemon=True).start()
    try:
        async with asyncio.timeout(timeout):
            return await done
    except TimeoutError:
        raise FetchError(f"timed out after {timeout:g} s reading {path}") from None


_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def _refuse_irregular(path: Path, mode: int) -> None:
    """Only regular files are feeds: a pipe or a device could block a read forever."""
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")
    raise FetchError(f"not a file: {path} ({kind})")


def _read_file_sync(path: Path, state: FeedState, limit: int) -> HttpResponse:
    """Read a local feed like a conditional GET: mtime and size are its validator.

    The file is checked before it is opened, and opened without blocking (a
    FIFO swapped in between would otherwise wait for a writer), then checked
    again on the open handle.
    """
    try:
        _refuse_irregular(path, os.stat(path).st_mode)
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            _refuse_irregular(path, info.st_mode)
            validator = f"file:{info.st_mtime_ns}:{info.st_size}"
            import email.utils  # only for file feeds

            modified = email.utils.formatdate(info.st_mtime, usegmt=True)
            url = path.as_uri()
            if state.etag == validator:
                return HttpResponse(304, str(path), url, None, validator, modified, b"")
            if info.st_size > limit:
                raise TooLargeError(limit)
            body = handle.read(limit + 1)
    except FileNotFoundError:
        raise FetchError(f"file not found: {path}") from None
    except PermissionError:
        raise FetchError(f"permission denied: {path}") from None
    except IsADirectoryError:
        raise FetchError(f"not a file: {path} (a directory)") from None
    except OSError as error:
        raise FetchError(f"cannot read {path}: {error.strerror or error}") from None
    if len(body) > limit:
        raise TooLargeError(limit)
    return HttpResponse(200, str(path), url, None, validator, modified, body)


# --------------------------------------------------------------------------- parsing


class _ParsePool:
    """feedparser in worker processes (``workers.WorkerPool``), started only when
    there is something to parse; errors become reasons a person can act on."""

    def __init__(self) -> None:
        self._workers: WorkerPool | None = None

    @property
    def workers(self) -> WorkerPool:
        """Made on first use: a refresh where every feed answers 304 never loads the
        parser (xml.sax, urllib.request, email) nor makes the pool."""
        if self._workers is None:
            from briefing.core.feedparse import prepare_worker

            # spawn, not fork: a worker must not inherit the event loop's sockets
            # (a forked child keeps connections open after the parent closes them)
            # or whatever threads the caller runs (the TUI has some). Not
            # forkserver either: its one server per process is shared with other
            # pools (full text), whose preloads would clash with ours.
            self._workers = WorkerPool(
                PARSE_WORKERS, method="spawn", prepare=prepare_worker, in_flight=PARSE_IN_FLIGHT
            )
        return self._workers

    def warm_up(self) -> None:
        """Start the workers in the background, before the first body arrives."""
        self.workers.warm_up()

    async def parse(
        self,
        body: bytes,
        content_type: str | None,
        url: str,
        analyse: Callable[[ParsedFeed], Any] | None = None,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> tuple[ParsedFeed, Any]:
        """Parse (and analyse) in a worker; give up after ``timeout`` seconds,
        counted from when the body goes to the pool. ``deadline`` is the feed's
        whole budget, named in the error."""
        from briefing.core.feedparse import NotAFeedError, parse_and_analyse

        try:
            return await self.workers.run(
                parse_and_analyse, body, content_type, url, analyse, timeout=timeout
            )
        except NotAFeedError as error:
            raise FetchError(str(error)) from None
        except WorkerTimeout:
            budget = deadline if deadline is not None else timeout
            raise FetchError(
                f"took too long to parse (over the {budget:g} s feed deadline)"
            ) from None
        except WorkerCrashed as crash:
            if crash.waited:
                raise FetchError(
                    "the feed parser was restarted twice while this feed waited"
                ) from None
            raise FetchError("the feed parser crashed on this feed") from None

    async def aclose(self) -> None:
        if self._workers is not None:
            await self._workers.aclose()
