"""The reader's decisions as plain objects, tested in milliseconds: whose briefing is
shown (Fallback), where the movement keys go, the layout, the keymap, the flag
writer, the preferences and the fact rows."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import diskcache
import pytest
from _ui_helpers import make_config, placeholder_url
from rich.cells import cell_len

from briefing.core.config import ConfigError, parse_config
from briefing.core.models import FeedResult, FetchStatus
from briefing.core.service import BriefingService, DataOrigin
from briefing.core.store import Store
from briefing.ui.fallback import Fallback, StartStep, Verdict
from briefing.ui.flags import FlagWriter
from briefing.ui.keymap import COMMANDS, Keymap, keymap_from_config
from briefing.ui.layout import Edge, LayoutMode, drag, layout_mode, pane_sizes, resize
from briefing.ui.messages import LoadReason
from briefing.ui.navigation import (
    BackStep,
    UnreadSource,
    back_step,
    match_spans,
    source_with_unread,
    unread_row,
    unread_row_around,
)
from briefing.ui.prefs import Prefs, load_prefs, save_prefs
from briefing.ui.reports import sample_fallback_notice
from briefing.ui.widgets.lists import values_line
from briefing.ui.widgets.status import clamp_lines, footer_fit

# --------------------------------------------------------------------------- Fallback


class FakeStore:
    directory = Path("/nonexistent")
    read_only = False


def service(*, enabled: bool = True, origin: DataOrigin = DataOrigin.CACHE) -> BriefingService:
    config = make_config([("Wire", placeholder_url("Wire"))], Path("/home/u/feeds.toml"))
    config = replace(config, feeds=tuple(replace(f, enabled=enabled) for f in config.feeds))
    return BriefingService(config, FakeStore(), origin=origin)  # type: ignore[arg-type]


FAILED = (FeedResult("Wire", FetchStatus.ERROR, error="DNS lookup failed for host x"),)


def test_the_first_load_is_shown_or_fetched_or_replaced_by_the_sample() -> None:
    assert Fallback(service(), offline=False).start_step(True) is StartStep.SHOW
    assert Fallback(service(), offline=False).start_step(False) is StartStep.FETCH
    assert Fallback(service(), offline=True).start_step(False) is StartStep.OPEN_SAMPLE
    no_feeds = Fallback(service(enabled=False), offline=False)
    assert no_feeds.start_step(False) is StartStep.OPEN_SAMPLE


def test_the_sample_stands_in_and_says_why() -> None:
    user, sample = service(), service(origin=DataOrigin.SAMPLE)
    fallback = Fallback(user, offline=False)
    fallback.last_errors = FAILED
    assert (
        fallback.verdict(sample, LoadReason.SAMPLE, has_articles=True, screen_has_articles=False)
        is Verdict.SWITCH
    )
    assert fallback.switch_to(sample) == ""
    assert fallback.standing_in and fallback.sample is sample
    assert fallback.notice.startswith("No feed could be reached (DNS lookup failed: 1)")
    offline = Fallback(service(), offline=True)
    offline.switch_to(sample)
    assert offline.notice.startswith("Offline (--offline) with an empty cache")
    empty = Fallback(service(enabled=False), offline=False)
    empty.switch_to(sample)
    assert "has no enabled feeds" in empty.notice and "/home/u/feeds.toml" in empty.notice


def test_r_while_the_sample_stands_in_tries_the_users_feeds_and_they_replace_it() -> None:
    user, sample = service(), service(origin=DataOrigin.SAMPLE)
    fallback = Fallback(user, offline=False)
    fallback.switch_to(sample)
    plan = fallback.refresh_plan()
    assert plan is not None and plan.service is user and plan.reason is LoadReason.SWITCH
    assert not plan.fall_back_to_sample
    # Failing again: the notice says how, this time.
    assert fallback.refresh_finished(FAILED, shows_feeds=False)
    assert "(DNS lookup failed: 1)" in fallback.notice
    # Answering: the user's data replaces the sample, and the notice goes.
    assert (
        fallback.verdict(user, LoadReason.SWITCH, has_articles=True, screen_has_articles=True)
        is Verdict.SWITCH
    )
    assert fallback.switch_to(user).startswith("Your feeds answered")
    assert not fallback.standing_in and fallback.notice == ""


def test_a_late_sample_never_replaces_the_users_articles() -> None:
    user, sample = service(), service(origin=DataOrigin.SAMPLE)
    fallback = Fallback(user, offline=False)
    fallback.loaded = True
    assert (
        fallback.verdict(sample, LoadReason.SAMPLE, has_articles=True, screen_has_articles=True)
        is Verdict.IGNORE
    )
    other = service()
    assert (
        fallback.verdict(other, LoadReason.REFRESH, has_articles=False, screen_has_articles=True)
        is Verdict.IGNORE
    )


def test_no_enabled_feed_means_nothing_to_refresh_and_demo_refreshes_the_sample() -> None:
    assert Fallback(service(enabled=False), offline=False).refresh_plan() is None
    demo = Fallback(service(origin=DataOrigin.SAMPLE), offline=False)
    assert demo.user is None
    plan = demo.refresh_plan()
    assert plan is not None and plan.reason is LoadReason.REFRESH


# --------------------------------------------------------------------------- navigation


def test_n_counts_a_previewed_article_as_unread() -> None:
    read = [True, False, True, False]
    assert unread_row(read, 1, 1, include_start=True) == 1  # the highlighted one itself
    assert unread_row(read, 1, 1, include_start=False) == 3
    assert unread_row(read, 3, -1, include_start=False) == 1
    assert unread_row(read, 3, 1, include_start=False) is None
    order = ["feed:A", "feed:B", "feed:C"]
    assert source_with_unread(order, "feed:A", {"feed:C": 2}, 1) == UnreadSource("feed:C", False)
    assert source_with_unread(order, "feed:C", {"feed:A": 1}, -1) == UnreadSource("feed:A", False)
    assert source_with_unread(order, "feed:A", {}, 1) is None


def test_n_and_p_go_round_past_the_last_source_as_newsboats_goto_next_feed() -> None:
    order = ["all", "starred", "feed:A", "feed:B", "feed:C"]
    # After the last source, on from the first (All and Starred count no unread).
    assert source_with_unread(order, "feed:C", {"feed:A": 1, "feed:B": 1}, 1) == UnreadSource(
        "feed:A", True
    )
    assert source_with_unread(order, "feed:A", {"feed:B": 1, "feed:C": 1}, -1) == UnreadSource(
        "feed:C", True
    )
    assert source_with_unread(order, "starred", {"feed:A": 1}, -1) == UnreadSource("feed:A", True)
    # Round to the source itself: its unread articles before the one on show.
    assert source_with_unread(order, "feed:B", {"feed:B": 1}, 1) == UnreadSource("feed:B", True)
    assert source_with_unread(order, "feed:B", {"feed:A": 0, "feed:C": 0}, 1) is None
    assert source_with_unread(order, "feed:X", {"feed:A": 1}, 1) is None


def test_a_list_n_does_not_leave_goes_round_itself() -> None:
    read = [False, True, False, True]
    assert unread_row_around(read, 0, 1, include_start=False) == (2, False)
    assert unread_row_around(read, 2, 1, include_start=False) == (0, True)
    assert unread_row_around(read, 0, -1, include_start=False) == (2, True)
    assert unread_row_around(read, 2, 1, include_start=True) == (2, False)
    assert unread_row_around([True, True], 0, 1, include_start=False) is None
    assert unread_row_around([], 0, 1, include_start=False) is None


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"searching": True}, BackStep.CLOSE_SEARCH),
        ({"narrowed": True}, BackStep.LEAVE_SCOPE),
        ({"narrow": True, "active_pane": "article-pane"}, BackStep.TO_LIST),
        ({"narrow": True, "active_pane": "article-pane", "searching": True}, BackStep.TO_LIST),
        ({"narrow": True, "active_pane": "facts-pane", "narrowed": True}, BackStep.TO_LIST),
        ({"narrow": True, "focused": "article-list", "searching": True}, BackStep.CLOSE_SEARCH),
        ({"searching": True, "active_pane": "article-pane"}, BackStep.CLOSE_SEARCH),
        ({"narrow": True, "focused": "article-list"}, BackStep.TO_SOURCES),
        ({"narrow": True, "focused": "source-list"}, BackStep.QUIT),
        ({"focused": "article-view", "active_pane": "article-pane"}, BackStep.QUIT),
    ],
)
def test_q_goes_back_one_level_before_it_quits(
    where: dict[str, object], expected: BackStep
) -> None:
    place: dict[str, object] = {
        "narrow": False,
        "active_pane": "sources-pane",
        "focused": "source-list",
        "searching": False,
        "narrowed": False,
        "quitting": True,
    }
    place.update(where)
    assert back_step(**place) is expected  # type: ignore[arg-type]
    place["quitting"] = False  # esc never quits
    assert back_step(**place) is (BackStep.NOTHING if expected is BackStep.QUIT else expected)  # type: ignore[arg-type]


def test_search_matches_are_found_the_way_the_search_folds_text() -> None:
    text = "Anna’s Archive and ANNA'S ARCHIVE, at the café"
    found = [text[start:end] for start, end in match_spans(text, "anna's archive cafe")]
    assert found == ["Anna’s", "Archive", "ANNA'S", "ARCHIVE", "café"]
    assert match_spans(text, "   ") == []


# --------------------------------------------------------------------------- layout


def test_each_pane_gets_room_at_the_readmes_sizes() -> None:
    assert layout_mode(80) is LayoutMode.ONE and layout_mode(100) is LayoutMode.TWO
    assert layout_mode(120) is LayoutMode.TWO and layout_mode(160) is LayoutMode.THREE
    two = pane_sizes(120, 38)
    assert two.sources_width is not None and two.sources_width >= 50  # titles and sources
    assert 120 - two.sources_width >= 60  # the article and the fact detail read well
    three = pane_sizes(160, 48)
    assert three.sources_width and three.facts_width
    assert 160 - three.sources_width - three.facts_width >= 60
    assert pane_sizes(80, 22).sources_width is None


def test_resizing_moves_by_steps_and_keeps_every_pane_readable() -> None:
    sizes = pane_sizes(160, 48)
    wider = resize(160, 48, "sources-pane", 1, sizes)
    assert wider is not None and wider[0] == (sizes.sources_width or 0) + 4
    for _ in range(40):
        sized = resize(160, 48, "sources-pane", 1, pane_sizes(160, 48, sources=wider[0]))
        assert sized is not None
        wider = sized
    squeezed = pane_sizes(160, 48, sources=wider[0], facts=wider[1])
    assert 160 - (squeezed.sources_width or 0) - (squeezed.facts_width or 0) >= 44
    taller = resize(120, 38, "facts-pane", 1, pane_sizes(120, 38))
    assert taller is not None and taller[1] == (pane_sizes(120, 38).facts_height or 0) + 2
    assert resize(80, 22, "sources-pane", 1, pane_sizes(80, 22)) is None


def test_dragging_a_pane_edge_sets_the_size_it_is_dragged_to_within_limits() -> None:
    three = pane_sizes(160, 48)
    assert drag(160, 48, Edge.SOURCES, 59, 10, three) == (60, three.facts_width)
    assert drag(160, 48, Edge.SOURCES, 3, 10, three) == (30, three.facts_width)  # a minimum
    left = three.sources_width or 0
    assert drag(160, 48, Edge.FACTS, left + 49, 0, three) == (left, 50)
    assert drag(160, 48, Edge.FACTS, 159, 0, three) == (left, 160 - left - 44)  # article room
    two = pane_sizes(120, 38)
    assert drag(120, 38, Edge.FACTS, 30, 11, two) == (two.sources_width, 12)  # rows, in two
    assert drag(120, 38, Edge.SOURCES, 69, 11, two) == (70, two.facts_height)
    assert drag(80, 22, Edge.SOURCES, 40, 3, pane_sizes(80, 22)) is None


# --------------------------------------------------------------------------- keymap

TOML = {"topic": {"name": "T", "keywords": ["x"]}}


def keys_config(keys: dict[str, object]) -> object:
    return parse_config({**TOML, "keys": keys}, "/home/u/feeds.toml")


def test_a_user_keymap_is_read_checked_and_shown() -> None:
    config = keys_config({"toggle-star": "S", "refresh": "^R", "next-unread": ["n", "down"]})
    with pytest.raises(ConfigError, match=r"'ctrl\+r' would do both refresh and reload-config"):
        keymap_from_config(config)  # type: ignore[arg-type]
    config = keys_config(
        {"toggle-star": "S", "reload-config": "f5", "next-unread": ["n", "down"], "help": "?"}
    )
    keymap = keymap_from_config(config)  # type: ignore[arg-type]
    star = next(c for c in COMMANDS if c.id == "toggle-star")
    assert keymap.label(star) == "S" and Keymap().label(star) == "s"
    help_ = next(c for c in COMMANDS if c.id == "help")
    assert keymap.label(help_) == "?"
    assert dict(config.keys)["next-unread"] == ("n", "down")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"nxt-unread": "n"}, "unknown command 'nxt-unread'"),
        ({"toggle-star": "sss"}, "'sss' is not a key"),
        ({"toggle-star": []}, "must be a key or a list of keys"),
        ({"toggle-star": "n"}, "'n' would do both next-unread and toggle-star"),
        ({"toggle-star": "\x1b[31m"}, "must not hold control characters"),
    ],
)
def test_a_bad_keymap_is_one_line_naming_the_file(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        keymap_from_config(keys_config(keys))  # type: ignore[arg-type]
    assert str(error.value).startswith("/home/u/feeds.toml: [keys] ")
    assert message in str(error.value) and "\n" not in str(error.value)


# --------------------------------------------------------------------------- flags, prefs, rows


def test_a_locked_cache_delays_a_flag_write_without_blocking_and_says_so(tmp_path: Path) -> None:
    from briefing.core.models import ParsedEntry, Topic
    from briefing.core.store import article_id
    from briefing.core.topic import TopicFilter

    store = Store(tmp_path / "cache")
    entry = ParsedEntry("g1", "Story", "https://e.org/1", "", None, "x", "")
    store.save_entries("Wire", [entry], TopicFilter(Topic("t", ("x",))), retention_days=90)
    a1 = article_id("Wire", "g1")  # marks are kept for stored articles only
    news: list[tuple[bool, str]] = []
    writer = FlagWriter(lambda waiting, error: news.append((waiting, error)), slow_after=0.1)
    other = diskcache.Cache(str(tmp_path / "cache"))  # another process's hold on the lock
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with other.transact():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    started = time.monotonic()
    writer.write(store, [a1], read=True)
    assert time.monotonic() - started < 0.05  # the caller never waits
    deadline = time.monotonic() + 5
    while not news and time.monotonic() < deadline:
        time.sleep(0.01)
    assert news == [(True, "")]  # told once that the cache is busy
    release.set()
    holder.join()
    assert writer.wait_idle(10)
    assert store.flags()[a1] == [True, False]
    assert news[-1] == (False, "")
    assert writer.close() == 0
    other.close()
    store.close()


def test_preferences_survive_a_restart_and_a_broken_file_is_no_preferences(
    tmp_path: Path,
) -> None:
    path = tmp_path / "reader.json"
    assert (
        save_prefs(Prefs(theme="nord", sources_width=60, unread_only=True, tag="legal"), path) == ""
    )
    assert load_prefs(path) == Prefs(theme="nord", sources_width=60, unread_only=True, tag="legal")
    path.write_text("{not json", encoding="utf-8")
    assert load_prefs(path) == Prefs()
    path.write_text('{"sources_width": -4, "unread_only": "yes", "theme": 7}', encoding="utf-8")
    assert load_prefs(path) == Prefs()
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    assert save_prefs(Prefs(), blocked / "reader.json").startswith("cannot write")


def test_a_fact_row_shows_every_value_or_counts_the_rest() -> None:
    values = ["$13 trillion", "$12.9 trillion", "$13.2 trillion"]
    assert values_line(values, 60) == "$13 trillion | $12.9 trillion | $13.2 trillion"
    assert values_line(values, 40) == "$13 trillion | $12.9 trillion +1 more"
    assert values_line(values, 22) == "$13 trillion +2 more"
    assert values_line(["a very long value that cannot fit"], 12) == "a very long…"


def test_a_notice_wraps_in_two_lines_and_a_cut_ends_in_an_ellipsis() -> None:
    notice = sample_fallback_notice(
        [FeedResult("a", FetchStatus.ERROR, error="DNS lookup failed for host a")] * 14
    )
    assert notice.startswith("No feed could be reached (DNS lookup failed: 14) and the cache")
    assert clamp_lines(notice, 78) == [
        "No feed could be reached (DNS lookup failed: 14) and the cache is empty:",
        "showing the bundled SAMPLE (fictional articles). Press r to try again.",
    ]
    cut = clamp_lines(notice, 50)
    assert len(cut) == 2 and cut[1].endswith("…") and all(cell_len(line) <= 50 for line in cut)
    assert clamp_lines("see /a/very/long/path/to/feeds.toml", 12) == ["see", "/a/very/lon…"]
    assert clamp_lines("", 20) == []


def test_the_footer_keeps_its_essential_keys_and_adds_others_while_they_fit() -> None:
    widths = [(10, True), (8, False), (12, True), (9, False), (3, False), (7, True)]
    assert footer_fit(widths, 100) == [True] * 6
    assert footer_fit(widths, 38) == [True, True, True, False, False, True]
    assert footer_fit(widths, 41) == [True, True, True, False, True, True]  # a later one fits
    assert footer_fit(widths, 10) == [True, False, True, False, False, True]  # never cut
