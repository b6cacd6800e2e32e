"""Fetch feeds: HTTP with conditional GET and hard limits, local files, parsing off-loop.

Two layers:

* ``HttpFetcher`` GETs one URL at a time over a shared ``httpx.AsyncClient``:
  a total deadline per request (connect, redirects and body together), a body
  cap counted after decompression while streaming, manual bounded redirects
  that stay on http(s), conditional-GET validators, an optional per-host
  limit. It knows nothing about feeds, so article pages can reuse it.
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
import email.utils
import errno
import os
import socket
import ssl
import stat
import sys
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from briefing import __version__
from briefing.core.feedparse import NotAFeedError, parse_and_analyse
from briefing.core.models import FeedConfig, FeedState, ParsedFeed, Settings

USER_AGENT = f"briefing/{__version__} (+https://github.com/briefing-reader/briefing)"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PARSE_WORKERS = 2
PARSE_IN_FLIGHT = PARSE_WORKERS
"""Bodies handed to the pool at once: one per worker, so a body handed over
starts at once and its parse deadline measures its own parse, never a wait
behind another feed's."""
MIN_PARSE_TIME = 1.0
"""A parse gets at least this long even when the download used up nearly all
of the feed's time, so a slow server is not reported as a slow parse."""


# =========================================================================== errors


class FetchError(Exception):
    """A fetch that failed; ``str()`` is a reason a person can act on."""


class HttpStatusError(FetchError):
    """The server answered, but not with 2xx or 304."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status} {reason}".rstrip())
        self.status = status


class TooLargeError(FetchError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"too large (over {_format_size(limit)})")


def _format_size(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KB"
    return f"{size} bytes"


# =========================================================================== HTTP


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A finished GET: a 2xx with its whole (decoded) body, or a 304 with none."""

    status: int
    url: str
    """What was asked for."""
    final_url: str
    """Where the answer came from, after redirects."""
    content_type: str | None
    etag: str | None
    last_modified: str | None
    body: bytes

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class HttpFetcher:
    """GET URLs over one shared ``httpx.AsyncClient``, with hard limits.

    Use as ``async with HttpFetcher(...) as http: await http.get(url)``.
    ``get`` either returns an ``HttpResponse`` (2xx or 304) or raises
    ``FetchError`` whose text says what went wrong.
    """

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_bytes: int = 10 * 1024 * 1024,
        max_redirects: int = 5,
        max_connections: int = 64,
        per_host: int | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        _skip_failing_sniffio_import()
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.per_host = per_host
        self._host_limits: dict[str, asyncio.Semaphore] = {}
        self._client = httpx.AsyncClient(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            transport=_transport(max_connections),
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> HttpResponse:
        """GET ``url``; ``etag``/``last_modified`` make it conditional (304 when unchanged).

        ``timeout`` bounds everything (connecting, every redirect, the whole
        body); waiting for a per-host slot does not count against it.
        """
        deadline = self.timeout if timeout is None else timeout
        limit = self.max_bytes if max_bytes is None else max_bytes
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host_slot = self._host_slot(url)
        if host_slot is not None:
            await host_slot.acquire()
        try:
            async with asyncio.timeout(deadline):
                return await self._follow(url, headers, limit)
        except TimeoutError:
            raise FetchError(f"timed out after {deadline:g} s") from None
        finally:
            if host_slot is not None:
                host_slot.release()

    def _host_slot(self, url: str) -> asyncio.Semaphore | None:
        if not self.per_host:
            return None
        host = (urlsplit(url).hostname or "").lower()
        slot = self._host_limits.get(host)
        if slot is None:
            slot = self._host_limits[host] = asyncio.Semaphore(self.per_host)
        return slot

    async def _follow(self, url: str, headers: dict[str, str], limit: int) -> HttpResponse:
        current = url
        visited = {url}
        for _ in range(self.max_redirects + 1):
            _check_web_url(current, redirected=current != url)
            try:
                request = self._client.build_request("GET", current, headers=headers)
                response = await self._client.send(request, stream=True)
            except httpx.HTTPError as error:
                raise FetchError(_describe_http_error(error, current)) from None
            try:
                status = response.status_code
                location = response.headers.get("location")
                if status in REDIRECT_STATUSES and location:
                    target = urljoin(current, location.strip())
                    if target in visited:
                        raise FetchError(f"too many redirects (loop back to {target})")
                    visited.add(target)
                    current = target
                    await _drain(response)
                    continue
                if status == 304:
                    body = b""
                    await _drain(response)
                elif 200 <= status < 300:
                    body = await _read_body(response, limit)
                else:
                    await _drain(response)
                    raise HttpStatusError(status, response.reason_phrase or _reason(status))
                return HttpResponse(
                    status=status,
                    url=url,
                    final_url=current,
                    content_type=response.headers.get("content-type"),
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                    body=body,
                )
            except httpx.HTTPError as error:
                raise FetchError(_describe_http_error(error, current)) from None
            finally:
                await response.aclose()
        raise FetchError(f"too many redirects (more than {self.max_redirects})")


def _transport(max_connections: int) -> httpx.AsyncBaseTransport | None:
    """Our pooled transport, or None (httpx's default) when proxies are configured."""
    if any(key.lower() in _PROXY_VARIABLES for key in os.environ):
        return None  # httpx reads HTTP(S)_PROXY / NO_PROXY itself for its default transport
    return _ShardedTransport(max_connections)


_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


def _make_shard_transport(ssl_context: ssl.SSLContext) -> httpx.AsyncHTTPTransport:
    size = _ShardedTransport.SHARD_SIZE
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    return httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits, trust_env=False)


class _Shard:
    __slots__ = ("active", "origins", "transport")

    def __init__(self, transport: httpx.AsyncHTTPTransport) -> None:
        self.transport = transport
        self.active = 0
        self.origins: set[tuple[str, str, int | None]] = set()


class _ShardedTransport(httpx.AsyncBaseTransport):
    """Spread connections over small httpcore pools.

    httpcore's pool rescans all its connections, idle ones quadratically, on
    every request (encode/httpcore#1035): with a hundred connections a burst
    of 200 feeds spends more CPU in pool bookkeeping than in HTTP. Pools of
    eight keep that flat. A request goes to a pool that already talked to its
    origin when that pool has room (so keep-alive connections get reused),
    else to the least busy pool.

    Certificates are loaded only when the first https request is made: a run
    that only touches http:// URLs and files never pays for it.
    """

    SHARD_SIZE = 8

    def __init__(self, max_connections: int) -> None:
        self.max_shards = max(1, -(-max_connections // self.SHARD_SIZE))
        self._shards: dict[str, list[_Shard]] = {"http": [], "https": []}
        self._contexts: dict[str, ssl.SSLContext] = {}

    def _ssl_context(self, scheme: str) -> ssl.SSLContext:
        context = self._contexts.get(scheme)
        if context is None:
            if scheme == "https":
                context = httpx.create_ssl_context(verify=True, trust_env=True)
            else:
                # Plain-http pools never do TLS; should one ever try, an empty
                # trust store with verification on fails closed.
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            self._contexts[scheme] = context
        return context

    def _pick(self, scheme: str, origin: tuple[str, str, int | None]) -> _Shard:
        shards = self._shards[scheme]
        room = [shard for shard in shards if shard.active < self.SHARD_SIZE]
        for shard in room:
            if origin in shard.origins:
                return shard
        if room:
            best = min(room, key=lambda shard: shard.active)
            if best.active == 0 or len(shards) >= self.max_shards:
                return best
        if len(shards) < self.max_shards or not shards:
            shard = _Shard(_make_shard_transport(self._ssl_context(scheme)))
            shards.append(shard)
            return shard
        return min(shards, key=lambda shard: shard.active)  # all full: httpcore queues it

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = "https" if url.scheme == "https" else "http"
        origin = (url.scheme, url.host, url.port)
        shard = self._pick(scheme, origin)
        shard.active += 1
        shard.origins.add(origin)
        try:
            response = await shard.transport.handle_async_request(request)
        except BaseException:
            shard.active -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _ReleasingStream(response.stream, shard)
        return response

    async def aclose(self) -> None:
        for shards in self._shards.values():
            for shard in shards:
                await shard.transport.aclose()


class _ReleasingStream(httpx.AsyncByteStream):
    """The response body stream; closing it gives the shard its slot back."""

    def __init__(self, stream: httpx.AsyncByteStream, shard: _Shard) -> None:
        self._stream = stream
        self._shard: _Shard | None = shard

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._shard is not None:
                self._shard.active -= 1
                self._shard = None


def _skip_failing_sniffio_import() -> None:
    """httpcore runs ``import sniffio`` on every lock it sets up; when sniffio is
    not installed each of those is a full, failing search of sys.path (about
    1 ms per request). Recording the absence once makes the import fail fast."""
    if "sniffio" in sys.modules:
        return
    import importlib.util

    if importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def _check_web_url(url: str, *, redirected: bool) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:
        raise FetchError(f"bad URL: {url}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        where = "redirected to" if redirected else "not an http(s) URL:"
        raise FetchError(f"{where} {url}")


async def _drain(response: httpx.Response, limit: int = 64 * 1024) -> None:
    """Read a small body we do not need (304, redirect, error page) to its end,
    so the connection goes back to the pool instead of being closed."""
    received = 0
    async for chunk in response.aiter_raw():
        received += len(chunk)
        if received > limit:
            return  # not worth it: closing the response drops the connection


async def _read_body(response: httpx.Response, limit: int) -> bytes:
    """The body, decompressed, refusing to hold more than ``limit`` bytes of it."""
    coding = response.headers.get("content-encoding", "").strip().lower()
    decoder = _Decoder(coding, limit)
    declared = response.headers.get("content-length", "")
    if decoder.identity and declared.isdigit() and int(declared) > limit:
        raise TooLargeError(limit)
    async for chunk in response.aiter_raw():
        decoder.feed(chunk)
    return decoder.finish()


class _Decoder:
    """gzip/deflate/identity decoding with the size cap applied to the output.

    zlib is asked for at most one byte more than the room left, so a small
    compressed body that inflates to gigabytes is stopped after ``limit + 1``
    bytes instead of being inflated first and measured after.
    """

    def __init__(self, coding: str, limit: int) -> None:
        codings = [c.strip() for c in coding.split(",") if c.strip() not in ("", "identity")]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FetchError(f"unsupported Content-Encoding: {coding}")
        self.coding = codings[0] if codings else ""
        self.identity = not codings
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []
        self._zlib: Any = None
        if self.coding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)

    def feed(self, data: bytes) -> None:
        if not data:
            return
        if self.identity:
            self._add(data)
            return
        if self._zlib is None:  # deflate: zlib-wrapped as the RFC says, or raw as IIS sends
            wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        try:
            while data:
                self._add(self._zlib.decompress(data, self.limit - self.size + 1))
                data = b""
                if self._zlib.eof and self._zlib.unused_data and self.coding != "deflate":
                    data = self._zlib.unused_data  # another gzip member follows
                    self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        except zlib.error as error:
            raise FetchError(f"bad {self.coding} data from the server ({error})") from None

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise TooLargeError(self.limit)
        if data:
            self.parts.append(data)

    def finish(self) -> bytes:
        if self._zlib is not None:
            self._add(self._zlib.flush())
            if not self._zlib.eof:
                raise FetchError(f"incomplete {self.coding} data from the server")
        return b"".join(self.parts)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _describe_http_error(error: BaseException, url: str) -> str:
    """Turn httpx's exception (and what caused it) into a reason a person can act on."""
    host = urlsplit(url).hostname or url
    causes = list(_causes(error))
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            return f"DNS lookup failed for host {host}"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate not accepted for {host}: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS error with {host}: {cause.reason or cause}"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused by {_host_port(url)}"
    for cause in causes:
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return f"network unreachable for {host}"
    if isinstance(error, httpx.TimeoutException):
        return f"timed out talking to {host}"
    if isinstance(error, httpx.ConnectError):
        text = str(error) or "connection failed"
        if "Name or service not known" in text or "nodename nor servname" in text:
            return f"DNS lookup failed for host {host}"
        if "refused" in text.lower():
            return f"connection refused by {_host_port(url)}"
        return f"could not connect to {host}: {text}"
    if isinstance(error, httpx.RemoteProtocolError):
        text = str(error)
        if "without sending complete message body" in text or "Server disconnected" in text:
            return f"{host} closed the connection before the whole answer arrived"
        return f"bad HTTP answer from {host}: {text}"
    if isinstance(error, httpx.ReadError | httpx.WriteError):
        return f"connection to {host} broke: {error or type(error).__name__}"
    if isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"bad URL: {url}"
    return f"HTTP request to {host} failed: {error or type(error).__name__}"


def _causes(error: BaseException) -> Any:
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if current.__cause__ is not None:
            pending.append(current.__cause__)
        if current.__context__ is not None:
            pending.append(current.__context__)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)


def _host_port(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


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
) -> AsyncIterator[FetchOutcome]:
    """Fetch every feed concurrently; yield each outcome as soon as it is done.

    ``states`` holds the last known ``FeedState`` per feed name (validators).
    Relative local paths resolve against ``base_dir`` (else the working
    directory). ``analyse``, if given, runs in the parse worker on each parsed
    feed and its result comes back as ``FetchOutcome.analysis`` (it must be
    picklable; see ``feedparse.parse_and_analyse``). Never raises because of
    one feed. To stop early, close it (``contextlib.aclosing``) so that the
    downloads still running are cancelled and the workers stopped at once.
    """
    if not feeds:
        return
    async with _FeedFetcher(settings, base_dir, analyse) as fetcher:
        if any(_cannot_be_unchanged(feed, states.get(feed.name)) for feed in feeds):
            fetcher.parser.warm_up()
        tasks = [asyncio.create_task(fetcher.fetch(feed, states.get(feed.name))) for feed in feeds]
        try:
            for done in asyncio.as_completed(tasks):
                yield await done
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


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
        # Created on first use: a config of local files never imports httpx.
        if self._http is None:
            settings = self.settings
            self._http = HttpFetcher(
                timeout=settings.timeout,
                max_bytes=settings.max_bytes,
                max_redirects=settings.max_redirects,
                max_connections=max(1, settings.concurrency),
            )
        return self._http

    async def fetch(self, feed: FeedConfig, state: FeedState | None) -> FetchOutcome:
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
        except (FetchError, NotAFeedError) as error:
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
    """A process pool for feedparser, started only when there is something to parse.

    Parsing is CPU-bound Python; in worker processes it runs on the other
    cores while the event loop keeps downloading.
    """

    def __init__(self) -> None:
        self._starting: asyncio.Future[Executor] | None = None
        self._in_flight = asyncio.Semaphore(PARSE_IN_FLIGHT)

    def warm_up(self) -> None:
        """Start the workers in the background, before the first body arrives."""
        if self._starting is None:
            # In a thread: starting processes must not hold up downloads.
            self._starting = asyncio.ensure_future(asyncio.to_thread(self._start))

    @staticmethod
    def _start() -> Executor:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from briefing.core.feedparse import prepare_worker

        # spawn, not fork: a worker must not inherit the event loop's sockets
        # (a forked child keeps connections open after the parent closes them)
        # or whatever threads the caller runs (the TUI has some). Not
        # forkserver either: its one server per process is shared with other
        # pools (full text), whose preloads would clash with ours.
        context = multiprocessing.get_context("spawn")
        executor = ProcessPoolExecutor(PARSE_WORKERS, mp_context=context)
        for _ in range(PARSE_WORKERS):
            executor.submit(prepare_worker)  # start every worker now, not on demand
        return executor

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
        """Parse (and analyse) in a worker; give up after ``timeout`` seconds.

        The time runs from when the body goes to the pool; waiting for the
        pool to start or for room in it does not count. A parse that runs out
        of time is stopped by killing the workers (a running task cannot be
        cancelled otherwise); the bodies they held are parsed again on a new
        pool. ``deadline`` is the feed's whole budget, named in the error.
        """
        from concurrent.futures.process import BrokenProcessPool

        loop = asyncio.get_running_loop()
        for attempt in range(2):
            self.warm_up()
            starting = self._starting
            assert starting is not None
            try:
                pool = await asyncio.shield(starting)  # one feed's cancellation must not stop it
            except (OSError, ValueError, RuntimeError):
                # Worker processes cannot be started here (no /dev/shm, a
                # sandbox, a stderr without a file descriptor): parse in a
                # thread instead, slower but every feed still arrives.
                return await self._parse_in_thread(body, content_type, url, analyse, timeout)
            try:
                async with self._in_flight:
                    if self._starting is not starting:
                        continue  # the pool was stopped while this body waited for room
                    async with asyncio.timeout(timeout):
                        return await loop.run_in_executor(
                            pool, parse_and_analyse, body, content_type, url, analyse
                        )
            except TimeoutError:
                self._stop(starting, pool, kill=True)
                budget = deadline if deadline is not None else timeout
                raise FetchError(
                    f"took too long to parse (over the {budget:g} s feed deadline)"
                ) from None
            except BrokenProcessPool:
                # A worker died (killed, out of memory, or stopped for another
                # feed's deadline) and took the pool with it: start a new one
                # and try once more, so other feeds are unaffected.
                self._stop(starting, pool, kill=False)
                if attempt:
                    raise FetchError("the feed parser crashed on this feed") from None
        raise FetchError("the feed parser was restarted twice while this feed waited")

    @staticmethod
    async def _parse_in_thread(
        body: bytes,
        content_type: str | None,
        url: str,
        analyse: Callable[[ParsedFeed], Any] | None,
        timeout: float | None,
    ) -> tuple[ParsedFeed, Any]:
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.to_thread(parse_and_analyse, body, content_type, url, analyse)
        except TimeoutError:
            raise FetchError(f"took too long to parse (over {timeout:g} s)") from None

    def _stop(self, starting: asyncio.Future[Executor], pool: Executor, *, kill: bool) -> None:
        """Drop ``pool`` (if it is still the current one); ``kill`` stops its workers now."""
        if self._starting is not starting:
            return  # already replaced
        self._starting = None
        if kill:
            kill_workers = getattr(pool, "kill_workers", None)  # Python 3.14+
            if callable(kill_workers):
                kill_workers()
            else:
                processes: dict[int, Any] = getattr(pool, "_processes", None) or {}
                for process in list(processes.values()):
                    with contextlib.suppress(Exception):
                        process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    async def aclose(self) -> None:
        starting, self._starting = self._starting, None
        if starting is None:
            return
        try:
            executor = await starting
        except Exception:
            return
        await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
