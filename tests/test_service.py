"""BriefingService behaviour not covered elsewhere."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from briefing.core.service import DataOrigin, open_sample


async def test_refreshing_the_sample_keeps_it_labelled_sample(tmp_path: Path) -> None:
    service = await asyncio.to_thread(open_sample, tmp_path)
    assert service.origin == DataOrigin.SAMPLE
    summary = await service.refresh(full_text=False)
    assert summary.any_succeeded
    assert service.origin == DataOrigin.SAMPLE
    service.store.close()


async def test_a_warm_refresh_records_every_feeds_state(httpserver, tmp_path: Path) -> None:
    from briefing.core.config import load_config
    from briefing.core.models import FetchStatus
    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>'
        "<item><title>Anna's Archive news</title><link>https://e.org/1</link>"
        "<guid>g1</guid><description>x</description></item></channel></rss>"
    )
    for index in range(60):  # more than one batch of states
        httpserver.expect_request(f"/f{index}.xml").respond_with_data(
            feed, content_type="application/rss+xml", headers={"ETag": f'"v{index}"'}
        )
    httpserver.expect_request("/gone.xml").respond_with_data("no", status=404)
    lines = ['[topic]\nname = "case"\nkeywords = ["Anna\'s Archive"]\n']
    for index in range(60):
        lines.append(
            f'[[feeds]]\nname = "F{index}"\nurl = "{httpserver.url_for(f"/f{index}.xml")}"\n'
        )
    lines.append(f'[[feeds]]\nname = "Gone"\nurl = "{httpserver.url_for("/gone.xml")}"\n')
    (tmp_path / "feeds.toml").write_text("\n".join(lines), encoding="utf-8")
    config = load_config(tmp_path / "feeds.toml")
    with Store(tmp_path / "cache") as store:
        service = BriefingService(config, store)
        await service.refresh(full_text=False)
        first = {name: store.feed_state(name) for name in ("F0", "F59", "Gone")}
        summary = await service.refresh(full_text=False)
        assert sum(r.status is FetchStatus.UNCHANGED for r in summary.results) == 60
    with Store(tmp_path / "cache") as store:  # what another process reads afterwards
        for name in ("F0", "F59"):
            state = store.feed_state(name)
            assert state is not None and state.last_status == FetchStatus.UNCHANGED.value
            assert state.etag == first[name].etag  # type: ignore[union-attr]
        gone = store.feed_state("Gone")
        assert gone is not None and gone.last_status == FetchStatus.ERROR.value
        assert gone.last_error and "404" in gone.last_error
        assert len(store.source_names()) == 61


async def test_a_refresh_stopped_by_its_callback_closes_its_connections_at_once(
    tmp_path: Path,
) -> None:
    """Ctrl-C in a progress callback: the downloads still running are stopped and
    their connections closed before refresh returns, not when the generator behind
    it is collected (the traceback keeps it alive here, as it did in the reader)."""
    import socket
    import time

    from _fetch_helpers import raw_server, read_request, rss_feed, sample_items
    from conftest import config_text

    from briefing.core.config import load_config
    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    hung_up: list[float] = []
    quick = rss_feed(sample_items(1))

    def answer_one_hold_the_other(connection: socket.socket, number: int) -> None:
        request = read_request(connection)
        if b"/quick" in request:
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(quick)}\r\n\r\n".encode()
            connection.sendall(head + quick)
            return
        connection.settimeout(10)
        if connection.recv(1) == b"":  # never answered: wait for the client to hang up
            hung_up.append(time.monotonic())

    with raw_server(answer_one_hold_the_other) as (base, _):
        path = tmp_path / "feeds.toml"
        path.write_text(config_text([("quick", base + "/quick"), ("held", base + "/held")],
                                    settings="timeout = 10"))  # fmt: skip
        store = Store(tmp_path / "cache")
        service = BriefingService(load_config(path), store)

        def stop(*_: object) -> None:
            raise KeyboardInterrupt

        try:
            with pytest.raises(KeyboardInterrupt) as stopped:
                await service.refresh(on_progress=stop, full_text=False)
            interrupted = time.monotonic()
            for _ in range(100):
                if hung_up:
                    break
                await asyncio.sleep(0.02)
            assert stopped.traceback  # the frames stay alive until here
            assert hung_up and hung_up[0] - interrupted < 1.0
        finally:
            store.close()


# --------------------------------------------------------------------------- warm refresh, first screen


async def test_a_refresh_of_new_feeds_writes_the_list_of_sources_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold refresh of N feeds wrote the list of N names N times (once per feed
    stored); now once, whatever N."""
    from _fetch_helpers import rss_feed, serve
    from conftest import config_text

    from briefing.core.config import load_config
    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    feeds = 40
    with serve() as server:
        configured = []
        for index in range(feeds):
            body = rss_feed(
                [{"title": f"Anna&#8217;s Archive {index}", "link": f"https://e.org/{index}",
                  "guid": f"g{index}", "description": "x " * 80}],
                title=f"F{index}",
            )  # fmt: skip
            url = server.route(f"/f{index}.xml", _conditional(body, f'"f{index}"',
                                                               "application/rss+xml"))  # fmt: skip
            configured.append((f"F{index}", url))
        path = tmp_path / "feeds.toml"
        path.write_text(config_text(configured), encoding="utf-8")
        with Store(tmp_path / "cache") as store:
            writes: list[str] = []
            real_set = store._cache.set
            monkeypatch.setattr(store._cache, "set",
                                lambda k, v: writes.append(k) or real_set(k, v))  # fmt: skip
            service = BriefingService(load_config(path), store)
            summary = await service.refresh(full_text=False)
            assert sum(r.new for r in summary.results) == feeds
            assert writes.count("sources") == 1
            assert sorted(store.source_names()) == sorted(f"F{i}" for i in range(feeds))
            assert store.count_articles() == feeds


def _conditional(body: bytes, etag: str, content_type: str):  # type: ignore[no-untyped-def]
    from _fetch_helpers import Recorded, Reply

    def answer(request: Recorded) -> Reply:
        if request.headers.get("if-none-match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return Reply(200, body, {"ETag": etag, "Content-Type": content_type})

    return answer


PAGE_HTML = (
    "<html><body><article><h1>Story</h1>"
    + "<p>Anna's Archive: the filing names 86 million files and $13 trillion in damages.</p>" * 30
    + "</article></body></html>"
).encode()


def _site(server, feeds: int, per_feed: int, version: int = 1) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from _fetch_helpers import rss_feed

    recent = format_datetime(datetime.now(UTC) - timedelta(hours=3), usegmt=True)

    configured = []
    for feed in range(feeds):
        items = []
        for n in range(per_feed):
            link = server.route(f"/p/{feed}/{n}", _conditional(PAGE_HTML, f'"p{feed}-{n}"',
                                                              "text/html"))  # fmt: skip
            teaser = n % 2 == 0  # half want their page (a teaser), half are long enough
            items.append({
                "title": f"Anna&#8217;s Archive story {feed}-{n}",
                "link": link,
                "guid": f"urn:{feed}:{n}",
                "pubDate": recent,
                "description": "Anna&#8217;s Archive: 86 million files. Read more" if teaser
                else "Anna&#8217;s Archive: 86 million files. " + "More words here. " * 60,
            })  # fmt: skip
        body = rss_feed(items, title=f"F{feed}")
        etag = f'"f{feed}-v{version}"'
        url = server.route(f"/f{feed}.xml", _conditional(body, etag, "application/rss+xml"))
        configured.append((f"F{feed}", url))
    return configured


async def test_a_warm_refresh_reads_no_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All feeds 304 and every page fresh: no article is read or written, with full text
    on (the default). An hour later only the pages due are read."""
    from dataclasses import replace

    from _fetch_helpers import serve
    from conftest import config_text

    from briefing.core.config import load_config
    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    with serve() as server:
        path = tmp_path / "feeds.toml"
        path.write_text(config_text(_site(server, 4, 10)), encoding="utf-8")
        store = Store(tmp_path / "cache")
        try:
            service = BriefingService(load_config(path), store)
            first = await service.refresh()
            assert first.pages is not None and first.pages.fetched == 20, first.pages
            reads: list[str] = []
            writes: list[str] = []
            real_read, real_set = store._read_article, store._cache.set
            monkeypatch.setattr(store, "_read_article", lambda i: reads.append(i) or real_read(i))
            monkeypatch.setattr(store._cache, "set",
                                lambda k, v: writes.append(k) or real_set(k, v))  # fmt: skip
            warm = await service.refresh()
            assert warm.pages is not None
            assert (warm.pages.fetched, warm.pages.fresh, warm.pages.skipped) == (0, 20, 20)
            assert reads == []
            assert not [k for k in writes if k.startswith(("a:", "fx:", "~t:", "px:"))], writes
            # An hour later: the 20 pages are due and revalidated (304); only they are read.
            validators = store.page_validators(a.id for a in store.load_articles())
            hours_ago = "2026-01-01T00:00:00+00:00"
            store.save_page_results(
                [], {i: replace(v, checked=hours_ago) for i, v in validators.items()}
            )
            reads.clear()
            later = await service.refresh()
            assert later.pages is not None and later.pages.unchanged == 20
            assert len(set(reads)) == 20
        finally:
            store.close()


async def test_the_first_screen_reads_one_article_and_the_stored_key_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from _fetch_helpers import serve
    from conftest import config_text

    from briefing.core.config import load_config
    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    with serve() as server:
        feeds = _site(server, 3, 6)
        path = tmp_path / "feeds.toml"
        path.write_text(config_text(feeds), encoding="utf-8")
        with Store(tmp_path / "cache") as store:
            service = BriefingService(load_config(path), store)
            await service.refresh(full_text=False)
            merged = service.briefing()
        with Store(tmp_path / "cache") as store:  # a new process: the reader's start
            service = BriefingService(load_config(path), store)
            reads: list[str] = []
            real_read = store._read_article
            monkeypatch.setattr(store, "_read_article", lambda i: reads.append(i) or real_read(i))
            assert service.first_screen(limit=5).briefing is None  # the reader's: no facts
            reads.clear()
            screen = service.first_screen(limit=5, with_facts=True)
            assert len(screen.headers) == 5 and screen.on_topic == 18 and screen.unread == 18
            assert [s.articles for s in screen.sources] == [6, 6, 6]
            assert screen.first_article is not None
            assert screen.first_article.id == screen.headers[0].id
            assert screen.briefing is not None  # the stored summary: no quotes
            assert [f.id for f in screen.briefing.facts] == [f.id for f in merged.facts]
            assert not any(v.quotes for f in screen.briefing.facts for v in f.values)
            assert len(reads) == 1  # the first article's body, nothing else
            assert service.briefing().facts == merged.facts and len(reads) == 1
        # One on-topic article changes: the stored merge is no longer current.
        server.routes.clear()
        feeds = _site(server, 3, 7, version=2)
        with Store(tmp_path / "cache") as store:
            service = BriefingService(load_config(path), store)
            await service.refresh(full_text=False)
            assert service.stored_briefing() is None
            service.briefing()
            assert service.stored_briefing() is not None
        # A feed left out of the config: the merge is made again for the feeds that remain.
        path.write_text(config_text(feeds[:2]), encoding="utf-8")
        with Store(tmp_path / "cache") as store:
            assert BriefingService(load_config(path), store).stored_briefing() is None
