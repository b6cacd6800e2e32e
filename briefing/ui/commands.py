"""The reader's commands as Textual sees them: bindings and the palette.

The commands themselves are plain data in ``keymap.py``; adding one there is
the only step needed for it to get a key, a footer entry (when ``footer`` is
set), a command-palette hit and a line on the help screen. The keys the user
set in feeds.toml's ``[keys]`` apply to all four.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from briefing.ui.keymap import COMMANDS, Command, Keymap, command_groups, keys_label

__all__ = ["COMMANDS", "Command", "ReaderCommands", "bindings", "command_groups"]


def binding(command: Command) -> Binding:
    return Binding(
        command.key,
        command.action,
        command.description,
        show=command.footer,
        key_display=keys_label(command.key),
        tooltip=command.help,
        id=command.id,
    )


def bindings() -> list[Binding]:
    return [binding(command) for command in COMMANDS]


class ReaderCommands(Provider):
    """The command palette's view of COMMANDS, with the keys in force."""

    def _runner(self, command: Command) -> Callable[[], Awaitable[None]]:
        return partial(self.screen.run_action, command.action)

    def _title(self, command: Command) -> str:
        keymap = getattr(self.screen, "keymap", None)
        keys = keymap.label(command) if isinstance(keymap, Keymap) else keys_label(command.key)
        return f"{command.description} ({keys})"

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
