"""Make untrusted feed text safe and plain.

Everything that comes from the network passes ``clean_text`` before it is
stored, so no control or escape character ever reaches a terminal. HTML bodies
are turned into plain text (for the topic filter and the facts engine) or into
Markdown (for the article pane) by one parser that drops scripts, styles,
forms, embedded frames and anything else that is not reading matter.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

# C0 controls except tab and newline, DEL, C1 controls (includes CSI 0x9b),
# and Unicode's bidi controls (the marks ALM, LRM and RLM, the embeddings,
# overrides and isolates), which can make text display reversed.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
# A full ANSI escape sequence: strip it whole rather than leaving '[31m' behind.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def clean_text(text: str) -> str:
    """Remove escape sequences and control characters; keep tabs and newlines.

    Carriage returns become newlines so that text cannot overwrite itself.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ANSI.sub("", text)
    return _CONTROL.sub("", text)


def clean_line(text: str) -> str:
    """``clean_text`` for one-line fields (titles, names): whitespace folded."""
    return " ".join(clean_text(text).split())


def is_web_url(url: str) -> bool:
    """True only for absolute http(s) URLs with a host: the only links we open."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# Elements whose whole content is dropped.
_DROP = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "form",
        "button",
        "select",
        "textarea",
        "head",
        "title",
        "nav",
        "canvas",
        "audio",
        "video",
    }
)
_VOID = frozenset(
    {
        "br",
        "hr",
        "img",
        "input",
        "meta",
        "link",
        "area",
        "base",
        "col",
        "source",
        "track",
        "wbr",
        "embed",
        "param",
    }
)
_BLOCK = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "figure",
        "figcaption",
        "table",
        "tr",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "address",
        "details",
        "summary",
    }
)


class _Converter(HTMLParser):
    """One pass over HTML producing text or Markdown blocks."""

    def __init__(self, markdown: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.markdown = markdown
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.drop_depth = 0
        self.list_stack: list[list[int]] = []  # [counter] per list, -1 for unordered
        self.prefix = ""
        self.link_stack: list[str | None] = []
        self.in_pre = 0
        self.block_prefix = ""

    # -- helpers
    def _flush(self) -> None:
        text = "".join(self.current)
        self.current = []
        body = text.strip("\n") if self.in_pre else " ".join(text.split())
        if body:
            self.blocks.append(self.block_prefix + body)
        self.block_prefix = ""

    def _emit(self, text: str) -> None:
        if not self.drop_depth:
            self.current.append(text)

    # -- parser callbacks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            if tag not in _VOID:
                self.drop_depth += 1
            return
        if self.drop_depth:
            return
        if tag == "br":
            self._flush()
            return
        if tag in _BLOCK:
            self._flush()
        if not self.markdown:
            if tag == "li":
                self.block_prefix = "- "
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.block_prefix = "#" * int(tag[1]) + " "
        elif tag in ("ul", "ol"):
            self.list_stack.append([0 if tag == "ol" else -1])
        elif tag == "li":
            indent = "  " * max(0, len(self.list_stack) - 1)
            if self.list_stack and self.list_stack[-1][0] >= 0:
                self.list_stack[-1][0] += 1
                self.block_prefix = f"{indent}{self.list_stack[-1][0]}. "
            else:
                self.block_prefix = f"{indent}- "
        elif tag == "blockquote":
            self.block_prefix = "> "
        elif tag == "pre":
            self.in_pre += 1
        elif tag in ("strong", "b"):
            self._emit("**")
        elif tag in ("em", "i"):
            self._emit("*")
        elif tag == "code" and not self.in_pre:
            self._emit("`")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if is_web_url(href):
                self.link_stack.append(href.strip())
                self._emit("[")
            else:
                self.link_stack.append(None)
        elif tag == "hr":
            self._flush()
            self.blocks.append("---")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.drop_depth = max(0, self.drop_depth - 1)
            return
        if self.drop_depth:
            return
        if tag in _BLOCK:
            if self.markdown and tag == "pre":
                text = "".join(self.current).strip("\n")
                self.current = []
                if text.strip():
                    self.blocks.append("```\n" + text.replace("```", "'''") + "\n```")
                self.in_pre = max(0, self.in_pre - 1)
                return
            self._flush()
            if self.markdown and tag in ("ul", "ol") and self.list_stack:
                self.list_stack.pop()
            return
        if not self.markdown:
            return
        if tag in ("strong", "b"):
            self._emit("**")
        elif tag in ("em", "i"):
            self._emit("*")
        elif tag == "code" and not self.in_pre:
            self._emit("`")
        elif tag == "a" and self.link_stack:
            href = self.link_stack.pop()
            if href is not None:
                self._emit(f"]({_link_target(href)})")

    def handle_data(self, data: str) -> None:
        if self.drop_depth:
            return
        if self.markdown and not self.in_pre:
            data = _escape_markdown(data)
        self.current.append(data)

    def close(self) -> None:
        super().close()
        if self.in_pre and self.markdown:
            # An unclosed <pre> never got its fence: show its text as escaped prose.
            self.current = [_escape_markdown(" ".join("".join(self.current).split()))]
            self.in_pre = 0
        self._flush()


def _link_target(href: str) -> str:
    """A Markdown link target with nothing that could end it or start markup."""
    return quote(href.strip(), safe=":/?#[]@!$&'*+,;=%~")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _escape_markdown(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _convert(markup: str, markdown: bool) -> str:
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        text = clean_text(markup)
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
        if markdown:
            paragraphs = [_escape_markdown(p) for p in paragraphs]
        return "\n\n".join(p for p in paragraphs if p)
    converter = _Converter(markdown)
    try:
        converter.feed(clean_text(markup))
        converter.close()
    except Exception:  # html.parser is lenient; this is a last resort for odd input
        return " ".join(clean_text(html.unescape(re.sub(r"<[^>]*>", " ", markup))).split())
    return clean_text("\n\n".join(converter.blocks))


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: one paragraph per block, no markup at all."""
    return _convert(markup, markdown=False)


def html_to_markdown(markup: str) -> str:
    """Markdown of an HTML fragment for display. Only http(s) links survive."""
    return _convert(markup, markdown=True)


def normalise_unicode(text: str) -> str:
    """NFKC, used by the topic filter and search before case folding."""
    return unicodedata.normalize("NFKC", text)


def article_plain_text(title: str, body_html: str) -> str:
    """The text the topic filter and facts engine read, and spans point into.

    The title, a blank line, then the body as plain text.
    """
    body = html_to_text(body_html)
    return f"{title}\n\n{body}" if body else title
