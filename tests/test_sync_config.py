"""[sync] in feeds.toml: validated like the rest, and the secret never in the file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from _cli_helpers import run_briefing

from briefing.core.config import ConfigError, load_config
from briefing.core.models import SyncConfig
from briefing.core.sync.account import Account, Secret
from briefing.core.sync.server import SyncError, SyncErrorKind

HEAD = """\
[topic]
name = "Case"
keywords = ["Anna's Archive"]
"""


def config_with(tmp_path: Path, sync: str, feeds: str = "") -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(HEAD + "\n" + sync + "\n" + feeds, encoding="utf-8")
    return path


GOOD = """\
[sync]
backend = "greader"
url = "https://rss.example.org/api/greader.php/"
username = "me"
password_env = "BRIEFING_SYNC_PASSWORD"
category = "Anna's  Archive"
"""


def test_a_sync_table_reads_and_feeds_may_be_absent(tmp_path: Path) -> None:
    config = load_config(config_with(tmp_path, GOOD))
    assert config.feeds == ()
    assert config.sync == SyncConfig(
        backend="greader",
        url="https://rss.example.org/api/greader.php",
        username="me",
        password_env="BRIEFING_SYNC_PASSWORD",
        category="Anna's Archive",
    )


def test_without_sync_nothing_changes(tmp_path: Path) -> None:
    config = load_config(config_with(tmp_path, "", '[[feeds]]\nname = "A"\nurl = "a.rss"\n'))
    assert config.sync is None and len(config.feeds) == 1


def test_miniflux_without_a_username_takes_an_api_key(tmp_path: Path) -> None:
    text = '[sync]\nbackend = "miniflux"\nurl = "http://127.0.0.1:8080"\npassword_command = "pass show rss"\n'
    config = load_config(config_with(tmp_path, text))
    assert config.sync is not None
    assert config.sync.username == "" and config.sync.password_command == "pass show rss"


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('backend = "fever"', 'backend must be "greader" or "miniflux", got \'fever\''),
        ("", "backend must be"),
        ('backend = "greader"\nusername = "me"\npassword_env = "P"', "url is missing"),
        (
            'backend = "greader"\nurl = "ftp://x"\nusername = "me"\npassword_env = "P"',
            "http(s) URL",
        ),
        ('backend = "greader"\nurl = "https://x"\npassword_env = "P"', "username is missing"),
        ('backend = "greader"\nurl = "https://x"\nusername = "me"', "needs password_env"),
        (
            'backend = "greader"\nurl = "https://x"\nusername = "me"\npassword_env = "P"\npassword_command = "c"',
            "not both",
        ),
        (
            'backend = "greader"\nurl = "https://x"\nusername = "me"\npassword_env = "NOT A NAME"',
            "name of an environment variable",
        ),
        (
            'backend = "greader"\nurl = "https://x"\nusername = "me"\npassword_env = "P"\nfolder = "x"',
            "unknown key [sync] 'folder'",
        ),
        (
            'backend = "greader"\nurl = "https://x"\nusername = "me"\npassword_env = "P"\nfull_text = "yes"',
            "full_text must be",
        ),
        (
            'backend = "greader"\nurl = "https://x?a=1"\nusername = "me"\npassword_env = "P"',
            "query or fragment",
        ),
        (
            'backend = "greader"\nurl = "https://x"\nusername = "me\\u001b[31m"\npassword_env = "P"',
            "control characters",
        ),
        (
            'backend = "greader"\nurl = "https://x"\nusername = 3\npassword_env = "P"',
            "username must be a string",
        ),
    ],
)
def test_bad_sync_tables_are_refused_with_a_reason(
    tmp_path: Path, table: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(config_with(tmp_path, "[sync]\n" + table + "\n"))
    assert expected in str(caught.value)
    assert str(tmp_path / "feeds.toml") in str(caught.value)


@pytest.mark.parametrize("key", ["password", "token", "api_key"])
def test_a_secret_in_the_file_is_refused_and_never_echoed(tmp_path: Path, key: str) -> None:
    text = f'[sync]\nbackend = "greader"\nurl = "https://x"\nusername = "me"\n{key} = "hunter2"\n'
    with pytest.raises(ConfigError) as caught:
        load_config(config_with(tmp_path, text))
    assert "never sits in feeds.toml" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_password_in_the_url_is_refused_and_never_echoed(tmp_path: Path) -> None:
    text = '[sync]\nbackend = "greader"\nurl = "https://me:hunter2@x"\nusername = "me"\npassword_env = "P"\n'
    with pytest.raises(ConfigError) as caught:
        load_config(config_with(tmp_path, text))
    assert "must not hold a user or password" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def account(**fields: str) -> Account:
    values = {"backend": "greader", "url": "https://x", "username": "me", **fields}
    return Account(SyncConfig(**values))  # type: ignore[arg-type]


def test_the_secret_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFING_T_SECRET", "s3cret value")
    secret = account(password_env="BRIEFING_T_SECRET").read_secret()
    assert secret.reveal() == "s3cret value"
    assert "s3cret" not in repr(secret) and "s3cret" not in str(secret)


def test_an_unset_or_empty_variable_says_which(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRIEFING_T_SECRET", raising=False)
    with pytest.raises(SyncError, match="BRIEFING_T_SECRET is not set") as caught:
        account(password_env="BRIEFING_T_SECRET").read_secret()
    assert caught.value.kind is SyncErrorKind.SECRET
    monkeypatch.setenv("BRIEFING_T_SECRET", "")
    with pytest.raises(SyncError, match="is empty"):
        account(password_env="BRIEFING_T_SECRET").read_secret()


def test_the_secret_is_the_first_line_a_command_prints(tmp_path: Path) -> None:
    script = tmp_path / "pass.py"
    script.write_text("print('first line secret')\nprint('second line')\n", encoding="utf-8")
    secret = account(password_command=f"{sys.executable} {script}").read_secret()
    assert secret.reveal() == "first line secret"


def test_a_failing_command_reports_its_status_and_never_its_output(tmp_path: Path) -> None:
    script = tmp_path / "pass.py"
    script.write_text(
        "import sys\nprint('leaked-secret')\nsys.stderr.write('gpg: decryption failed\\n')\n"
        "sys.exit(2)\n",
        encoding="utf-8",
    )
    with pytest.raises(SyncError) as caught:
        account(password_command=f"{sys.executable} {script}").read_secret()
    message = str(caught.value)
    assert "exited with status 2: gpg: decryption failed" in message
    assert "leaked-secret" not in message
    with pytest.raises(SyncError, match="printed nothing"):
        account(password_command="true").read_secret()


def test_a_secret_object_hides_itself() -> None:
    assert repr(Secret("abc")) == "Secret('***')"


def test_briefing_feeds_with_a_sync_table_and_no_feeds_runs(tmp_path: Path) -> None:
    """[[feeds]] absent with [sync]: the config is good, and a server never synced
    lists no feeds and says when it last synced (never), without asking for the secret."""
    path = config_with(
        tmp_path,
        '[sync]\nbackend = "miniflux"\nurl = "http://127.0.0.1:9"\npassword_command = "exit 7"\n',
    )
    done = run_briefing("--config", str(path), "feeds", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "sync: http://127.0.0.1:9 (Miniflux API): last synced never" in done.stderr
