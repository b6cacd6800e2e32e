"""Issue 15's fault suite, the feed list: 2,000 feeds from one loopback server,
some sharing a URL, some named in CJK, right-to-left scripts, emoji, combining
marks and zero-width characters, some named up to the longest name allowed.

Everything goes through the real command (``briefing --config ... --cache-dir
... fetch``, then ``feeds`` and ``articles --all``) against a server on
127.0.0.1 on a free port. What it checks:

- a name over MAX_NAME, a bidi control character in a name and two feeds with
  one name are each refused with one line that names the file and the feed,
  exit status 2, no traceback, and the cache is left exactly as it was;
- two feeds may share a URL (feeds.toml asks only that names be unique): each
  is fetched and keeps its own articles under its own name;
- the whole list fetches with exit status 0 and every feed's articles stored;
- ``feeds`` and ``articles --all`` print one line per feed or article, each at
  most as wide as the plain table's columns allow (briefing.cli's COLUMN_WIDTH
  and LAST_COLUMN_WIDTH, whatever the names), with no control or bidi
  character, and every name shown, cut with '…' where it is longer than its
  column.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest
from _cli_helpers import run_briefing
from _fetch_helpers import Reply, serve

from briefing.cli import COLUMN_WIDTH, LAST_COLUMN_WIDTH
from briefing.core.config import MAX_NAME, ConfigError, parse_config
from briefing.core.textclean import clean_text

pytestmark = pytest.mark.timeout(120)

FEEDS = 2000
SHARED_WITH_PREVIOUS = 10
"""Every 10th feed has the URL of the feed before it, under a name of its own."""
SHARED_WITH_FIRST = 100
"""...and every 100th the URL of feed 1, so twenty feeds share that one."""

UNICODE_NAMES = (
    "新闻速递 {n}",  # CJK: wide characters
    "東京ニュース速報 {n}",
    "한국 뉴스 {n}",
    "أخبار الأرشيف {n}",  # right to left
    "חדשות הארכיון {n}",
    "שלום wire مرحبا {n}",  # both directions in one name
    "📰 Wire 🔥 {n}",  # emoji
    "👨\u200d👩\u200d👧 family {n}",  # a zero-width joiner sequence
    "🇺🇦🇯🇵 flags 👍🏽 {n}",
    "Cafe\u0301 Zu\u0308rich {n}",  # combining marks (NFD)
    "Z\u0335\u0321a\u0336l\u0337g\u0338o\u0334 {n}",  # stacked combining marks
    "zero\u200bwidth\u200cjoiner {n}",  # zero-width space and non-joiner
    "مى\u200cخواهم \u2060wire {n}",  # Persian's non-joiner, a word joiner
)
LONG_FILLERS = ("L", "长", "ש", "e\u0301", "👍🏽", "한")
"""Long names: a number, then one of these repeated to MAX_NAME - 1 or MAX_NAME
characters (code points, as the limit counts them)."""

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Unicode's Bidi_Control characters: the marks (ALM, LRM, RLM), the embeddings
and overrides, and the isolates."""
HOSTILE_TITLE_EVERY = 7
"""Every 7th served feed's title carries bidi controls (escape sequences in titles
are tests/test_fetch.py's; a C1 control in XML is read as cp1252 by feedparser)."""
HOSTILE = "\u202e\u061c\u2067\u200f\u2069"
LONG_TITLE = 3
"""The served feed whose title is far wider than its column, with no text and no
link: its page cannot be fetched, and the fetch says so."""
WHOLE_TEXT = "<p>" + "The court heard the filing in full and adjourned. " * 20 + "</p>"
"""An entry's own text: long enough to be the whole article, so the page step
has no page to fetch (the feeds are tiny, and the test fast)."""


LONG_EVERY = 20
"""One feed in 20 has a long name: 100, every filler at both lengths many times
over. More would only slow the first fetch: the store rewrites its whole list of
feed names (the ``sources`` record) for each new feed, so that cost grows with
the feeds times the length of their names (with 400 such names, 6.8 s of a
20 s fetch here)."""


def _name(number: int) -> str:
    """Feed ``number`` (1-based): plain, unicode, or MAX_NAME - 1 or MAX_NAME long."""
    if number % 5 == 1:
        return UNICODE_NAMES[number // 5 % len(UNICODE_NAMES)].format(n=number)
    if number % LONG_EVERY == 3:
        length = MAX_NAME - (number // LONG_EVERY % 2)
        filler = LONG_FILLERS[number // (2 * LONG_EVERY) % len(LONG_FILLERS)]
        return (f"{number} " + filler * MAX_NAME)[:length]
    return f"Wire {number}"


def _url_number(number: int) -> int:
    """Which of the server's feeds feed ``number`` reads."""
    if number % SHARED_WITH_FIRST == 0:
        return 1
    if number % SHARED_WITH_PREVIOUS == 0:
        return number - 1
    return number


def _title(url_number: int) -> str:
    """The one entry of a served feed, as sent: odd ones on topic, even ones not."""
    hostile = HOSTILE if url_number % HOSTILE_TITLE_EVERY == 0 else ""
    if url_number % 2 == 0:
        return f"Weather {url_number}:{hostile} rain"
    title = f"Story {url_number}:{hostile} Anna's Archive ruling"
    if url_number == LONG_TITLE:
        title += " " + "判决" * 2_000
    return title


def _shown_title(url_number: int) -> str:
    """The entry's title as `articles --all` shows it, before its column's cut."""
    title = _title(url_number)
    for character in BIDI_CONTROLS:
        title = title.replace(character, "")
    title = " ".join(title.split())
    return title + " (off topic)" if url_number % 2 == 0 else title


def _feed_body(base: str, url_number: int, now: datetime) -> bytes:
    date = format_datetime(now - timedelta(minutes=url_number), usegmt=True)
    text = "" if url_number == LONG_TITLE else WHOLE_TEXT
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Served {url_number}</title><link>{base}/</link>"
        f"<item><title>{escape(_title(url_number))}</title>"
        f"<guid isPermaLink='false'>urn:many:{url_number}</guid><pubDate>{date}</pubDate>"
        f"<description>{escape(text)}</description></item></channel></rss>"
    ).encode()


def _quote(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also wants DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _config_text(feeds: list[tuple[str, str]]) -> str:
    blocks = [
        "[topic]\n"
        'name = "Spotify and the labels v. Anna\'s Archive"\n'
        'keywords = ["Anna\'s Archive"]\n\n'
        "[settings]\ntimeout = 30\n"
    ]
    blocks += [f"[[feeds]]\nname = {_quote(name)}\nurl = {_quote(url)}\n" for name, url in feeds]
    return "\n".join(blocks)


@dataclass
class Site:
    folder: Path
    feeds: list[tuple[str, str]]
    """(name, url) of every feed of the valid config, in its order."""
    config: Path
    cache: Path

    def args(self, *command: str, config: Path | None = None) -> tuple[str, ...]:
        return ("--config", str(config or self.config), "--cache-dir", str(self.cache), *command)

    def renamed(self, file: str, names: dict[int, str]) -> Path:
        """The valid config, written to ``file``, with feed N (from 1) named names[N]."""
        feeds = [(names.get(n, name), url) for n, (name, url) in enumerate(self.feeds, 1)]
        path = self.folder / file
        path.write_text(_config_text(feeds), encoding="utf-8")
        return path


@dataclass
class Fetched:
    site: Site
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("many-feeds")
    now = datetime.now(UTC)
    with serve() as server:
        feeds = []
        for number in range(1, FEEDS + 1):
            url_number = _url_number(number)
            path = f"/feed/{url_number}.xml"
            if path not in server.routes:
                body = _feed_body(server.base, url_number, now)
                server.route(path, Reply(200, body, {"Content-Type": "application/rss+xml"}))
            feeds.append((_name(number), server.url(path)))
        config = folder / "feeds.toml"
        config.write_text(_config_text(feeds), encoding="utf-8")
        yield Site(folder, feeds, config, folder / "cache")


@pytest.fixture(scope="module")
def fetched(site: Site) -> Fetched:
    result = run_briefing(*site.args("fetch"), cwd=site.folder)
    assert result.returncode == 0, result.stderr[-2000:]
    return Fetched(site, result.stdout, result.stderr)


def _cache_files(cache: Path) -> dict[str, tuple[int, int, str]]:
    """Every file of the cache: (size, modification time, SHA-256 of its bytes)."""
    return {
        str(path.relative_to(cache)): (
            path.stat().st_size,
            path.stat().st_mtime_ns,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(cache.rglob("*"))
        if path.is_file()
    }


def _refused(site: Site, config: Path) -> str:
    """Run ``fetch`` with ``config`` on the fetched cache; the one error line."""
    before = _cache_files(site.cache)
    result = run_briefing(*site.args("fetch", config=config), cwd=site.folder)
    assert result.returncode == 2, (result.returncode, result.stderr[-1000:])
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith(f"briefing: error: {config}: "), lines[0]
    assert _cache_files(site.cache) == before, "a refused config touched the cache"
    return lines[0]


# --------------------------------------------------------------------------- refused


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("长" * (MAX_NAME + 1), f"{MAX_NAME + 1:,} characters"),
        ("👍🏽" * 50_005, "100,010 characters"),
    ],
    ids=["just-over", "100k"],
)
def test_a_name_over_max_name_is_refused_with_one_line(
    fetched: Fetched, name: str, shown: str
) -> None:
    site = fetched.site
    line = _refused(site, site.renamed("long.toml", {1500: name}))
    assert "feed 1500" in line and "'name' is too long" in line
    assert f"({shown}; at most {MAX_NAME:,})" in line
    assert len(line) < 400 + len(str(site.folder)), "the name is quoted cut"


def test_a_bidi_control_in_a_name_is_refused_with_one_line(fetched: Fetched) -> None:
    site = fetched.site
    line = _refused(site, site.renamed("bidi.toml", {700: "Wire \u202eevil 700"}))
    assert "feed 700" in line and "found U+202E" in line
    assert clean_text(line) == line, "the error line itself carries no control character"


@pytest.mark.parametrize("control", BIDI_CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_every_bidi_control_in_a_name_is_refused(control: str) -> None:
    data = {
        "topic": {"name": "Case", "keywords": ["Anna's Archive"]},
        "feeds": [{"name": f"أخبار{control} wire", "url": "https://wire.example/feed"}],
    }
    with pytest.raises(ConfigError, match=f"found U\\+{ord(control):04X}"):
        parse_config(data, "feeds.toml")


def test_two_feeds_with_one_name_are_refused_with_both_numbers(fetched: Fetched) -> None:
    site = fetched.site
    # One name once case is folded: "straße" and "STRASSE" both fold to "strasse".
    line = _refused(site, site.renamed("same.toml", {12: "Straße 1999", 1999: "STRASSE 1999"}))
    assert "feeds 12 and 1999 are both named 'STRASSE 1999'" in line
    assert "feed names must be unique" in line


# --------------------------------------------------------------------------- fetched


def test_every_feed_is_fetched_and_keeps_its_articles(fetched: Fetched) -> None:
    site = fetched.site
    assert f"{FEEDS} feeds: {FEEDS} new articles, 0 failed" in fetched.stderr
    assert "Traceback" not in fetched.stderr
    lines = fetched.stdout.splitlines()
    pages = [line for line in lines if line.startswith("page ")]
    feeds = [line for line in lines if not line.startswith("page ")]
    # One line per feed, in any order, each "<name>: new (1 new, 0 updated)".
    assert Counter(feeds) == Counter(f"{name}: new (1 new, 0 updated)" for name, _ in site.feeds)
    # The entry without a link: one line for its page, its long title cut.
    assert len(pages) == 1 and pages[0].endswith(": failed: the entry has no http(s) link")
    assert "…" in pages[0], pages[0][:300]
    widest = max(MAX_NAME, LAST_COLUMN_WIDTH) + 60
    _assert_bounded(fetched.stdout + fetched.stderr, len(lines) + 4, widest)


def test_feeds_prints_every_feed_bounded_and_named(fetched: Fetched) -> None:
    site = fetched.site
    result = run_briefing(*site.args("feeds"), cwd=site.folder)
    assert result.returncode == 0, result.stderr[-1000:]
    assert "Traceback" not in result.stderr
    header, *rows = result.stdout.splitlines()
    columns = ("FEED", "STATUS", "ARTICLES", "ON TOPIC", "LAST SUCCESS", "NOTE")
    starts = [header.index(column) for column in columns]
    widest = (len(columns) - 1) * (COLUMN_WIDTH + 2) + LAST_COLUMN_WIDTH
    _assert_bounded(result.stdout, len(rows) + 1, widest)
    assert len(rows) == FEEDS
    for (name, url), row in zip(site.feeds, rows, strict=True):
        # Padded to line up in characters, so each column can be read back by offset.
        cells = [
            row[start:end].strip() for start, end in zip(starts, [*starts[1:], None], strict=True)
        ]
        on_topic = str(_number_of(url) % 2)
        assert cells[0] == _cut(name, COLUMN_WIDTH), (name, row)
        assert cells[1:5] == ["new", "1", on_topic, "just now"], (name, url, row)
        assert cells[5] == ""


def test_articles_all_prints_every_article_bounded_and_named(fetched: Fetched) -> None:
    site = fetched.site
    result = run_briefing(*site.args("articles", "--all"), cwd=site.folder)
    assert result.returncode == 0, result.stderr[-1000:]
    assert "Traceback" not in result.stderr
    header, *rows = result.stdout.splitlines()
    widest = 2 * (COLUMN_WIDTH + 2) + LAST_COLUMN_WIDTH
    _assert_bounded(result.stdout, len(rows) + 1, widest)
    source, title = header.index("SOURCE"), header.index("TITLE")
    shown = Counter((row[source:title].rstrip(), row[title:]) for row in rows)
    # A URL two feeds share gives each of them its own copy of the entry.
    expected = Counter(
        (_cut(name, COLUMN_WIDTH), _cut(_shown_title(_number_of(url)), LAST_COLUMN_WIDTH))
        for name, url in site.feeds
    )
    assert len(rows) == FEEDS
    assert shown == expected, sorted((shown - expected).items())[:3]
    sharing_first = [row for row in rows if row[title:] == "Story 1: Anna's Archive ruling"]
    assert len(sharing_first) == 1 + FEEDS // SHARED_WITH_FIRST


def _number_of(url: str) -> int:
    return int(url.rsplit("/", 1)[1].removesuffix(".xml"))


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _assert_bounded(output: str, lines: int, widest: int) -> None:
    """Every line at most ``widest`` characters, so the whole output is at most
    ``lines`` x that, however long the names; nothing a terminal would obey."""
    too_wide = [line for line in output.splitlines() if len(line) > widest]
    assert not too_wide, f"{len(too_wide)} lines wider than {widest}: {too_wide[0][:300]!r}"
    assert len(output) <= lines * (widest + 1)
    _assert_clean(output)


def _assert_clean(output: str) -> None:
    """No control character but the newline, no escape, no bidi control."""
    assert clean_text(output) == output, "briefing's own clean_text would change this output"
    bad = {
        f"U+{ord(c):04X}"
        for c in set(output)
        if c in BIDI_CONTROLS
        or unicodedata.bidirectional(c)
        in ("LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI")
        or (unicodedata.category(c) == "Cc" and c != "\n")
    }
    assert not bad, f"control or bidi characters in the output: {sorted(bad)}"
