"""The reader driven through Textual's Pilot over a real diskcache."""

from __future__ import annotations

from pathlib import Path

import pytest
from _ui_helpers import (
    FEEDS,
    FIXED_NOW,
    HOSTILE_ESCAPE_SHOWN,
    HOSTILE_ESCAPE_TITLE,
    HOSTILE_LINK_TITLE,
    HOSTILE_MARKUP_TITLE,
    build_service,
    fixture_id,
    make_app,
    screen_text,
    settle,
    wait_for,
)

from briefing.core.facts import fact_articles
from briefing.core.service import DataOrigin
from briefing.core.store import Store
from briefing.core.textclean import article_plain_text, clean_line
from briefing.ui.app import BriefingApp
from briefing.ui.screens.help import HelpScreen
from briefing.ui.view import ALL_SOURCES, feed_key
from briefing.ui.widgets.article_list import ArticleList
from briefing.ui.widgets.article_view import ArticleView
from briefing.ui.widgets.lists import STATUS_MARKS, FactDetail, FactList, SourceList


def widgets(app: BriefingApp) -> tuple[SourceList, ArticleList, FactList, FactDetail, ArticleView]:
    screen = app.main_screen
    return (
        screen.query_one(SourceList),
        screen.query_one(ArticleList),
        screen.query_one(FactList),
        screen.query_one(FactDetail),
        screen.query_one(ArticleView),
    )


def on_topic_ids() -> set[str]:
    return {
        fixture_id(feed, item.guid)
        for feed, items in FEEDS.items()
        for item in items
        if "Crossword" not in item.title
    }


async def test_start_paints_the_cached_articles_newest_first(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        _, article_list, fact_list, _, view = widgets(app)
        shown = [a.id for a in article_list.articles]
        assert set(shown) == on_topic_ids()  # the crossword is off topic
        times = [a.sort_time for a in article_list.articles]
        assert times == sorted(times, reverse=True)
        assert fact_list.option_count > 0
        assert view.document is not None and view.document.article_id == shown[0]
        text = screen_text(app)
        assert "cache, 3 h old" in text
        assert f"{len(shown)} articles" in text


async def test_keys_move_and_enter_opens_and_marks_read(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        _, article_list, _, _, view = widgets(app)
        rows = list(article_list.articles)
        await pilot.press("j", "j")
        assert article_list.cursor == 2
        assert view.document is not None and view.document.article_id == rows[2].id
        await pilot.press("k")
        assert article_list.cursor == 1
        await pilot.press("G")
        assert article_list.cursor == len(rows) - 1
        await pilot.press("g")
        assert article_list.cursor == 0
        await pilot.press("down", "enter")
        assert app.focused is view
        assert service.store.flags()[rows[1].id][0] is True
        assert article_list.articles[1].read


async def test_read_star_source_and_article_persist_across_a_restart(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    service = build_service(cache)
    app = make_app(service, tmp_path)
    tech_ids = {fixture_id("Tech Daily", i.guid) for i in FEEDS["Tech Daily"]}
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        source_list, article_list, _, _, _ = widgets(app)
        source_list.focus()
        source_list.highlight_id(feed_key("Tech Daily"))
        await pilot.pause()
        assert {a.id for a in article_list.articles} == tech_ids
        await pilot.press("tab")  # to the article list
        await pilot.press("j", "enter")  # open the second: read
        opened = article_list.articles[1].id
        await pilot.press("s")  # star it
        await pilot.press("q")
    service.store.close()

    store = Store(cache)
    assert store.flags()[opened] == [True, True]
    store.close()

    from briefing.core.service import BriefingService

    service2 = BriefingService(service.config, Store(cache))
    app2 = make_app(service2, tmp_path)
    async with app2.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        source_list, article_list, _, _, view = widgets(app2)
        assert source_list.highlighted_id == feed_key("Tech Daily")
        assert article_list.current is not None and article_list.current.id == opened
        assert article_list.current.read and article_list.current.starred
        assert view.document is not None and view.document.article_id == opened
        assert app2.main_screen.source_key == feed_key("Tech Daily")
    service2.store.close()


async def test_selecting_a_fact_narrows_the_list_to_the_articles_stating_it(
    tmp_path: Path,
) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        _, article_list, fact_list, detail, _ = widgets(app)
        data = app.main_screen.data
        assert data is not None and data.briefing is not None
        fact = next(f for f in data.briefing.facts if len(fact_articles(f)) >= 2)
        fact_list.focus()
        fact_list.highlight_id(f"fact:{fact.id}")
        await pilot.press("enter")
        assert {a.id for a in article_list.articles} == fact_articles(fact)
        assert len(article_list.articles) < len(on_topic_ids())
        assert app.focused is detail and detail.fact_id == fact.id
        assert "Stating" in screen_text(app)
        await pilot.press("escape")
        assert {a.id for a in article_list.articles} == on_topic_ids()
        assert app.main_screen.scope.key == ALL_SOURCES


async def test_choosing_a_quote_opens_the_article_at_the_facts_sentence(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(100, 16)) as pilot:  # small, so the sentence must scroll
        await settle(pilot)
        _, _, fact_list, detail, view = widgets(app)
        data = app.main_screen.data
        assert data is not None and data.briefing is not None
        fact_list.focus()
        await pilot.press("enter")
        assert app.focused is detail and detail.highlighted_id in detail.targets
        article_id, start, end = detail.targets[detail.highlighted_id or ""]
        await pilot.press("enter")
        assert app.focused is view
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
        line = view.emphasis_line
        assert line is not None
        top = round(view.scroll_offset.y)
        assert top <= line < top + view.scrollable_content_region.height
        assert service.store.flags()[article_id][0] is True


async def test_search_finds_titles_and_bodies_and_escape_leaves_it(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        _, article_list, _, _, _ = widgets(app)
        await pilot.press("slash", *"300 tb")  # in a body only
        # the whole query, not a prefix of it still being typed
        await wait_for(pilot, lambda: app.main_screen.scope.key == "300 tb")
        assert [a.id for a in article_list.articles] == [fixture_id("Tech Daily", "tech-1")]
        await pilot.press("enter")
        assert app.focused is article_list
        await pilot.press("slash")
        search = app.main_screen.query_one("#search")
        for _ in "300 tb":
            await pilot.press("backspace")
        await pilot.press(*"mirrors")  # titles and bodies
        await wait_for(pilot, lambda: app.main_screen.scope.key == "mirrors")
        found = {a.id for a in article_list.articles}
        assert fixture_id("Tech Daily", "tech-2") in found
        assert fixture_id("Forum", "forum-1") in found
        assert fixture_id("Legal Desk", "legal-1") not in found
        await pilot.press("escape")
        assert not search.display
        assert {a.id for a in article_list.articles} == on_topic_ids()


async def test_hostile_titles_show_literally_and_no_escape_reaches_the_screen(
    tmp_path: Path,
) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        _, article_list, _, _, view = widgets(app)
        for row in range(len(article_list.articles)):
            strip = article_list.render_line(row)
            assert not any(ch in strip.text for ch in "\x1b\x9b\x07")
            assert all(seg.style is None or not seg.style.link for seg in strip)
        for guid, shown in (
            ("forum-1", HOSTILE_MARKUP_TITLE),
            ("forum-2", HOSTILE_LINK_TITLE),
            ("forum-3", HOSTILE_ESCAPE_SHOWN),
        ):
            assert article_list.select_article(fixture_id("Forum", guid))
            await pilot.pause()
            text = screen_text(app)
            assert shown in text  # in the article pane's title line, as written
            assert shown[:25] in article_list.render_line(article_list.cursor).text
            assert view.document is not None
            for y in range(view.line_count):
                assert not any(ch in view.render_line(y).text for ch in "\x1b\x9b\x07")
            if guid == "forum-1":
                assert "[bold magenta]someone[/bold magenta]" in text
                assert "[@click=app.quit]quit[/]" in text
        assert HOSTILE_ESCAPE_TITLE not in screen_text(app)
        assert app.is_running  # the [@click=app.quit] text did not become an action


async def test_links_open_only_for_http_and_copy_uses_the_clipboard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webbrowser

    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    opened: list[str] = []
    copied: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        _, article_list, _, _, _ = widgets(app)
        for guid in ("forum-1", "forum-2"):  # javascript: and file: links
            article_list.select_article(fixture_id("Forum", guid))
            await pilot.press("o")
        assert opened == []
        article_list.select_article(fixture_id("Legal Desk", "legal-1"))
        await pilot.press("o", "y")
        await settle(pilot)
        assert opened == ["https://example.org/legal-1"]
        assert copied == ["https://example.org/legal-1"]


async def test_next_unread_toggle_read_and_mark_all_read(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        _, article_list, _, _, view = widgets(app)
        rows = list(article_list.articles)
        await pilot.press("enter")  # opens row 0
        await pilot.press("n")
        assert view.document is not None and view.document.article_id == rows[1].id
        await pilot.press("m")
        assert not article_list.articles[1].read
        assert rows[1].id not in service.store.flags()
        await pilot.press("A")
        assert all(a.read for a in article_list.articles)
        assert all(service.store.flags()[a.id][0] for a in rows)
        await pilot.press("n")
        assert any("No more unread" in n.message for n in app._notifications)


async def test_differs_toggle_timeline_and_export(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        _, _, fact_list, _, _ = widgets(app)
        data = app.main_screen.data
        assert data is not None and data.briefing is not None
        everything = fact_list.option_count
        differing = [f for f in data.briefing.facts if f.status == "differs"]
        assert differing, "the fixtures disagree on the damages"
        await pilot.press("d")
        assert fact_list.option_count == len(differing) < everything
        await pilot.press("d")
        assert fact_list.option_count == everything
        await pilot.press("T")
        assert app.main_screen.timeline
        assert fact_list.option_count == max(1, len(data.briefing.timeline))
        await pilot.press("e")
        written = list(tmp_path.glob("briefing-*.md"))
        assert len(written) == 1 and "#" in written[0].read_text(encoding="utf-8")


async def test_help_screen_lists_every_command(tmp_path: Path) -> None:
    from briefing.ui.commands import COMMANDS

    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 100)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        # The modal's rows, inside its border, as one text: a long help may wrap.
        rows = [line.split("█")[1] for line in screen_text(app).splitlines() if "█" in line]
        text = " ".join(" ".join(rows).split())
        for command in COMMANDS:
            assert command.help in text, command.id
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_the_command_palette_runs_the_same_commands(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"timeline")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.main_screen.timeline)


async def test_narrow_terminal_shows_one_pane_and_tab_switches(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        assert screen.narrow

        def shown() -> list[str]:
            return [p.id or "" for p in screen.query(".pane") if p.display]

        assert shown() == ["sources-pane"]
        await pilot.press("tab")  # article list -> key facts
        assert shown() == ["facts-pane"]
        await pilot.press("tab", "tab")  # fact detail -> article
        assert shown() == ["article-pane"]
        await pilot.press("shift+tab", "shift+tab", "shift+tab")
        assert shown() == ["sources-pane"]
        await pilot.press("enter")
        assert shown() == ["article-pane"]
        await pilot.resize_terminal(160, 50)
        await pilot.pause()
        assert not screen.narrow
        assert len(shown()) == 3


async def test_facts_new_since_the_last_session_are_marked(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    service = build_service(cache)
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        assert app.main_screen.new_fact_ids == set()  # no earlier session: nothing to compare
        data = app.main_screen.data
        assert data is not None and data.briefing is not None
        fact_ids = [f.id for f in data.briefing.facts]
    assert sorted(service.store.get_meta("ui.seen_facts")) == sorted(fact_ids)
    # Pretend the last session had not seen the first fact.
    service.store.set_meta("ui.seen_facts", fact_ids[1:])
    app2 = make_app(service, tmp_path)
    async with app2.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        assert app2.main_screen.new_fact_ids == {fact_ids[0]}
        fact_list = app2.main_screen.query_one(FactList)
        prompt = fact_list.get_option(f"fact:{fact_ids[0]}").prompt
        assert "NEW" in str(prompt)
        assert "NEW" not in str(fact_list.get_option(f"fact:{fact_ids[1]}").prompt)


async def test_offline_with_an_empty_cache_opens_the_sample_at_once(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache", feeds={"Legal Desk": []})
    app = make_app(service, tmp_path, offline=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, timeout=20)
        await wait_for(pilot, lambda: app.service.origin == DataOrigin.SAMPLE, timeout=20)
        await settle(pilot)
        assert app.main_screen.data is not None and app.main_screen.data.articles
        shown = screen_text(app)
        assert "SAMPLE" in shown
        # Said once, in the standing line under the header: why, and what to do.
        assert "Offline (--offline) with an empty cache" in shown
        assert "without --offline" in shown
        assert not any("SAMPLE" in n.message for n in app._notifications)
        assert (tmp_path / "cache" / "sample").is_dir()
    app.service.store.close()


async def test_a_preload_started_before_the_app_paints_the_first_frame(tmp_path: Path) -> None:
    from briefing.ui.view import Preload

    service = build_service(tmp_path / "cache")
    preload = Preload(service)
    assert preload.wait(10)
    app = make_app(service, tmp_path, preload=preload)
    async with app.run_test(size=(160, 50)) as pilot:
        # No pause: the data is on screen as soon as the app is up, with no worker.
        assert app.main_screen.data is not None
        assert len(app.main_screen.query_one(ArticleList).articles) == len(on_topic_ids())
        await settle(pilot)
        assert app.main_screen.data.briefing is not None  # the facts follow


async def test_the_footer_keys_are_clickable_and_have_tooltips(tmp_path: Path) -> None:
    from briefing.ui.commands import COMMANDS
    from briefing.ui.widgets.status import KeyLabel

    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        labels = {label.id: label for label in app.main_screen.query(KeyLabel)}
        for command in COMMANDS:
            if command.footer:
                assert labels[f"key-{command.id}"].tooltip == command.help
        await pilot.click("#key-timeline")
        assert app.main_screen.timeline
        await pilot.click("#key-help")
        assert isinstance(app.screen, HelpScreen)


async def test_the_new_mark_shows_before_a_label_too_long_for_the_pane(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    service.store.set_meta("ui.seen_facts", [])  # the last session saw none: every fact is new
    app = make_app(service, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        widgets(app)
        data = app.main_screen.data
        assert data is not None and data.briefing is not None
        fact = max(data.briefing.facts, key=lambda f: len(f.label))
        mark = STATUS_MARKS[fact.status][0]
        # Before the label, so a label the pane cuts never takes the mark with it.
        lines = screen_text(app).splitlines()
        assert any(f"{mark} NEW {fact.label[:10]}" in line for line in lines)


async def test_keys_1_2_3_switch_panes_in_the_one_pane_layout(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.main_screen

        def shown() -> list[str]:
            return [p.id or "" for p in screen.query(".pane") if p.display]

        assert "1 Sources" in screen_text(app)
        await pilot.press("2")
        assert shown() == ["facts-pane"] and app.focused is screen.query_one(FactList)
        await pilot.press("3")
        assert shown() == ["article-pane"] and app.focused is screen.query_one(ArticleView)
        await pilot.press("1")  # the list of feeds, not the article list below it
        assert shown() == ["sources-pane"] and app.focused is screen.query_one(SourceList)


async def test_d_from_the_timeline_shows_the_differing_facts_at_once(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        _, _, fact_list, _, _ = widgets(app)
        data = app.main_screen.data
        assert data is not None and data.briefing is not None
        differing = [f for f in data.briefing.facts if f.status == "differs"]
        assert 0 < len(differing) < len(data.briefing.facts)
        await pilot.press("T", "d")
        assert not app.main_screen.timeline
        assert app.main_screen.differing_only
        assert fact_list.option_count == len(differing)
        assert "Key facts where sources differ" in screen_text(app)
        await pilot.press("T", "d")  # already differing: d from the timeline keeps it so
        assert app.main_screen.differing_only and not app.main_screen.timeline


async def test_offline_header_says_refreshed_just_now(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    service.store.set_meta("last_refresh", FIXED_NOW.isoformat(timespec="seconds"))
    app = make_app(service, tmp_path, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "offline · cache refreshed just now" in text
        assert "just now old" not in text


async def test_the_back_hint_of_a_narrowed_list_is_visible_in_the_sources_pane(
    tmp_path: Path,
) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        _, _, fact_list, _, _ = widgets(app)
        fact_list.focus()
        await pilot.press("enter")  # narrow the list to the first fact
        for size in ((120, 40), (160, 50)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            line = next(x for x in screen_text(app).splitlines() if "Stating" in x)
            assert "esc: back" in line, line
        await pilot.press("escape")
        assert "esc: back" not in screen_text(app)


async def test_o_warns_with_the_link_when_no_browser_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webbrowser

    opened: list[str] = []
    answers: list[object] = [False, webbrowser.Error("could not locate runnable browser"), True]

    def fake_open(url: str, *args: object, **kwargs: object) -> bool:
        opened.append(url)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return bool(answer)

    monkeypatch.setattr(webbrowser, "open", fake_open)
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    link = "https://example.org/legal-1"

    def messages() -> list[tuple[str, str]]:
        return [(n.message, n.severity) for n in app._notifications]

    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        _, article_list, _, _, _ = widgets(app)
        article_list.select_article(fixture_id("Legal Desk", "legal-1"))
        await pilot.press("o")
        await wait_for(pilot, lambda: any(s == "warning" for _, s in messages()))
        warning = next(m for m, s in messages() if s == "warning")
        assert link in warning and "Opening" not in warning
        assert not any(m.startswith("Opening") for m, _ in messages())
        app.clear_notifications()
        await pilot.press("o")  # webbrowser raises
        await wait_for(pilot, lambda: any(s == "warning" for _, s in messages()))
        assert link in next(m for m, s in messages() if s == "warning")
        app.clear_notifications()
        await pilot.press("o")  # a browser took it
        await wait_for(pilot, lambda: bool(messages()))
        assert messages()[0][1] == "information" and link in messages()[0][0]
        for guid in ("forum-1", "forum-2"):  # javascript: and file: links never reach it
            article_list.select_article(fixture_id("Forum", guid))
            await pilot.press("o")
        await settle(pilot)
        assert opened == [link, link, link]


async def test_the_help_screen_scrolls_with_the_reader_keys(tmp_path: Path) -> None:
    from textual.containers import VerticalScroll

    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        scroll = app.screen.query_one(VerticalScroll)
        await pilot.pause()
        assert scroll.max_scroll_y > 10
        await pilot.press("j")
        await pilot.pause()
        assert scroll.scroll_y == 1
        await pilot.press("k")
        await pilot.pause()
        assert scroll.scroll_y == 0
        await pilot.press("space")
        await pilot.pause()
        assert scroll.scroll_y > 1
        await pilot.press("G")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y
        await pilot.press("g")
        await pilot.pause()
        assert scroll.scroll_y == 0


async def test_all_sources_rows_name_their_source_before_the_title(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        _, article_list, _, _, _ = widgets(app)
        assert app.main_screen.scope.key == ALL_SOURCES
        for row, article in enumerate(article_list.articles):
            line = article_list.render_line(row).text
            short = article.source.split()[0]  # Legal, Tech, Forum: each unique
            assert short in line, line
            assert line.index(short) < line.index(article.title[:5]), line
        # At 120 columns (two columns of panes) there is room for both, and for
        # 25 characters of each title (17 when the panes were three).
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        for row, article in enumerate(article_list.articles):
            line = article_list.render_line(row).text
            short = article.source.split()[0]
            assert short in line and line.index(short) < line.index(article.title[:5]), line
            assert clean_line(article.title)[:25] in line, line


async def test_fact_detail_heading_and_values_are_not_greyed_out(tmp_path: Path) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        _, _, _, detail, _ = widgets(app)
        assert detail.option_count > 2 and detail.get_option_at_index(0).disabled
        normal = detail.get_component_rich_style("option-list--option").color
        disabled_text = app.theme_variables["text-disabled"]
        data = app.main_screen.data
        assert data is not None and data.briefing is not None
        fact = data.fact(detail.fact_id or "")
        assert fact is not None and fact.note, "the first fixture fact (damages) has a note"
        heading = [s for s in detail.render_line(0) if s.text.strip()]
        label = [s for s in heading if fact.label in s.text]
        # The note on its own line, as the engine wrote it: never "((...))".
        note = [s for s in detail.render_line(1) if s.text.strip()]
        assert label and note and not note[0].text.strip().startswith("(")
        for segment in label + note:  # the status word keeps its own colour
            assert segment.style is not None
            assert segment.style.color == normal, (segment, normal, disabled_text)


async def test_clicking_an_article_opens_it_and_clicking_a_fact_selects_it(
    tmp_path: Path,
) -> None:
    service = build_service(tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        _, article_list, _, detail, view = widgets(app)
        rows = list(article_list.articles)
        assert await pilot.click(ArticleList, offset=(12, 2))
        await pilot.pause()
        assert article_list.cursor == 2
        assert view.document is not None and view.document.article_id == rows[2].id
        assert service.store.flags()[rows[2].id][0] is True
        assert app.focused is view
        data = app.main_screen.data
        assert data is not None and data.briefing is not None
        second = data.briefing.facts[1]
        assert await pilot.click(FactList, offset=(4, 2))  # each fact takes two lines
        await pilot.pause()
        assert detail.fact_id == second.id and app.focused is detail
        assert {a.id for a in article_list.articles} == fact_articles(second)


def test_short_source_names_tell_the_sources_apart_in_a_narrow_column() -> None:
    from briefing.ui.widgets.article_list import short_source_names, source_column

    sample = ["Sample Legal Wire", "Sample Tech Daily", "Sample Newsroom", "Sample Hacker Forum"]
    assert short_source_names(sample, 6) == {
        "Sample Legal Wire": "Legal",
        "Sample Tech Daily": "Tech",
        "Sample Newsroom": "Newsr…",
        "Sample Hacker Forum": "Hacker",
    }
    assert short_source_names(sample, 20)["Sample Hacker Forum"] == "Hacker Forum"
    real = ["The Verge", "The Register", "Music Business Worldwide", "Music Ally", "Techdirt"]
    assert short_source_names(real, 9) == {
        "The Verge": "The Verge",
        "The Register": "Register",
        "Music Business Worldwide": "Music Bu…",
        "Music Ally": "Music Al…",
        "Techdirt": "Techdirt",
    }
    assert short_source_names(["Forum"], 3) == {"Forum": "Fo…"}
    # The column is as wide as its longest label, at most a third of what the date leaves.
    assert source_column(sample, 78)[0] == len("Hacker Forum")
    assert source_column(sample, 48) == (12, short_source_names(sample, 12))
    # Too narrow for a column and a readable title: no column at all.
    assert source_column(sample, 29) == (0, {})
    assert source_column(sample, 36) == (0, {})


async def test_a_long_fact_note_is_shown_to_its_last_word(tmp_path: Path) -> None:
    import asyncio

    from briefing.core.service import open_sample

    # The sample's damages fact: a long note, and more lines than the pane holds.
    service = await asyncio.to_thread(open_sample, tmp_path / "cache")
    app = make_app(service, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        _, _, _, detail, _ = widgets(app)
        data = app.main_screen.data
        assert data is not None and data.briefing is not None
        fact = data.fact(detail.fact_id or "")
        assert fact is not None and len(fact.note) > 150, fact
        assert detail.virtual_size.height > detail.scrollable_content_region.height
        shown = " ".join(
            detail.render_line(y).text.strip()
            for y in range(detail.scrollable_content_region.height)
        )
        assert " ".join(fact.note.split()) in " ".join(shown.split()), shown
    service.store.close()
