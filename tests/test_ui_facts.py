"""The key facts in the reader (issue 10): a revised fact shows its history and why
its figures are one fact, a fact that changed since the last visit is marked, the
timeline marks disputed dates, and a timeline event opens its article at the dated
sentence, highlighted, as a fact's quote does."""

from __future__ import annotations

import asyncio
from pathlib import Path

from _ui_helpers import make_app, settle
from textual.app import App, ComposeResult

from briefing.core.models import FactValue, FigureKind, KeyFact, TimelineEvent, ValueReport
from briefing.core.service import open_sample
from briefing.core.textclean import article_plain_text
from briefing.ui.view import fact_changes, fact_signature
from briefing.ui.widgets.article_view import ArticleView
from briefing.ui.widgets.lists import FactDetail, FactList

TOLL = KeyFact(
    id="count-people-killed",
    label="People killed",
    kind=FigureKind.COUNT,
    status="revised",
    values=(
        FactValue("2,946", 2946.0, "people", ("Wire", "Daily"), ("c", "d"), ("q3", "q4")),
        FactValue("296", 296.0, "people", ("Post",), ("a",), ("q1",)),
    ),
    note="Revised: 296 (reported 2023-09-09), then 2,946 (reported 2023-09-13).",
    why=("same words: killed", "“deaths” and “people” give the same 2,946 (2 sources)"),
    history=(
        ValueReport("296", 296.0, "2023-09-09", "2023-09-09", ("Post",)),
        ValueReport("2,946", 2946.0, "2023-09-13", "2023-09-14", ("Wire", "Daily")),
    ),
)


def test_a_fact_is_new_or_changed_against_what_the_last_visit_saw() -> None:
    assert fact_changes([TOLL], None) == (set(), set())  # a first visit: nothing to compare
    assert fact_changes([TOLL], {}) == ({TOLL.id}, set())
    assert fact_changes([TOLL], {TOLL.id: fact_signature(TOLL)}) == (set(), set())
    assert fact_changes([TOLL], {TOLL.id: "differs|296.0"}) == (set(), {TOLL.id})
    assert fact_changes([TOLL], {TOLL.id: ""}) == (set(), set())  # seen before signatures


class _Panes(App[None]):
    def compose(self) -> ComposeResult:
        yield FactList(id="fact-list")
        yield FactDetail(id="fact-detail")


def _lines(widget: FactDetail | FactList) -> str:
    return "\n".join(
        widget.render_line(y).text for y in range(widget.scrollable_content_region.height)
    )


async def test_a_revised_fact_shows_its_history_and_why_it_is_one_fact() -> None:
    app = _Panes()
    async with app.run_test(size=(100, 40)) as pilot:
        detail = app.query_one(FactDetail)
        detail.show_fact(TOLL, {})
        await pilot.pause()
        shown = _lines(detail)
        assert "How it was revised:" in shown
        assert "2023-09-09  296" in shown and "2023-09-13 to 2023-09-14  2,946" in shown
        assert "Why one fact:" in shown and "“deaths” and “people”" in shown


async def test_the_timeline_marks_disputed_dates_and_a_changed_fact_is_marked() -> None:
    events = [
        TimelineEvent("2025-12-22", "Complaint filed", ("Forum",), ("a",), "date-complaint"),
        TimelineEvent("2025-12-29", "Complaint filed", ("Wire",), ("b",), "date-complaint"),
        TimelineEvent("2026-01-20", "Injunction", ("Wire",), ("b",), "date-injunction"),
    ]
    app = _Panes()
    async with app.run_test(size=(100, 30)) as pilot:
        fact_list = app.query_one(FactList)
        from briefing.core.facts import timeline_disputes

        fact_list.show_timeline(events, empty="none", disputes=timeline_disputes(events))
        await pilot.pause()
        lines = [str(fact_list.get_option_at_index(i).prompt) for i in range(3)]
        assert all("disputed: 2 dates" in line for line in lines[:2])
        assert "disputed" not in lines[2]
        fact_list.show_facts([TOLL], set(), empty="none", changed_ids={TOLL.id})
        await pilot.pause()
        assert "CHANGED" in str(fact_list.get_option_at_index(0).prompt)


async def test_a_timeline_event_opens_its_article_at_the_dated_sentence(tmp_path: Path) -> None:
    service = await asyncio.to_thread(open_sample, tmp_path / "cache")
    app = make_app(service, tmp_path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.main_screen
            fact_list, detail = screen.query_one(FactList), screen.query_one(FactDetail)
            view = screen.query_one(ArticleView)
            data = app.main_screen.data
            assert data is not None and data.briefing is not None
            await pilot.press("T")
            assert app.main_screen.timeline
            events = data.timeline()
            number = next(i for i, e in enumerate(events) if e.label == "Complaint filed")
            fact_list.focus()
            fact_list.highlighted = number
            await pilot.press("enter")
            assert app.focused is detail
            target = detail.targets[detail.highlighted_id or ""]
            article_id, start, end = target
            assert end > start  # the dated sentence, not the article's top
            await pilot.press("enter")
            assert view.document is not None and view.document.article_id == article_id
            emphasis = view.emphasis
            assert emphasis is not None
            article = data.article(article_id)
            assert article is not None
            sentence = article_plain_text(article.title, article.body_html)[start:end]
            block = view.document.blocks[emphasis.block]
            assert " ".join(block.text[emphasis.start : emphasis.end].split()) == " ".join(
                sentence.split()
            )
    finally:
        service.store.close()
