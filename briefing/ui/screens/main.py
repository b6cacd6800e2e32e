"""The main screen: three panes, and the go-between for their widgets.

Widgets only report what the user did (a source highlighted, an article
opened, a quote chosen); this screen decides what the other panes show.
It never calls the app: what needs the service, a worker or the web browser
goes to the app as an intent message (``briefing.ui.messages``), and the app
paints results back through this screen's public methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList

from briefing.core.models import Article, KeyFact
from briefing.core.service import SourceSummary
from briefing.core.textclean import article_plain_text, clean_line
from briefing.ui.commands import bindings
from briefing.ui.document import ArticleDocument, build_document
from briefing.ui.keymap import Keymap
from briefing.ui.layout import (
    Edge,
    LayoutMode,
    PaneSizes,
    drag,
    layout_mode,
    pane_sizes,
    resize,
)
from briefing.ui.messages import (
    ConfigReloadRequested,
    ExportRequested,
    FlagsChanged,
    LinkRequested,
    PrefsChanged,
    RefreshRequested,
    ScreenReady,
    SearchRequested,
)
from briefing.ui.navigation import (
    BackStep,
    back_step,
    source_with_unread,
    step_source,
    unread_row,
    unread_row_around,
)
from briefing.ui.prefs import Prefs
from briefing.ui.view import (
    ALL_SOURCES,
    FEED_PREFIX,
    USER_FEED_PREFIX,
    ListScope,
    ReaderData,
    tag_filter,
    tags_of,
)
from briefing.ui.widgets.article_list import ArticleList
from briefing.ui.widgets.article_view import ArticleView
from briefing.ui.widgets.lists import FactDetail, FactList, SourceList
from briefing.ui.widgets.status import (
    Coverage,
    KeyBar,
    NoticeLine,
    PaneBar,
    RefreshBar,
    StatusHeader,
    plural,
)

FOCUS_ORDER = ("source-list", "article-list", "fact-list", "fact-detail", "article-view")
PANE_OF = {
    "source-list": "sources-pane",
    "search": "sources-pane",
    "article-list": "sources-pane",
    "fact-list": "facts-pane",
    "fact-detail": "facts-pane",
    "article-view": "article-pane",
}
FIRST_IN_PANE = {
    "sources-pane": "source-list",
    "facts-pane": "fact-list",
    "article-pane": "article-view",
}
DocumentKey = tuple[str, str, int, str]


def document_key(article: Article) -> DocumentKey:
    """What an article's document is built from; a reload that changes it redraws the pane."""
    return (article.id, article.title, len(article.body_html), article.full_text_status)


def _wrapped_to(step: int) -> str:
    """What n (p) says when it went round past the end (the start) of the list."""
    return "Wrapped to the first unread" if step > 0 else "Wrapped to the last unread"


SEARCH_DELAY = 0.15
PREFETCH_DELAY = 0.15
"""Seconds on one article before its neighbours are prepared: none while j is held down."""
PREFETCH_BLOCKS = 16
HEADER_ROWS = 2
"""The header and the footer: what the panes never get of the screen's height (the
standing notice takes its own rows too, while it shows)."""


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings()  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(id="main")
        self.data: ReaderData | None = None
        self.source_key = ALL_SOURCES
        self.scope = ListScope.source(ALL_SOURCES)
        self.differing_only = False
        self.timeline = False
        self.new_fact_ids: set[str] = set()
        self.changed_fact_ids: set[str] = set()
        """Facts whose status or values changed since the last visit."""
        self.shown_article_id: str | None = None
        self.shown_key: DocumentKey | None = None
        self.active_pane = "sources-pane"
        self.keymap = Keymap()
        self.prefs = Prefs()
        self.config_path: str | None = None
        self.topic = ""
        self.origin = ("loading…", "")
        self.yours: list[SourceSummary] = []
        """The user's feeds, listed while the sample stands in for them."""
        self.yours_path = ""
        """The feeds.toml they are in, for the line over them."""
        self._documents: LRUCache[DocumentKey, ArticleDocument] = LRUCache(16)
        self._search_timer: Timer | None = None
        self._prefetch_timer: Timer | None = None
        self._mode = LayoutMode.THREE
        self._dragging: Edge | None = None
        """The line between two panes that the mouse is dragging."""

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield NoticeLine(id="notice")
        yield PaneBar()
        with Horizontal(id="panes"):
            with Vertical(id="sources-pane", classes="pane -active"):
                yield Label("Sources", id="sources-title", classes="pane-title")
                yield SourceList(id="source-list")
                yield Label("Articles", id="articles-title", classes="pane-title")
                yield Input(placeholder="Search titles and bodies…", id="search")
                yield ArticleList(id="article-list", empty_text="Loading the cache…")
            with Vertical(id="reading"):
                with Vertical(id="facts-pane", classes="pane"):
                    yield Label("Key facts", id="facts-title", classes="pane-title")
                    with Horizontal(id="facts-body"):
                        yield FactList(id="fact-list")
                        yield FactDetail(id="fact-detail")
                    yield Coverage(id="coverage")
                with Vertical(id="article-pane", classes="pane"):
                    yield ArticleView(id="article-view")
                    yield Label("", id="figure-legend")
        yield KeyBar(self.keymap)

    def on_mount(self) -> None:
        self.query_one(ArticleView).show_message("Loading the cache…")
        self.query_one(FactDetail).show_fact(None, {})
        self.query_one("#figure-legend", Label).update(self.query_one(ArticleView).legend())
        self.query_one(ArticleList).focus()
        self._apply_layout(self.app.size.width, self.app.size.height)
        self.show_status("")
        # Handled now rather than posted: a posted message is read after Textual has
        # drawn this screen empty, and the first frame should be the full screen.
        ready = getattr(self.app, "on_screen_ready", None)
        if callable(ready):
            ready(ScreenReady())
        else:
            self.post_message(ScreenReady())

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout(event.size.width, event.size.height)

    def _apply_layout(self, width: int, height: int) -> None:
        mode = self._mode = layout_mode(width)
        self.set_class(mode is LayoutMode.ONE, "-narrow")
        self.set_class(mode is LayoutMode.TWO, "-two")
        self.set_class(mode is LayoutMode.THREE, "-three")
        sizes = self._sizes(width, height)
        sources = self.query_one("#sources-pane")
        facts = self.query_one("#facts-pane")
        sources.styles.width = sizes.sources_width if sizes.sources_width else None
        facts.styles.width = sizes.facts_width if sizes.facts_width else None
        facts.styles.height = sizes.facts_height if sizes.facts_height else None
        self._show_reading()
        self.query_one(PaneBar).show_active(self.active_pane)

    def _edge_at(self, x: int, y: int) -> Edge | None:
        """The line between two panes at screen cell ``x``, ``y`` (a pane's border)."""
        if self._mode is LayoutMode.ONE:
            return None
        sources = self.query_one("#sources-pane").region
        if x == sources.right - 1 and sources.y <= y < sources.bottom:
            return Edge.SOURCES
        facts = self.query_one("#facts-pane").region
        if self._mode is LayoutMode.THREE:
            on_edge = x == facts.right - 1 and facts.y <= y < facts.bottom
        else:
            on_edge = y == facts.bottom - 1 and facts.x <= x < facts.right
        return Edge.FACTS if on_edge else None

    def on_mouse_down(self, event: events.MouseDown) -> None:
        edge = self._edge_at(event.screen_x, event.screen_y)
        if edge is not None:
            self._dragging = edge
            self._show_edge(edge)
            self.capture_mouse()
            event.stop()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging is None:
            self._show_edge(self._edge_at(event.screen_x, event.screen_y))
            return
        width, height = self.app.size
        origin = self.query_one("#panes").region.x, self.query_one("#facts-pane").region.y
        sized = drag(
            width,
            self._pane_rows(height),
            self._dragging,
            event.screen_x - origin[0],
            event.screen_y - origin[1],
            self._sizes(),
        )
        if sized is not None and sized != (self.prefs.sources_width, self.prefs.facts_size):
            self.prefs.sources_width, self.prefs.facts_size = sized
            self._apply_layout(width, height)
        event.stop()

    def _show_edge(self, edge: Edge | None) -> None:
        """The line under the mouse lights up: it can be dragged."""
        self.query_one("#sources-pane").set_class(edge is Edge.SOURCES, "-edge")
        self.query_one("#facts-pane").set_class(edge is Edge.FACTS, "-edge")

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging is None:
            return
        self._dragging = None
        self._show_edge(None)
        self.release_mouse()
        self.post_message(PrefsChanged())  # kept once, when the drag ends
        event.stop()

    def _pane_rows(self, height: int) -> int:
        """The rows the panes share on a screen ``height`` rows high."""
        return height - HEADER_ROWS - self.query_one(NoticeLine).rows(self.app.size.width)

    def _sizes(self, width: int | None = None, height: int | None = None) -> PaneSizes:
        width = self.app.size.width if width is None else width
        height = self.app.size.height if height is None else height
        return pane_sizes(
            width,
            self._pane_rows(height),
            sources=self.prefs.sources_width,
            facts=self.prefs.facts_size,
        )

    def _show_reading(self) -> None:
        """One pane at a time: the right-hand column shows only for its own panes."""
        self.query_one("#reading").set_class(
            self.narrow and self.active_pane == "sources-pane", "-hidden"
        )

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    def _activate_pane(self, pane_id: str) -> None:
        if pane_id == self.active_pane:
            return
        self.active_pane = pane_id
        for pane in self.query(".pane"):
            pane.set_class(pane.id == pane_id, "-active")
        self._show_reading()
        self.query_one(PaneBar).show_active(pane_id)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        pane = PANE_OF.get(event.widget.id or "")
        if pane is not None:
            self._activate_pane(pane)

    def focus_widget(self, widget_id: str) -> None:
        """Focus a widget, first showing its pane in the one-pane layout."""
        self._activate_pane(PANE_OF[widget_id])
        self.query_one(f"#{widget_id}", Widget).focus(scroll_visible=False)

    # ------------------------------------------------------------------ painted by the app

    def use_keys(self, keymap: Keymap) -> None:
        self.keymap = keymap
        self.query_one(KeyBar).show_keys(keymap)

    def use_prefs(self, prefs: Prefs) -> None:
        self.prefs = prefs
        self._apply_layout(self.app.size.width, self.app.size.height)

    def show_origin(self, topic: str, origin: str, origin_class: str) -> None:
        self.topic = topic
        self.origin = (origin, origin_class)
        self.show_status()

    def show_status(self, counts: str | None = None) -> None:
        data = self.data
        if counts is None:
            if data is None:
                counts = ""
            else:
                on_topic, unread = data.on_topic_count(), data.unread_on_topic()
                counts = f"{plural(on_topic, 'article')} · {unread} unread"
        origin, origin_class = self.origin
        self.query_one(StatusHeader).show(self.topic, counts, origin, origin_class)

    def show_notice(self, text: str) -> None:
        """A standing line under the header ('' hides it)."""
        self.query_one(NoticeLine).show(text)
        self._apply_layout(self.app.size.width, self.app.size.height)  # its rows are not the panes'

    def show_message(
        self, text: str, severity: str, timeout: float, *, topic: str | None = None
    ) -> None:
        """A notification, in the footer's place for a few seconds."""
        self.query_one(KeyBar).show_message(text, severity, timeout, topic=topic)

    def clear_message(self) -> None:
        self.query_one(KeyBar).clear_message()

    def show_user_feeds(self, sources: Sequence[SourceSummary], path: str) -> None:
        """List the user's own feeds (and how each failed) below the sample's, under
        "Your feeds (path of their feeds.toml)"."""
        self.yours = list(sources)
        self.yours_path = path
        self._show_sources()

    def show_waiting(self, message: str) -> None:
        self.query_one(ArticleView).show_message(message)
        self.query_one(ArticleList).empty_text = message
        self.query_one(ArticleList).refresh()
        self.show_status()

    def refresh_started(self, feeds: int) -> None:
        self.query_one(RefreshBar).start(feeds)

    def refresh_advanced(
        self, done: int, total: int, name: str, *, unit: str = "feeds", failed: int = 0
    ) -> None:
        self.query_one(RefreshBar).advance(done, total, name, unit=unit, failed=failed)

    def refresh_pages(self) -> None:
        self.query_one(RefreshBar).start_pages()

    def refresh_stopped(self) -> None:
        self.query_one(RefreshBar).stop()

    @property
    def place(self) -> tuple[str, str | None]:
        """The source and the article on show, to open there next time."""
        return self.source_key, self.shown_article_id

    def apply_data(
        self,
        data: ReaderData,
        *,
        restore_source: str | None = None,
        restore_article: str | None = None,
        keep_facts: bool = False,
    ) -> None:
        """Paint a fresh load of the cache, keeping the user's place where it still exists.

        The key facts come later, in ``apply_briefing``.
        """
        previous = self.data
        self.data = data
        if keep_facts and previous is not None and previous.briefing is not None:
            # After a refresh: keep showing the facts we had until the new ones are ready.
            data.briefing = previous.briefing
        self._documents.clear()
        if restore_source is not None:
            self.source_key = restore_source
        if self.scope.kind == "source" or restore_source is not None:
            self.scope = self._source_scope(self.source_key)
        elif self.scope.kind == "fact":
            fact = data.fact(self.scope.key)
            self.scope = self._fact_scope(fact) if fact else self._source_scope(self.source_key)
        self.query_one(ArticleList).empty_text = "No articles here."
        self._show_sources()
        self._show_facts()
        series, first, last = data.articles_per_day()
        self.query_one(Coverage).show(series, first, last)
        self._show_articles(select_id=restore_article or self.shown_article_id)
        self._renew_shown_article()
        self.show_status()

    def apply_briefing(
        self,
        new_fact_ids: set[str],
        changed_fact_ids: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> None:
        self.new_fact_ids = new_fact_ids
        self.changed_fact_ids = set(changed_fact_ids)
        data = self.data
        if data is not None and self.scope.kind == "fact":
            fact = data.fact(self.scope.key)
            if fact is None:
                self.scope = self._source_scope(self.source_key)
            self._show_articles()
        self._show_facts()

    def _source_scope(self, key: str) -> ListScope:
        data = self.data
        tag = tag_filter(data.sources, self.prefs.tag) if data is not None else None
        return ListScope.source(key, tag)

    def _show_sources(self) -> None:
        data = self.data
        if data is None:
            return
        source_list = self.query_one(SourceList)
        tag = tag_filter(data.sources, self.prefs.tag)
        sources = [s for s in data.sources if tag is None or s.name in tag.feeds]
        unread = data.source_unread()
        shown_unread = {name: n for name, n in unread.items() if tag is None or name in tag.feeds}
        source_list.show_sources(
            sources,
            shown_unread,
            on_topic=data.on_topic_count(tag.feeds if tag else None),
            starred=data.starred_count(),
            selected=self.source_key,
            all_label=f"All tagged {tag.tag}" if tag else "All sources",
            unread_only=self.prefs.unread_only,
            yours=self.yours,
            yours_path=self.yours_path,
        )
        title = "Sources"
        if tag is not None:
            title += f" · tag {tag.tag}"
        if self.prefs.unread_only:
            title += " · unread only"
        self.query_one("#sources-title", Label).update(Text(title))
        if source_list.highlighted_id != self.source_key:
            self.source_key = source_list.highlighted_id or ALL_SOURCES
            if self.scope.kind == "source":
                self.scope = self._source_scope(self.source_key)

    def _show_facts(self) -> None:
        data = self.data
        found = self.query(FactList)
        if data is None or not found:
            return  # (a resize can come while the screen is still being built)
        fact_list = found.first()
        title = self.query_one("#facts-title", Label)
        if self.timeline:
            from briefing.core.facts import timeline_disputes  # imported late: a slow import

            events_ = data.timeline()
            title.update(Text(f"Timeline ({len(events_)})"))
            fact_list.show_timeline(
                events_, empty="No dated events yet.", disputes=timeline_disputes(events_)
            )
        else:
            facts = data.facts(differing_only=self.differing_only)
            which = "Key facts where sources differ" if self.differing_only else "Key facts"
            pending = data.briefing is None and bool(data.on_topic_count())
            title.update(
                Text(f"{which} (working them out…)" if pending else f"{which} ({len(facts)})")
            )
            if pending:
                empty = "Working out the key facts…"
            elif self.differing_only:
                empty = "No facts where sources differ."
            else:
                empty = "No key facts yet."
            fact_list.show_facts(
                facts, self.new_fact_ids, empty=empty, changed_ids=self.changed_fact_ids
            )
        self._show_highlighted_fact()

    def _show_highlighted_fact(self) -> None:
        data = self.data
        detail = self.query_one(FactDetail)
        option_id = self.query_one(FactList).highlighted_id
        if data is None or option_id is None:
            detail.show_fact(None, {})
            return
        if option_id.startswith("event:"):
            events_ = data.timeline()
            number = int(option_id.removeprefix("event:"))
            if number < len(events_):
                event_ = events_[number]
                detail.show_event(
                    event_, self._article_map(event_.articles), data.fact(event_.fact)
                )
            return
        fact = data.fact(option_id.removeprefix("fact:"))
        ids = [span[0] for value in fact.values for span in value.spans] if fact else []
        detail.show_fact(fact, self._article_map(ids))

    def _article_map(self, ids: list[str] | tuple[str, ...]) -> dict[str, Article]:
        data = self.data
        found: dict[str, Article] = {}
        if data is None:
            return found
        for article_id in ids:
            article = data.row(article_id)  # titles and sources: no body needed
            if article is not None:
                found[article_id] = article
        return found

    def _listed(self, articles: list[Article]) -> list[Article]:
        """Unread only: the unread articles, and the one on show so it does not vanish
        as it is read."""
        if not self.prefs.unread_only or self.scope.kind != "source":
            return articles
        return [a for a in articles if not a.read or a.id == self.shown_article_id]

    def _show_articles(self, select_id: str | None = None) -> None:
        data = self.data
        if data is None:
            return
        articles = self._listed(data.articles_in(self.scope))
        article_list = self.query_one(ArticleList)
        self.query_one("#articles-title", Label).update(Text(self._list_heading(articles)))
        show_source = not (self.scope.kind == "source" and self.scope.key.startswith(FEED_PREFIX))
        article_list.set_articles(articles, select_id=select_id, show_source=show_source)
        view = self.query_one(ArticleView)
        view.search_query = self.scope.key if self.scope.kind == "search" else ""
        current = article_list.current
        if current is None:
            self.shown_article_id = None
            view.show_message(self._empty_list_text())
        elif current.id != self.shown_article_id:
            self.show_article(current.id)
        else:
            view.show_matches(view.search_query)

    def _empty_list_text(self) -> str:
        key = self.scope.key
        if self.scope.kind == "source" and key.startswith(USER_FEED_PREFIX):
            name = key.removeprefix(USER_FEED_PREFIX)
            source = next((s for s in self.yours if s.name == name), None)
            reason = f": {clean_line(source.last_error)}" if source and source.last_error else ""
            return f"No articles from {clean_line(name)} yet{reason}. Press r to try again."
        if self.prefs.unread_only and self.scope.kind == "source":
            return "No unread articles here. Press l to show the read ones too."
        return "No articles here."

    def set_scope(self, scope: ListScope, select_id: str | None = None) -> None:
        self.scope = scope
        self._show_articles(select_id)

    # ------------------------------------------------------------------ the article pane

    def document_for(self, article: Article) -> ArticleDocument:
        key = document_key(article)
        document = self._documents.get(key)
        if document is None:
            document = build_document(article)
            self._documents[key] = document
        return document

    def show_article(self, article_id: str, sentence: tuple[int, int] | None = None) -> None:
        """Show an article; with a sentence (offsets into its plain text), emphasise it."""
        data = self.data
        article = data.article(article_id) if data else None
        view = self.query_one(ArticleView)
        if article is None:
            view.show_message("That article is no longer in the cache.")
            return
        document = self.document_for(article)
        emphasis = None
        if sentence is not None:
            plain = article_plain_text(article.title, article.body_html)
            emphasis = document.locate(plain[sentence[0] : sentence[1]])
        view.show_document(document, emphasis)
        self.shown_article_id = article_id
        self.shown_key = document_key(article)
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
        self._prefetch_timer = self.set_timer(PREFETCH_DELAY, self._prefetch_neighbours)

    def _renew_shown_article(self) -> None:
        """After a reload, redraw the article on show if what it is built from changed.

        Its full text arrived (shown from the top), or only its full-text status
        changed (the same body: the reader keeps their place and emphasis).
        """
        data = self.data
        if data is None or self.shown_article_id is None:
            return
        article = data.article(self.shown_article_id)
        if article is None:
            return
        key = document_key(article)
        if key == self.shown_key:
            return
        shown = self.shown_key
        if shown is None or shown[:3] != key[:3]:
            self.show_article(article.id)
            return
        view = self.query_one(ArticleView)
        previous = view.document
        document = self.document_for(article)
        emphasis = view.emphasis
        if previous is None or previous.header != document.header:
            emphasis = None  # its block number would point at the wrong block
        view.show_document(document, emphasis, keep_scroll=True)
        self.shown_key = key

    def _prefetch_neighbours(self) -> None:
        """While the user reads, prepare the articles above and below for j and k."""
        article_list = self.query_one(ArticleList)
        rows = article_list.articles
        for row in (article_list.cursor + 1, article_list.cursor - 1):
            if 0 <= row < len(rows) and self.data is not None:
                document = self.document_for(self.data.article(rows[row].id) or rows[row])
                for block in document.blocks[:PREFETCH_BLOCKS]:
                    document.figures_of(block)

    def open_article(
        self, article_id: str, sentence: tuple[int, int] | None = None, *, focus: bool = True
    ) -> None:
        """Show an article and mark it read: Enter, a click, n/p, a quote."""
        if sentence is not None or article_id != self.shown_article_id:
            self.show_article(article_id, sentence)
        self._set_read([article_id], True)
        if focus or self.narrow:
            self.focus_widget("article-view")

    def current_article(self) -> Article | None:
        if self.data is None or self.shown_article_id is None:
            return None
        return self.data.article(self.shown_article_id)

    def _set_read(self, ids: list[str], read: bool) -> None:
        data = self.data
        if data is None:
            return
        ids = [i for i in ids if (a := data.row(i)) is not None and a.read != read]
        if not ids:
            return
        self.post_message(FlagsChanged(ids, read=read))
        self._flags_changed(data.set_flags(ids, read=read))

    def _flags_changed(self, changed: list[Article]) -> None:
        self.query_one(ArticleList).update_articles(changed)
        self._show_sources()
        self.show_status()
        if self.data is not None:
            articles = self._listed(self.data.articles_in(self.scope))
            self.query_one("#articles-title", Label).update(Text(self._list_heading(articles)))

    def _list_heading(self, articles: list[Article]) -> str:
        """The list's name and counts; a narrowed list starts with how to leave it.

        The hint comes first: the sources pane is narrow and cuts the line's end.
        """
        unread = sum(1 for a in articles if not a.read)
        heading = f"{clean_line(self.scope.label)} ({len(articles)}, {unread} unread)"
        return heading if self.scope.kind == "source" else f"esc: back · {heading}"

    # ------------------------------------------------------------------ widget messages

    @on(OptionList.OptionHighlighted, "#source-list")
    def source_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._choose_source(event.option.id or ALL_SOURCES)

    def _choose_source(self, key: str, select_id: str | None = None) -> None:
        """Show a source's articles, with the cursor on ``select_id`` when it is listed."""
        if key == self.source_key and self.scope.kind == "source":
            return
        self.source_key = key
        self.set_scope(self._source_scope(key), select_id)

    @on(OptionList.OptionSelected, "#source-list")
    def source_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose_source(event.option.id or ALL_SOURCES)
        self.focus_widget("article-list")

    @on(ArticleList.Highlighted)
    def article_highlighted(self, event: ArticleList.Highlighted) -> None:
        current = self.query_one(ArticleList).current
        if current is None or current.id != event.article_id:
            return  # queued before the cursor moved on (n into another source, say)
        if event.article_id != self.shown_article_id:
            self.show_article(event.article_id)

    @on(ArticleList.Opened)
    def article_opened(self, event: ArticleList.Opened) -> None:
        self.open_article(event.article_id)

    @on(OptionList.OptionHighlighted, "#fact-list")
    def fact_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_highlighted_fact()

    @on(OptionList.OptionSelected, "#fact-list")
    def fact_selected(self, event: OptionList.OptionSelected) -> None:
        data = self.data
        option_id = event.option.id or ""
        if data is None:
            return
        if option_id.startswith("event:"):
            events_ = data.timeline()
            number = int(option_id.removeprefix("event:"))
            if number < len(events_):
                event_ = events_[number]
                label = f"{event_.date}: {event_.label}"
                self.set_scope(ListScope("event", event_.date, label, frozenset(event_.articles)))
        else:
            fact = data.fact(option_id.removeprefix("fact:"))
            if fact is None:
                return
            self.set_scope(self._fact_scope(fact))
        self._show_highlighted_fact()
        self.focus_widget("fact-detail")

    def _fact_scope(self, fact: KeyFact) -> ListScope:
        from briefing.core.facts import fact_articles  # imported late: a slow import

        return ListScope("fact", fact.id, f"Stating “{fact.label}”", frozenset(fact_articles(fact)))

    @on(OptionList.OptionSelected, "#fact-detail")
    def quote_selected(self, event: OptionList.OptionSelected) -> None:
        target = self.query_one(FactDetail).targets.get(event.option.id or "")
        if target is None:
            return
        article_id, start, end = target
        article_list = self.query_one(ArticleList)
        row = article_list.index_of(article_id)
        if row is not None:
            article_list.move_cursor(row, announce=False)
        self.open_article(article_id, (start, end) if end > start else None)

    # ------------------------------------------------------------------ search

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        self.focus_widget("search")

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        if not self.query_one("#search", Input).display:
            # Emptied as the search closed: its list is left already, and a search of
            # nothing would replace whatever list the user has opened since.
            return
        query = event.value
        self._search_timer = self.set_timer(SEARCH_DELAY, lambda: self._run_search(query))

    def _run_search(self, query: str) -> None:
        if not query.strip():
            self.set_scope(self._source_scope(self.source_key))
            return
        self.post_message(SearchRequested(query))

    @on(Input.Submitted, "#search")
    def search_submitted(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        if event.value.strip():
            self.post_message(SearchRequested(event.value))
        self.focus_widget("article-list")

    def show_search_results(self, query: str, ids: list[str]) -> None:
        search = self.query_one("#search", Input)
        if not search.display or search.value != query:
            return  # the user typed on or left the search meanwhile
        self.set_scope(ListScope("search", query, f"Search “{query}”", frozenset(ids)))

    def _close_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.display:
            if self._search_timer is not None:
                self._search_timer.stop()
            search.value = ""
            search.display = False

    def _step_match(self, step: int) -> None:
        view = self.query_one(ArticleView)
        if not view.search_query:
            self.notify("No search: press / to search, then ] and [ go through the matches.")
            return
        if not view.jump_match(step):
            self.notify("No match in this article.", timeout=3)
            return
        number, total = view.match_position
        self.show_message(f"Match {number} of {total}", "information", 2)

    def action_next_match(self) -> None:
        self._step_match(1)

    def action_previous_match(self) -> None:
        self._step_match(-1)

    # ------------------------------------------------------------------ going back

    def _go_back(self, *, quitting: bool) -> None:
        search = self.query_one("#search", Input)
        focused = self.focused.id if self.focused is not None else None
        step = back_step(
            narrow=self.narrow,
            active_pane=self.active_pane,
            focused=focused,
            searching=bool(search.display),
            narrowed=self.scope.kind != "source",
            quitting=quitting,
        )
        if step is BackStep.CLOSE_SEARCH:
            self._close_search()
            if self.scope.kind == "search":
                self.set_scope(self._source_scope(self.source_key))
            self.focus_widget("article-list")
        elif step is BackStep.LEAVE_SCOPE:
            self.set_scope(self._source_scope(self.source_key))
            self.focus_widget("article-list")
        elif step is BackStep.TO_LIST:
            self.focus_widget("article-list")
        elif step is BackStep.TO_SOURCES:
            self.focus_widget("source-list")
        elif step is BackStep.QUIT:
            self.app.exit()

    def action_back(self) -> None:
        self._go_back(quitting=False)

    def action_back_or_quit(self) -> None:
        self._go_back(quitting=True)

    async def action_quit(self) -> None:
        self.app.exit()

    # ------------------------------------------------------------------ moving

    def _focus_target(self) -> Widget | None:
        focused = self.focused
        if focused is None or focused.id not in FOCUS_ORDER:
            return None
        return focused

    def action_move_down(self) -> None:
        target = self._focus_target()
        if isinstance(target, ArticleView):
            target.scroll_down(animate=False)
        elif isinstance(target, (ArticleList, OptionList)):
            target.action_cursor_down()

    def action_move_up(self) -> None:
        target = self._focus_target()
        if isinstance(target, ArticleView):
            target.scroll_up(animate=False)
        elif isinstance(target, (ArticleList, OptionList)):
            target.action_cursor_up()

    def action_go_top(self) -> None:
        target = self._focus_target()
        if isinstance(target, ArticleView):
            target.scroll_home(animate=False)
        elif isinstance(target, (ArticleList, OptionList)):
            target.action_first()

    def action_go_bottom(self) -> None:
        target = self._focus_target()
        if isinstance(target, ArticleView):
            target.scroll_end(animate=False)
        elif isinstance(target, (ArticleList, OptionList)):
            target.action_last()

    def _cycle(self, step: int) -> None:
        focused = self.focused
        current = focused.id if focused is not None else None
        if current == "search":
            current = "source-list"
        index = FOCUS_ORDER.index(current) if current in FOCUS_ORDER else -1
        self.focus_widget(FOCUS_ORDER[(index + step) % len(FOCUS_ORDER)])

    def action_next_pane(self) -> None:
        self._cycle(1)

    def action_previous_pane(self) -> None:
        self._cycle(-1)

    def action_show_pane(self, pane_id: str) -> None:
        if pane_id in FIRST_IN_PANE:
            self.focus_widget(FIRST_IN_PANE[pane_id])

    def action_show_sources_pane(self) -> None:
        self.action_show_pane("sources-pane")

    def action_show_facts_pane(self) -> None:
        self.action_show_pane("facts-pane")

    def action_show_article_pane(self) -> None:
        self.action_show_pane("article-pane")

    def action_open(self) -> None:
        target = self._focus_target()
        if isinstance(target, (ArticleList, OptionList)):
            target.action_select()

    def action_page_article(self) -> None:
        view = self.query_one(ArticleView)
        if self.narrow and self.active_pane != "article-pane":
            self.focus_widget("article-view")
            return
        view.scroll_page_down(animate=False)

    def _step_source(self, step: int) -> None:
        source_list = self.query_one(SourceList)
        target = step_source(source_list.source_keys, self.source_key, step)
        if target is None:
            self.notify("No more sources that way.", timeout=2)
            return
        source_list.highlight_id(target)
        self._choose_source(target)

    def action_next_source(self) -> None:
        self._step_source(1)

    def action_previous_source(self) -> None:
        self._step_source(-1)

    def action_widen_pane(self) -> None:
        self._resize(1)

    def action_narrow_pane(self) -> None:
        self._resize(-1)

    def _resize(self, step: int) -> None:
        width, height = self.app.size
        sized = resize(width, self._pane_rows(height), self.active_pane, step, self._sizes())
        if sized is None:
            self.notify("One pane at a time: nothing to resize at this width.", timeout=3)
            return
        self.prefs.sources_width, self.prefs.facts_size = sized
        self._apply_layout(width, height)
        self.post_message(PrefsChanged())

    # ------------------------------------------------------------------ reading

    def _step_unread(self, step: int) -> None:
        """n and p: the next (previous) unread article of the list, then newsboat's way on.

        A source's list goes on to the next source with unread articles, and past the
        last source round from the first (All sources, which holds every one, goes
        round itself). A list narrowed to a fact, an event or a search is one the user
        asked for: n goes round it and never leaves it, and at its end says so and how
        to leave it (esc), and how many unread articles wait outside.
        """
        article_list = self.query_one(ArticleList)
        rows = article_list.articles
        start = article_list.cursor
        if self.shown_article_id is not None:
            shown = article_list.index_of(self.shown_article_id)
            start = shown if shown is not None else start
        current = rows[start] if 0 <= start < len(rows) else None
        # A previewed article (the cursor moved onto it) is not a read one: n opens it.
        include = step > 0 and current is not None and not current.read
        read = [a.read for a in rows]
        row = unread_row(read, start, step, include_start=include)
        if row is not None:
            self._open_unread_row(row)
            return
        if self.scope.kind == "source" and self.source_key != ALL_SOURCES:
            if not self._unread_in_another_source(step):
                self.notify("No more unread articles.", timeout=3)
            return
        around = unread_row_around(read, start, step, include_start=include)
        if around is not None:
            self._open_unread_row(around[0])
            if around[0] != start:
                here = " in this list" if self.scope.kind != "source" else ""
                self.show_message(f"{_wrapped_to(step)}{here}", "information", 2)
            return
        self._no_more_unread_here()

    def _open_unread_row(self, row: int) -> None:
        article_list = self.query_one(ArticleList)
        article_list.move_cursor(row, announce=False)
        self.open_article(article_list.articles[row].id, focus=False)

    def _no_more_unread_here(self) -> None:
        """The end of n or p in a list they do not leave: what is left, and where."""
        data = self.data
        if self.scope.kind == "source" or data is None:
            self.notify("No more unread articles.", timeout=3)
            return
        if data.unread_on_topic() == 0:
            self.notify("No more unread articles.", timeout=3)
            return
        source = self._source_scope(self.source_key)
        outside = data.unread_count(source)
        # With none left in that source, its n goes on to the sources that have some.
        count = f" ({outside} unread)" if outside else ""
        self.show_message(
            f"No more unread in this list. esc: back to {clean_line(source.label)}{count}",
            "information",
            4,
        )

    def _unread_in_another_source(self, step: int) -> bool:
        """After the last unread article of a source (a feed, Starred, one of your
        feeds still empty), on to the next feed with some, or the previous one; past the
        end of the list, round from its other end, back to this source's own."""
        data = self.data
        if data is None:
            return False
        source_list = self.query_one(SourceList)
        unread = {FEED_PREFIX + name: count for name, count in data.source_unread().items()}
        # Only feeds count unread articles: Starred and your own feeds are stepped over.
        target = source_with_unread(source_list.source_keys, self.source_key, unread, step)
        if target is None:
            return False
        rows = self._listed(data.articles_in(self._source_scope(target.key)))
        start = 0 if step > 0 else len(rows) - 1
        row = unread_row([a.read for a in rows], start, step, include_start=True)
        if row is None:
            return False
        if target.key == self.source_key:  # round to this source's own, before the cursor
            self._open_unread_row(row)
            self.show_message(_wrapped_to(step), "information", 2)
            return True
        # The list opens on that article: no highlight of its first row to come after.
        source_list.highlight_id(target.key)
        self._choose_source(target.key, select_id=rows[row].id)
        self.open_article(rows[row].id, focus=False)
        name = clean_line(target.key.removeprefix(FEED_PREFIX))
        if target.wrapped:
            self.show_message(f"{_wrapped_to(step)}, in {name}", "information", 3)
        else:
            which = "Next" if step > 0 else "Previous"
            self.show_message(f"{which} unread in {name}", "information", 2)
        return True

    def action_next_unread(self) -> None:
        self._step_unread(1)

    def action_previous_unread(self) -> None:
        self._step_unread(-1)

    def action_toggle_read(self) -> None:
        article = self.current_article()
        if article is not None:
            self._set_read([article.id], not article.read)

    def action_toggle_star(self) -> None:
        article = self.current_article()
        data = self.data
        if article is None or data is None:
            return
        starred = not article.starred
        self.post_message(FlagsChanged([article.id], starred=starred))
        self._flags_changed(data.set_flags([article.id], starred=starred))

    def action_mark_all_read(self) -> None:
        ids = [a.id for a in self.query_one(ArticleList).articles if not a.read]
        if not ids:
            self.notify("Every article here is already read.", timeout=3)
            return
        self._set_read(ids, True)
        self.notify(f"Marked {plural(len(ids), 'article')} read.", timeout=3)

    def action_mark_everything_read(self) -> None:
        data = self.data
        ids = [a.id for a in data.on_topic if not a.read] if data is not None else []
        if not ids:
            self.notify("Every article is already read.", timeout=3)
            return
        self._set_read(ids, True)
        self.notify(f"Marked {plural(len(ids), 'article')} read, in every source.", timeout=3)

    def action_toggle_unread_only(self) -> None:
        self.prefs.unread_only = not self.prefs.unread_only
        self._show_sources()
        self._show_articles(select_id=self.shown_article_id)
        self.post_message(PrefsChanged())
        shown = "only unread articles" if self.prefs.unread_only else "read articles too"
        self.show_message(f"Showing {shown} (l switches back)", "information", 3)

    def action_choose_tag(self) -> None:
        from briefing.ui.screens.pickers import TagScreen

        data = self.data
        tags = tags_of(data.sources) if data is not None else {}
        self.app.push_screen(TagScreen(tags, self.prefs.tag), self._use_tag)

    def action_clear_tag(self) -> None:
        self._use_tag("")

    def _use_tag(self, tag: str | None) -> None:
        if tag is None:
            return
        self.prefs.tag = tag or None
        if self.source_key.startswith(FEED_PREFIX) and self.data is not None:
            chosen = tag_filter(self.data.sources, self.prefs.tag)
            if chosen is not None and self.source_key.removeprefix(FEED_PREFIX) not in chosen.feeds:
                self.source_key = ALL_SOURCES
        self._show_sources()
        self.set_scope(self._source_scope(self.source_key))
        self.post_message(PrefsChanged())

    def action_toggle_differing(self) -> None:
        if self.timeline:
            # From the timeline, d asks for the differing facts: show them at once.
            self.timeline = False
            self.differing_only = True
        else:
            self.differing_only = not self.differing_only
        self._show_facts()

    def action_toggle_timeline(self) -> None:
        self.timeline = not self.timeline
        self._show_facts()

    def _link_of(self, article: Article | None) -> str | None:
        if article is None or not article.link:
            self.notify("This article has no link.", severity="warning", timeout=3)
            return None
        return article.link

    def action_open_link(self) -> None:
        link = self._link_of(self.current_article())
        if link is not None:
            self.post_message(LinkRequested(link))

    def action_open_link_and_read(self) -> None:
        article = self.current_article()
        link = self._link_of(article)
        if link is not None and article is not None:
            # Read once a browser has it: "Link not opened" leaves the article unread.
            self.post_message(LinkRequested(link, read_id=article.id))

    def mark_read(self, article_id: str) -> None:
        """Mark an article read (its link opened in the browser, for O)."""
        self._set_read([article_id], True)

    def action_copy_link(self) -> None:
        link = self._link_of(self.current_article())
        if link is not None:
            self.post_message(LinkRequested(link, copy=True))

    def action_show_links(self) -> None:
        from briefing.ui.screens.pickers import LinksScreen

        article = self.current_article()
        if article is None:
            self.notify("No article on show.", timeout=3)
            return
        links = self.document_for(article).links(article.link)
        self.app.push_screen(LinksScreen(links), self._open_chosen_link)

    def _open_chosen_link(self, chosen: tuple[str, bool] | None) -> None:
        if chosen is None:
            return
        link, mark_read = chosen
        article = self.current_article()
        read_id = article.id if mark_read and article is not None else None
        self.post_message(LinkRequested(link, read_id=read_id))

    def _selected_feeds(self) -> tuple[str, ...] | None:
        """The feeds r fetches: the selected source's, or every feed."""
        key = self.source_key
        if key.startswith(FEED_PREFIX):
            return (key.removeprefix(FEED_PREFIX),)
        if key == ALL_SOURCES and self.data is not None:
            chosen = tag_filter(self.data.sources, self.prefs.tag)
            if chosen is not None:
                return tuple(sorted(chosen.feeds))
        return None

    def action_refresh(self) -> None:
        self.post_message(RefreshRequested(self._selected_feeds()))

    def action_refresh_all(self) -> None:
        self.post_message(RefreshRequested(None))

    def action_reload_config(self) -> None:
        self.post_message(ConfigReloadRequested())

    def action_export(self) -> None:
        self.post_message(ExportRequested())

    def action_command_palette(self) -> None:
        self.app.action_command_palette()

    def action_help(self) -> None:
        from briefing.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.keymap, self.config_path))
