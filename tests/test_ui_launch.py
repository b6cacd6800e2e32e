"""The reader's launch over a cache larger than a screen: the first frame comes from
the indexes, the whole list right after, bodies and a fact's quotes when shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _ui_helpers import (
    FixtureArticle,
    body,
    build_service,
    fixture_id,
    make_app,
    make_config,
    placeholder_url,
    settle,
    wait_for,
)
from textual.widgets import Label

from briefing.core.service import BriefingService
from briefing.core.store import Store
from briefing.ui.app import BriefingApp
from briefing.ui.messages import DataLoaded
from briefing.ui.screens.main import MainScreen
from briefing.ui.view import FIRST_ROWS
from briefing.ui.widgets.article_list import ArticleList
from briefing.ui.widgets.lists import FactDetail, FactList

FEED_NAMES = ("Court Wire", "Music Ledger", "Archive Watch")
PER_FEED = 45  # 135 on topic: more than the first screen's rows


def many_feeds() -> dict[str, list[FixtureArticle]]:
    feeds: dict[str, list[FixtureArticle]] = {}
    for number, name in enumerate(FEED_NAMES):
        items = [
            FixtureArticle(
                f"{name[:3].lower()}-{n}",
                f"{name} note {n} on Anna's Archive",
                f"2026-01-{1 + n % 28:02d}T{number + 8:02d}:{n % 60:02d}:00+00:00",
                body(
                    f"The filing says Anna's Archive copied {80 + n % 7} million files.",
                    "The plaintiffs seek about $13 trillion in damages.",
                ),
            )
            for n in range(PER_FEED)
        ]
        items.append(
            FixtureArticle(
                f"{name[:3].lower()}-off",
                f"{name} weekend crossword",
                "2026-01-30T12:00:00+00:00",
                body("A puzzle about lighthouses and a zebracorn, with no story in it."),
            )
        )
        feeds[name] = items
    return feeds


def earlier_session(cache: Path) -> str:
    """A cache as an earlier session left it: the key facts stored, one off-topic
    article starred. Returns the starred article's id."""
    service = build_service(cache, many_feeds())
    starred = fixture_id("Music Ledger", "mus-off")
    service.set_starred([starred], True)
    service.briefing()
    service.store.close()
    return starred


def new_process(cache: Path) -> BriefingService:
    config = make_config((name, placeholder_url(name)) for name in FEED_NAMES)
    return BriefingService(config, Store(cache))


async def test_launch_paints_from_the_indexes_then_lists_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starred = earlier_session(tmp_path / "cache")
    service = new_process(tmp_path / "cache")
    store = service.store
    reads: list[str] = []
    real_read = store._read_article
    monkeypatch.setattr(store, "_read_article", lambda i: reads.append(i) or real_read(i))

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the reader's launch read every article")

    monkeypatch.setattr(store, "load_articles", never)
    app = make_app(service, tmp_path)
    loads: list[tuple[bool, int, str]] = []
    real_loaded = BriefingApp.on_data_loaded

    def on_data_loaded(self: BriefingApp, message: DataLoaded) -> None:
        real_loaded(self, message)
        counts = self.main_screen.query_one("#header-counts", Label)
        loads.append((message.data.partial, len(message.data.articles), str(counts.content)))

    monkeypatch.setattr(BriefingApp, "on_data_loaded", on_data_loaded)
    prepared: list[str | None] = []  # the article on show whenever its neighbours are
    real_prefetch = MainScreen._prefetch_neighbours

    def prefetch(self: MainScreen) -> None:
        real_prefetch(self)
        prepared.append(self.shown_article_id)

    monkeypatch.setattr(MainScreen, "_prefetch_neighbours", prefetch)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        # The neighbours of the first article on show are prepared on a timer: let
        # it run, so its reads count here and not as reads of the last article's.
        await wait_for(pilot, lambda: bool(prepared))
        on_topic = len(FEED_NAMES) * PER_FEED
        # The first frame: the newest rows only, with the totals of the indexes.
        partial, rows, header = loads[0]
        assert partial and rows == FIRST_ROWS
        assert f"{on_topic} articles · {on_topic} unread" in header
        # Then every row, the starred off-topic article among them, without bodies.
        assert [load[:2] for load in loads[1:]] == [(False, on_topic + 1)]
        data = app.main_screen.data
        assert data is not None and not data.partial
        assert data.row(starred) is not None and data.starred_count() == 1
        article_list = app.main_screen.query_one(ArticleList)
        assert len(article_list.articles) == on_topic
        shown, below = (row.id for row in article_list.articles[:2])
        assert set(reads) <= {shown, below, starred}  # on show, prepared for j, starred
        # A body is read when its article is shown, once.
        reads.clear()
        article_list.focus()
        await pilot.press("end")
        last = article_list.articles[-1].id
        await wait_for(pilot, lambda: app.main_screen.shown_article_id == last)
        await wait_for(pilot, lambda: prepared[-1] == last)  # its neighbours too
        assert last in reads and len(set(reads)) <= 2
        whole = data.article(last)
        assert whole is not None and "copied" in whole.body_html
        # Marking every row read reads no body on screen (the store's writer reads
        # each record for its feed: that is in the flag writer's thread).
        bodies: list[str] = []
        read_article = data.read_article
        assert read_article is not None
        data.read_article = lambda i: bodies.append(i) or read_article(i)
        await pilot.press("A")
        await wait_for(pilot, lambda: data.unread_on_topic() == 0)
        assert bodies == []
        # The key facts: the stored summary, a fact's quotes read when it is opened.
        assert data.briefing is not None and "summary_of" in data.briefing.extra
        assert not any(v.quotes for f in data.briefing.facts for v in f.values)
        fact_list = app.main_screen.query_one(FactList)
        fact_list.focus()
        await pilot.press("enter")
        detail = app.main_screen.query_one(FactDetail)
        assert app.focused is detail and detail.targets  # its quotes, each a target
        fact = data.fact(detail.fact_id or "")
        assert fact is not None and all(v.quotes for v in fact.values)


async def test_search_reaches_articles_without_a_row(tmp_path: Path) -> None:
    earlier_session(tmp_path / "cache")
    service = new_process(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        data = app.main_screen.data
        assert data is not None
        off_topic = fixture_id("Court Wire", "cou-off")
        assert data.row(off_topic) is None  # off topic, not starred: no row
        await pilot.press("slash", *"zebracorn")  # in off-topic bodies only
        await wait_for(pilot, lambda: app.main_screen.scope.key == "zebracorn")
        found = {a.id for a in app.main_screen.query_one(ArticleList).articles}
        assert found == {fixture_id(name, f"{name[:3].lower()}-off") for name in FEED_NAMES}
        article: Any = data.article(off_topic)
        assert article is not None and "zebracorn" in article.body_html
