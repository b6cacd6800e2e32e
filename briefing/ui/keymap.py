"""The reader's commands as plain data, and the user's ``[keys]`` table checked against them.

No Textual here: the CLI checks a feeds.toml's ``[keys]`` for every command
(a typo is an error like any other config error) without loading the UI.
``commands.py`` turns these into bindings, the footer, the palette and help.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from briefing.core.config import ConfigError
from briefing.core.models import Config


@dataclass(frozen=True, slots=True)
class Command:
    id: str
    """Also the Binding id and the name in feeds.toml's [keys]."""
    key: str
    """Default Textual key name(s), comma separated."""
    action: str
    """An action of the main screen, without the ``action_`` prefix."""
    description: str
    """A few words, for the footer and the palette."""
    help: str
    """One sentence, for the help screen, the palette and the tooltip."""
    group: str
    footer: bool = False
    narrow_footer: bool = False
    """Still in the footer when the terminal is narrow (80 columns)."""
    newsboat: str = ""
    """What newsboat's default for this key (or this command) is, when it differs."""


MOVE = "Move around"
READ = "Read"
FACTS = "Key facts and sources"
DATA = "Data"
APP = "App"

COMMANDS: tuple[Command, ...] = (
    Command("move-down", "j", "move_down", "Down", "Move down in the focused list, or scroll the article down.", MOVE),
    Command("move-up", "k", "move_up", "Up", "Move up in the focused list, or scroll the article up.", MOVE),
    Command("go-top", "g", "go_top", "Top", "Go to the top of the focused list or article.", MOVE, newsboat="g sorts the list"),
    Command("go-bottom", "G", "go_bottom", "Bottom", "Go to the bottom of the focused list or article.", MOVE, newsboat="G sorts the list in reverse"),
    Command("next-pane", "tab", "next_pane", "Pane", "Move to the next pane (Sources, Articles, Key facts, fact detail, Article).", MOVE, footer=True, narrow_footer=True),
    Command("previous-pane", "shift+tab", "previous_pane", "Previous pane", "Move to the previous pane.", MOVE),
    Command("sources-pane", "1", "show_sources_pane", "Sources", "Go to the Sources pane and its list of feeds.", MOVE, newsboat="1 opens the article's first link"),
    Command("facts-pane", "2", "show_facts_pane", "Key facts", "Go to the Key facts pane.", MOVE, newsboat="2 opens the article's second link"),
    Command("article-pane", "3", "show_article_pane", "Article", "Go to the Article pane.", MOVE, newsboat="3 opens the article's third link"),
    Command("next-source", "J", "next_source", "Next source", "Show the next source in the Sources list.", MOVE, newsboat="J moves to the next entry of any list"),
    Command("previous-source", "K", "previous_source", "Prev source", "Show the previous source in the Sources list.", MOVE, newsboat="K moves to the previous entry of any list"),
    Command("open", "enter", "open", "Open", "Open the highlighted source, article, fact or quote.", MOVE),
    Command("back", "escape", "back", "Back", "Leave the search or the narrowed list; in the one-pane layout, go back one pane.", MOVE),
    Command("wider", "plus,equals_sign", "widen_pane", "Wider", "Give the focused pane more room (kept for next time).", MOVE),
    Command("narrower", "minus", "narrow_pane", "Narrower", "Give the focused pane less room (kept for next time).", MOVE),
    Command("page", "space", "page_article", "Page", "Page down through the article.", READ),
    Command("next-unread", "n", "next_unread", "Next unread", "Open the next unread article; after the last one here, the next source with unread articles, and after the last source, the first. In the list of one fact, event or search, round that list only.", READ, footer=True, narrow_footer=True),
    Command("previous-unread", "p", "previous_unread", "Prev unread", "Open the previous unread article, going back through the sources; before the first, on from the last.", READ),
    Command("toggle-read", "N,m", "toggle_read", "Read", "Mark the article read, or unread again.", READ, footer=True),
    Command("toggle-star", "s", "toggle_star", "Star", "Star or unstar the article; starred articles never expire.", READ, footer=True, newsboat="s saves the article to a file"),
    Command("mark-all-read", "A", "mark_all_read", "All read", "Mark every article in the list read.", READ),
    Command("mark-everything-read", "C", "mark_everything_read", "Everything read", "Mark every article of every source read.", READ),
    Command("unread-only", "l", "toggle_unread_only", "Unread only", "Show only unread articles and the sources that have some, or everything again (kept for next time).", READ),
    Command("open-link", "o", "open_link", "Browser", "Open the article's link in the web browser (http and https only).", READ),
    Command("open-link-read", "O", "open_link_and_read", "Browser, read", "Open the article's link in the web browser and mark the article read.", READ),
    Command("links", "u", "show_links", "Links", "List the article's links by number; a number opens one (http and https only).", READ),
    Command("copy-link", "y", "copy_link", "Copy link", "Copy the article's link to the clipboard (OSC 52; works over ssh).", READ),
    Command("search", "slash", "search", "Search", "Search the titles and bodies of every cached article.", READ, footer=True, narrow_footer=True),
    Command("next-match", "right_square_bracket", "next_match", "Next match", "Jump to the next search match in the article.", READ),
    Command("previous-match", "left_square_bracket", "previous_match", "Prev match", "Jump to the previous search match in the article.", READ),
    Command("differing", "d", "toggle_differing", "Differs", "Show only the facts on which sources differ, or all facts.", FACTS, footer=True),
    Command("timeline", "T", "toggle_timeline", "Timeline", "Switch the facts pane between key facts and the timeline.", FACTS, footer=True, newsboat="T is unbound (ctrl+t clears the tag)"),
    Command("tag", "t", "choose_tag", "Tag", "Show only the sources with one tag from feeds.toml, or every source again.", FACTS),
    Command("clear-tag", "ctrl+t", "clear_tag", "All tags", "Show every source again, whatever its tag.", FACTS),
    Command("refresh", "r", "refresh", "Refresh", "Fetch the selected source (every feed from All sources); feeds.toml is read again first if it changed.", DATA, footer=True, narrow_footer=True),
    Command("refresh-all", "R", "refresh_all", "Refresh all", "Fetch every feed now; the reader stays usable meanwhile.", DATA),
    Command("reload-config", "ctrl+r", "reload_config", "Reload feeds.toml", "Read feeds.toml again: feeds, topic, tags and keys.", DATA),
    Command("export", "e", "export", "Export", "Write the briefing as Markdown to a file in the working directory.", DATA, newsboat="e adds a podcast to the download queue"),
    Command("palette", "colon", "command_palette", "Commands", "Open the command palette: every command by name (also ctrl+p).", APP, newsboat=": opens newsboat's command line"),
    Command("help", "question_mark", "help", "Help", "Show every key.", APP, footer=True, narrow_footer=True),
    Command("quit", "q", "back_or_quit", "Quit", "Go back one level (search, narrowed list, pane); quit from the top. Your place is kept.", APP, footer=True, narrow_footer=True),
    Command("quit-now", "Q", "quit", "Quit now", "Quit at once; your place is kept for next time.", APP),
)  # fmt: skip

COMMAND_IDS = frozenset(command.id for command in COMMANDS)

_KEY_SYMBOLS = {
    "slash": "/",
    "question_mark": "?",
    "colon": ":",
    "plus": "+",
    "equals_sign": "=",
    "minus": "-",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "escape": "esc",
    "number_sign": "#",
}


def key_label(key: str) -> str:
    """How a Textual key name is shown: '/', '?', 'ctrl+r', 'esc'."""
    return _KEY_SYMBOLS.get(key, key)


def keys_label(keys: str) -> str:
    return " ".join(key_label(key.strip()) for key in keys.split(",") if key.strip())


class Keymap:
    """The keys in force: the defaults, with the user's ``[keys]`` on top."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self.overrides = dict(overrides or {})

    def keys(self, command: Command) -> str:
        return self.overrides.get(command.id, command.key)

    def label(self, command: Command) -> str:
        return keys_label(self.keys(command))

    def first_label(self, command: Command) -> str:
        """The first key only, for the footer."""
        return key_label(self.keys(command).split(",")[0])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Keymap) and other.overrides == self.overrides

    __hash__ = None  # type: ignore[assignment]


def keymap_from_config(config: Config) -> Keymap:
    """The user's keymap, refused (ConfigError naming the file) when it names an unknown
    command or gives one key to two commands."""
    where = config.path or "<config>"
    overrides: dict[str, str] = {}
    for command_id, keys in config.keys:
        if command_id not in COMMAND_IDS:
            expected = ", ".join(sorted(COMMAND_IDS))
            raise ConfigError(
                f"{where}: [keys] unknown command {command_id!r} (expected one of: {expected})"
            )
        overrides[command_id] = ",".join(keys)
    keymap = Keymap(overrides)
    owner: dict[str, str] = {}
    for command in COMMANDS:
        for key in keymap.keys(command).split(","):
            if key in owner and owner[key] != command.id:
                first, second = owner[key], command.id
                changed = first if first in overrides else second
                raise ConfigError(
                    f"{where}: [keys] {key_label(key)!r} would do both {first} and {second};"
                    f" give {changed} another key (or move the other command too)"
                )
            owner[key] = command.id
    return keymap


def command_groups() -> Iterator[tuple[str, list[Command]]]:
    """The commands by group, groups in first-seen order (for the help screen)."""
    groups: dict[str, list[Command]] = {}
    for command in COMMANDS:
        groups.setdefault(command.group, []).append(command)
    yield from groups.items()
