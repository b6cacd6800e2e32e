"""The help screen, written from the same COMMANDS tuple as the bindings."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from briefing.ui.keymap import Keymap, command_groups
from briefing.ui.widgets.lists import HEALTH_LEGEND

EXTRA = (
    ("ctrl+p", "Command palette: every key above, by name."),
    ("● ★ … !", "Article marks: unread, starred, full text pending, full text failed."),
    (
        HEALTH_LEGEND,
        "Source marks: fetched fine, stale (no fresh copy in a day), failed, never fetched.",
    ),
    (
        "mouse",
        "Click a source, article, fact or quote; scroll with the wheel; drag the line"
        " between two panes to resize them.",
    ),
)


def help_table(keymap: Keymap | None = None, config_path: str | None = None) -> Table:
    """Every command by group, with the keys in force; long descriptions wrap beside
    their key."""
    keymap = keymap or Keymap()
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold")
    table.add_column()
    groups = [*command_groups(), ("Also", None)]
    for number, (group, commands) in enumerate(groups):
        if number:
            table.add_row("", "")
        table.add_row(Text(group, style="bold yellow"), "")
        if commands is None:
            for key, text in EXTRA:
                table.add_row(f"  {key}", text)
            continue
        for command in commands:
            changed = command.id in keymap.overrides
            keys = Text(f"  {keymap.label(command)}", style="bold cyan" if changed else "bold")
            table.add_row(keys, command.help)
    table.add_row("", "")
    if keymap.overrides:
        table.add_row("", Text("Keys in cyan are set in feeds.toml's [keys].", style="cyan"))
    if config_path:
        table.add_row("", Text(f"Feeds, topic and keys from {config_path}", style="dim"))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,q,question_mark",
            "dismiss_help",
            "Close",
            id="help-close",
            tooltip="Close the help screen.",
        ),
        # The reader's own movement keys, so they scroll the help too.
        Binding("j,down", "scroll_help('down')", "Down", show=False),
        Binding("k,up", "scroll_help('up')", "Up", show=False),
        Binding("space,pagedown", "scroll_help('page_down')", "Page down", show=False),
        Binding("pageup", "scroll_help('page_up')", "Page up", show=False),
        Binding("g,home", "scroll_help('home')", "Top", show=False),
        Binding("G,end", "scroll_help('end')", "Bottom", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > Vertical {
            width: 90;
            max-width: 100%;
            height: auto;
            max-height: 100%;
            border: thick $accent;
            background: $surface;
            padding: 0 1;
        }
        & #help-title { padding-bottom: 1; }
        & VerticalScroll { height: auto; max-height: 1fr; }
    }
    """

    def __init__(self, keymap: Keymap | None = None, config_path: str | None = None) -> None:
        super().__init__()
        self.keymap = keymap
        self.config_path = config_path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content.assemble(
                    ("briefing — keys", "bold"),
                    ("    j k space g G scroll · esc, q or ? closes", "dim"),
                ),
                id="help-title",
            )
            with VerticalScroll():
                yield Static(help_table(self.keymap, self.config_path), id="help-body")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)

    def action_scroll_help(self, where: str) -> None:
        scroll = self.query_one(VerticalScroll)
        moves = {
            "down": scroll.scroll_down,
            "up": scroll.scroll_up,
            "page_down": scroll.scroll_page_down,
            "page_up": scroll.scroll_page_up,
            "home": scroll.scroll_home,
            "end": scroll.scroll_end,
        }
        move = moves.get(where)
        if move is not None:
            move(animate=False)
