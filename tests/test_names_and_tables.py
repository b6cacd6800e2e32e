"""Issue 15, items 6 and 8: long names are refused where they come in (feeds.toml,
OPML) and cut where they go out (every plain-table column); an empty feed
says "no items", not "not modified"."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from _cli_helpers import run_briefing
from conftest import config_text

from briefing.cli import COLUMN_WIDTH, LAST_COLUMN_WIDTH, format_result_line, print_table
from briefing.core.config import MAX_NAME, ConfigError, load_config
from briefing.core.models import FeedResult, FetchStatus
from briefing.core.opml import feeds_from_opml

HUGE = "N" * 100_010


def _config(tmp_path: Path, name: str, *, tags: str = "") -> Path:
    path = tmp_path / "feeds.toml"
    text = config_text([("Wire", "https://wire.example/feed.xml"), (name, "https://b.example/f")])
    if tags:
        text = text.replace('url = "https://b.example/f"', f'url = "https://b.example/f"\n{tags}')
    path.write_text(text, encoding="utf-8")
    return path


def test_a_feed_name_over_the_limit_is_refused_with_its_place(tmp_path: Path) -> None:
    path = _config(tmp_path, HUGE)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message and "feed 2" in message
    assert "too long (100,010 characters; at most 200)" in message
    assert len(message) < 400 + len(str(path))  # the name itself is quoted cut


def test_a_name_at_the_limit_is_kept(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, "n" * MAX_NAME))
    assert config.feeds[1].name == "n" * MAX_NAME


def test_a_long_tag_is_refused_too(tmp_path: Path) -> None:
    path = _config(tmp_path, "Other", tags=f'tags = ["{"t" * 300}"]')
    with pytest.raises(ConfigError, match=r"feed 2 \('Other'\): tags is too long"):
        load_config(path)


def test_opml_import_refuses_a_long_name_with_the_outline_number(tmp_path: Path) -> None:
    opml = (
        '<opml version="2.0"><body>'
        '<outline text="Fine" xmlUrl="https://a.example/feed"/>'
        f'<outline text="{HUGE}" xmlUrl="https://b.example/feed"/>'
        "</body></opml>"
    ).encode()
    with pytest.raises(ConfigError) as caught:
        feeds_from_opml(opml, str(tmp_path / "subs.opml"))
    message = str(caught.value)
    assert "subs.opml: outline 2" in message and "name is too long" in message
    assert len(message) < 500


def test_opml_import_refuses_a_long_folder_name(tmp_path: Path) -> None:
    opml = (
        f'<opml version="2.0"><body><outline text="{"F" * 250}">'
        '<outline text="Fine" xmlUrl="https://a.example/feed"/></outline></body></opml>'
    ).encode()
    with pytest.raises(ConfigError, match="folder or category is too long"):
        feeds_from_opml(opml, "subs.opml")


def test_every_column_of_a_plain_table_is_cut_with_an_ellipsis() -> None:
    out = io.StringIO()
    print_table([("FEED", "STATUS", "NOTE"), (HUGE, "ok" * 40, HUGE)], out)
    header, row = out.getvalue().splitlines()
    cells = row.split("  ")
    assert cells[0] == "N" * (COLUMN_WIDTH - 1) + "…"
    assert cells[1].startswith("okok") and cells[1].endswith("…")
    assert cells[-1] == "N" * (LAST_COLUMN_WIDTH - 1) + "…"
    assert len(row) <= 2 * COLUMN_WIDTH + LAST_COLUMN_WIDTH + 4
    assert header.startswith("FEED" + " " * (COLUMN_WIDTH - 4) + "  STATUS")


def test_short_cells_are_not_cut_or_padded_past_their_width() -> None:
    out = io.StringIO()
    print_table([("A", "B"), ("wire", "a title")], out)
    assert out.getvalue().splitlines() == ["A     B", "wire  a title"]


def test_articles_and_feeds_print_bounded_tables_end_to_end(tmp_path: Path) -> None:
    """The 1 GB case through the real command: the longest name allowed and a
    title of 50,000 characters print lines of bounded width."""
    feed = tmp_path / "long.xml"
    title = "Anna's Archive " + "T" * 50_000
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>L</title>'
        f"<item><guid>urn:1</guid><title>{title}</title></item></channel></rss>"
    )
    config = tmp_path / "feeds.toml"
    config.write_text(config_text([("n" * MAX_NAME, str(feed))]))
    common = ("--config", str(config), "--cache-dir", str(tmp_path / "cache"))
    fetched = run_briefing(*common, "fetch", "--no-full-text", cwd=tmp_path)
    assert fetched.returncode == 0, fetched.stderr
    widest = 2 * COLUMN_WIDTH + LAST_COLUMN_WIDTH + 4
    for command in (("articles", "--all"), ("feeds",)):
        result = run_briefing(*common, *command, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 2
        assert all(len(line) <= widest + COLUMN_WIDTH * 3 for line in lines), command
        assert "…" in lines[1]


# --------------------------------------------------------------------------- no items


def test_an_empty_feed_says_no_items_and_a_304_says_not_modified() -> None:
    empty = FeedResult("Quiet", FetchStatus.UNCHANGED)
    same = FeedResult("Same", FetchStatus.UNCHANGED, not_modified=True)
    assert format_result_line(empty) == "Quiet: no items"
    assert format_result_line(same) == "Same: unchanged (not modified)"


def test_first_fetch_of_an_empty_feed_says_no_items(tmp_path: Path) -> None:
    feed = tmp_path / "empty.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Q</title></channel></rss>'
    )
    config = tmp_path / "feeds.toml"
    config.write_text(config_text([("Quiet", str(feed))]))
    args = (
        "--config",
        str(config),
        "--cache-dir",
        str(tmp_path / "cache"),
        "fetch",
        "--no-full-text",
    )
    first = run_briefing(*args, cwd=tmp_path)
    assert "Quiet: no items" in first.stdout, first.stdout + first.stderr
    second = run_briefing(*args, cwd=tmp_path)  # unchanged file: the local 304
    assert "Quiet: unchanged (not modified)" in second.stdout, second.stdout
