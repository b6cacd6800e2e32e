"""The HTTP client itself, against real servers on 127.0.0.1: kept-alive connections,
servers that misbehave at the connection level, URL encoding, TLS and proxies.

(Feed-level behaviour over HTTP, such as redirects, 304s, timeouts and size caps, is in
test_fetch.py.)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import trustme
from _fetch_helpers import Reply, TestServer, raw_server, read_request, serve

from briefing.core.httpclient import FetchError, HttpFetcher

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
# No test here asks a DNS server (see the fixture in conftest).
pytestmark = pytest.mark.usefixtures("name_lookups")


@pytest.fixture
def server() -> Iterator[TestServer]:
    with serve() as running:
        yield running


@pytest.fixture(autouse=True)
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


# --------------------------------------------------------------------------- connections


async def test_one_connection_serves_requests_one_after_another(server: TestServer) -> None:
    url = server.route("/feed", Reply(200, b"<rss/>"))
    async with HttpFetcher() as http:
        for _ in range(3):
            assert (await http.get(url)).body == b"<rss/>"
    assert server.connections == 1


async def test_304s_without_a_length_keep_the_connection(server: TestServer) -> None:
    """A 304 has no body by definition, and servers send no Content-Length with it:
    the connection still serves the next request (a warm refresh depends on it)."""

    def not_modified(connection: socket.socket, number: int) -> None:
        while read_request(connection):
            connection.sendall(b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n')

    with raw_server(not_modified) as (base, seen):
        async with HttpFetcher(timeout=5) as http:
            for path in ("/a", "/b", "/c"):
                assert (await http.get(base + path, etag='"v1"')).not_modified
    assert seen == [1]


async def test_a_kept_alive_connection_closed_by_the_server_is_retried_once() -> None:
    """The server answers one request per connection, then closes the connection when
    the next request arrives (its keep-alive ran out just then): the client sends the
    request again on a new connection and gets the answer."""

    def one_answer_per_connection(connection: socket.socket, number: int) -> None:
        read_request(connection)
        body = f"answer {number}".encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        connection.sendall(head + body)
        read_request(connection)  # the next request: hang up without a word

    with raw_server(one_answer_per_connection) as (base, seen):
        async with HttpFetcher(timeout=5) as http:
            first = await http.get(base + "/a")
            second = await http.get(base + "/b")
    assert (first.body, second.body) == (b"answer 1", b"answer 2")
    assert seen == [1, 2]


async def test_a_new_connection_closed_before_an_answer_is_an_error_not_a_retry() -> None:
    def hang_up(connection: socket.socket, number: int) -> None:
        read_request(connection)

    with raw_server(hang_up) as (base, seen):
        async with HttpFetcher(timeout=5) as http:
            with pytest.raises(FetchError, match=r"^127\.0\.0\.1 closed the connection before"):
                await http.get(base + "/feed")
    assert seen == [1]


async def test_an_answer_cut_short_is_an_error() -> None:
    def cut_short(connection: socket.socket, number: int) -> None:
        read_request(connection)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n<rss>")

    with raw_server(cut_short) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            with pytest.raises(FetchError, match="closed the connection before the whole answer"):
                await http.get(base + "/feed")


async def test_endless_headers_are_refused() -> None:
    def endless_headers(connection: socket.socket, number: int) -> None:
        read_request(connection)
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        for n in range(5000):
            connection.sendall(f"X-Filler-{n}: {'x' * 40}\r\n".encode())

    with raw_server(endless_headers) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            with pytest.raises(FetchError, match="headers larger than 65536 bytes"):
                await http.get(base + "/feed")


async def test_garbage_instead_of_http_is_a_bad_answer() -> None:
    def garbage(connection: socket.socket, number: int) -> None:
        read_request(connection)
        connection.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")

    with raw_server(garbage) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            with pytest.raises(FetchError, match=r"^bad HTTP answer from 127\.0\.0\.1"):
                await http.get(base + "/feed")


async def test_a_timed_out_request_leaves_no_connection_for_reuse(server: TestServer) -> None:
    slow = server.route("/slow", Reply(200, [(0, b"<rss>"), (2, b"</rss>")], content_length=False))
    quick = server.route("/quick", Reply(200, b"<rss/>"))
    async with HttpFetcher(timeout=0.5) as http:
        with pytest.raises(FetchError, match=r"timed out after 0\.5 s"):
            await http.get(slow)
        assert (await http.get(quick)).body == b"<rss/>"
    assert server.connections == 2


# --------------------------------------------------------------------------- URLs


async def test_the_request_line_is_percent_encoded(server: TestServer) -> None:
    server.route("/caf%C3%A9%20news", Reply(200, b"ok"))
    async with HttpFetcher() as http:
        response = await http.get(server.base + "/café news?q=a b&x=%41#part")
    assert response.body == b"ok"
    assert [r.path for r in server.requests] == ["/caf%C3%A9%20news?q=a%20b&x=%41"]
    assert server.requests[0].headers["host"] == f"127.0.0.1:{server.port}"


async def test_an_international_host_name_is_looked_up_in_its_ascii_form(
    name_lookups: list[str],
) -> None:
    async with HttpFetcher(timeout=5) as http:
        with pytest.raises(
            FetchError, match=r"^DNS lookup failed for host xn--bcher-kva\.example$"
        ):
            await http.get("http://bücher.example/feed")
    assert name_lookups == ["xn--bcher-kva.example"]


# --------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trusted(authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the test authority trusted the way a user would: SSL_CERT_FILE."""
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


@contextmanager
def tls_server(authority: trustme.CA, *names: str) -> Iterator[TestServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*names).configure_cert(context)
    with serve(tls=context) as running:
        yield running


async def test_https_with_a_trusted_certificate(authority: trustme.CA, trusted: None) -> None:
    with tls_server(authority, "127.0.0.1") as secure:
        url = secure.route("/feed", Reply(200, b"<rss/>"))
        assert url.startswith("https://127.0.0.1:")
        async with HttpFetcher(timeout=5) as http:
            assert (await http.get(url)).body == b"<rss/>"
            assert (await http.get(url)).body == b"<rss/>"
        assert secure.connections == 1


async def test_https_with_an_unknown_authority_is_refused(authority: trustme.CA) -> None:
    with tls_server(authority, "127.0.0.1") as secure:
        url = secure.route("/feed", Reply(200, b"<rss/>"))
        async with HttpFetcher(timeout=5) as http:
            with pytest.raises(
                FetchError, match=r"^TLS certificate not accepted for 127\.0\.0\.1: "
            ):
                await http.get(url)
        assert secure.requests == []


async def test_https_with_a_certificate_for_another_name_is_refused(
    authority: trustme.CA, trusted: None
) -> None:
    with tls_server(authority, "other.example.test") as secure:
        url = secure.route("/feed", Reply(200, b"<rss/>"))
        async with HttpFetcher(timeout=5) as http:
            with pytest.raises(
                FetchError, match=r"^TLS certificate not accepted for 127\.0\.0\.1: .*mismatch"
            ):
                await http.get(url)
        assert secure.requests == []


# --------------------------------------------------------------------------- proxies


async def test_http_goes_through_the_proxy_of_the_environment(
    server: TestServer, monkeypatch: pytest.MonkeyPatch, name_lookups: list[str]
) -> None:
    monkeypatch.setenv("http_proxy", f"http://reader:pa%20ss@127.0.0.1:{server.port}")
    server.route("http://feeds.example.test/feed", Reply(200, b"<rss/>"))
    async with HttpFetcher(timeout=5) as http:
        response = await http.get("http://feeds.example.test/feed")
    assert response.body == b"<rss/>"
    (request,) = server.requests
    assert request.headers["host"] == "feeds.example.test"
    expected = "Basic " + base64.b64encode(b"reader:pa ss").decode()
    assert request.headers["proxy-authorization"] == expected
    assert name_lookups == []  # the proxy looks the name up, not us


async def test_no_proxy_hosts_are_fetched_directly(
    server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as unused:
        nobody = unused.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{nobody}")
    url = server.route("/feed", Reply(200, b"<rss/>"))
    async with HttpFetcher(timeout=5) as http:
        with pytest.raises(
            FetchError, match=rf"^connection refused by proxy 127\.0\.0\.1:{nobody}$"
        ):
            await http.get(url)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    async with HttpFetcher(timeout=5) as http:
        assert (await http.get(url)).body == b"<rss/>"


async def test_a_proxy_that_refuses_the_tunnel(
    server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("https_proxy", f"127.0.0.1:{server.port}")
    server.route("secure.example.test:443", Reply(407, b"who are you?"))
    async with HttpFetcher(timeout=5) as http:
        with pytest.raises(FetchError) as raised:
            await http.get("https://secure.example.test/feed")
    assert str(raised.value) == (
        f"proxy 127.0.0.1:{server.port} refused the tunnel to secure.example.test: "
        "HTTP 407 Proxy Authentication Required"
    )


async def test_an_unsupported_proxy_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("all_proxy", "ftp://127.0.0.1:2121")
    async with HttpFetcher(timeout=5) as http:
        with pytest.raises(FetchError) as raised:
            await http.get("http://feeds.example.test/feed")
    assert str(raised.value) == (
        "unsupported proxy (http, https and socks proxies work): ftp://127.0.0.1:2121"
    )


async def test_https_through_a_connect_tunnel(
    authority: trustme.CA, trusted: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real tunnelling proxy: CONNECT, then TLS with the origin inside the tunnel,
    the certificate checked against the origin's name, which only the proxy resolves."""
    tunnels: list[bytes] = []

    async def tunnel(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        tunnels.append(head.split(b"\r\n", 1)[0])
        origin_reader, origin_writer = await asyncio.open_connection("127.0.0.1", origin_port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
            sink.close()

        await asyncio.gather(
            pipe(reader, origin_writer), pipe(origin_reader, writer), return_exceptions=True
        )

    with tls_server(authority, "secure.example.test") as origin:
        origin_port = origin.port
        origin.route("/feed", Reply(200, b"<rss>secret</rss>"))
        proxy = await asyncio.start_server(tunnel, "127.0.0.1", 0)
        proxy_port = proxy.sockets[0].getsockname()[1]
        monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy_port}")
        try:
            async with HttpFetcher(timeout=5) as http:
                first = await http.get("https://secure.example.test/feed")
                second = await http.get("https://secure.example.test/feed")
        finally:
            proxy.close()
    assert first.body == second.body == b"<rss>secret</rss>"
    assert tunnels == [b"CONNECT secure.example.test:443 HTTP/1.1"]  # one tunnel, reused
    assert origin.requests[0].headers["host"] == "secure.example.test"


async def test_http_through_a_socks5_proxy_that_looks_names_up(
    server: TestServer, monkeypatch: pytest.MonkeyPatch, name_lookups: list[str]
) -> None:
    """socks5h://: the proxy is handed the host name and connects; we look up nothing."""
    asked: list[tuple[str, int]] = []

    async def socks5(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, methods = await reader.readexactly(2)
        await reader.readexactly(methods)
        writer.write(b"\x05\x00")  # no authentication
        _, command, _, kind = await reader.readexactly(4)
        assert (version, command, kind) == (5, 1, 3)  # CONNECT to a domain name
        name = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        port = int.from_bytes(await reader.readexactly(2), "big")
        asked.append((name, port))
        origin_reader, origin_writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"\x05\x00\x00\x01" + bytes(6))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
            sink.close()

        await asyncio.gather(
            pipe(reader, origin_writer), pipe(origin_reader, writer), return_exceptions=True
        )

    server.route("/feed", Reply(200, b"<rss>via socks</rss>"))
    proxy = await asyncio.start_server(socks5, "127.0.0.1", 0)
    monkeypatch.setenv("all_proxy", f"socks5h://127.0.0.1:{proxy.sockets[0].getsockname()[1]}")
    try:
        async with HttpFetcher(timeout=5) as http:
            response = await http.get("http://feeds.example.test:8123/feed")
    finally:
        proxy.close()
    assert response.body == b"<rss>via socks</rss>"
    assert asked == [("feeds.example.test", 8123)]
    assert server.requests[0].headers["host"] == "feeds.example.test:8123"
    assert name_lookups == []


FORGED = b"HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\n<rss>FORGED</rss>"


@pytest.mark.parametrize(
    "after_established",
    [pytest.param(FORGED, id="right-after"), pytest.param(b" " * 70_000 + FORGED, id="past-64k")],
)
async def test_a_proxy_cannot_forge_an_https_answer(
    authority: trustme.CA, trusted: None, monkeypatch: pytest.MonkeyPatch, after_established: bytes
) -> None:
    """The proxy says "200 Connection established" and then, in plaintext, an
    answer of its own: that must never be taken for the origin's (TLS-checked)
    answer. The fetch fails instead, and the real origin is never believed
    either, since the tunnel is not trustworthy."""

    to_origin: list[asyncio.StreamWriter] = []

    async def forging_tunnel(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        origin_reader, origin_writer = await asyncio.open_connection("127.0.0.1", origin_port)
        to_origin.append(origin_writer)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n" + after_established)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
            sink.close()

        await asyncio.gather(
            pipe(reader, origin_writer), pipe(origin_reader, writer), return_exceptions=True
        )

    with tls_server(authority, "secure.example.test") as origin:
        origin_port = origin.port
        origin.route("/feed", Reply(200, b"<rss>genuine</rss>"))
        proxy = await asyncio.start_server(forging_tunnel, "127.0.0.1", 0)
        proxy_port = proxy.sockets[0].getsockname()[1]
        monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy_port}")
        try:
            async with HttpFetcher(timeout=5) as http:
                for _ in range(5):
                    with pytest.raises(FetchError) as raised:
                        await http.get("https://secure.example.test/feed")
                    assert "FORGED" not in str(raised.value)
        finally:
            proxy.close()
            for origin_writer in to_origin:  # the origin server waits on these to stop
                origin_writer.close()
            await asyncio.sleep(0.05)


# --------------------------------------------------------------------------- misbehaving answers


def answer(status: str, body: bytes = b"", headers: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{headers}\r\n"
    return head.encode("latin-1") + body


@pytest.mark.parametrize(
    "first",
    [
        # a body longer than its Content-Length, the rest shaped like an answer
        answer("200 OK", b"one") + answer("200 OK", b"planted"),
        # a 304 that carries a body anyway
        b'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n<rss>stale</rss>',
    ],
    ids=["past-content-length", "304-with-a-body"],
)
async def test_bytes_after_an_answer_never_answer_the_next_request(first: bytes) -> None:
    """Whatever follows the end of an answer is not kept for the next request on
    the connection: the next URL gets its own answer, on a new connection."""

    def serve_per_connection(connection: socket.socket, number: int) -> None:
        while request := read_request(connection):
            if b"GET /first " in request:
                connection.sendall(first)
            else:
                connection.sendall(answer("200 OK", f"own answer {number}".encode()))

    with raw_server(serve_per_connection) as (base, seen):
        async with HttpFetcher(timeout=5) as http:
            await http.get(base + "/first", etag='"x"')
            second = await http.get(base + "/second")
    assert second.body == b"own answer 2"
    assert seen == [1, 2]


@pytest.mark.parametrize("said", [b"408 Request Timeout", b"503 Service Unavailable"])
async def test_an_answer_sent_to_an_idle_connection_is_not_taken_for_the_next(said: bytes) -> None:
    """A server that says something unasked while the connection sits idle (it timed
    out, it is shutting down): the connection is not reused for the next request."""

    spoken = threading.Event()

    def speak_while_idle(connection: socket.socket, number: int) -> None:
        read_request(connection)
        connection.sendall(answer("200 OK", f"answer {number}".encode()))
        connection.sendall(b"HTTP/1.1 " + said + b"\r\nConnection: close\r\n\r\n")
        spoken.set()
        read_request(connection)

    with raw_server(speak_while_idle) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            await http.get(base + "/a")
            # It arrives while the connection is idle (on a busy machine the
            # server's thread may take a while to say it: wait until it has).
            # libcurl looks for such bytes only on a connection idle for a
            # second or more (a shorter wait passed only when they came in the
            # same read as the answer before; see the module's docstring).
            assert await asyncio.to_thread(spoken.wait, 5)
            await asyncio.sleep(1.1)
            second = await http.get(base + "/b")
    assert second.body == b"answer 2"


async def test_a_408_to_a_request_on_a_reused_connection_is_retried() -> None:
    def time_out_the_second(connection: socket.socket, number: int) -> None:
        read_request(connection)
        connection.sendall(answer("200 OK", f"answer {number}".encode()))
        if read_request(connection):
            connection.sendall(b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n")

    with raw_server(time_out_the_second) as (base, seen):
        async with HttpFetcher(timeout=5) as http:
            await http.get(base + "/a")
            second = await http.get(base + "/b")
    assert second.body == b"answer 2"
    assert seen == [1, 2]


async def test_an_error_page_that_trickles_still_reports_its_status() -> None:
    def slow_404(connection: socket.socket, number: int) -> None:
        read_request(connection)
        connection.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 1000\r\n\r\nno")
        time.sleep(4)

    with raw_server(slow_404) as (base, _):
        async with HttpFetcher(timeout=3) as http:
            started = time.monotonic()
            with pytest.raises(FetchError, match=r"^HTTP 404 Not Found$"):
                await http.get(base + "/missing")
    assert time.monotonic() - started < 2.5  # the unread page is given up, not waited for


async def test_a_redirect_whose_body_breaks_off_is_still_followed() -> None:
    def cut_redirect(connection: socket.socket, number: int) -> None:
        request = read_request(connection)
        if b"GET /start " in request:
            connection.sendall(
                b"HTTP/1.1 301 Moved\r\nLocation: /end\r\nContent-Length: 500\r\n\r\nx"
            )
            return  # hang up mid-body
        connection.sendall(answer("200 OK", b"arrived"))

    with raw_server(cut_redirect) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            response = await http.get(base + "/start")
    assert (response.body, response.final_url) == (b"arrived", base + "/end")


async def test_a_utf8_location_is_followed_to_the_right_address() -> None:
    paths: list[bytes] = []

    def utf8_redirect(connection: socket.socket, number: int) -> None:
        while request := read_request(connection):
            paths.append(request.split(b" ")[1])
            if request.startswith(b"GET /start "):
                location = "Location: /café\r\n".encode()
                connection.sendall(
                    b"HTTP/1.1 302 Found\r\n" + location + b"Content-Length: 0\r\n\r\n"
                )
            else:
                connection.sendall(answer("200 OK", b"ok"))

    with raw_server(utf8_redirect) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            response = await http.get(base + "/start")
    assert response.final_url == base + "/café"
    assert paths == [b"/start", b"/caf%C3%A9"]


async def test_validators_go_back_byte_for_byte() -> None:
    sent: list[bytes] = []

    def latin1_etag(connection: socket.socket, number: int) -> None:
        while request := read_request(connection):
            sent.append(request)
            connection.sendall(answer("200 OK", b"<rss/>", 'ETag: "caf\xe9"\r\n'))

    with raw_server(latin1_etag) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            first = await http.get(base + "/feed")
            assert first.etag is not None
            await http.get(base + "/feed", etag=first.etag)
    assert b'If-None-Match: "caf\xe9"\r\n' in sent[1]


async def test_a_reason_phrase_is_cut_short(server: TestServer) -> None:
    def long_reason(connection: socket.socket, number: int) -> None:
        read_request(connection)
        connection.sendall(f"HTTP/1.1 503 {'Visit evil.example now ' * 500}\r\n".encode())
        connection.sendall(b"Content-Length: 0\r\n\r\n")

    with raw_server(long_reason) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            with pytest.raises(FetchError) as raised:
                await http.get(base + "/feed")
    assert str(raised.value).startswith("HTTP 503 Visit evil.example now")
    assert len(str(raised.value)) <= len("HTTP 503 ") + 80


@pytest.mark.parametrize(
    ("encoding", "pieces", "expected"),
    [
        ("gzip", [b""], b""),  # an empty body labelled gzip
        ("deflate", [zlib.compress(b"hello " * 50)[:1], zlib.compress(b"hello " * 50)[1:]],
         b"hello " * 50),  # the zlib header split across two reads
    ],
    ids=["empty-gzip", "deflate-header-split"],
)  # fmt: skip
async def test_compressed_bodies_at_their_edges(
    encoding: str, pieces: list[bytes], expected: bytes
) -> None:
    def send_in_pieces(connection: socket.socket, number: int) -> None:
        read_request(connection)
        length = sum(len(piece) for piece in pieces)
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Encoding: {encoding}\r\nContent-Length: {length}\r\n\r\n"
        )
        connection.sendall(head.encode())
        for piece in pieces:
            time.sleep(0.05)
            connection.sendall(piece)

    with raw_server(send_in_pieces) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            assert (await http.get(base + "/feed")).body == expected


async def test_a_host_label_too_long_is_a_bad_host_name() -> None:
    url = f"http://{'a' * 70}.example/feed"
    async with HttpFetcher(timeout=5) as http:
        with pytest.raises(FetchError, match=r"^bad host name in URL: "):
            await http.get(url)


@pytest.mark.parametrize(
    ("proxy", "shown"),
    [
        ("ftp://alice:s3cret@proxy.example:3128", "ftp://proxy.example:3128"),
        ("https://alice:s3cret@proxy.example:3128", "proxy host proxy.example"),
    ],
)
async def test_proxy_credentials_never_appear_in_messages(
    monkeypatch: pytest.MonkeyPatch, proxy: str, shown: str
) -> None:
    monkeypatch.setenv("https_proxy", proxy)
    async with HttpFetcher(timeout=5) as http:
        with pytest.raises(FetchError) as raised:
            await http.get("https://feeds.example.test/feed")
    assert "s3cret" not in str(raised.value) and "alice" not in str(raised.value)
    assert shown in str(raised.value)


# --------------------------------------------------------------------------- several addresses


@pytest.fixture
async def two_addresses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every name resolves to 127.0.0.2, then 127.0.0.1 (like a host with IPv6 and IPv4)."""
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo
    order = ["127.0.0.2", "127.0.0.1"]

    async def getaddrinfo(host: Any, port: Any, **options: Any) -> Any:
        found = []
        for address in order:
            found += await real(address, port, **options)
        return found

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    return order


async def test_an_address_that_refuses_gives_way_to_the_next(
    two_addresses: list[str],
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def accept_one() -> None:
            connection, _ = listener.accept()
            with connection:
                read_request(connection)
                connection.sendall(answer("200 OK", b"via 127.0.0.1"))

        thread = threading.Thread(target=accept_one, daemon=True)
        thread.start()
        async with HttpFetcher(timeout=5) as http:
            response = await http.get(f"http://feeds.example.test:{port}/feed")
        thread.join(2)
    assert response.body == b"via 127.0.0.1"


@contextmanager
def never_answering(address: str, port: int) -> Iterator[set[int]]:
    """A listener on ``address`` whose accept queue is full: the kernel drops every
    further SYN, so a connect to it hangs (as to a host that is down). Yields the
    local ports of the sockets that fill it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers = []
    try:
        listener.bind((address, port))
        listener.listen(0)
        for _ in range(3):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect((address, port))
            fillers.append(filler)
        time.sleep(0.1)
        yield {filler.getsockname()[1] for filler in fillers}
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def connecting_sockets(address: str, port: int) -> list[int]:
    """Local ports of this machine's TCP sockets still connecting (SYN_SENT) to address:port."""
    wanted = f"{socket.inet_aton(address)[::-1].hex().upper()}:{port:04X}"
    ports = []
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if fields[2] == wanted and fields[3] == "02":  # 02: SYN_SENT
                ports.append(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc/net/tcp")
async def test_an_address_that_never_answers_is_overtaken_and_closed(
    two_addresses: list[str], server: TestServer
) -> None:
    """The first address hangs; after libcurl's happy-eyeballs delay (200 ms) the
    second is tried and wins, and the hanging attempt is closed, not left connecting."""
    url = server.route("/feed", Reply(200, b"<rss/>")).replace("127.0.0.1", "feeds.example.test")
    with never_answering("127.0.0.2", server.port) as fillers:
        started = time.monotonic()
        async with HttpFetcher(timeout=5) as http:
            assert (await http.get(url)).body == b"<rss/>"
            took = time.monotonic() - started
            ours = set(connecting_sockets("127.0.0.2", server.port)) - fillers
    assert 0.15 <= took < 2
    assert ours == set()


async def test_a_redirect_to_a_malformed_address_is_a_fetch_error() -> None:
    def bad_location(connection: socket.socket, number: int) -> None:
        read_request(connection)
        connection.sendall(
            b"HTTP/1.1 302 Found\r\nLocation: http://[::1/\r\nContent-Length: 0\r\n\r\n"
        )

    with raw_server(bad_location) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            with pytest.raises(FetchError, match=r"^bad redirect Location: http://\[::1/$"):
                await http.get(base + "/feed")


async def test_a_body_of_tiny_chunks_is_held_in_little_memory() -> None:
    """2-byte chunks: kept as one buffer, not as tens of thousands of small objects."""
    import tracemalloc

    pieces = 40_000

    def tiny_chunks(connection: socket.socket, number: int) -> None:
        read_request(connection)
        connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        connection.sendall(b"2\r\nab\r\n" * pieces + b"0\r\n\r\n")

    with raw_server(tiny_chunks) as (base, _):
        async with HttpFetcher(timeout=20) as http:
            tracemalloc.start()
            try:
                response = await http.get(base + "/feed")
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert response.body == b"ab" * pieces
    assert peak < 1_000_000  # a list of the pieces alone would be about 2 MB


async def test_closing_does_not_wait_long_for_a_tls_peer_that_never_says_goodbye(
    authority: trustme.CA, trusted: None
) -> None:
    """The server answers, then holds the connection and ignores our close_notify:
    closing does not wait for it, and the socket is closed (the server sees the end)."""
    import warnings

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    ended = threading.Event()

    def answer_then_ignore(connection: socket.socket, number: int) -> None:
        secure = context.wrap_socket(connection, server_side=True)
        read_request(secure)
        secure.sendall(answer("200 OK", b"<rss/>"))
        secure.settimeout(4)
        with secure, contextlib.suppress(OSError):
            while secure.recv(4096):  # close_notify, then the end of the stream
                pass
        ended.set()

    with raw_server(answer_then_ignore) as (base, _):
        url = base.replace("http://", "https://") + "/feed"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            http = HttpFetcher(timeout=5)
            assert (await http.get(url)).body == b"<rss/>"
            assert not ended.is_set()  # kept alive for the next request
            started = time.monotonic()
            await http.aclose()
            took = time.monotonic() - started
            assert ended.wait(1.5)
    assert took < 0.5
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


# --------------------------------------------------------------------------- issue 12: review findings


async def test_an_answer_with_both_content_length_and_transfer_encoding_is_refused() -> None:
    """Two framings of one answer: refused, and its connection is not reused (behind
    a proxy one connection serves every origin, so a confused end crosses sites)."""

    def both_framings(connection: socket.socket, number: int) -> None:
        while request := read_request(connection):
            if b"GET /both " in request:
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"5\r\nhello\r\n0\r\n\r\n"
                )
            else:
                connection.sendall(answer("200 OK", f"answer {number}".encode()))

    with raw_server(both_framings) as (base, seen):
        async with HttpFetcher(timeout=5) as http:
            with pytest.raises(FetchError) as raised:
                await http.get(base + "/both")
            after = await http.get(base + "/after")
    assert str(raised.value) == (
        "bad HTTP answer from 127.0.0.1: both Content-Length and Transfer-Encoding"
        " (refused: where it ends is ambiguous)"
    )
    assert after.body == b"answer 2"
    assert seen == [1, 2]


async def test_a_redirect_from_https_down_to_http_is_refused(
    authority: trustme.CA, trusted: None, server: TestServer
) -> None:
    plain = server.route("/feed", Reply(200, b"<rss>in the clear</rss>"))
    with tls_server(authority, "127.0.0.1") as secure:
        url = secure.route("/feed", Reply(301, b"", {"Location": plain}))
        async with HttpFetcher(timeout=5) as http:
            with pytest.raises(FetchError) as raised:
                await http.get(url)
    assert str(raised.value) == f"refused a redirect from https to http: {plain}"
    assert server.requests == []


def redirect_to(location: bytes) -> Any:
    """A raw server that redirects /start to ``location`` (bytes as sent) and answers
    every other path with 'ok'; it records the request lines."""
    lines: list[bytes] = []

    def handle(connection: socket.socket, number: int) -> None:
        while request := read_request(connection):
            lines.append(request.split(b"\r\n", 1)[0])
            if request.startswith(b"GET /start "):
                connection.sendall(
                    b"HTTP/1.1 302 Found\r\nLocation: "
                    + location
                    + b"\r\nContent-Length: 0\r\n\r\n"
                )
            else:
                connection.sendall(answer("200 OK", b"ok"))

    return handle, lines


HOSTILE = "\x1b[2J\x1b]0;owned\x07\u202eevil\u2066\x9b31m\x85"


def assert_clean(message: str) -> None:
    import unicodedata

    assert message.isprintable(), repr(message)
    assert not [ch for ch in message if unicodedata.category(ch) in ("Cc", "Cf")], repr(message)


async def test_control_and_bidi_characters_of_a_location_never_reach_a_message() -> None:
    handle, _ = redirect_to(("gopher://evil.example/" + HOSTILE).encode())
    with raw_server(handle) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            with pytest.raises(FetchError) as raised:
                await http.get(base + "/start")
    message = str(raised.value)
    assert message.startswith("refused a redirect to gopher://evil.example/")
    assert message.endswith("(only http and https are followed)")
    assert "owned" in message and "evil" in message  # the text stays, made harmless
    assert_clean(message)


async def test_a_location_with_control_characters_is_followed_with_them_escaped() -> None:
    handle, lines = redirect_to(("/next" + HOSTILE).encode())
    with raw_server(handle) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            response = await http.get(base + "/start")
    assert response.body == b"ok"
    assert_clean(response.final_url)
    escaped = "/next%1B[2J%1B]0;owned%07%E2%80%AEevil%E2%81%A6%C2%9B31m%C2%85"
    assert response.final_url == base + escaped
    assert lines[1] == b"GET " + escaped.encode() + b" HTTP/1.1"


async def test_control_characters_of_a_reason_phrase_never_reach_a_message() -> None:
    def hostile_reason(connection: socket.socket, number: int) -> None:
        read_request(connection)
        connection.sendall(
            b"HTTP/1.1 503 Busy " + HOSTILE.encode() + b"\r\nContent-Length: 0\r\n\r\n"
        )

    with raw_server(hostile_reason) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            with pytest.raises(FetchError) as raised:
                await http.get(base + "/feed")
    assert str(raised.value).startswith("HTTP 503 Busy ")
    assert_clean(str(raised.value))


async def test_credentials_in_a_url_are_sent_but_never_shown(server: TestServer) -> None:
    """user:password in a feed URL: sent as Basic to that origin (as curl does), never
    shown in a message or kept in final_url, and not sent to another origin."""
    with serve() as other:
        server.route("/private", Reply(200, b"<rss/>"))
        server.route("/missing", Reply(404, b"no"))
        server.route("/away", Reply(302, b"", {"Location": other.url("/feed")}))
        other.route("/feed", Reply(200, b"<rss>elsewhere</rss>"))
        secret = f"http://reader:s3cr%40t@127.0.0.1:{server.port}"
        async with HttpFetcher(timeout=5) as http:
            response = await http.get(secret + "/private")
            with pytest.raises(FetchError) as missing:
                await http.get(secret + "/missing")
            moved = await http.get(secret + "/away")
            with pytest.raises(FetchError) as unknown:
                await http.get("http://reader:s3cr%40t@no-such-host.invalid/feed")
            with pytest.raises(FetchError) as refused:
                await http.get("ftp://reader:s3cr%40t@127.0.0.1/feed")
    expected = "Basic " + base64.b64encode(b"reader:s3cr@t").decode()
    assert server.requests_for("/private")[0].headers["authorization"] == expected
    assert response.final_url == server.url("/private")
    assert moved.body == b"<rss>elsewhere</rss>"
    assert "authorization" not in other.requests_for("/feed")[0].headers
    assert str(missing.value) == "HTTP 404 Not Found"
    assert str(unknown.value) == "DNS lookup failed for host no-such-host.invalid"
    assert str(refused.value) == "not an http(s) URL: ftp://127.0.0.1/feed"
    for text in (str(missing.value), str(unknown.value), str(refused.value), moved.final_url):
        assert "s3cr" not in text and "reader" not in text


async def test_validators_go_to_the_feeds_own_host_only(server: TestServer) -> None:
    with serve() as other:
        server.route("/old", Reply(301, b"", {"Location": "/new"}))
        server.route("/new", Reply(304, b"", {"ETag": '"v1"'}))
        server.route("/gone", Reply(301, b"", {"Location": other.url("/feed")}))
        other.route("/feed", Reply(200, b"<rss/>"))
        async with HttpFetcher(timeout=5) as http:
            same = await http.get(server.url("/old"), etag='"v1"', last_modified="yesterday")
            moved = await http.get(server.url("/gone"), etag='"v1"', last_modified="yesterday")
    assert same.not_modified
    assert server.requests_for("/new")[0].headers["if-none-match"] == '"v1"'
    assert moved.body == b"<rss/>"
    (request,) = other.requests_for("/feed")
    assert "if-none-match" not in request.headers
    assert "if-modified-since" not in request.headers


# --------------------------------------------------------------------------- issue 15, item 9


@contextmanager
def silent_proxy() -> Iterator[int]:
    """A proxy that accepts connections, reads what it is sent, and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def run() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for connection in held:
            connection.close()
        listener.close()


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_a_proxy_that_never_answers_is_named_in_the_timeout(
    monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    with silent_proxy() as port:
        monkeypatch.setenv(f"{scheme}_proxy", f"http://127.0.0.1:{port}")
        async with HttpFetcher(timeout=1) as http:
            started = time.monotonic()
            with pytest.raises(FetchError) as raised:
                await http.get(f"{scheme}://feeds.example.test/feed")
    assert str(raised.value) == (
        f"timed out after 1 s waiting for proxy 127.0.0.1:{port} to answer"
    )
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
async def test_certificate_variables_that_name_nothing_are_reported(
    authority: trustme.CA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    variable: str,
) -> None:
    """The user pointed SSL_CERT_FILE (or SSL_CERT_DIR) at their own certificates, but
    nothing is there: it is said once, and a certificate refused then says it too."""
    nowhere = tmp_path / "moved-away" / ("ca.pem" if variable == "SSL_CERT_FILE" else "certs")
    monkeypatch.setenv(variable, str(nowhere))
    with tls_server(authority, "127.0.0.1") as secure:
        url = secure.route("/feed", Reply(200, b"<rss/>"))
        with caplog.at_level("WARNING", logger="briefing.core.httpclient"):
            async with HttpFetcher(timeout=5) as http:
                for _ in range(2):
                    with pytest.raises(FetchError) as raised:
                        await http.get(url)
    kind = "file" if variable == "SSL_CERT_FILE" else "directory"
    note = f"{variable} names {nowhere}, which does not exist"
    assert str(raised.value) == (
        "TLS certificate not accepted for 127.0.0.1: unable to get local issuer certificate"
        f" ({note})"
    )
    assert [r.getMessage() for r in caplog.records] == [
        f"{note}: trusting the other certificates only"
    ]
    assert kind in ("file", "directory")


async def test_an_answer_cut_by_a_close_without_tls_close_notify_is_refused(
    authority: trustme.CA, trusted: None
) -> None:
    """A body that runs until the connection closes, over TLS closed without
    close_notify: it may be cut short, and libcurl (curl too) refuses it."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)

    def until_close(connection: socket.socket, number: int) -> None:
        with context.wrap_socket(connection, server_side=True) as secure:
            read_request(secure)
            secure.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n<rss>maybe cut")
        # closed without unwrap(): no close_notify

    with raw_server(until_close) as (base, _):
        async with HttpFetcher(timeout=5) as http:
            with pytest.raises(FetchError) as raised:
                await http.get(base.replace("http://", "https://") + "/feed")
    assert str(raised.value) == (
        "127.0.0.1 closed the connection without ending TLS, so the answer may be cut short"
    )
