"""Full article text: which pages are fetched, what is extracted, how it is cached.

Pages are the fixtures in tests/fulltext_pages (written for these tests),
served from a real HTTP server on 127.0.0.1; the cache is a real diskcache
directory; the CLI runs in a subprocess.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from _cli_helpers import run_briefing
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from briefing.core.config import load_config
from briefing.core.fulltext import (
    AUTO_MIN_WORDS,
    STATUS_OK,
    STATUS_PENDING,
    STATUS_SKIPPED,
    PageResult,
    decode_html,
    extract_page,
    plan_pages,
    sanitise_html,
    wants_page,
)
from briefing.core.models import Article, RefreshSummary, Settings
from briefing.core.service import BriefingService
from briefing.core.store import Store
from briefing.core.textclean import html_to_text

PAGES = Path(__file__).parent / "fulltext_pages"

# What the pages are about, and what only their furniture says.
NEWS_FACTS = ("86 million music files", "256 million rows", "$13 trillion", "$150,000 per work")
NEWS_BOILERPLATE = (
    "cookies",  # the consent banner
    "Accept all",
    "Podcasts",  # the nav bar
    "Related stories",
    "Vinyl sales",  # a related link
    "Read more",  # the in-article promo box
    "Explainer",
    "Refinance",  # ads
    "headphones",
    "Morning Ledger",  # newsletter box
    "Subscribe now",  # paywall teaser
    "Start my subscription",
    "quadrillion",  # the comments
    "Whack-a-mole",
    "Reply",
    "All rights reserved",  # footer
)


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def text_of(body_html: str) -> str:
    return " ".join(html_to_text(body_html).split())


def recent(days_ago: int = 0) -> str:
    """An RFC 822 date a few days back, so the article counts as recent."""
    import email.utils

    when = datetime.now(UTC) - timedelta(days=days_ago)
    return email.utils.format_datetime(when)


# =========================================================================== extraction


def test_news_article_keeps_text_figures_and_structure_but_no_boilerplate() -> None:
    title = "Labels and Spotify take Anna's Archive to court over music scrape"
    result = extract_page(
        page("news_article.html"), "text/html; charset=utf-8", "https://ledger.example/a", title
    )
    assert result.error == ""
    text = text_of(result.html)
    for fact in NEWS_FACTS:
        assert fact in text
    assert "mirrors in several countries" in text  # the last paragraph
    for phrase in NEWS_BOILERPLATE:
        assert phrase not in text, phrase
    # Headings, lists, quotes and links survive as simple HTML.
    assert "<h2>How the damages figure adds up</h2>" in result.html
    assert result.html.count("<li>") == 3
    assert "<blockquote>" in result.html
    assert '<a href="https://newsroom.spotify.example/statement">' in result.html
    # The headline is the article's title already: not repeated as the first heading.
    assert title not in text
    assert 300 < result.words < 450


def test_text_split_over_many_divs_is_found_without_the_sidebar() -> None:
    result = extract_page(page("split_divs.html"), "text/html", "https://beat.example/x")
    text = text_of(result.html)
    for fact in ("86 million music files", "256 million rows", "$12.9 trillion", "$13 trillion"):
        assert fact in text
    assert "dozens of pages" in text and "one domain to the next" in text
    assert text.count("<p>") == 0 and result.html.count("<p>") >= 6  # one paragraph per div
    for phrase in ("Trending now", "Learn guitar", "Sign up", "Loudline", "Sign in"):
        assert phrase not in text, phrase


def test_short_post_with_long_comment_thread_keeps_the_post_only() -> None:
    result = extract_page(page("long_comments.html"), "text/html", "https://notes.example/p")
    text = text_of(result.html)
    assert "86 million music files" in text and "$150,000 per work" in text
    for phrase in ("cookies", "says:", "mirror all of it", "Leave a Reply", "Recent posts"):
        assert phrase not in text, phrase


def test_table_layout_page_keeps_the_story_cell_not_the_menu_column() -> None:
    result = extract_page(page("br_separated.html"), "text/html", "https://trade.example/n/2200")
    text = text_of(result.html)
    for fact in (
        "86 million music files",
        "256 million rows",
        "$12.9 trillion",
        "$150,000 per work",
    ):
        assert fact in text
    assert "A hearing date has not been set" in text
    for phrase in ("Pressing plant", "Sections", "Publishing", "Jobs", "Reproduction prohibited"):
        assert phrase not in text, phrase


def test_data_tables_inside_an_article_are_kept_as_rows() -> None:
    words = " ".join(["The filing explains how each figure in it was reached."] * 8)
    document = (
        f"<html><body><nav><a href=/a>Home</a> <a href=/b>World</a></nav><article>"
        f"<h1>Figures</h1><p>{words}</p><table><tr><th>Claim</th><th>Figure</th></tr>"
        "<tr><td>Music files</td><td>86 million</td></tr>"
        "<tr><td>Damages sought</td><td>$13 trillion</td></tr></table>"
        f"<p>{words}</p></article><footer>Copyright</footer></body></html>"
    )
    result = extract_page(document.encode(), "text/html", "https://x.example/")
    text = html_to_text(result.html)
    assert "Music files | 86 million" in text and "Damages sought | $13 trillion" in text
    assert "World" not in text and "Copyright" not in text


@pytest.mark.parametrize(
    "content_type",
    ["text/html", "text/html; charset=ISO-8859-1", "text/html; charset=windows-1252"],
)
def test_windows_1252_page_decodes_from_meta_or_header(content_type: str) -> None:
    result = extract_page(page("windows1252.html"), content_type, "https://gazette.example/a")
    text = text_of(result.html)
    assert "Affaire Anna’s Archive" in text  # 0x92 is a curly apostrophe, not a C1 control
    assert "Élodie Marchand" in text
    assert "86 millions de fichiers" in text and "$13 trillion" in text
    assert "$150,000 par œuvre" in text and "9,99 € par mois" in text
    assert "\ufffd" not in text
    assert "rouvriront" not in text  # the reader comments


def test_decode_html_order_bom_header_meta_then_guess() -> None:
    quoted = b"<p>\x93quoted\x94 caf\xe9</p>"
    assert decode_html(quoted, "text/html; charset=iso-8859-1") == "<p>“quoted” café</p>"
    assert decode_html(b'<meta charset="latin1">' + quoted).endswith("<p>“quoted” café</p>")
    assert decode_html("<p>café</p>".encode(), None) == "<p>café</p>"
    assert decode_html(quoted, None) == "<p>“quoted” café</p>"  # not UTF-8: windows-1252
    assert decode_html(b"\xef\xbb\xbf<p>caf\xc3\xa9</p>", "text/html; charset=latin1") == (
        "<p>café</p>"
    )


def test_non_html_answers_are_refused() -> None:
    result = extract_page(b"%PDF-1.7 ...", "application/pdf", "https://x.example/a.pdf")
    assert result.error == "not an HTML page (application/pdf)"
    assert extract_page(b"\x89PNG\r\n", None, "https://x.example/a").error == "not an HTML page"


def test_sanitised_html_keeps_only_safe_simple_markup() -> None:
    hostile = (
        '<h1 onclick="x()">Title</h1><p style="color:red">Text <b>bold</b> and'
        ' <a href="javascript:alert(1)">bad link</a>, <a href="/rel?a=1&amp;b=2">relative</a>,'
        ' <a href="ftp://x/y">ftp</a>.</p><script>steal()</script><img src=x onerror=y>'
        "<table><tr><th>Claim</th><th>Amount</th></tr><tr><td>Damages</td><td>$13 trillion</td>"
        "</tr></table><p>\x1b[31mred\x1b[0m\x07 text</p><iframe src=//evil>inner</iframe><p></p>"
    )
    safe = sanitise_html(hostile, base_url="https://site.example/dir/page")
    assert safe.startswith("<h2>Title</h2>")
    assert "<strong>bold</strong>" in safe
    assert '<a href="https://site.example/rel?a=1&amp;b=2">relative</a>' in safe
    assert "javascript" not in safe and "ftp://" not in safe and ">bad link<" not in safe
    assert "bad link" in safe and "ftp" in safe  # the words stay, the links go
    for gone in ("onclick", "style=", "script", "steal", "<img", "onerror", "iframe", "inner"):
        assert gone not in safe, gone
    assert "<p>Claim | Amount</p>" in safe and "<p>Damages | $13 trillion</p>" in safe
    assert "\x1b" not in safe and "\x07" not in safe and "[31m" not in safe
    assert "<p></p>" not in safe


# =========================================================================== which pages


def article(**fields: Any) -> Article:
    base: dict[str, Any] = dict(
        id="a1",
        source="Wire",
        title="Labels sue Anna's Archive",
        link="https://wire.example/story",
        author="",
        published=datetime.now(UTC).isoformat(timespec="seconds"),
        summary="A short teaser about Anna's Archive.",
        content="",
        first_seen=datetime.now(UTC).isoformat(timespec="seconds"),
        on_topic=True,
    )
    base.update(fields)
    return Article(**base)


LONG_BODY = "<p>" + " ".join(["The labels say the copying was deliberate."] * 30) + "</p>"


def test_auto_fetches_short_entries_and_teasers_only() -> None:
    assert wants_page(article(), "auto")
    short_content = "<p>" + "word " * (AUTO_MIN_WORDS - 1) + "</p>"
    assert wants_page(article(content=short_content), "auto")
    assert not wants_page(article(content=LONG_BODY), "auto")
    assert not wants_page(article(summary=LONG_BODY), "auto")  # whole text in <description>
    teaser = LONG_BODY[:-4] + ' <a href="https://wire.example/story">Read more</a></p>'
    assert wants_page(article(summary=teaser), "auto")
    assert wants_page(article(summary=LONG_BODY[:-5] + "…</p>"), "auto")
    assert wants_page(article(content=LONG_BODY), "always")
    assert not wants_page(article(), "never")


@pytest.mark.parametrize(
    ("ending", "teaser"),
    [
        ("It goes on and on…", True),
        ("It goes on [...]", True),
        ("It goes on (more…)", True),
        ('Words. <a href="https://wire.example/s">Read more »</a>', True),
        ("Words. Continue reading “The big case” →", True),
        ("Words. Read the full story at the Ledger", True),
        ("A long text that ends properly.", False),
        ("They want more.", False),
        ("That is how we read it.", False),
        ("He said ... something else.", False),
    ],
)
def test_teaser_endings(ending: str, teaser: bool) -> None:
    from briefing.core.fulltext import is_teaser

    assert is_teaser(ending) is teaser


def test_plan_skips_off_topic_unknown_feeds_and_old_settled_pages() -> None:
    old = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds")
    articles = [
        article(id="short"),
        article(id="long", content=LONG_BODY),
        article(id="off", on_topic=False),
        article(id="other-feed", source="Elsewhere"),
        article(id="old-ok", published=old, full_text="<p>x</p>", full_text_status=STATUS_OK),
        article(id="old-new", published=old),
        article(id="recent-ok", full_text="<p>x</p>", full_text_status=STATUS_OK),
        article(id="no-link", link="mailto:desk@wire.example"),
    ]
    plan = plan_pages(articles, {"Wire": "auto"})
    assert [a.id for a in plan.fetch] == ["short", "old-new", "recent-ok"]
    assert {a.id: a.full_text_status for a in plan.settle} == {
        "long": STATUS_SKIPPED,
        "no-link": "failed: the entry has no http(s) link",
    }
    assert plan.skipped == 1
    assert plan.failed_without_request == (
        ("mailto:desk@wire.example", "the entry has no http(s) link"),
    )


def test_a_page_checked_within_the_hour_is_not_requested_again() -> None:
    from briefing.core.fulltext import PageValidators

    now = datetime.now(UTC)
    link = "https://wire.example/story"
    good = article(id="good", link=link, full_text="<p>x</p>", full_text_status=STATUS_OK)
    failed = article(id="failed", link=link, full_text_status="failed: HTTP 503")

    def checked(minutes_ago: int, url: str = link) -> PageValidators:
        return PageValidators(url, '"v"', None, (now - timedelta(minutes=minutes_ago)).isoformat())

    def planned(validators: dict[str, PageValidators]) -> tuple[list[str], int]:
        plan = plan_pages([good, failed], {"Wire": "auto"}, now=now, validators=validators)
        return [a.id for a in plan.fetch], plan.fresh

    # Checked 10 minutes ago: left alone. A failed page is retried regardless.
    assert planned({"good": checked(10), "failed": checked(10)}) == (["failed"], 1)
    # Checked over an hour ago, never checked, or checked at another address: asked again.
    assert planned({"good": checked(61)}) == (["good", "failed"], 0)
    assert planned({}) == (["good", "failed"], 0)
    assert planned({"good": checked(10, url="https://wire.example/moved")}) == (
        ["good", "failed"],
        0,
    )
    assert planned({"good": PageValidators(link, '"v"', None, "not a time")}) == (
        ["good", "failed"],
        0,
    )


# =========================================================================== the page step

TOPIC = """[topic]
name = "Spotify and the labels v. Anna's Archive"
keywords = ["Anna's Archive", "shadow library"]
"""


def write_config(path: Path, feeds: list[tuple[str, str, str]], settings: str = "") -> Path:
    blocks = [TOPIC, f"[settings]\ntimeout = 5\nmax_bytes = 1_000_000\n{settings}\n"]
    for name, url, full_text in feeds:
        blocks.append(f'[[feeds]]\nname = "{name}"\nurl = "{url}"\nfull_text = {full_text}\n')
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def rss(items: list[dict[str, str]]) -> str:
    parts = []
    for item in items:
        content = item.get("content")
        encoded = f"<content:encoded>{escape(content)}</content:encoded>" if content else ""
        parts.append(
            f"<item><title>{escape(item['title'])}</title><link>{escape(item['link'])}</link>"
            f"<guid>{item['guid']}</guid><pubDate>{item.get('date', recent(1))}</pubDate>"
            f"<description>{escape(item['summary'])}</description>{encoded}</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Wire</title><link>https://wire.example/</link>{''.join(parts)}</channel></rss>"
    )


NEWS_ETAG = '"news-v1"'
NEWS_MODIFIED = "Fri, 16 Jan 2026 14:03:00 GMT"
LONG_CONTENT = (
    "<p>" + " ".join(["Anna's Archive is accused of copying music at scale."] * 20) + "</p>"
)
HUGE_PAGE = (
    b"<html><body><article>"
    + b"<p>Anna's Archive filler paragraph that repeats to make the page enormous.</p>" * 40_000
    + b"</article></body></html>"
)


class Site:
    """The loopback web: one feed and the pages its entries link to."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.news_status = 200

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def requests(self, path: str) -> list[Request]:
        return [request for request, _ in self.server.log if request.path == path]

    def statuses(self, path: str) -> list[int]:
        return [
            response.status_code for request, response in self.server.log if request.path == path
        ]

    def news(self, request: Request) -> Response:
        if self.news_status != 200:
            return Response("server trouble", status=self.news_status)
        if request.headers.get("If-None-Match") == NEWS_ETAG:
            return Response(status=304, headers={"ETag": NEWS_ETAG})
        return Response(
            page("news_article.html"),
            content_type="text/html; charset=utf-8",
            headers={"ETag": NEWS_ETAG, "Last-Modified": NEWS_MODIFIED},
        )

    def latin(self, request: Request) -> Response:
        since = request.headers.get("If-Modified-Since")
        if since == NEWS_MODIFIED:
            return Response(status=304)
        return Response(
            page("windows1252.html"),
            content_type="text/html; charset=ISO-8859-1",
            headers={"Last-Modified": NEWS_MODIFIED},
        )


@pytest.fixture
def site(httpserver: HTTPServer) -> Site:
    web = Site(httpserver)
    httpserver.expect_request("/story/news").respond_with_handler(web.news)
    httpserver.expect_request("/story/split").respond_with_data(
        page("split_divs.html"), content_type="text/html"
    )
    httpserver.expect_request("/story/latin").respond_with_handler(web.latin)
    httpserver.expect_request("/story/old-address").respond_with_data(
        "", status=301, headers={"Location": "/story/new-address"}
    )
    httpserver.expect_request("/story/new-address").respond_with_data(
        page("long_comments.html"), content_type="text/html; charset=utf-8"
    )
    httpserver.expect_request("/story/gone").respond_with_data(
        page("not_found.html"), status=404, content_type="text/html"
    )
    httpserver.expect_request("/story/huge").respond_with_data(HUGE_PAGE, content_type="text/html")
    httpserver.expect_request("/story/to-ftp").respond_with_data(
        "", status=302, headers={"Location": "ftp://files.example/story"}
    )
    httpserver.expect_request("/story/long").respond_with_data("never asked", status=500)
    httpserver.expect_request("/story/off-topic").respond_with_data("never asked", status=500)
    items = [
        dict(guid="news", title="Labels and Spotify take Anna's Archive to court over music scrape",
             link=web.url("/story/news"), summary="Spotify and the labels sue Anna's Archive."),
        dict(guid="split", title="Inside the filing", link=web.url("/story/split"),
             summary="What the labels say Anna's Archive took."),
        dict(guid="latin", title="Affaire Anna's Archive", link=web.url("/story/latin"),
             summary="Les majors contre Anna's Archive."),
        dict(guid="moved", title="Quick take on Anna's Archive", link=web.url("/story/old-address"),
             summary="Anna's Archive in three paragraphs."),
        dict(guid="gone", title="Anna's Archive: deleted story", link=web.url("/story/gone"),
             summary="This Anna's Archive story was taken down."),
        dict(guid="huge", title="Anna's Archive: the enormous page", link=web.url("/story/huge"),
             summary="An Anna's Archive page far over the size cap."),
        dict(guid="ftp", title="Anna's Archive elsewhere", link=web.url("/story/to-ftp"),
             summary="An Anna's Archive story that redirects off the web."),
        dict(guid="long", title="Anna's Archive at length", link=web.url("/story/long"),
             summary="Teaser.", content=LONG_CONTENT),
        dict(guid="off", title="Weather today", link=web.url("/story/off-topic"),
             summary="Rain later."),
    ]  # fmt: skip
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss(items), content_type="application/rss+xml"
    )
    return web


@pytest.fixture
def service(site: Site, tmp_path: Path) -> Iterator[BriefingService]:
    config_path = write_config(
        tmp_path / "feeds.toml",
        [("Wire", site.url("/feed.xml"), '"auto"')],
        settings="per_host = 2",
    )
    store = Store(tmp_path / "cache")
    yield BriefingService(load_config(config_path), store)
    store.close()


def pretend_pages_were_checked(service: BriefingService, hours_ago: float) -> None:
    """Move every stored page's last check back in time, as if that long had passed."""
    then = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()
    store = service.store
    validators = store.page_validators(a.id for a in service.articles())
    assert validators, "no page checks were stored"
    assert all(v.checked for v in validators.values()), validators
    store.save_page_results([], {i: replace(v, checked=then) for i, v in validators.items()})


def by_guid(service: BriefingService) -> dict[str, Article]:
    articles = service.articles(include_off_topic=True)
    links = {a.link.rsplit("/", 1)[-1]: a for a in articles}
    return {
        "news": links["news"],
        "split": links["split"],
        "latin": links["latin"],
        "moved": links["old-address"],
        "gone": links["gone"],
        "huge": links["huge"],
        "ftp": links["to-ftp"],
        "long": links["long"],
        "off": links["off-topic"],
    }


async def test_refresh_fetches_short_entries_extracts_and_records_failures(
    service: BriefingService, site: Site
) -> None:
    progress: list[tuple[int, int]] = []
    feeds_done_before_pages: list[bool] = []
    summary = await service.refresh(
        on_progress=lambda *_: feeds_done_before_pages.append(not progress),
        on_page_progress=lambda done, total: progress.append((done, total)),
    )
    assert feeds_done_before_pages == [True]  # the feed was reported before any page
    assert summary.pages is not None
    report = summary.pages
    assert (report.fetched, report.failed, report.skipped, report.unchanged) == (4, 3, 1, 0)
    assert progress[-1] == (7, 7) and len(progress) == 7
    articles = by_guid(service)

    news = articles["news"]
    assert news.full_text_status == STATUS_OK
    assert news.body_html == news.full_text  # what the article pane and the facts engine read
    body = text_of(news.body_html)
    for fact in NEWS_FACTS:
        assert fact in body
    for phrase in NEWS_BOILERPLATE:
        assert phrase not in body, phrase

    assert "$12.9 trillion" in text_of(articles["split"].body_html)
    assert "Élodie Marchand" in text_of(articles["latin"].body_html)
    # Redirected: the page at the new address, comments left out.
    moved = articles["moved"]
    assert moved.full_text_status == STATUS_OK and site.statuses("/story/new-address") == [200]
    assert "domain registrars to act" in text_of(moved.body_html)
    assert "Leave a Reply" not in text_of(moved.body_html)

    # Failures keep the feed's text and say why.
    assert articles["gone"].full_text_status.startswith("failed: HTTP 404")
    assert articles["gone"].body_html == articles["gone"].summary
    assert articles["huge"].full_text_status.startswith("failed: too large")
    assert articles["huge"].full_text == ""
    assert articles["ftp"].full_text_status.startswith("failed: refused a redirect to ftp://")
    reasons = dict(report.failures)
    assert set(reasons) == {site.url(p) for p in ("/story/gone", "/story/huge", "/story/to-ftp")}

    # "auto" left the long entry and the off-topic one alone.
    assert articles["long"].full_text_status == STATUS_SKIPPED
    assert articles["long"].body_html == articles["long"].content
    assert articles["off"].full_text_status == ""
    assert site.requests("/story/long") == [] and site.requests("/story/off-topic") == []


async def test_second_refresh_is_conditional_and_keeps_the_text(
    service: BriefingService, site: Site
) -> None:
    await service.refresh()
    first = by_guid(service)
    pretend_pages_were_checked(service, hours_ago=2)
    summary = await service.refresh()
    assert summary.pages is not None
    news_requests = site.requests("/story/news")
    assert len(news_requests) == 2
    assert news_requests[0].headers.get("If-None-Match") is None
    assert news_requests[1].headers.get("If-None-Match") == NEWS_ETAG
    assert news_requests[1].headers.get("If-Modified-Since") == NEWS_MODIFIED
    assert site.statuses("/story/news") == [200, 304]
    latin_requests = site.requests("/story/latin")
    assert latin_requests[1].headers.get("If-Modified-Since") == NEWS_MODIFIED
    assert site.statuses("/story/latin") == [200, 304]
    assert summary.pages.unchanged == 2  # the pages with validators
    again = by_guid(service)
    assert again["news"].full_text == first["news"].full_text != ""
    assert again["news"].full_text_status == STATUS_OK
    assert again["latin"].full_text == first["latin"].full_text != ""


async def test_a_refresh_right_after_another_asks_only_for_the_failed_pages(
    service: BriefingService, site: Site
) -> None:
    first = await service.refresh()
    assert first.pages is not None and first.pages.fetched == 4
    news_text = by_guid(service)["news"].full_text
    site.server.clear_log()
    second = await service.refresh()
    assert second.pages is not None
    assert (second.pages.fetched, second.pages.unchanged, second.pages.fresh) == (0, 0, 4)
    asked = sorted({r.path for r, _ in site.server.log} - {"/feed.xml"})
    assert asked == ["/story/gone", "/story/huge", "/story/to-ftp"]  # the failed ones
    assert by_guid(service)["news"].full_text == news_text != ""


async def test_a_failed_revalidation_keeps_the_good_text(
    service: BriefingService, site: Site
) -> None:
    await service.refresh()
    good = by_guid(service)["news"].full_text
    site.news_status = 503
    pretend_pages_were_checked(service, hours_ago=2)
    summary = await service.refresh()
    assert summary.pages is not None
    assert site.statuses("/story/news") == [200, 503]
    news = by_guid(service)["news"]
    assert news.full_text == good and news.full_text_status == STATUS_OK
    reasons = dict(summary.pages.failures)
    assert reasons[site.url("/story/news")].startswith("HTTP 503")


async def test_refresh_without_full_text_requests_no_page(
    service: BriefingService, site: Site
) -> None:
    summary = await service.refresh(full_text=False)
    assert summary.pages is None
    assert [r.path for r, _ in site.server.log] == ["/feed.xml"]
    assert all(a.full_text_status == "" for a in service.articles(include_off_topic=True))


async def test_always_and_never(site: Site, tmp_path: Path) -> None:
    for mode, expect_requests in (("true", 1), ("false", 0)):
        site.server.clear_log()
        config = write_config(tmp_path / f"{mode}.toml", [("Wire", site.url("/feed.xml"), mode)])
        with Store(tmp_path / f"cache-{mode}") as store:
            service = BriefingService(load_config(config), store)
            summary = await service.refresh()
            assert len(site.requests("/story/long")) == expect_requests
            statuses = {a.full_text_status for a in service.articles()}
            if mode == "false":
                assert statuses == {STATUS_SKIPPED} and summary.pages is not None
                assert summary.pages.skipped == 8 and summary.pages.fetched == 0
                assert site.requests("/story/news") == []


async def test_pending_is_marked_before_pages_arrive(service: BriefingService) -> None:
    seen: list[set[str]] = []

    def look(done: int, total: int) -> None:
        if done == 1:
            seen.append({a.full_text_status for a in service.articles()})

    await service.refresh(on_page_progress=look)
    assert STATUS_PENDING in seen[0]
    assert STATUS_PENDING not in {a.full_text_status for a in service.articles()}


async def test_on_pages_start_comes_after_the_pending_marks_and_before_any_page(
    service: BriefingService, site: Site
) -> None:
    seen: list[tuple[int, bool, bool, int]] = []

    def start(feeds: RefreshSummary) -> None:
        page_requests = [r for r, _ in site.server.log if r.path.startswith("/story/")]
        statuses = {a.full_text_status for a in service.articles()}
        seen.append((len(feeds.results), feeds.pages is None, STATUS_PENDING in statuses,
                     len(page_requests)))  # fmt: skip

    summary = await service.refresh(on_pages_start=start)
    assert seen == [(1, True, True, 0)]
    assert summary.pages is not None and summary.pages.fetched > 0
    assert STATUS_PENDING not in {a.full_text_status for a in service.articles()}
    seen.clear()
    await service.refresh(on_pages_start=start, full_text=False)
    assert seen == []  # no page step, no call


async def test_a_page_step_stopped_early_leaves_no_pending_marks(service: BriefingService) -> None:
    statuses: list[set[str]] = []

    def stop_after_the_first(done: int, total: int) -> None:
        statuses.append({a.full_text_status for a in service.articles()})
        raise KeyboardInterrupt  # Ctrl-C while pages are still coming

    with pytest.raises(KeyboardInterrupt):
        await service.refresh(on_page_progress=stop_after_the_first)
    assert STATUS_PENDING in statuses[0]  # others were still to come
    stored = service.store.load_articles()  # as stored, not as the service shows them
    assert STATUS_PENDING not in {a.full_text_status for a in stored}
    assert not service.store.page_step_running()


def test_pending_marks_of_a_killed_process_read_as_not_tried(
    service: BriefingService, tmp_path: Path
) -> None:
    asyncio.run(service.refresh(full_text=False))
    first = service.articles()[0]
    service.store.update_articles([replace(first, full_text_status=STATUS_PENDING)])
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    service.store.set_meta("page_step", {"pid": int(dead.stdout)})  # a killed page step
    assert not service.store.page_step_running()
    assert {a.full_text_status for a in service.articles()} == {""}
    service.store.mark_page_step(running=True)  # a live one (this process)
    assert service.store.page_step_running()
    shown = {a.id: a.full_text_status for a in service.articles()}
    assert shown[first.id] == STATUS_PENDING
    service.store.mark_page_step(running=False)


# --------------------------------------------------------------------------- per-host limit


class SlowPages:
    """A threaded server whose pages take 150 ms; it counts requests in flight per host."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.most_overall = 0

    def handler(self, request: Request) -> Response:
        host = request.host.split(":")[0]
        with self.lock:
            self.in_flight[host] = self.in_flight.get(host, 0) + 1
            self.most[host] = max(self.most.get(host, 0), self.in_flight[host])
            self.most_overall = max(self.most_overall, sum(self.in_flight.values()))
        time.sleep(0.15)
        with self.lock:
            self.in_flight[host] -= 1
        words = " ".join(["Anna's Archive page text for the limit test."] * 30)
        return Response(f"<html><body><article><p>{words}</p></article></body></html>",
                        content_type="text/html")  # fmt: skip


async def test_pages_are_bounded_per_host_and_in_all(
    threaded_server: HTTPServer, tmp_path: Path
) -> None:
    pages = SlowPages()
    threaded_server.expect_request("/feed.xml").respond_with_data(
        rss([
            dict(guid=f"g{i}", title=f"Anna's Archive {i}",
                 link=f"http://{host}:{threaded_server.port}/page/{i}",
                 summary="Anna's Archive teaser.")
            for i, host in enumerate(["127.0.0.1"] * 8 + ["localhost"] * 8)
        ]),
        content_type="application/rss+xml",
    )  # fmt: skip
    for i in range(16):
        threaded_server.expect_request(f"/page/{i}").respond_with_handler(pages.handler)
    config = write_config(
        tmp_path / "feeds.toml",
        [("Wire", threaded_server.url_for("/feed.xml"), '"auto"')],
        settings="per_host = 2\nconcurrency = 3",
    )
    with Store(tmp_path / "cache") as store:
        summary = await BriefingService(load_config(config), store).refresh()
    assert summary.pages is not None and summary.pages.fetched == 16, summary.pages
    assert pages.most == {"127.0.0.1": 2, "localhost": 2}
    assert pages.most_overall == 3


# --------------------------------------------------------------------------- CLI and offline


def briefing(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_briefing(*args, cwd=cwd)


def test_cli_reports_pages_and_offline_reads_the_stored_text(site: Site, tmp_path: Path) -> None:
    config = write_config(tmp_path / "feeds.toml", [("Wire", site.url("/feed.xml"), '"auto"')])
    common = ("--config", str(config), "--cache-dir", str(tmp_path / "cache"))

    quick = briefing(*common, "fetch", "--no-full-text", cwd=tmp_path)
    assert quick.returncode == 0, quick.stderr
    assert "pages: not fetched (--no-full-text)" in quick.stderr
    assert [r.path for r, _ in site.server.log] == ["/feed.xml"]

    fetched = briefing(*common, "fetch", cwd=tmp_path)
    assert fetched.returncode == 0, fetched.stderr
    assert "Traceback" not in fetched.stderr
    assert "pages: 4 fetched, 3 failed, 1 skipped, 0 unchanged" in fetched.stderr
    assert f"page {site.url('/story/gone')}: failed: HTTP 404" in fetched.stdout

    site.server.clear_log()
    facts = briefing(*common, "--offline", "facts", "--json", cwd=tmp_path)
    assert facts.returncode == 0, facts.stderr
    # 256 million rows appears only in the pages, never in the feed's summaries.
    assert "256" in json.dumps(json.loads(facts.stdout)), facts.stdout
    assert site.server.log == []  # offline: nothing was fetched
    with Store(tmp_path / "cache") as store:
        service = BriefingService(load_config(config), store)
        news = next(a for a in service.articles() if a.link.endswith("/story/news"))
        assert "256 million rows" in text_of(news.body_html)


def test_pages_never_touch_articles_of_disabled_or_unconfigured_feeds() -> None:
    plan = plan_pages([article(source="Gone")], {"Wire": "always"})
    assert plan.fetch == () and plan.settle == () and plan.skipped == 0


def test_validators_are_dropped_when_the_link_changes(tmp_path: Path) -> None:
    from briefing.core.fulltext import PageValidators, page_jobs

    ok = article(full_text="<p>x</p>", full_text_status=STATUS_OK)
    validators = {"a1": PageValidators("https://wire.example/story", '"v"', None)}
    assert page_jobs([ok], validators)[0].validators == validators["a1"]
    moved = replace(ok, link="https://wire.example/moved")
    assert page_jobs([moved], validators)[0].validators is None
    no_text = replace(ok, full_text="")
    assert page_jobs([no_text], validators)[0].validators is None


def test_the_event_loop_is_not_used_by_extraction() -> None:
    """Extraction runs in worker processes: a loop ticking every 10 ms keeps ticking."""
    from briefing.core.fulltext import _ExtractPool

    async def run() -> float:
        pool = _ExtractPool()
        try:
            await pool.extract(page("news_article.html"), "text/html", "https://x.example/", "")
            ticks: list[float] = []

            async def ticker() -> None:
                while True:
                    ticks.append(time.perf_counter())
                    await asyncio.sleep(0.01)

            task = asyncio.create_task(ticker())
            body = page("news_article.html") * 40  # a page of about 400 KB
            await asyncio.gather(*(pool.extract(body, "text/html", "https://x.example/", "")
                                   for _ in range(4)))  # fmt: skip
            task.cancel()
            gaps = [b - a for a, b in itertools.pairwise(ticks)]
            return max(gaps) if gaps else 0.0
        finally:
            await pool.aclose()

    assert asyncio.run(run()) < 0.1


def test_trafilatura_stays_behind_the_fulltext_module() -> None:
    root = Path(__file__).parent.parent / "briefing"
    users = {
        path.name
        for path in root.rglob("*.py")
        if "import trafilatura" in (text := path.read_text(encoding="utf-8"))
        or "from trafilatura" in text
        or "from readability" in text
        or "import readability" in text
    }
    assert users == {"fulltext.py"}


async def test_bodies_waiting_for_extraction_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fast site must not pile every downloaded page up in memory ahead of extraction."""
    from briefing.core import fulltext
    from briefing.core.httpclient import HttpResponse
    from briefing.core.models import Settings

    class InstantHttp:
        async def get(self, url: str, **_: object) -> HttpResponse:
            return HttpResponse(200, url, url, "text/html", None, None, b"<p>x</p>")

        async def aclose(self) -> None:
            pass

    waiting = most = 0

    async def slow_extract(
        self: object, body: bytes, content_type: str | None, url: str, title: str
    ) -> fulltext.ExtractedPage:
        nonlocal waiting, most
        waiting += 1
        most = max(most, waiting)
        await asyncio.sleep(0.005)
        waiting -= 1
        return fulltext.ExtractedPage("<p>" + "word " * 50 + "</p>", 50)

    monkeypatch.setattr(fulltext._ExtractPool, "extract", slow_extract)
    jobs = [
        fulltext.PageJob(f"https://h{i % 3}.example/{i}", (article(id=str(i)),), None)
        for i in range(60)
    ]
    settings = Settings(concurrency=3, per_host=2)
    results = [r async for r in fulltext.fetch_pages(jobs, settings, http=InstantHttp())]  # type: ignore[arg-type]
    assert len(results) == 60 and all(r.status == STATUS_OK for r in results)
    assert most == 3 + 2 * fulltext.EXTRACT_WORKERS


# --------------------------------------------------------------------------- hostile pages


async def fetch_one(url: str, timeout: float = 5, max_redirects: int = 5) -> PageResult:
    from briefing.core.fulltext import PageJob, fetch_pages

    settings = Settings(timeout=timeout, max_redirects=max_redirects)
    job = PageJob(url, (article(link=url),), None)
    results = [result async for result in fetch_pages([job], settings)]
    assert len(results) == 1
    return results[0]


async def test_a_redirect_loop_fails_the_page_with_a_reason(threaded_server: HTTPServer) -> None:
    threaded_server.expect_request("/a").respond_with_data(
        "", status=302, headers={"Location": "/b"}
    )
    threaded_server.expect_request("/b").respond_with_data(
        "", status=302, headers={"Location": "/a"}
    )
    result = await fetch_one(threaded_server.url_for("/a"), max_redirects=4)
    assert result.status.startswith("failed: too many redirects (loop back to"), result.status
    assert result.full_text is None
    assert [r.path for r, _ in threaded_server.log] == ["/a", "/b"]  # seen before: no third request


async def test_a_redirect_chain_stops_at_the_limit(threaded_server: HTTPServer) -> None:
    for hop in range(10):
        threaded_server.expect_request(f"/hop{hop}").respond_with_data(
            "", status=302, headers={"Location": f"/hop{hop + 1}"}
        )
    result = await fetch_one(threaded_server.url_for("/hop0"), max_redirects=3)
    assert result.status == "failed: too many redirects (more than 3)", result.status
    assert len(threaded_server.log) == 4  # the first request and 3 redirects


async def test_a_page_that_never_finishes_is_cut_off_at_the_deadline(
    threaded_server: HTTPServer,
) -> None:
    release = threading.Event()

    def hang(request: Request) -> Response:
        release.wait(10)
        return Response("<p>too late</p>", content_type="text/html")

    threaded_server.expect_request("/hang").respond_with_handler(hang)
    started = time.monotonic()
    try:
        result = await fetch_one(threaded_server.url_for("/hang"), timeout=0.5)
    finally:
        release.set()
    assert time.monotonic() - started < 3
    assert result.status.startswith("failed: ") and "timed out" in result.status, result.status


def test_a_book_length_page_is_cut_at_a_block_boundary() -> None:
    paragraph = "<p>" + "Anna's Archive paragraph text. " * 10 + "</p>"
    cut = sanitise_html(paragraph * 200, limit=5_000)
    assert 4_000 < len(cut) <= 5_000 + len(paragraph)
    assert cut.endswith("</p>") and cut.count("<p>") == cut.count("</p>")
    assert len(sanitise_html(paragraph * 200)) > 60_000  # the default limit leaves it whole


async def test_pages_are_extracted_in_a_thread_when_no_worker_process_can_start(
    site: Site, service: BriefingService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ProcessPoolExecutor

    def no_processes(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise OSError("no /dev/shm here")

    monkeypatch.setattr(ProcessPoolExecutor, "submit", no_processes)
    summary = await service.refresh()
    assert summary.pages is not None and summary.pages.fetched == 4, summary.pages
    assert "256 million rows" in html_to_text(by_guid(service)["news"].body_html)
