"""README.md stays true: its commands, keys and options match the code."""

from __future__ import annotations

from pathlib import Path

from briefing.cli import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
CI_RUN = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    command = next(line for line in CI_RUN.splitlines() if line.startswith("python3 -m venv"))
    assert command in README


def test_every_key_is_documented() -> None:
    from briefing.ui.keymap import COMMANDS, keys_label

    for command in COMMANDS:
        assert f"| `{keys_label(command.key)}` | `{command.id}` | {command.help} |" in README, (
            command.id
        )


def test_every_subcommand_and_global_option_is_documented() -> None:
    parser = build_parser()
    for action in parser._actions:
        for option in action.option_strings:
            if option.startswith("--") and option not in ("--help", "--version"):
                assert option in README, option
    subcommands = next(a for a in parser._actions if a.dest == "command")
    for name in subcommands.choices:  # type: ignore[union-attr]
        assert f"`{name}" in README, name
