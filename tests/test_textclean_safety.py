"""Why feedparser's own HTML sanitiser can stay off.

feedparse calls feedparser with ``sanitize_html=False``: summaries and content
are stored as the feed sent them, and every reader of that HTML goes through
``textclean`` (``html_to_text`` for the topic filter and facts,
``html_to_markdown`` for the article pane). These tests feed hostile markup
through the real parse path and prove that textclean, not feedparser, drops
scripts, styles, frames, forms, event handlers and non-web links.
"""

from __future__ import annotations

import re

import pytest
from _fetch_helpers import rss_feed
from hypothesis import given, settings
from hypothesis import strategies as st

from briefing.core.feedparse import parse_feed_bytes
from briefing.core.models import ParsedEntry
from briefing.core.textclean import article_plain_text, html_to_markdown, html_to_text

HOSTILE = """
<p>Before the payloads.</p>
<script>steal_cookies_SCRIPT()</script>
<SCRIPT type="text/javascript">UPPER_SCRIPT()</SCRIPT>
<style>body { display: none } .STYLE_RULE {}</style>
<iframe src="https://evil.example/frame">IFRAME_FALLBACK</iframe>
<object data="https://evil.example/x.swf">OBJECT_FALLBACK</object>
<form action="https://evil.example/phish"><input name="FORM_INPUT" value="pw">
<button>FORM_BUTTON</button><textarea>FORM_TEXTAREA</textarea></form>
<svg><script>SVG_SCRIPT()</script><text>SVG_TEXT</text></svg>
<math><mi>MATH_TEXT</mi></math>
<noscript>NOSCRIPT_TEXT</noscript>
<template><p>TEMPLATE_TEXT</p></template>
<img src="x" onerror="ONERROR_HANDLER()">
<p onclick="ONCLICK_HANDLER()" style="STYLE_ATTR: red">Visible paragraph.</p>
<a href="javascript:JS_LINK()">js link text</a>
<a href="data:text/html;base64,REFUQV9MSU5L">data link text</a>
<a href="vbscript:VB_LINK">vb link text</a>
<a href="https://reporter.example/story">web link text</a>
<meta http-equiv="refresh" content="0;url=https://evil.example/META_REFRESH">
<!-- <script>COMMENT_SCRIPT()</script> -->
<p>After the payloads.</p>
<script>UNCLOSED_SCRIPT() and everything after it
"""

DROPPED = [
    "SCRIPT()",
    "steal_cookies",
    "STYLE_RULE",
    "display: none",
    "IFRAME_FALLBACK",
    "evil.example",
    "OBJECT_FALLBACK",
    "FORM_INPUT",
    "FORM_BUTTON",
    "FORM_TEXTAREA",
    "SVG_SCRIPT",
    "SVG_TEXT",
    "MATH_TEXT",
    "NOSCRIPT_TEXT",
    "TEMPLATE_TEXT",
    "ONERROR_HANDLER",
    "ONCLICK_HANDLER",
    "STYLE_ATTR",
    "JS_LINK",
    "javascript:",
    "REFUQV9MSU5L",
    "data:",
    "VB_LINK",
    "vbscript:",
    "META_REFRESH",
    "COMMENT_SCRIPT",
    "UNCLOSED_SCRIPT",
    "everything after it",
]


def hostile_entry(where: str) -> ParsedEntry:
    """The hostile HTML as it comes out of the real parse path (sanitiser off)."""
    if where == "description":
        item = {"title": "Hostile", "guid": "urn:h", "description": f"<![CDATA[{HOSTILE}]]>"}
    else:
        item = {"title": "Hostile", "guid": "urn:h", "content:encoded": f"<![CDATA[{HOSTILE}]]>"}
    feed = parse_feed_bytes(rss_feed([item]), "application/rss+xml", "https://x.example/feed")
    (entry,) = feed.entries
    return entry


@pytest.mark.parametrize("where", ["description", "content:encoded"])
def test_feedparser_hands_the_html_over_unsanitised(where: str) -> None:
    # The premise: with sanitize_html=False the payloads reach us untouched,
    # so the safety below is textclean's doing, not feedparser's.
    entry = hostile_entry(where)
    stored = entry.content or entry.summary
    assert "<script>steal_cookies_SCRIPT()</script>" in stored
    assert 'onerror="ONERROR_HANDLER()"' in stored
    assert "javascript:JS_LINK()" in stored


@pytest.mark.parametrize("where", ["description", "content:encoded"])
def test_textclean_drops_everything_unsafe(where: str) -> None:
    entry = hostile_entry(where)
    body = entry.content or entry.summary
    outputs = {
        "text": html_to_text(body),
        "markdown": html_to_markdown(body),
        "plain": article_plain_text(entry.title, body),
    }
    for name, output in outputs.items():
        for marker in DROPPED:
            assert marker not in output, f"{marker!r} survived in {name}: {output!r}"
        assert "Before the payloads." in output
        assert "Visible paragraph." in output
        assert "After the payloads." in output
        assert "web link text" in output
    markdown = outputs["markdown"]
    assert "[web link text](https://reporter.example/story)" in markdown
    # Links to other schemes keep their words, lose their target.
    assert "js link text" in markdown and "](javascript" not in markdown
    assert re.findall(r"\]\(([^)]*)\)", markdown) == ["https://reporter.example/story"]


def test_escaped_markup_in_text_stays_text() -> None:
    item = {
        "title": "Escaped",
        "guid": "urn:e",
        # The feed's HTML holds *text* that looks like markup and Markdown.
        "description": "&lt;p&gt;&amp;lt;script&amp;gt;x()&amp;lt;/script&amp;gt; ![pixel](https://t.example/p.gif) [bold red]alarm[/]&lt;/p&gt;",
    }
    (entry,) = parse_feed_bytes(rss_feed([item]), None, "https://x.example/").entries
    markdown = html_to_markdown(entry.summary)
    assert "<script>" not in markdown  # shown as text: escaped for Markdown
    assert "\\<script\\>" in markdown
    assert "![pixel](" not in markdown  # no image (tracking pixel) can be smuggled in
    assert "\\[bold red\\]" in markdown
    assert html_to_text(entry.summary).startswith("<script>x()</script>")  # plain text, as written


def test_escape_sequences_inside_html_are_removed() -> None:
    html = (
        "<p>\x1b[2J\x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x07link\x1b]8;;\x07"
        " \x9b6n\u202ereversed\x07</p>"
    )
    for output in (html_to_text(html), html_to_markdown(html)):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", output)
        assert "evil.example" not in output
        assert "red" in output and "link" in output


_FENCED = re.compile(r"```.*?```", re.DOTALL)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

markup = st.lists(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<script>",
            "</script>",
            "<style>",
            "<b>",
            "</b>",
            "<a href='javascript:x()'>",
            "<a href='https://ok.example/'>",
            "</a>",
            "<img onerror=x()>",
            "<pre>x</pre>",
            "<code>",
            "</code>",
            "&lt;",
            "&gt;",
            "<",
            ">",
            "\x1b[31m",
            "[",
            "]",
            "(",
            ")",
            "!",
            "`",
        ]
    )
    | st.text(max_size=8),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(markup)
def test_markdown_never_carries_live_markup(html: str) -> None:
    markdown = html_to_markdown(html)
    outside_code = _LINK_TARGET.sub("", _FENCED.sub("", markdown))
    # Every < left is escaped, so no renderer can take it for an HTML tag.
    assert not re.search(r"(?<!\\)<", outside_code)
    assert "javascript:" not in markdown.replace("\\", "")
    assert not _CONTROL.search(markdown.replace("\n", "").replace("\t", ""))


@settings(max_examples=300, deadline=None)
@given(markup)
def test_plain_text_never_carries_control_characters(html: str) -> None:
    text = html_to_text(html)
    assert not _CONTROL.search(text.replace("\n", "").replace("\t", ""))


def test_embed_leaves_nothing_behind() -> None:
    html = '<p>a</p><embed src="https://evil.example/EMBED_SRC"><p>b</p>'
    for output in (html_to_text(html), html_to_markdown(html)):
        assert "EMBED_SRC" not in output and "evil" not in output


# Defects found in textclean during review, fixed there; these keep them fixed.


def test_text_after_a_void_embed_is_kept() -> None:
    html = '<p>a</p><embed src="https://x.example/e"><p>after</p>'
    assert "after" in html_to_text(html)


def test_unclosed_pre_text_is_still_escaped() -> None:
    from markdown_it import MarkdownIt

    markdown = html_to_markdown("<pre>&lt;img src=x onerror=alert(1)&gt;")
    tokens = MarkdownIt("commonmark").parse(markdown)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & {"html_inline", "html_block"}, markdown
    assert "img src=x" in markdown  # the words are still shown, as text


def test_link_targets_are_fully_percent_encoded() -> None:
    markdown = html_to_markdown('<a href="https://x.example/a\n<b>c">t</a>')
    (target,) = re.findall(r"\]\(([^)]*)\)", markdown)
    assert not re.search(r"[\s<>]", target)
