"""Issue 14, defect 4: what is cut, and how, at the README's sizes; and the panes'
sizes the user sets with the mouse. Pilot tests over the bundled sample."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from _ui_helpers import FIXED_NOW, painted_text, screen_text, settle, wait_for
from rich.cells import cell_len

from briefing.core.service import BriefingService, open_sample, sample_cache_dir
from briefing.ui.app import BriefingApp
from briefing.ui.layout import MIN_ARTICLE_HEIGHT
from briefing.ui.prefs import load_prefs
from briefing.ui.reports import sample_fallback_notice
from briefing.ui.widgets.lists import FactList
from briefing.ui.widgets.status import NoticeLine


@pytest.fixture(scope="module")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample cache, built once; each test gets a copy to read and mark."""
    cache_dir = tmp_path_factory.mktemp("sample-template")
    open_sample(cache_dir).store.close()
    return cache_dir


@pytest.fixture
def sample(sample_template: Path, tmp_path: Path) -> Iterator[BriefingService]:
    cache_dir = tmp_path / "cache"
    shutil.copytree(sample_cache_dir(sample_template), sample_cache_dir(cache_dir))
    service = open_sample(cache_dir)
    yield service
    service.store.close()


def sample_app(service: BriefingService, tmp_path: Path) -> BriefingApp:
    return BriefingApp(
        service, cache_dir=service.store.directory, now=lambda: FIXED_NOW, export_dir=tmp_path
    )


def value_lines(fact_list: FactList) -> list[str]:
    return [
        str(fact_list.get_option_at_index(n).prompt).split("\n")[-1]
        for n in range(fact_list.option_count)
    ]


def facts_ready(app: BriefingApp) -> bool:
    data = app.main_screen.data
    return data is not None and data.briefing is not None


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_every_fact_row_fits_its_pane_or_counts_the_rest(
    sample: BriefingService, tmp_path: Path, size: tuple[int, int]
) -> None:
    """A row is built for the width it is shown at: with the scrollbar, and in the
    one-pane layout once the Key facts pane shows (it was measured while hidden)."""
    app = sample_app(sample, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: facts_ready(app))
        await pilot.press("2")
        await pilot.pause()
        fact_list = app.main_screen.query_one(FactList)
        width = fact_list.scrollable_content_region.width
        lines = value_lines(fact_list)
        assert lines and all(cell_len(line) <= width for line in lines), width
        assert not any(line.endswith("…") for line in lines if " | " in line), lines
        if size == (80, 24):  # 76 cells: the three dates of the complaint fit
            assert "  Dec. 29, 2025 | January 2, 2026 | December 22, 2025" in lines


async def test_one_line_labels_end_in_an_ellipsis_when_cut(
    sample: BriefingService, tmp_path: Path
) -> None:
    """At 160x50 the coverage line under the Key facts is wider than its pane."""
    app = sample_app(sample, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        line = next(row for row in screen_text(app).splitlines() if "Articles per day" in row)
        shown = line.split("Articles per day")[1].split("▕")[0].split("│")[0].rstrip()
        assert shown.endswith((")", "…")), shown


async def test_dragging_the_line_between_panes_resizes_them_and_is_kept(
    sample: BriefingService, tmp_path: Path
) -> None:
    """A Textual user drags the line between two panes; the next launch keeps the sizes."""
    app = sample_app(sample, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        sources = screen.query_one("#sources-pane")
        edge = sources.region.right - 1
        y = sources.region.y + 5
        await pilot.hover(offset=(edge, y))
        assert sources.has_class("-edge")  # it lights up: it can be dragged
        await pilot.mouse_down(offset=(edge, y))
        await pilot.hover(offset=(edge + 12, y))
        await pilot.hover(offset=(edge + 20, y))
        await pilot.mouse_up(offset=(edge + 20, y))
        await pilot.pause()
        assert sources.region.width == edge + 21
        facts = screen.query_one("#facts-pane")
        facts_edge = facts.region.right - 1
        await pilot.mouse_down(offset=(facts_edge, y))
        await pilot.hover(offset=(facts_edge - 6, y))
        await pilot.mouse_up(offset=(facts_edge - 6, y))
        await pilot.pause()
        assert facts.region.width == facts_edge - 6 - facts.region.x + 1
        kept = (sources.region.width, facts.region.width)
    assert (load_prefs().sources_width, load_prefs().facts_size) == kept
    again = sample_app(sample, tmp_path)
    async with again.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        screen = again.main_screen
        assert (
            screen.query_one("#sources-pane").region.width,
            screen.query_one("#facts-pane").region.width,
        ) == kept
        # A click inside a pane is a click, not a drag.
        await pilot.click(offset=(5, y))
        assert screen._dragging is None


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40)])
async def test_the_footer_always_shows_help_and_quit(
    sample: BriefingService, tmp_path: Path, size: tuple[int, int]
) -> None:
    """At 100 columns the footer's keys ran under the palette's: '? ^p palette'."""
    app = sample_app(sample, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.clear_notifications()
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "? Help" in footer and "q Quit" in footer and footer.rstrip().endswith("^p palette")
        if size[0] >= 120:
            assert "T Timeline" in footer


async def test_the_article_keeps_its_rows_beside_a_standing_notice(
    sample: BriefingService, tmp_path: Path
) -> None:
    """The notice's two rows are not the panes': + on the Key facts stops while the
    Article still has its minimum."""
    app = sample_app(sample, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        screen.show_notice(sample_fallback_notice([]))
        await pilot.press("2", *["plus"] * 20)
        await pilot.pause()
        assert screen.query_one(NoticeLine).region.height == 2
        assert screen.query_one("#article-pane").region.height >= MIN_ARTICLE_HEIGHT


@pytest.mark.parametrize("origin", ["SAMPLE", "cache, 23 hours old"])
async def test_the_refresh_progress_keeps_its_count_whole_at_80x24(
    sample: BriefingService, tmp_path: Path, origin: str
) -> None:
    """The count was cut to "Refreshing ━━━╺━━ 2/…": the bar gives way, not the total."""
    app = sample_app(sample, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        screen.show_origin(sample.config.topic.name, origin, "")
        screen.show_status("1,234 articles · 1,200 unread")
        screen.refresh_started(14)
        screen.refresh_advanced(2, 14, "Sample Legal Wire")
        header = (await painted_text(pilot)).splitlines()[0]
        assert header.startswith(" Refreshing ━") and " 2/14" in header, header
        assert header.rstrip().endswith(origin), header
        screen.refresh_advanced(120, 1400, "Sample Legal Wire", unit="pages", failed=3)
        header = (await painted_text(pilot)).splitlines()[0]
        assert " 120/1400" in header and header.rstrip().endswith(origin), header
        assert "3 failed" in header, header  # the failures are never the part cut
        screen.refresh_stopped()
