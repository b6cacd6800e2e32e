"""parse_feed_bytes: what it keeps, what it refuses, and what hostile feeds cannot do."""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import time
import tracemalloc
from pathlib import Path

import pytest
from _fetch_helpers import atom_feed, rss_feed, sample_items, serve

from briefing.core.feedparse import NotAFeedError, parse_feed_bytes
from briefing.core.models import ParsedFeed

RSS = "application/rss+xml; charset=utf-8"
FEED_URL = "https://wire.example.org/feed.xml"


def parse(body: bytes, content_type: str | None = RSS, url: str = FEED_URL) -> ParsedFeed:
    return parse_feed_bytes(body, content_type, url)


# --------------------------------------------------------------------------- mapping


def test_rss_entry_fields() -> None:
    body = rss_feed(
        [
            {
                "title": "Labels sue Anna&#8217;s Archive over 86 million files",
                "link": "https://wire.example.org/story/1",
                "guid": "urn:test:story-1",
                "pubDate": "Fri, 16 Jan 2026 16:03:00 +0200",
                "dc:creator": "R. Okafor",
                "description": "&lt;p&gt;Short &lt;b&gt;summary&lt;/b&gt;.&lt;/p&gt;",
                "content:encoded": "<![CDATA[<p>The <em>full</em> body.</p>]]>",
            }
        ]
    )
    feed = parse(body)
    assert feed.title == "Test Wire"
    assert feed.link == "https://wire.example.org/"
    assert feed.warning is None
    (entry,) = feed.entries
    assert entry.id == "urn:test:story-1"
    assert entry.title == "Labels sue Anna’s Archive over 86 million files"
    assert entry.link == "https://wire.example.org/story/1"
    assert entry.author == "R. Okafor"
    assert entry.published == "2026-01-16T14:03:00+00:00"  # +0200 turned into UTC
    assert entry.summary == "<p>Short <b>summary</b>.</p>"
    assert entry.content == "<p>The <em>full</em> body.</p>"


def test_atom_entry_fields_and_text_types() -> None:
    body = atom_feed(
        [
            "<entry><id>urn:test:atom-1</id>"
            '<title type="html">Damages of &lt;b&gt;$13 trillion&lt;/b&gt; &amp;amp; more</title>'
            '<link rel="alternate" href="https://atom.example.org/a/1"/>'
            "<updated>2026-01-20T08:00:00-05:00</updated>"
            "<author><name>M. Lindqvist</name></author>"
            '<summary type="text">Plain text: 5 &lt; 6 &amp; &lt;script&gt;\n\nSecond para</summary>'
            '<content type="html">&lt;p&gt;Body&lt;/p&gt;</content>'
            "</entry>"
        ]
    )
    feed = parse(body, "application/atom+xml")
    (entry,) = feed.entries
    assert entry.title == "Damages of $13 trillion & more"
    assert entry.link == "https://atom.example.org/a/1"
    assert entry.published == "2026-01-20T13:00:00+00:00"  # only <updated>: used as the date
    assert entry.author == "M. Lindqvist"
    # A plain-text summary is stored as HTML that shows exactly that text.
    assert entry.summary == "<p>Plain text: 5 &lt; 6 &amp; &lt;script&gt;</p><p>Second para</p>"
    assert entry.content == "<p>Body</p>"


def test_id_falls_back_to_link_then_to_a_stable_hash() -> None:
    body = rss_feed(
        [
            {"title": "Has a link", "link": "https://wire.example.org/only-link"},
            {"title": "Nothing but a title", "pubDate": "Mon, 19 Jan 2026 10:00:00 GMT"},
        ]
    )
    first, second = parse(body).entries
    assert first.id == "https://wire.example.org/only-link"
    expected = hashlib.sha1(b"Nothing but a title\n2026-01-19T10:00:00+00:00").hexdigest()
    assert second.id == "sha1:" + expected
    assert parse(body).entries[1].id == second.id  # same input, same id


def test_duplicate_ids_keep_the_first_entry() -> None:
    items = [
        {"title": "First", "guid": "urn:same"},
        {"title": "Second", "guid": "urn:same"},
    ]
    (entry,) = parse(rss_feed(items)).entries
    assert entry.title == "First"


def test_relative_links_resolve_against_the_feed_url() -> None:
    body = rss_feed([{"title": "Relative", "link": "/story/7", "guid": "urn:r"}])
    (entry,) = parse(body, url="https://wire.example.org/feeds/main.xml").entries
    assert entry.link == "https://wire.example.org/story/7"


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        " javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "file:///etc/passwd",
        "vbscript:msgbox(1)",
        "mailto:someone@example.org",
    ],
)
def test_only_http_links_are_kept(link: str) -> None:
    body = rss_feed([{"title": "Bad link", "link": link, "guid": "urn:bad"}])
    for url in (FEED_URL, "file:///tmp/feed.xml"):
        (entry,) = parse(body, url=url).entries
        assert entry.link == "", (url, entry.link)
    atom = atom_feed([f'<entry><id>urn:a</id><title>A</title><link href="{link}"/></entry>'])
    (entry,) = parse(atom).entries
    assert entry.link == ""


def test_relative_links_without_a_web_base_are_dropped() -> None:
    body = rss_feed([{"title": "Relative", "link": "/story/7", "guid": "urn:r"}])
    (entry,) = parse(body, url="file:///tmp/feed.xml").entries
    assert entry.link == ""


def test_feed_link_that_is_not_http_is_dropped() -> None:
    body = rss_feed([], title="T").replace(
        b"<link>https://wire.example.org/</link>", b"<link>javascript:alert(1)</link>"
    )
    assert parse(body).link == ""


def test_content_equal_to_summary_is_stored_once() -> None:
    item = {
        "title": "Same body",
        "guid": "urn:same-body",
        "description": "&lt;p&gt;Body&lt;/p&gt;",
        "content:encoded": "&lt;p&gt;Body&lt;/p&gt;",
    }
    (entry,) = parse(rss_feed([item])).entries
    assert entry.summary == "<p>Body</p>"
    assert entry.content == ""


def test_bad_dates_become_none() -> None:
    body = rss_feed([{"title": "Odd date", "guid": "urn:d", "pubDate": "sometime soon"}])
    (entry,) = parse(body).entries
    assert entry.published is None


def test_feed_served_as_text_html_parses_without_warning() -> None:
    feed = parse(rss_feed(sample_items(2)), "text/html; charset=utf-8")
    assert len(feed.entries) == 2
    assert feed.warning is None


def test_utf16_feed() -> None:
    text = (
        rss_feed(sample_items(1)).decode("utf-8").replace('encoding="utf-8"', 'encoding="utf-16"')
    )
    feed = parse(text.encode("utf-16"), "application/xml")
    assert feed.entries[0].title.startswith("Item 1: labels press claims against Anna’s Archive")


def test_html_named_entities_parse_strictly() -> None:
    body = rss_feed([{"title": "Caf&eacute;&nbsp;talk &mdash; rulings", "guid": "urn:e"}])
    feed = parse(body)
    assert feed.warning is None  # no fallback to the loose parser
    assert feed.entries[0].title == "Café talk — rulings"  # nbsp folded by clean_line


def test_empty_but_valid_feed_has_no_entries() -> None:
    feed = parse(rss_feed([]))
    assert feed.entries == ()
    assert feed.title == "Test Wire"


def test_result_and_error_survive_pickling() -> None:
    # Both cross a process boundary in fetch.
    feed = parse(rss_feed(sample_items(2)))
    assert pickle.loads(pickle.dumps(feed)) == feed
    error = NotAFeedError("not a feed (HTML page)")
    assert str(pickle.loads(pickle.dumps(error))) == "not a feed (HTML page)"


# --------------------------------------------------------------------------- not feeds


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<!DOCTYPE html><html><head><title>Hi</title></head><body>x</body></html>", "HTML"),
        (b"\n  <html lang='en'><body><p>Welcome</p></body></html>", "HTML"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "JSON"),
        (b"   \n", "empty"),
    ],
)
def test_not_a_feed(body: bytes, reason: str) -> None:
    with pytest.raises(NotAFeedError, match=reason) as caught:
        parse(body, "text/html")
    assert str(caught.value).startswith("not a feed")


def test_html_page_served_as_xml_is_still_an_html_page() -> None:
    with pytest.raises(NotAFeedError, match=r"^not a feed \(HTML page\)$"):
        parse(b"<?xml version='1.0'?>\n<html><body>hello</body></html>", "application/xml")


def test_xml_that_is_not_a_feed() -> None:
    with pytest.raises(NotAFeedError, match="no RSS or Atom"):
        parse(b"<?xml version='1.0'?><config><item>1</item></config>", "application/xml")


def test_bozo_feed_with_entries_is_accepted_with_a_warning() -> None:
    good = rss_feed(sample_items(3)).decode()
    broken = good.replace("</channel>", "<item><title>cut & <<off</titl\n</channel>")
    feed = parse(broken.encode())
    assert len(feed.entries) >= 3
    assert feed.warning is not None
    assert feed.warning.startswith("parsed with errors: ")


def test_garbage_is_refused_as_malformed_xml() -> None:
    with pytest.raises(NotAFeedError, match=r"^malformed XML: line \d+, column \d+: "):
        parse(b"<?xml version='1.0'?>\n<rss><channel><title>x</ti", "application/xml")


# --------------------------------------------------------------------------- hostile input


def test_control_and_ansi_characters_are_stripped_everywhere() -> None:
    nasty = "&#x1b;[31mRED&#x1b;[0m&#x7;\u202e&#x9b;2J title"
    body = rss_feed(
        [
            {
                "title": nasty,
                "link": "https://wire.example.org/a&#x1b;[2Jb",
                "guid": "urn:&#x1b;]8;;http://evil.example/&#x7;x",
                "dc:creator": "Eve&#x1b;[5m",
                "description": "&lt;p&gt;body&#x1b;[31m here&lt;/p&gt;",
            }
        ],
        title="Feed &#x1b;[1mtitle",
    )
    feed = parse(body)
    (entry,) = feed.entries
    texts = [feed.title, entry.title, entry.link, entry.id, entry.author, entry.summary]
    for text in texts:
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
        assert "\u202e" not in text
    # feedparser reads C1 bytes as Windows-1252 (0x9b is '›'): printable, harmless.
    assert entry.title == "RED›2J title"
    assert feed.title == "Feed title"
    assert entry.author == "Eve"


def _secret_file(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN-4711")
    return secret


def _assert_secret_absent(feed: ParsedFeed) -> None:
    for text in (feed.title, feed.link, feed.warning or ""):
        assert "TOP-SECRET" not in text
    for entry in feed.entries:
        for value in (entry.title, entry.summary, entry.content, entry.link, entry.id):
            assert "TOP-SECRET" not in value


def test_external_entity_is_never_resolved(tmp_path: Path) -> None:
    secret = _secret_file(tmp_path)
    prolog = f'<!DOCTYPE rss [\n  <!ENTITY xxe SYSTEM "{secret.as_uri()}">\n]>\n'
    body = rss_feed(
        [{"title": "Leak: &xxe;", "guid": "urn:x", "description": "&xxe;"}],
        prolog=prolog,
    )
    try:
        feed = parse(body)
    except NotAFeedError as error:
        assert "TOP-SECRET" not in str(error)
    else:
        _assert_secret_absent(feed)


def test_external_entity_on_one_line_and_parameter_entities(tmp_path: Path) -> None:
    secret = _secret_file(tmp_path)
    uri = secret.as_uri()
    prologs = [
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{uri}">]>',
        f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{uri}"> %p; <!ENTITY xxe "x">]>',
        f'<!DOCTYPE rss SYSTEM "{uri}">',
        f'<!-- a comment > with > brackets --><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{uri}">]>',
    ]
    for prolog in prologs:
        body = rss_feed([{"title": "Leak: &xxe;", "guid": "urn:x"}], prolog=prolog)
        try:
            feed = parse(body)
        except NotAFeedError as error:
            assert "TOP-SECRET" not in str(error)
        else:
            _assert_secret_absent(feed)


def test_external_entity_over_http_is_never_requested() -> None:
    with serve() as server:
        dtd = server.url("/evil.dtd")
        server.route("/evil.dtd", lambda _r: pytest.fail("the parser fetched a DTD"))
        prolog = f'<!DOCTYPE rss SYSTEM "{dtd}" [<!ENTITY xxe SYSTEM "{dtd}">]>'
        body = rss_feed([{"title": "&xxe;", "guid": "urn:x"}], prolog=prolog)
        with contextlib.suppress(NotAFeedError):
            parse(body)
        assert server.requests == []


def test_billion_laughs_finishes_fast_in_little_memory() -> None:
    lol = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    lol += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    prolog = "<!DOCTYPE rss [\n" + "\n".join(lol) + "\n]>\n"
    body = rss_feed(
        [{"title": "&lol9;", "guid": "urn:lol", "description": "&lol9;"}], prolog=prolog
    )
    tracemalloc.start()
    started = time.perf_counter()
    try:
        feed = parse(body)
    except NotAFeedError:
        feed = None
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 20 * 1024 * 1024  # fully expanded it would be ~3 GB
    if feed is not None:
        for entry in feed.entries:
            assert "lollol" not in entry.title + entry.summary


def test_quadratic_blowup_entity_is_not_expanded() -> None:
    big = "x" * 50_000
    prolog = f'<!DOCTYPE rss [<!ENTITY big "{big}">]>\n'
    body = rss_feed([{"title": "&big;" * 2000, "guid": "urn:q"}], prolog=prolog)
    tracemalloc.start()
    try:
        feed = parse(body)
    except NotAFeedError:
        feed = None
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 40 * 1024 * 1024  # expanded: 100 MB of title
    if feed is not None:
        for entry in feed.entries:
            assert "xxxxxxxxxx" not in entry.title  # feedparser alone expands it


def test_declared_entities_are_never_expanded() -> None:
    # feedparser on its own keeps "safe" internal entities and expands them.
    prolog = '<!DOCTYPE rss [<!ENTITY who "someone else entirely">]>\n'
    body = rss_feed([{"title": "Written by &who;", "guid": "urn:w"}], prolog=prolog)
    feed = parse(body)
    assert "someone else" not in feed.entries[0].title
    assert feed.warning is not None and "undefined entity" in feed.warning


@pytest.mark.parametrize(
    "prolog",
    [
        "<!DOCTYPE rss [<!ENTITY a \"x>y\"> <!ENTITY b 'q]>'>]>",
        "<!DOCTYPE rss [<!-- ]> --> <!ENTITY a 'b'>]>",
        '<!DOCTYPE rss [\n<!ENTITY a SYSTEM "file:///etc/passwd">\n]>',
        "<!doctype rss [<!ENTITY a 'b'>]>",
        "<!-- first --><?pi x?><!DOCTYPE rss><!-- after -->",
    ],
)
def test_strip_doctype_removes_the_whole_declaration(prolog: str) -> None:
    from briefing.core.feedparse import _strip_doctype

    document = f'<?xml version="1.0"?>\n{prolog}\n<rss version="2.0"><channel/></rss>'
    stripped = _strip_doctype(document.encode())
    assert b"DOCTYPE" not in stripped.upper()
    assert b"ENTITY" not in stripped
    assert stripped.startswith(b'<?xml version="1.0"?>')
    assert stripped.endswith(b'<rss version="2.0"><channel/></rss>')


def test_sax_driver_refuses_entity_declarations_that_slip_through() -> None:
    import xml.sax

    from briefing.core import feedparse

    parser = feedparse.create_parser()
    parser.setContentHandler(xml.sax.handler.ContentHandler())
    document = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "boom">]><r>&e;</r>'
    with pytest.raises(xml.sax.SAXParseException, match="entity declaration"):
        parser.feed(document)
        parser.close()


def test_doctype_is_stripped_but_the_feed_still_parses() -> None:
    prolog = (
        "<!-- generator: hand-written -->\n"
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
    )
    feed = parse(rss_feed(sample_items(2), prolog=prolog))
    assert len(feed.entries) == 2
    assert feed.warning is None


def test_a_body_that_looks_like_a_url_or_path_is_never_opened(tmp_path: Path) -> None:
    secret = _secret_file(tmp_path)
    with serve() as server:
        server.route("/feed", lambda _r: pytest.fail("the parser fetched a URL"))
        for body in (server.url("/feed").encode(), str(secret).encode(), secret.as_uri().encode()):
            with pytest.raises(NotAFeedError) as caught:
                parse(body, None)
            assert "TOP-SECRET" not in str(caught.value)
        assert server.requests == []


def test_feedparser_shortcuts_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import copy

    import feedparser.mixin
    import feedparser.urls

    documents = [
        rss_feed(sample_items(4)),
        rss_feed(
            [
                {
                    "title": "Relative &amp; rich",
                    "link": "/story/9",
                    "description": "&lt;p&gt;A &lt;a href='/x'&gt;link&lt;/a&gt;&lt;/p&gt;",
                    "content:encoded": "<![CDATA[<p>Body <img src='/i.png'></p>]]>",
                }
            ]
        ),
        atom_feed(
            [
                '<entry xml:base="https://base.example.org/dir/"><id>urn:a</id>'
                '<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X <b>y</b></div></title>'
                '<link href="rel/page"/><updated>2026-01-16T12:00:00Z</updated>'
                '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi</p></div></content>'
                '<summary type="text">Plain &amp; simple</summary></entry>',
                '<entry><id>urn:b</id><title>T</title><link href="https://ok.example/b"/>'
                '<content type="html">&lt;p&gt;html&lt;/p&gt;</content></entry>',
            ]
        ),
    ]
    fast = [parse(document, None) for document in documents]
    assert feedparser.mixin.copy is not copy  # the shortcuts are in place
    monkeypatch.setattr(feedparser.mixin, "copy", copy)
    monkeypatch.setattr(feedparser.mixin, "_urljoin", feedparser.urls._urljoin)
    assert [parse(document, None) for document in documents] == fast
