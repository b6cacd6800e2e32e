"""What a new user's first walk through the reader found: each test failed before its fix."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from _ui_helpers import (
    FEEDS,
    FIXED_NOW,
    build_service,
    close_stores,
    make_app,
    rss_feed,
    screen_text,
    settle,
    wait_for,
)
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from briefing.core.service import BriefingService, DataOrigin, open_sample
from briefing.ui.app import BriefingApp
from briefing.ui.widgets.article_list import ArticleList
from briefing.ui.widgets.lists import FactDetail, FactList
from briefing.ui.widgets.status import NoticeLine


def heading_line(detail: FactDetail) -> str:
    """The fact detail's first visible row, as text."""
    return "".join(segment.text for segment in detail.render_line(0)).strip()


def highlight_in_view(detail: FactDetail) -> bool:
    assert detail.highlighted is not None
    first = detail._index_to_line[detail.highlighted]
    height = detail._heights[detail.highlighted]
    top = round(detail.scroll_y)
    return top <= first and first + height <= top + detail.scrollable_content_region.height


async def test_a_fact_detail_is_shown_from_its_heading_until_the_user_moves(
    tmp_path: Path,
) -> None:
    # At 120x40 the sample's first fact has a note long enough to push its first
    # quote below the box: the detail used to open scrolled to that quote.
    service = await asyncio.to_thread(open_sample, tmp_path / "cache")
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            detail = app.main_screen.query_one(FactDetail)
            data = app.main_screen.data
            assert data is not None and data.briefing is not None
            fact = data.fact(detail.fact_id or "")
            assert fact is not None and fact.note
            assert detail.scroll_y == 0
            assert heading_line(detail).startswith(fact.label)
            assert not highlight_in_view(detail), "the sample no longer tests a tall heading"

            await pilot.press("tab", "enter")  # choose the first fact: focus goes to its detail
            assert app.focused is detail
            assert detail.scroll_y == 0 and heading_line(detail).startswith(fact.label)
            first_quote = detail.highlighted

            await pilot.press("j")  # the first move shows the highlighted quote
            assert detail.highlighted == first_quote and highlight_in_view(detail)
            await pilot.press("j")  # then j moves from quote to quote, each kept in view
            assert detail.highlighted != first_quote and highlight_in_view(detail)

            # Another fact starts from its heading again.
            await pilot.press("shift+tab", "j")
            second = data.fact(detail.fact_id or "")
            assert second is not None and second.id != fact.id
            assert app.focused is app.main_screen.query_one(FactList)
            assert detail.scroll_y == 0 and heading_line(detail).startswith(second.label)
    finally:
        service.store.close()


async def test_export_stamps_the_export_time_and_never_overwrites(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        data = app.main_screen.data
        assert data is not None and data.briefing is not None
        assert data.briefing.generated != FIXED_NOW.isoformat()  # worked out 'now', not then
        await pilot.press("e")
        await pilot.press("e")
        first = tmp_path / "briefing-2026-02-10.md"
        second = tmp_path / "briefing-2026-02-10-2.md"
        assert sorted(tmp_path.glob("briefing-*.md")) == [second, first]
        for path in (first, second):
            text = path.read_text(encoding="utf-8")
            assert f"Generated {FIXED_NOW.isoformat()}" in text.replace("\\", "")
        messages = [n.message for n in app._notifications]
        assert any(str(first) in m for m in messages), messages
        assert any(str(second) in m for m in messages), messages
        (tmp_path / "briefing-2026-02-10-3.md").write_text("kept", encoding="utf-8")
        await pilot.press("e")
        assert (tmp_path / "briefing-2026-02-10-3.md").read_text(encoding="utf-8") == "kept"
        assert (tmp_path / "briefing-2026-02-10-4.md").is_file()
        assert "briefing-2026-02-10-4.md" in list(app._notifications)[-1].message
    service.store.close()


TAB_STOP_NAMES = {
    "source-list": "Sources",
    "article-list": "Articles",
    "fact-list": "Key facts",
    "fact-detail": "fact detail",
    "article-view": "Article",
}


async def test_the_tab_help_names_every_stop_tab_makes_in_order(tmp_path: Path) -> None:
    from briefing.ui.commands import COMMANDS

    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        app.main_screen.focus_widget("source-list")
        await pilot.pause()
        stops = []
        for _ in range(len(TAB_STOP_NAMES)):
            assert app.focused is not None
            stops.append(TAB_STOP_NAMES[app.focused.id or ""])
            await pilot.press("tab")
        assert app.focused is not None and app.focused.id == "source-list"  # round again
    help_text = next(c.help for c in COMMANDS if c.key == "tab")
    named = help_text.split("(", 1)[1].split(")", 1)[0].split(", ")
    assert named == stops


# --------------------------------------------------------------------------- the sample fallback


def notice_text(app: BriefingApp) -> str:
    """The standing line under the header, '' when it is hidden (or there is none)."""
    found = app.main_screen.query(NoticeLine)
    return found.first().text if found and found.first().display else ""


async def test_r_after_the_sample_fallback_tries_the_users_feeds_and_switches_to_them(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    answering = threading.Event()
    asked: list[int] = []

    def legal_feed(request: Request) -> Response:
        asked.append(1)
        if not answering.is_set():
            if len(asked) == 1:
                return Response("down for maintenance", status=503)
            return Response("moved away", status=404)
        body = rss_feed("Legal Desk", FEEDS["Legal Desk"])
        return Response(body, content_type="application/rss+xml")

    httpserver.expect_request("/legal.rss").respond_with_handler(legal_feed)
    urls = {"Legal Desk": httpserver.url_for("/legal.rss")}
    service = build_service(tmp_path / "cache", {"Legal Desk": []}, urls=urls)
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: app.service.origin == DataOrigin.SAMPLE, timeout=30)
            await settle(pilot)
            assert app.showing_fallback
            assert "No feed could be reached" in notice_text(app)
            assert "Press r" in notice_text(app)
            assert notice_text(app).startswith("No feed could be reached (HTTP 503: 1)")
            app.clear_notifications()
            await pilot.pause()
            assert "No feed could be reached" in screen_text(app)  # not only a toast
            assert len(httpserver.log) == 1

            # Still down: r asks the user's feed again, and the sample stays meanwhile.
            await pilot.press("r")
            await wait_for(pilot, lambda: not app.refreshing, timeout=30)
            await settle(pilot)
            assert len(httpserver.log) == 2
            assert app.service.origin == DataOrigin.SAMPLE
            assert "No feed could be reached" in screen_text(app)
            assert notice_text(app).startswith(
                "No feed could be reached (HTTP 404: 1)"
            )  # this try's failure
            failures = [n.message for n in app._notifications if n.title == "Feed failed"]
            assert len(failures) == 1 and failures[0].startswith("Legal Desk: HTTP 404")

            # Up again: r brings the user's own briefing in place of the sample.
            answering.set()
            await pilot.press("r")
            await wait_for(pilot, lambda: app.service is service, timeout=30)
            await settle(pilot)
            assert len(httpserver.log) == 3
            assert not app.showing_fallback
            assert notice_text(app) == ""
            shown = screen_text(app)
            assert "SAMPLE" not in shown and "No feed could be reached" not in shown
            assert "live" in shown
            data = app.main_screen.data
            assert data is not None
            assert [s.name for s in data.sources] == ["Legal Desk"]
            titles = {a.title for a in app.main_screen.query_one(ArticleList).articles}
            assert "Spotify and the labels sue Anna's Archive in New York" in titles
            assert any("Your feeds answered" in n.message for n in app._notifications)

            # Now r refreshes the user's feeds as usual.
            await pilot.press("r")
            await wait_for(pilot, lambda: not app.refreshing, timeout=30)
            await settle(pilot)
            assert len(httpserver.log) == 4 and app.service is service
    finally:
        close_stores(app, service)


async def test_with_demo_r_refreshes_the_sample_and_no_fallback_notice_shows(
    tmp_path: Path,
) -> None:
    service = await asyncio.to_thread(open_sample, tmp_path / "cache")
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot)
            assert not app.showing_fallback and notice_text(app) == ""
            assert any("SAMPLE" in n.message for n in app._notifications)
            await pilot.press("r")
            await wait_for(pilot, lambda: app.last_summary is not None, timeout=30)
            await settle(pilot)
            assert app.service is service and app.service.origin == DataOrigin.SAMPLE
            names = {result.name for result in app.last_summary.results}  # type: ignore[union-attr]
            assert names == set(service.feed_names)
    finally:
        service.store.close()


async def test_many_failed_feeds_make_one_notification_and_the_notice_stays(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/gone.rss").respond_with_data("gone", status=404)
    httpserver.expect_request("/broken.rss").respond_with_data("boom", status=500)
    urls = {f"Gone {n}": httpserver.url_for("/gone.rss") for n in range(4)}
    urls |= {f"Broken {n}": httpserver.url_for("/broken.rss") for n in range(2)}
    service = build_service(tmp_path / "cache", {name: [] for name in urls}, urls=urls)
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.service.origin == DataOrigin.SAMPLE, timeout=30)
            await settle(pilot)
            notifications = list(app._notifications)
            assert [n.message for n in notifications] == [
                "6 feeds failed — HTTP 404 (4), HTTP 500 (2). Press r to try again."
            ]
            assert notifications[0].severity == "error"
            # The reason the sample shows stays on screen after the toasts have gone.
            app.clear_notifications()
            await pilot.pause()
            shown = screen_text(app)
            assert "No feed could be reached (" in shown and "and the cache is empty" in shown
            assert "SAMPLE" in shown
    finally:
        close_stores(app, service)


async def test_many_failed_feeds_over_a_cache_point_to_the_sources_pane(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/gone.rss").respond_with_data("gone", status=404)
    feeds = {**FEEDS, "Extra": []}
    urls = {name: httpserver.url_for("/gone.rss") for name in feeds}
    service = build_service(tmp_path / "cache", feeds, urls=urls)
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        app.clear_notifications()
        await pilot.press("r")
        await wait_for(pilot, lambda: not app.refreshing, timeout=30)
        await settle(pilot)
        assert [n.message for n in app._notifications] == [
            "4 feeds failed — HTTP 404 (4); see Sources."
        ]
        assert notice_text(app) == ""
    service.store.close()


def test_failure_kinds_leave_out_hosts_so_like_failures_count_together() -> None:
    from briefing.core.models import FeedResult, FetchStatus
    from briefing.ui.reports import failure_kind, failures_text

    reasons = [
        "DNS lookup failed for host a.example",
        "DNS lookup failed for host b.example",
        "timed out talking to c.example",
        "timed out after 20 s",
        "connection refused by 127.0.0.1:9",
        "HTTP 404 Not Found",
        "TLS certificate not accepted for d.example: expired",
        "an error nobody \x1b[31mforesaw\x1b[0m in a reason much longer than forty characters",
        "e.example closed the connection before the whole answer arrived",
    ]
    assert [failure_kind(r) for r in reasons] == [
        "DNS lookup failed",
        "DNS lookup failed",
        "timed out",
        "timed out",
        "connection refused",
        "HTTP 404",
        "TLS error",
        "an error nobody foresaw in a reason muc…",
        "connection broken",  # the host comes first in this one
    ]
    errors = [FeedResult(f"F{n}", FetchStatus.ERROR, error=r) for n, r in enumerate(reasons[:4])]
    assert failures_text(errors, "; see Sources.") == (
        "4 feeds failed — DNS lookup failed (2), timed out (2); see Sources."
    )


async def test_feeds_answering_while_the_sample_loads_win_over_the_sample(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import briefing.ui.app as app_module

    answering = threading.Event()
    sample_may_finish = threading.Event()

    def legal_feed(request: Request) -> Response:
        if not answering.is_set():
            return Response("down for maintenance", status=503)
        return Response(rss_feed("Legal Desk", FEEDS["Legal Desk"]),
                        content_type="application/rss+xml")  # fmt: skip

    real_open_sample = app_module.open_sample

    def slow_open_sample(cache_dir: Path) -> BriefingService:
        sample_may_finish.wait(20)  # the sample takes its time to fill
        return real_open_sample(cache_dir)

    monkeypatch.setattr(app_module, "open_sample", slow_open_sample)
    httpserver.expect_request("/legal.rss").respond_with_handler(legal_feed)
    urls = {"Legal Desk": httpserver.url_for("/legal.rss")}
    service = build_service(tmp_path / "cache", {"Legal Desk": []}, urls=urls)
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: len(httpserver.log) == 1 and not app.refreshing,
                           timeout=30)  # fmt: skip
            answering.set()  # the feed is back while the sample is still loading
            await pilot.press("r")
            await wait_for(pilot, lambda: len(httpserver.log) == 2, timeout=30)
            await wait_for(pilot, lambda: not app.refreshing, timeout=30)
            await pilot.pause(0.3)
            sample_may_finish.set()
            await settle(pilot)  # the sample's job has ended and its load is handled
            assert app.service is service, app.service.origin
            assert not app.showing_fallback
            titles = {a.title for a in app.main_screen.query_one(ArticleList).articles}
            assert "Spotify and the labels sue Anna's Archive in New York" in titles
    finally:
        sample_may_finish.set()
        close_stores(app, service)
