"""The page step with no network, two processes and kills (issue 15, item 10).

A host that fails DNS or refuses a connection is asked once per refresh, not
once per page; two processes on one cache never fetch the same page; a page
step killed at any moment leaves nothing pending and loses nothing stored.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from _fetch_helpers import Recorded, Reply, rss_feed, serve
from _store_helpers import assert_indexes_consistent

from briefing.core.config import load_config
from briefing.core.service import BriefingService
from briefing.core.store import Store

PAGE = (
    "<html><body><article><h1>Story</h1>"
    + "<p>Anna's Archive: the labels' filing names 86 million files and $13 trillion.</p>" * 40
    + "</article></body></html>"
).encode()


def teasers(links: list[str]) -> list[dict[str, str]]:
    return [
        {
            "title": f"Anna&#8217;s Archive story {n}",
            "link": link,
            "guid": f"urn:page:{n}",
            "pubDate": "Fri, 16 Jan 2026 09:30:00 +0000",
            "description": "Anna&#8217;s Archive in brief. Read more",
        }
        for n, link in enumerate(links)
    ]


def config_for(folder: Path, feed_url: str, per_host: int = 4) -> Path:
    path = folder / "feeds.toml"
    path.write_text(
        '[topic]\nname = "case"\nkeywords = ["Anna\'s Archive"]\n'
        f"[settings]\ntimeout = 5\nper_host = {per_host}\nretention_days = 36500\n"
        f'[[feeds]]\nname = "Wire"\nurl = "{feed_url}"\n',
        encoding="utf-8",
    )
    return path


async def test_a_host_that_fails_dns_is_asked_once_per_refresh(
    tmp_path: Path, name_lookups: list[str]
) -> None:
    links = [f"http://dead-host.example/story/{n}" for n in range(200)]
    with serve() as server:
        feed = server.route("/feed.xml", Reply(200, rss_feed(teasers(links))))
        store = Store(tmp_path / "cache")
        try:
            service = BriefingService(load_config(config_for(tmp_path, feed)), store)
            started = time.monotonic()
            summary = await service.refresh()
            elapsed = time.monotonic() - started
        finally:
            store.close()
    pages = summary.pages
    assert pages is not None and pages.failed == 200 and pages.fetched == 0
    assert 1 <= name_lookups.count("dead-host.example") <= 4  # per_host at most, not 200
    asked = [r for _, r in pages.failures if not r.endswith("(not asked again in this refresh)")]
    assert 1 <= len(asked) <= 4  # only those already in flight when the first failed
    assert all(
        r.startswith("DNS lookup failed for host dead-host.example") for _, r in pages.failures
    )
    assert elapsed < 10


async def test_a_host_that_refuses_is_asked_once_per_refresh(tmp_path: Path) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: every connection is refused
    links = [f"http://127.0.0.1:{port}/story/{n}" for n in range(100)]
    with serve() as server:
        feed = server.route("/feed.xml", Reply(200, rss_feed(teasers(links))))
        store = Store(tmp_path / "cache")
        try:
            service = BriefingService(load_config(config_for(tmp_path, feed)), store)
            summary = await service.refresh()
        finally:
            store.close()
    pages = summary.pages
    assert pages is not None and pages.failed == 100
    reasons = Counter(r.endswith("(not asked again in this refresh)") for _, r in pages.failures)
    assert 1 <= reasons[False] <= 4 and reasons[True] == 100 - reasons[False]
    assert all(r.startswith(f"connection refused by 127.0.0.1:{port}") for _, r in pages.failures)


def run_fetch(config: Path, cache: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "briefing", "--config", str(config), "--cache-dir", str(cache),
         "fetch"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def slow_pages(server: object, count: int, delay: float) -> list[str]:
    def page(_request: Recorded) -> Reply:
        time.sleep(delay)
        return Reply(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})

    return [server.route(f"/story/{n}", page) for n in range(count)]  # type: ignore[attr-defined]


def test_two_processes_never_fetch_the_same_page(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with serve() as server:
        links = slow_pages(server, 30, delay=0.15)
        feed = server.route("/feed.xml", Reply(200, rss_feed(teasers(links))))
        config = config_for(tmp_path, feed, per_host=2)
        first, second = run_fetch(config, cache), run_fetch(config, cache)
        outputs = [p.communicate(timeout=120) for p in (first, second)]
        asked = Counter(r.path for r in server.requests if r.path.startswith("/story/"))
    for process, (_out, err) in zip((first, second), outputs, strict=True):
        assert process.returncode == 0, err
        assert "Traceback" not in err
    assert set(asked) == {f"/story/{n}" for n in range(30)}
    assert max(asked.values()) == 1, asked  # never twice
    with Store(cache) as store:
        statuses = Counter(a.full_text_status for a in store.load_articles())
        assert statuses == {"ok": 30}
        assert not store.page_step_running()


def test_a_page_step_killed_at_any_moment_leaves_nothing_pending(tmp_path: Path) -> None:
    rng = random.Random(10)
    cache = tmp_path / "cache"
    with serve() as server:
        links = slow_pages(server, 40, delay=0.05)
        feed = server.route("/feed.xml", Reply(200, rss_feed(teasers(links))))
        config = config_for(tmp_path, feed, per_host=4)
        for _attempt in range(4):
            process = run_fetch(config, cache)
            started = time.monotonic()
            while not any(r.path.startswith("/story/") for r in list(server.requests)):
                if time.monotonic() - started > 30:
                    raise AssertionError("the page step never started")
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.4))
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            service = BriefingService(load_config(config), Store(cache))
            try:
                shown = {a.full_text_status for a in service.articles()}
                assert "pending" not in shown  # the dead process's marks read as not tried
                assert len(service.articles()) == 40
                assert not service.store.page_step_running()
                assert_indexes_consistent(service.store)
            finally:
                service.store.close()
        finished = run_fetch(config, cache)
        _out, err = finished.communicate(timeout=120)
        assert finished.returncode == 0, err
    with Store(cache) as store:
        assert Counter(a.full_text_status for a in store.load_articles()) == {"ok": 40}


def test_a_refresh_killed_while_marks_are_set_elsewhere_keeps_both(tmp_path: Path) -> None:
    """The reader marks articles while a fetch stores the same feed, and the fetch is
    killed: every mark made stays, and the indexes agree with the records."""
    cache = tmp_path / "cache"
    with serve() as server:
        items = [
            {"title": f"Anna&#8217;s Archive {n}", "link": f"https://wire.example/{n}",
             "guid": f"urn:{n}", "description": "Anna&#8217;s Archive, at length. " * 80}
            for n in range(300)
        ]  # fmt: skip
        feed = server.route("/feed.xml", Reply(200, rss_feed(items)))
        config = config_for(tmp_path, feed)
        done = run_fetch(config, cache)
        assert done.wait(timeout=120) == 0
        service = BriefingService(load_config(config), Store(cache))
        ids = [h.id for h in service.headers()]
        stop = threading.Event()
        marked: list[str] = []

        def mark() -> None:
            for identifier in ids:
                if stop.is_set():
                    return
                service.set_read([identifier])
                marked.append(identifier)

        for _attempt in range(3):
            process = run_fetch(config, cache)
            marker = threading.Thread(target=mark)
            marker.start()
            time.sleep(random.uniform(0.2, 0.6))
            process.kill()
            process.wait(timeout=10)
            stop.set()
            marker.join()
            stop.clear()
        try:
            read = {a.id for a in service.articles() if a.read}
            assert set(marked) <= read and marked
            assert_indexes_consistent(service.store)
        finally:
            service.store.close()


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])


def test_unreachable_hosts_are_recognised_from_the_http_clients_reasons() -> None:
    from briefing.core.fulltext import NOT_ASKED_AGAIN, UnreachableHosts

    hosts = UnreachableHosts()
    hosts.note("https://a.example/1", "DNS lookup failed for host a.example: Name unknown")
    hosts.note("http://127.0.0.1:9/x", "connection refused by 127.0.0.1:9")
    hosts.note("https://b.example/1", "HTTP 503 Service Unavailable")  # the host answered
    assert hosts.reason("https://a.example/2") == (
        "DNS lookup failed for host a.example: Name unknown" + NOT_ASKED_AGAIN
    )
    assert hosts.reason("http://127.0.0.1:9/y") is not None
    assert hosts.reason("http://127.0.0.1:10/y") is None  # another port
    assert hosts.reason("https://b.example/2") is None
    hosts.note("https://c.example/1", "connection refused by proxy 10.0.0.1:3128")
    assert hosts.reason("https://d.example/1") is not None  # the proxy stands for every host
