"""The header line, the refresh progress row, the pane switcher and the coverage chart."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Label, ProgressBar, Sparkline, Static

from briefing.core.textclean import clean_line


class StatusHeader(Horizontal):
    """Topic, article counts and where the data comes from."""

    DEFAULT_CSS = """
    StatusHeader {
        height: 1;
        background: $panel;
        color: $text;
        & > Label { height: 1; padding: 0 1; }
        & > #header-topic { width: 1fr; text-style: bold; }
        & > #header-counts { color: $text-muted; }
        & > #header-origin { background: $primary-muted; color: $text; }
        & > #header-origin.-sample { background: $warning; color: $background; text-style: bold; }
        & > #header-origin.-offline { background: $error-muted; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Label("briefing", id="header-topic")
        yield Label("", id="header-counts")
        yield Label("loading…", id="header-origin")

    def show(self, topic: str, counts: str, origin: str, origin_class: str = "") -> None:
        self.query_one("#header-topic", Label).update(Text(f"briefing · {clean_line(topic)}"))
        self.query_one("#header-counts", Label).update(Text(counts))
        origin_label = self.query_one("#header-origin", Label)
        origin_label.update(Text(origin))
        origin_label.set_class(origin_class == "sample", "-sample")
        origin_label.set_class(origin_class == "offline", "-offline")


class NoticeLine(Label):
    """A sentence that stays until its reason goes: why the SAMPLE is shown, and what to do."""

    DEFAULT_CSS = """
    NoticeLine {
        width: 1fr;
        height: auto;
        max-height: 2;
        padding: 0 1;
        display: none;
        background: $warning-muted;
        color: $text;
        &.-shown { display: block; }
    }
    """

    def show(self, text: str) -> None:
        self.update(Text(clean_line(text)))
        self.set_class(bool(text), "-shown")


class RefreshBar(Horizontal):
    """Shown while a refresh runs."""

    DEFAULT_CSS = """
    RefreshBar {
        height: 1;
        display: none;
        background: $boost;
        &.-running { display: block; }
        & > Label { padding: 0 1; }
        & > ProgressBar { width: 1fr; }
        & > ProgressBar > Bar { width: 1fr; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Label("Refreshing", id="refresh-label")
        # A total from the start: an indeterminate bar animates (and costs CPU) even hidden.
        yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="refresh-progress")
        yield Label("", id="refresh-count")

    def start(self, total: int) -> None:
        self.add_class("-running")
        self.query_one(ProgressBar).update(total=max(1, total), progress=0)
        self.query_one("#refresh-count", Label).update(f"0/{total} feeds")

    def start_pages(self) -> None:
        """The feeds are in; the page step's count comes with its first page."""
        self.query_one(ProgressBar).update(total=1, progress=0)
        self.query_one("#refresh-count", Label).update("fetching article pages…")

    def advance(
        self, done: int, total: int, name: str, *, unit: str = "feeds", failed: int = 0
    ) -> None:
        self.query_one(ProgressBar).update(total=max(1, total), progress=done)
        text = Text(f"{done}/{total} {unit} · {clean_line(name)}")
        if failed:
            text.append(f" · {failed} failed", style="bold red")
        self.query_one("#refresh-count", Label).update(text)

    def stop(self) -> None:
        self.remove_class("-running")


PANE_TITLES = (
    ("sources-pane", "Sources"),
    ("facts-pane", "Key facts"),
    ("article-pane", "Article"),
)


class PaneBar(Static):
    """In the one-pane layout: which pane is showing; click a name to switch."""

    DEFAULT_CSS = """
    PaneBar { height: 1; display: none; background: $panel; color: $text-muted; }
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
        & > Label { color: $text-muted; height: 1; }
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


class KeyBar(Horizontal):
    """The footer: the main keys from COMMANDS, each clickable, with its tooltip.

    Composed once. Textual's Footer rebuilds a widget per key whenever focus
    moves, which cost about 80 ms of the reader's start-up.
    """

    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        & > KeyLabel { width: auto; padding: 0 1 0 0; }
        & > KeyLabel:hover { background: $footer-key-foreground 30%; }
        & > #palette-key { dock: right; }
    }
    """

    def compose(self) -> ComposeResult:
        from briefing.ui.commands import COMMANDS

        colour = self.app.theme_variables.get("footer-key-foreground", "yellow")
        for command in COMMANDS:
            if command.footer:
                label = KeyLabel(
                    Content.assemble(
                        (f" {command.keys_shown}", f"bold {colour}"), f" {command.description}"
                    ),
                    action=f"screen.{command.action}",
                    tooltip=command.help,
                    id=f"key-{command.id}",
                )
                label.set_class(not command.narrow_footer, "-wide-only")
                yield label
        yield KeyLabel(
            Content.assemble((" ^p", f"bold {colour}"), " palette"),
            action="app.command_palette",
            tooltip="Every command by name.",
            id="palette-key",
        )


class KeyLabel(Static):
    def __init__(
        self, content: Content, *, action: str, tooltip: str, id: str | None = None
    ) -> None:
        super().__init__(content, id=id)
        self.action = action
        self.tooltip = tooltip

    async def on_click(self) -> None:
        await self.run_action(self.action)
