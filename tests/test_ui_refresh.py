"""Refresh from the reader against a real loopback HTTP server (pytest-httpserver)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from _ui_helpers import (
    FEEDS,
    FixtureArticle,
    article_text,
    body,
    build_service,
    fixture_id,
    make_app,
    make_config,
    placeholder_url,
    rss_feed,
    screen_text,
    settle,
    wait_for,
)
from pytest_httpserver import HTTPServer
from textual.pilot import Pilot
from werkzeug import Request, Response

from briefing.core.models import Article
from briefing.core.service import BriefingService, DataOrigin
from briefing.ui.app import BriefingApp
from briefing.ui.widgets.article_list import FAILED_MARK, PENDING_MARK, ArticleList
from briefing.ui.widgets.lists import SourceList
from briefing.ui.widgets.status import RefreshBar

FRESH = FixtureArticle(
    "legal-9",
    "Anna's Archive misses the deadline to answer the complaint",
    "2026-02-09T15:00:00+00:00",
    body("Anna's Archive did not answer by the deadline, the plaintiffs told the court."),
)


async def test_refresh_with_one_failing_feed_stays_responsive_and_reports_it(
    tmp_path: Path, threaded_server: HTTPServer
) -> None:
    """The Legal Desk feed is held by the server until the test has used the reader:
    no timing decides whether the refresh is still running (it failed under load
    when the feed was only slow)."""
    legal_items = [*FEEDS["Legal Desk"], FRESH]
    release = threading.Event()

    def held_legal_feed(request: Request) -> Response:
        release.wait(timeout=30)
        return Response(rss_feed("Legal Desk", legal_items), content_type="application/rss+xml")

    httpserver = threaded_server
    httpserver.expect_request("/legal.rss").respond_with_handler(held_legal_feed)
    httpserver.expect_request("/tech.rss").respond_with_data("boom", status=500)
    feeds = {"Legal Desk": FEEDS["Legal Desk"], "Tech Daily": FEEDS["Tech Daily"]}
    urls = {
        "Legal Desk": httpserver.url_for("/legal.rss"),
        "Tech Daily": httpserver.url_for("/tech.rss"),
    }
    service = build_service(tmp_path / "cache", feeds, urls=urls)
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot)
            article_list = app.main_screen.query_one(ArticleList)
            before = len(article_list.articles)
            await pilot.press("r")
            assert app.refreshing
            bar = app.main_screen.query_one(RefreshBar)
            await wait_for(pilot, lambda: bar.has_class("-running"))
            # The UI answers keys while the feed is still downloading.
            await pilot.press("j")
            assert article_list.cursor == 1
            assert app.refreshing
            reading = article_list.current
            release.set()
            await wait_for(pilot, lambda: not app.refreshing, timeout=30)
            await _check_refresh_results(pilot, app, before, reading)
    finally:
        release.set()
        service.store.close()


async def _check_refresh_results(
    pilot: Pilot[int], app: BriefingApp, before: int, reading: Article | None
) -> None:
    article_list = app.main_screen.query_one(ArticleList)
    bar = app.main_screen.query_one(RefreshBar)
    await settle(pilot)
    assert not bar.has_class("-running")
    failures = [n for n in app._notifications if n.title == "Feed failed"]
    assert len(failures) == 1
    assert "Tech Daily" in failures[0].message and "500" in failures[0].message
    ids = {a.id for a in article_list.articles}
    assert fixture_id("Legal Desk", "legal-9") in ids
    assert len(article_list.articles) == before + 1
    assert app.service.origin == DataOrigin.NETWORK
    assert "live" in screen_text(app)
    sources = {s.name: s for s in app.main_screen.data.sources}  # type: ignore[union-attr]
    assert sources["Tech Daily"].health == "error"
    prompt = str(app.main_screen.query_one(SourceList).get_option("feed:Tech Daily").prompt)
    assert "500" in prompt  # the reason shows under the feed
    assert reading is not None and article_list.current is not None
    assert article_list.current.id == reading.id  # the user's place survived the reload


async def test_an_empty_cache_whose_feeds_all_fail_falls_back_to_the_sample(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/gone.rss").respond_with_data("gone", status=404)
    service = build_service(
        tmp_path / "cache", {"Legal Desk": []}, urls={"Legal Desk": httpserver.url_for("/gone.rss")}
    )
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.service.origin == DataOrigin.SAMPLE, timeout=30)
        await settle(pilot)
        assert app.main_screen.data is not None and app.main_screen.data.articles
        messages = [n.message for n in app._notifications]
        assert any("404" in m for m in messages)
        shown = screen_text(app)
        assert "SAMPLE" in shown
        assert (
            "No feed could be reached (HTTP 404: 1) and the cache is empty" in shown
        )  # and how they failed
    app.service.store.close()
    service.store.close()


async def test_refreshing_the_sample_keeps_it_the_sample_and_fetches_no_pages(
    tmp_path: Path,
) -> None:
    import asyncio

    from briefing.core.service import open_sample

    cache = tmp_path / "cache"
    service = await asyncio.to_thread(open_sample, cache)  # it runs an event loop of its own
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.last_summary is not None, timeout=30)
        await settle(pilot)
        assert app.last_summary is not None and app.last_summary.pages is None
        assert app.last_summary.any_succeeded
        assert app.service.origin == DataOrigin.SAMPLE
        assert "SAMPLE" in screen_text(app)
    service.store.close()


# --------------------------------------------------------------------------- full article text

PAGES = Path(__file__).parent / "fulltext_pages"
PAGE_SENTENCE = "Spotify and the three biggest record companies have asked a federal judge"
"""From news_article.html's story body: shown once the page's text is extracted."""


def news_page(request: Request) -> Response:
    return Response(
        (PAGES / "news_article.html").read_bytes(), content_type="text/html; charset=utf-8"
    )


def teaser(guid: str, title: str, link: str, published: str) -> FixtureArticle:
    """A one-sentence entry, as news-search feeds give: "auto" wants its page."""
    return FixtureArticle(guid, title, published, body("Anna's Archive is in court again."), link)


def row_of(app: BriefingApp, title: str) -> str:
    """The article list's row of a title, as on screen (flags, date, source column, title)."""
    row = re.compile(r"[● ][★ ](.) \w{3} [ \d]\d (?:.*? )?" + re.escape(title))
    found = [m.group(0) for line in screen_text(app).splitlines() if (m := row.search(line))]
    assert len(found) == 1, found
    return found[0]


def full_text_mark_of(app: BriefingApp, title: str) -> str:
    return row_of(app, title)[2]


def legal_desk_app(
    tmp_path: Path,
    server: HTTPServer,
    served: list[FixtureArticle],
    stored: list[FixtureArticle] | None = None,
) -> tuple[BriefingService, BriefingApp]:
    """The Legal Desk feed served from ``server`` with ``served``, its pages fetched
    (full_text "auto"); ``stored`` are in the cache already, as a refresh left them."""
    server.expect_request("/legal.rss").respond_with_data(
        rss_feed("Legal Desk", served), content_type="application/rss+xml"
    )
    service = build_service(
        tmp_path / "cache",
        {"Legal Desk": stored or []},
        urls={"Legal Desk": server.url_for("/legal.rss")},
        full_text="auto",
    )
    return service, make_app(service, tmp_path)


async def test_refresh_lists_new_articles_while_their_pages_are_fetched(
    tmp_path: Path, threaded_server: HTTPServer
) -> None:
    release = threading.Event()

    def held_page(request: Request) -> Response:
        release.wait(timeout=20)
        return news_page(request)

    threaded_server.expect_request("/page/old").respond_with_handler(news_page)
    threaded_server.expect_request("/page/quick").respond_with_handler(news_page)
    threaded_server.expect_request("/page/held").respond_with_handler(held_page)
    old = teaser(
        "old", "Archive: old", threaded_server.url_for("/page/old"), "2026-01-20T10:00:00+00:00"
    )
    quick = teaser(
        "quick",
        "Archive: quick",
        threaded_server.url_for("/page/quick"),
        "2026-02-09T10:00:00+00:00",
    )
    held = teaser("held", "Archive: held", threaded_server.url_for("/page/held"), "2026-02-09T11:00:00+00:00")  # fmt: skip
    service, app = legal_desk_app(tmp_path, threaded_server, [old, quick, held], stored=[old])
    held_id = fixture_id("Legal Desk", "held")
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot)
            article_list = app.main_screen.query_one(ArticleList)
            assert full_text_mark_of(app, "Archive: old") == " "  # never tried: no mark
            await pilot.press("r")
            # The feed step's articles are listed while the held page is in flight.
            await wait_for(
                pilot, lambda: held_id in {a.id for a in article_list.articles}, timeout=20
            )
            await pilot.pause()
            assert app.refreshing
            assert full_text_mark_of(app, "Archive: held") == PENDING_MARK
            messages = [n.message for n in app._notifications]
            assert any("1 feed refreshed: 2 new articles" in m for m in messages), messages
            app.main_screen.open_article(held_id)
            await pilot.pause()
            shown = screen_text(app)
            assert "Full text: pending — showing the feed's summary" in shown
            assert "Anna's Archive is in court again." in shown
            assert PAGE_SENTENCE not in shown

            release.set()
            await wait_for(pilot, lambda: not app.refreshing, timeout=30)
            await settle(pilot)
            # The article on show is redrawn with its page's text; no mark, no notice.
            assert full_text_mark_of(app, "Archive: held") == " "
            assert full_text_mark_of(app, "Archive: quick") == " "
            assert full_text_mark_of(app, "Archive: old") == " "
            shown = article_text(app)
            assert "Full text" not in shown
            assert PAGE_SENTENCE in shown
            assert app.last_summary is not None and app.last_summary.pages is not None
            assert app.last_summary.pages.fetched == 3
    finally:
        release.set()
    service.store.close()


async def test_a_page_that_fails_is_marked_and_the_pane_says_why(
    tmp_path: Path, threaded_server: HTTPServer
) -> None:
    # The reason phrase is the server's own text: hostile markup must show as typed.
    threaded_server.expect_request("/page/gone").respond_with_response(
        Response(
            (PAGES / "not_found.html").read_bytes(),
            status="404 [bold red]Gone[/bold red]",
            content_type="text/html",
        )
    )
    gone = teaser("gone", "Archive: gone", threaded_server.url_for("/page/gone"), "2026-02-09T10:00:00+00:00")  # fmt: skip
    service, app = legal_desk_app(tmp_path, threaded_server, [gone])
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.last_summary is not None, timeout=30)
        await settle(pilot)
        assert app.last_summary is not None and app.last_summary.pages is not None
        assert app.last_summary.pages.failed == 1
        assert full_text_mark_of(app, "Archive: gone") == FAILED_MARK
        app.main_screen.open_article(fixture_id("Legal Desk", "gone"))
        await pilot.pause()
        shown = article_text(app)
        assert "Full text failed: HTTP 404 [bold red]Gone[/bold red] — showing the feed's" in shown
        assert "Anna's Archive is in court again." in shown
        messages = [n.message for n in app._notifications]
        assert any("Full texts: 1 failed" in m for m in messages), messages
    service.store.close()


async def test_a_feeds_toml_without_enabled_feeds_shows_the_sample_and_says_why(
    tmp_path: Path,
) -> None:
    """Nothing to fetch: the sample opens at once with a notice naming the file, and r
    says there is no enabled feed instead of starting a refresh that cannot help."""
    from dataclasses import replace

    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    config_path = tmp_path / "feeds.toml"
    config = make_config([("Off", placeholder_url("Off"))], config_path)
    config = replace(config, feeds=tuple(replace(f, enabled=False) for f in config.feeds))
    # The file is there (r reads it again when it changed; a missing one is an error).
    config_path.write_text(
        f'[[feeds]]\nname = "Off"\nurl = "{placeholder_url("Off")}"\nenabled = false\n',
        encoding="utf-8",
    )
    store = Store(tmp_path / "cache")
    service = BriefingService(config, store)
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.service.origin == DataOrigin.SAMPLE, timeout=30)
        await settle(pilot)
        shown = screen_text(app)
        assert "Your feeds.toml has no enabled feeds" in shown and str(config_path) in shown
        assert "No feed could be reached" not in shown
        await pilot.press("r")
        await settle(pilot)
        assert not app.refreshing
        messages = [n.message for n in app._notifications]
        assert (
            f"No enabled feeds in {config_path}: add one (or set enabled = true), then press r."
            in messages
        )
        assert app.service.origin == DataOrigin.SAMPLE
    app.service.store.close()
    store.close()


async def test_a_page_step_that_cannot_start_keeps_the_feed_results(
    tmp_path: Path, threaded_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache refuses the page step's first write (a full disk): the feeds are
    stored, their results and new articles show, and the pages' trouble is told."""
    from briefing.core import fulltext
    from briefing.core.store import StoreError

    def disk_full(*args: object, **kwargs: object) -> object:
        raise StoreError("cannot write the cache: No space left on device", tmp_path)

    monkeypatch.setattr(fulltext, "load_validators", disk_full)
    story = teaser("fresh", "Archive: fresh story", threaded_server.url_for("/page/fresh"), "2026-02-09T10:00:00+00:00")  # fmt: skip
    service, app = legal_desk_app(tmp_path, threaded_server, [story])
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.last_summary is not None, timeout=30)
        await settle(pilot)
        assert not app.refreshing
        summary = app.last_summary
        assert summary is not None and summary.any_succeeded
        assert summary.pages is not None and "No space left" in summary.pages.error
        assert "Archive: fresh story" in screen_text(app)
        messages = [n.message for n in app._notifications]
        assert any("1 new article" in m for m in messages), messages
        assert (
            "Article pages were not all fetched: cannot write the cache: No space left on device"
            in messages
        )
    service.store.close()
