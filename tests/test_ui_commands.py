"""One tuple of commands drives bindings, footer, palette and help."""

from __future__ import annotations

from briefing.ui.commands import COMMANDS, bindings
from briefing.ui.screens.main import MainScreen

ISSUE_KEYS = {
    "j", "k", "g", "G", "tab", "shift+tab", "enter", "space", "n", "N", "m", "s", "A",
    "r", "slash", "d", "t", "o", "y", "e", "question_mark", "q",
}  # fmt: skip


def test_every_binding_has_an_id_a_description_and_a_tooltip() -> None:
    for binding in bindings():
        assert binding.id and binding.description and binding.tooltip


def test_ids_and_keys_are_unique_and_cover_the_issue() -> None:
    ids = [c.id for c in COMMANDS]
    keys = [key for c in COMMANDS for key in c.key.split(",")]
    assert len(ids) == len(set(ids))
    assert len(keys) == len(set(keys))
    assert set(keys) >= ISSUE_KEYS


def test_every_command_names_an_action_of_the_main_screen() -> None:
    for command in COMMANDS:
        assert callable(getattr(MainScreen, f"action_{command.action}", None)), command.action


def test_the_main_screen_binds_exactly_the_commands() -> None:
    assert [b.id for b in MainScreen.BINDINGS] == [c.id for c in COMMANDS]  # type: ignore[union-attr]
