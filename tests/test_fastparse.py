"""The lxml fast path: what it reads, what it refuses, and that it is as safe as
the feedparser path. (Its agreement with feedparser on thousands of real feeds
is tests/test_feedparse_corpus.py.)"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from _fetch_helpers import atom_feed, rss_feed, sample_items

from briefing.core import fastparse, feedparse
from briefing.core.feedparse import _fast_helpers, fast_path_reads, parse_feed_bytes

RSS = "application/rss+xml; charset=utf-8"
URL = "https://wire.example.org/feed.xml"


@pytest.fixture(autouse=True)
def _fast_path_bugs_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fast-path exception must fail these tests, not fall back to feedparser."""
    monkeypatch.setattr(feedparse, "raise_fast_path_errors", True)


def both(body: bytes, content_type: str = RSS) -> tuple[object, object]:
    return (
        parse_feed_bytes(body, content_type, URL),
        parse_feed_bytes(body, content_type, URL, fast_path=False),
    )


def test_typical_rss_and_atom_take_the_fast_path_and_agree() -> None:
    entries = [
        "<entry><id>urn:a:1</id><title type='html'>A &amp;lt;b&amp;gt;ruling&amp;lt;/b&amp;gt;</title>"
        "<link href='https://atom.example.org/1'/><updated>2026-01-16T12:00:00Z</updated>"
        "<author><name>Ana</name><email>ana@example.org</email></author>"
        "<summary>Plain &amp; short</summary><content type='html'>&lt;p&gt;Body&lt;/p&gt;</content>"
        "</entry>",
        "<entry><id>https://atom.example.org/2</id><title>No link: the id stands in</title>"
        "<published>2026-01-17T08:00:00+02:00</published><content>text only</content></entry>",
    ]
    for body in (rss_feed(sample_items()), atom_feed(entries)):
        assert fast_path_reads(body, RSS)
        fast, reference = both(body)
        assert fast == reference


def _rss_item(extra: str, *, namespaces: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" {namespaces}>'
        "<channel><title>Wire</title><link>https://wire.example.org/</link><item>"
        "<title>Ruling &amp; appeal</title><link>https://wire.example.org/a?x=1&amp;y=2</link>"
        '<guid isPermaLink="false">urn:a</guid><pubDate>Tue, 20 Jan 2026 12:00:00 GMT</pubDate>'
        "<description>&lt;p&gt;Body&lt;/p&gt;</description><dc:creator>Ana</dc:creator>"
        f"{extra}</item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "extra",
    [
        "<title>a second title</title>",
        '<summary type="text">feedparser would read this as the summary</summary>',
        '<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">a</content:encoded>'
        '<content:encoded xmlns:content="urn:another-namespace-same-prefix">b</content:encoded>',
        '<media:title xmlns:media="http://search.yahoo.com/mrss/">m</media:title>',
        "<foo><title>nested under an unknown element</title></foo>",
        '<description xml:base="https://elsewhere.example/">x</description>',
        "<source>the source of a republished item</source>",
        "<itunes:summary xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd'>s</itunes:summary>",
    ],
)
def test_what_could_change_a_field_goes_to_feedparser(extra: str) -> None:
    body = _rss_item(extra)
    assert not fast_path_reads(body, RSS)
    assert fast_path_reads(_rss_item(""), RSS)


def test_an_unknown_namespace_with_a_known_prefix_is_read_as_feedparser_reads_it() -> None:
    # feedparser names elements of unknown namespaces by their prefix
    body = _rss_item(
        '<content:encoded xmlns:content="urn:not-the-content-namespace">x</content:encoded>'
    )
    assert fast_path_reads(body, RSS)
    fast, reference = both(body)
    assert fast == reference


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (_rss_item("").replace(b"utf-8", b"iso-8859-1"), "application/xml"),
        (_rss_item(""), "application/xml; charset=windows-1252"),
        (_rss_item("<dc:subject>caf\xe9</dc:subject>").replace(b"\xc3\xa9", b"\xe9"), RSS),
        (_rss_item("<dc:subject>caf\u00e9</dc:subject>"), "text/xml"),  # us-ascii by RFC 3023
        (_rss_item("<unclosed>"), RSS),
    ],
)
def test_other_encodings_and_broken_xml_go_to_feedparser(body: bytes, content_type: str) -> None:
    assert not fast_path_reads(body, content_type)
    fast, reference = both(body, content_type) if b"<unclosed>" not in body else (None, None)
    assert fast == reference


ATOM_BASE = (
    b'<?xml version="1.0" encoding="utf-8"?>'
    b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0"'
    b' xml:base="https://blog.example/">'
    b"<title>Blog</title><link href='/'/>"
    b"<entry xml:base='/2026/'><id>tag:blog.example,2026:1</id><title>One</title>"
    b"<link rel='alternate' href='one.html' thr:count='3'/><updated>2026-01-16T12:00:00Z</updated>"
    b"</entry>"
    b"<entry><id>tag:blog.example,2026:2</id><title>Two: the base of the one before leaks</title>"
    b"<link href='two.html'/><updated>2026-01-16T13:00:00Z</updated></entry>"
    b"<entry><id>/permalink/3</id><title>Three: the id stands in as the link</title></entry>"
    b"</feed>"
)


@pytest.mark.parametrize(
    "body",
    [
        ATOM_BASE,
        ATOM_BASE.replace(b' xml:base="https://blog.example/"', b""),  # relative bases only
        _rss_item("<image>https://wire.example.org/pic.jpg</image>"),
        _rss_item(
            "<itunes:author xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd'>Host</itunes:author>"
        ),
        _rss_item("", namespaces='xmlns:x="urn:x"').replace(
            b'<guid isPermaLink="false">', b'<guid x:note="kept" isPermaLink="false">'
        ),
    ],
    ids=[
        "xml:base",
        "relative xml:base",
        "item image",
        "itunes author",
        "ns attr",
    ],
)
def test_dialects_of_real_feeds_take_the_fast_path_and_agree(body: bytes) -> None:
    assert fast_path_reads(body, RSS)
    fast, reference = both(body)
    assert fast == reference


def test_xml_base_resolves_links_as_feedparser_does() -> None:
    links = [entry.link for entry in parse_feed_bytes(ATOM_BASE, RSS, URL).entries]
    assert links == [
        "https://blog.example/2026/one.html",
        "https://blog.example/two.html",
        "https://blog.example/permalink/3",
    ]
    # With no base around it, an entry's base outlives the entry in feedparser
    leaky = ATOM_BASE.replace(b' xml:base="https://blog.example/"', b"").replace(
        b"xml:base='/2026/'", b"xml:base='https://other.example/2026/'"
    )
    fast, reference = both(leaky)
    assert fast == reference
    assert [e.link for e in fast.entries][:2] == [  # type: ignore[attr-defined]
        "https://other.example/2026/one.html",
        "https://other.example/2026/two.html",
    ]


@pytest.mark.parametrize(
    "extra",
    [
        "<image><title>An image title lands in the entry</title></image>",
        "<link x:href='https://elsewhere.example/' xmlns:x='urn:x'>https://a.example/</link>",
    ],
)
def test_what_reaches_a_field_by_a_side_door_goes_to_feedparser(extra: str) -> None:
    # an attribute of an unknown namespace reaches feedparser's handlers by its bare name
    body = _rss_item(extra).replace(b"<link>https://wire.example.org/a?x=1&amp;y=2</link>", b"")
    assert not fast_path_reads(body, RSS)


def test_feedparsers_text_repairs_are_applied_the_same_way() -> None:
    # double-encoded UTF-8, a stray cp1252 code point, an RSS title that looks
    # like HTML, an Atom-style author, and a link with an unescaped query
    extra = (
        "<author>Ana \u0093the reporter\u0094</author>"
        "<content:encoded xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
        "caf\u00c3\u00a9</content:encoded>"
    )
    body = _rss_item(extra).replace(
        b"<title>Ruling &amp; appeal</title>",
        b"<title>A &lt;b&gt;bold&lt;/b&gt; &amp;amp; title</title>",
    )
    assert fast_path_reads(body, RSS)
    fast, reference = both(body)
    assert fast == reference
    entry = fast.entries[0]  # type: ignore[attr-defined]
    assert entry.content == "café" and entry.author == "Ana \u201cthe reporter\u201d"
    assert entry.title == "A bold & title"


def test_every_other_feedparser_handler_leaves_our_fields_alone() -> None:
    """The fast path skips every element it neither reads nor counts as harmful.
    Prove, through feedparser itself, that each such handler changes none of
    the fields briefing keeps, inside an entry and at the feed's level."""
    rules = _fast_helpers().rules
    prefixes: dict[str, str] = {}
    for uri, prefix in rules.namespaces.items():
        prefixes.setdefault(prefix, uri)
    skipped = sorted(rules.handlers - fastparse._ENTRY_DANGER)
    assert len(skipped) > 40
    base = _rss_item("")
    reference = parse_feed_bytes(base, RSS, URL, fast_path=False)
    bare = b"<rss version='2.0'><channel><item><category>c</category></item></channel></rss>"
    bare_reference = parse_feed_bytes(bare, RSS, URL, fast_path=False)
    changed = []
    for name in skipped:
        prefix, _, local = name.partition("_") if "_" in name else ("", "", name)
        if prefix and prefix not in prefixes:
            prefix, local = "", name
        tag = f"{prefix}:{local}" if prefix else local
        declaration = f'xmlns:{prefix}="{prefixes[prefix]}"' if prefix else ""
        element = f'<{tag} {declaration} type="html" href="https://x.example/" url="https://x.example/">Harm? &lt;b&gt;x&lt;/b&gt; https://x.example/</{tag}>'
        for body in (
            _rss_item(element),  # after every field of the entry
            base.replace(b"<item>", b"<item>" + element.encode()),  # before them
            base.replace(b"<item>", element.encode() + b"<item>"),  # at the feed's level
            base.replace(b"<channel>", b"<channel>" + element.encode()),  # before its title
            bare.replace(b"<item>", b"<item>" + element.encode()),  # in an entry with no field
            bare.replace(b"<channel>", b"<channel>" + element.encode()),  # a feed with none
        ):
            expected = bare_reference if body.startswith(b"<rss version='2.0'>") else reference
            try:
                parsed = parse_feed_bytes(body, RSS, URL, fast_path=False)
            except Exception as error:  # an element feedparser cannot take there
                changed.append(f"{name}: {error}")
                continue
            if (parsed.title, parsed.link, parsed.entries) != (
                expected.title,
                expected.link,
                expected.entries,
            ):
                changed.append(name)
    assert not changed, f"handlers that change a field; add them to fastparse._HARMFUL: {changed}"


def test_a_bug_in_the_fast_path_costs_no_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    body = rss_feed(sample_items())
    expected = parse_feed_bytes(body, RSS, URL, fast_path=False)

    def broken(*_: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(fastparse, "parse_well_formed", broken)
    monkeypatch.setattr(feedparse, "raise_fast_path_errors", False)
    assert parse_feed_bytes(body, RSS, URL) == expected


# --------------------------------------------------------------------------- safety


def _secret(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    return secret


def test_lxml_never_resolves_an_external_entity_even_with_a_doctype(tmp_path: Path) -> None:
    """The caller strips DOCTYPEs; this is the fast path on its own, DOCTYPE left in."""
    uri = _secret(tmp_path).as_uri()
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{uri}">]>'
        "<rss><channel><title>&xxe;</title><item><title>&xxe;</title></item></channel></rss>"
    ).encode()
    result = fastparse.parse_well_formed(body, _fast_helpers().rules)
    assert result is None


def test_lxml_never_expands_a_billion_laughs() -> None:
    lol = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    lol += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    body = (
        "<!DOCTYPE rss [" + "".join(lol) + "]>"
        "<rss><channel><item><title>&lol9;</title></item></channel></rss>"
    ).encode()
    tracemalloc.start()
    started = time.perf_counter()
    result = fastparse.parse_well_formed(body, _fast_helpers().rules)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result is None
    assert elapsed < 1.0 and peak < 10 * 1024 * 1024


def test_lxml_never_fetches_a_dtd_over_the_network(tmp_path: Path) -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:9/never.dtd">'
        b"<rss><channel><item><title>x</title></item></channel></rss>"
    )
    started = time.perf_counter()
    assert fastparse.parse_well_formed(body, _fast_helpers().rules) is None
    assert time.perf_counter() - started < 1.0


# --------------------------------------------------------------------------- random feeds

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TEXTS = st.sampled_from(
    [
        "",
        "  plain words  ",
        "Anna&amp;#8217;s Archive",
        "&lt;b&gt;bold&lt;/b&gt; and &lt;i&gt;more&lt;/i&gt;",
        "R&amp;D &amp;amp; more",
        "caf\u00c3\u00a9",
        "\u0093quoted\u0094",
        "<![CDATA[<p>cdata <em>html</em></p>]]>",
        "https://x.example/a?b=1&amp;c=2",
        "/relative/path",
        "urn:uuid:1234",
        "line\nbreak\ttab",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "\u00e9t\u00e9 \u2014 \u65e5\u672c",
    ]
)
_DATES = st.sampled_from(
    [
        "Tue, 20 Jan 2026 12:00:00 GMT",
        "Tue, 20 Jan 2026 12:00:00 +0200",
        "20 Jan 2026 12:00 EST",
        "2026-01-20T12:00:00Z",
        "2026-01-20T12:00:00.123+05:30",
        "2026-01-20",
        "Jan 20, 2026",
        "not a date",
        "",
    ]
)
_TYPES = st.sampled_from([None, "text", "html", "xhtml", "text/html", "text/plain", "TEXT"])


def _attr(name: str, value: str | None) -> str:
    return "" if value is None else f' {name}="{value}"'


@st.composite
def _rss_items(draw: st.DrawFn) -> str:
    parts = []
    for element in draw(st.permutations(["title", "link", "guid", "pubDate", "description",
                                         "content:encoded", "author", "dc:creator", "dc:date"])):  # fmt: skip
        if not draw(st.booleans()):
            continue
        if element == "guid":
            permalink = draw(st.sampled_from([None, "true", "false", "True"]))
            parts.append(f"<guid{_attr('isPermaLink', permalink)}>{draw(_TEXTS)}</guid>")
        elif element in ("pubDate", "dc:date"):
            parts.append(f"<{element}>{draw(_DATES)}</{element}>")
        else:
            parts.append(f"<{element}>{draw(_TEXTS)}</{element}>")
    return "<item>" + "".join(parts) + "</item>"


@st.composite
def _atom_entries(draw: st.DrawFn) -> str:
    parts = []
    for element in draw(st.permutations(["id", "title", "link", "link2", "published", "updated",
                                         "summary", "content", "author"])):  # fmt: skip
        if not draw(st.booleans()):
            continue
        if element in ("link", "link2"):
            rel = draw(st.sampled_from([None, "alternate", "self", "enclosure"]))
            kind = draw(st.sampled_from([None, "text/html", "application/pdf"]))
            href = draw(st.sampled_from(["https://a.example/1", "/rel/2", "", "page.html"]))
            parts.append(f"<link{_attr('rel', rel)}{_attr('type', kind)} href='{href}'/>")
        elif element in ("published", "updated"):
            parts.append(f"<{element}>{draw(_DATES)}</{element}>")
        elif element == "author":
            name = draw(st.sampled_from(["", "<name>Ana</name>", "<name> Bo </name><email>b@x.example</email>", "<email>c@x.example</email>"]))  # fmt: skip
            parts.append(f"<author>{name}</author>")
        elif element in ("title", "summary", "content"):
            kind = draw(_TYPES)
            parts.append(f"<{element}{_attr('type', kind)}>{draw(_TEXTS)}</{element}>")
        else:
            parts.append(f"<id>{draw(_TEXTS)}</id>")
    base = draw(st.sampled_from(["", " xml:base='https://b.example/dir/'", " xml:base='/d/'"]))
    return f"<entry{base}>" + "".join(parts) + "</entry>"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_rss_items(), min_size=1, max_size=3))
def test_random_rss_either_goes_to_feedparser_or_agrees(items: list[str]) -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>R</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()
    fast, reference = _both_or_errors(body)
    assert fast == reference


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_atom_entries(), min_size=1, max_size=3), st.booleans())
def test_random_atom_either_goes_to_feedparser_or_agrees(entries: list[str], based: bool) -> None:
    base = " xml:base='https://root.example/'" if based else ""
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{base}>'
        "<title>A</title>" + "".join(entries) + "</feed>"
    ).encode()
    fast, reference = _both_or_errors(body)
    assert fast == reference


def _both_or_errors(body: bytes) -> tuple[object, object]:
    from hypothesis import event

    from briefing.core.feedparse import NotAFeedError

    event("fast path" if fast_path_reads(body, RSS) else "feedparser")
    results = []
    for fast in (True, False):
        try:
            results.append(parse_feed_bytes(body, RSS, URL, fast_path=fast))
        except NotAFeedError as error:
            results.append(str(error))
    return results[0], results[1]
