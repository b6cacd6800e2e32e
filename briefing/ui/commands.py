"""The reader's commands: one tuple drives the bindings, the footer, the palette and help.

Adding a command here is the only step needed for it to get a key, a footer
entry (when ``footer`` is set), a command-palette hit and a line on the help
screen. The action named is an action of the main screen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True, slots=True)
class Command:
    id: str
    """Also the Binding id, so a keymap can rebind it."""
    key: str
    """Textual key name(s), comma separated."""
    action: str
    """An action of the main screen, without the ``action_`` prefix."""
    description: str
    """A few words, for the footer and the palette."""
    help: str
    """One sentence, for the help screen, the palette and the tooltip."""
    group: str
    footer: bool = False
    key_display: str | None = None
    narrow_footer: bool = False
    """Still in the footer when the terminal is narrow (80 columns)."""

    @property
    def keys_shown(self) -> str:
        if self.key_display:
            return self.key_display
        return " ".join(_KEY_NAMES.get(key, key) for key in self.key.split(","))

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.description,
            show=self.footer,
            key_display=self.key_display,
            tooltip=self.help,
            id=self.id,
        )


_KEY_NAMES = {
    "slash": "/",
    "question_mark": "?",
    "space": "space",
    "escape": "esc",
    "enter": "enter",
    "shift+tab": "shift+tab",
}

MOVE = "Move around"
READ = "Read"
FACTS = "Key facts"
DATA = "Data"
APP = "App"

COMMANDS: tuple[Command, ...] = (
    Command("move-down", "j", "move_down", "Down", "Move down in the focused list, or scroll the article down.", MOVE, key_display="j ↓"),
    Command("move-up", "k", "move_up", "Up", "Move up in the focused list, or scroll the article up.", MOVE, key_display="k ↑"),
    Command("go-top", "g", "go_top", "Top", "Go to the top of the focused list or article.", MOVE),
    Command("go-bottom", "G", "go_bottom", "Bottom", "Go to the bottom of the focused list or article.", MOVE),
    Command("next-pane", "tab", "next_pane", "Pane", "Move to the next pane (Sources, Articles, Key facts, fact detail, Article).", MOVE, footer=True, narrow_footer=True),
    Command("previous-pane", "shift+tab", "previous_pane", "Previous pane", "Move to the previous pane.", MOVE),
    Command("sources-pane", "1", "show_sources_pane", "Sources", "Go to the Sources pane and its article list.", MOVE),
    Command("facts-pane", "2", "show_facts_pane", "Key facts", "Go to the Key facts pane.", MOVE),
    Command("article-pane", "3", "show_article_pane", "Article", "Go to the Article pane.", MOVE),
    Command("open", "enter", "open", "Open", "Open the highlighted article, fact or quote.", MOVE),
    Command("back", "escape", "back", "Back", "Leave the search, or the fact the article list is narrowed to.", MOVE),
    Command("page", "space", "page_article", "Page", "Page down through the article.", READ),
    Command("next-unread", "n", "next_unread", "Next unread", "Open the next unread article in the list.", READ, footer=True, narrow_footer=True),
    Command("previous-unread", "N", "previous_unread", "Prev unread", "Open the previous unread article in the list.", READ),
    Command("toggle-read", "m", "toggle_read", "Read", "Mark the article read, or unread again.", READ, footer=True),
    Command("toggle-star", "s", "toggle_star", "Star", "Star or unstar the article; starred articles never expire.", READ, footer=True),
    Command("mark-all-read", "A", "mark_all_read", "All read", "Mark every article in the list read.", READ),
    Command("open-link", "o", "open_link", "Browser", "Open the article's link in the web browser (http and https only).", READ),
    Command("copy-link", "y", "copy_link", "Copy link", "Copy the article's link to the clipboard (OSC 52; works over ssh).", READ),
    Command("search", "slash", "search", "Search", "Search the titles and bodies of every cached article.", READ, footer=True, narrow_footer=True),
    Command("differing", "d", "toggle_differing", "Differs", "Show only the facts on which sources differ, or all facts.", FACTS, footer=True),
    Command("timeline", "t", "toggle_timeline", "Timeline", "Switch the facts pane between key facts and the timeline.", FACTS, footer=True),
    Command("refresh", "r", "refresh", "Refresh", "Fetch every feed now; the reader stays usable meanwhile.", DATA, footer=True, narrow_footer=True),
    Command("export", "e", "export", "Export", "Write the briefing as Markdown to a file in the working directory.", DATA),
    Command("help", "question_mark", "help", "Help", "Show every key.", APP, footer=True, narrow_footer=True),
    Command("quit", "q", "quit", "Quit", "Quit briefing; your place is kept for next time.", APP, footer=True, narrow_footer=True),
)  # fmt: skip


def bindings() -> list[Binding]:
    return [command.binding() for command in COMMANDS]


def command_groups() -> Iterator[tuple[str, list[Command]]]:
    """The commands by group, groups in first-seen order (for the help screen)."""
    groups: dict[str, list[Command]] = {}
    for command in COMMANDS:
        groups.setdefault(command.group, []).append(command)
    yield from groups.items()


class ReaderCommands(Provider):
    """The command palette's view of COMMANDS."""

    def _runner(self, command: Command) -> Callable[[], Awaitable[None]]:
        return partial(self.screen.run_action, command.action)

    def _title(self, command: Command) -> str:
        return f"{command.description} ({command.keys_shown})"

    async def discover(self) -> Hits:
        for command in COMMANDS:
            yield DiscoveryHit(self._title(command), self._runner(command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in COMMANDS:
            title = self._title(command)
            score = max(matcher.match(title), matcher.match(command.help) * 0.5)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    self._runner(command),
                    text=title,
                    help=command.help,
                )
