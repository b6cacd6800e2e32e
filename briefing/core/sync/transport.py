"""The HTTP seam of sync: one request at a time, with method, headers and body.

Feed fetching has its own client (``briefing.core.httpclient``), which only
GETs. The feed server needs POST and PUT with headers, so sync asks for no
more than ``SyncTransport.request`` and this module implements it on the
standard library: a deadline per request, a cap on the body (counted after
gzip), no redirects (an answer from somewhere else is reported, never
followed with the credentials), and the usual proxy variables. When the
project's transport can send other methods and headers, a class with the same
``request`` replaces ``UrllibTransport`` and nothing else changes.
"""

from __future__ import annotations

import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from briefing import __version__
from briefing.core.textclean import clean_line

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""A page of entries with their bodies can be large; this bounds it."""
USER_AGENT = f"briefing/{__version__} (feed server sync)"


class TransportError(Exception):
    """The request got no HTTP answer; ``str()`` is one line (no secrets, no URL query)."""


@dataclass(frozen=True, slots=True)
class SyncResponse:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    """Lower-case header names."""
    body: bytes = b""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


class SyncTransport(Protocol):
    requests: int
    """Requests sent so far (for the report and the benchmarks)."""

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> SyncResponse:
        """Send one request and return the answer, whatever its status.

        Raises ``TransportError`` when there is no answer (refused, timed out,
        TLS, too large)."""
        ...

    def close(self) -> None: ...


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the 3xx comes back as an answer; the caller says what to do


class UrllibTransport:
    """``SyncTransport`` on ``urllib.request``. Thread-safe; one connection per request."""

    def __init__(self, *, timeout: float = 20.0, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.requests = 0
        self._lock = threading.Lock()
        self._opener: urllib.request.OpenerDirector | None = None

    def _open(self, request: urllib.request.Request) -> Any:
        with self._lock:
            if self._opener is None:
                # Made on first use: loading the certificates takes about 50 ms.
                self._opener = urllib.request.build_opener(
                    _NoRedirects(), urllib.request.HTTPSHandler(context=_tls_context())
                )
            opener = self._opener
        return opener.open(request, timeout=self.timeout)

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> SyncResponse:
        sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", **(headers or {})}
        request = urllib.request.Request(url, data=body, headers=sent, method=method)
        with self._lock:
            self.requests += 1
        try:
            with self._open(request) as answer:
                return self._response(answer.status, answer.headers, answer)
        except urllib.error.HTTPError as error:
            with error:
                return self._response(error.code, error.headers, error)
        except urllib.error.URLError as error:
            raise TransportError(_explained(error.reason, self.timeout, url)) from None
        except TimeoutError as error:
            raise TransportError(_explained(error, self.timeout, url)) from None
        except (OSError, ValueError) as error:  # a reset mid-answer, a bad chunk
            raise TransportError(_explained(error, self.timeout, url)) from None

    def _response(self, status: int, headers: object, stream: object) -> SyncResponse:
        names = {k.lower(): v for k, v in getattr(headers, "items", dict)()}
        read = getattr(stream, "read")  # noqa: B009 -- both answer types have it
        raw = read(self.max_bytes + 1)
        if len(raw) > self.max_bytes:
            raise TransportError(f"the answer is larger than {self.max_bytes // 2**20} MiB")
        if names.get("content-encoding", "").lower() == "gzip":
            raw = self._gunzip(raw)
        return SyncResponse(status=status, headers=names, body=raw)

    def _gunzip(self, raw: bytes) -> bytes:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(raw, self.max_bytes + 1)
        except zlib.error:
            raise TransportError("the answer's gzip encoding is broken") from None
        if len(body) > self.max_bytes or inflater.unconsumed_tail:
            raise TransportError(f"the answer is larger than {self.max_bytes // 2**20} MiB")
        return body

    def close(self) -> None:
        if self._opener is not None:
            self._opener.close()


def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    try:
        import certifi

        context.load_verify_locations(certifi.where())
    except (ImportError, OSError, ssl.SSLError):
        pass  # the system's store alone
    return context


def _explained(reason: object, timeout: float, url: str) -> str:
    """``_reason``, with what the user set that may be the cause: the proxy that never
    answered, or SSL_CERT_FILE / SSL_CERT_DIR naming nothing."""
    said = _reason(reason, timeout)
    if isinstance(reason, TimeoutError | ConnectionRefusedError):
        proxy = _proxy_of(url)
        if proxy:
            if isinstance(reason, TimeoutError):
                said += f" waiting for proxy {proxy} to answer"
            else:
                said += f" by proxy {proxy}"
    elif isinstance(reason, ssl.SSLCertVerificationError):
        from briefing.core.httpclient import certificate_variables_note

        said += certificate_variables_note()
    return said


def _proxy_of(url: str) -> str:
    """host:port of the proxy urllib uses for ``url`` (from the usual variables,
    ``no_proxy`` included), without any user or password; '' when none."""
    parts = urllib.parse.urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return ""
    address = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    host = address.hostname or ""
    try:
        port = address.port
    except ValueError:
        port = None
    return clean_line(f"{host}:{port}" if port else host)


def _reason(reason: object, timeout: float) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(reason, socket.gaierror):
        return "DNS lookup failed"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({reason.verify_message})"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error ({reason.reason or reason})"
    if isinstance(reason, ConnectionResetError):
        return "the server closed the connection"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason) or type(reason).__name__
