"""Regenerate screenshots/*.svg and *.png from the bundled sample.

    python -m briefing.screenshots [--out screenshots] [--no-png]

Each view is the real app driven by Textual's Pilot over the sample cache,
built afresh in a temporary directory. PNGs are made with cairosvg when it is
installed (``pip install cairosvg``); without it only the SVGs are written.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

from briefing.core.models import Article
from briefing.core.service import open_sample
from briefing.ui.app import BriefingApp
from briefing.ui.widgets.article_list import ArticleList

FIXED_NOW = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
"""Screens never show the real clock, so screenshots only change when the UI does."""

Steps = Callable[[Pilot[int]], Awaitable[None]]


async def settle(pilot: Pilot[int]) -> None:
    """Wait until the cache is loaded and painted."""
    app = pilot.app
    assert isinstance(app, BriefingApp)
    for _ in range(200):
        if app.loaded and app.main_screen.data is not None and not app.busy:
            break
        await pilot.pause(0.02)
    await pilot.pause()


async def clear_toasts(pilot: Pilot[int]) -> None:
    pilot.app.clear_notifications()
    await pilot.pause()


def is_hostile(article: Article) -> bool:
    """The sample's safety-test item: markup and escapes in its title, shown literally."""
    return "[" in article.title


async def select_first(pilot: Pilot[int], wanted: Callable[[Article], bool]) -> None:
    app = pilot.app
    assert isinstance(app, BriefingApp)
    article_list = app.main_screen.query_one(ArticleList)
    for article in article_list.articles:
        if wanted(article):
            article_list.select_article(article.id)
            break
    await pilot.pause()


async def main_view(pilot: Pilot[int]) -> None:
    """A normal article: a first look should not be the hostile test item."""
    await settle(pilot)
    await clear_toasts(pilot)
    await select_first(pilot, lambda article: not is_hostile(article))


async def hostile_view(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await clear_toasts(pilot)
    await select_first(pilot, is_hostile)


async def fact_detail_view(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await clear_toasts(pilot)
    await pilot.press("tab", "enter")
    await pilot.pause()
    await pilot.press("down", "enter")
    await pilot.pause()


async def timeline_view(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await clear_toasts(pilot)
    await pilot.press("T", "tab", "tab")
    await pilot.pause()


async def narrow_facts_view(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await clear_toasts(pilot)
    await pilot.press("tab", "tab")
    await pilot.pause()


async def narrow_article_view(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await clear_toasts(pilot)
    await pilot.press("enter")
    await pilot.pause()


async def search_view(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await clear_toasts(pilot)
    await pilot.press("slash", *"trillion")
    await pilot.pause(0.4)
    await settle(pilot)


async def help_view(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await clear_toasts(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


@dataclass(frozen=True)
class View:
    name: str
    size: tuple[int, int]
    steps: Steps
    title: str


VIEWS = (
    View("main-160x50", (160, 50), main_view, "briefing: three panes (sample)"),
    View("main-120x40", (120, 40), main_view, "briefing at 120x40 (sample)"),
    View("main-100x30", (100, 30), main_view, "briefing at 100x30 (sample)"),
    View("main-80x24", (80, 24), main_view, "briefing at 80x24: sources and articles"),
    View("hostile-title", (120, 40), hostile_view, "briefing: a hostile title shown literally"),
    View("fact-detail", (160, 50), fact_detail_view, "briefing: a key fact and its sentence"),
    View("timeline", (160, 50), timeline_view, "briefing: timeline"),
    View("search", (120, 40), search_view, "briefing: search"),
    View("narrow-80x24-facts", (80, 24), narrow_facts_view, "briefing at 80x24: key facts"),
    View("narrow-80x24-article", (80, 24), narrow_article_view, "briefing at 80x24: article"),
    View("help", (120, 40), help_view, "briefing: keys"),
)


async def take(view: View, cache_dir: Path) -> str:
    # open_sample runs its own event loop, so it cannot run on this one.
    service = await asyncio.to_thread(open_sample, cache_dir)
    try:
        with tempfile.TemporaryDirectory() as export_dir:
            app = BriefingApp(
                service, cache_dir=cache_dir, now=lambda: FIXED_NOW, export_dir=Path(export_dir)
            )
            async with app.run_test(size=view.size) as pilot:
                await view.steps(pilot)
                return app.export_screenshot(title=view.title)
    finally:
        service.store.close()


def svg_to_png(svg: str, target: Path) -> bool:
    try:
        import cairosvg  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except (ImportError, OSError):
        return False
    # The SVG asks for Fira Code from the web; render with a local monospace font
    # instead, or a proportional fallback would misplace every styled span.
    local = svg.replace("Fira Code, monospace", "DejaVu Sans Mono, monospace")
    cairosvg.svg2png(bytestring=local.encode("utf-8"), write_to=str(target), scale=1.0)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m briefing.screenshots")
    parser.add_argument("--out", default="screenshots", help="folder for the images")
    parser.add_argument("--no-png", action="store_true", help="write the SVGs only")
    parser.add_argument("--only", nargs="*", help="names of the views to take")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    png_missing = False
    with tempfile.TemporaryDirectory() as temporary:
        for view in VIEWS:
            if args.only and view.name not in args.only:
                continue
            # A fresh copy of the sample per view, so no view sees another's read marks.
            svg = asyncio.run(take(view, Path(temporary) / view.name))
            (out / f"{view.name}.svg").write_text(svg, encoding="utf-8")
            wrote_png = not args.no_png and svg_to_png(svg, out / f"{view.name}.png")
            png_missing = png_missing or (not args.no_png and not wrote_png)
            print(f"{out / view.name}.svg" + (" + .png" if wrote_png else ""))
    if png_missing:
        print("cairosvg is not installed: PNGs were not written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
