"""feeds.toml: discovery, strict validation, and errors a person can act on."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from briefing.core.config import (
    ConfigError,
    bundled_config_path,
    find_config,
    load_config,
)

ROOT = Path(__file__).resolve().parent.parent

GOOD = """\
[topic]
name = "Case"
keywords = ["Anna's Archive"]

[settings]
timeout = 7
concurrency = 4
retention_days = 30

[[feeds]]
name = "Wire"
url = "https://example.org/feed.xml"
tags = ["legal"]

[[feeds]]
name = "Local"
url = "feeds/local.rss"
enabled = false
full_text = true
"""


def write(tmp_path: Path, text: str, name: str = "feeds.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_config_reads_into_typed_values(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.topic.keywords == ("Anna's Archive",)
    assert config.settings.timeout == 7.0
    assert config.settings.concurrency == 4
    assert config.settings.retention_days == 30
    wire, local = config.feeds
    assert wire.tags == ("legal",) and wire.enabled and wire.full_text == "auto"
    assert not local.enabled and local.full_text == "always"
    # relative paths resolve against the config file's folder, not the working directory
    assert local.url == str(tmp_path / "feeds" / "local.rss")


def test_settings_are_optional(tmp_path: Path) -> None:
    text = '[topic]\nname = "x"\nkeywords = ["y"]\n'
    config = load_config(write(tmp_path, text))
    assert config.settings.timeout == 20.0 and config.feeds == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[topic]\nname = "x"\nkeywords = ["a"\n',
            "invalid TOML: Unclosed array at line 4, column 1",
        ),
        ('[topic]\nname = "x"\nkeywords = ["a"]\nfoo = = 1\n', "at line 4, column"),
        ('[topic]\nname = "x"\n', "[topic] keywords is missing"),
        ('[[feeds]]\nname = "a"\nurl = "http://a"\n', "missing [topic] table"),
        ('[topic]\nname = "x"\nkeyword = ["a"]\n', "unknown key [topic] 'keyword'"),
        ('[topic]\nname = "x"\nkeywords = "a"\n', "[topic] keywords must be a list of strings"),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[settings]\ntimeout = "5"\n',
            "timeout must be a number",
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[settings]\nconcurrency = 0\n',
            "must be greater than 0",
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[settings]\nthreads = 3\n',
            "unknown key [settings] 'threads'",
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[[feeds]]\nname = "Wire"\nurl = "ftp://x/feed"\n',
            "feed 1 ('Wire'): bad url 'ftp://x/feed'",
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[[feeds]]\nname = "Wire"\nurl = "https://"\n',
            "feed 1 ('Wire'): bad url 'https://' (no host)",
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[[feeds]]\nname = "Wire"\n',
            "feed 1 ('Wire'): 'url' is missing",
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[[feeds]]\nname = "Wire"\nurl = "http://a"\nlink = "x"\n',
            "feed 1 ('Wire'): unknown key 'link'",
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[[feeds]]\nname = "Wire"\nurl = "http://a"\n'
            '[[feeds]]\nname = "wire"\nurl = "http://b"\n',
            "feeds 1 and 2 are both named 'wire'",
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[[feeds]]\nname = "W"\nurl = "http://a"\nfull_text = "yes"\n',
            'full_text must be "auto", true or false',
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[[feeds]]\nname = "Ctl \\u001b[31mred"\nurl = "http://a"\n',
            "feed 1 ('Ctl \\x1b[31mred'): 'name' must not hold control characters (found U+001B)",
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[[feeds]]\nname = "W"\nurl = "http://a/\\u009b2J"\n',
            "feed 1 ('W'): 'url' must not hold control characters (found U+009B)",
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[[feeds]]\nname = "W"\nurl = "http://a"\ntags = ["ok", "b\\u007fd"]\n',
            "feed 1 ('W'): tags must not hold control characters (found U+007F)",
        ),
        (
            '[topic]\nname = "x\\u001b]0;title\\u0007"\nkeywords = ["a"]\n',
            "[topic] name must not hold control characters (found U+001B)",
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a\\rb"]\n',
            "[topic] keywords must not hold control characters (found U+000D)",
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\nexclude = ["\\u202eb"]\n',
            "[topic] exclude must not hold control characters (found U+202E)",
        ),
    ],
)
def test_config_errors_name_the_problem_and_the_place(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert expected in message


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user_dir = tmp_path / "user"
    monkeypatch.setenv("BRIEFING_CONFIG_DIR", str(user_dir))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert find_config().origin == "bundled default"
    user_dir.mkdir()
    write(user_dir, GOOD)
    assert find_config().path == user_dir / "feeds.toml"
    write(work, GOOD)
    assert find_config().path == work / "feeds.toml"
    explicit = write(tmp_path, GOOD, "other.toml")
    assert find_config(explicit).path == explicit
    with pytest.raises(ConfigError, match="config file not found"):
        find_config(tmp_path / "missing.toml")


def test_shipped_feeds_toml_is_valid_and_matches_the_bundled_default() -> None:
    shipped = ROOT / "feeds.toml"
    assert shipped.read_bytes() == bundled_config_path().read_bytes()
    config = load_config(shipped)
    assert config.topic.name == "Spotify and the labels v. Anna's Archive"
    assert "Anna's Archive" in config.topic.keywords
    assert len(config.feeds) >= 12
    assert all(f.url.startswith("https://") for f in config.feeds)
    tags = {tag for f in config.feeds for tag in f.tags}
    assert {"legal", "tech", "music", "search"} <= tags
    names = " ".join(f.name for f in config.feeds)
    assert "Google News" in names and "Hacker News" in names
    tomllib.loads(shipped.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[topic]\nname = "x"\nkeywords = ["a"\n', "line 4, column 1"),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[[feeds]]\nname = "W"\nurl = "gopher://x"\n',
            "bad url",
        ),
        (
            '[topic]\nname = "x"\nkeywords = ["a"]\n[[feeds]]\nname = "Ctl \\u001b[31mred"\nurl = "http://a"\n',
            "'name' must not hold control characters",
        ),
    ],
)
def test_cli_reports_config_errors_with_exit_2_and_no_traceback(
    tmp_path: Path, text: str, needle: str
) -> None:
    path = write(tmp_path, text)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "briefing",
            "--config",
            str(path),
            "--cache-dir",
            str(tmp_path / "c"),
            "articles",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert needle in result.stderr and str(path) in result.stderr
    assert "\x1b" not in result.stderr


def test_relative_config_paths_become_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", GOOD)
    location = find_config("sub/feeds.toml")
    assert location.path == tmp_path / "sub" / "feeds.toml"
    config = load_config("sub/feeds.toml")
    assert Path(config.path) == tmp_path / "sub" / "feeds.toml"
    # the feed path joins the config's folder once, and is absolute
    assert config.feeds[1].url == str(tmp_path / "sub" / "feeds" / "local.rss")
    monkeypatch.setenv("BRIEFING_CONFIG_DIR", "sub")
    monkeypatch.chdir(tmp_path / "sub")
    (tmp_path / "sub" / "sub").mkdir()
    write(tmp_path / "sub" / "sub", GOOD)
    (tmp_path / "sub" / "feeds.toml").unlink()
    assert find_config().path == tmp_path / "sub" / "sub" / "feeds.toml"
