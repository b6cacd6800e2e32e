"""The README's screenshots: what each view shows, driven exactly as `python -m briefing.screenshots`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from _ui_helpers import screen_text

from briefing.core.service import open_sample
from briefing.screenshots import VIEWS, View
from briefing.ui.app import BriefingApp
from briefing.ui.widgets.article_view import ArticleView

VIEW = {view.name: view for view in VIEWS}


async def shown_title(view: View, cache_dir: Path) -> tuple[str, str]:
    """The title of the article on show after the view's steps, and the screen."""
    service = await asyncio.to_thread(open_sample, cache_dir)
    try:
        app = BriefingApp(service, cache_dir=cache_dir, export_dir=cache_dir)
        async with app.run_test(size=view.size) as pilot:
            await view.steps(pilot)
            document = app.main_screen.query_one(ArticleView).document
            assert document is not None
            article = app.main_screen.data.article(document.article_id)  # type: ignore[union-attr]
            assert article is not None
            return article.title, screen_text(app)
    finally:
        service.store.close()


@pytest.mark.parametrize("name", ["main-160x50", "main-120x40"])
async def test_the_main_screenshots_show_a_normal_article(name: str, tmp_path: Path) -> None:
    title, _ = await shown_title(VIEW[name], tmp_path / "cache")
    assert "[" not in title and "\x1b" not in title


async def test_the_hostile_title_has_a_screenshot_of_its_own(tmp_path: Path) -> None:
    view = VIEW["hostile-title"]
    assert view.title == "briefing: a hostile title shown literally"
    title, shown = await shown_title(view, tmp_path / "cache")
    assert title.startswith("[red]Anna's Archive[/red]")
    assert "[red]Anna's Archive[/red] mirror list" in shown  # literally, not as markup
