"""fetch_feeds and HttpFetcher against a real HTTP server on 127.0.0.1 (no internet)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import os
import socket
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import pytest
from _fetch_helpers import Recorded, Reply, TestServer, rss_feed, sample_items, serve

from briefing import __version__
from briefing.core import fetch
from briefing.core.fetch import FetchOutcome, fetch_feeds
from briefing.core.httpclient import FetchError, HttpFetcher
from briefing.core.models import FeedConfig, FeedState, ParsedFeed, Settings
from briefing.core.workers import WorkerPool

RSS_HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}
SETTINGS = Settings(timeout=5, concurrency=8)
# No test here asks a DNS server (see the fixture in conftest).
pytestmark = pytest.mark.usefixtures("name_lookups")


@pytest.fixture
def server() -> Any:
    with serve() as running:
        yield running


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every body handed to the parser process pool, by URL."""
    calls: list[str] = []
    original = fetch._ParsePool.parse

    async def counting(
        self: Any, body: bytes, content_type: str | None, url: str, *rest: Any, **options: Any
    ) -> tuple[ParsedFeed, Any]:
        calls.append(url)
        return await original(self, body, content_type, url, *rest, **options)

    monkeypatch.setattr(fetch._ParsePool, "parse", counting)
    return calls


async def collect(
    feeds: list[FeedConfig],
    states: dict[str, FeedState] | None = None,
    settings: Settings = SETTINGS,
    base_dir: Path | None = None,
) -> dict[str, FetchOutcome]:
    outcomes: dict[str, FetchOutcome] = {}
    async for outcome in fetch_feeds(feeds, states or {}, settings, base_dir=base_dir):
        assert outcome.feed.name not in outcomes
        outcomes[outcome.feed.name] = outcome
    assert set(outcomes) == {feed.name for feed in feeds}
    return outcomes


async def fetch_one(
    url: str,
    state: FeedState | None = None,
    settings: Settings = SETTINGS,
    base_dir: Path | None = None,
) -> FetchOutcome:
    feed = FeedConfig(name="one", url=url)
    outcomes = await collect([feed], {"one": state} if state else {}, settings, base_dir)
    return outcomes["one"]


def _entry_count_and_pid(parsed: ParsedFeed, prefix: str) -> tuple[str, int]:
    return f"{prefix}{len(parsed.entries)}", os.getpid()


def _stall_on_slow_feeds(parsed: ParsedFeed, seconds: float) -> str:
    """An ``analyse`` that makes the feed titled 'Slow' take ``seconds`` in the worker."""
    if parsed.title == "Slow":
        time.sleep(seconds)
    return parsed.title


def feed_reply(items: int = 3, **headers: str) -> Reply:
    return Reply(200, rss_feed(sample_items(items)), {**RSS_HEADERS, **headers})


# --------------------------------------------------------------------------- conditional GET


async def test_200_then_304_sends_validators_and_skips_parsing(
    server: TestServer, parse_calls: list[str]
) -> None:
    etag = '"v1-abc"'
    modified = "Fri, 16 Jan 2026 10:00:00 GMT"

    def conditional(request: Recorded) -> Reply:
        if request.headers.get("if-none-match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return feed_reply(3, ETag=etag, **{"Last-Modified": modified})

    url = server.route("/feed.xml", conditional)
    first = await fetch_one(url)
    assert first.error is None
    assert first.parsed is not None and len(first.parsed.entries) == 3
    assert first.state.etag == etag
    assert first.state.last_modified == modified
    assert first.state.last_attempt is not None
    assert parse_calls == [url]

    second = await fetch_one(url, first.state)
    assert second.error is None
    assert second.not_modified
    assert second.parsed is None
    assert second.state.etag == etag and second.state.last_modified == modified
    assert parse_calls == [url]  # nothing parsed the second time

    first_request, second_request = server.requests_for("/feed.xml")
    assert "if-none-match" not in first_request.headers
    assert second_request.headers["if-none-match"] == etag
    assert second_request.headers["if-modified-since"] == modified


async def test_warm_run_never_starts_the_parser_pool(
    server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server.route("/same.xml", Reply(304, b"", {"ETag": '"x"'}))
    started: list[bool] = []
    original = WorkerPool._start

    def watching(self: WorkerPool) -> Any:
        started.append(True)
        return original(self)

    monkeypatch.setattr(WorkerPool, "_start", watching)
    states = {f"f{n}": FeedState(f"f{n}", url, etag='"x"') for n in range(5)}
    feeds = [FeedConfig(f"f{n}", url) for n in range(5)]
    outcomes = await collect(feeds, states)
    assert all(o.not_modified for o in outcomes.values())
    assert started == []


async def test_validators_of_another_url_are_not_sent(server: TestServer) -> None:
    url = server.route("/moved.xml", feed_reply())
    old = FeedState("one", "https://old.example.org/feed", etag='"old"', last_modified="x")
    outcome = await fetch_one(url, old)
    assert outcome.error is None and outcome.parsed is not None
    (request,) = server.requests_for("/moved.xml")
    assert "if-none-match" not in request.headers
    assert "if-modified-since" not in request.headers


async def test_sends_a_real_user_agent(server: TestServer) -> None:
    url = server.route("/ua.xml", feed_reply())
    await fetch_one(url)
    (request,) = server.requests_for("/ua.xml")
    assert request.headers["user-agent"] == (
        f"briefing/{__version__} (+https://github.com/briefing-reader/briefing)"
    )
    assert "gzip" in request.headers["accept-encoding"]
    assert "application/rss+xml" in request.headers["accept"]


# --------------------------------------------------------------------------- redirects


async def test_redirects_are_followed(server: TestServer) -> None:
    server.route("/old", Reply(301, b"", {"Location": "/older"}))
    server.route("/older", Reply(302, b"", {"Location": server.url("/feed.xml")}))
    server.route("/feed.xml", feed_reply(2))
    outcome = await fetch_one(server.url("/old"))
    assert outcome.error is None
    assert outcome.parsed is not None and len(outcome.parsed.entries) == 2


async def test_redirect_loop_ends_with_a_clear_error(server: TestServer) -> None:
    server.route("/a", Reply(302, b"", {"Location": "/b"}))
    server.route("/b", Reply(302, b"", {"Location": "/a"}))
    outcome = await fetch_one(server.url("/a"))
    assert outcome.error == f"too many redirects (loop back to {server.url('/a')})"
    assert len(server.requests) == 2


async def test_too_many_redirects(server: TestServer) -> None:
    for n in range(10):
        server.route(f"/hop{n}", Reply(307, b"", {"Location": f"/hop{n + 1}"}))
    settings = Settings(timeout=5, max_redirects=3)
    outcome = await fetch_one(server.url("/hop0"), settings=settings)
    assert outcome.error == "too many redirects (more than 3)"
    assert len(server.requests) == 4


async def test_redirect_to_a_non_web_scheme_is_refused(server: TestServer) -> None:
    server.route("/sneaky", Reply(302, b"", {"Location": "file:///etc/passwd"}))
    outcome = await fetch_one(server.url("/sneaky"))
    assert (
        outcome.error
        == "refused a redirect to file:///etc/passwd (only http and https are followed)"
    )


# --------------------------------------------------------------------------- HTTP errors


@pytest.mark.parametrize(
    ("status", "reason"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error")]
)
async def test_http_error_status(server: TestServer, status: int, reason: str) -> None:
    url = server.route("/broken", Reply(status, b"<html>oops</html>", {"ETag": '"e"'}))
    outcome = await fetch_one(url, FeedState("one", url, etag='"kept"'))
    assert outcome.error == reason
    assert outcome.parsed is None and not outcome.not_modified
    assert outcome.state.etag == '"kept"'  # an error does not replace the validators


async def test_total_deadline_cuts_off_a_trickling_server(server: TestServer) -> None:
    body = rss_feed(sample_items(1))
    trickle = [(0.2, body[i : i + 1]) for i in range(len(body))]  # would take minutes
    url = server.route("/slow", Reply(200, trickle, RSS_HEADERS))
    started = time.monotonic()
    outcome = await fetch_one(url, settings=Settings(timeout=1))
    elapsed = time.monotonic() - started
    assert outcome.error == "timed out after 1 s"
    assert elapsed < 2.5
    assert 0.9 < outcome.elapsed < 2.5


async def test_dns_failure(parse_calls: list[str], name_lookups: list[str]) -> None:
    outcome = await fetch_one("http://no-such-host.invalid/feed.xml")
    assert outcome.error == "DNS lookup failed for host no-such-host.invalid"
    assert name_lookups == ["no-such-host.invalid"]  # asked through the real resolver call
    assert parse_calls == []


async def test_connection_refused() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    outcome = await fetch_one(f"http://127.0.0.1:{port}/feed")
    assert outcome.error == f"connection refused by 127.0.0.1:{port}"


async def test_unsupported_scheme() -> None:
    outcome = await fetch_one("ftp://example.org/feed.xml")
    assert outcome.error == "unsupported URL scheme 'ftp': ftp://example.org/feed.xml"


# --------------------------------------------------------------------------- bodies


async def test_html_page_is_not_a_feed(server: TestServer) -> None:
    page = b"<!DOCTYPE html><html><head><title>Home</title></head><body>Hi</body></html>"
    url = server.route("/page", Reply(200, page, {"Content-Type": "text/html", "ETag": '"p"'}))
    outcome = await fetch_one(url)
    assert outcome.error == "not a feed (HTML page)"
    assert outcome.state.etag is None  # no validators kept for a page that failed


async def test_malformed_feed_with_entries_is_accepted_with_a_warning(server: TestServer) -> None:
    good = rss_feed(sample_items(3)).decode()
    broken = good.replace("</channel>", "<item><title>cut & <<off</titl\n</channel>")
    url = server.route("/bozo", Reply(200, broken.encode(), RSS_HEADERS))
    outcome = await fetch_one(url)
    assert outcome.error is None
    assert outcome.parsed is not None and len(outcome.parsed.entries) >= 3
    assert outcome.parsed.warning is not None
    assert outcome.parsed.warning.startswith("parsed with errors: ")


async def test_garbage_xml_is_refused(server: TestServer) -> None:
    url = server.route("/garbage", Reply(200, b"<?xml version='1.0'?>\n<rss><chan", RSS_HEADERS))
    outcome = await fetch_one(url)
    assert outcome.error is not None and outcome.error.startswith("malformed XML: line ")


async def test_oversized_body_with_content_length(server: TestServer) -> None:
    url = server.route("/big", Reply(200, b"<rss>" + b" " * 5000 + b"</rss>", RSS_HEADERS))
    outcome = await fetch_one(url, settings=Settings(timeout=5, max_bytes=2048))
    assert outcome.error == "too large (over 2 KB)"


async def test_oversized_body_without_length_is_cut_while_streaming(server: TestServer) -> None:
    endless = [(0, b"<item>" + b"x" * 1000 + b"</item>")] * 3000  # 3 MB, no Content-Length
    url = server.route("/stream", Reply(200, endless, RSS_HEADERS))
    outcome = await fetch_one(url, settings=Settings(timeout=5, max_bytes=64 * 1024))
    assert outcome.error == "too large (over 64 KB)"
    assert outcome.elapsed < 3


async def test_gzip_feed_is_decoded(server: TestServer) -> None:
    body = gzip.compress(rss_feed(sample_items(4)))
    url = server.route("/gz", Reply(200, body, {**RSS_HEADERS, "Content-Encoding": "gzip"}))
    outcome = await fetch_one(url)
    assert outcome.error is None
    assert outcome.parsed is not None and len(outcome.parsed.entries) == 4


async def test_deflate_feed_is_decoded_raw_or_wrapped(server: TestServer) -> None:
    document = rss_feed(sample_items(2))
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    variants = {"/wrapped": zlib.compress(document), "/raw": raw.compress(document) + raw.flush()}
    for path, body in variants.items():
        server.route(path, Reply(200, body, {**RSS_HEADERS, "Content-Encoding": "deflate"}))
        outcome = await fetch_one(server.url(path))
        assert outcome.error is None, path
        assert outcome.parsed is not None and len(outcome.parsed.entries) == 2


async def test_gzip_bomb_is_stopped_at_the_cap_in_little_memory(server: TestServer) -> None:
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)  # 200 MB in ~200 KB
    assert len(bomb) < 400 * 1024
    url = server.route("/bomb", Reply(200, bomb, {**RSS_HEADERS, "Content-Encoding": "gzip"}))
    async with HttpFetcher(timeout=10, max_bytes=1024 * 1024) as http:
        tracemalloc.start()
        try:
            with pytest.raises(FetchError, match=r"^too large \(over 1 MB\)$"):
                await http.get(url)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * 1024 * 1024  # never inflates far past the 1 MB cap


async def test_gzip_bomb_through_fetch_feeds(server: TestServer) -> None:
    bomb = gzip.compress(b"<rss>" + b" " * (50 * 1024 * 1024))
    url = server.route("/bomb", Reply(200, bomb, {**RSS_HEADERS, "Content-Encoding": "gzip"}))
    outcome = await fetch_one(url)  # default cap: 10 MB
    assert outcome.error == "too large (over 10 MB)"


async def test_unknown_content_encoding_is_an_error(server: TestServer) -> None:
    url = server.route("/z", Reply(200, b"xx", {**RSS_HEADERS, "Content-Encoding": "compress"}))
    outcome = await fetch_one(url)
    assert outcome.error == "unsupported Content-Encoding: compress"


async def test_external_entity_in_a_served_feed_is_not_resolved(
    server: TestServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN-4711")
    prolog = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
    body = rss_feed(
        [{"title": "x &xxe; y", "guid": "urn:x", "description": "&xxe;"}], prolog=prolog
    )
    url = server.route("/xxe", Reply(200, body, RSS_HEADERS))
    outcome = await fetch_one(url)
    assert "TOP-SECRET" not in repr(outcome)


async def test_control_characters_are_stripped_from_titles(server: TestServer) -> None:
    items = [{"title": "&#x1b;[2J&#x1b;[31mWiped&#x7; screen\u202e", "guid": "urn:c"}]
    url = server.route(
        "/ctl", Reply(200, rss_feed(items, title="Bad&#x1b;]0;pwned&#x7;"), RSS_HEADERS)
    )
    outcome = await fetch_one(url)
    assert outcome.parsed is not None
    assert outcome.parsed.entries[0].title == "Wiped screen"
    assert outcome.parsed.title == "Bad"


# --------------------------------------------------------------------------- local files


async def test_local_paths_and_file_urls(tmp_path: Path, parse_calls: list[str]) -> None:
    feed_file = tmp_path / "feeds" / "local.xml"
    feed_file.parent.mkdir()
    feed_file.write_bytes(rss_feed(sample_items(2)))
    feeds = [
        FeedConfig("absolute", str(feed_file)),
        FeedConfig("relative", "feeds/local.xml"),
        FeedConfig("file-url", feed_file.as_uri()),
        FeedConfig("missing", str(tmp_path / "nope.xml")),
        FeedConfig("directory", str(tmp_path / "feeds")),
    ]
    outcomes = await collect(feeds, base_dir=tmp_path)
    for name in ("absolute", "relative", "file-url"):
        parsed = outcomes[name].parsed
        assert outcomes[name].error is None, name
        assert parsed is not None and len(parsed.entries) == 2
    assert outcomes["missing"].error == f"file not found: {tmp_path / 'nope.xml'}"
    assert outcomes["directory"].error == f"not a file: {tmp_path / 'feeds'} (a directory)"
    assert len(parse_calls) == 3

    # Unchanged file: its mtime and size act as a validator, so no parsing.
    states = {name: outcome.state for name, outcome in outcomes.items()}
    again = await collect(feeds[:3], states, base_dir=tmp_path)
    assert all(outcome.not_modified for outcome in again.values())
    assert len(parse_calls) == 3

    feed_file.write_bytes(rss_feed(sample_items(5)))
    changed = await fetch_one(str(feed_file), outcomes["absolute"].state)
    assert changed.parsed is not None and len(changed.parsed.entries) == 5


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
async def test_a_named_pipe_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "feed.xml"
    os.mkfifo(fifo)
    try:
        started = time.monotonic()
        outcome = await asyncio.wait_for(fetch_one(str(fifo), settings=Settings(timeout=3)), 6)
        assert outcome.error == f"not a file: {fifo} (a named pipe)"
        assert time.monotonic() - started < 1.5
    finally:
        # Before the fix a reader sat blocked in open(); a writer coming and
        # going lets it go, so a failing run ends instead of hanging.
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


async def test_a_local_read_is_held_to_the_feed_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_file = tmp_path / "slow.xml"
    feed_file.write_bytes(rss_feed(sample_items(1)))
    original = fetch._read_file_sync

    def stuck(*args: Any) -> Any:
        time.sleep(2)  # a hung network file system, say
        return original(*args)

    monkeypatch.setattr(fetch, "_read_file_sync", stuck)
    started = time.monotonic()
    outcome = await fetch_one(str(feed_file), settings=Settings(timeout=0.5))
    assert outcome.error == f"timed out after 0.5 s reading {feed_file}"
    assert time.monotonic() - started < 1.5


async def test_local_file_over_the_cap(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(b"<rss>" + b" " * 4096 + b"</rss>")
    outcome = await fetch_one(str(big), settings=Settings(max_bytes=1024))
    assert outcome.error == "too large (over 1 KB)"


# --------------------------------------------------------------------------- many feeds


async def test_one_failing_feed_does_not_affect_the_others(server: TestServer) -> None:
    for n in range(4):
        server.route(f"/good{n}.xml", feed_reply(n + 1))
    server.route("/missing.xml", Reply(404, b"gone"))
    server.route(
        "/page.html", Reply(200, b"<html><body>hi</body></html>", {"Content-Type": "text/html"})
    )
    feeds = [FeedConfig(f"good{n}", server.url(f"/good{n}.xml")) for n in range(4)]
    feeds += [
        FeedConfig("missing", server.url("/missing.xml")),
        FeedConfig("page", server.url("/page.html")),
        FeedConfig("dns", "http://nothing-here.invalid/rss"),
    ]
    outcomes = await collect(feeds)
    for n in range(4):
        good = outcomes[f"good{n}"]
        assert good.error is None
        assert good.parsed is not None and len(good.parsed.entries) == n + 1
    assert outcomes["missing"].error == "HTTP 404 Not Found"
    assert outcomes["page"].error == "not a feed (HTML page)"
    assert outcomes["dns"].error == "DNS lookup failed for host nothing-here.invalid"


async def test_analyse_runs_in_the_parse_worker(server: TestServer) -> None:
    url = server.route("/a.xml", feed_reply(3))
    feed = FeedConfig("a", url)
    analyse = functools.partial(_entry_count_and_pid, prefix="n=")
    (outcome,) = [o async for o in fetch_feeds([feed], {}, SETTINGS, analyse=analyse)]
    assert outcome.error is None
    label, worker_pid = outcome.analysis
    assert label == "n=3"
    assert worker_pid != os.getpid()  # computed in the worker process, not here


async def test_a_parse_past_the_feed_deadline_is_stopped(server: TestServer) -> None:
    server.route("/slow.xml", Reply(200, rss_feed(sample_items(1), title="Slow"), RSS_HEADERS))
    for n in range(4):
        server.route(f"/good{n}.xml", feed_reply(2))
    feeds = [FeedConfig("slow", server.url("/slow.xml"))]
    feeds += [FeedConfig(f"good{n}", server.url(f"/good{n}.xml")) for n in range(4)]
    analyse = functools.partial(_stall_on_slow_feeds, seconds=60)
    started = time.monotonic()
    outcomes: dict[str, FetchOutcome] = {}
    async for outcome in fetch_feeds(feeds, {}, Settings(timeout=2), analyse=analyse):
        outcomes[outcome.feed.name] = outcome
    assert time.monotonic() - started < 10  # not the 60 s the stuck parse would take
    assert outcomes["slow"].error == "took too long to parse (over the 2 s feed deadline)"
    assert outcomes["slow"].elapsed < 4
    for n in range(4):  # the others are parsed, on a fresh worker if need be
        good = outcomes[f"good{n}"]
        assert good.error is None, good.error
        assert good.parsed is not None and len(good.parsed.entries) == 2


async def test_outcomes_are_yielded_as_soon_as_each_feed_is_done(server: TestServer) -> None:
    body = rss_feed(sample_items(1))
    server.route("/slow.xml", Reply(200, [(1.0, body)], RSS_HEADERS))
    server.route("/fast.xml", Reply(200, body, RSS_HEADERS))
    feeds = [
        FeedConfig("slow", server.url("/slow.xml")),
        FeedConfig("fast", server.url("/fast.xml")),
    ]
    order = [outcome.feed.name async for outcome in fetch_feeds(feeds, {}, SETTINGS)]
    assert order == ["fast", "slow"]


async def test_closing_early_cancels_the_rest(server: TestServer) -> None:
    body = rss_feed(sample_items(1))
    server.route("/fast.xml", Reply(200, body, RSS_HEADERS))
    server.route("/slow.xml", Reply(200, [(3.0, body)], RSS_HEADERS))
    feeds = [
        FeedConfig("fast", server.url("/fast.xml")),
        FeedConfig("slow", server.url("/slow.xml")),
    ]
    started = time.monotonic()
    async with contextlib.aclosing(fetch_feeds(feeds, {}, SETTINGS)) as outcomes:
        async for outcome in outcomes:
            assert outcome.feed.name == "fast"
            break
    assert time.monotonic() - started < 2.5  # did not wait for the slow feed


async def test_concurrency_setting_bounds_requests_in_flight(server: TestServer) -> None:
    body = rss_feed(sample_items(1))
    for n in range(12):
        server.route(f"/f{n}", Reply(200, [(0.15, body)], RSS_HEADERS))
    feeds = [FeedConfig(f"f{n}", server.url(f"/f{n}")) for n in range(12)]
    outcomes = await collect(feeds, settings=Settings(timeout=5, concurrency=3))
    assert all(outcome.error is None for outcome in outcomes.values())
    assert server.peak_in_flight == 3


async def test_http_fetcher_per_host_limit(server: TestServer) -> None:
    server.route("/page", Reply(200, [(0.1, b"<html>page</html>")], {"Content-Type": "text/html"}))
    async with HttpFetcher(per_host=2, max_connections=16) as http:
        responses = await asyncio.gather(*(http.get(server.url("/page")) for _ in range(6)))
    assert {response.status for response in responses} == {200}
    assert server.peak_in_flight == 2
    assert responses[0].body == b"<html>page</html>"
    assert responses[0].final_url == server.url("/page")


async def test_relative_base_dir_still_gives_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "local.xml").write_bytes(rss_feed(sample_items(2)))
    outcome = await fetch_one("local.xml", base_dir=Path("."))
    assert outcome.error is None
    assert outcome.parsed is not None and len(outcome.parsed.entries) == 2


async def test_feeds_are_parsed_in_a_thread_when_no_worker_process_can_start(
    server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_processes(self: WorkerPool) -> Any:
        raise ValueError("bad value(s) in fds_to_keep")  # what Textual's stderr once caused

    monkeypatch.setattr(WorkerPool, "_start", no_processes)
    urls = [server.route(f"/f{i}.xml", feed_reply(2 + i)) for i in range(3)]
    feeds = [FeedConfig(name=f"F{i}", url=url) for i, url in enumerate(urls)]
    outcomes = [o async for o in fetch.fetch_feeds(feeds, {}, Settings(timeout=10))]
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    assert sorted(len(o.parsed.entries) for o in outcomes if o.parsed) == [2, 3, 4]
