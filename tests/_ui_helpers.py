"""Fixtures for the reader's tests: a real diskcache built from fixture feeds.

The fixture articles are written for these tests (fictional outlets, our own
words); the figures are the case's public ones, so the facts engine has
something to merge and to disagree about.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import monotonic

from textual.pilot import Pilot

from briefing.core.models import (
    Config,
    FeedConfig,
    FeedState,
    FullTextMode,
    ParsedEntry,
    Settings,
    Topic,
)
from briefing.core.service import BriefingService
from briefing.core.store import Store, article_id
from briefing.ui.app import BriefingApp

FIXED_NOW = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
LAST_REFRESH = (FIXED_NOW - timedelta(hours=3)).isoformat(timespec="seconds")

TOPIC = Topic(
    name="Spotify and the labels v. Anna's Archive",
    keywords=("Anna's Archive", "shadow library"),
)

HOSTILE_MARKUP_TITLE = "[red]Alarm[/red] over Anna's Archive mirrors"
HOSTILE_LINK_TITLE = "[link=file:///etc/passwd]Anna's Archive files[/link] leaked"
HOSTILE_ESCAPE_TITLE = "Anna's Archive \x1b[31mred\x1b[0m and \x9b31m C1 title"
HOSTILE_ESCAPE_SHOWN = "Anna's Archive red and 31m C1 title"
"""ESC sequences go whole; a lone C1 CSI goes, leaving its harmless parameters."""


def body(*paragraphs: str) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


@dataclass(frozen=True)
class FixtureArticle:
    guid: str
    title: str
    published: str
    html: str
    link: str = ""


FEEDS: dict[str, list[FixtureArticle]] = {
    "Legal Desk": [
        FixtureArticle(
            "legal-1",
            "Spotify and the labels sue Anna's Archive in New York",
            "2026-01-16T18:00:00+00:00",
            body(
                "Spotify and the three major labels have sued Anna's Archive in federal court in New York.",
                "The complaint says the shadow library copied 86 million music files and 256 million rows of metadata.",
                "The plaintiffs seek up to $150,000 per work, about $13 trillion in total.",
                "The complaint was unsealed on January 16, 2026.",
            ),
        ),
        FixtureArticle(
            "legal-2",
            "Judge extends the order against Anna's Archive domains",
            "2026-01-21T10:00:00+00:00",
            body(
                "A judge turned the temporary order against Anna's Archive into a preliminary injunction on Jan. 20.",
                "The plaintiffs repeat that their damages claim reaches $13 trillion.",
            ),
        ),
        FixtureArticle(
            "legal-3",
            "Crossword of the week",
            "2026-01-22T10:00:00+00:00",
            body("Nothing here about the case at all."),
        ),
    ],
    "Tech Daily": [
        FixtureArticle(
            "tech-1",
            "How a shadow library scraped a streaming giant",
            "2026-01-17T09:00:00+00:00",
            body(
                "Engineers say Anna's Archive collected 86 million music files over several months.",
                "By the complaint's arithmetic the damages come to $12.9 trillion, a figure no court has awarded.",
                "The scrape was described as roughly 300 TB of audio.",
            ),
        ),
        FixtureArticle(
            "tech-2",
            "Anna's Archive mirrors keep appearing after the injunction",
            "2026-01-25T12:00:00+00:00",
            body(
                "New mirror domains for Anna's Archive appeared within days of the Jan. 20 injunction.",
                "Registrars have suspended some of them.",
            ),
        ),
    ],
    "Forum": [
        FixtureArticle(
            "forum-1",
            HOSTILE_MARKUP_TITLE,
            "2026-01-26T12:00:00+00:00",
            body(
                "Posted by [bold magenta]someone[/bold magenta]: Anna's Archive mirrors are listed here.",
                "Markup like [@click=app.quit]quit[/] must stay text.",
            ),
            link="javascript:alert(1)",
        ),
        FixtureArticle(
            "forum-2",
            HOSTILE_LINK_TITLE,
            "2026-01-27T12:00:00+00:00",
            body("Another thread about Anna's Archive and its mirrors."),
            link="file:///etc/passwd",
        ),
        FixtureArticle(
            "forum-3",
            HOSTILE_ESCAPE_TITLE,
            "2026-01-28T12:00:00+00:00",
            body("A thread on Anna's Archive with \x1b]0;pwned\x07 escapes in the body."),
        ),
    ],
}


def fixture_id(feed: str, guid: str) -> str:
    return article_id(feed, guid)


def placeholder_url(name: str) -> str:
    """A URL that is never fetched (.invalid cannot resolve)."""
    return "https://feeds.invalid/" + re.sub(r"\W+", "-", name.lower())


def make_config(
    feeds: Iterable[tuple[str, str]],
    path: Path | None = None,
    *,
    full_text: FullTextMode = "never",
) -> Config:
    """Pages are never fetched unless a test asks: fixture links are not on loopback."""
    return Config(
        topic=TOPIC,
        settings=Settings(timeout=5.0, concurrency=4, retention_days=36500),
        feeds=tuple(FeedConfig(name, url, full_text=full_text) for name, url in feeds),
        path=str(path) if path else None,
    )


def build_service(
    cache_dir: Path,
    feeds: dict[str, list[FixtureArticle]] | None = None,
    *,
    urls: dict[str, str] | None = None,
    full_text: FullTextMode = "never",
) -> BriefingService:
    """A service over a real diskcache holding the fixture feeds, as a refresh 3 h ago left it.

    With ``full_text="auto"``, every stored and served article link must point
    at the loopback server: short fixture entries get their pages fetched.
    """
    feeds = FEEDS if feeds is None else feeds
    urls = urls or {}
    config = make_config(
        ((name, urls.get(name, placeholder_url(name))) for name in feeds), full_text=full_text
    )
    store = Store(cache_dir)
    service = BriefingService(config, store)
    for feed in config.feeds:
        entries = [
            ParsedEntry(
                id=item.guid,
                title=item.title,
                link=item.link or f"https://example.org/{item.guid}",
                author="",
                published=item.published,
                summary="",
                content=item.html,
            )
            for item in feeds.get(feed.name, [])
        ]
        store.save_entries(
            feed.name, entries, service.topic_filter, retention_days=36500, now=LAST_REFRESH
        )
        store.save_feed_state(
            FeedState(
                feed.name,
                feed.url,
                last_status="new",
                last_attempt=LAST_REFRESH,
                last_success=datetime.now(UTC).isoformat(timespec="seconds"),
            )
        )
    store.set_meta("last_refresh", LAST_REFRESH)
    return service


def make_app(service: BriefingService, tmp_path: Path, **options: object) -> BriefingApp:
    return BriefingApp(
        service,
        cache_dir=service.store.directory,
        now=lambda: FIXED_NOW,
        export_dir=tmp_path,
        **options,  # type: ignore[arg-type]
    )


POLL = 0.005
"""How often the helpers below look at the app while they wait."""


def close_stores(app: BriefingApp, service: BriefingService) -> None:
    """Close the caches a test's app opened: the user's and, when it stood in, the
    sample's."""
    if app.sample_service is not None:
        app.sample_service.store.close()
    service.store.close()


def _quiet(app: BriefingApp) -> bool:
    return app.loaded and app.main_screen.data is not None and not app.busy


async def settle(pilot: Pilot[int], *, timeout: float = 10.0) -> None:
    """Wait until the cache is painted, no worker or job runs or is about to start,
    and their messages are handled: the key facts a load asks for are on screen.

    Quiet twice, with the app's pending messages handled in between: a job posts
    its last message before it ends, and a handler can start another one.
    """
    app = pilot.app
    assert isinstance(app, BriefingApp)
    deadline = monotonic() + timeout
    while True:
        if _quiet(app):
            await pilot.pause()
            if _quiet(app):
                return
        elif monotonic() > deadline:
            raise AssertionError(
                f"the reader did not settle in {timeout:g} s: loaded={app.loaded}, "
                f"data={app.main_screen.data is not None}, busy={app.busy}"
            )
        else:
            await pilot.pause(POLL)


async def wait_for(pilot: Pilot[int], condition: object, *, timeout: float = 10.0) -> None:
    deadline = monotonic() + timeout
    while True:
        if condition():  # type: ignore[operator]
            return
        if monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(POLL)


_TEXT_ELEMENT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)" textLength="([\d.]+)"[^>]*>([^<]*)</text>'
)


def screen_text(app: BriefingApp) -> str:
    """The characters on screen, row by row, from Textual's own SVG export."""
    rows: dict[float, dict[int, str]] = {}
    for x, y, length, raw in _TEXT_ELEMENT.findall(app.export_screenshot()):
        text = html.unescape(raw).replace("\xa0", " ")
        if not text:
            continue
        cell = float(length) / len(text)
        row = rows.setdefault(float(y), {})
        column = round(float(x) / cell)
        for offset, char in enumerate(text):
            row[column + offset] = char
    lines = []
    for _, row in sorted(rows.items()):
        width = max(row) + 1 if row else 0
        lines.append("".join(row.get(column, " ") for column in range(width)).rstrip())
    return "\n".join(lines)


async def painted_text(pilot: Pilot[int], *, rounds: int = 50) -> str:
    """The characters on screen once a pause changes them no more.

    A layout can give a widget the size that changes what it shows (the refresh
    count's Resize handler picks a shorter count), and that takes another layout
    to paint: one pause is not always enough when the idle wait is short.
    """
    app = pilot.app
    assert isinstance(app, BriefingApp)
    text = screen_text(app)
    for _ in range(rounds):
        await pilot.pause()
        again = screen_text(app)
        if again == text:
            return text
        text = again
    raise AssertionError(f"the screen still changed after {rounds} pauses")


def rss_feed(title: str, items: Iterable[FixtureArticle]) -> bytes:
    """A small RSS 2.0 document for the loopback server."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f"<channel><title>{html.escape(title)}</title><link>https://example.org/</link>",
        "<description>Fixture feed written for briefing's tests.</description>",
    ]
    for item in items:
        published = datetime.fromisoformat(item.published).strftime("%a, %d %b %Y %H:%M:%S +0000")
        parts.append(
            f"<item><title>{html.escape(item.title)}</title>"
            f"<link>{html.escape(item.link or 'https://example.org/' + item.guid)}</link>"
            f'<guid isPermaLink="false">{html.escape(item.guid)}</guid>'
            f"<pubDate>{published}</pubDate>"
            f"<content:encoded>{html.escape(item.html)}</content:encoded></item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def article_text(app: BriefingApp) -> str:
    """The lines the article pane shows, joined into one text (wrapping undone)."""
    from briefing.ui.widgets.article_view import ArticleView

    view = app.main_screen.query_one(ArticleView)
    lines = (view.render_line(y).text for y in range(view.scrollable_content_region.height))
    return " ".join(" ".join(line.split()) for line in lines if line.strip())
