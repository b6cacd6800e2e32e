"""`briefing facts` and `briefing export`, run as a user would, on the bundled sample.

Each test runs the real command in a subprocess with `--demo` and its own cache
directory, so nothing touches the network or the user's cache.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from _cli_helpers import run_briefing
from markdown_it import MarkdownIt


def briefing(*args: str, cwd: Path, columns: int = 100) -> subprocess.CompletedProcess[str]:
    return run_briefing(*args, cwd=cwd, columns=columns)


def demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return briefing("--demo", "--cache-dir", str(tmp_path / "cache"), *args, cwd=tmp_path)


def without_generated(markdown: str) -> str:
    """The export minus its 'Generated <time>' line, which differs from run to run."""
    return "\n".join(line for line in markdown.splitlines() if not line.startswith("Generated "))


def test_facts_prints_a_readable_table(tmp_path: Path) -> None:
    result = demo(tmp_path, "facts")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Showing the bundled SAMPLE briefing")
    header = next(line for line in lines if line.startswith("Fact "))
    assert header.split() == ["Fact", "Value", "Status", "Sources"]
    assert max(len(line) for line in lines) <= 100
    damages = next(line for line in lines if line.startswith("Damages sought"))
    assert "$13 trillion" in damages and "DIFFERS" in damages
    assert "$12.9 trillion rounds to $13 trillion" in " ".join(result.stdout.split())
    filed = [line for line in lines if line[12:].startswith("Complaint filed")]
    assert len(filed) == 3
    assert all("[DISPUTED: 3 dates given]" in line for line in filed)


def test_facts_json_keeps_the_contract(tmp_path: Path) -> None:
    result = demo(tmp_path, "facts", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"topic", "generated", "facts", "timeline", "sample"}
    assert data["sample"] is True  # --demo: the bundled, fictional sample
    damages = next(f for f in data["facts"] if f["label"] == "Damages sought")
    assert damages["kind"] == "money" and damages["status"] == "differs"
    assert [v["value"] for v in damages["values"]] == [13000000000000, 12900000000000]
    assert all(v["sources"] and v["articles"] and v["quotes"] for v in damages["values"])
    assert {e["label"] for e in data["timeline"] if e["disputed"]} == {
        "Complaint filed",
        "Complaint unsealed",
    }
    # Additions to the contract, every old key kept.
    assert {"within_rounding", "why", "history"} <= set(damages)
    assert damages["within_rounding"] is True
    assert [h["value"] for h in damages["history"]] and all(
        h["first"] and h["last"] for h in damages["history"]
    )


def test_facts_json_is_the_same_read_back_from_the_stored_merge(tmp_path: Path) -> None:
    """The first run merges and stores a summary and its parts; the second reads them
    back: the same document, byte for byte (but the time it was generated)."""
    runs = [demo(tmp_path, "facts", "--json") for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr
    first, second = (json.loads(r.stdout) for r in runs)
    assert first["facts"] and first["facts"][0]["values"][0]["quotes"]
    second["generated"] = first["generated"]
    assert json.dumps(second, indent=2, ensure_ascii=False) == runs[0].stdout.rstrip("\n")


def test_export_writes_markdown_to_stdout(tmp_path: Path) -> None:
    result = demo(tmp_path, "export")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Key facts",
        "## Where sources differ, and what was revised",
        "## Timeline",
        "## Articles",
    ]
    assert text.startswith("# Briefing: Spotify and the labels v. Anna's Archive")
    tokens = MarkdownIt("commonmark").parse(text)
    kinds = {t.type for t in tokens}
    assert "blockquote_open" not in kinds and "html_block" not in kinds
    assert "\\$13 trillion" in text  # no maths on GitHub
    assert "— *disputed: 3 dates given*" in text


def test_export_output_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "briefing.md"
    result = demo(tmp_path, "export", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"briefing: wrote {target}" in result.stderr
    written = target.read_text(encoding="utf-8")
    printed = demo(tmp_path, "export").stdout
    assert without_generated(written) == without_generated(printed)
    assert "## Where sources differ, and what was revised" in written


def test_export_output_dash_is_stdout(tmp_path: Path) -> None:
    """`--output -` wrote a file named "-"; as for most commands, it means stdout."""
    result = demo(tmp_path, "export", "--output", "-")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Briefing: Spotify and the labels v. Anna's Archive")
    assert not (tmp_path / "-").exists()
    assert "wrote" not in result.stderr


@pytest.mark.parametrize(
    ("where", "reason"),
    [("missing/dir/briefing.md", "No such file or directory"), ("", "Is a directory")],
)
def test_export_to_a_path_it_cannot_write_is_a_clear_error(
    tmp_path: Path, where: str, reason: str
) -> None:
    target = tmp_path / where
    result = demo(tmp_path, "export", "--output", str(target))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr == f"briefing: error: {target}: cannot write: {reason}\n"
    assert result.stdout == ""
