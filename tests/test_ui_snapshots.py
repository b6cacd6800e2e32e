"""Snapshot tests of the reader's screens over the bundled sample.

Run ``pytest tests/test_ui_snapshots.py --snapshot-update`` after a deliberate
UI change, look at the new SVGs, and commit them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _ui_helpers import FIXED_NOW, settle, wait_for
from textual.pilot import Pilot

from briefing.core.service import open_sample, sample_cache_dir
from briefing.ui.app import BriefingApp

SnapCompare = Callable[..., bool]


@pytest.fixture(scope="module")
def sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample cache, built once; each test gets a copy to read and mark."""
    cache_dir = tmp_path_factory.mktemp("sample-template")
    open_sample(cache_dir).store.close()
    return cache_dir


@pytest.fixture
def sample_app(sample_template: Path, tmp_path: Path) -> Iterator[BriefingApp]:
    cache_dir = tmp_path / "cache"
    shutil.copytree(sample_cache_dir(sample_template), sample_cache_dir(cache_dir))
    service = open_sample(cache_dir)
    app = BriefingApp(service, cache_dir=cache_dir, now=lambda: FIXED_NOW, export_dir=tmp_path)
    yield app
    service.store.close()


async def quiet(pilot: Pilot[int]) -> None:
    """Loaded, and without the sample's notice toast (its fade timing is not ours)."""
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


def test_main_screen_120x40(snap_compare: SnapCompare, sample_app: BriefingApp) -> None:
    assert snap_compare(sample_app, terminal_size=(120, 40), run_before=quiet)


def test_main_screen_80x24(snap_compare: SnapCompare, sample_app: BriefingApp) -> None:
    assert snap_compare(sample_app, terminal_size=(80, 24), run_before=quiet)


def test_help_screen(snap_compare: SnapCompare, sample_app: BriefingApp) -> None:
    async def open_help(pilot: Pilot[int]) -> None:
        await quiet(pilot)
        await pilot.press("question_mark")

    assert snap_compare(sample_app, terminal_size=(120, 40), run_before=open_help)


def test_fact_detail_view(snap_compare: SnapCompare, sample_app: BriefingApp) -> None:
    async def open_fact_then_quote(pilot: Pilot[int]) -> None:
        await quiet(pilot)
        await pilot.press("tab", "enter")  # select the first key fact
        await pilot.press("down", "enter")  # its second quote, in its article

    assert snap_compare(sample_app, terminal_size=(160, 50), run_before=open_fact_then_quote)


def test_facts_pane_80x24(snap_compare: SnapCompare, sample_app: BriefingApp) -> None:
    async def facts(pilot: Pilot[int]) -> None:
        await quiet(pilot)
        await pilot.press("2")

    assert snap_compare(sample_app, terminal_size=(80, 24), run_before=facts)


def test_article_pane_80x24(snap_compare: SnapCompare, sample_app: BriefingApp) -> None:
    async def article(pilot: Pilot[int]) -> None:
        await quiet(pilot)
        await pilot.press("enter")

    assert snap_compare(sample_app, terminal_size=(80, 24), run_before=article)


def test_search_with_matches_120x40(snap_compare: SnapCompare, sample_app: BriefingApp) -> None:
    async def search(pilot: Pilot[int]) -> None:
        await quiet(pilot)
        await pilot.press("slash", *"trillion", "enter")
        app = pilot.app
        assert isinstance(app, BriefingApp)
        await wait_for(pilot, lambda: app.main_screen.scope.key == "trillion")
        await settle(pilot)
        await pilot.press("right_square_bracket")
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(sample_app, terminal_size=(120, 40), run_before=search)


def test_timeline_120x40(snap_compare: SnapCompare, sample_app: BriefingApp) -> None:
    async def timeline(pilot: Pilot[int]) -> None:
        await quiet(pilot)
        await pilot.press("T")

    assert snap_compare(sample_app, terminal_size=(120, 40), run_before=timeline)
