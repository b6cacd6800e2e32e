"""The main screen: three panes, and the go-between for their messages.

Widgets only report what the user did (a source highlighted, an article
opened, a quote chosen); this screen decides what the other panes show.
The app owns the service and the workers; the screen asks it for data work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

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
from briefing.core.textclean import article_plain_text, clean_line
from briefing.ui.commands import bindings
from briefing.ui.document import ArticleDocument, build_document
from briefing.ui.view import ALL_SOURCES, ListScope, ReaderData
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
)

if TYPE_CHECKING:
    from briefing.ui.app import BriefingApp

NARROW_BELOW = 110
"""Below this many columns one pane shows at a time."""

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
    "sources-pane": "article-list",
    "facts-pane": "fact-list",
    "article-pane": "article-view",
}
DocumentKey = tuple[str, str, int, str]


def document_key(article: Article) -> DocumentKey:
    """What an article's document is built from; a reload that changes it redraws the pane."""
    return (article.id, article.title, len(article.body_html), article.full_text_status)


SEARCH_DELAY = 0.15
PREFETCH_DELAY = 0.15
"""Seconds on one article before its neighbours are prepared: none while j is held down."""
PREFETCH_BLOCKS = 16


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
        self.shown_article_id: str | None = None
        self.shown_key: DocumentKey | None = None
        self.active_pane = "sources-pane"
        self._documents: LRUCache[DocumentKey, ArticleDocument] = LRUCache(16)
        self._search_timer: Timer | None = None
        self._prefetch_timer: Timer | None = None

    @property
    def reader(self) -> BriefingApp:
        return self.app  # type: ignore[return-value]

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield NoticeLine(id="notice")
        yield RefreshBar()
        yield PaneBar()
        with Horizontal(id="panes"):
            with Vertical(id="sources-pane", classes="pane -active"):
                yield Label("Sources", classes="pane-title")
                yield SourceList(id="source-list")
                yield Label("Articles", id="articles-title", classes="pane-title")
                yield Input(placeholder="Search titles and bodies…", id="search")
                yield ArticleList(id="article-list", empty_text="Loading the cache…")
            with Vertical(id="facts-pane", classes="pane"):
                yield Label("Key facts", id="facts-title", classes="pane-title")
                yield FactList(id="fact-list")
                yield FactDetail(id="fact-detail")
                yield Coverage(id="coverage")
            with Vertical(id="article-pane", classes="pane"):
                yield ArticleView(id="article-view")
                yield Label("", id="figure-legend")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(ArticleView).show_message("Loading the cache…")
        self.query_one(FactDetail).show_fact(None, {})
        self.query_one("#figure-legend", Label).update(self.query_one(ArticleView).legend())
        self.query_one(ArticleList).focus()
        self._apply_width(self.app.size.width)
        self.show_status("")
        self.reader.start()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        narrow = width < NARROW_BELOW
        self.set_class(narrow, "-narrow")
        self.query_one(PaneBar).show_active(self.active_pane)

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    def _activate_pane(self, pane_id: str) -> None:
        if pane_id == self.active_pane:
            return
        self.active_pane = pane_id
        for pane in self.query(".pane"):
            pane.set_class(pane.id == pane_id, "-active")
        self.query_one(PaneBar).show_active(pane_id)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        pane = PANE_OF.get(event.widget.id or "")
        if pane is not None:
            self._activate_pane(pane)

    def focus_widget(self, widget_id: str) -> None:
        """Focus a widget, first showing its pane in the one-pane layout."""
        self._activate_pane(PANE_OF[widget_id])
        self.query_one(f"#{widget_id}", Widget).focus(scroll_visible=False)

    # ------------------------------------------------------------------ data

    def show_status(self, counts: str | None = None) -> None:
        origin, origin_class = self.reader.origin_text()
        data = self.data
        if counts is None:
            if data is None:
                counts = ""
            else:
                on_topic = data.on_topic
                unread = sum(1 for a in on_topic if not a.read)
                counts = f"{len(on_topic)} articles · {unread} unread"
        topic = self.reader.service.config.topic.name
        self.query_one(StatusHeader).show(topic, counts, origin, origin_class)

    def show_notice(self, text: str) -> None:
        """A standing line under the header ('' hides it)."""
        self.query_one(NoticeLine).show(text)

    def show_waiting(self, message: str) -> None:
        self.query_one(ArticleView).show_message(message)
        self.query_one(ArticleList).empty_text = message
        self.query_one(ArticleList).refresh()
        self.show_status()

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
            self.scope = ListScope.source(self.source_key)
        elif self.scope.kind == "fact":
            fact = data.fact(self.scope.key)
            self.scope = self._fact_scope(fact) if fact else ListScope.source(self.source_key)
        self.query_one(ArticleList).empty_text = "No articles here."
        self._show_sources()
        self._show_facts()
        series, first, last = data.articles_per_day()
        self.query_one(Coverage).show(series, first, last)
        self._show_articles(select_id=restore_article or self.shown_article_id)
        self._renew_shown_article()
        self.show_status()

    def apply_briefing(self, new_fact_ids: set[str]) -> None:
        self.new_fact_ids = new_fact_ids
        data = self.data
        if data is not None and self.scope.kind == "fact":
            fact = data.fact(self.scope.key)
            if fact is None:
                self.scope = ListScope.source(self.source_key)
            self._show_articles()
        self._show_facts()

    def _show_sources(self) -> None:
        data = self.data
        if data is None:
            return
        source_list = self.query_one(SourceList)
        on_topic = data.on_topic
        source_list.show_sources(
            data.sources,
            data.source_unread(),
            on_topic=len(on_topic),
            starred=sum(1 for a in data.articles if a.starred),
            selected=self.source_key,
        )
        if source_list.highlighted_id != self.source_key:
            self.source_key = source_list.highlighted_id or ALL_SOURCES
            if self.scope.kind == "source":
                self.scope = ListScope.source(self.source_key)

    def _show_facts(self) -> None:
        data = self.data
        if data is None:
            return
        fact_list = self.query_one(FactList)
        title = self.query_one("#facts-title", Label)
        if self.timeline:
            events_ = data.timeline()
            title.update(Text(f"Timeline ({len(events_)})"))
            fact_list.show_timeline(events_, empty="No dated events yet.")
        else:
            facts = data.facts(differing_only=self.differing_only)
            which = "Key facts where sources differ" if self.differing_only else "Key facts"
            pending = data.briefing is None and bool(data.on_topic)
            title.update(
                Text(f"{which} (working them out…)" if pending else f"{which} ({len(facts)})")
            )
            if pending:
                empty = "Working out the key facts…"
            elif self.differing_only:
                empty = "No facts where sources differ."
            else:
                empty = "No key facts yet."
            fact_list.show_facts(facts, self.new_fact_ids, empty=empty)
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
                detail.show_event(events_[number], self._article_map(events_[number].articles))
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
            article = data.article(article_id)
            if article is not None:
                found[article_id] = article
        return found

    def _show_articles(self, select_id: str | None = None) -> None:
        data = self.data
        if data is None:
            return
        articles = data.articles_in(self.scope)
        article_list = self.query_one(ArticleList)
        self.query_one("#articles-title", Label).update(Text(self._list_heading(articles)))
        show_source = not (self.scope.kind == "source" and self.scope.key.startswith("feed:"))
        article_list.set_articles(articles, select_id=select_id, show_source=show_source)
        current = article_list.current
        if current is None:
            self.shown_article_id = None
            self.query_one(ArticleView).show_message("No articles here.")
        elif current.id != self.shown_article_id:
            self.show_article(current.id)

    def set_scope(self, scope: ListScope) -> None:
        self.scope = scope
        self._show_articles()

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
        self.reader.remember(article=article_id)
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
            if 0 <= row < len(rows):
                document = self.document_for(rows[row])
                for block in document.blocks[:PREFETCH_BLOCKS]:
                    document.figures_of(block)

    def open_article(
        self, article_id: str, sentence: tuple[int, int] | None = None, *, focus: bool = True
    ) -> None:
        """Show an article and mark it read: Enter, a click, n/N, a quote."""
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
        ids = [i for i in ids if (a := data.article(i)) is not None and a.read != read]
        if not ids:
            return
        self.reader.service.set_read(ids, read)
        self._flags_changed(data.set_flags(ids, read=read))

    def _flags_changed(self, changed: list[Article]) -> None:
        self.query_one(ArticleList).update_articles(changed)
        self._show_sources()
        self.show_status()
        if self.data is not None:
            articles = self.data.articles_in(self.scope)
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
        key = event.option.id or ALL_SOURCES
        if key == self.source_key and self.scope.kind == "source":
            return
        self.source_key = key
        self.reader.remember(source=key)
        self.set_scope(ListScope.source(key))

    @on(OptionList.OptionSelected, "#source-list")
    def source_selected(self, event: OptionList.OptionSelected) -> None:
        self.source_highlighted(event)  # type: ignore[arg-type]
        self.focus_widget("article-list")

    @on(ArticleList.Highlighted)
    def article_highlighted(self, event: ArticleList.Highlighted) -> None:
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
        query = event.value
        self._search_timer = self.set_timer(SEARCH_DELAY, lambda: self._run_search(query))

    def _run_search(self, query: str) -> None:
        if not query.strip():
            self.set_scope(ListScope.source(self.source_key))
            return
        self.reader.search_articles(query)

    @on(Input.Submitted, "#search")
    def search_submitted(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        if event.value.strip():
            self.reader.search_articles(event.value)
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

    # ------------------------------------------------------------------ actions

    def action_back(self) -> None:
        searching = self.query_one("#search", Input).display
        self._close_search()
        if self.scope.kind != "source":
            self.set_scope(ListScope.source(self.source_key))
            self.focus_widget("article-list")
        elif searching:
            self.focus_widget("article-list")

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

    def _step_unread(self, step: int) -> None:
        article_list = self.query_one(ArticleList)
        rows = article_list.articles
        start = article_list.cursor
        if self.shown_article_id is not None and (
            article_list.current is None or article_list.current.id != self.shown_article_id
        ):
            start = article_list.index_of(self.shown_article_id) or start
        row = start + step
        while 0 <= row < len(rows):
            if not rows[row].read:
                article_list.move_cursor(row, announce=False)
                self.open_article(rows[row].id, focus=False)
                return
            row += step
        self.notify("No more unread articles in this list.", timeout=3)

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
        self.reader.service.set_starred([article.id], not article.starred)
        self._flags_changed(data.set_flags([article.id], starred=not article.starred))

    def action_mark_all_read(self) -> None:
        ids = [a.id for a in self.query_one(ArticleList).articles if not a.read]
        if not ids:
            self.notify("Every article here is already read.", timeout=3)
            return
        self._set_read(ids, True)
        self.notify(f"Marked {len(ids)} articles read.", timeout=3)

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

    def action_open_link(self) -> None:
        self.reader.open_article_link(self.current_article())

    def action_copy_link(self) -> None:
        self.reader.copy_article_link(self.current_article())

    def action_refresh(self) -> None:
        self.reader.start_refresh()

    def action_export(self) -> None:
        self.reader.export_briefing()

    def action_help(self) -> None:
        from briefing.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        self.app.exit()
