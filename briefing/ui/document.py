"""The article pane's document: Markdown blocks as plain text plus style spans.

An article body goes HTML -> Markdown (``textclean.html_to_markdown``) ->
markdown-it tokens -> a list of ``Block``s. A block is plain text with
half-open spans naming styles ("strong", "link", a figure kind...); nothing in
it is ever parsed as Rich markup, so feed text shows literally.

Wrapping is done here too, as character offsets, so the pane only has to turn
the few lines on screen into segments. That keeps a 10,000-word article fast:
no styled text is built for lines nobody is looking at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, NamedTuple

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.cells import cell_len

from briefing.core.figures import figure_spans
from briefing.core.fulltext import FAILED_PREFIX, STATUS_PENDING, is_failed
from briefing.core.models import Article, Span
from briefing.core.textclean import clean_line, clean_text, html_to_markdown

BlockKind = Literal["title", "meta", "heading", "paragraph", "item", "code", "rule"]

# html=False: markup in a feed body stays text, never becomes HTML blocks.
_PARSER = MarkdownIt("commonmark", {"html": False})

_WORD = re.compile(r"(?:[^\s]|\xa0)+")
"""A word for wrapping: a no-break space joins the words on either side."""
BYLINE_SEPARATOR = " ·\xa0"
"""Bound to the part after it, so a wrapped byline never ends in a dangling '·'."""
_TAB = "    "


@dataclass(slots=True)
class Block:
    kind: BlockKind
    text: str
    marks: list[tuple[int, int, str]] = field(default_factory=list)
    """Inline styles as (start, end, name): strong, em, code, link."""
    level: int = 0
    """Heading level."""
    depth: int = 0
    """List nesting depth."""
    marker: str = ""
    """'• ' or '3. ' on the first line of a list item."""
    quote: int = 0
    """Blockquote depth."""
    figures: list[Span] | None = None
    """Figure spans, computed the first time the block is drawn."""
    hrefs: list[tuple[int, int, str]] = field(default_factory=list)
    """Links as (start, end, target): the text that shows, and where it points."""


@dataclass(frozen=True, slots=True)
class Emphasis:
    """The fact sentence to emphasise: a range of one block's text."""

    block: int
    start: int
    end: int


class Line(NamedTuple):
    """One screen line: a slice of a block, or a blank line (block -1).

    A NamedTuple: a long article has thousands, and tuples are the cheapest to make.
    """

    block: int
    start: int
    end: int
    first: bool


BLANK = Line(-1, 0, 0, False)


@dataclass(slots=True)
class ArticleDocument:
    article_id: str
    blocks: list[Block]
    published: date | None = None
    pending: list[str] = field(default_factory=list)
    """Markdown chunks not parsed yet: a long body is parsed a screenful first."""
    header: int = 2
    """How many blocks come before the body: the title, the meta line(s)."""

    @property
    def complete(self) -> bool:
        return not self.pending

    def parse_more(self, min_chars: int | None = None) -> bool:
        """Parse the next chunks (about ``min_chars`` of Markdown; all by default).

        A batch never ends before an indented chunk (a nested list item), which
        on its own would parse differently.
        """
        if not self.pending:
            return False
        taken = 0
        size = 0
        while taken < len(self.pending):
            if (
                min_chars is not None
                and size >= min_chars
                and not self.pending[taken][:1].isspace()
            ):
                break
            size += len(self.pending[taken]) + 2
            taken += 1
        batch, self.pending = self.pending[:taken], self.pending[taken:]
        self.blocks.extend(markdown_blocks("\n\n".join(batch)))
        return True

    def links(self, article_link: str = "") -> list[tuple[str, str]]:
        """Every link of the article as (text, target), the article's own first,
        each target once, in reading order."""
        self.parse_more()
        found: list[tuple[str, str]] = []
        seen: set[str] = set()
        if article_link:
            found.append(("The article's own page", article_link))
            seen.add(article_link)
        for block in self.blocks:
            for start, end, target in block.hrefs:
                if target and target not in seen:
                    seen.add(target)
                    found.append((block.text[start:end].strip() or target, target))
        return found

    def figures_of(self, block: Block) -> list[Span]:
        if block.figures is None:
            if block.kind in ("meta", "rule", "code") or not block.text:
                block.figures = []
            else:
                block.figures = figure_spans(block.text, self.published)
        return block.figures

    def locate(self, sentence: str) -> Emphasis | None:
        """Where a sentence of ``article_plain_text`` shows in this document."""
        self.parse_more()
        wanted = " ".join(sentence.split())
        if not wanted:
            return None
        searchable = [
            (index, block)
            for index, block in enumerate(self.blocks)
            if block.kind not in ("meta", "rule")
        ]
        for index, block in searchable:
            position = block.text.find(wanted)
            if position >= 0:
                return Emphasis(index, position, position + len(wanted))
        # Markdown can differ from plain text in small ways (list markers,
        # emphasis around a word): fall back to the sentence's opening words.
        words = wanted.split()
        for count in (10, 6, 3):
            if len(words) <= count:
                continue
            probe = " ".join(words[:count])
            for index, block in searchable:
                position = block.text.find(probe)
                if position >= 0:
                    end = min(len(block.text), position + len(wanted))
                    return Emphasis(index, position, end)
        return None


# --------------------------------------------------------------------------- building


def published_date(article: Article) -> date | None:
    if not article.published:
        return None
    try:
        return date.fromisoformat(article.published[:10])
    except ValueError:
        return None


FIRST_BATCH_CHARS = 8000
"""Markdown parsed before the first paint: more than a 160x50 screen holds."""


def build_document(
    article: Article,
    *,
    source_label: str | None = None,
    first_chars: int | None = FIRST_BATCH_CHARS,
) -> ArticleDocument:
    """The document of an article; with ``first_chars``, only its start is parsed yet."""
    meta = [clean_line(source_label or article.source)]
    if article.published:
        meta.append(article.published[:10])
    if article.author:
        meta.append(clean_line(article.author))
    blocks = [
        Block("title", clean_line(article.title) or "(untitled)"),
        Block("meta", BYLINE_SEPARATOR.join(part for part in meta if part)),
    ]
    if article.link:
        # On its own line: a link is long, and wraps (or is cut) on its own.
        blocks.append(Block("meta", clean_line(article.link)))
    notice = full_text_notice(article)
    if notice is not None:
        blocks.append(notice)
    document = ArticleDocument(
        article.id,
        blocks,
        published_date(article),
        markdown_chunks(html_to_markdown(article.body_html)),
        header=len(blocks),
    )
    document.parse_more(first_chars)
    return document


def full_text_notice(article: Article) -> Block | None:
    """A meta line when the article's page is still to come or could not be read.

    The reason comes from the network (an HTTP reason phrase, an error text):
    it is cleaned like any feed text and only ever styled by span.
    """
    if article.full_text:
        return None
    status = article.full_text_status
    fallback = "the feed's summary" if not article.content else "the feed's text"
    if status == STATUS_PENDING:
        text = f"Full text: pending — showing {fallback}"
        return Block("meta", text, [(0, len(text), "pending")])
    if is_failed(status):
        reason = clean_line(status[len(FAILED_PREFIX) :]) or "unknown error"
        label = "Full text failed"
        return Block("meta", f"{label}: {reason} — showing {fallback}", [(0, len(label), "failed")])
    return None


def markdown_chunks(markdown: str) -> list[str]:
    """Top-level Markdown blocks: split at blank lines, never inside a code fence."""
    chunks: list[str] = []
    current: list[str] = []
    fenced = False
    for line in markdown.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and not line.strip():
            if current:
                chunks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        chunks.append("\n".join(current))
    return chunks


def markdown_blocks(markdown: str) -> list[Block]:
    blocks: list[Block] = []
    lists: list[list[int]] = []  # per open list: [ordered (0/1), counter]
    quote = 0
    heading = 0
    marker = ""
    for token in _PARSER.parse(markdown):
        kind = token.type
        if kind == "heading_open":
            heading = int(token.tag[1:] or 1)
        elif kind == "heading_close":
            heading = 0
        elif kind == "bullet_list_open":
            lists.append([0, 0])
        elif kind == "ordered_list_open":
            start = token.attrGet("start")
            lists.append([1, (int(start) if isinstance(start, (int, str)) else 1) - 1])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            if lists:
                lists.pop()
        elif kind == "list_item_open" and lists:
            if lists[-1][0]:
                lists[-1][1] += 1
                marker = f"{lists[-1][1]}. "
            else:
                marker = "• " if len(lists) == 1 else "◦ "
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote = max(0, quote - 1)
        elif kind == "inline":
            hrefs: list[tuple[int, int, str]] = []
            text, marks = inline_text(token.children or [], hrefs)
            if not text.strip():
                continue
            block_kind: BlockKind = "heading" if heading else ("item" if lists else "paragraph")
            blocks.append(
                Block(block_kind, text, marks, heading, len(lists), marker if lists else "", quote)
            )
            blocks[-1].hrefs = hrefs
            marker = ""
        elif kind in ("fence", "code_block"):
            code = clean_text(token.content.rstrip("\n")).replace("\t", _TAB)
            if code.strip():
                blocks.append(Block("code", code, depth=len(lists), quote=quote))
        elif kind == "hr":
            blocks.append(Block("rule", "", quote=quote))
    return blocks


_MARK_OF = {"strong": "strong", "em": "em", "link": "link", "s": "em"}


def inline_text(
    children: Sequence[Token], hrefs: list[tuple[int, int, str]] | None = None
) -> tuple[str, list[tuple[int, int, str]]]:
    parts: list[str] = []
    marks: list[tuple[int, int, str]] = []
    open_at: dict[str, list[int]] = {}
    targets: list[str] = []
    position = 0

    def add(piece: str) -> None:
        nonlocal position
        parts.append(piece)
        position += len(piece)

    for child in children:
        kind = child.type
        if kind == "text" or kind == "html_inline":
            add(clean_text(child.content).replace("\n", " "))
        elif kind == "softbreak":
            add(" ")
        elif kind == "hardbreak":
            add("\n")
        elif kind == "code_inline":
            start = position
            add(clean_text(child.content).replace("\n", " "))
            marks.append((start, position, "code"))
        elif kind == "image":
            add(clean_text(child.content))
        elif kind.endswith("_open"):
            open_at.setdefault(kind[:-5], []).append(position)
            if kind == "link_open":
                href = child.attrGet("href")
                targets.append(clean_line(href) if isinstance(href, str) else "")
        elif kind.endswith("_close"):
            name = kind[:-6]
            starts = open_at.get(name)
            if starts and name in _MARK_OF:
                start = starts.pop()
                if position > start:
                    marks.append((start, position, _MARK_OF[name]))
                if name == "link" and targets:
                    target = targets.pop()
                    if hrefs is not None and target:
                        hrefs.append((start, position, target))
    return "".join(parts), marks


# --------------------------------------------------------------------------- layout


def text_width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


_FAST_WRAPS: dict[int, re.Pattern[str]] = {}


def _fast_wrap(text: str, width: int) -> list[tuple[int, int]] | None:
    """The same greedy wrap done by the regex engine, for the common case.

    Only for ASCII text without newlines whose words all fit: then every cell
    is one character, and the longest run of at most ``width`` characters that
    starts and ends on a word and is followed by a space (or the end) is the
    greedy line. None when the case does not apply.
    """
    if width < 2 or "\n" in text or not text.isascii():
        return None
    words = text.split()
    if not words or max(map(len, words)) > width:
        return None
    pattern = _FAST_WRAPS.get(width)
    if pattern is None:
        pattern = _FAST_WRAPS[width] = re.compile(rf"\S(?:[^\n]{{0,{width - 2}}}\S)?(?=\s|$)")
    return [match.span() for match in pattern.finditer(text)]


def wrap_offsets(text: str, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap as (start, end) offsets; newlines always break.

    Spaces at a break are dropped; a word wider than the line is cut.
    """
    width = max(1, width)
    fast = _fast_wrap(text, width)
    if fast is not None:
        return fast
    return greedy_wrap(text, width)


def greedy_wrap(text: str, width: int) -> list[tuple[int, int]]:
    """``wrap_offsets`` for any text: cell widths, newlines, over-long words."""
    width = max(1, width)
    lines: list[tuple[int, int]] = []
    paragraph_start = 0
    for paragraph in text.split("\n"):
        base = paragraph_start
        paragraph_start += len(paragraph) + 1
        line_start = -1
        line_end = 0
        used = 0
        for match in _WORD.finditer(paragraph):
            start, end = match.span()
            word_width = text_width(match.group())
            if line_start >= 0 and used + (start - line_end) + word_width <= width:
                used += (start - line_end) + word_width
                line_end = end
                continue
            if line_start >= 0:
                lines.append((base + line_start, base + line_end))
            while word_width > width:
                cut = _cut_at_width(paragraph, start, width)
                lines.append((base + start, base + cut))
                start = cut
                word_width = text_width(paragraph[start:end])
            line_start, line_end, used = start, end, word_width
        if line_start >= 0:
            lines.append((base + line_start, base + line_end))
        elif not lines or paragraph == "":
            lines.append((base, base))
    return lines


def _cut_at_width(text: str, start: int, width: int) -> int:
    used = 0
    position = start
    while position < len(text):
        step = text_width(text[position])
        if used + step > width and position > start:
            break
        used += step
        position += 1
    return position


def prefix_width(block: Block) -> int:
    width = 2 * block.quote
    if block.kind == "item":
        width += 2 * max(0, block.depth - 1) + len(block.marker or "• ")
    elif block.kind == "code":
        width += 2 * block.depth + 2
    return width


def layout(document: ArticleDocument, width: int) -> list[Line]:
    lines: list[Line] = []
    previous: Block | None = None
    for index, block in enumerate(document.blocks):
        if previous is not None and not _tight(previous, block):
            lines.append(BLANK)
        previous = block
        if block.kind == "rule":
            lines.append(Line(index, 0, 0, True))
            continue
        available = max(8, width - prefix_width(block))
        if block.kind == "code":
            offsets = []
            position = 0
            for code_line in block.text.split("\n"):
                offsets.append((position, position + len(code_line)))
                position += len(code_line) + 1
        else:
            offsets = wrap_offsets(block.text, available)
        for number, (start, end) in enumerate(offsets):
            lines.append(Line(index, start, end, number == 0))
    return lines


def _tight(previous: Block, block: Block) -> bool:
    """No blank line between the title and its meta lines, or between list items."""
    if previous.kind in ("title", "meta") and block.kind == "meta":
        return True
    return previous.kind == "item" and block.kind == "item" and not block.quote


# --------------------------------------------------------------------------- styles

StyleLookup = Callable[[str], object]
"""Maps a style name ('money', 'strong', 'emphasis'...) to a rich Style."""


def line_marks(
    document: ArticleDocument,
    line: Line,
    emphasis: Emphasis | None,
    matches: Sequence[Emphasis] = (),
    current: Emphasis | None = None,
) -> list[tuple[int, int, str]]:
    """The styles that touch one line, as offsets into that line; search
    ``matches`` on top, and the ``current`` one on top of those."""
    block = document.blocks[line.block]
    found: list[tuple[int, int, str]] = []

    def clip(start: int, end: int, name: str) -> None:
        start, end = max(start, line.start), min(end, line.end)
        if start < end:
            found.append((start - line.start, end - line.start, name))

    for start, end, name in block.marks:
        clip(start, end, name)
    for span in document.figures_of(block):
        clip(span.start, span.end, str(span.kind))
    if emphasis is not None and emphasis.block == line.block:
        clip(emphasis.start, emphasis.end, "emphasis")
    for match in matches:
        if match.block == line.block:
            clip(match.start, match.end, "match-current" if match == current else "match")
    return found


def search_matches(document: ArticleDocument, query: str) -> list[Emphasis]:
    """Where the words of a search show in the whole document, in reading order."""
    from briefing.ui.navigation import match_spans

    document.parse_more()
    found: list[Emphasis] = []
    for index, block in enumerate(document.blocks):
        if block.kind == "rule":
            continue
        found.extend(Emphasis(index, start, end) for start, end in match_spans(block.text, query))
    return found


def emphasis_line(lines: Sequence[Line], emphasis: Emphasis) -> int:
    """The screen line on which an emphasised sentence starts."""
    fallback = 0
    for number, line in enumerate(lines):
        if line.block != emphasis.block:
            continue
        if line.first:
            fallback = number
        if line.start <= emphasis.start < max(line.end, line.start + 1):
            return number
    return fallback
