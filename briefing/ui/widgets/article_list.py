"""The article list: one line per article, drawn only for the rows on screen.

A Line API widget rather than an OptionList, because OptionList measures
every option when it lays out, and the list can hold ten thousand articles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from briefing.core.fulltext import STATUS_PENDING, is_failed
from briefing.core.models import Article
from briefing.core.textclean import clean_line
from briefing.ui.widgets.styles import layer_style

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_date(iso_time: str | None) -> str:
    """'Jan 16' from an ISO time: a fixed date, never an age, so screens are reproducible."""
    if not iso_time or len(iso_time) < 10:
        return "      "
    try:
        return f"{_MONTHS[int(iso_time[5:7]) - 1]} {int(iso_time[8:10]):2d}"
    except (ValueError, IndexError):
        return "      "


PENDING_MARK = "…"
"""In the row's third flag column: the article's page is still to be fetched."""
FAILED_MARK = "!"
"""The article's page could not be fetched; the article pane says why."""


def full_text_mark(status: str) -> str:
    """The row's full-text flag for an ``Article.full_text_status``: one cell."""
    if status == STATUS_PENDING:
        return PENDING_MARK
    if is_failed(status):
        return FAILED_MARK
    return " "


ROW_PREFIX = 11
"""Cells before the source column: three flags, a space, 'Jan 16' and a space."""
MIN_TITLE_CELLS = 20
"""The source column is left out when it would leave the title fewer cells."""
_ARTICLES = {"the", "a", "an"}


def source_column(names: Sequence[str], width: int) -> tuple[int, dict[str, str]]:
    """The source column of a list ``width`` cells wide: its width and each source's label.

    At most a third of what the flags and date leave, and no wider than the labels;
    none at all (width 0) when the title would keep fewer than ``MIN_TITLE_CELLS``.
    """
    labels = short_source_names(names, max(5, (width - ROW_PREFIX) // 3))
    column = max((cell_len(label) for label in labels.values()), default=0)
    if width - ROW_PREFIX - column - 1 < MIN_TITLE_CELLS:
        return 0, {}
    return column, labels


def short_source_names(names: Sequence[str], width: int) -> dict[str, str]:
    """A label of at most ``width`` cells for each source name, telling them apart.

    Words every name shares ("Sample Legal Wire", "Sample Tech Daily") say
    nothing and go. A label still too long becomes its first word when no
    other label starts with that word ("The" and "A" skipped), else it is cut.
    """
    distinct = list(dict.fromkeys(clean_line(name) for name in names))
    words = {name: name.split() for name in distinct}
    shared: set[str] = set()
    if len(distinct) > 1:
        shared = set.intersection(*(set(w) for w in words.values()))
    labels = {}
    for name in distinct:
        kept = [word for word in words[name] if word not in shared]
        labels[name] = " ".join(kept) if kept else name

    def first_word(label: str) -> str:
        kept = [w for w in label.split() if w.lower() not in _ARTICLES] or label.split() or [""]
        return kept[0].rstrip(":,;.-")

    firsts = [first_word(label) for label in labels.values()]
    short = {}
    for name, label in labels.items():
        first = first_word(label)
        if cell_len(label) <= width:
            short[name] = label
        elif first and cell_len(first) <= width and firsts.count(first) == 1:
            short[name] = first
        else:
            text = Text(label)
            text.truncate(width, overflow="ellipsis")
            short[name] = text.plain
    return short


class ArticleList(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "article-list--cursor",
        "article-list--unread",
        "article-list--read",
        "article-list--date",
        "article-list--star",
        "article-list--pending",
        "article-list--failed",
        "article-list--source",
        "article-list--empty",
    }

    DEFAULT_CSS = """
    ArticleList {
        overflow-x: hidden;
        overflow-y: auto;
        & > .article-list--cursor { background: $block-cursor-blurred-background; }
        &:focus > .article-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .article-list--unread { color: $text; text-style: bold; }
        & > .article-list--read { color: $text-muted; }
        & > .article-list--date { color: $text-muted; }
        & > .article-list--star { color: $warning; }
        & > .article-list--pending { color: $text-muted; }
        & > .article-list--failed { color: $error; text-style: bold; }
        & > .article-list--source { color: $text-muted; }
        & > .article-list--empty { color: $text-muted; text-style: italic; }
    }
    """

    @dataclass
    class Highlighted(Message):
        """The cursor moved to an article."""

        article_id: str

    @dataclass
    class Opened(Message):
        """Enter or a click on an article."""

        article_id: str

    def __init__(
        self, *, id: str | None = None, classes: str | None = None, empty_text: str = ""
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._rows: list[Article] = []
        self._cursor = -1
        self._show_source = False
        self._source_names: list[str] = []
        self._short_sources: tuple[int, int, dict[str, str]] = (-1, 0, {})
        """For one list width: the source column's width and each source's label."""
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(512)
        self._styles: dict[str, Style] = {}
        self.empty_text = empty_text

    # ------------------------------------------------------------------ data

    @property
    def articles(self) -> Sequence[Article]:
        return self._rows

    @property
    def cursor(self) -> int:
        return self._cursor

    @property
    def current(self) -> Article | None:
        if 0 <= self._cursor < len(self._rows):
            return self._rows[self._cursor]
        return None

    def set_articles(
        self, articles: Sequence[Article], *, select_id: str | None = None, show_source: bool
    ) -> None:
        """Replace the rows; keep the cursor on ``select_id`` when it is listed."""
        previous = self.current
        self._rows = list(articles)
        self._show_source = show_source
        self._source_names = sorted({clean_line(a.source) for a in self._rows})
        self._short_sources = (-1, 0, {})
        self._strips.clear()
        cursor = 0 if self._rows else -1
        wanted = select_id if select_id is not None else (previous.id if previous else None)
        if wanted is not None:
            cursor = next((n for n, a in enumerate(self._rows) if a.id == wanted), cursor)
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows))
        self._cursor = -1
        self.scroll_to(y=0, animate=False, immediate=True)
        self.move_cursor(cursor)
        self.refresh()

    def update_articles(self, changed: Sequence[Article]) -> None:
        """New read/starred flags (or full-text status) for some rows."""
        by_id = {a.id: a for a in changed}
        for number, row in enumerate(self._rows):
            if row.id in by_id:
                self._rows[number] = by_id[row.id]
        self.refresh()

    def index_of(self, article_id: str) -> int | None:
        return next((n for n, a in enumerate(self._rows) if a.id == article_id), None)

    def move_cursor(self, row: int, *, announce: bool = True) -> None:
        if not self._rows:
            self._cursor = -1
            self.refresh()
            return
        row = max(0, min(row, len(self._rows) - 1))
        changed = row != self._cursor
        self._cursor = row
        self._scroll_to_cursor()
        self.refresh()
        if changed and announce:
            self.post_message(self.Highlighted(self._rows[row].id))

    def select_article(self, article_id: str) -> bool:
        row = self.index_of(article_id)
        if row is None:
            return False
        self.move_cursor(row)
        return True

    def _scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height
        top = round(self.scroll_offset.y)
        if height <= 0:
            return
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False, immediate=True)

    # ------------------------------------------------------------------ actions

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._rows) - 1)

    def action_page_up(self) -> None:
        self.move_cursor(self._cursor - max(1, self.scrollable_content_region.height - 1))

    def action_page_down(self) -> None:
        self.move_cursor(self._cursor + max(1, self.scrollable_content_region.height - 1))

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Opened(self.current.id))

    # ------------------------------------------------------------------ events

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = offset.y + round(self.scroll_offset.y)
        if 0 <= row < len(self._rows):
            self.move_cursor(row)
            self.post_message(self.Opened(self._rows[row].id))

    def _on_focus(self, event: events.Focus) -> None:
        self._strips.clear()
        self._styles.clear()
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self._strips.clear()
        self._styles.clear()
        self.refresh()

    def _on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows))
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        self._strips.clear()
        self._styles.clear()
        super().notify_style_update()

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = y + round(self.scroll_offset.y)
        base = self._styles.get("")
        if base is None:
            # The widget's own style; cached because working it out costs a CSS walk.
            base = self._styles[""] = self.rich_style
        if not self._rows:
            if y == 0 and self.empty_text:
                style = self.get_component_rich_style("article-list--empty")
                return Strip([Segment(self.empty_text[:width], style)]).extend_cell_length(width)
            return Strip.blank(width, base)
        if row >= len(self._rows):
            return Strip.blank(width, base)
        article = self._rows[row]
        is_cursor = row == self._cursor
        key = (
            row,
            article.id,
            article.read,
            article.starred,
            article.full_text_status,
            width,
            is_cursor,
            self.has_focus,
        )
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(article, width, is_cursor)
            self._strips[key] = strip
        return strip

    def _style(self, component: str) -> Style:
        style = self._styles.get(component)
        if style is None:
            style = self._styles[component] = layer_style(self, component)
        return style

    def _full_text_flag(self, status: str) -> tuple[str, Style]:
        mark = full_text_mark(status)
        if mark == FAILED_MARK:
            return mark, self._style("article-list--failed")
        return mark, self._style("article-list--pending")

    def _source_label(self, source: str, width: int) -> str:
        """The source column's cell for a row: a short label, padded to the column."""
        known_width, column, labels = self._short_sources
        if known_width != width:
            column, labels = source_column(self._source_names, width)
            self._short_sources = (width, column, labels)
        if not column:
            return ""
        label = labels.get(clean_line(source), "")
        return label + " " * (column - cell_len(label) + 1)

    def _render_row(self, article: Article, width: int, is_cursor: bool) -> Strip:
        style_of = self._style
        title_style = style_of("article-list--read" if article.read else "article-list--unread")
        text = Text.assemble(
            ("●" if not article.read else " ", style_of("article-list--unread")),
            ("★" if article.starred else " ", style_of("article-list--star")),
            self._full_text_flag(article.full_text_status),
            (f" {short_date(article.sort_time)} ", style_of("article-list--date")),
            no_wrap=True,
            end="",
        )
        if self._show_source:
            # Before the title, in its own column: after it, the pane would cut it off.
            source = self._source_label(article.source, width)
            text.append(source, style_of("article-list--source"))
        text.append(clean_line(article.title) or "(untitled)", title_style)
        text.truncate(width, overflow="ellipsis")
        base = self._styles.get("") or self.rich_style
        if is_cursor:
            base = base + self.get_component_rich_style("article-list--cursor")
        strip = Strip(list(text.render(self.app.console)))
        return strip.apply_style(base).extend_cell_length(width, base).crop(0, width)
