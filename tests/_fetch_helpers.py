"""A loopback HTTP server for the fetch tests, and feed documents written for them.

Each route is a function of the request that returns a ``Reply``; the reply
body may be bytes or a list of (delay, bytes) pieces, so a test can make a
server that trickles. Every request's path and headers are recorded.
"""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

__all__ = [
    "Recorded",
    "Reply",
    "TestServer",
    "atom_feed",
    "raw_server",
    "read_request",
    "rss_feed",
    "serve",
]


@dataclass
class Reply:
    status: int = 200
    body: bytes | list[tuple[float, bytes]] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_length: bool = True
    """Send Content-Length (only for a bytes body); otherwise the body ends with the connection."""


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]


Route = Callable[[Recorded], Reply]


class TestServer:
    __test__ = False  # not a pytest class

    def __init__(self, httpd: http.server.ThreadingHTTPServer) -> None:
        self.httpd = httpd
        self.routes: dict[str, Route] = {}
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.connections = 0
        """TCP connections accepted so far."""

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def base(self) -> str:
        scheme = "https" if isinstance(self.httpd.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, reply: Reply | Route) -> str:
        self.routes[path] = reply if callable(reply) else (lambda _request, r=reply: r)
        return self.url(path)

    def requests_for(self, path: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Without it, Nagle and delayed ACKs stall each keep-alive answer ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.owner.lock:
            self.server.owner.connections += 1

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        recorded = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()})
        with owner.lock:
            owner.requests.append(recorded)
            owner.in_flight += 1
            owner.peak_in_flight = max(owner.peak_in_flight, owner.in_flight)
        try:
            route = owner.routes.get(self.path.split("?", 1)[0])
            reply = route(recorded) if route else Reply(404, b"no such path\n")
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with owner.lock:
                owner.in_flight -= 1

    do_CONNECT = do_GET  # a proxy's tunnel request; its route is "host:port"

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if isinstance(reply.body, bytes) and reply.content_length:
            self.send_header("Content-Length", str(len(reply.body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if isinstance(reply.body, bytes):
            self.wfile.write(reply.body)
            return
        for delay, piece in reply.body:
            if delay:
                time.sleep(delay)
            self.wfile.write(piece)
            self.wfile.flush()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    """socketserver's default of 5 drops the connections of a client that opens
    a hundred at once (briefing's default concurrency) until they time out."""
    owner: TestServer

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # clients hanging up is normal
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def serve(tls: ssl.SSLContext | None = None) -> Iterator[TestServer]:
    """A threaded server on 127.0.0.1; with ``tls`` (a server context) it speaks https."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    owner = TestServer(httpd)
    httpd.owner = owner
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield owner
    finally:
        httpd.shutdown()
        httpd.server_close()


# --------------------------------------------------------------------------- raw servers


@contextmanager
def raw_server(handle: Callable[[socket.socket, int], None]) -> Iterator[tuple[str, list[int]]]:
    """A loopback server that runs ``handle(connection, number)`` for each connection,
    for answers no well-behaved HTTP server would give. Yields its base URL and the
    list of connection numbers seen."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    seen: list[int] = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            seen.append(len(seen) + 1)
            worker = threading.Thread(target=_serve_one, args=(handle, connection, len(seen)))
            worker.daemon = True
            worker.start()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def _serve_one(handle: Callable[[socket.socket, int], None], conn: socket.socket, n: int) -> None:
    with conn, suppress(OSError):
        handle(conn, n)


def read_request(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = connection.recv(4096)
        if not piece:
            return b""
        data += piece
    return data


# --------------------------------------------------------------------------- documents


def rss_feed(
    items: list[dict[str, str]], *, title: str = "Test Wire", prolog: str = "", extra: str = ""
) -> bytes:
    """An RSS 2.0 document; each item dict maps element names to (already escaped) text."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        prolog,
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"',
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n',
        f"<title>{title}</title>\n<link>https://wire.example.org/</link>\n",
        "<description>Written for the briefing tests</description>\n",
        extra,
    ]
    for item in items:
        parts.append("<item>")
        parts.extend(f"<{name}>{value}</{name}>" for name, value in item.items())
        parts.append("</item>\n")
    parts.append("</channel>\n</rss>\n")
    return "".join(parts).encode("utf-8")


def atom_feed(entries: list[str], *, title: str = "Test Atom") -> bytes:
    """An Atom 1.0 document around the given raw <entry> elements."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<title>{title}</title><id>urn:test:atom</id>"
        '<link rel="alternate" href="https://atom.example.org/"/>'
        "<updated>2026-01-16T12:00:00Z</updated>\n" + "\n".join(entries) + "\n</feed>\n"
    ).encode("utf-8")


def sample_items(count: int = 3, prefix: str = "Item") -> list[dict[str, str]]:
    return [
        {
            "title": f"{prefix} {n}: labels press claims against Anna&#8217;s Archive",
            "link": f"https://wire.example.org/story/{n}",
            "guid": f"urn:test:{prefix.lower()}-{n}",
            "pubDate": f"Fri, {16 + n:02d} Jan 2026 09:30:00 +0200",
            "description": f"&lt;p&gt;Filing number {n} describes 86 million music files.&lt;/p&gt;",
        }
        for n in range(1, count + 1)
    ]
