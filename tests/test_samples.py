"""The bundled sample briefing is well-formed, labelled, and disagrees the way real coverage does.

These tests read the feed files with the standard library's XML parser only, so they check the
files themselves, independent of briefing's own fetch and parse code.
"""

from __future__ import annotations

import html
import json
import re
import tomllib
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest

import briefing

SAMPLES = Path(briefing.__file__).resolve().parent / "samples"
FEEDS_DIR = SAMPLES / "feeds"

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
SAMPLE_LABEL = "Sample article written for the briefing demo; not real reporting."
EARLIEST = datetime(2025, 12, 20, tzinfo=UTC)
LATEST = datetime(2026, 2, 11, tzinfo=UTC)


@dataclass(frozen=True)
class SampleItem:
    feed_file: str
    feed_format: str
    id: str
    title: str
    link: str
    published: datetime
    body_html: str
    """The body as HTML text (Atom xhtml content is serialised back to markup)."""

    @property
    def body_text(self) -> str:
        return html_to_plain(self.body_html)

    @property
    def text(self) -> str:
        """Title and body as one plain text, the way a reader would see them."""
        return f"{self.title}\n{self.body_text}"


def html_to_plain(markup: str) -> str:
    without_scripts = re.sub(r"<script\b.*?</script>", " ", markup, flags=re.S | re.I)
    without_tags = re.sub(r"<[^>]+>", " ", without_scripts)
    return " ".join(html.unescape(without_tags).split())


def normalise(text: str) -> str:
    """Fold the spellings real headlines use: curly quotes, compatibility forms, case."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'}))
    return text.casefold()


def mentions_topic(text: str, keywords: list[str]) -> bool:
    folded = normalise(text)
    return any(
        re.search(rf"(?<!\w){re.escape(normalise(keyword))}(?!\w)", folded) for keyword in keywords
    )


def child_text(element: ET.Element, tag: str) -> str:
    found = element.find(tag)
    assert found is not None, f"<{tag}> missing"
    return found.text or ""


def parse_rss(path: Path, root: ET.Element) -> list[SampleItem]:
    items = []
    for item in root.iter("item"):
        encoded = item.find(CONTENT_ENCODED)
        body = encoded.text if encoded is not None else child_text(item, "description")
        items.append(
            SampleItem(
                feed_file=path.name,
                feed_format="rss",
                id=child_text(item, "guid"),
                title=child_text(item, "title"),
                link=child_text(item, "link"),
                published=parsedate_to_datetime(child_text(item, "pubDate")),
                body_html=body or "",
            )
        )
    return items


def parse_atom(path: Path, root: ET.Element) -> list[SampleItem]:
    items = []
    for entry in root.iter(f"{ATOM}entry"):
        content = entry.find(f"{ATOM}content")
        assert content is not None
        if content.get("type") == "xhtml":
            for element in content.iter():
                element.tag = element.tag.rpartition("}")[2]  # serialise as plain HTML tags
            body = "".join(ET.tostring(child, encoding="unicode") for child in content)
        else:
            body = content.text or ""
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None
        items.append(
            SampleItem(
                feed_file=path.name,
                feed_format="atom",
                id=child_text(entry, f"{ATOM}id"),
                title=child_text(entry, f"{ATOM}title"),
                link=link.get("href", ""),
                published=datetime.fromisoformat(child_text(entry, f"{ATOM}published")),
                body_html=body,
            )
        )
    return items


def feed_files() -> list[Path]:
    return sorted(p for p in FEEDS_DIR.iterdir() if p.suffix in {".rss", ".atom"})


def parse_feed(path: Path) -> tuple[ET.Element, list[SampleItem]]:
    root = ET.fromstring(path.read_bytes())
    if root.tag == "rss":
        return root, parse_rss(path, root)
    assert root.tag == f"{ATOM}feed", f"{path.name}: neither RSS nor Atom ({root.tag})"
    return root, parse_atom(path, root)


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return tomllib.loads((SAMPLES / "feeds.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def items() -> dict[str, SampleItem]:
    by_id: dict[str, SampleItem] = {}
    for path in feed_files():
        for item in parse_feed(path)[1]:
            assert item.id not in by_id, f"duplicate id {item.id}"
            by_id[item.id] = item
    return by_id


# --------------------------------------------------------------------------- the files


@pytest.mark.parametrize("path", feed_files(), ids=lambda p: p.name)
def test_feed_is_well_formed_utf8_xml_with_a_sample_label(path: Path) -> None:
    raw = path.read_bytes()
    raw.decode("utf-8")  # raises if not UTF-8
    assert raw.lower().startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root, items = parse_feed(path)
    if root.tag == "rss":
        assert root.get("version") == "2.0"
        channel = root.find("channel")
        assert channel is not None
        title, description = child_text(channel, "title"), child_text(channel, "description")
    else:
        title = child_text(root, f"{ATOM}title")
        description = child_text(root, f"{ATOM}subtitle")
    assert title.startswith("Sample ")
    assert "sample feed written for briefing's demo" in description
    assert items, f"{path.name} has no items"


def test_at_least_six_outlets_in_both_formats(config: dict[str, Any]) -> None:
    formats = {path.suffix for path in feed_files()}
    assert formats == {".rss", ".atom"}
    assert len(feed_files()) >= 6
    names = [feed["name"] for feed in config["feeds"]]
    assert len(names) == len(set(names)) >= 6
    assert all(name.startswith("Sample ") for name in names)


def test_sample_config_lists_every_feed_file_by_relative_path(config: dict[str, Any]) -> None:
    assert "Anna's Archive" in config["topic"]["keywords"]
    assert config["topic"]["exclude"] == []
    assert config["settings"]["retention_days"] >= 36500
    listed = set()
    for feed in config["feeds"]:
        assert not Path(feed["url"]).is_absolute()
        target = (SAMPLES / feed["url"]).resolve()
        assert target.is_file(), feed["url"]
        assert "sample" in feed["tags"]
        listed.add(target)
    assert listed == {path.resolve() for path in feed_files()}


def test_feed_titles_match_the_config_names(config: dict[str, Any]) -> None:
    for feed in config["feeds"]:
        root, _ = parse_feed(SAMPLES / feed["url"])
        channel = root.find("channel")
        if channel is not None:
            assert child_text(channel, "title") == feed["name"]
        else:
            assert child_text(root, f"{ATOM}title") == feed["name"]


def test_feedparser_reads_every_feed_cleanly(items: dict[str, SampleItem]) -> None:
    """The parser briefing really uses reads the same entries, without bozo warnings."""
    seen: dict[str, str] = {}
    for path in feed_files():
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, f"{path.name}: {parsed.get('bozo_exception')}"
        for entry in parsed.entries:
            seen[entry.id] = entry.title
            assert entry.get("published_parsed") is not None
    assert set(seen) == set(items)


# --------------------------------------------------------------------------- the items


def test_every_item_is_expected_exactly_once(
    items: dict[str, SampleItem], expected: dict[str, Any]
) -> None:
    on, off = expected["on_topic_ids"], expected["off_topic_ids"]
    assert not set(on) & set(off)
    assert sorted(on + off) == sorted(items)
    assert expected["hostile_id"] in on
    for item_id, item in items.items():
        outlet = item.feed_file.rsplit(".", 1)[0]
        assert re.fullmatch(rf"sample-{outlet}-\d{{3}}", item_id)


def test_every_item_is_labelled_sample_and_links_to_example_org(
    items: dict[str, SampleItem],
) -> None:
    for item in items.values():
        assert item.body_text.endswith(SAMPLE_LABEL), item.id
        assert re.search(r"<em>\s*" + re.escape(SAMPLE_LABEL), item.body_html), item.id
        assert item.link.startswith("https://example.org/sample/"), item.id


def test_body_links_stay_on_example_org_except_the_hostile_one(
    items: dict[str, SampleItem], expected: dict[str, Any]
) -> None:
    for item in items.values():
        hrefs = re.findall(r'(?:href|src)="([^"]*)"', item.body_html)
        outside = [h for h in hrefs if not h.startswith("https://example.org/sample/")]
        if item.id == expected["hostile_id"]:
            assert outside == ["javascript:alert(document.cookie)"]
        else:
            assert hrefs, f"{item.id} has no links"
            assert outside == [], item.id


def test_dates_fall_in_the_story_window(items: dict[str, SampleItem]) -> None:
    for item in items.values():
        assert item.published.tzinfo is not None, item.id
        assert EARLIEST <= item.published < LATEST, (item.id, item.published)
    days = {item.published.date() for item in items.values()}
    assert len(days) >= 12  # spread out, so a coverage chart has a shape


def test_at_least_fifteen_on_topic_articles_each_naming_the_topic(
    items: dict[str, SampleItem], expected: dict[str, Any], config: dict[str, Any]
) -> None:
    on_topic = expected["on_topic_ids"]
    assert len(on_topic) - 1 >= 15  # not counting the hostile item
    for item_id in on_topic:
        assert mentions_topic(items[item_id].text, config["topic"]["keywords"]), item_id


def test_on_topic_articles_are_real_articles(
    items: dict[str, SampleItem], expected: dict[str, Any]
) -> None:
    for item_id in expected["on_topic_ids"]:
        item = items[item_id]
        words = len(item.body_text.split())
        assert 120 <= words <= 400, (item_id, words)
        assert "<p>" in item.body_html or "<p " in item.body_html
    bodies = [items[i].body_html for i in expected["on_topic_ids"]]
    assert sum("<ul>" in body for body in bodies) >= 10
    assert sum("<blockquote>" in body for body in bodies) >= 10


def test_off_topic_items_never_match(
    items: dict[str, SampleItem], expected: dict[str, Any], config: dict[str, Any]
) -> None:
    off_topic = expected["off_topic_ids"]
    assert len(off_topic) >= 5
    assert len({items[i].feed_file for i in off_topic}) >= 5
    for item_id in off_topic:
        text = items[item_id].text
        assert not mentions_topic(text, config["topic"]["keywords"]), item_id
        assert "anna" not in normalise(text), item_id
    # "Spotify" alone must not be enough to be on topic.
    assert any("Spotify" in items[i].text for i in off_topic)


def test_topic_is_spelled_every_way_real_headlines_spell_it(
    items: dict[str, SampleItem], expected: dict[str, Any]
) -> None:
    on_topic_text = "\n".join(items[i].text for i in expected["on_topic_ids"])
    titles = "\n".join(items[i].title for i in expected["on_topic_ids"])
    for spelling in ("Anna's Archive", "Anna’s Archive", "“Anna’s Archive”", "Annas Archive"):
        assert spelling in titles, spelling
    assert "the shadow library" in on_topic_text
    # One article names the topic only as a shadow library.
    assert any("anna" not in normalise(items[i].text) for i in expected["on_topic_ids"])


# --------------------------------------------------------------------------- figures


def test_every_listed_figure_is_written_exactly_so(
    items: dict[str, SampleItem], expected: dict[str, Any]
) -> None:
    figures = expected["figures_by_article"]
    assert set(figures) == set(expected["on_topic_ids"])
    for item_id, texts in figures.items():
        assert texts, item_id
        for text in texts:
            assert text in items[item_id].text, (item_id, text)
    for item_id, distinct in expected["distinct_figures"].items():
        for text in distinct:
            assert text in figures[item_id]


def sources_stating(items: dict[str, SampleItem], ids: list[str], pattern: str) -> set[str]:
    return {items[i].feed_file for i in ids if re.search(pattern, items[i].text)}


def test_sources_disagree_the_way_real_coverage_does(
    items: dict[str, SampleItem], expected: dict[str, Any]
) -> None:
    ids = expected["on_topic_ids"]

    def outlets(pattern: str) -> set[str]:
        return sources_stating(items, ids, pattern)

    # The headline total, in four spellings, from different outlets.
    assert len(outlets(r"\$13 trillion")) >= 2
    assert len(outlets(r"(?<!US)\$12\.9 trillion")) >= 2
    assert outlets(r"US\$12\.9tn")
    assert outlets(r"thirteen trillion dollars")
    assert outlets(r"\$13 trillion").isdisjoint(outlets(r"\$12\.9 trillion"))
    # Per-work damages: most say $150,000, one says $151,000.
    assert len(outlets(r"\$150,000")) >= 5
    assert len(outlets(r"\$151,000")) == 1
    assert outlets(r"one hundred fifty thousand dollars")
    # At least three different filing dates.
    filing = {
        "Dec 29": r"Dec\. 29|December 29, 2025|29 December",
        "Dec 22": r"December 22",
        "Jan 2": r"January 2, 2026",
    }
    assert all(outlets(pattern) for pattern in filing.values()), filing
    assert len(outlets(filing["Dec 29"])) >= 4
    # Unsealing: most say January 16, one says Jan. 15.
    assert len(outlets(r"January 16, 2026")) >= 4
    assert outlets(r"Jan\. 15")
    # Counts and sizes written differently.
    for pattern in (
        r"86 million music files",
        r"86m tracks",
        r"eighty-six million audio files",
        r"256 million rows of metadata",
        r"256m metadata records",
        r"300 TB",
        r"~300TB",
        r"nearly 300 terabytes",
        r"99\.6%",
        r"99\.6 per cent",
    ):
        assert outlets(pattern), pattern


def test_traps_for_figure_extraction_are_present(
    items: dict[str, SampleItem], expected: dict[str, Any]
) -> None:
    text = "\n".join(items[i].text for i in expected["on_topic_ids"])
    # A date without a year that belongs to 2026.
    assert "Jan. 20" in text
    # Hedges.
    for hedge in ("about 86 million", "nearly 300", "up to $150,000", "roughly"):
        assert hedge in text, hedge
    # A released count that must not be merged with the scraped count.
    assert "about 2.8 million files released in the first batch" in text
    # Damages sought, explicitly not an award.
    assert re.search(r"sought, not awarded|claim rather than an award|not an award", text)
    # Two figures in one sentence.
    assert re.search(r"\$151,000 per work and say about 86 million music files", text)


# --------------------------------------------------------------------------- the hostile item


def test_hostile_item_carries_markup_controls_and_active_content(
    items: dict[str, SampleItem], expected: dict[str, Any]
) -> None:
    hostile = items[expected["hostile_id"]]
    assert hostile.feed_file == "hacker-forum.atom"
    for markup in ("[red]", "[/red]", "[link=file:///etc/passwd]", "[@click=app.quit]"):
        assert markup in hostile.title, markup
    assert "\u009b2J" in hostile.title  # CSI "erase display", as a C1 control
    assert "\u009d8;;" in hostile.title  # OSC 8 hyperlink, as a C1 control
    body = hostile.body_html
    for active in ("<script>alert(1)</script>", "<iframe", "onclick=", 'href="javascript:'):
        assert active in body, active
    assert "Sample hostile item used to test safety" in body
    # The hostile item is still a valid entry that feedparser reads, and still on topic.
    parsed = feedparser.parse((FEEDS_DIR / "hacker-forum.atom").read_bytes())
    entry = next(e for e in parsed.entries if e.id == hostile.id)
    assert "[link=file:///etc/passwd]" in entry.title
    assert "\u009d" in entry.title  # survives feedparser, so the cleaner must strip it


def test_readme_table_counts_match_the_feeds(
    items: dict[str, SampleItem], expected: dict[str, Any]
) -> None:
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    assert "fictional sample material written for briefing" in readme
    on = set(expected["on_topic_ids"])
    for path in feed_files():
        in_feed = [i for i in items.values() if i.feed_file == path.name]
        on_count = sum(i.id in on for i in in_feed)
        row = re.search(
            rf"\| `feeds/{re.escape(path.name)}` \| [^|]+ \| (\d+) \| (\d+) \| (\d+) \|", readme
        )
        assert row, path.name
        assert [int(n) for n in row.groups()] == [on_count, len(in_feed) - on_count, len(in_feed)]
