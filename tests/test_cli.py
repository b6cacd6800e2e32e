"""The command line against a real loopback server and a real cache directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _cli_helpers import run_briefing
from pytest_httpserver import HTTPServer

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{title}</title><link>https://example.org/</link>
<description>test feed</description>
{items}
</channel></rss>"""

ITEM = """<item><title>{title}</title><link>https://example.org/{guid}</link><guid>{guid}</guid>
<pubDate>{date}</pubDate><description>{body}</description></item>"""


def rss(title: str, items: list[tuple[str, str, str, str]]) -> str:
    return RSS.format(
        title=title,
        items="\n".join(ITEM.format(guid=g, title=t, date=d, body=b) for g, t, d, b in items),
    )


WIRE = rss(
    "Wire",
    [
        (
            "w1",
            "Labels sue Anna’s Archive",
            "Tue, 30 Dec 2025 10:00:00 +0000",
            "The suit seeks $13 trillion over 86 million music files.",
        ),
        ("w2", "Weather today", "Wed, 31 Dec 2025 10:00:00 +0000", "Rain."),
    ],
)
TRADE = rss(
    "Trade",
    [
        (
            "t1",
            "“Annas Archive” case unsealed",
            "Fri, 16 Jan 2026 10:00:00 +0000",
            "Damages of $12.9 trillion are sought.",
        ),
    ],
)


def briefing(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_briefing(*args, cwd=cwd)


@pytest.fixture
def setup(tmp_path: Path, httpserver: HTTPServer, write_config) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/wire.xml").respond_with_data(
        WIRE, content_type="application/rss+xml"
    )
    httpserver.expect_request("/trade.xml").respond_with_data(
        TRADE, content_type="application/rss+xml"
    )
    httpserver.expect_request("/gone.xml").respond_with_data("nope", status=404)
    config = write_config(
        [
            ("Wire", httpserver.url_for("/wire.xml")),
            ("Trade", httpserver.url_for("/trade.xml")),
            ("Gone", httpserver.url_for("/gone.xml")),
        ]
    )
    return config, tmp_path / "cache"


def test_fetch_then_articles_feeds_and_exit_codes(setup: tuple[Path, Path], tmp_path: Path) -> None:
    config, cache = setup
    common = ("--config", str(config), "--cache-dir", str(cache))
    fetched = briefing(*common, "fetch", "--no-full-text", cwd=tmp_path)
    assert fetched.returncode == 0, fetched.stderr  # some feeds succeeded
    lines = fetched.stdout.splitlines()
    assert any(line.startswith("Wire: new (2 new") for line in lines), fetched.stdout
    assert any(line.startswith("Gone: error: HTTP 404") for line in lines), fetched.stdout
    assert "Traceback" not in fetched.stderr

    listed = briefing(*common, "articles", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    articles = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [a["title"] for a in articles] == [
        "“Annas Archive” case unsealed",
        "Labels sue Anna’s Archive",
    ]
    assert set(articles[0]) == {
        "id",
        "source",
        "title",
        "link",
        "published",
        "read",
        "starred",
        "relevance",
        "sample",
    }
    assert not any(a["sample"] for a in articles)  # the user's own data
    assert articles[0]["source"] == "Trade" and articles[0]["published"].startswith("2026-01-16")

    everything = briefing(*common, "articles", "--all", "--json", cwd=tmp_path)
    assert len(everything.stdout.splitlines()) == 3

    feeds = json.loads(briefing(*common, "feeds", "--json", cwd=tmp_path).stdout)
    by_name = {f["name"]: f for f in feeds}
    assert by_name["Wire"]["articles"] == 2 and by_name["Wire"]["on_topic"] == 1
    assert by_name["Wire"]["health"] == "ok" and by_name["Wire"]["last_success"]
    assert by_name["Gone"]["health"] == "error" and "404" in by_name["Gone"]["last_error"]

    again = briefing(*common, "fetch", "--no-full-text", cwd=tmp_path)
    assert again.returncode == 0
    assert "Wire: unchanged" in again.stdout


def test_fetch_exits_1_when_every_feed_fails(
    tmp_path: Path, httpserver: HTTPServer, write_config
) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/a.xml").respond_with_data("boom", status=500)
    config = write_config([("A", httpserver.url_for("/a.xml"))])
    result = briefing(
        "--config",
        str(config),
        "--cache-dir",
        str(tmp_path / "c"),
        "fetch",
        "--no-full-text",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "A: error: HTTP 500" in result.stdout
    assert "every feed failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_offline_fetch_is_a_usage_error(tmp_path: Path) -> None:
    result = briefing("--offline", "fetch", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot run with --offline" in result.stderr


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = briefing("frobnicate", cwd=tmp_path)
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_local_file_feeds_work(tmp_path: Path, write_config) -> None:  # type: ignore[no-untyped-def]
    feed = tmp_path / "local.rss"
    feed.write_text(WIRE, encoding="utf-8")
    config = write_config([("Local", str(feed)), ("Local URL", feed.as_uri())])
    cache = tmp_path / "c"
    fetched = briefing(
        "--config", str(config), "--cache-dir", str(cache), "fetch", "--no-full-text", cwd=tmp_path
    )
    assert fetched.returncode == 0, fetched.stderr
    listed = briefing(
        "--config", str(config), "--cache-dir", str(cache), "articles", "--json", cwd=tmp_path
    )
    assert len(listed.stdout.splitlines()) == 2  # one on-topic article from each


@pytest.mark.parametrize(
    "command", [("articles",), ("articles", "--json"), ("facts", "--json"), ("export",)]
)
def test_an_empty_cache_is_an_error_not_the_sample(
    tmp_path: Path, write_config, command: tuple[str, ...]
) -> None:  # type: ignore[no-untyped-def]
    """Without --demo a script must be able to tell: exit 1, nothing on stdout."""
    config = write_config([("Nowhere", "https://feeds.invalid/x.xml")])
    cache = tmp_path / "c"
    result = briefing("--config", str(config), "--cache-dir", str(cache), *command, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        f"briefing: error: the cache at {cache} is empty: run `briefing fetch` first"
        " (or add --demo to see the bundled sample)\n"
    )


def test_the_sample_says_so_in_its_json(tmp_path: Path) -> None:
    common = ("--demo", "--cache-dir", str(tmp_path / "c"))
    articles = briefing(*common, "articles", "--json", cwd=tmp_path)
    assert articles.returncode == 0, articles.stderr
    assert all(json.loads(line)["sample"] is True for line in articles.stdout.splitlines())
    facts = json.loads(briefing(*common, "facts", "--json", cwd=tmp_path).stdout)
    assert facts["sample"] is True
    feeds = json.loads(briefing(*common, "feeds", "--json", cwd=tmp_path).stdout)
    assert feeds and all(feed["sample"] is True for feed in feeds)


def test_a_folder_as_config_and_a_file_as_cache_dir_are_named_for_what_they_are(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    result = briefing("--config", str(folder), "feeds", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"briefing: error: {folder}: is a folder; --config takes a feeds.toml file\n"
    )
    a_file = tmp_path / "cache.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    result = briefing("--demo", "--cache-dir", str(a_file), "feeds", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"briefing: error: --cache-dir {a_file} is a file, not a folder\n"


def test_fetch_with_no_enabled_feed_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(
        '[topic]\nname = "T"\nkeywords = ["x"]\n\n'
        '[[feeds]]\nname = "Off"\nurl = "https://feeds.invalid/x"\nenabled = false\n',
        encoding="utf-8",
    )
    result = briefing(
        "--config", str(config), "--cache-dir", str(tmp_path / "c"), "fetch", cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"briefing: error: {config}: no enabled feeds: add a [[feeds]] entry"
        " or set enabled = true\n"
    )


def test_demo_uses_its_own_cache(tmp_path: Path) -> None:
    cache = tmp_path / "c"
    result = briefing("--demo", "--cache-dir", str(cache), "articles", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    articles = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(articles) >= 15
    assert all(a["source"].startswith("Sample") for a in articles)
    assert not (cache / "cache.db").exists()  # the user's own cache is untouched
    assert (cache / "sample" / "cache.db").exists()


@pytest.mark.parametrize("config_name", ["sub/feeds.toml", "feeds.toml"])
def test_relative_config_path_with_a_relative_feed_path(tmp_path: Path, config_name: str) -> None:
    config = tmp_path / config_name
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        '[topic]\nname = "Case"\nkeywords = ["Anna\'s Archive"]\n\n'
        '[[feeds]]\nname = "Local"\nurl = "local.rss"\n',
        encoding="utf-8",
    )
    (config.parent / "local.rss").write_text(WIRE, encoding="utf-8")
    common = ("--config", config_name, "--cache-dir", "c")
    fetched = briefing(*common, "fetch", "--no-full-text", cwd=tmp_path)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert fetched.stdout.startswith("Local: new (2 new"), fetched.stdout
    listed = briefing(*common, "articles", "--json", cwd=tmp_path)
    assert [json.loads(line)["title"] for line in listed.stdout.splitlines()] == [
        "Labels sue Anna’s Archive"
    ]


# --------------------------------------------------------------------------- in-process

OFF_TOPIC = rss(
    "Off",
    [
        ("o1", "Weather today", "Wed, 31 Dec 2025 10:00:00 +0000", "Rain."),
        ("o2", "Crossword", "Thu, 01 Jan 2026 10:00:00 +0000", "Across."),
    ],
)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from briefing import cli

    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def local_config(tmp_path: Path, feeds: dict[str, str]) -> Path:
    blocks = ['[topic]\nname = "Case"\nkeywords = ["Anna\'s Archive"]\n']
    for name, text in feeds.items():
        path = tmp_path / f"{name.lower()}.rss"
        path.write_text(text, encoding="utf-8")
        blocks.append(f'[[feeds]]\nname = "{name}"\nurl = "{path.name}"\n')
    config = tmp_path / "feeds.toml"
    config.write_text("\n".join(blocks), encoding="utf-8")
    return config


def fetched_locally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], feeds: dict[str, str]
) -> tuple[str, ...]:
    """Fetch local feeds into a new cache; the options that name that config and cache."""
    config = local_config(tmp_path, feeds)
    common = ("--config", str(config), "--cache-dir", str(tmp_path / "c"))
    assert run_cli(capsys, *common, "fetch", "--no-full-text")[0] == 0
    return common


def test_feeds_table_says_just_now_without_ago(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = fetched_locally(tmp_path, capsys, {"Wire": WIRE, "Trade": TRADE})
    code, out, err = run_cli(capsys, *common, "feeds")
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split() == [
        "FEED",
        "STATUS",
        "ARTICLES",
        "ON",
        "TOPIC",
        "LAST",
        "SUCCESS",
        "NOTE",
    ]
    assert [row.split()[:4] for row in rows] == [
        ["Wire", "new", "2", "1"],
        ["Trade", "new", "1", "1"],
    ]
    assert all(row.split()[4:] == ["just", "now"] for row in rows), rows
    assert "ago" not in out


def test_every_feed_failing_reports_the_cache_and_its_age(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = fetched_locally(tmp_path, capsys, {"Wire": WIRE})
    (tmp_path / "wire.rss").unlink()  # the only feed now fails
    code, out, err = run_cli(capsys, *common, "fetch", "--no-full-text")
    assert code == 1
    assert out.startswith(f"Wire: error: file not found: {tmp_path / 'wire.rss'}\n")
    assert err.splitlines()[-1] == (
        "briefing: every feed failed; the cache still holds 2 articles (last refreshed just now)"
    )
    # the cache is still used
    code, out, err = run_cli(capsys, *common, "articles", "--json")
    assert code == 0
    assert [json.loads(line)["title"] for line in out.splitlines()] == ["Labels sue Anna’s Archive"]


@pytest.mark.parametrize(
    ("minutes", "words"), [(0.5, "just now"), (10, "10 min ago"), (60 * 5, "5 h ago")]
)
def test_time_ago(minutes: float, words: str) -> None:
    from datetime import UTC, datetime, timedelta

    from briefing.cli import time_ago

    then = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
    assert time_ago(then) == words
    assert time_ago(None) == "never"


def test_articles_when_none_is_on_topic_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = fetched_locally(tmp_path, capsys, {"Off": OFF_TOPIC})
    code, out, err = run_cli(capsys, *common, "articles")
    assert code == 0
    assert out == ""
    assert err == (
        "None of the 2 cached articles is on topic; `briefing articles --all` lists them.\n"
    )
    code, out, err = run_cli(capsys, *common, "articles", "--all")
    assert code == 0 and "Crossword (off topic)" in out


def test_articles_plain_text_newest_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = fetched_locally(tmp_path, capsys, {"Wire": WIRE, "Trade": TRADE})
    code, out, err = run_cli(capsys, *common, "articles")
    assert code == 0, err
    assert [line.split(None, 2) for line in out.splitlines()] == [
        ["DATE", "SOURCE", "TITLE"],
        ["2026-01-16", "Trade", "“Annas Archive” case unsealed"],
        ["2025-12-30", "Wire", "Labels sue Anna’s Archive"],
    ]
    code, out, err = run_cli(capsys, *common, "articles", "--all")
    assert [line.split(None, 2)[2] for line in out.splitlines()[1:]] == [
        "“Annas Archive” case unsealed",
        "Weather today (off topic)",
        "Labels sue Anna’s Archive",
    ]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from briefing import __version__, cli

    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"briefing {__version__}\n"
    assert __version__[0].isdigit()


def test_briefing_cache_dir_is_used_and_cache_dir_overrides_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = local_config(tmp_path, {"Wire": WIRE})
    from_env = tmp_path / "env-cache"
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(from_env))
    assert run_cli(capsys, "--config", str(config), "fetch", "--no-full-text")[0] == 0
    assert (from_env / "cache.db").is_file()
    code, out, _ = run_cli(capsys, "--config", str(config), "articles", "--json")
    assert code == 0 and len(out.splitlines()) == 1  # read back from the same place
    explicit = tmp_path / "explicit"
    code, out, err = run_cli(
        capsys, "--config", str(config), "--cache-dir", str(explicit), "articles", "--json"
    )
    assert code == 1 and "is empty" in err  # an empty cache, not the one from the environment
    assert (explicit / "cache.db").is_file()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_fetch_on_a_terminal_draws_a_progress_bar_then_a_table(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    import os
    import pty

    config, cache = setup
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "briefing", "--config", str(config), "--cache-dir", str(cache),
         "fetch", "--no-full-text"],
        stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, cwd=tmp_path,
        env={**os.environ, "COLUMNS": "100"},
    )  # fmt: skip
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the process closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "\r[" in screen and "3/3 feeds" in screen, screen  # the bar, redrawn in place
    table = screen[screen.rindex("3/3 feeds") :]
    header = next(line for line in table.splitlines() if line.startswith("FEED"))
    assert header.split() == ["FEED", "STATUS", "NEW", "UPD", "TIME", "NOTE"]
    rows = {
        line.split()[0]: line for line in table.splitlines() if line[:4] in ("Wire", "Trad", "Gone")
    }
    assert "new" in rows["Wire"] and "error" in rows["Gone"] and "HTTP 404" in rows["Gone"]
    assert "Traceback" not in screen


def test_global_options_also_work_after_the_command(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    config, cache = setup
    fetched = briefing("--config", str(config), "--cache-dir", str(cache), "fetch", "--no-full-text",
                       cwd=tmp_path)  # fmt: skip
    assert fetched.returncode == 0, fetched.stderr
    after = briefing("feeds", "--offline", "--config", str(config), "--cache-dir", str(cache),
                     cwd=tmp_path)  # fmt: skip
    assert after.returncode == 0, after.stderr
    assert "Wire" in after.stdout and "Gone" in after.stdout


def test_piped_tables_keep_long_notes_whole(setup: tuple[Path, Path], tmp_path: Path) -> None:
    import os

    config, cache = setup
    common = ("--config", str(config), "--cache-dir", str(cache))
    briefing(*common, "fetch", "--no-full-text", cwd=tmp_path)
    listed = subprocess.run(
        [sys.executable, "-m", "briefing", *common, "feeds"],
        capture_output=True, text=True, cwd=tmp_path, stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "40"},  # a narrow terminal, were this one
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    gone = next(line for line in listed.stdout.splitlines() if line.startswith("Gone"))
    assert "HTTP 404" in gone and "…" not in listed.stdout, listed.stdout


def test_a_page_step_that_stopped_says_why_in_the_totals() -> None:
    from briefing.cli import format_page_line
    from briefing.core.models import PageReport

    assert format_page_line(PageReport(fetched=2, elapsed=1.0)) == (
        "pages: 2 fetched, 0 failed, 0 skipped, 0 unchanged, 0 fresh (1.0 s)"
    )
    stopped = PageReport(error="cannot write the cache:\x1b[31m No space left on device")
    assert (
        format_page_line(stopped)
        == "pages: stopped: cannot write the cache: No space left on device"
    )
