"""The short lists: sources, key facts (or the timeline) and one fact's quotes.

Every prompt is a ``rich.text.Text`` built from plain strings, so a feed name,
a title or a quote is shown as written and never read as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.cells import cell_len, chop_cells
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from briefing.core.models import Article, KeyFact, TimelineEvent
from briefing.core.service import SourceSummary
from briefing.core.textclean import clean_line
from briefing.ui.view import ALL_SOURCES, STARRED, USER_FEED_PREFIX, feed_key

HEALTH_MARKS = {
    # Not ● or ○: the article list uses ● for "unread".
    "ok": ("✓", "green"),
    "stale": ("◷", "yellow"),
    "error": ("✖", "red"),
    "new": ("·", "bright_black"),
}
HEALTH_LEGEND = "✓ ◷ ✖ ·"
STATUS_MARKS = {
    # One line per status the facts engine gives; an unknown one shows as "single".
    "agreed": ("✔", "green", "agreed"),
    "differs": ("≠", "yellow", "differs"),
    "revised": ("↻", "cyan", "revised"),
    "single": ("·", "bright_black", "single source"),
}


def values_line(texts: Sequence[str], width: int) -> str:
    """A fact's values joined with ' | ', as many as fit in ``width`` cells, then
    '+N more' for the rest; a lone value too long is cut with an ellipsis."""
    texts = [clean_line(text) for text in texts]
    if not texts:
        return ""
    shown: list[str] = []
    for number, text in enumerate(texts):
        rest = len(texts) - number - 1
        more = f" +{rest} more" if rest else ""
        if cell_len(" | ".join([*shown, text]) + more) <= width:
            shown.append(text)
            continue
        break
    hidden = len(texts) - max(1, len(shown))
    more = f" +{hidden} more" if hidden else ""
    if not shown:
        first = Text(texts[0])
        first.truncate(max(1, width - cell_len(more)), overflow="ellipsis")
        return first.plain + more
    return " | ".join(shown) + more


MAX_REASON = 70


def shorten(text: str, limit: int) -> str:
    text = clean_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cut_path(path: str, width: int) -> str:
    """A path in at most ``width`` cells, cut in the middle so its file name stays:
    "/tmp/a…/feeds.toml". A name too long itself keeps its end ("…ds.toml")."""
    path = clean_line(path)
    if cell_len(path) <= width:
        return path
    head, slash, name = path.rpartition("/")
    tail = slash + name
    room = width - cell_len(tail) - 1
    if head and room >= 1:
        return chop_cells(head, room)[0] + "…" + tail
    kept = tail
    while kept and cell_len(kept) > width - 1:
        kept = kept[1:]
    return "…" + kept if width >= 1 else ""


YOURS_HEADING = "yours-heading"
"""The option id of the line over the user's own feeds (disabled: never selected)."""


def yours_heading_prompt(path: str, width: int) -> Text:
    """ "Your feeds (path)" in ``width`` cells, the path cut in the middle to fit."""
    label = "Your feeds"
    if not path:
        return Text(label, style="bold", no_wrap=True)
    room = max(1, width - cell_len(label) - 3)
    return Text(f"{label} ({cut_path(path, room)})", style="bold", no_wrap=True)


class ReaderList(OptionList):
    """An OptionList with the reader's extra movement keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    def highlight_id(self, option_id: str) -> bool:
        try:
            index = self.get_option_index(option_id)
        except Exception:
            return False
        self.highlighted = index
        return True

    @property
    def highlighted_id(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None else None


class SourceList(ReaderList):
    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._yours_path = ""
        self._heading_width = 0

    def show_sources(
        self,
        sources: Sequence[SourceSummary],
        unread: Mapping[str, int],
        *,
        on_topic: int,
        starred: int,
        selected: str | None,
        all_label: str = "All sources",
        unread_only: bool = False,
        yours: Sequence[SourceSummary] = (),
        yours_path: str = "",
    ) -> None:
        """The sources; with ``yours``, the user's own feeds follow (the sample stands in
        for them) under the path of their feeds.toml, each with how its last try failed."""
        total_unread = sum(unread.values())
        options = [
            Option(_counted(all_label, total_unread, on_topic), id=ALL_SOURCES),
            Option(_counted("Starred", 0, starred, star=True), id=STARRED),
        ]
        for source in sources:
            key = feed_key(source.name)
            hide = unread_only and not unread.get(source.name) and source.health != "error"
            if hide and key != selected:
                continue
            options.append(Option(source_prompt(source, unread.get(source.name, 0)), id=key))
        if yours:
            self._yours_path = yours_path
            self._heading_width = self._option_width()
            heading = yours_heading_prompt(yours_path, self._heading_width)
            options.append(Option(heading, id=YOURS_HEADING, disabled=True))
            for source in yours:
                prompt = source_prompt(source, 0)
                options.append(Option(prompt, id=USER_FEED_PREFIX + source.name))
        keep = selected or self.highlighted_id or ALL_SOURCES
        with self.prevent(OptionList.OptionHighlighted):
            self.set_options(options)
            if not self.highlight_id(keep):
                self.highlight_id(ALL_SOURCES)

    def _option_width(self) -> int:
        padding = self.get_component_styles("option-list--option").padding
        return self.scrollable_content_region.width - padding.left - padding.right

    def on_resize(self, event: events.Resize) -> None:
        """The heading over your feeds is cut for the list's width: cut again for the new one."""
        width = self._option_width()
        if width == self._heading_width:
            return
        self._heading_width = width
        try:
            self.get_option(YOURS_HEADING)
        except Exception:  # OptionDoesNotExist: no feeds of yours listed
            return
        self.replace_option_prompt(YOURS_HEADING, yours_heading_prompt(self._yours_path, width))

    @property
    def source_keys(self) -> list[str]:
        """The selectable sources, in list order."""
        keys = []
        for index in range(self.option_count):
            option = self.get_option_at_index(index)
            if option.id is not None and not option.disabled:
                keys.append(option.id)
        return keys


def source_prompt(source: SourceSummary, unread: int) -> Text:
    mark, colour = HEALTH_MARKS.get(source.health, HEALTH_MARKS["new"])
    prompt = Text.assemble((mark, colour), " ", no_wrap=True, end="")
    prompt.append_text(_counted(source.name, unread, source.on_topic))
    if source.health == "error" and source.last_error:
        prompt.append(f"\n  {shorten(source.last_error, MAX_REASON)}", style="red")
    elif source.health == "stale":
        prompt.append("\n  stale: no fresh copy in a day", style="yellow")
    elif not source.enabled:
        prompt.append("  (disabled)", style="bright_black")
    return prompt


def _counted(name: str, unread: int, total: int, *, star: bool = False) -> Text:
    text = Text(clean_line(name), no_wrap=True, end="")
    if star:
        text.append(f"  {total}", style="yellow")
    elif unread:
        text.append(f"  {unread}", style="bold")
        text.append(f"/{total}", style="bright_black")
    else:
        text.append(f"  {total}", style="bright_black")
    return text


def fact_prompt(fact: KeyFact, new: bool, width: int, changed: bool = False) -> Text:
    mark, colour, _ = STATUS_MARKS.get(fact.status, STATUS_MARKS["single"])
    prompt = Text.assemble((mark, f"bold {colour}"), " ", end="")
    if new or changed:
        # Before the label: the pane cuts a long label, and the mark with it.
        prompt.append("NEW" if new else "CHANGED", style="bold reverse magenta")
        prompt.append(" ")
    prompt.append(clean_line(fact.label), style="bold")
    sources = len(fact.sources)
    prompt.append(f" · {sources} source{'s' if sources != 1 else ''}", style="bright_black")
    values = values_line([value.text for value in fact.values], max(8, width - 2))
    prompt.append(f"\n  {values}", style=colour if fact.status != "agreed" else "")
    return prompt


class FactList(ReaderList):
    """Ranked key facts, or the timeline of dated events.

    Its scrollbar has room from the start (app.tcss), and the rows are built
    again whenever the list's width changes (a resize, a pane shown in the
    one-pane layout, the user's own pane size): each row is built for a width.
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._facts_shown: tuple[Sequence[KeyFact], set[str], str, set[str]] | None = None
        self._built_width = 0

    def on_resize(self, event: events.Resize) -> None:
        shown = self._facts_shown
        if shown is None or self.scrollable_content_region.width == self._built_width:
            return
        facts, new_ids, empty, changed_ids = shown
        self.show_facts(facts, new_ids, empty=empty, changed_ids=changed_ids)

    def show_facts(
        self,
        facts: Sequence[KeyFact],
        new_ids: set[str],
        *,
        empty: str,
        width: int = 0,
        changed_ids: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> None:
        """Two lines a fact: its label and sources, then every value that fits the
        pane's ``width`` and a count of the rest. New facts, and facts whose status
        or values changed since the last visit, are marked."""
        keep = self.highlighted_id
        self._facts_shown = (facts, new_ids, empty, changed_ids)
        self._built_width = self.scrollable_content_region.width
        width = width or self._built_width or 40
        options: list[Option] = []
        for fact in facts:
            prompt = fact_prompt(fact, fact.id in new_ids, width, fact.id in changed_ids)
            options.append(Option(prompt, id=f"fact:{fact.id}"))
        self._replace(options, keep, empty)

    def show_timeline(
        self,
        events: Sequence[TimelineEvent],
        *,
        empty: str,
        disputes: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """One line an event; an event the sources date differently is marked, as the
        CLI and the export mark it."""
        keep = self.highlighted_id
        self._facts_shown = None
        options = []
        for number, event in enumerate(events):
            prompt = Text.assemble((clean_line(event.date), "bold"), "  ", end="")
            prompt.append(clean_line(event.label))
            dates = (disputes or {}).get(event.label)
            if dates:
                prompt.append(f"  ≠ disputed: {len(dates)} dates", style="bold yellow")
            count = len(event.sources)
            prompt.append(f"  {count} source{'s' if count != 1 else ''}", style="bright_black")
            options.append(Option(prompt, id=f"event:{number}"))
        self._replace(options, keep, empty)

    def _replace(self, options: list[Option], keep: str | None, empty: str) -> None:
        with self.prevent(OptionList.OptionHighlighted):
            self.set_options(options or [Option(Text(empty, style="italic"), disabled=True)])
            if not (keep and self.highlight_id(keep)) and options:
                self.highlighted = 0


class FactDetail(ReaderList):
    """One fact: each value, who states it, and the quotes; a quote opens its sentence.

    A newly shown fact is shown from its top (its heading and note), even though
    its first quote is highlighted for Enter: OptionList would otherwise scroll
    that quote into view and cut the heading off. Once the user moves or clicks
    in the box, it follows the highlighted quote again.
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.targets: dict[str, tuple[str, int, int]] = {}
        self.fact_id: str | None = None
        self.pinned_to_top = True
        """Shown from the top until the user moves the highlight."""

    def scroll_to_highlight(self, top: bool = False) -> None:
        if self.pinned_to_top:
            self.scroll_to(y=0, animate=False, immediate=True)
            return
        super().scroll_to_highlight(top)

    def _highlight_in_view(self) -> bool:
        highlighted = self.highlighted
        if highlighted is None:
            return True
        try:
            first = self._index_to_line[highlighted]
            height = self._heights[highlighted]
        except KeyError:
            return True
        top = round(self.scroll_y)
        return top <= first and first + height <= top + self.scrollable_content_region.height

    def _follow_highlight(self) -> bool:
        """Leave the top; True when this move only brought the highlighted quote into view."""
        if not self.pinned_to_top:
            return False
        self.pinned_to_top = False
        if self._highlight_in_view():
            return False
        self.scroll_to_highlight()
        return True

    def action_cursor_down(self) -> None:
        if not self._follow_highlight():
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if not self._follow_highlight():
            super().action_cursor_up()

    def action_first(self) -> None:
        self.pinned_to_top = False
        super().action_first()

    def action_last(self) -> None:
        self.pinned_to_top = False
        super().action_last()

    def action_page_down(self) -> None:
        self.pinned_to_top = False
        super().action_page_down()  # type: ignore[no-untyped-call]

    def action_page_up(self) -> None:
        self.pinned_to_top = False
        super().action_page_up()  # type: ignore[no-untyped-call]

    async def _on_click(self, event: events.Click) -> None:
        self.pinned_to_top = False
        await super()._on_click(event)

    def action_select(self) -> None:
        self.pinned_to_top = False  # the chosen quote stays in view
        super().action_select()

    def show_fact(self, fact: KeyFact | None, articles: Mapping[str, Article]) -> None:
        self.targets = {}
        self.pinned_to_top = True
        self.fact_id = fact.id if fact else None
        if fact is None:
            self.set_options(
                [
                    Option(
                        Text("Highlight a fact to see who says what.", style="italic"),
                        disabled=True,
                    )
                ]
            )
            return
        _, colour, status = STATUS_MARKS.get(fact.status, STATUS_MARKS["single"])
        heading = Text(end="")
        heading.append(clean_line(fact.label), style="bold")
        heading.append(f"  {status}", style=colour)
        options: list[Option] = [Option(heading, disabled=True)]
        if fact.note:
            # On a line of its own, as written: the engine's note may hold parentheses.
            options.append(Option(Text(clean_line(fact.note), style="italic"), disabled=True))
        if fact.status == "revised" and fact.history:
            options.append(Option(Text("How it was revised:", style="bold"), disabled=True))
            for report in fact.history:
                when = report.first if report.last in ("", report.first) else (
                    f"{report.first} to {report.last}"
                )  # fmt: skip
                line = Text(f"  {clean_line(when) or 'undated'}  ", style="bright_black", end="")
                line.append(clean_line(report.text), style=f"bold {colour}")
                line.append("  " + ", ".join(clean_line(s) for s in report.sources))
                options.append(Option(line, disabled=True))
        for value_number, value in enumerate(fact.values):
            line = Text(end="")
            line.append(clean_line(value.text), style=f"bold {colour}")
            line.append("  " + ", ".join(clean_line(s) for s in value.sources))
            options.append(Option(line, disabled=True))
            for quote_number, quote in enumerate(value.quotes):
                target = value.spans[quote_number] if quote_number < len(value.spans) else None
                article = articles.get(target[0]) if target else None
                prompt = Text(f"  “{shorten(quote, 400)}”", end="")
                if article is not None:
                    prompt.append(f"  — {clean_line(article.source)}", style="bright_black")
                option_id = f"quote:{value_number}:{quote_number}"
                if target is not None:
                    self.targets[option_id] = target
                options.append(Option(prompt, id=option_id, disabled=target is None))
        if fact.why:
            # What made these figures one fact: the words, and the values that linked them.
            options.append(Option(Text("Why one fact:", style="bold"), disabled=True))
            for reason in fact.why[:6]:
                options.append(
                    Option(Text(f"  {shorten(reason, 200)}", style="bright_black"), disabled=True)
                )
        with self.prevent(OptionList.OptionHighlighted):
            self.set_options(options)
            first = next(iter(self.targets), None)
            if first is not None:
                self.highlight_id(first)

    def show_event(
        self,
        event: TimelineEvent,
        articles: Mapping[str, Article],
        fact: KeyFact | None = None,
    ) -> None:
        """The event's articles; opening one goes to the dated sentence (from the key
        fact the event belongs to), highlighted, as a fact's quote does."""
        self.targets = {}
        self.pinned_to_top = True
        self.fact_id = None
        heading = Text(f"{clean_line(event.date)}  {clean_line(event.label)}", style="bold", end="")
        sources = ", ".join(clean_line(s) for s in event.sources)
        options = [
            Option(heading, disabled=True),
            Option(Text(f"  {sources}", style="bright_black"), disabled=True),
        ]
        sentences: dict[str, tuple[str, int, int]] = {}
        if fact is not None:
            for value in fact.values:
                if value.value == event.date:
                    for span in value.spans:
                        sentences.setdefault(span[0], span)
        for article_id in event.articles:
            article = articles.get(article_id)
            if article is None:
                continue
            option_id = f"article:{article_id}"
            self.targets[option_id] = sentences.get(article_id, (article_id, 0, 0))
            prompt = Text(f"  {clean_line(article.title)}", end="")
            prompt.append(f"  — {clean_line(article.source)}", style="bright_black")
            options.append(Option(prompt, id=option_id))
        with self.prevent(OptionList.OptionHighlighted):
            self.set_options(options)
            first = next(iter(self.targets), None)
            if first is not None:
                self.highlight_id(first)
