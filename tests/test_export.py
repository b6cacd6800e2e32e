"""Exports: the JSON contract, the Markdown briefing and the plain-text facts table."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from _facts_helpers import load_sample_articles
from markdown_it import MarkdownIt

from briefing.core.export import briefing_to_json, briefing_to_markdown, render_facts_table
from briefing.core.facts import build_briefing
from briefing.core.models import (
    Article,
    Briefing,
    FactValue,
    FigureKind,
    KeyFact,
    TimelineEvent,
)

NOW = dt.datetime(2026, 2, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def sample() -> tuple[Briefing, list[Article]]:
    articles = load_sample_articles()
    return build_briefing(articles, "Spotify and the labels v. Anna's Archive", now=NOW), articles


HOSTILE = "[red]Evil[/red] \x1b[31m<script>alert(1)</script> *bold* | pipe\x9b"


def hostile_briefing() -> Briefing:
    value = FactValue(
        text=f"$13 trillion {HOSTILE}",
        value=13e12,
        unit="USD",
        sources=(f"Feed {HOSTILE}",),
        articles=("a1",),
        quotes=(f"They seek $13 trillion. {HOSTILE}",),
        spans=(("a1", 0, 20),),
    )
    other = FactValue("$12.9 trillion", 12.9e12, "USD", ("Other",), ("a2",), ("q",), ())
    fact = KeyFact(
        id="money-damages-sought",
        label=f"Damages {HOSTILE}",
        kind=FigureKind.MONEY,
        status="differs",
        values=(value, other),
        note=f"Note {HOSTILE}",
    )
    return Briefing(
        topic=f"Topic {HOSTILE}",
        generated="2026-02-10T12:00:00+00:00",
        facts=(fact,),
        timeline=(TimelineEvent("2026-01-16", f"Unsealed {HOSTILE}", ("Feed",), ("a1",)),),
    )


# --------------------------------------------------------------------------- JSON


def test_json_has_exactly_the_contract_names(sample: tuple[Briefing, list[Article]]) -> None:
    briefing, _articles = sample
    data = briefing_to_json(briefing)
    assert set(data) == {"topic", "generated", "facts", "timeline"}
    assert data["topic"] == "Spotify and the labels v. Anna's Archive"
    assert data["generated"] == "2026-02-10T12:00:00+00:00"
    for fact in data["facts"]:
        # The first contract's keys, and the additions (why, history, within_rounding).
        assert set(fact) == {
            "id", "label", "kind", "status", "note", "values", "within_rounding", "why", "history"
        }  # fmt: skip
        assert fact["kind"] in {"money", "count", "percent", "size", "date"}
        assert fact["status"] in {"agreed", "differs", "revised", "single"}
        assert isinstance(fact["within_rounding"], bool) and isinstance(fact["why"], list)
        for report in fact["history"]:
            assert set(report) == {"text", "value", "first", "last", "sources"}
        for value in fact["values"]:
            assert set(value) == {"text", "value", "unit", "sources", "articles", "quotes"}
            if fact["kind"] == "date":
                assert isinstance(value["value"], str)
                dt.date.fromisoformat(value["value"] + ("-01" if len(value["value"]) == 7 else ""))
            else:
                assert isinstance(value["value"], int | float)
    for event in data["timeline"]:
        # "disputed" and "fact" are additions: sources give the event other dates, and
        # the key fact it belongs to.
        assert set(event) == {"date", "label", "sources", "articles", "disputed", "fact"}
        assert event["disputed"] is (event["label"] in ("Complaint filed", "Complaint unsealed"))
    rounding = [f for f in data["facts"] if "rounding" in f["note"]]
    assert rounding and all(f["status"] == "differs" for f in rounding)
    # Plain JSON types only: it serialises, and round-trips unchanged.
    assert json.loads(json.dumps(data)) == data


def test_json_writes_whole_numbers_as_integers(sample: tuple[Briefing, list[Article]]) -> None:
    briefing, _articles = sample
    data = briefing_to_json(briefing)
    damages = next(f for f in data["facts"] if f["label"] == "Damages sought")
    first = damages["values"][0]
    assert first["text"] == "$13 trillion"
    assert first["value"] == 13000000000000 and isinstance(first["value"], int)
    assert first["unit"] == "USD"
    assert '"value": 13000000000000' in json.dumps(first)
    share = next(f for f in data["facts"] if f["kind"] == "percent")
    assert share["values"][0]["value"] == 99.6


# --------------------------------------------------------------------------- Markdown


def test_markdown_has_every_section(sample: tuple[Briefing, list[Article]]) -> None:
    briefing, articles = sample
    text = briefing_to_markdown(briefing, articles)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# Briefing: Spotify and the labels v. Anna's Archive",
        "## Key facts",
        "## Where sources differ, and what was revised",
        "### Damages sought",
        "### Statutory damages sought per work",
        "### Complaint filed",
        "### Complaint unsealed",
        "## Timeline",
        "## Articles",
    ]
    assert "Generated 2026-02-10T12:00:00+00:00 from 18 articles by 6 sources." in text
    assert "Sources agree to within rounding" in text
    assert "- **2025-12-29**: Complaint filed" in text
    # Only on-topic articles are listed, each linked.
    listed = [line for line in text.splitlines() if line.startswith("- [")]
    assert len(listed) == 18
    assert "(https://example.org/sample/" in listed[0]


def test_markdown_renders_as_lists_and_headings(sample: tuple[Briefing, list[Article]]) -> None:
    briefing, articles = sample
    tokens = MarkdownIt("commonmark").parse(briefing_to_markdown(briefing, articles))
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
    assert {"heading_open", "bullet_list_open", "link_open"} <= kinds
    assert "html_block" not in kinds and "html_inline" not in kinds


def _differ_section(markdown: str) -> str:
    return markdown.split("## Where sources differ", 1)[1].split("## Timeline", 1)[0]


def test_each_quote_is_its_own_item_with_its_source(
    sample: tuple[Briefing, list[Article]],
) -> None:
    briefing, articles = sample
    section = _differ_section(briefing_to_markdown(briefing, articles))
    tokens = MarkdownIt("commonmark").parse(section)
    # Quotes from different articles never run together into one block.
    assert not any(t.type == "blockquote_open" for t in tokens)
    # Every list item's text as a reader sees it (escapes undone).
    items = [
        "".join(c.content for c in t.children or [] if c.type in ("text", "softbreak"))
        for t in tokens
        if t.type == "inline"
    ]
    source_of = {a.id: a.source for a in articles}
    expected = [
        f"“{quote}” — {source_of[article]}"
        for fact in briefing.facts
        if fact.status == "differs"
        for value in fact.values
        for quote, article in zip(value.quotes[:3], value.articles, strict=False)
    ]
    assert len(expected) >= 10
    for line in expected:
        assert line in items  # one item per quote, whole, attributed
    nested = [t for t in tokens if t.type == "list_item_open" and t.level > 1]
    assert len(nested) == len(expected)


def test_dollar_signs_are_escaped_so_github_shows_no_maths(
    sample: tuple[Briefing, list[Article]],
) -> None:
    briefing, articles = sample
    text = briefing_to_markdown(briefing, articles)
    assert "\\$13 trillion" in text
    assert not any(c == "$" and (i == 0 or text[i - 1] != "\\") for i, c in enumerate(text))
    html = MarkdownIt("commonmark").render(text)
    assert "$13 trillion" in html and "\\$" not in html


def test_markdown_keeps_hostile_text_inert() -> None:
    article = Article(
        id="a1",
        source=f"Feed {HOSTILE}",
        title=f"Title {HOSTILE}",
        link="javascript:alert(1)",
        author="",
        published="2026-01-16T00:00:00+00:00",
        summary="",
        content="",
        first_seen="2026-01-16T00:00:00+00:00",
        on_topic=True,
    )
    text = briefing_to_markdown(hostile_briefing(), [article])
    assert "\x1b" not in text and "\x9b" not in text
    assert "javascript:" not in text
    html = MarkdownIt("commonmark").render(text)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<strong>bold</strong>" not in html and "<em>bold</em>" not in html
    assert "[red]Evil[/red]" in html


def test_markdown_marks_events_the_sources_date_differently(
    sample: tuple[Briefing, list[Article]],
) -> None:
    briefing, articles = sample
    timeline = briefing_to_markdown(briefing, articles).split("## Timeline", 1)[1]
    lines = timeline.split("## Articles", 1)[0].strip().splitlines()
    filed = [line for line in lines if "Complaint filed" in line]
    unsealed = [line for line in lines if "Complaint unsealed" in line]
    assert len(filed) == 3 and len(unsealed) == 2
    assert all("Complaint filed — *disputed: 3 dates given* (" in line for line in filed)
    assert all("Complaint unsealed — *disputed: 2 dates given* (" in line for line in unsealed)
    others = [line for line in lines if line not in filed + unsealed]
    assert others and "disputed" not in "".join(others)


# --------------------------------------------------------------------------- table


@pytest.mark.parametrize("width", [40, 60, 80, 100, 140])
def test_table_fits_the_width(sample: tuple[Briefing, list[Article]], width: int) -> None:
    briefing, _articles = sample
    table = render_facts_table(briefing, width=width)
    assert max(len(line) for line in table.splitlines()) <= width
    assert "Damages sought" in table.replace("\n", " ") or width < 60


def test_table_reads_as_a_table(sample: tuple[Briefing, list[Article]]) -> None:
    briefing, _articles = sample
    lines = render_facts_table(briefing, width=120).splitlines()
    header = next(line for line in lines if line.startswith("Fact"))
    assert header.split() == ["Fact", "Value", "Status", "Sources"]
    damages = lines.index(next(line for line in lines if line.startswith("Damages sought")))
    assert "$13 trillion" in lines[damages] and "DIFFERS" in lines[damages]
    block = lines[damages : damages + 8]
    assert any(line.split()[:3] == ["$12.9", "trillion", "Sample"] for line in block)
    assert any("rounds to" in line for line in block)
    assert "Timeline" in lines
    assert any(line.startswith("2026-01-20  Preliminary injunction (") for line in lines)
    filed = [line for line in lines if line[12:].startswith("Complaint filed")]
    assert len(filed) == 3
    assert all(
        line[12:].startswith("Complaint filed [DISPUTED: 3 dates given] (") for line in filed
    )


def test_table_strips_control_characters() -> None:
    table = render_facts_table(hostile_briefing(), width=100)
    assert "\x1b" not in table and "\x9b" not in table
    assert "[red]Evil[/red]" in table.replace("\n", " ")  # shown as text, not interpreted


def test_empty_briefing_says_so() -> None:
    empty = Briefing(topic="T", generated="2026-01-01T00:00:00+00:00", facts=(), timeline=())
    assert "No key facts yet" in render_facts_table(empty)
    markdown = briefing_to_markdown(empty, [])
    assert "No figures were found" in markdown and "No on-topic articles." in markdown
    assert briefing_to_json(empty) == {
        "topic": "T",
        "generated": "2026-01-01T00:00:00+00:00",
        "facts": [],
        "timeline": [],
    }
