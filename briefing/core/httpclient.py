"""HTTP GET for feeds and article pages: asyncio streams, with h11 speaking HTTP/1.1.

``HttpFetcher`` GETs one URL at a time and either returns an ``HttpResponse``
(a 2xx with its whole decoded body, or a 304) or raises ``FetchError`` whose
text says what went wrong. Every limit is ours:

* a total deadline per request: connecting, every redirect and the whole body;
* a body cap counted after decompression, while the body streams in (a small
  gzip bomb is stopped at the cap, not inflated first);
* redirects followed by hand, at most ``max_redirects``, only to http(s),
  loops refused;
* conditional-GET validators, a real User-Agent, at most ``max_connections``
  connections in use and an optional per-host limit.

Why h11 and not httpx: a warm refresh is 200 conditional GETs answered 304.
httpx spent about 1 ms of CPU on each (its client, httpcore's pool, anyio's
streams) and 30 ms to import; the same GETs over asyncio streams with h11
take about 0.25 ms each and h11 imports in 5 ms (bench/README.md). h11 is the
sans-IO HTTP/1.1 engine httpx itself runs on: it does the parsing, framing and
chunked coding, the part where hand-written code goes wrong; what is left here
is the connection handling, which the limits above needed anyway.

Proxies come from the usual environment variables (``http_proxy``,
``https_proxy``, ``all_proxy``, ``no_proxy``); only ``http://`` proxies are
supported, with CONNECT tunnels for https.
"""

from __future__ import annotations

import asyncio
import base64
import errno
import functools
import os
import socket
import ssl
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, unquote, urljoin, urlsplit

import h11

from briefing import __version__

USER_AGENT = f"briefing/{__version__} (+https://github.com/briefing-reader/briefing)"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_HEADER_BYTES = 64 * 1024
"""An answer whose status line and headers are bigger than this is refused."""
READ_SIZE = 64 * 1024
DRAIN_LIMIT = 64 * 1024
"""A body we do not need (304, redirect, error page) is read to its end so the
connection can be reused, unless it is bigger than this."""
DRAIN_TIME = 1.0
"""...and unless reading it takes longer than this."""
HAPPY_EYEBALLS_DELAY = 0.25
"""With several addresses, the next one is tried after this long (RFC 8305)."""
MAX_REASON = 80
"""A server's reason phrase is cut to this many characters in messages."""
_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


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


class _RequestError(FetchError):
    """The request itself could not be written (not the connection's fault)."""


def _format_size(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KB"
    return f"{size} bytes"


# =========================================================================== requests


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


@dataclass(frozen=True, slots=True)
class _Proxy:
    host: str
    port: int
    authorization: str | None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class _Target:
    """Where one request goes and what its request line and Host header say."""

    url: str
    scheme: str
    host: str
    """ASCII (IDNA) host name or IP address, without brackets."""
    port: int
    authority: str
    """The Host header: host, and the port when it is not the scheme's own."""
    path: str
    """Origin form: path and query, percent-encoded."""
    proxy: _Proxy | None

    @property
    def pool_key(self) -> tuple[str, str, int, str]:
        if self.proxy is not None and self.scheme == "http":
            # Plain http through a proxy: any connection to the proxy will do.
            return ("proxy", self.proxy.host, self.proxy.port, "")
        via = self.proxy.address if self.proxy else ""
        return (self.scheme, self.host, self.port, via)

    @property
    def request_target(self) -> str:
        if self.proxy is not None and self.scheme == "http":
            return f"http://{self.authority}{self.path}"  # absolute form, for the proxy
        return self.path


class HostSlots:
    """At most ``size`` at a time per host name: one semaphore for each host."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._slots: dict[str, asyncio.Semaphore] = {}

    def of(self, url: str) -> asyncio.Semaphore:
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            raise FetchError(f"bad URL: {url}") from None
        slot = self._slots.get(host)
        if slot is None:
            slot = self._slots[host] = asyncio.Semaphore(self.size)
        return slot


class HttpFetcher:
    """GET URLs over kept-alive HTTP/1.1 connections, with hard limits.

    Use as ``async with HttpFetcher(...) as http: await http.get(url)``.
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
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self._host_slots = HostSlots(per_host) if per_host else None
        self._pool = _ConnectionPool(max(1, max_connections))
        self._proxies = _environment_proxies()

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
        await self._pool.aclose()

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
        headers = [
            (b"User-Agent", _latin1(self.user_agent) or b"briefing"),
            (b"Accept", _latin1(accept) or b"*/*"),
            (b"Accept-Encoding", b"gzip, deflate"),
        ]
        # Validators go back exactly as the server sent them (headers are
        # decoded as latin-1, which round-trips every byte).
        if etag and (value := _latin1(etag)):
            headers.append((b"If-None-Match", value))
        if last_modified and (value := _latin1(last_modified)):
            headers.append((b"If-Modified-Since", value))
        host_slot = self._host_slots.of(url) if self._host_slots else None
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

    async def _follow(
        self, url: str, headers: list[tuple[bytes, bytes]], limit: int
    ) -> HttpResponse:
        current = url
        visited = {url}
        for _ in range(self.max_redirects + 1):
            target = _target(current, self._proxies, redirected=current != url)
            async with self._pool.slot():
                connection, response = await self._pool.exchange(target, headers)
                try:
                    status = response.status_code
                    fields = _header_map(response.headers)
                    location = _location(response.headers)
                    if status in REDIRECT_STATUSES and location:
                        try:
                            following = urljoin(current, location)
                        except ValueError:  # e.g. "http://[::1/"
                            raise FetchError(f"bad redirect Location: {location}") from None
                        if following in visited:
                            raise FetchError(f"too many redirects (loop back to {following})")
                        visited.add(following)
                        await connection.drain(status, fields)
                        current = following
                        continue
                    if status == 304:
                        body = b""
                        await connection.drain(status, fields)
                    elif 200 <= status < 300:
                        body = await connection.read_body(fields, limit)
                    else:
                        await connection.drain(status, fields)
                        reason = _printable(response.reason.decode("latin-1").strip())
                        raise HttpStatusError(status, reason[:MAX_REASON] or _reason(status))
                    return HttpResponse(
                        status=status,
                        url=url,
                        final_url=current,
                        content_type=fields.get("content-type"),
                        etag=fields.get("etag"),
                        last_modified=fields.get("last-modified"),
                        body=body,
                    )
                finally:
                    self._pool.release(connection)
        raise FetchError(f"too many redirects (more than {self.max_redirects})")


# =========================================================================== connections


class _Connection:
    """One socket (TLS or not) and the h11 state of the exchange on it."""

    __slots__ = ("host", "key", "protocol", "reader", "received", "writer")

    def __init__(
        self,
        key: tuple[str, str, int, str],
        host: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.key = key
        self.host = host
        self.reader = reader
        self.writer = writer
        self.protocol = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
        self.received = 0
        """Bytes read for the current exchange."""

    @property
    def reusable(self) -> bool:
        """The exchange ended cleanly and nothing came after the answer (bytes
        past its end would otherwise be read as the next request's answer)."""
        protocol = self.protocol
        done = protocol.our_state is h11.DONE and protocol.their_state is h11.DONE
        return done and not protocol.trailing_data[0]

    @property
    def closed(self) -> bool:
        """Closed, or not fit for another request: the server hung up or has
        sent something (a 408, garbage) while the connection sat idle."""
        unread = getattr(self.reader, "_buffer", None)  # StreamReader has no public peek
        return self.writer.is_closing() or self.reader.at_eof() or bool(unread)

    def close(self) -> None:
        self.writer.close()

    def next_cycle(self) -> None:
        self.protocol.start_next_cycle()
        self.received = 0

    async def send(self, method: str, target: str, headers: list[tuple[bytes, bytes]]) -> None:
        try:
            data = self.protocol.send(h11.Request(method=method, target=target, headers=headers))
            data = (data or b"") + (self.protocol.send(h11.EndOfMessage()) or b"")
        except h11.LocalProtocolError as error:
            raise _RequestError(f"cannot send this request ({error})") from None
        self.writer.write(data)
        await self.writer.drain()

    async def next_event(self) -> Any:
        while True:
            try:
                event = self.protocol.next_event()
            except h11.RemoteProtocolError as error:
                raise FetchError(self._protocol_error(error)) from None
            if event is not h11.NEED_DATA:
                return event
            try:
                data = await self.reader.read(READ_SIZE)
            except OSError as error:
                raise FetchError(f"connection to {self.host} broke: {_os_reason(error)}") from None
            self.received += len(data)
            self.protocol.receive_data(data)

    def _protocol_error(self, error: h11.RemoteProtocolError) -> str:
        text = str(error)
        if self.reader.at_eof():
            return f"{self.host} closed the connection before the whole answer arrived"
        if "buffer too long" in text:  # h11: max_incomplete_event_size reached
            return f"bad HTTP answer from {self.host}: headers larger than {MAX_HEADER_BYTES} bytes"
        return f"bad HTTP answer from {self.host}: {text}"

    async def response(self) -> h11.Response:
        while True:
            event = await self.next_event()
            if isinstance(event, h11.Response):
                return event
            if not isinstance(event, h11.InformationalResponse):  # pragma: no cover - h11 order
                raise FetchError(f"bad HTTP answer from {self.host}: {type(event).__name__}")

    async def read_body(self, fields: Mapping[str, str], limit: int) -> bytes:
        """The body, decompressed, refusing to hold more than ``limit`` bytes of it."""
        decoder = _Decoder(fields.get("content-encoding", ""), limit)
        declared = fields.get("content-length", "")
        if decoder.identity and declared.isdigit() and int(declared) > limit:
            raise TooLargeError(limit)
        while True:
            event = await self.next_event()
            if isinstance(event, h11.Data):
                decoder.feed(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return decoder.finish()

    async def drain(self, status: int, fields: Mapping[str, str]) -> None:
        """Read a body we do not need (304, redirect, error page) to its end, so
        the connection can be reused. Best effort: a body that runs until the
        connection closes, is over ``DRAIN_LIMIT``, takes over ``DRAIN_TIME`` or
        breaks off is left, and the connection closed instead; the answer we
        already have stands."""
        framed = (
            status in (204, 304)  # no body at all
            or "content-length" in fields
            or "chunked" in fields.get("transfer-encoding", "").lower()
        )
        if not framed:
            return  # it runs until the server closes: the connection cannot be reused
        received = 0
        try:
            async with asyncio.timeout(DRAIN_TIME):
                while received <= DRAIN_LIMIT:
                    event = await self.next_event()
                    if isinstance(event, h11.EndOfMessage):
                        return
                    if isinstance(event, h11.Data):
                        received += len(event.data)
        except (FetchError, TimeoutError):
            pass  # the exchange is not done, so release() closes the connection


class _ConnectionPool:
    """At most ``size`` connections in use; idle ones kept per origin for reuse."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._slots = asyncio.Semaphore(size)
        self._idle: dict[tuple[str, str, int, str], list[_Connection]] = {}
        self._idle_count = 0
        self._closing: dict[asyncio.Future[None], asyncio.StreamWriter] = {}
        """Connections closing, by the future of their end."""

    def slot(self) -> asyncio.Semaphore:
        return self._slots

    async def exchange(
        self, target: _Target, headers: list[tuple[bytes, bytes]]
    ) -> tuple[_Connection, h11.Response]:
        """Send the GET and read the answer's status and headers.

        A kept-alive connection may have been closed by the server while it
        sat idle (it says nothing, or 408); the request is then sent again,
        on another connection.
        """
        fields = [(b"Host", target.authority.encode("ascii")), *headers]
        if target.proxy is not None and target.proxy.authorization and target.scheme == "http":
            fields.append((b"Proxy-Authorization", target.proxy.authorization.encode("ascii")))
        while True:
            connection = self._take_idle(target.pool_key)
            reused = connection is not None
            if connection is None:
                connection = await self._connect(target)
            try:
                await connection.send("GET", target.request_target, fields)
                response = await connection.response()
                if reused and response.status_code == 408:
                    self._discard(connection)  # "Request Timeout": the idle one timed out
                    continue
                return connection, response
            except _RequestError:
                self._discard(connection)
                raise
            except (FetchError, OSError) as error:
                self._discard(connection)
                if not reused or connection.received:  # a stale one says nothing at all
                    if isinstance(error, OSError):
                        raise FetchError(
                            f"connection to {target.host} broke: {_os_reason(error)}"
                        ) from None
                    raise
            except BaseException:
                self._discard(connection)
                raise

    def release(self, connection: _Connection) -> None:
        if connection.reusable and not connection.closed and self._idle_count < self.size:
            connection.next_cycle()
            self._idle.setdefault(connection.key, []).append(connection)
            self._idle_count += 1
        else:
            self._discard(connection)

    def _take_idle(self, key: tuple[str, str, int, str]) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            self._idle_count -= 1
            if not connection.closed:
                return connection
            self._discard(connection)
        return None

    def _discard(self, connection: _Connection) -> None:
        """Close it; ``aclose`` waits (briefly) for the sockets still closing."""
        connection.close()
        closed = asyncio.ensure_future(connection.writer.wait_closed())
        self._closing[closed] = connection.writer
        closed.add_done_callback(_forget(self._closing))

    async def _connect(self, target: _Target) -> _Connection:
        proxy = target.proxy
        host, port = (proxy.host, proxy.port) if proxy else (target.host, target.port)
        tls = _tls_context() if target.scheme == "https" else None
        try:
            sock = await _connect_socket(host, port)
        except UnicodeError:  # a label too long for the resolver's IDNA codec
            raise FetchError(f"bad host name in URL: {target.url}") from None
        except OSError as error:
            raise FetchError(_connect_error(error, target, proxy)) from None
        try:
            if proxy is not None and tls is not None:
                await _open_tunnel(sock, target, proxy)
            reader, writer = await asyncio.open_connection(
                sock=sock,
                ssl=tls,
                server_hostname=target.host if tls else None,
                limit=READ_SIZE,
            )
        except BaseException as error:
            sock.close()
            if isinstance(error, OSError):  # ssl.SSLError is one too
                # TLS inside a tunnel is with the origin, so the proxy is not to blame.
                blamed = None if tls is not None else proxy
                raise FetchError(_connect_error(error, target, blamed)) from None
            raise
        return _Connection(target.pool_key, target.host, reader, writer)

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                self._discard(connection)
        self._idle.clear()
        self._idle_count = 0
        # One turn of the loop runs the closes already scheduled, among them
        # those of connections whose opening was cancelled (a deadline, Ctrl-C),
        # which no one here holds; without it a loop that ends now leaves their
        # sockets open until they are collected.
        await asyncio.sleep(0)
        closing = list(self._closing)
        if closing:
            # Let the transports finish closing their sockets (TLS ones send
            # close_notify); a peer that never answers is not waited for.
            _, pending = await asyncio.wait(closing, timeout=1.0)
            for task in pending:
                writer = self._closing.get(task)
                if writer is not None:
                    writer.transport.abort()  # its socket is closed now, not never
                task.cancel()


async def _connect_socket(host: str, port: int) -> socket.socket:
    """A connected TCP socket to the first of the host's addresses that answers.

    Happy eyeballs (RFC 8305): the next address is tried when the one before
    fails or has not answered in ``HAPPY_EYEBALLS_DELAY``; the first to connect
    wins and every other socket is closed, also when we are cancelled (asyncio's
    own race in Python 3.11 leaks the socket it won then).
    """
    loop = asyncio.get_running_loop()
    infos = _literal_address(host, port) or await loop.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    )
    if not infos:  # pragma: no cover - getaddrinfo raises instead
        raise OSError(f"no address for {host}")
    if len(infos) == 1:
        return await _connect_to(loop, infos[0])  # nothing to race (an IP, one record)
    attempts: list[asyncio.Task[socket.socket]] = []
    errors: list[OSError] = []
    winner: socket.socket | None = None
    try:
        for info in infos:
            attempts.append(asyncio.ensure_future(_connect_to(loop, info)))
            winner = await _first_connected(attempts, errors, HAPPY_EYEBALLS_DELAY)
            if winner is not None:
                return winner
        while any(not attempt.done() for attempt in attempts):
            winner = await _first_connected(attempts, errors, None)
            if winner is not None:
                return winner
        raise errors[-1]  # the last address tried: usually IPv4, after IPv6
    finally:
        for attempt in attempts:
            attempt.cancel()
            attempt.add_done_callback(_close_unless(winner))


async def _open_tunnel(sock: socket.socket, target: _Target, proxy: _Proxy) -> None:
    """CONNECT through the proxy on the bare socket, before TLS with the origin starts.

    The proxy's answer is read from the socket itself, never through a buffered
    stream, and refused when the proxy sent anything after it: those would be
    plaintext bytes from the proxy that a buffered reader hands to TLS's reader
    as if they were the origin's decrypted answer (a forged https answer).
    Bytes that arrive later are read by TLS as records and fail it, closed.
    """
    loop = asyncio.get_running_loop()
    authority = f"{_bracketed(target.host)}:{target.port}"
    headers = [(b"Host", authority.encode("ascii"))]
    if proxy.authorization:
        headers.append((b"Proxy-Authorization", proxy.authorization.encode("ascii")))
    protocol = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
    try:
        request = protocol.send(h11.Request(method="CONNECT", target=authority, headers=headers))
        await loop.sock_sendall(sock, (request or b"") + (protocol.send(h11.EndOfMessage()) or b""))
        while True:
            event = protocol.next_event()
            if event is h11.NEED_DATA:
                data = await loop.sock_recv(sock, READ_SIZE)
                protocol.receive_data(data)
                if not data:
                    raise FetchError(
                        f"proxy {proxy.address} closed the connection instead of "
                        f"opening the tunnel to {target.host}"
                    )
                continue
            if isinstance(event, h11.Response):
                break
            if not isinstance(event, h11.InformationalResponse):  # pragma: no cover
                raise FetchError(f"bad answer from proxy {proxy.address} to CONNECT")
    except h11.ProtocolError as error:
        raise FetchError(f"bad answer from proxy {proxy.address} to CONNECT: {error}") from None
    except OSError as error:
        reason = _os_reason(error)
        raise FetchError(f"proxy {proxy.address} broke the connection: {reason}") from None
    if not 200 <= event.status_code < 300:
        raise FetchError(
            f"proxy {proxy.address} refused the tunnel to {target.host}: "
            f"HTTP {event.status_code} {_reason(event.status_code)}".rstrip()
        )
    if protocol.trailing_data[0]:
        raise FetchError(
            f"proxy {proxy.address} sent data of its own after opening the tunnel to "
            f"{target.host} (refused: it could be a forged answer)"
        )


def _literal_address(host: str, port: int) -> list[Any]:
    """An IP address needs no resolver (nor the thread the resolver runs in)."""
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return []
    if address.version == 4:
        return [(socket.AF_INET, socket.SOCK_STREAM, 0, "", (host, port))]
    return [(socket.AF_INET6, socket.SOCK_STREAM, 0, "", (host, port, 0, 0))]


async def _connect_to(loop: asyncio.AbstractEventLoop, info: Any) -> socket.socket:
    family, kind, proto, _, address = info
    sock = socket.socket(family, kind, proto)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await loop.sock_connect(sock, address)
    except BaseException:
        sock.close()
        raise
    return sock


async def _first_connected(
    attempts: list[asyncio.Task[socket.socket]], errors: list[OSError], delay: float | None
) -> socket.socket | None:
    """Wait up to ``delay`` (or for one to end); the socket of one that connected, if any.

    Failed attempts go to ``errors`` (once each) and are let go of, so that a
    failure moves on to the next address at once.
    """
    running = [attempt for attempt in attempts if not attempt.done()]
    if running:
        await asyncio.wait(running, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
    for attempt in list(attempts):
        if not attempt.done():
            continue
        error = attempt.exception()
        if error is None:
            return attempt.result()
        attempts.remove(attempt)
        errors.append(error if isinstance(error, OSError) else OSError(str(error)))
    return None


def _close_unless(winner: socket.socket | None) -> Callable[[asyncio.Task[socket.socket]], None]:
    def close(attempt: asyncio.Task[socket.socket]) -> None:
        if attempt.cancelled():
            return
        if attempt.exception() is None and attempt.result() is not winner:
            attempt.result().close()

    return close


def _forget(pending: dict[asyncio.Future[None], asyncio.StreamWriter]) -> Any:
    def done(future: asyncio.Future[None]) -> None:
        pending.pop(future, None)
        if not future.cancelled():
            future.exception()  # retrieved: a reset while closing is nobody's business

    return done


def _tls_context() -> ssl.SSLContext:
    """The system's certificates (SSL_CERT_FILE / SSL_CERT_DIR honoured) and certifi's.

    Loading them takes tens of milliseconds, so one context serves the whole
    process (the feed step, the page step, every refresh of the reader) for as
    long as those two variables say the same.
    """
    return _tls_context_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _tls_context_for(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # The arguments are the cache's key: OpenSSL reads the variables itself.
    context = ssl.create_default_context()
    try:
        import certifi

        context.load_verify_locations(certifi.where())
    except (ImportError, OSError):  # pragma: no cover - certifi is a dependency
        pass
    context.set_alpn_protocols(["http/1.1"])
    return context


# =========================================================================== URLs and proxies


def _environment_proxies() -> dict[str, str] | None:
    """The proxy settings of the environment, or None when there are none."""
    if not any(key.lower() in _PROXY_VARIABLES for key in os.environ):
        return None
    import urllib.request

    return urllib.request.getproxies_environment()


def _target(url: str, proxies: dict[str, str] | None, *, redirected: bool) -> _Target:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname
        port = parts.port
    except ValueError:
        raise FetchError(f"bad URL: {url}") from None
    if scheme not in ("http", "https") or not host:
        if redirected:
            raise FetchError(f"refused a redirect to {url} (only http and https are followed)")
        raise FetchError(f"not an http(s) URL: {url}")
    ascii_host = _ascii_host(host, url)
    default_port = 443 if scheme == "https" else 80
    port = port or default_port
    authority = _bracketed(ascii_host) + ("" if port == default_port else f":{port}")
    path = _requote(parts.path or "/") + (f"?{_requote(parts.query)}" if parts.query else "")
    return _Target(url, scheme, ascii_host, port, authority, path, _proxy(scheme, host, proxies))


_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


def _requote(text: str) -> str:
    """Percent-encode what may not appear in a request line; keep existing escapes."""
    return quote(text, safe=_URL_SAFE)


def _ascii_host(host: str, url: str) -> str:
    """The host as sent (IDNA for a non-ASCII name), refused when no name could be it."""
    try:
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchError(f"bad host name in URL: {url}") from None
    labels = ascii_host.rstrip(".").split(".")
    if ":" not in ascii_host and (
        len(ascii_host) > 253 or any(len(label) > 63 for label in labels)
    ):
        raise FetchError(f"bad host name in URL: {url}")  # a DNS label is at most 63 bytes
    return ascii_host


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _proxy(scheme: str, host: str, proxies: dict[str, str] | None) -> _Proxy | None:
    if not proxies:
        return None
    address = proxies.get(scheme) or proxies.get("all")
    if not address:
        return None
    import urllib.request

    bypass: Callable[[str, dict[str, str]], bool] = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # in the stdlib, not in typeshed
    if bypass(host, proxies):
        return None
    if "://" not in address:
        address = "http://" + address
    try:
        parts = urlsplit(address)
        proxy_host, proxy_port = parts.hostname, parts.port
    except ValueError:
        raise FetchError(
            f"bad proxy address in the environment: {_without_credentials(address)}"
        ) from None
    if parts.scheme.lower() != "http" or not proxy_host:
        shown = _without_credentials(address)
        raise FetchError(f"unsupported proxy (only http:// proxies work): {shown}")
    authorization = None
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(credentials.encode()).decode("ascii")
    return _Proxy(_ascii_host(proxy_host, address), proxy_port or 80, authorization)


# =========================================================================== answers


def _without_credentials(address: str) -> str:
    """A proxy address fit for a message: any ``user:password@`` taken out."""
    scheme, separator, rest = address.rpartition("://")
    authority, slash, path = rest.partition("/")
    authority = authority.rpartition("@")[2]
    return f"{scheme}{separator}{authority}{slash}{path}"


def _latin1(text: str) -> bytes | None:
    """A header value as bytes; None for one that cannot be sent (not latin-1)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return None


def _location(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The Location header; servers send UTF-8 there more often than latin-1."""
    for name, value in headers:
        if name == b"location":
            try:
                return value.decode("utf-8").strip()
            except UnicodeDecodeError:
                return value.decode("latin-1").strip()
    return None


def _header_map(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Response headers by lower-case name (h11 gives them so); the first of a name wins."""
    fields: dict[str, str] = {}
    for name, value in headers:
        fields.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return fields


def _printable(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable())


class _Decoder:
    """gzip/deflate/identity decoding with the size cap applied to the output.

    zlib is asked for at most one byte more than the room left, so a small
    compressed body that inflates to gigabytes is stopped after ``limit + 1``
    bytes instead of being inflated first and measured after.
    """

    def __init__(self, coding: str, limit: int) -> None:
        codings = [c.strip() for c in coding.lower().split(",")]
        codings = [c for c in codings if c not in ("", "identity")]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FetchError(f"unsupported Content-Encoding: {coding.strip()}")
        self.coding = codings[0] if codings else ""
        self.identity = not codings
        self.limit = limit
        self.size = 0
        self.parts = bytearray()
        """The body so far, in one buffer: a list of pieces would cost a hostile
        server's 2-byte chunks about 40 bytes of objects each."""
        self.compressed = 0
        self._head = b""
        """Deflate: the first bytes, kept until there are two to tell the format by."""
        self._zlib: Any = None
        if self.coding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)

    def feed(self, data: bytes) -> None:
        if not data:
            return
        if self.identity:
            self._add(data)
            return
        self.compressed += len(data)
        if self._zlib is None:  # deflate: zlib-wrapped as the RFC says, or raw as IIS sends
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return
            self._head = b""
            wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        try:
            while data:
                self._add(self._zlib.decompress(data, self.limit - self.size + 1))
                data = self._zlib.unconsumed_tail
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
            self.parts += data

    def finish(self) -> bytes:
        if not self.identity and not self.compressed:
            return b""  # an empty body labelled as compressed (a 204, a HEAD-style answer)
        if self._head:
            raise FetchError(f"incomplete {self.coding} data from the server")
        if self._zlib is not None:
            self._add(self._zlib.flush())
            if not self._zlib.eof:
                raise FetchError(f"incomplete {self.coding} data from the server")
        return bytes(self.parts)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _os_reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


def _connect_error(error: BaseException, target: _Target, proxy: _Proxy | None) -> str:
    """A reason a person can act on, for a connection that could not be made."""
    host = proxy.host if proxy else target.host
    port = proxy.port if proxy else target.port
    what = f"proxy {proxy.address}" if proxy else host
    if isinstance(error, socket.gaierror):
        return f"DNS lookup failed for {'proxy ' if proxy else ''}host {host}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted for {host}: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return f"TLS error with {host}: {error.reason or error}"
    if isinstance(error, ConnectionRefusedError):
        return f"connection refused by {'proxy ' if proxy else ''}{_bracketed(host)}:{port}"
    if isinstance(error, OSError) and error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return f"network unreachable for {what}"
    if isinstance(error, OSError):
        return f"could not connect to {what}: {_os_reason(error)}"
    return f"could not connect to {what}: {error}"  # pragma: no cover
