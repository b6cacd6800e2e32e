"""What a new user's first walk through the reader found: each test failed before its fix."""

from __future__ import annotations

import asyncio
from pathlib import Path

from _ui_helpers import FIXED_NOW, build_service, make_app, screen_text, settle

from briefing.core.service import open_sample
from briefing.ui.widgets.lists import FactDetail, FactList


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
