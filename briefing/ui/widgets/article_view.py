"""The article pane: a document drawn line by line, figures highlighted by kind."""

from __future__ import annotations

from itertools import pairwise
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from briefing.core.models import FigureKind
from briefing.ui.document import (
    ArticleDocument,
    Block,
    Emphasis,
    Line,
    emphasis_line,
    layout,
    line_marks,
    search_matches,
)
from briefing.ui.widgets.styles import layer_style

FINISH_DELAY = 0.05
"""Seconds after showing a long article before the rest of it is parsed."""

STYLE_NAMES = (
    "title",
    "meta",
    "heading",
    "code",
    "quote",
    "rule",
    "strong",
    "em",
    "link",
    "emphasis",
    "pending",
    "failed",
    "match",
    "match-current",
    *(kind.value for kind in FigureKind),
)


class ArticleView(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "page_down", "Page", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"article--{name}" for name in STYLE_NAMES} | {
        "article--empty"
    }

    DEFAULT_CSS = """
    ArticleView {
        overflow-x: hidden;
        overflow-y: auto;
        /* Room for the scrollbar always: text never re-wraps when it comes and goes. */
        scrollbar-gutter: stable;
        padding: 0 1;
        & > .article--title { color: $accent; text-style: bold; }
        & > .article--meta { color: $text-muted; }
        & > .article--heading { color: $secondary; text-style: bold; }
        & > .article--code { background: $boost; color: $text; }
        & > .article--quote { color: $text-muted; }
        & > .article--rule { color: $text-muted; }
        & > .article--strong { text-style: bold; }
        & > .article--em { text-style: italic; }
        & > .article--link { color: $primary; text-style: underline; }
        & > .article--emphasis { background: $accent 30%; text-style: bold; }
        & > .article--pending { text-style: italic; }
        & > .article--failed { color: $error; text-style: bold; }
        & > .article--money { color: #f5c211; text-style: bold; }
        & > .article--count { color: #57e389; text-style: bold; }
        & > .article--percent { color: #dc8add; text-style: bold; }
        & > .article--size { color: #62a0ea; text-style: bold; }
        & > .article--date { color: #5bc8d3; text-style: underline; }
        & > .article--empty { color: $text-muted; text-style: italic; }
        & > .article--match { background: $warning 35%; }
        & > .article--match-current { background: $warning; color: $background; text-style: bold; }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.document: ArticleDocument | None = None
        self.emphasis: Emphasis | None = None
        self.matches: list[Emphasis] = []
        """Where the words of the search show, in reading order."""
        self.current_match: Emphasis | None = None
        self.search_query = ""
        self.empty_text = "No article selected."
        self._lines: list[Line] = []
        self._layout_width = -1
        self._scroll_to_emphasis = False
        self._strips: LRUCache[tuple[int, int], Strip] = LRUCache(256)
        self._styles: dict[str, Style] = {}
        self._combined: dict[tuple[Style, tuple[str, ...]], Style] = {}
        self._matched_id: str | None = None

    # ------------------------------------------------------------------ content

    def show_document(
        self,
        document: ArticleDocument,
        emphasis: Emphasis | None = None,
        *,
        keep_scroll: bool = False,
    ) -> None:
        """Show an article from its top, or scrolled to an emphasised sentence.

        ``keep_scroll``: a new build of the article on show; stay where the reader is.
        """
        self.document = document
        self.emphasis = emphasis
        if document.article_id != self._matched_id or not keep_scroll:
            self.current_match = None
        self.matches = search_matches(document, self.search_query) if self.search_query else []
        self._matched_id = document.article_id
        self._layout_width = -1
        self._scroll_to_emphasis = emphasis is not None and not keep_scroll
        top = self.scroll_offset.y
        self._relayout()
        if keep_scroll:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif not self._scroll_to_emphasis:
            self.scroll_to(y=0, animate=False, immediate=True)
        if not document.complete:
            # The first screenful is parsed; the rest once it is on screen (a timer:
            # call_after_refresh would run before the compositor paints).
            self.set_timer(FINISH_DELAY, lambda: self._finish_document(document))

    def show_matches(self, query: str) -> None:
        """Highlight the words of a search ('' for none); ] and [ then step through them."""
        self.search_query = query
        self.current_match = None
        document = self.document
        self.matches = search_matches(document, query) if document is not None and query else []
        if document is not None and self.matches:
            self._layout_width = -1
            self._relayout()
        self._strips.clear()
        self.refresh()

    def jump_match(self, step: int) -> bool:
        """Scroll to the next (1) or previous (-1) match; False when there is none."""
        if not self.matches:
            return False
        if self.current_match in self.matches:
            index = (self.matches.index(self.current_match) + step) % len(self.matches)
        else:
            top = round(self.scroll_offset.y)
            lines = [emphasis_line(self._lines, match) for match in self.matches]
            below = [n for n, line in enumerate(lines) if line >= top]
            index = (below[0] if below else 0) if step > 0 else (below[0] - 1 if below else -1)
            index %= len(self.matches)
        self.current_match = self.matches[index]
        line = emphasis_line(self._lines, self.current_match)
        height = self.scrollable_content_region.height
        top = round(self.scroll_offset.y)
        if not top <= line < top + max(1, height):
            self.scroll_to(y=max(0, line - 2), animate=False, immediate=True)
        self._strips.clear()
        self.refresh()
        return True

    @property
    def match_position(self) -> tuple[int, int]:
        """(number of the current match, counted from 1, or 0; how many there are)."""
        if self.current_match in self.matches:
            return self.matches.index(self.current_match) + 1, len(self.matches)
        return 0, len(self.matches)

    def _finish_document(self, document: ArticleDocument) -> None:
        if self.document is not document or not document.parse_more():
            return
        self._layout_width = -1
        self._relayout()

    def show_message(self, text: str) -> None:
        self.document = None
        self.emphasis = None
        self.empty_text = text
        self._lines = []
        self._strips.clear()
        self.virtual_size = Size(0, 0)
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def emphasis_line(self) -> int | None:
        if self.emphasis is None or not self._lines:
            return None
        return emphasis_line(self._lines, self.emphasis)

    def _relayout(self) -> None:
        width = self.scrollable_content_region.width
        if self.document is None or width <= 0:
            return
        if width != self._layout_width:
            self._lines = layout(self.document, width)
            self._layout_width = width
            self._strips.clear()
            self.virtual_size = Size(width, len(self._lines))
        if self._scroll_to_emphasis and self.size.height > 0:
            target = self.emphasis_line
            if target is not None:
                # A few lines of context above the sentence; again once the new
                # virtual size is in force (until then the old one clamps the scroll).
                wanted = max(0, target - 2)
                self.scroll_to(y=wanted, animate=False, immediate=True)
                self.call_after_refresh(self._scroll_if_still_wanted, wanted)
            self._scroll_to_emphasis = False
        self.refresh()

    def _scroll_if_still_wanted(self, wanted: int) -> None:
        if round(self.scroll_offset.y) < wanted:
            self.scroll_to(y=wanted, animate=False, immediate=True)

    # ------------------------------------------------------------------ events

    def _on_resize(self, event: events.Resize) -> None:
        self._relayout()

    def notify_style_update(self) -> None:
        self._styles.clear()
        self._combined.clear()
        self._strips.clear()
        super().notify_style_update()

    def legend(self) -> Text:
        """One line naming each figure kind in its own style."""
        legend = Text("Figures: ", end="")
        for kind in FigureKind:
            legend.append(kind.value, self._style(kind.value))
            legend.append(" ")
        return legend

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)

    # ------------------------------------------------------------------ drawing

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            # Only what the rule sets: a figure inside an emphasised sentence keeps
            # the sentence's background.
            style = layer_style(self, f"article--{name}")
            self._styles[name] = style
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if self.document is not None and width != self._layout_width:
            self._relayout()
        number = y + round(self.scroll_offset.y)
        base = self._styles.get("")
        if base is None:
            # The widget's own style; cached because working it out costs a CSS walk.
            base = self._styles[""] = self.rich_style
        if self.document is None:
            if y == 0:
                style = base + self._style("empty")
                return Strip([Segment(self.empty_text[:width], style)]).extend_cell_length(
                    width, base
                )
            return Strip.blank(width, base)
        if number >= len(self._lines):
            return Strip.blank(width, base)
        key = (number, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_line(self._lines[number], width, base)
            self._strips[key] = strip
        return strip

    def _render_line(self, line: Line, width: int, base: Style) -> Strip:
        document = self.document
        assert document is not None
        if line.block < 0:
            return Strip.blank(width, base)
        block = document.blocks[line.block]
        segments = self._prefix(block, line)
        if block.kind == "rule":
            used = sum(s.cell_length for s in segments)
            segments.append(Segment("─" * max(0, width - used), self._style("rule")))
        else:
            text = block.text[line.start : line.end]
            marks = line_marks(document, line, self.emphasis, self.matches, self.current_match)
            segments.extend(self._styled(text, self._block_style(block), marks))
        strip = Strip(segments).apply_style(base)
        fill = base + self._style("code") if block.kind == "code" else base
        return strip.extend_cell_length(width, fill).crop(0, width)

    def _styled(
        self, text: str, block_style: Style, marks: list[tuple[int, int, str]]
    ) -> list[Segment]:
        """Segments of one line with its marks layered in order (later marks on top).

        Done here rather than by rich.text.Text, whose render combines styles at
        every span edge; the combinations repeat, so they are cached.
        """
        if not marks:
            return [Segment(text, block_style)]
        edges = sorted({0, len(text), *(m[0] for m in marks), *(m[1] for m in marks)})
        segments = []
        for start, end in pairwise(edges):
            if start >= end:
                continue
            active = tuple(name for first, last, name in marks if first <= start and last >= end)
            key = (block_style, active)
            style = self._combined.get(key)
            if style is None:
                style = block_style
                for name in active:
                    style = style + self._style(name)
                self._combined[key] = style
            segments.append(Segment(text[start:end], style))
        return segments

    def _block_style(self, block: Block) -> Style:
        if block.kind in ("title", "meta", "heading", "code"):
            return self._style(block.kind)
        if block.quote:
            return self._style("quote")
        return Style()

    def _prefix(self, block: Block, line: Line) -> list[Segment]:
        segments: list[Segment] = []
        if block.quote:
            segments.append(Segment("▌ " * block.quote, self._style("quote")))
        if block.kind == "item":
            indent = "  " * max(0, block.depth - 1)
            marker = block.marker or "• "
            segments.append(Segment(indent + (marker if line.first else " " * len(marker))))
        elif block.kind == "code":
            segments.append(Segment("  " * block.depth + "  ", self._style("code")))
        return segments
