"""The header line, the refresh progress row, the pane switcher and the coverage chart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.cells import cell_len, chop_cells
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.geometry import Size
from textual.timer import Timer
from textual.visual import VisualType
from textual.widget import Widget
from textual.widgets import Label, ProgressBar, Sparkline, Static

from briefing.core.textclean import clean_line
from briefing.ui.keymap import Command, Keymap


class StatusHeader(Horizontal):
    """Topic, article counts and where the data comes from; the refresh's progress
    shows in the same row, in the topic's place, so nothing below ever moves."""

    DEFAULT_CSS = """
    StatusHeader {
        height: 1;
        background: $panel;
        color: $text;
        & > Label { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
        & > #header-topic { width: 1fr; text-style: bold; }
        & > #header-counts { color: $text-muted; }
        & > #header-origin { background: $primary-muted; color: $text; }
        & > #header-origin.-sample { background: $warning; color: $background; text-style: bold; }
        & > #header-origin.-offline { background: $error-muted; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Label("briefing", id="header-topic")
        yield RefreshBar()
        yield Label("", id="header-counts")
        yield Label("loading…", id="header-origin")

    def show(self, topic: str, counts: str, origin: str, origin_class: str = "") -> None:
        self.query_one("#header-topic", Label).update(Text(f"briefing · {clean_line(topic)}"))
        self.query_one("#header-counts", Label).update(Text(counts))
        origin_label = self.query_one("#header-origin", Label)
        origin_label.update(Text(origin))
        origin_label.set_class(origin_class == "sample", "-sample")
        origin_label.set_class(origin_class == "offline", "-offline")


NOTICE_LINES = 2


def clamp_lines(text: str, width: int, lines: int = NOTICE_LINES) -> list[str]:
    """``text`` word-wrapped to ``width`` cells in at most ``lines`` lines; when it
    does not fit, the last line ends in '…'."""
    width = max(2, width)
    wrapped: list[str] = []
    current = ""
    for word in text.split():
        pieces = chop_cells(word, width) if cell_len(word) > width else [word]
        for piece in pieces:
            candidate = f"{current} {piece}" if current else piece
            if cell_len(candidate) <= width:
                current = candidate
            else:
                wrapped.append(current)
                current = piece
    if current:
        wrapped.append(current)
    if len(wrapped) <= lines:
        return wrapped
    last = wrapped[lines - 1]
    while last and cell_len(last) + 1 > width:
        last = last[:-1]
    return [*wrapped[: lines - 1], last.rstrip() + "…"]


class NoticeLine(Widget):
    """A sentence that stays until its reason goes: why the SAMPLE is shown, and what to do.

    At most two lines, wrapped here for the width it has, so a cut is always
    marked: the second line then ends in '…'."""

    DEFAULT_CSS = """
    NoticeLine {
        width: 1fr;
        height: auto;
        padding: 0 1;
        display: none;
        background: $warning-muted;
        color: $text;
        &.-shown { display: block; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = ""

    def show(self, text: str) -> None:
        self.text = clean_line(text)
        self.set_class(bool(self.text), "-shown")
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(clamp_lines(self.text, width)) if self.text else 0

    def rows(self, screen_width: int) -> int:
        """Its height on a screen ``screen_width`` cells wide (0 while hidden)."""
        return len(clamp_lines(self.text, screen_width - 2)) if self.text else 0

    def render(self) -> Text:
        return Text("\n".join(clamp_lines(self.text, self.content_region.width)), no_wrap=True)


class RefreshBar(Horizontal):
    """Shown in the header while a refresh runs, in the topic's place."""

    DEFAULT_CSS = """
    RefreshBar {
        width: 1fr;
        height: 1;
        display: none;
        &.-running { display: block; }
        & > Label { padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
        & > #refresh-label { text-style: bold; }
        & > #refresh-count { width: 1fr; }
        & > ProgressBar { width: 22; }
        & > ProgressBar > Bar { width: 20; }
    }
    """

    BAR_CELLS = 20
    """The bar's width when there is room; it shrinks (then goes) before the count is cut."""
    MIN_BAR_CELLS = 4

    def __init__(self) -> None:
        super().__init__()
        self._count_min: tuple[str, ...] = ("",)
        """What of the count must show whole: the longest that leaves room for a bar first."""
        self._count_cut = False
        self._count_texts: tuple[Text, ...] = ()

    def compose(self) -> ComposeResult:
        yield Label("Refreshing", id="refresh-label")
        # A total from the start: an indeterminate bar animates (and costs CPU) even hidden.
        yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="refresh-progress")
        yield Label("", id="refresh-count")

    def _topic(self, shown: bool) -> None:
        if self.parent is not None:
            for topic in self.parent.query("#header-topic"):
                topic.display = shown

    def start(self, total: int) -> None:
        self.add_class("-running")
        self._topic(False)
        self.query_one(ProgressBar).update(total=max(1, total), progress=0)
        self.query_one("#refresh-count", Label).update(f"0/{plural(total, 'feed')}")
        self._keep_whole(f"0/{plural(total, 'feed')}", f"0/{total}", whole=True)

    def start_pages(self) -> None:
        """The feeds are in; the page step's count comes with its first page."""
        self.query_one(ProgressBar).update(total=1, progress=0)
        self.query_one("#refresh-count", Label).update("fetching article pages…")
        self._keep_whole("fetching article pages…", "pages…", whole=True)

    def advance(
        self, done: int, total: int, name: str, *, unit: str = "feeds", failed: int = 0
    ) -> None:
        self.query_one(ProgressBar).update(total=max(1, total), progress=done)
        # The failures come before the feed's name, and a shorter count keeps them:
        # a cut takes the name, then the unit, never the number that failed.
        failures = f" · {failed} failed" if failed else ""
        text = Text(f"{done}/{total} {unit}")
        text.append(failures, style="bold red")
        text.append(f" · {clean_line(name)}")
        short = Text(f"{done}/{total}")
        short.append(failures, style="bold red")
        self.query_one("#refresh-count", Label).update(text)
        self._keep_whole(f"{done}/{total} {unit}{failures}", f"{done}/{total}{failures}",
                         texts=(text, short, short))  # fmt: skip

    def _keep_whole(self, *counts: str, whole: bool = False, texts: tuple[Text, ...] = ()) -> None:
        """``whole``: the first of ``counts`` is the label's whole text; else more follows
        it, and a cut after it takes a cell for its ellipsis. ``texts``: what the label
        shows when each of ``counts`` is the one kept whole."""
        self._count_min = counts
        self._count_cut = not whole
        self._count_texts = texts
        self._fit()

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """Give the count the cells it needs whole ("2/14 feeds", else "2/14"), and the
        bar what is left, up to ``BAR_CELLS``: at 80 columns the count was cut to "2/…"."""
        room = self.size.width
        if room <= 0:
            return
        label = cell_len("Refreshing") + 2  # with its padding
        bar = 0
        chosen = len(self._count_min) - 1
        for index, count in enumerate(self._count_min):
            cut = self._count_cut or count != self._count_min[0]
            bar = min(self.BAR_CELLS, room - label - (cell_len(count) + 2 + cut) - 2)
            if bar >= self.MIN_BAR_CELLS:
                chosen = index
                break
        if chosen < len(self._count_texts):
            self.query_one("#refresh-count", Label).update(self._count_texts[chosen])
        # Where even the shortest count is cut, "Refreshing" gives way: the bar's place
        # and the count say it ("120/1400 · 3 failed" rather than "120/1400 · 3 …").
        shortest = self._count_min[-1]
        tight = room - label < cell_len(shortest) + 2 + (
            self._count_cut or len(self._count_min) > 1
        )
        self.query_one("#refresh-label", Label).display = not tight
        progress = self.query_one(ProgressBar)
        progress.display = bar >= self.MIN_BAR_CELLS
        if progress.display:
            progress.styles.width = bar + 2
            progress.query_one("Bar").styles.width = bar

    def stop(self) -> None:
        self.remove_class("-running")
        self._topic(True)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


PANE_TITLES = (
    ("sources-pane", "Sources"),
    ("facts-pane", "Key facts"),
    ("article-pane", "Article"),
)


class PaneBar(Static):
    """In the one-pane layout: which pane is showing; click a name to switch."""

    DEFAULT_CSS = """
    PaneBar {
        height: 1;
        display: none;
        background: $panel;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def show_active(self, active: str) -> None:
        content = Content("")
        for number, (pane_id, title) in enumerate(PANE_TITLES, 1):
            label = f" {number} {title} "
            if pane_id == active:
                piece = Content.styled(label, "bold reverse")
            else:
                # Our own constant names only: no feed text goes through markup.
                piece = Content.from_markup(f"[@click=screen.show_pane('{pane_id}')]{label}[/]")
            content = content + piece + Content(" ")
        content = content + Content.styled("  tab: next pane", "dim")
        self.update(content)


class Coverage(Vertical):
    """Articles per day, as a sparkline."""

    DEFAULT_CSS = """
    Coverage {
        height: 3;
        padding: 0 1;
        & > Label { color: $text-muted; width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
        & > Sparkline { height: 2; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Label("Coverage", id="coverage-label")
        yield Sparkline([], id="coverage-sparkline")

    def show(self, series: list[int], first: date | None, last: date | None) -> None:
        label = self.query_one("#coverage-label", Label)
        if not series or first is None or last is None:
            label.update("Coverage: no dated articles")
            self.query_one(Sparkline).data = []
            return
        total = sum(series)
        span = f"{first:%b} {first.day} – {last:%b} {last.day}"
        label.update(Text(f"Articles per day, {span}: {total} (peak {max(series)})"))
        self.query_one(Sparkline).data = [float(n) for n in series]


def footer_fit(widths: Sequence[tuple[int, bool]], room: int) -> list[bool]:
    """Which footer keys show in ``room`` cells: the essential ones (``True``) always,
    then the others in order while they fit beside them."""
    used = sum(width for width, essential in widths if essential)
    shown = []
    for width, essential in widths:
        fits = essential or used + width <= room
        if fits and not essential:
            used += width
        shown.append(fits)
    return shown


class KeyBar(Horizontal):
    """The footer: the main keys from COMMANDS (the user's keys, when feeds.toml sets
    them), each clickable, with its tooltip; and the message line.

    Messages (Textual's notifications) show here for a few seconds, over the
    keys, never over the text. Composed once; ``show_keys`` relabels it. (Textual's
    Footer rebuilds a widget per key whenever focus moves, which cost about 80 ms
    of the reader's start-up.)
    """

    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        & > KeyLabel { width: auto; padding: 0 1 0 0; }
        & > KeyLabel:hover { background: $footer-key-foreground 30%; }
        & > KeyLabel.-no-room { display: none; }
        & > #palette-key { dock: right; }
        & > MessageLine {
            display: none;
            dock: left;
            width: 1fr;
            height: 1;
            padding: 0 1;
            text-wrap: nowrap;
            text-overflow: ellipsis;
            background: $primary-muted;
            color: $text;
        }
        & > MessageLine.-warning { background: $warning-muted; }
        & > MessageLine.-error { background: $error-muted; text-style: bold; }
        &.-message > MessageLine { display: block; }
        &.-message > KeyLabel { display: none; }
    }
    """

    def __init__(self, keymap: Keymap | None = None) -> None:
        super().__init__()
        self.keymap = keymap or Keymap()
        self._message_timer: Timer | None = None
        self._message_severity: str | None = None
        """The severity of the message on show; None when the keys show."""
        self._message_topic: str | None = None
        """What the message on show is about, if an error on it may be resolved."""

    def compose(self) -> ComposeResult:
        from briefing.ui.keymap import COMMANDS

        for command in COMMANDS:
            if command.footer:
                label = KeyLabel(
                    self._label(command),
                    action=f"screen.{command.action}",
                    tooltip=command.help,
                    id=f"key-{command.id}",
                )
                yield label
        yield MessageLine()
        yield KeyLabel(
            Content.assemble((" ^p", f"bold {self._colour()}"), " palette"),
            action="app.command_palette",
            tooltip="Every command by name.",
            id="palette-key",
        )

    def _colour(self) -> str:
        return self.app.theme_variables.get("footer-key-foreground", "yellow")

    def _label(self, command: Command) -> Content:
        return Content.assemble(
            (f" {self.keymap.first_label(command)}", f"bold {self._colour()}"),
            f" {command.description}",
        )

    def show_keys(self, keymap: Keymap) -> None:
        from briefing.ui.keymap import COMMANDS

        self.keymap = keymap
        for command in COMMANDS:
            if command.footer:
                self.query_one(f"#key-{command.id}", KeyLabel).update(self._label(command))
        self._fit_keys()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_keys()

    def _fit_keys(self) -> None:
        """As many keys as fit, ? and q always: a key cut off, or pushed under the
        palette's, is no key at all."""
        from briefing.ui.keymap import COMMANDS

        labels = [
            (self.query_one(f"#key-{c.id}", KeyLabel), c.narrow_footer)
            for c in COMMANDS
            if c.footer
        ]
        palette = self.query_one("#palette-key", KeyLabel)
        widths = [(label.cell_width, essential) for label, essential in labels]
        room = self.size.width - palette.cell_width
        for (label, _), shown in zip(labels, footer_fit(widths, room), strict=True):
            label.set_class(not shown, "-no-room")

    def show_message(
        self, text: str, severity: str, timeout: float, *, topic: str | None = None
    ) -> None:
        """Show a message for ``timeout`` seconds; an error on show is not replaced by a
        lesser message (a refresh summary right after a refused feeds.toml, say): it
        stays its full time, and the lesser one is kept in the notifications only.

        A lesser message on the error's own ``topic`` does replace it: it says the
        error is resolved (feeds.toml, fixed, was read again)."""
        if (
            self._message_severity == "error"
            and severity != "error"
            and (topic is None or topic != self._message_topic)
        ):
            return
        self._message_severity = severity
        self._message_topic = topic
        line = self.query_one(MessageLine)
        line.update(Text(clean_line(text)))
        line.set_class(severity == "warning", "-warning")
        line.set_class(severity == "error", "-error")
        self.add_class("-message")
        if self._message_timer is not None:
            self._message_timer.stop()
        self._message_timer = self.set_timer(timeout, self.clear_message)

    def clear_message(self) -> None:
        self._message_severity = None
        self._message_topic = None
        self.remove_class("-message")


class MessageLine(Label):
    """The latest message (or the error still on show), in the footer's place."""


class KeyLabel(Static):
    def __init__(
        self, content: Content, *, action: str, tooltip: str, id: str | None = None
    ) -> None:
        super().__init__(content, id=id)
        self.action = action
        self.tooltip = tooltip
        self.cell_width = content.cell_length + 1
        """Its cells in the footer, with the padding after it."""

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        if isinstance(content, Content):
            self.cell_width = content.cell_length + 1
        super().update(content, layout=layout)

    async def on_click(self) -> None:
        await self.run_action(self.action)
