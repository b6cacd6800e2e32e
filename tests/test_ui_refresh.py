"""Refresh from the reader against a real loopback HTTP server (pytest-httpserver)."""

from __future__ import annotations

import time
from pathlib import Path

from _ui_helpers import (
    FEEDS,
    FixtureArticle,
    body,
    build_service,
    fixture_id,
    make_app,
    rss_feed,
    screen_text,
    settle,
    wait_for,
)
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from briefing.core.service import DataOrigin
from briefing.ui.widgets.article_list import ArticleList
from briefing.ui.widgets.lists import SourceList
from briefing.ui.widgets.status import RefreshBar

FRESH = FixtureArticle(
    "legal-9",
    "Anna's Archive misses the deadline to answer the complaint",
    "2026-02-09T15:00:00+00:00",
    body("Anna's Archive did not answer by the deadline, the plaintiffs told the court."),
)


async def test_refresh_with_one_failing_feed_stays_responsive_and_reports_it(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    legal_items = [*FEEDS["Legal Desk"], FRESH]

    def slow_legal_feed(request: Request) -> Response:
        time.sleep(0.8)  # long enough to use the reader meanwhile
        return Response(rss_feed("Legal Desk", legal_items), content_type="application/rss+xml")

    httpserver.expect_request("/legal.rss").respond_with_handler(slow_legal_feed)
    httpserver.expect_request("/tech.rss").respond_with_data("boom", status=500)
    feeds = {"Legal Desk": FEEDS["Legal Desk"], "Tech Daily": FEEDS["Tech Daily"]}
    urls = {
        "Legal Desk": httpserver.url_for("/legal.rss"),
        "Tech Daily": httpserver.url_for("/tech.rss"),
    }
    service = build_service(tmp_path / "cache", feeds, urls=urls)
    app = make_app(service, tmp_path)
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
        await wait_for(pilot, lambda: not app.refreshing, timeout=20)
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
        assert any("SAMPLE" in m for m in messages)
        assert "SAMPLE" in screen_text(app)
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
