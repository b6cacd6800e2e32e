"""The help screen, written from the same COMMANDS tuple as the bindings."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from briefing.ui.commands import command_groups

EXTRA = (
    ("ctrl+p", "Command palette: every key above, by name."),
    ("mouse", "Click a source, article, fact or quote; scroll with the wheel."),
)


def help_content() -> Content:
    rows: list[Content] = []
    key_width = 12
    for group, commands in command_groups():
        rows.append(Content.styled(group, "bold $accent"))
        for command in commands:
            key = Content.styled(command.keys_shown.ljust(key_width), "bold")
            rows.append(Content("  ") + key + Content(command.help))
        rows.append(Content(""))
    rows.append(Content.styled("Also", "bold $accent"))
    for key, text in EXTRA:
        rows.append(Content("  ") + Content.styled(key.ljust(key_width), "bold") + Content(text))
    return Content("\n").join(rows)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,q,question_mark",
            "dismiss_help",
            "Close",
            id="help-close",
            tooltip="Close the help screen.",
        ),
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

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content.assemble(
                    ("briefing — keys", "bold"), ("    esc, q or ? closes this screen", "dim")
                ),
                id="help-title",
            )
            with VerticalScroll():
                yield Static(help_content(), id="help-body")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
