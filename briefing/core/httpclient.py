"""HTTP GET for feeds and article pages: libcurl (through pycurl) on the asyncio loop.

``HttpFetcher`` GETs one URL at a time and either returns an ``HttpResponse``
(a 2xx with its whole decoded body, or a 304) or raises ``FetchError`` whose
text says what went wrong, on one line, with nothing a server sent that could
disturb a terminal and no credentials.

libcurl speaks the protocol: connections kept alive and reused (HTTP/2 where
the server offers it), happy eyeballs, CONNECT tunnels and SOCKS, TLS with
OpenSSL, chunked coding and gzip/deflate/brotli decoding. Its multi interface
runs on the event loop itself (``pycurl.AsyncCurlMulti``: libcurl's socket and
timer callbacks become ``add_reader``/``call_later``), so there is no thread
and no hand-over: on a warm refresh of 200 conditional GETs that driver cost
about 85 µs of CPU per GET, against about 105 µs for one thread driving
``perform``/``select`` and handing results to the loop (bench/README.md).

What stays here is policy, each limit enforced through libcurl:

* a total deadline per request: looking names up, connecting, every redirect
  and the whole body (``TIMEOUT_MS`` is what is left of it on each hop);
* a body cap counted after decompression, while the body streams in: libcurl
  hands the write callback decoded pieces of at most 16 KB, and the callback
  aborts the transfer once the cap is passed (a 1 GB gzip bomb stops at the
  cap in about 10 ms, never inflated first);
* redirects followed here, not by libcurl: at most ``max_redirects``, loops
  refused, only to http(s), never from https down to http; conditional-GET
  validators go only to the feed's own host (an upgrade from http to https on
  it included: the validators came from there), URL credentials only to the
  URL's own origin;
* an answer with both Content-Length and Transfer-Encoding is refused (libcurl
  would take the chunked body and keep the connection);
* validators sent back byte for byte, a real User-Agent, at most
  ``max_connections`` requests at once and an optional per-host limit;
* names looked up with the system's resolver (``loop.getaddrinfo``) and handed
  to libcurl (``RESOLVE``), once per host and fetcher, so a name that fails is
  not asked again by the same fetcher, and a name behind a proxy is never
  looked up here;
* proxies from the usual environment variables (``http_proxy``,
  ``https_proxy``, ``all_proxy``, each also in upper case, and ``no_proxy``
  with curl's rules), read here so that messages can name the proxy; http,
  https and SOCKS proxies work;
* the system's certificate store (``SSL_CERT_FILE`` and ``SSL_CERT_DIR``
  honoured, and said when they name nothing) plus certifi's, in one bundle
  that libcurl loads once per fetcher.

Where libcurl differs from the h11 client this replaced: bytes that a server
sends unasked on an idle kept-alive connection (a late 408) are noticed by
libcurl only once the connection has been idle for a second or more, so an
unasked answer that arrives sooner is taken for the next request's (a 408 to
a request on a reused connection is asked again on a new one, as before).
Only the server (or the proxy) that answers that next request can do that. A
body that runs until the connection closes, over TLS closed without
close_notify, is refused as possibly cut short, as curl does.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import ipaddress
import logging
import math
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, unquote, urljoin, urlsplit

import pycurl

from briefing import __version__
from briefing.core.textclean import clean_line

USER_AGENT = f"briefing/{__version__} (+https://github.com/briefing-reader/briefing)"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_HEADER_BYTES = 64 * 1024
"""An answer whose status line and headers are bigger than this is refused."""
DRAIN_LIMIT = 64 * 1024
"""A body we do not need (redirect, error page) is read to its end so the
connection can be reused, unless it is bigger than this..."""
DRAIN_TIME = 1.0
"""...or reading it takes longer than this; the answer we have stands."""
MAX_REASON = 80
"""A server's reason phrase is cut to this many characters in messages."""
DEADLINE_GRACE = 0.5
"""libcurl enforces the deadline; the event loop's own guard fires this much
later, only if libcurl did not (it never should)."""

_logger = logging.getLogger(__name__)

# Options pycurl 7.49 has no name for; the numbers are libcurl's (curl.h).
_SUPPRESS_CONNECT_HEADERS = 265
"""The proxy's answer to CONNECT is not passed to the header callback."""
_HTTP09_ALLOWED = 285
"""0: an answer without a status line is an error, not a body."""
_E_WEIRD_SERVER_REPLY = 8
"""CURLE_WEIRD_SERVER_REPLY (pycurl still calls it E_FTP_WEIRD_SERVER_REPLY)."""
_E_PROXY = 97
"""CURLE_PROXY: a SOCKS or https proxy's handshake failed (pycurl has no name for it)."""
_WEB = pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS
"""For PROTOCOLS; pycurl 7.49 cannot set PROTOCOLS_STR (a string option it has no name for)."""


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


# =========================================================================== requests


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A finished GET: a 2xx with its whole (decoded) body, or a 304 with none."""

    status: int
    url: str
    """What was asked for."""
    final_url: str
    """Where the answer came from, after redirects (without credentials)."""
    content_type: str | None
    etag: str | None
    last_modified: str | None
    body: bytes

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class HostSlots:
    """At most ``size`` at a time per host name: one semaphore for each host."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._slots: dict[str, asyncio.Semaphore] = {}

    def of(self, url: str) -> asyncio.Semaphore:
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            raise FetchError(f"bad URL: {_shown(url)}") from None
        slot = self._slots.get(host)
        if slot is None:
            slot = self._slots[host] = asyncio.Semaphore(self.size)
        return slot


class HttpFetcher:
    """GET URLs through libcurl, with hard limits.

    Use as ``async with HttpFetcher(...) as http: await http.get(url)``. One
    fetcher belongs to one event loop; its connections are closed by ``aclose``.
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
        self.user_agent = _header_value(user_agent) or b"briefing"
        self.max_connections = max(1, max_connections)
        self._host_slots = HostSlots(per_host) if per_host else None
        self._slots = asyncio.Semaphore(self.max_connections)
        self._proxies = _environment_proxies()
        self._lookups: dict[str, asyncio.Future[str]] = {}
        """Host name -> its addresses as libcurl's RESOLVE wants them ('a,b')."""
        self._multi: pycurl.AsyncCurlMulti | None = None

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
        """Stop what is running and close every connection (a later ``get`` opens new ones)."""
        lookups, self._lookups = self._lookups, {}
        for lookup in lookups.values():
            lookup.cancel()
        multi, self._multi = self._multi, None
        if multi is not None:
            await multi.aclose()

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

        ``timeout`` bounds everything (looking names up, connecting, every
        redirect, the whole body); waiting for a per-host slot does not count
        against it.
        """
        deadline = self.timeout if timeout is None else timeout
        limit = self.max_bytes if max_bytes is None else max_bytes
        headers = [b"Accept: " + (_header_value(accept) or b"*/*")]
        # Validators go back exactly as the server sent them (headers are
        # decoded as latin-1, which round-trips every byte).
        validators = []
        if etag and (value := _header_value(etag)):
            validators.append(b"If-None-Match: " + value)
        if last_modified and (value := _header_value(last_modified)):
            validators.append(b"If-Modified-Since: " + value)
        request = _Request(headers, validators, limit, deadline)
        host_slot = self._host_slots.of(url) if self._host_slots else None
        if host_slot is not None:
            await host_slot.acquire()
        try:
            loop = asyncio.get_running_loop()
            request.ends = loop.time() + deadline
            try:
                async with asyncio.timeout(deadline + DEADLINE_GRACE):
                    return await self._follow(url, request)
            except TimeoutError:
                raise FetchError(f"timed out after {deadline:g} s") from None
        finally:
            if host_slot is not None:
                host_slot.release()

    # ------------------------------------------------------------------ redirects

    async def _follow(self, url: str, request: _Request) -> HttpResponse:
        first = _target(url, redirected=False)
        target = first
        visited = {target.address}
        for _ in range(self.max_redirects + 1):
            # Validators and credentials belong to the feed's own host.
            validators = request.validators if target.host_key == first.host_key else []
            async with self._slots:
                answer = await self._exchange(target, request, validators)
            status = answer.status
            if status in REDIRECT_STATUSES and answer.location:
                target = self._next_target(target, first, answer.location, visited)
                continue
            if status == 304 or 200 <= status < 300:
                return HttpResponse(
                    status=status,
                    url=url,
                    final_url=target.address,
                    content_type=answer.headers.get("content-type"),
                    etag=answer.headers.get("etag"),
                    last_modified=answer.headers.get("last-modified"),
                    body=bytes(answer.body) if status != 304 else b"",
                )
            reason = clean_line(answer.reason)[:MAX_REASON].strip()
            raise HttpStatusError(status, reason or _reason(status))
        raise FetchError(f"too many redirects (more than {self.max_redirects})")

    @staticmethod
    def _next_target(current: _Target, first: _Target, location: str, visited: set[str]) -> _Target:
        try:
            following = _escape_unsafe(urljoin(current.address, location))
        except ValueError:  # e.g. "http://[::1/"
            raise FetchError(f"bad redirect Location: {_shown(location)}") from None
        target = _target(following, redirected=True)
        if current.scheme == "https" and target.scheme == "http":
            raise FetchError(f"refused a redirect from https to http: {_shown(following)}")
        if target.address in visited:
            raise FetchError(f"too many redirects (loop back to {_shown(target.address)})")
        visited.add(target.address)
        if target.credentials is None and target.origin == first.origin:
            target = target.with_credentials(first.credentials)
        return target

    # ------------------------------------------------------------------ one exchange

    async def _exchange(
        self, target: _Target, request: _Request, validators: list[bytes]
    ) -> _Answer:
        proxy = _proxy_for(target, self._proxies)
        resolve = await self._resolve(target, proxy, request)
        retried = False
        while True:
            transfer = _Transfer(target, proxy, request.limit)
            curl = self._easy(target, proxy, request, validators, resolve, transfer)
            if retried:
                curl.setopt(pycurl.FRESH_CONNECT, 1)
            try:
                code, message = await self._perform(curl, transfer)
                if code and not transfer.complete_enough():
                    raise _curl_error(code, message, curl, transfer, request)
                if transfer.status == 408 and not retried and _reused(curl):
                    # "Request Timeout" on a kept-alive connection: it sat idle
                    # too long for the server; ask again on a new one.
                    retried = True
                    continue
                return transfer.answer()
            finally:
                curl.close()

    async def _perform(self, curl: pycurl.Curl, transfer: _Transfer) -> tuple[int, str]:
        """Run one transfer to its end, or until ``transfer`` has all it needs;
        libcurl's error code (0 for none) and message."""
        if self._multi is None:
            self._multi = pycurl.AsyncCurlMulti()
            self._multi.setopt(pycurl.M_MAX_TOTAL_CONNECTIONS, self.max_connections)
            self._multi.setopt(pycurl.M_MAXCONNECTS, self.max_connections)
        multi = self._multi
        running = multi.add_handle(curl)
        enough = transfer.enough = asyncio.get_running_loop().create_future()
        running.add_done_callback(functools.partial(_settle, enough))
        try:
            await enough
        finally:
            transfer.cancel_timer()
            if not running.done():  # cut short: cancelled, or the rest is not needed
                with contextlib.suppress(RuntimeError, pycurl.error):
                    multi.remove_handle(curl)
        error = None if running.cancelled() else running.exception()
        if transfer.failure is not None:  # one of our limits stopped it
            raise transfer.failure
        if running.cancelled():
            if transfer.finished_early:
                return 0, ""
            raise FetchError("the HTTP client was closed during the request")
        if error is None:
            return 0, ""
        args = error.args
        if len(args) == 2 and isinstance(args[0], int):
            return args[0], str(args[1])
        return -1, str(error)  # pragma: no cover - pycurl always gives both

    def _easy(
        self,
        target: _Target,
        proxy: _Proxy | None,
        request: _Request,
        validators: list[bytes],
        resolve: list[str],
        transfer: _Transfer,
    ) -> pycurl.Curl:
        left = request.ends - asyncio.get_running_loop().time()
        if left <= 0:
            raise TimeoutError
        milliseconds = max(1, math.ceil(left * 1000))
        curl = pycurl.Curl()
        setopt = curl.setopt
        setopt(pycurl.URL, target.curl_url)
        setopt(pycurl.NOSIGNAL, 1)
        setopt(pycurl.PROTOCOLS, _WEB)
        setopt(pycurl.REDIR_PROTOCOLS, _WEB)
        setopt(pycurl.FOLLOWLOCATION, 0)
        setopt(pycurl.TIMEOUT_MS, milliseconds)
        setopt(pycurl.CONNECTTIMEOUT_MS, milliseconds)
        setopt(pycurl.USERAGENT, self.user_agent)
        setopt(pycurl.HTTPHEADER, [*request.headers, *validators])
        setopt(pycurl.ACCEPT_ENCODING, "")  # every coding libcurl can decode
        setopt(pycurl.HEADERFUNCTION, transfer.on_header)
        setopt(pycurl.WRITEFUNCTION, transfer.on_body)
        setopt(_SUPPRESS_CONNECT_HEADERS, 1)
        setopt(_HTTP09_ALLOWED, 0)
        if resolve:
            setopt(pycurl.RESOLVE, resolve)
        if target.credentials is not None:
            setopt(pycurl.USERNAME, target.credentials[0])
            setopt(pycurl.PASSWORD, target.credentials[1])
        trust = _trust_store() if target.scheme == "https" or _is_https(proxy) else None
        if trust is not None:
            _trust_options(curl, trust, proxy)
        if proxy is None:
            setopt(pycurl.PROXY, "")  # none, whatever the environment says
        else:
            setopt(pycurl.PROXY, proxy.curl_url)
            setopt(pycurl.NOPROXY, "")  # decided here already (_proxy_for)
            if proxy.credentials is not None:
                setopt(pycurl.PROXYUSERNAME, proxy.credentials[0])
                setopt(pycurl.PROXYPASSWORD, proxy.credentials[1])
        return curl

    # ------------------------------------------------------------------ names

    async def _resolve(self, target: _Target, proxy: _Proxy | None, request: _Request) -> list[str]:
        """RESOLVE entries for the names libcurl will connect to itself: the
        host, or the proxy (and the host too for a SOCKS proxy that leaves
        names to the client). Never the host behind a proxy that looks names up."""
        wanted: list[tuple[str, int, bool]] = []
        if proxy is None or not proxy.resolves_names:
            wanted.append((target.host, target.port, False))
        if proxy is not None:
            wanted.append((proxy.host, proxy.port, True))
        entries = []
        for host, port, is_proxy in wanted:
            if _is_ip_address(host):
                continue
            lookup = self._lookups.get(host)
            if lookup is None:
                lookup = self._lookups[host] = asyncio.ensure_future(_look_up(host, port))
                lookup.add_done_callback(_retrieved)
            try:
                left = request.ends - asyncio.get_running_loop().time()
                async with asyncio.timeout(max(left, 0)):
                    addresses = await asyncio.shield(lookup)
            except TimeoutError:
                what = "proxy host" if is_proxy else "host"
                raise FetchError(
                    f"timed out after {request.deadline:g} s looking up {what} {host}"
                ) from None
            except socket.gaierror:
                raise FetchError(
                    f"DNS lookup failed for {'proxy ' if is_proxy else ''}host {host}"
                ) from None
            except UnicodeError:  # a label too long for the resolver's IDNA codec
                raise FetchError(f"bad host name in URL: {target.shown}") from None
            except OSError as error:
                raise FetchError(
                    f"DNS lookup failed for host {host}: {_os_reason(error)}"
                ) from None
            entries.append(f"{host}:{port}:{addresses}")
        return entries


class _Request:
    """What stays the same over every hop of one ``get``.

    The private records of this module are plain classes with slots, not
    dataclasses: making a dataclass costs about 0.5 ms when the module is imported,
    at every start of `briefing fetch`, and nothing compares or copies these."""

    __slots__ = ("deadline", "ends", "headers", "limit", "validators")

    def __init__(
        self, headers: list[bytes], validators: list[bytes], limit: int, deadline: float
    ) -> None:
        self.headers = headers
        self.validators = validators
        self.limit = limit
        self.deadline = deadline
        self.ends = 0.0
        """Event-loop time by which everything must be done."""


class _Answer:
    __slots__ = ("body", "headers", "location", "reason", "status")

    def __init__(
        self,
        status: int,
        reason: str,
        headers: Mapping[str, str],
        location: str | None,
        body: bytearray,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.location = location
        self.body = body


async def _look_up(host: str, port: int) -> str:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for family, *_, address in infos:
        text = f"[{address[0]}]" if family == socket.AF_INET6 else str(address[0])
        if text not in addresses:
            addresses.append(text)
    if not addresses:  # pragma: no cover - getaddrinfo raises instead
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    return ",".join(addresses)


def _settle(enough: asyncio.Future[None], _running: object) -> None:
    if not enough.done():
        enough.set_result(None)


def _retrieved(lookup: asyncio.Future[str]) -> None:
    if not lookup.cancelled():
        lookup.exception()  # a failure is reported to whoever waits, never as a warning


def _reused(curl: pycurl.Curl) -> bool:
    return int(curl.getinfo(pycurl.NUM_CONNECTS)) == 0


# =========================================================================== one transfer


_STATUS_LINE = re.compile(rb"HTTP/\d(?:\.\d)? +(\d{3})(?: +(.*))?")


class _Transfer:
    """The callbacks of one libcurl transfer: headers, body, limits.

    They run inside libcurl (on the event loop's thread). A limit is enforced
    by returning a wrong length, which makes libcurl abort the transfer; the
    reason is kept in ``failure``.
    """

    __slots__ = (
        "body",
        "drained",
        "enough",
        "failure",
        "finished_early",
        "header_bytes",
        "headers",
        "headers_done",
        "limit",
        "location",
        "proxy",
        "reason",
        "status",
        "target",
        "timer",
    )

    def __init__(self, target: _Target, proxy: _Proxy | None, limit: int) -> None:
        self.target = target
        self.proxy = proxy
        self.limit = limit
        self.status = 0
        self.reason = ""
        self.headers: dict[str, str] = {}
        self.location: bytes | None = None
        self.header_bytes = 0
        self.headers_done = False
        self.body = bytearray()
        """The body so far, in one buffer: a list of pieces would cost a hostile
        server's 2-byte chunks about 40 bytes of objects each."""
        self.drained = 0
        self.failure: FetchError | None = None
        self.finished_early = False
        """The answer is complete for our purpose (status and headers of a
        redirect or an error) though its body is not."""
        self.enough: asyncio.Future[None] | None = None
        self.timer: asyncio.TimerHandle | None = None

    # ---------------------------------------------------------------- callbacks

    def on_header(self, line: bytes) -> int | None:
        if self.headers_done:
            return None  # trailers of a chunked body
        self.header_bytes += len(line)
        if self.header_bytes > MAX_HEADER_BYTES:
            return self._fail(
                FetchError(
                    f"bad HTTP answer from {self.target.host}: headers larger than "
                    f"{MAX_HEADER_BYTES} bytes"
                )
            )
        text = line.rstrip(b"\r\n")
        if not text:
            if self.status >= 200:  # not a 1xx: the answer's own headers are complete
                self.headers_done = True
                return self._check_headers()
            return None
        if text.startswith(b"HTTP/"):
            found = _STATUS_LINE.fullmatch(text)
            if found is None:
                return self._fail(
                    FetchError(f"bad HTTP answer from {self.target.host}: bad status line")
                )
            self.status = int(found[1])
            self.reason = (found[2] or b"").decode("latin-1")
            self.headers = {}
            self.location = None
            return None
        if text[:1] in (b" ", b"\t"):
            return None  # an obsolete folded line: nothing we read is ever folded
        name, colon, value = text.partition(b":")
        if not colon:
            return None
        key = name.strip().lower().decode("latin-1")
        if key == "location" and self.location is None:
            self.location = value.strip()
        self.headers.setdefault(key, value.strip().decode("latin-1"))
        return None

    def on_body(self, data: bytes) -> int | None:
        if not 200 <= self.status < 300:
            # A body we do not need (a redirect's, an error page's): read on
            # so the connection can be reused, but not for long.
            self.drained += len(data)
            if self.drained > DRAIN_LIMIT:
                self.finished_early = True
                return 0
            return None
        if len(self.body) + len(data) > self.limit:
            return self._fail(TooLargeError(self.limit))
        self.body += data
        return None

    def _check_headers(self) -> int | None:
        headers = self.headers
        if "transfer-encoding" in headers and "content-length" in headers:
            # Two framings of one answer: where it ends is ambiguous, and
            # through a proxy that serves every origin on one connection, a
            # confused end could pass one site's bytes off as another's.
            return self._fail(
                FetchError(
                    f"bad HTTP answer from {self.target.host}: both Content-Length and "
                    "Transfer-Encoding (refused: where it ends is ambiguous)"
                )
            )
        if 200 <= self.status < 300:
            declared = headers.get("content-length", "")
            coded = headers.get("content-encoding", "identity").strip().lower()
            if coded in ("", "identity") and declared.isdigit() and int(declared) > self.limit:
                return self._fail(TooLargeError(self.limit))
        elif self.status != 304 and self.enough is not None:
            loop = self.enough.get_loop()
            self.timer = loop.call_later(DRAIN_TIME, self._stop_draining)
        return None

    def _stop_draining(self) -> None:
        self.timer = None
        self.finished_early = True
        if self.enough is not None and not self.enough.done():
            self.enough.set_result(None)

    def _fail(self, failure: FetchError) -> int:
        self.failure = failure
        return 0

    # ---------------------------------------------------------------- results

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def complete_enough(self) -> bool:
        """Whether what arrived stands although the transfer failed: the status
        and headers of an answer whose body we do not need (a redirect, an
        error page, a 304) are all there is to know."""
        if self.finished_early:
            return True
        return self.headers_done and not 200 <= self.status < 300

    def answer(self) -> _Answer:
        if not self.headers_done and not self.finished_early:
            raise FetchError(f"{self.target.host} closed the connection before answering")
        location = None
        if self.location:
            try:
                location = self.location.decode("utf-8")  # servers send UTF-8 more than latin-1
            except UnicodeDecodeError:
                location = self.location.decode("latin-1")
        return _Answer(self.status, self.reason, self.headers, location, self.body)


# =========================================================================== libcurl's errors


def _curl_error(
    code: int, message: str, curl: pycurl.Curl, transfer: _Transfer, request: _Request
) -> FetchError:
    """libcurl's error as a reason a person can act on, on one line."""
    target, proxy = transfer.target, transfer.proxy
    said = _curl_reason(message)
    host = target.host
    if code == pycurl.E_OPERATION_TIMEDOUT:
        return FetchError(_timed_out(request.deadline, curl, transfer))
    if code == pycurl.E_COULDNT_RESOLVE_PROXY and proxy is not None:
        return FetchError(f"DNS lookup failed for proxy host {proxy.host}")
    if code == pycurl.E_COULDNT_RESOLVE_HOST:
        return FetchError(f"DNS lookup failed for host {host}")
    if proxy is not None and (refusal := _tunnel_refusal(curl, target, proxy)):
        return FetchError(refusal)
    if code == pycurl.E_COULDNT_CONNECT:
        return FetchError(_connect_failure(curl, target, proxy, said))
    if code == pycurl.E_PEER_FAILED_VERIFICATION:
        reason = _certificate_reason(said)
        return FetchError(f"TLS certificate not accepted for {host}: {reason}{_trust_note()}")
    if code == pycurl.E_SSL_CACERT_BADFILE:
        return FetchError(f"TLS: the trusted certificates could not be read: {said}{_trust_note()}")
    if code in (pycurl.E_SSL_CONNECT_ERROR, pycurl.E_SSL_CERTPROBLEM, pycurl.E_SSL_CIPHER):
        return FetchError(f"TLS error with {host}: {said}")
    if code == pycurl.E_GOT_NOTHING:
        return FetchError(f"{host} closed the connection before answering")
    if code == pycurl.E_PARTIAL_FILE:
        return FetchError(f"{host} closed the connection before the whole answer arrived")
    if code in (pycurl.E_RECV_ERROR, pycurl.E_SEND_ERROR):
        if "unexpected eof" in message.lower():
            # An answer that runs until the connection closes, closed without
            # TLS's close_notify: it may have been cut short (curl refuses it too).
            return FetchError(
                f"{host} closed the connection without ending TLS, so the answer may be cut short"
            )
        if "proxy" in message.lower() and proxy is not None:
            return FetchError(f"proxy {proxy.address} broke the connection: {said}")
        return FetchError(f"connection to {host} broke: {said}")
    if code == pycurl.E_BAD_CONTENT_ENCODING:
        coding = clean_line(transfer.headers.get("content-encoding", "")).strip() or "?"
        if "unrecognized" in message.lower():
            return FetchError(f"unsupported Content-Encoding: {coding[:MAX_REASON]}")
        return FetchError(f"bad {coding[:MAX_REASON]} data from the server ({said})")
    if code in (_E_WEIRD_SERVER_REPLY, pycurl.E_UNSUPPORTED_PROTOCOL, pycurl.E_HTTP2):
        return FetchError(f"bad HTTP answer from {host}: {said}")
    if code == _E_PROXY and proxy is not None:
        return FetchError(f"proxy {proxy.address} could not open the way to {host}: {said}")
    if code == pycurl.E_URL_MALFORMAT:
        return FetchError(f"bad URL: {target.shown}")
    return FetchError(f"could not fetch from {host}: {said} (curl error {code})")


def _timed_out(deadline: float, curl: pycurl.Curl, transfer: _Transfer) -> str:
    text = f"timed out after {deadline:g} s"
    proxy = transfer.proxy
    connected = float(curl.getinfo(pycurl.CONNECT_TIME)) > 0
    if proxy is not None:
        if not connected:
            return f"{text} connecting to proxy {proxy.address}"
        tunnelled = int(curl.getinfo(pycurl.HTTP_CONNECTCODE)) != 0
        answered = transfer.status != 0
        if not answered and not (transfer.target.scheme == "https" and tunnelled):
            return f"{text} waiting for proxy {proxy.address} to answer"
        return f"{text} (through proxy {proxy.address})"
    if not connected:
        return f"{text} connecting to {transfer.target.host}"
    return text


def _tunnel_refusal(curl: pycurl.Curl, target: _Target, proxy: _Proxy) -> str | None:
    status = int(curl.getinfo(pycurl.HTTP_CONNECTCODE))
    if status == 0 or 200 <= status < 300:
        return None
    return (
        f"proxy {proxy.address} refused the tunnel to {target.host}: "
        f"HTTP {status} {_reason(status)}".rstrip()
    )


def _connect_failure(curl: pycurl.Curl, target: _Target, proxy: _Proxy | None, said: str) -> str:
    number = int(curl.getinfo(pycurl.OS_ERRNO))
    if proxy is not None:
        where, what = f"proxy {proxy.address}", f"proxy {proxy.address}"
    else:
        where, what = f"{_bracketed(target.host)}:{target.port}", target.host
    if number == errno.ECONNREFUSED:
        return f"connection refused by {where}"
    if number in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return f"network unreachable for {what}"
    if number:
        return f"could not connect to {what}: {os.strerror(number)}"
    return f"could not connect to {what}: {said}"


_OPENSSL_PREFIX = re.compile(r"^(?:OpenSSL/[\d.]+: )?(?:error:[0-9A-Fa-f]+:[^:]*:[^:]*:)?")


def _curl_reason(message: str) -> str:
    """libcurl's message without OpenSSL's codes; it may quote a server (a certificate's names)."""
    return clean_line(_OPENSSL_PREFIX.sub("", message.strip()))[:200] or "unknown error"


_VERIFY_RESULT = re.compile(
    r"SSL certificate (?:OpenSSL verify result|problem|verify result): (.*?)(?: \(\d+\))?"
)


def _certificate_reason(said: str) -> str:
    lowered = said.lower()
    if "subject name" in lowered or "does not match target host" in lowered:
        return f"hostname mismatch ({said.removeprefix('SSL: ')})"
    found = _VERIFY_RESULT.fullmatch(said)
    return found[1] if found else said


# =========================================================================== URLs


class _Target:
    """Where one request goes."""

    __slots__ = ("address", "credentials", "curl_url", "host", "port", "scheme")

    def __init__(
        self,
        address: str,
        scheme: str,
        host: str,
        port: int,
        curl_url: str,
        credentials: tuple[str, str] | None,
    ) -> None:
        self.address = address
        """The URL as followed: no credentials, no fragment; how it is shown and joined."""
        self.scheme = scheme
        self.host = host
        """ASCII (IDNA) host name or IP address, without brackets."""
        self.port = port
        self.curl_url = curl_url
        """What libcurl is given: percent-encoded, IDNA host, no credentials."""
        self.credentials = credentials

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host.lower(), self.port)

    @property
    def host_key(self) -> tuple[str, int]:
        """The host, and its port when it is not the scheme's own: http on 80
        and https on 443 of one name are the same host here."""
        default = 443 if self.scheme == "https" else 80
        return (self.host.lower(), 0 if self.port == default else self.port)

    @property
    def shown(self) -> str:
        return _shown(self.address)

    def with_credentials(self, credentials: tuple[str, str] | None) -> _Target:
        return _Target(self.address, self.scheme, self.host, self.port, self.curl_url, credentials)


def _target(url: str, *, redirected: bool) -> _Target:
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        host = parts.hostname
        port = parts.port
        username, password = parts.username, parts.password
    except ValueError:
        raise FetchError(f"bad URL: {_shown(url)}") from None
    if scheme not in ("http", "https") or not host:
        if redirected:
            raise FetchError(
                f"refused a redirect to {_shown(url)} (only http and https are followed)"
            )
        raise FetchError(f"not an http(s) URL: {_shown(url)}")
    ascii_host = _ascii_host(host, url)
    default_port = 443 if scheme == "https" else 80
    authority = _bracketed(ascii_host) + (f":{port}" if port else "")
    path = _requote(parts.path or "/") + (f"?{_requote(parts.query)}" if parts.query else "")
    address = f"{scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
    if parts.query:
        address += f"?{parts.query}"
    credentials = None
    if username is not None:
        credentials = (unquote(username), unquote(password or ""))
    return _Target(
        address, scheme, ascii_host, port or default_port, f"{scheme}://{authority}{path}",
        credentials,
    )  # fmt: skip


_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"
_UNSAFE_IN_URL = re.compile(
    "[\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff\ufff9-\ufffb]"
)


def _requote(text: str) -> str:
    """Percent-encode what may not appear in a request line; keep existing escapes."""
    return quote(text, safe=_URL_SAFE)


def _escape_unsafe(url: str) -> str:
    """A URL from a Location header with its controls, spaces and bidi marks
    percent-encoded (other characters, 'café', are kept as they are)."""
    return _UNSAFE_IN_URL.sub(lambda m: quote(m[0], safe=""), url)


def _ascii_host(host: str, url: str) -> str:
    """The host as sent (IDNA for a non-ASCII name), refused when no name could be it."""
    try:
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchError(f"bad host name in URL: {_shown(url)}") from None
    labels = ascii_host.rstrip(".").split(".")
    if ":" not in ascii_host and (
        len(ascii_host) > 253 or any(len(label) > 63 for label in labels)
    ):
        raise FetchError(f"bad host name in URL: {_shown(url)}")  # a DNS label is at most 63 bytes
    if not _HOST_CHARACTERS.fullmatch(ascii_host):
        raise FetchError(f"bad host name in URL: {_shown(url)}")
    return ascii_host


_HOST_CHARACTERS = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:%-]+")


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _shown(url: str) -> str:
    """A URL fit for a message: no ``user:password@``, nothing that is not printable."""
    scheme, separator, rest = url.partition("://")
    if separator:
        authority, slash, path = rest.partition("/")
        rest = authority.rpartition("@")[2] + slash + path
        url = scheme + separator + rest
    return clean_line(url)[:300]


# =========================================================================== proxies


class _Proxy:
    __slots__ = ("credentials", "host", "port", "scheme")

    def __init__(
        self, scheme: str, host: str, port: int, credentials: tuple[str, str] | None
    ) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.credentials = credentials

    @property
    def address(self) -> str:
        return f"{_bracketed(self.host)}:{self.port}"

    @property
    def curl_url(self) -> str:
        return f"{self.scheme}://{self.address}"

    @property
    def resolves_names(self) -> bool:
        """Whether the proxy looks the host's name up (socks4 and socks5 leave it to us)."""
        return self.scheme not in ("socks4", "socks5")


_PROXY_SCHEMES = {"http": 1080, "https": 443, "socks4": 1080, "socks4a": 1080,
                  "socks5": 1080, "socks5h": 1080}  # fmt: skip
_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


def _environment_proxies() -> dict[str, str] | None:
    """The proxy settings of the environment, or None when there are none."""
    if not any(key.lower() in _PROXY_VARIABLES for key in os.environ):
        return None
    import urllib.request

    # Lower case first, then upper case; HTTP_PROXY is ignored under CGI (httpoxy).
    return urllib.request.getproxies_environment()


def _proxy_for(target: _Target, proxies: dict[str, str] | None) -> _Proxy | None:
    if not proxies:
        return None
    address = proxies.get(target.scheme) or proxies.get("all")
    if not address or _bypasses_proxy(target.host, proxies.get("no", "")):
        return None
    if "://" not in address:
        address = "http://" + address
    shown = _shown(address)
    try:
        parts = urlsplit(address)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        raise FetchError(f"bad proxy address in the environment: {shown}") from None
    if scheme not in _PROXY_SCHEMES or not host:
        raise FetchError(f"unsupported proxy (http, https and socks proxies work): {shown}")
    credentials = None
    if parts.username is not None:
        credentials = (unquote(parts.username), unquote(parts.password or ""))
    default = 80 if scheme == "http" else _PROXY_SCHEMES[scheme]
    return _Proxy(scheme, _ascii_host(host, address), port or default, credentials)


def _bypasses_proxy(host: str, no_proxy: str) -> bool:
    """curl's rules: ``*`` is every host; a name matches itself and its
    subdomains (a leading dot changes nothing); an address or a network
    (``10.0.0.0/8``) matches the addresses in it."""
    host = host.lower().rstrip(".")
    address = None
    with contextlib.suppress(ValueError):
        address = ipaddress.ip_address(host)
    for entry in re.split(r"[\s,]+", no_proxy.lower()):
        entry = entry.strip().lstrip(".").rstrip(".")
        if not entry:
            continue
        if entry == "*":
            return True
        if address is not None:
            with contextlib.suppress(ValueError):
                if address in ipaddress.ip_network(entry.strip("[]"), strict=False):
                    return True
            continue
        if host == entry or host.endswith("." + entry):
            return True
    return False


def _is_https(proxy: _Proxy | None) -> bool:
    return proxy is not None and proxy.scheme == "https"


# =========================================================================== trust


class _Trust:
    __slots__ = ("cafile", "capath", "notes")

    def __init__(self, cafile: str | None, capath: str | None, notes: tuple[str, ...]) -> None:
        self.cafile = cafile
        self.capath = capath
        self.notes = notes
        """What is wrong with SSL_CERT_FILE / SSL_CERT_DIR, if anything."""


def _trust_store() -> _Trust:
    return _trust_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


def _trust_note() -> str:
    notes = _trust_store().notes
    return f" ({'; '.join(notes)})" if notes else ""


def certificate_variables_note() -> str:
    """' (SSL_CERT_FILE names …, which does not exist)' when the certificate
    variables name nothing usable, else '': for a certificate refused elsewhere
    (sync's transport) to say what the user set."""
    return _trust_note()


def _trust_options(curl: pycurl.Curl, trust: _Trust, proxy: _Proxy | None) -> None:
    # One CA file and no directory: libcurl then keeps the parsed store for
    # the whole multi handle instead of reading it again for each connection.
    pairs = [(pycurl.CAINFO, pycurl.CAPATH)]
    if _is_https(proxy):
        pairs.append((pycurl.PROXY_CAINFO, pycurl.PROXY_CAPATH))
    for cafile_option, capath_option in pairs:
        if trust.cafile is not None:
            curl.setopt(cafile_option, trust.cafile)
        if trust.capath is not None:
            curl.setopt(capath_option, trust.capath)
        else:
            curl.unsetopt(capath_option)


@functools.lru_cache(maxsize=4)
def _trust_for(cert_file: str | None, cert_dir: str | None) -> _Trust:
    """The system's certificates and certifi's, as libcurl wants them.

    The system's are those OpenSSL would use: ``SSL_CERT_FILE`` and
    ``SSL_CERT_DIR`` when set, else the default file (or, without one, the
    default directory). Both files go into one bundle, kept for the process.
    Keyed by the two variables: a change to them is seen on the next fetch.
    """
    import ssl

    defaults = ssl.get_default_verify_paths()
    notes: list[str] = []
    system_file = None
    if cert_file:
        if os.path.isfile(cert_file) and os.access(cert_file, os.R_OK):
            system_file = cert_file
        else:
            notes.append(f"SSL_CERT_FILE names {_what_is_at(cert_file, 'file')}")
    elif defaults.openssl_cafile and os.path.isfile(defaults.openssl_cafile):
        system_file = defaults.openssl_cafile
    capath = None
    if cert_dir:
        found = [d for d in cert_dir.split(os.pathsep) if d and os.path.isdir(d)]
        notes += [
            f"SSL_CERT_DIR names {_what_is_at(d, 'directory')}"
            for d in cert_dir.split(os.pathsep)
            if d and d not in found
        ]
        capath = os.pathsep.join(found) or None
    elif system_file is None and defaults.openssl_capath and os.path.isdir(defaults.openssl_capath):
        capath = defaults.openssl_capath
    files = [path for path in (system_file, _certifi_file()) if path]
    for note in notes:
        _logger.warning("%s: trusting the other certificates only", note)
    return _Trust(_bundle(tuple(files)), capath, tuple(notes))


def _what_is_at(path: str, kind: str) -> str:
    shown = clean_line(path)
    if not os.path.exists(path):
        return f"{shown}, which does not exist"
    if kind == "file" and not os.path.isfile(path):
        return f"{shown}, which is not a file"
    if kind == "directory" and not os.path.isdir(path):
        return f"{shown}, which is not a directory"
    return f"{shown}, which cannot be read"


def _certifi_file() -> str | None:
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi is a dependency
        return None
    path = certifi.where()
    return path if os.path.isfile(path) else None


_BUNDLES: list[Any] = []
"""Open handles of the bundles written: each stays readable while the process lives."""


@functools.lru_cache(maxsize=4)
def _bundle(files: tuple[str, ...]) -> str | None:
    """One PEM file with the certificates of ``files``, which libcurl reads once per fetcher."""
    if len(files) <= 1:
        return files[0] if files else None
    pem = _deduplicated(files)
    memfd_create: Callable[[str], int] | None = getattr(os, "memfd_create", None)
    if memfd_create is not None and os.path.isdir("/proc/self/fd"):
        descriptor = memfd_create("briefing-ca-bundle")
        os.write(descriptor, pem)
        _BUNDLES.append(descriptor)
        return f"/proc/self/fd/{descriptor}"
    import tempfile

    bundle = tempfile.NamedTemporaryFile(prefix="briefing-ca-", suffix=".pem")  # noqa: SIM115 - kept open
    bundle.write(pem)
    bundle.flush()
    _BUNDLES.append(bundle)  # removed when the process ends
    return bundle.name


_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", re.DOTALL)


def _deduplicated(files: tuple[str, ...]) -> bytes:
    """The PEM blocks of ``files``, each once: the system's store and certifi's
    hold mostly the same roots, and each one costs OpenSSL time to load."""
    seen: set[bytes] = set()
    blocks: list[bytes] = []
    for path in files:
        try:
            with open(path, "rb") as handle:
                text = handle.read()
        except OSError:
            continue
        for found in _PEM_BLOCK.finditer(text):
            key = b"".join(found[0].split())
            if key not in seen:
                seen.add(key)
                blocks.append(found[0])
    return b"\n".join(blocks) + b"\n"


# =========================================================================== small helpers


def _header_value(text: str) -> bytes | None:
    """A header value as bytes; None for one that cannot be sent (not latin-1, or a line break)."""
    try:
        value = text.encode("latin-1")
    except UnicodeEncodeError:
        return None
    if b"\r" in value or b"\n" in value or b"\0" in value:
        return None
    return value


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _os_reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__
