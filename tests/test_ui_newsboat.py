"""What a newsboat user (and a Textual user) reaches for, driven through Pilot:
one test per feature or defect of issue 14, each on a real cache."""

from __future__ import annotations

import threading
import webbrowser
from pathlib import Path

import diskcache
import pytest
from _ui_helpers import (
    FEEDS,
    FixtureArticle,
    article_text,
    body,
    build_service,
    close_stores,
    fixture_id,
    make_app,
    rss_feed,
    screen_text,
    settle,
    wait_for,
)
from conftest import config_text
from pytest_httpserver import HTTPServer
from textual.command import CommandPalette

from briefing.core.config import load_config
from briefing.core.facts import fact_articles
from briefing.core.service import BriefingService, DataOrigin
from briefing.core.store import Store
from briefing.ui.app import BriefingApp
from briefing.ui.keymap import keymap_from_config
from briefing.ui.prefs import load_prefs
from briefing.ui.screens import main as main_screen
from briefing.ui.screens.help import HelpScreen
from briefing.ui.screens.pickers import LinksScreen, TagScreen
from briefing.ui.view import ALL_SOURCES, feed_key
from briefing.ui.widgets.article_list import ArticleList
from briefing.ui.widgets.article_view import ArticleView
from briefing.ui.widgets.lists import FactList, SourceList
from briefing.ui.widgets.status import KeyBar, MessageLine

SEARCH_DELAY = 0.5
"""A longer wait before a typed search runs, for a test that acts within it."""


def list_of(app: BriefingApp) -> ArticleList:
    return app.main_screen.query_one(ArticleList)


async def test_r_reads_an_edited_feeds_toml_and_a_bad_edit_keeps_the_old_list(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """Defect 1: add a feed, press r: it is fetched, without a restart."""
    httpserver.expect_request("/legal.rss").respond_with_data(
        rss_feed("Legal Desk", FEEDS["Legal Desk"]), content_type="application/rss+xml"
    )
    path = tmp_path / "feeds.toml"
    path.write_text(config_text([]), encoding="utf-8")
    service = BriefingService(load_config(path), Store(tmp_path / "cache"))
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: app.service.origin == DataOrigin.SAMPLE, timeout=30)
            await settle(pilot)
            path.write_text(
                config_text([("Legal Desk", httpserver.url_for("/legal.rss"))]), encoding="utf-8"
            )
            await pilot.press("r")
            await wait_for(pilot, lambda: app.service is service, timeout=30)
            await settle(pilot)
            assert [s.name for s in app.main_screen.data.sources] == ["Legal Desk"]  # type: ignore[union-attr]
            assert any("again: 1 feed, 1 enabled" in n.message for n in app._notifications)
            # A bad edit: one line, and the feed list from before stays in use.
            path.write_text(path.read_text(encoding="utf-8") + "\n[[feeds]\n", encoding="utf-8")
            app.clear_notifications()
            await pilot.press("ctrl+r")
            await pilot.pause()
            errors = [n.message for n in app._notifications if n.severity == "error"]
            assert len(errors) == 1 and "invalid TOML" in errors[0]
            assert errors[0].startswith("Kept the feeds from before: ") and "\n" not in errors[0]
            assert [f.name for f in service.config.feeds] == ["Legal Desk"]
            # r after another bad edit: the feeds from before are fetched, and the
            # summary of that refresh does not put the error out of sight.
            path.write_text(path.read_text(encoding="utf-8") + "\n[[feeds\n", encoding="utf-8")
            app.clear_notifications()
            summary = app.last_summary
            await pilot.press("r")
            await wait_for(pilot, lambda: app.last_summary is not summary and not app.refreshing)
            await pilot.pause()
            assert "invalid TOML" in footer_message(app)
            assert footer_message(app).startswith("Kept the feeds from before: ")
            assert [f.name for f in service.config.feeds] == ["Legal Desk"]
    finally:
        close_stores(app, service)


async def test_r_after_a_bad_edit_in_sample_mode_keeps_the_error_in_sight(tmp_path: Path) -> None:
    """With the sample standing in (no feeds yet), r after a bad edit said "No enabled
    feeds in …" over the one-line error within a second."""
    path = tmp_path / "feeds.toml"
    path.write_text(config_text([]), encoding="utf-8")
    service = BriefingService(load_config(path), Store(tmp_path / "cache"))
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_for(pilot, lambda: app.service.origin == DataOrigin.SAMPLE, timeout=30)
            await settle(pilot)
            path.write_text(path.read_text(encoding="utf-8") + "\n[[feeds]\n", encoding="utf-8")
            await pilot.press("r")
            await pilot.pause(0.1)
            assert "invalid TOML" in footer_message(app)
            assert footer_message(app).startswith("Kept the feeds from before: ")
            assert not app.refreshing
    finally:
        close_stores(app, service)


async def test_a_fixed_feeds_toml_read_again_replaces_its_error_and_the_error_shows_its_point(
    tmp_path: Path,
) -> None:
    """Issue 14 audit (G3): after a refused edit, the fix and ctrl+r left the error on
    show for its full 7 s, and "Read … again" never appeared. At 120 columns the error's
    end ("kept the feeds from before") was cut off: it comes first now."""
    folder = tmp_path / "a-folder-with-a-rather-long-name" / "and-another-one-below-it"
    folder.mkdir(parents=True)
    path = folder / "feeds.toml"
    path.write_text(config_text([]), encoding="utf-8")
    service = BriefingService(load_config(path), Store(tmp_path / "cache"))
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.service.origin == DataOrigin.SAMPLE, timeout=30)
            await settle(pilot)
            good = path.read_text(encoding="utf-8")
            path.write_text(good + "\n[[feeds]\n", encoding="utf-8")
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert "invalid TOML" in footer_message(app)
            footer = screen_text(app).splitlines()[-1].strip()
            assert footer.startswith("Kept the feeds from before: ")
            assert footer.endswith("…")  # cut, as every cut is, with an ellipsis
            path.write_text(good, encoding="utf-8")
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert footer_message(app).startswith("Read ")
            assert footer_message(app).endswith("again: 0 feeds, 0 enabled.")
    finally:
        close_stores(app, service)


async def test_a_refresh_without_failures_replaces_the_failure_of_the_last_one(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """Issue 14 audit (G3): a refresh that went well left the last one's "Feed failed"
    error on show over its own summary."""
    failing = [True]

    def feed(request: object) -> object:
        from werkzeug import Response

        if failing[0]:
            return Response("down", status=500)
        return Response(
            rss_feed("Legal Desk", FEEDS["Legal Desk"]), content_type="application/rss+xml"
        )

    httpserver.expect_request("/legal.rss").respond_with_handler(feed)  # type: ignore[arg-type]
    legal = {"Legal Desk": FEEDS["Legal Desk"]}
    service = build_service(
        tmp_path / "cache", legal, urls={"Legal Desk": httpserver.url_for("/legal.rss")}
    )
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot)
            summary = app.last_summary
            await pilot.press("R")
            await wait_for(pilot, lambda: app.last_summary is not summary and not app.refreshing)
            await pilot.pause()
            assert footer_message(app).startswith("Feed failed: Legal Desk")
            failing[0] = False
            summary = app.last_summary
            await pilot.press("R")
            await wait_for(pilot, lambda: app.last_summary is not summary and not app.refreshing)
            await pilot.pause()
            assert footer_message(app) and "failed" not in footer_message(app)
    finally:
        close_stores(app, service)


async def test_n_opens_the_highlighted_unread_article_then_goes_on_to_the_next_source(
    tmp_path: Path,
) -> None:
    """Defect 2: a previewed article is not a read one; after the last unread article of
    a feed, n moves to the next feed with unread articles."""
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        sources = app.main_screen.query_one(SourceList)
        sources.focus()
        sources.highlight_id(feed_key("Legal Desk"))
        await pilot.pause()
        rows = list(list_of(app).articles)
        assert [a.source for a in rows] == ["Legal Desk"] * len(rows)
        await pilot.press("n")  # the highlighted (first) unread one itself
        assert app.main_screen.shown_article_id == rows[0].id and list_of(app).articles[0].read
        await pilot.press("n")
        assert app.main_screen.shown_article_id == rows[1].id
        await pilot.press("n")  # Legal Desk is read: on to Tech Daily
        assert app.main_screen.source_key == feed_key("Tech Daily")
        shown = app.main_screen.current_article()
        assert shown is not None and shown.source == "Tech Daily" and shown.read
        assert "No more unread" not in screen_text(app)
    await_store_flags(app)
    service.store.close()


def footer_message(app: BriefingApp) -> str:
    """The message in the footer's place, or "" when the keys show."""
    bar = app.main_screen.query_one(KeyBar)
    if not bar.has_class("-message"):
        return ""
    return str(bar.query_one(MessageLine).render())


def record_footer(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every message the footer is given. Under load a slow mark write may add "The
    cache is busy" after the one a test looks for, so tests look in this list."""
    shown: list[str] = []
    original = KeyBar.show_message

    def show(bar: KeyBar, text: str, severity: str, timeout: float, **options: object) -> None:
        shown.append(text)
        original(bar, text, severity, timeout, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(KeyBar, "show_message", show)
    return shown


async def test_n_into_a_source_shows_the_unread_article_it_opened_not_the_first_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14 audit: n on to a source whose first row is read opened the right article
    but then showed the first row (a queued highlight of row 0 arrived after)."""
    shown = record_footer(monkeypatch)
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        sources = app.main_screen.query_one(SourceList)
        sources.highlight_id(feed_key("Tech Daily"))
        await pilot.pause()
        tech = list(list_of(app).articles)
        await pilot.press("N")  # Tech Daily's first row read
        sources.highlight_id(feed_key("Legal Desk"))
        await pilot.pause()
        await pilot.press("n", "n", "n")  # both of Legal Desk, then on to Tech Daily
        await pilot.pause()
        await pilot.pause()
        screen = app.main_screen
        assert screen.source_key == feed_key("Tech Daily")
        assert screen.shown_article_id == tech[1].id
        assert list_of(app).current is not None and list_of(app).current.id == tech[1].id
        assert tech[1].title in article_text(app)
        assert screen.current_article().read  # type: ignore[union-attr]
        assert "Next unread in Tech Daily" in shown
    await_store_flags(app)
    service.store.close()


async def test_p_into_a_source_goes_on_up_through_its_unread_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """p back into a source opens its last unread article, says "previous", and the next
    p opens the unread one above it (it said "No more unread articles.")."""
    shown = record_footer(monkeypatch)
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        sources = app.main_screen.query_one(SourceList)
        sources.highlight_id(feed_key("Legal Desk"))
        await pilot.pause()
        await pilot.press("A")  # Legal Desk read: nothing before Tech Daily
        sources.highlight_id(feed_key("Tech Daily"))
        await pilot.pause()
        tech = list(list_of(app).articles)
        sources.highlight_id(feed_key("Forum"))
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        screen = app.main_screen
        assert screen.source_key == feed_key("Tech Daily")
        assert screen.shown_article_id == tech[1].id
        assert tech[1].title in article_text(app)
        assert "Previous unread in Tech Daily" in shown and "Next unread in Tech Daily" not in shown
        await pilot.press("p")
        await pilot.pause()
        assert screen.shown_article_id == tech[0].id
        assert all(a.read for a in list_of(app).articles)
        await pilot.press("p")  # nothing before Tech Daily: round to the last feed's last
        assert screen.source_key == feed_key("Forum")
        assert shown[-1] == "Wrapped to the last unread, in Forum"
    await_store_flags(app)
    service.store.close()


async def test_n_from_starred_goes_on_to_the_feeds_with_unread_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """newsboat's n leaves a list with nothing unread for the next feed that has some."""
    shown = record_footer(monkeypatch)
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("s")  # star one article, so Starred lists something, read
        await pilot.press("N")
        sources = app.main_screen.query_one(SourceList)
        sources.highlight_id(feed_key("Legal Desk"))
        await pilot.pause()
        legal = list(list_of(app).articles)
        sources.highlight_id("starred")
        await pilot.pause()
        assert list_of(app).articles and all(a.read for a in list_of(app).articles)
        await pilot.press("n")
        await pilot.pause()
        screen = app.main_screen
        assert screen.source_key == feed_key("Legal Desk")
        first_unread = next(a for a in legal if not a.read)
        assert screen.shown_article_id == first_unread.id
        assert "Next unread in Legal Desk" in shown
    await_store_flags(app)
    service.store.close()


async def test_n_stays_in_a_search_or_a_fact_goes_round_it_and_says_how_to_leave(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list narrowed to a search or a fact is one the user asked for: n and p go round
    it (as newsboat's next-unread goes round a filtered list), never on to the rest, and
    at its end say so, how to leave (esc) and what waits outside. They said "No more
    unread articles." while All sources still had unread ones."""
    shown = record_footer(monkeypatch)
    monkeypatch.setattr(main_screen, "SEARCH_DELAY", SEARCH_DELAY)  # room to act within it
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        data = screen.data
        assert data is not None and data.briefing is not None
        await pilot.press("slash", *"mirrors", "enter")
        await wait_for(pilot, lambda: screen.scope.kind == "search")
        await settle(pilot)  # the search as typed, then as submitted: both shown
        found = list(list_of(app).articles)
        assert 2 <= len(found) < len(data.articles) and not any(a.read for a in found)
        list_of(app).move_cursor(1)  # from the second: round to the first
        await wait_for(pilot, lambda: screen.shown_article_id == found[1].id)
        await pilot.press(*"n" * len(found))
        assert all(a.read for a in list_of(app).articles)
        assert screen.shown_article_id == found[0].id
        assert "Wrapped to the first unread in this list" in shown
        outside = len(data.articles) - len(found)
        await pilot.press("n")
        assert screen.scope.kind == "search" and screen.shown_article_id == found[0].id
        leave = f"No more unread in this list. esc: back to All sources ({outside} unread)"
        assert leave in shown and footer_message(app) == leave
        await pilot.press("escape")
        assert screen.scope.kind == "source"
        # A fact's list: p goes round from its first row to its last, then up.
        found_ids = {a.id for a in found}
        fact = next(
            f
            for f in data.briefing.facts
            if len(fact_articles(f)) >= 2 and not fact_articles(f) & found_ids
        )
        fact_list = screen.query_one(FactList)
        fact_list.focus()
        fact_list.highlight_id(f"fact:{fact.id}")
        await wait_for(pilot, lambda: fact_list.highlighted_id == f"fact:{fact.id}")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.scope.kind == "fact")
        # Closing the search emptied it, and that search of nothing, SEARCH_DELAY later,
        # put the fact's list back to All sources.
        await pilot.pause(SEARCH_DELAY + 0.2)
        assert screen.scope.kind == "fact"
        stating = list(list_of(app).articles)
        assert screen.scope.kind == "fact" and screen.shown_article_id == stating[0].id
        assert not any(a.read for a in stating)
        shown.clear()
        await pilot.press("p")
        assert screen.shown_article_id == stating[-1].id
        assert shown == ["Wrapped to the last unread in this list"]
        await pilot.press(*"p" * (len(stating) - 1))
        assert screen.shown_article_id == stating[0].id
        assert all(a.read for a in list_of(app).articles)
        await pilot.press("p")
        assert screen.scope.kind == "fact"
        outside -= len(stating)
        assert (
            shown[-1] == f"No more unread in this list. esc: back to All sources ({outside} unread)"
        )
    await_store_flags(app)
    service.store.close()


async def test_n_and_p_wrap_round_the_sources_and_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the last source with unread articles n goes on from the first (p from the
    last), as newsboat's goto-next-feed does, and says it wrapped; round to the same
    source it opens the unread article above; All sources goes round itself. At the end
    of Forum (the last feed) n said "No more unread articles." with two feeds unread."""
    shown = record_footer(monkeypatch)
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        sources = screen.query_one(SourceList)
        lists: dict[str, list[str]] = {}
        for name in FEEDS:
            sources.highlight_id(feed_key(name))
            await wait_for(pilot, lambda name=name: screen.source_key == feed_key(name))
            lists[name] = [a.id for a in list_of(app).articles]
        legal, tech, forum = lists["Legal Desk"], lists["Tech Daily"], lists["Forum"]
        assert screen.source_key == feed_key("Forum")  # the last feed
        await pilot.press(*"n" * len(forum))
        assert all(a.read for a in list_of(app).articles)
        await pilot.press("n")
        assert screen.source_key == feed_key("Legal Desk") and screen.shown_article_id == legal[0]
        assert shown[-1] == "Wrapped to the first unread, in Legal Desk"
        # p from there: back past All sources and Starred, round to Tech Daily's last.
        await pilot.press("p")
        assert screen.source_key == feed_key("Tech Daily") and screen.shown_article_id == tech[-1]
        assert shown[-1] == "Wrapped to the last unread, in Tech Daily"
        await pilot.press("p", "n")  # Tech Daily's first; then Legal Desk's second
        assert screen.source_key == feed_key("Legal Desk") and screen.shown_article_id == legal[1]
        assert shown[-1] == "Wrapped to the first unread, in Legal Desk"
        # Round to the same source: its one unread article is above the one on show.
        list_of(app).focus()
        await pilot.press("k", "m", "j")  # legal[0] unread again; legal[1] on show
        assert screen.shown_article_id == legal[1]
        await pilot.press("n")
        assert screen.source_key == feed_key("Legal Desk") and screen.shown_article_id == legal[0]
        assert shown[-1] == "Wrapped to the first unread"
        await pilot.press("n")
        assert shown[-1] == "No more unread articles."
        # All sources, which holds every source, goes round itself.
        sources.highlight_id(ALL_SOURCES)
        await wait_for(pilot, lambda: screen.source_key == ALL_SOURCES)
        everything = [a.id for a in list_of(app).articles]
        await pilot.press("g", "m", "G")  # the first unread again; the last on show
        await pilot.press("n")
        assert screen.source_key == ALL_SOURCES and screen.shown_article_id == everything[0]
        assert shown[-1] == "Wrapped to the first unread"
    await_store_flags(app)
    service.store.close()


def await_store_flags(app: BriefingApp) -> None:
    assert app.flag_writer.wait_idle(10)


async def test_a_user_keymap_rebinds_and_the_footer_and_help_show_it(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(
        config_text([]) + '\n[keys]\ntoggle-star = "S"\nhelp = "f1"\n', encoding="utf-8"
    )
    config = load_config(path)
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path, keymap=keymap_from_config(config))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        shown = app.main_screen.current_article()
        assert shown is not None and shown.starred
        await pilot.press("s")  # no longer bound
        assert app.main_screen.current_article().starred  # type: ignore[union-attr]
        footer = str(app.main_screen.query_one("#key-toggle-star").render())
        assert footer.strip().startswith("S Star")
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        from rich.console import Console

        from briefing.ui.screens.help import help_table

        console = Console(width=120, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
        console.print(help_table(app.keymap, str(path)))
        text = console.export_text()
        assert "  S  " in text and "  f1  " in text
        assert "set in feeds.toml's [keys]" in text and str(path) in text
    service.store.close()


async def test_r_fetches_the_selected_feed_and_shift_r_every_feed(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    for name in ("legal", "tech"):
        httpserver.expect_request(f"/{name}.rss").respond_with_data("<rss/>", status=500)
    urls = {
        "Legal Desk": httpserver.url_for("/legal.rss"),
        "Tech Daily": httpserver.url_for("/tech.rss"),
    }
    feeds = {name: FEEDS[name] for name in urls}
    service = build_service(tmp_path / "cache", feeds, urls=urls)
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        sources = app.main_screen.query_one(SourceList)
        sources.highlight_id(feed_key("Tech Daily"))
        await pilot.pause()
        await pilot.press("r")
        await wait_for(pilot, lambda: app.last_summary is not None and not app.refreshing)
        assert [r.path for r, _ in httpserver.log] == ["/tech.rss"]
        await pilot.press("R")
        await wait_for(pilot, lambda: len(httpserver.log) == 3 and not app.refreshing)
        assert sorted(r.path for r, _ in httpserver.log[1:]) == ["/legal.rss", "/tech.rss"]
    service.store.close()


LINKED = FixtureArticle(
    "linked-1",
    "Anna's Archive: the filings, linked",
    "2026-02-01T10:00:00+00:00",
    '<p>Read <a href="https://court.example/complaint.pdf">the complaint</a>, '
    '<a href="javascript:alert(1)">this</a> and <a href="http://docket.example/">the docket</a>'
    " about Anna's Archive.</p>",
    link="https://example.org/linked-1",
)


async def test_the_url_view_lists_web_links_by_number_and_a_number_opens_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    service = build_service(tmp_path / "cache", {"Legal Desk": [LINKED]})
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        assert isinstance(app.screen, LinksScreen)
        assert [target for _, target in app.screen.links] == [
            "https://example.org/linked-1",
            "https://court.example/complaint.pdf",
            "http://docket.example/",
        ]  # javascript: is not listed
        assert all(not t.startswith("javascript") for _, t in app.screen.links)
        await pilot.press("2")
        await wait_for(pilot, lambda: opened == ["https://court.example/complaint.pdf"])
        assert app.screen is app.main_screen
        # O: open the article's own link and mark it read.
        assert not app.main_screen.current_article().read  # type: ignore[union-attr]
        await pilot.press("O")
        await wait_for(pilot, lambda: opened[-1] == "https://example.org/linked-1")
        assert app.main_screen.current_article().read  # type: ignore[union-attr]
    service.store.close()


async def test_capital_o_marks_read_only_when_a_browser_opened_the_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """O with no browser to open the link ("Link not opened") left the article unread
    as it should be: it was marked read all the same."""
    answers = [False, True]
    opened: list[str] = []

    def browser(url: str, *args: object, **kwargs: object) -> bool:
        opened.append(url)
        return answers.pop(0)

    monkeypatch.setattr(webbrowser, "open", browser)
    service = build_service(tmp_path / "cache", {"Legal Desk": [LINKED]})
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await wait_for(pilot, lambda: any(n.title == "Link not opened" for n in app._notifications))
        assert opened == ["https://example.org/linked-1"]
        assert not app.main_screen.current_article().read  # type: ignore[union-attr]
        await pilot.press("O")
        await wait_for(pilot, lambda: app.main_screen.current_article().read)  # type: ignore[union-attr]
        assert len(opened) == 2
        assert any(n.message.startswith("Opened ") for n in app._notifications)
    await_store_flags(app)
    service.store.close()


async def test_unread_only_hides_read_articles_and_is_remembered(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        everything = len(list_of(app).articles)
        await pilot.press("n", "n")  # read the first two; the second stays on show
        await pilot.press("l")
        assert len(list_of(app).articles) == everything - 1
        assert "unread only" in screen_text(app)
    assert load_prefs().unread_only
    app2 = make_app(service, tmp_path)
    async with app2.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        assert all(not a.read for a in list_of(app2).articles)
        await pilot.press("l")
        assert len(list_of(app2).articles) == everything
    assert not load_prefs().unread_only
    service.store.close()


async def test_a_and_capital_c_mark_read_and_count_in_words(tmp_path: Path) -> None:
    """A marks the list read, C every source; "1 article", never "1 articles"."""
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        sources = app.main_screen.query_one(SourceList)
        sources.focus()
        sources.highlight_id(feed_key("Legal Desk"))
        await pilot.pause()
        legal = len(list_of(app).articles)
        assert legal >= 2
        await pilot.press(*["n"] * (legal - 1))
        app.clear_notifications()
        await pilot.press("A")
        assert [n.message for n in app._notifications] == ["Marked 1 article read."]
        assert all(a.read for a in list_of(app).articles)
        data = app.main_screen.data
        assert data is not None
        unread = sum(1 for a in data.on_topic if not a.read)
        assert unread >= 2
        app.clear_notifications()
        await pilot.press("C")
        assert [n.message for n in app._notifications] == [
            f"Marked {unread} articles read, in every source."
        ]
        assert all(a.read for a in app.main_screen.data.on_topic)  # type: ignore[union-attr]
        app.clear_notifications()
        await pilot.press("C")
        assert [n.message for n in app._notifications] == ["Every article is already read."]
    await_store_flags(app)
    service.store.close()


async def test_colon_opens_the_command_palette(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main_screen)
    service.store.close()


async def test_minus_narrows_the_focused_pane_and_is_remembered(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("1")
        pane = app.main_screen.query_one("#sources-pane")
        before = pane.region.width
        await pilot.press("minus", "minus")
        await pilot.pause()
        narrower = pane.region.width
        assert narrower < before
    assert load_prefs().sources_width == narrower
    again = make_app(service, tmp_path)
    async with again.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        assert again.main_screen.query_one("#sources-pane").region.width == narrower
    service.store.close()


async def test_capital_j_and_k_step_through_the_sources(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        assert app.main_screen.source_key == ALL_SOURCES
        await pilot.press("J", "J")
        assert app.main_screen.source_key == feed_key("Legal Desk")
        assert {a.source for a in list_of(app).articles} == {"Legal Desk"}
        await pilot.press("J")
        assert app.main_screen.source_key == feed_key("Tech Daily")
        await pilot.press("K")
        assert app.main_screen.source_key == feed_key("Legal Desk")
    service.store.close()


async def test_search_matches_are_highlighted_and_brackets_jump_between_them(
    tmp_path: Path,
) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"trillion", "enter")
        await wait_for(pilot, lambda: app.main_screen.scope.kind == "search")
        view = app.main_screen.query_one(ArticleView)
        assert view.matches, "the article found by the search shows its matches"
        document = view.document
        assert document is not None
        words = {document.blocks[m.block].text[m.start : m.end].lower() for m in view.matches}
        assert words == {"trillion"}
        await pilot.press("right_square_bracket")
        assert view.match_position == (1, len(view.matches))
        await pilot.press("right_square_bracket")
        assert view.match_position[0] == min(2, len(view.matches))
        await pilot.press("left_square_bracket")
        assert view.match_position[0] == 1
        await pilot.press("escape")
        assert not view.matches and not view.search_query
    service.store.close()


async def test_a_tag_from_feeds_toml_filters_the_sources(tmp_path: Path) -> None:
    from dataclasses import replace

    service = build_service(tmp_path / "cache")
    tagged = tuple(
        replace(
            f,
            tags=("legal",)
            if f.name == "Legal Desk"
            else ("tech", "legal")
            if f.name == "Tech Daily"
            else (),
        )
        for f in service.config.feeds
    )
    service.use_config(replace(service.config, feeds=tagged))
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        assert isinstance(app.screen, TagScreen) and app.screen.tags == {"legal": 2, "tech": 1}
        shown = screen_text(app)
        assert "legal  2 feeds" in shown and "tech  1 feed" in shown and "1 feeds" not in shown
        await pilot.press("down", "enter")  # "legal"
        sources = app.main_screen.query_one(SourceList)
        assert [k for k in sources.source_keys if k.startswith("feed:")] == [
            feed_key("Legal Desk"),
            feed_key("Tech Daily"),
        ]
        assert {a.source for a in list_of(app).articles} == {"Legal Desk", "Tech Daily"}
        assert "All tagged legal" in screen_text(app)
        await pilot.press("ctrl+t")
        assert feed_key("Forum") in sources.source_keys
    assert load_prefs().tag is None
    service.store.close()


async def test_q_at_80x24_goes_back_one_level_before_it_quits(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the article, alone on screen
        assert app.main_screen.active_pane == "article-pane"
        await pilot.press("q")
        assert app.main_screen.active_pane == "sources-pane"
        assert app.focused is list_of(app)
        await pilot.press("q")
        assert app.focused is app.main_screen.query_one(SourceList)
        assert app.is_running
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running
    service.store.close()


async def test_q_from_a_search_result_at_80x24_goes_back_to_the_results(tmp_path: Path) -> None:
    """Reading an article found by /, q shows the results again; the next q leaves
    the search (it left both at once, and the results were gone)."""
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"trillion")
        await wait_for(pilot, lambda: app.main_screen.scope.key == "trillion")
        await pilot.press("enter", "enter")  # to the results, then the article
        assert app.main_screen.active_pane == "article-pane"
        await pilot.press("q")
        assert app.focused is list_of(app) and app.main_screen.scope.kind == "search"
        await pilot.press("q")
        assert app.main_screen.scope.kind == "source" and app.focused is list_of(app)
        await pilot.press("q")
        assert app.focused is app.main_screen.query_one(SourceList) and app.is_running
    service.store.close()


async def test_theme_screenshot_keys_panel_and_marks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defect 7: the theme is kept; Screenshot works without ~/Downloads; Esc closes the
    Keys panel; 1 goes to the feed list; ✓ (feed OK) is not ● (unread)."""
    home = tmp_path / "home"  # no Downloads in it, whatever the machine running this has
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    working = tmp_path / "working"
    working.mkdir()
    monkeypatch.chdir(working)
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    app.export_dir = None  # as `briefing` runs it: the working directory
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        app.theme = "nord"
        await pilot.pause()
        commands = {c.title: c for c in app.get_system_commands(app.main_screen)}
        commands["Screenshot"].callback()
        await wait_for(pilot, lambda: list(working.glob("*.svg")))
        assert not (home / "Downloads").exists()
        assert not [n for n in app._notifications if n.severity == "error"]
        commands["Keys"].callback()
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert app.screen is app.main_screen
        text = screen_text(app)
        assert "✓ Legal Desk" in text and "● Legal Desk" not in text
    assert load_prefs().theme == "nord"
    app2 = make_app(service, tmp_path)
    async with app2.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        assert app2.theme == "nord"
    service.store.close()


async def test_a_locked_cache_never_stalls_the_reader(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    other = diskcache.Cache(str(tmp_path / "cache"), disk=diskcache.JSONDisk)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with other.transact():
            holding.set()
            release.wait(20)

    holder = threading.Thread(target=hold)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot)
            holder.start()
            holding.wait(5)
            first = list_of(app).articles[0]
            await pilot.press("N")  # marks read: the write waits for the lock
            await pilot.press("j")  # and the reader answers meanwhile
            assert list_of(app).cursor == 1 and list_of(app).articles[0].read
            await wait_for(
                pilot, lambda: any("cache is busy" in n.message for n in app._notifications)
            )
            release.set()
            await wait_for(pilot, lambda: app.flag_writer.pending == 0, timeout=20)
        assert service.store.flags()[first.id][0] is True
    finally:
        release.set()
        if holder.is_alive():
            holder.join()
        other.close()
        service.store.close()


async def test_a_refresh_moves_nothing_and_messages_stay_out_of_the_text(
    tmp_path: Path, threaded_server: HTTPServer
) -> None:
    """Defect 6: the panes stay put while the progress shows; messages take the footer's row."""
    release = threading.Event()

    def held(request: object) -> object:
        from werkzeug import Response

        release.wait(20)
        return Response(
            rss_feed("Legal Desk", FEEDS["Legal Desk"]), content_type="application/rss+xml"
        )

    threaded_server.expect_request("/legal.rss").respond_with_handler(held)
    service = build_service(
        tmp_path / "cache",
        {"Legal Desk": FEEDS["Legal Desk"]},
        urls={"Legal Desk": threaded_server.url_for("/legal.rss")},
    )
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            panes = app.main_screen.query_one("#panes")
            before = panes.region
            await pilot.press("r")
            await wait_for(pilot, lambda: "Refreshing" in screen_text(app))
            assert panes.region == before
            release.set()
            await wait_for(pilot, lambda: not app.refreshing)
            await settle(pilot)
            assert panes.region == before
            footer = app.main_screen.query_one(KeyBar)
            assert footer.has_class("-message")
            assert "1 feed refreshed: 0 new articles" in screen_text(app).splitlines()[-1]
            assert footer.region.y == 23
    finally:
        release.set()
        service.store.close()


async def test_at_80x24_the_sample_notice_keeps_its_reason_and_lists_your_feeds(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """Defects 4 and 5: the reason stays readable at 80 columns (it comes first, and a
    cut ends in '…'), and the user's feeds, each with its error, are listed under
    the feeds.toml in use."""
    httpserver.expect_request("/gone.rss").respond_with_data("gone", status=404)
    httpserver.expect_request("/down.rss").respond_with_data("down", status=503)
    path = tmp_path / "feeds.toml"
    feeds = [("Legal Desk", "/gone.rss"), ("Tech Daily", "/gone.rss"), ("Court Desk", "/down.rss")]
    path.write_text(
        config_text([(name, httpserver.url_for(url)) for name, url in feeds]), encoding="utf-8"
    )
    service = BriefingService(load_config(path), Store(tmp_path / "cache"))
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.service.origin == DataOrigin.SAMPLE, timeout=30)
            await settle(pilot)
            text = screen_text(app)
            notice = " ".join(line.strip() for line in text.split(" 1 Sources")[0].splitlines()[1:])
            assert "No feed could be reached (HTTP 404: 2, HTTP 503: 1)" in notice
            assert notice.endswith(("Press r to try again.", "…")), notice
            sources = app.main_screen.query_one(SourceList)
            prompts = [
                str(sources.get_option_at_index(n).prompt) for n in range(sources.option_count)
            ]
            # Cut in the middle to fit, if need be: the file name stays.
            heading = next(p for p in prompts if p.startswith("Your feeds ("))
            assert heading.endswith("/feeds.toml)") and str(tmp_path)[:8] in heading
            assert any(p.startswith("✖ Legal Desk") and "HTTP 404" in p for p in prompts)
            sources.highlight_id("yours:Legal Desk")
            await pilot.pause()
            view = app.main_screen.query_one(ArticleView)
            assert view.empty_text.startswith("No articles from Legal Desk yet: HTTP 404")
    finally:
        close_stores(app, service)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_long_feeds_toml_path_is_cut_in_the_middle_keeping_the_file_name(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """ "Your feeds (/very/long/path/feeds.toml)" was cut at its end, the file name with it."""
    folder = tmp_path / ("a-folder-with-a-name-long-enough-to-matter-" * 2)
    folder.mkdir()
    path = folder / "feeds.toml"
    path.write_text(
        config_text([]) + '\n[[feeds]]\nname = "Off"\nurl = "https://feeds.invalid/off"\n'
        "enabled = false\n",
        encoding="utf-8",
    )
    service = BriefingService(load_config(path), Store(tmp_path / "cache"))
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: app.service.origin == DataOrigin.SAMPLE, timeout=30)
            await settle(pilot)
            await pilot.press("1", "G")  # the end of the Sources list, where yours are
            await pilot.pause()
            line = next(row for row in screen_text(app).splitlines() if "Your feeds (" in row)
            heading = line.split("Your feeds (")[1].split(")")[0]
            assert heading.endswith("…/feeds.toml") and heading.startswith(str(tmp_path)[:4]), line
            assert line.split("feeds.toml)")[0].count("…") == 1, line
    finally:
        close_stores(app, service)


def test_fixture_ids_are_stable() -> None:
    assert fixture_id("Legal Desk", "linked-1") != fixture_id("Tech Daily", "linked-1")
    assert body("a") == "<p>a</p>"
