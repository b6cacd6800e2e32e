"""Small lists over the reader: the article's links (newsboat's URL view) and the tags.

Each returns what was chosen with ``dismiss``; the main screen acts on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from briefing.core.textclean import clean_line, is_web_url
from briefing.ui.reports import plural

PICKER_CSS = """
{name} {{
    align: center middle;
    & > Vertical {{
        width: 100;
        max-width: 100%;
        height: auto;
        max-height: 90%;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }}
    & OptionList {{ height: auto; max-height: 1fr; border: none; text-wrap: nowrap;
                    text-overflow: ellipsis; }}
    & .picker-title {{ padding-bottom: 1; }}
}}
"""


class LinksScreen(ModalScreen[tuple[str, bool] | None]):
    """The article's links by number. A number, or enter, opens one; O opens it and
    marks the article read; y copies it. Only http(s) links are listed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,u", "close", "Close", id="links-close", tooltip="Close the link list."),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
        Binding("O", "choose(True)", "Open, read", show=False),
        Binding("y", "copy", "Copy", show=False),
    ]
    DEFAULT_CSS = PICKER_CSS.format(name="LinksScreen")

    def __init__(self, links: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.links = [(text, target) for text, target in links if is_web_url(target)]
        self.left_out = len(links) - len(self.links)
        self._typed = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            note = f" · {self.left_out} other (not http or https) left out" if self.left_out else ""
            yield Static(
                Content.assemble(
                    (f"Links ({len(self.links)})", "bold"),
                    (
                        f"   a number or enter opens · O opens and marks read · y copies{note}",
                        "dim",
                    ),
                ),
                classes="picker-title",
            )
            options = [
                Option(link_prompt(number, text, target), id=str(number))
                for number, (text, target) in enumerate(self.links, 1)
            ]
            if not options:
                options = [
                    Option(Text("This article has no web links.", style="italic"), disabled=True)
                ]
            yield OptionList(*options, id="links")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_key(self, event: events.Key) -> None:
        if event.character is not None and event.character.isdigit():
            event.stop()
            self._typed += event.character
            number = int(self._typed)
            # Open at once unless another digit could still make a listed number.
            if number * 10 > len(self.links) or len(self._typed) >= 3:
                self._open(number, mark_read=False)
            else:
                self.query_one(OptionList).highlighted = max(0, number - 1)

    def _open(self, number: int, *, mark_read: bool) -> None:
        self._typed = ""
        if 1 <= number <= len(self.links):
            self.dismiss((self.links[number - 1][1], mark_read))
        else:
            self.notify(f"No link numbered {number}.", severity="warning", timeout=3)

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        if self._typed:
            self._open(int(self._typed), mark_read=False)
            return
        if event.option.id is not None:
            self._open(int(event.option.id), mark_read=False)

    def action_choose(self, mark_read: bool) -> None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is not None:
            self._open(highlighted + 1, mark_read=mark_read)

    def action_copy(self) -> None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is not None and highlighted < len(self.links):
            link = self.links[highlighted][1]
            self.app.copy_to_clipboard(link)
            self.notify(f"Copied {clean_line(link)}", timeout=3, markup=False)

    def action_move(self, step: int) -> None:
        option_list = self.query_one(OptionList)
        if step > 0:
            option_list.action_cursor_down()
        else:
            option_list.action_cursor_up()

    def action_close(self) -> None:
        self.dismiss(None)


def link_prompt(number: int, text: str, target: str) -> Text:
    prompt = Text(f"{number:>2}  ", style="bold", end="")
    prompt.append(clean_line(text), style="bold")
    prompt.append(f"\n    {clean_line(target)}", style="bright_black")
    return prompt


ALL_TAGS = ""


class TagScreen(ModalScreen[str | None]):
    """The tags of feeds.toml; choosing one shows only its feeds ("All" shows every feed)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,t", "close", "Close", id="tags-close", tooltip="Close the tag list."),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
    ]
    DEFAULT_CSS = PICKER_CSS.format(name="TagScreen")

    def __init__(self, tags: dict[str, int], current: str | None) -> None:
        super().__init__()
        self.tags = tags
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content.assemble(("Show the sources tagged", "bold"), ("   enter chooses", "dim")),
                classes="picker-title",
            )
            options = [Option(Text("All sources (no tag filter)"), id="tag:")]
            for tag, count in self.tags.items():
                mark = "● " if tag == self.current else "  "
                options.append(
                    Option(
                        Text.assemble(
                            mark, (clean_line(tag), "bold"), (f"  {plural(count, 'feed')}", "dim")
                        ),
                        id=f"tag:{tag}",
                    )
                )
            if not self.tags:
                options.append(
                    Option(
                        Text("feeds.toml gives no feed a tag (tags = [...]).", style="italic"),
                        disabled=True,
                    )
                )
            yield OptionList(*options, id="tags")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.focus()
        if self.current:
            try:
                option_list.highlighted = option_list.get_option_index(f"tag:{self.current}")
            except Exception:
                option_list.highlighted = 0

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss((event.option.id or "tag:").removeprefix("tag:"))

    def action_move(self, step: int) -> None:
        option_list = self.query_one(OptionList)
        if step > 0:
            option_list.action_cursor_down()
        else:
            option_list.action_cursor_up()

    def action_close(self) -> None:
        self.dismiss(None)
