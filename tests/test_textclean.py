"""Text from the network is hostile: nothing that could drive a terminal gets through."""

from __future__ import annotations

import pytest

from briefing.core.textclean import (
    article_plain_text,
    clean_line,
    clean_text,
    html_to_markdown,
    html_to_text,
    is_web_url,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("red \x1b[31malert\x1b[0m", "red alert"),
        ("\x1b]8;;file:///etc/passwd\x07click\x1b]8;;\x07", "click"),
        ("bell\x07 and null\x00", "bell and null"),
        ("C1 csi\x9b2J here", "C1 csi2J here"),
        ("over\rwrite", "over\nwrite"),
        ("bidi \u202eevil\u202c", "bidi evil"),
        ("arabic letter mark \u061cمرحبا", "arabic letter mark مرحبا"),
        ("tab\tkept\nnewline kept", "tab\tkept\nnewline kept"),
    ],
)
def test_clean_text_strips_control_and_escape_characters(raw: str, expected: str) -> None:
    cleaned = clean_text(raw)
    assert cleaned == expected
    assert not any(ord(c) < 32 and c not in "\t\n" for c in cleaned)
    assert not any(0x7F <= ord(c) <= 0x9F for c in cleaned)


def test_clean_line_folds_whitespace() -> None:
    assert clean_line("  Anna's\n Archive\t sued ") == "Anna's Archive sued"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/a", True),
        ("http://example.org", True),
        ("  https://example.org/a ", True),
        ("file:///etc/passwd", False),
        ("javascript:alert(1)", False),
        ("data:text/html,x", False),
        ("https://", False),
        ("//example.org/x", False),
        ("http://[::1", False),
    ],
)
def test_only_http_links_are_openable(url: str, ok: bool) -> None:
    assert is_web_url(url) is ok


def test_markdown_keeps_structure_and_only_web_links() -> None:
    html = (
        "<h2>Ruling</h2><p>The <strong>court</strong> said <em>no</em>.</p>"
        "<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>"
        "<blockquote>quoted</blockquote>"
        '<p><a href="https://example.org/x">web</a> <a href="javascript:alert(1)">js</a>'
        ' <a href="file:///etc/passwd">file</a></p>'
    )
    markdown = html_to_markdown(html)
    assert "## Ruling" in markdown
    assert "**court**" in markdown and "*no*" in markdown
    assert "- one" in markdown and "- two" in markdown and "1. first" in markdown
    assert "> quoted" in markdown
    assert "[web](https://example.org/x)" in markdown
    assert "javascript" not in markdown and "file:" not in markdown
    assert "js" in markdown and "file" in markdown  # the words stay, the links go


def test_markup_like_feed_text_is_escaped_for_markdown_and_untouched_in_text() -> None:
    html = "<p>[red]x[/red] [link=file:///etc/passwd]y[/link] *not bold* # not a heading</p>"
    assert (
        html_to_text(html)
        == "[red]x[/red] [link=file:///etc/passwd]y[/link] *not bold* # not a heading"
    )
    markdown = html_to_markdown(html)
    assert "\\[red\\]" in markdown and "\\*not bold\\*" in markdown


def test_scripts_styles_and_frames_are_dropped() -> None:
    html = (
        "<p>kept</p><script>alert('x')</script><style>p{}</style>"
        '<iframe src="https://evil.example"></iframe><noscript>n</noscript><p onclick="x()">also</p>'
    )
    assert html_to_text(html) == "kept\n\nalso"


def test_plain_text_is_title_then_body() -> None:
    assert article_plain_text("Title", "<p>One.</p><p>Two.</p>") == "Title\n\nOne.\n\nTwo."
    assert article_plain_text("Title", "") == "Title"


def test_broken_html_never_raises() -> None:
    for html in ["<p", "<<<>>>", "<a href='", "&#xffffffff;", "<table><tr><td>x", "</div></p>"]:
        html_to_text(html)
        html_to_markdown(html)
