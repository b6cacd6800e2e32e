"""Store faults with real files (issue 15, items 1 to 4): caches that cannot be written,
a cache deleted during a fetch, --rebuild-cache in bad places, and damaged records.

Read-only file systems and full disks are real: a tmpfs (a small one for a full
disk) mounted by the test, remounted read-only, or bound read-only over a
folder. That needs root (CAP_SYS_ADMIN), as in this sandbox and CI; elsewhere
those tests skip, and "read-only" is tested with permissions instead (which do
not stop root, so as root the read-only bind mount stands in for them).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cli_helpers import run_briefing
from _fetch_helpers import Reply, rss_feed, serve
from _store_helpers import assert_indexes_consistent

from briefing.core.store import Store, article_id

ROOT = os.geteuid() == 0


def _mount_works() -> bool:
    if not ROOT or shutil.which("mount") is None:
        return False
    import tempfile

    probe = Path(tempfile.mkdtemp(prefix="briefing-mount-probe-"))
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)],
                              capture_output=True)  # fmt: skip
        if done.returncode != 0:
            return False
        subprocess.run(["umount", str(probe)], check=False)
        return True
    finally:
        probe.rmdir()


MOUNT = _mount_works()
needs_mount = pytest.mark.skipif(not MOUNT, reason="mounting a tmpfs needs root here")


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "16m") -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@contextlib.contextmanager
def read_only_view(folder: Path) -> Iterator[None]:
    """``folder`` cannot be written while inside: read-only bind mount as root (where
    permissions do not stop writes), else permissions."""
    if ROOT:
        if not MOUNT:
            pytest.skip("a read-only bind mount needs root and mount(8)")
        mount("--bind", str(folder), str(folder))
        try:
            mount("-o", "remount,ro,bind", str(folder))
            yield
        finally:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        return
    modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
    for p in modes:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        yield
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def fill_up(folder: Path) -> None:
    """Fill the file system holding ``folder`` to its last byte."""
    with open(folder / "filler", "wb", buffering=0) as handle:
        for size in (65536, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    handle.write(b"\0" * size)


# --------------------------------------------------------------------------- a cache to break


def items(feed: str, count: int) -> list[dict[str, str]]:
    return [
        {
            "title": f"Anna&#8217;s Archive: {feed} report {n}",
            "link": f"https://{feed.lower()}.example.org/story/{n}",
            "guid": f"urn:{feed}:{n}",
            "pubDate": f"Fri, {1 + n % 28:02d} Jan 2026 09:30:00 +0000",
            "description": f"&lt;p&gt;Anna&#8217;s Archive filing {n} names 86 million"
            f" files and $13 trillion in damages. {'More words. ' * 200}&lt;/p&gt;",
        }
        for n in range(count)
    ]


FEEDS = ("Wire", "Trade", "Desk")


def write_config(folder: Path, base: str, feeds: tuple[str, ...] = FEEDS) -> Path:
    lines = [
        '[topic]\nname = "case"\nkeywords = ["Anna\'s Archive"]\n',
        "[settings]\ntimeout = 5\nretention_days = 36500\n",
    ]
    for name in feeds:
        lines.append(f'[[feeds]]\nname = "{name}"\nurl = "{base}/{name}.xml"\n')
    path = folder / "feeds.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@contextlib.contextmanager
def feed_site(count: int = 20, feeds: tuple[str, ...] = FEEDS) -> Iterator[str]:
    with serve() as server:
        for name in feeds:
            body = rss_feed(items(name, count), title=name)
            server.route(f"/{name}.xml", Reply(200, body, {"Content-Type": "application/rss+xml"}))
        yield server.base


def fetched_cache(folder: Path, count: int = 20) -> tuple[Path, Path, str]:
    """(config, cache) after a real `briefing fetch` of three local feeds; and the base
    URL, whose server is gone afterwards (later fetches fail as with no network)."""
    cache = folder / "cache"
    with feed_site(count) as base:
        config = write_config(folder, base)
        done = run_briefing("--config", str(config), "--cache-dir", str(cache), "fetch",
                            "--no-full-text", cwd=folder)  # fmt: skip
        assert done.returncode == 0, done.stderr
    return config, cache, base


def cli(config: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_briefing("--config", str(config), "--cache-dir", str(cache), *args,
                        cwd=config.parent)  # fmt: skip


def assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert "Traceback" not in done.stdout


READ_COMMANDS = (("articles",), ("feeds",), ("facts",), ("export",))
"""The read-only commands."""


def assert_readable_as_is(config: Path, cache: Path, why: str) -> None:
    """Every read-only command works, says why nothing can be saved, and advises no rebuild."""
    for command in READ_COMMANDS:
        done = cli(config, cache, "--offline", *command)
        assert_clean(done)
        assert done.returncode == 0, (command, done.stderr)
        assert why in done.stderr, (command, done.stderr)
        assert "cannot be read" not in done.stderr and "--rebuild-cache" not in done.stderr
        if command == ("articles",):
            assert done.stdout.count(" Archive: ") == 60


# --------------------------------------------------------------------------- 1: cannot be written


def test_a_read_only_cache_is_called_read_only_and_still_read(tmp_path: Path) -> None:
    config, cache, _ = fetched_cache(tmp_path)
    with read_only_view(cache):
        assert_readable_as_is(config, cache, "read-only")
        fetch = cli(config, cache, "fetch")
        assert_clean(fetch)
        assert fetch.returncode == 1
        assert "cannot fetch" in fetch.stderr and "read-only" in fetch.stderr
        assert "--rebuild-cache" not in fetch.stderr
        # Following the old advice anyway moves nothing and keeps every article.
        rebuilt = cli(config, cache, "--rebuild-cache", "feeds")
        assert_clean(rebuilt)
        assert rebuilt.returncode == 0 and "can be read; nothing to rebuild" in rebuilt.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("cache")) == [
        "cache",
        "cache.lock",
    ]
    with Store(cache) as store:
        assert store.count_articles() == 60 and not store.read_only


@needs_mount
def test_a_cache_on_a_read_only_file_system(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk") as disk:
        config, cache, _ = fetched_cache(disk)
        config = Path(shutil.copy(config, tmp_path / "feeds.toml"))
        mount("-o", "remount,ro", str(disk))
        assert_readable_as_is(config, cache, "read-only file system")
        fetch = cli(config, cache, "fetch")
        assert_clean(fetch)
        assert fetch.returncode == 1 and "read-only file system" in fetch.stderr
        rebuilt = cli(config, cache, "--rebuild-cache", "articles")
        assert_clean(rebuilt)
        assert rebuilt.returncode == 0 and "nothing to rebuild" in rebuilt.stderr
        assert rebuilt.stdout.count(" Archive: ") == 60
        repaired = cli(config, cache, "--repair-cache", "articles")
        assert_clean(repaired)
        assert repaired.returncode == 1
        assert "cannot repair" in repaired.stderr and "read-only file system" in repaired.stderr
        assert sorted(p.name for p in disk.iterdir()) == ["cache", "cache.lock", "feeds.toml"]


@needs_mount
def test_a_full_disk_is_called_full_and_the_cache_still_read(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", size="8m") as disk:
        config, cache, _ = fetched_cache(disk)
        config = Path(shutil.copy(config, tmp_path / "feeds.toml"))
        fill_up(disk)
        for command in READ_COMMANDS:
            done = cli(config, cache, "--offline", *command)
            assert_clean(done)
            assert done.returncode == 0, (command, done.stderr)
            assert "cannot be read" not in done.stderr and "--rebuild-cache" not in done.stderr
            if command == ("articles",):
                assert done.stdout.count(" Archive: ") == 60
        with feed_site(21) as base:  # one new article in each feed
            config = write_config(tmp_path, base)
            fetch = cli(config, cache, "fetch", "--no-full-text")
        assert_clean(fetch)
        assert fetch.returncode == 1
        assert "is full" in fetch.stderr and str(cache) in fetch.stderr, fetch.stderr
        assert "cannot be read" not in fetch.stderr and "--rebuild-cache" not in fetch.stderr
        repaired = cli(config, cache, "--repair-cache", "feeds")  # no room for a copy
        assert_clean(repaired)
        assert repaired.returncode == 1
        assert not [p for p in disk.iterdir() if ".repairing-" in p.name or ".damaged-" in p.name]
        (disk / "filler").unlink()
        with Store(cache) as store:
            assert store.count_articles() == 60
            assert_indexes_consistent(store)


def test_the_reader_opens_a_read_only_cache_with_a_notice_and_keeps_marks_in_memory(
    tmp_path: Path,
) -> None:
    from briefing.core.config import load_config
    from briefing.core.service import BriefingService

    config, cache, _ = fetched_cache(tmp_path)
    with read_only_view(cache):
        store = Store(cache)
        try:
            assert store.read_only
            service = BriefingService(load_config(config), store)
            assert "Read-only" in service.notice and "not saved" in service.notice
            first = service.headers()[0]
            service.set_read([first.id], True)
            service.set_starred([first.id], True)
            assert service.headers()[0].read and service.articles()[0].starred
            assert sum(s.unread for s in service.sources()) == 59
            # The reader reads the cache in a thread of its own (its preload).
            found: list[int] = []
            reader = threading.Thread(target=lambda: found.append(len(service.articles())))
            reader.start()
            reader.join()
            assert found == [60]
        finally:
            store.close()
    with Store(cache) as store:
        assert not store.flags()  # nothing was written


async def test_the_reader_on_a_read_only_cache_says_so_and_never_calls_it_the_sample(
    tmp_path: Path,
) -> None:
    from briefing.core.config import load_config
    from briefing.core.service import BriefingService
    from briefing.ui.app import BriefingApp

    config, cache, _ = fetched_cache(tmp_path)
    with read_only_view(cache):
        store = Store(cache)
        try:
            service = BriefingService(load_config(config), store)
            app = BriefingApp(service, cache_dir=cache, export_dir=tmp_path)
            async with app.run_test(size=(120, 40)) as pilot:
                for _ in range(500):
                    if app._notifications:
                        break
                    await pilot.pause(0.02)
                shown = [(n.title, n.message) for n in app._notifications]
                assert ("READ-ONLY CACHE", service.notice) in shown, shown
                assert not any(title == "SAMPLE" for title, _ in shown)
        finally:
            store.close()


# --------------------------------------------------------------------------- 2: deleted during a fetch


def test_a_cache_deleted_during_a_fetch_is_a_failure(tmp_path: Path) -> None:
    feeds = tuple(f"F{n:02d}" for n in range(40))
    for attempt in range(3):
        folder = tmp_path / f"run{attempt}"
        folder.mkdir()
        cache = folder / "cache"
        with serve() as server:

            def slow(_request: object, name: str = "") -> Reply:
                time.sleep(0.15)
                return Reply(200, rss_feed(items(name, 5), title=name))

            for name in feeds:
                server.route(f"/{name}.xml", lambda r, n=name: slow(r, n))
            config = write_config(folder, server.base, feeds)
            config.write_text(
                config.read_text().replace("timeout = 5", "timeout = 5\nconcurrency = 2")
            )
            deleter = threading.Thread(target=_delete_when_stored, args=(cache,))
            deleter.start()
            done = cli(config, cache, "fetch", "--no-full-text")
            deleter.join()
        assert_clean(done)
        assert done.returncode == 1, (done.stdout, done.stderr)
        assert "deleted or replaced" in done.stderr, done.stderr
        assert "0 failed" not in done.stdout + done.stderr


def _delete_when_stored(cache: Path) -> None:
    deadline = time.monotonic() + 20
    from briefing.core.store import StoreError

    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, StoreError):
            store = Store(cache, read_only=True)
            stored = store.count_articles()
            store.close()
            if stored >= 10:
                shutil.rmtree(cache)
                return
        time.sleep(0.05)
    raise AssertionError("the fetch never stored 10 articles")


# --------------------------------------------------------------------------- 3: --rebuild-cache


def test_rebuild_cache_leaves_an_ordinary_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    path.write_text("my notes, not a cache\n")
    config = write_config(tmp_path, "https://feeds.invalid")
    for flags in ((), ("--rebuild-cache",), ("--repair-cache",)):
        done = cli(config, path, *flags, "articles")
        assert_clean(done)
        assert done.returncode == 2  # a usage error: the path given is not a folder
        assert f"{path} is a file, not a folder" in done.stderr
        assert "--rebuild-cache" not in done.stderr.replace(" ".join(flags), "")
    assert path.read_text() == "my notes, not a cache\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "feeds.toml"]


@needs_mount
def test_rebuild_cache_on_a_read_only_file_system_and_where_nothing_can_be_made(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, "https://feeds.invalid")
    with tmpfs(tmp_path / "disk") as disk:
        (disk / "broken").mkdir()
        (disk / "broken" / "cache.db").write_bytes(b"garbage" * 1000)
        (disk / "parent").mkdir()
        mount("-o", "remount,ro", str(disk))
        cases = {
            "an unreadable cache on a read-only file system": disk / "broken",
            "a cache folder that cannot be made": disk / "parent" / "cache",
            "neither folder nor parent writable": disk / "parent" / "deeper" / "cache",
        }
        for what, cache in cases.items():
            for flags in (("--rebuild-cache",), ("--repair-cache",), ()):
                done = cli(config, cache, *flags, "feeds")
                assert_clean(done)
                assert done.returncode == 1, (what, flags, done.stderr)
                assert str(cache) in done.stderr, (what, done.stderr)
        assert (disk / "broken" / "cache.db").read_bytes() == b"garbage" * 1000


def test_rebuild_cache_where_the_folder_cannot_be_made_without_root(tmp_path: Path) -> None:
    if ROOT:
        pytest.skip("permissions do not stop root (the tmpfs test covers this as root)")
    config = write_config(tmp_path, "https://feeds.invalid")
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        done = cli(config, parent / "cache", "--rebuild-cache", "feeds")
        assert_clean(done)
        assert done.returncode == 1 and "Permission denied" in done.stderr
    finally:
        parent.chmod(0o755)


# --------------------------------------------------------------------------- 4: damaged records


def damage_article_records(cache: Path, ids: list[str]) -> None:
    """Overwrite article records with bytes that are valid SQLite but bad zlib."""
    connection = sqlite3.connect(cache / "cache.db")
    with connection:
        for identifier in ids:
            changed = connection.execute(
                "UPDATE Cache SET value = ? WHERE key = ?",
                (b"x\x9c" + os.urandom(200), f"a:{identifier}"),
            ).rowcount
            assert changed == 1
    connection.close()


def test_damaged_records_are_skipped_reported_and_recovered_by_the_next_fetch(
    tmp_path: Path,
) -> None:
    config, cache, _ = fetched_cache(tmp_path)
    damaged = [article_id("Wire", "urn:Wire:3"), article_id("Desk", "urn:Desk:7"),
               article_id("Desk", "urn:Desk:8")]  # fmt: skip
    damage_article_records(cache, damaged)
    for command in READ_COMMANDS:
        done = cli(config, cache, "--offline", *command)
        assert_clean(done)
        assert done.returncode == 0, (command, done.stderr)
        if command == ("export",):  # it reads the articles' bodies
            assert "3 damaged records" in done.stderr and "--repair-cache" in done.stderr
    with Store(cache) as store:
        assert len(store.load_articles()) == 57 and len(store.damaged) == 3
    with feed_site() as base:
        config = write_config(tmp_path, base)
        fetch = cli(config, cache, "fetch", "--no-full-text")
    assert_clean(fetch)
    assert fetch.returncode == 0, fetch.stderr
    with Store(cache) as store:
        assert len(store.load_articles()) == 60 and not store.damaged
        assert_indexes_consistent(store)


def test_repair_cache_keeps_everything_still_readable(tmp_path: Path) -> None:
    config, cache, _ = fetched_cache(tmp_path)
    with Store(cache) as store:
        store.set_flags([article_id("Wire", "urn:Wire:1")], read=True)
        store.set_flags([article_id("Trade", "urn:Trade:2")], starred=True)
        state = store.feed_state("Wire")
    damage_article_records(cache, [article_id("Desk", "urn:Desk:1")])
    repaired = cli(config, cache, "--repair-cache", "feeds")
    assert_clean(repaired)
    assert repaired.returncode == 0, repaired.stderr
    assert "copied 59 readable articles" in repaired.stderr
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("cache.damaged-")]
    assert len(aside) == 1 and (aside[0] / "cache.db").exists()
    with Store(cache) as store:
        articles = {a.id: a for a in store.load_articles()}
        assert len(articles) == 59 and not store.damaged
        assert articles[article_id("Wire", "urn:Wire:1")].read
        assert articles[article_id("Trade", "urn:Trade:2")].starred
        assert store.feed_state("Wire") == state  # ETag and all
        assert_indexes_consistent(store)


def test_random_bytes_in_the_middle_of_the_database(tmp_path: Path) -> None:
    config, cache, _ = fetched_cache(tmp_path, count=100)
    database = cache / "cache.db"
    size = database.stat().st_size
    assert size > 250_000
    noise = random.Random(15).randbytes(65536)
    with open(database, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(noise)
    outcomes = {}
    for command in READ_COMMANDS:
        done = cli(config, cache, "--offline", *command)
        assert_clean(done)
        outcomes[command] = done
        if done.returncode != 0:
            assert "--repair-cache" in done.stderr or "--rebuild-cache" in done.stderr
    assert outcomes[("feeds",)].returncode == 0  # the feeds' records are elsewhere
    repaired = cli(config, cache, "--repair-cache", "articles")
    assert_clean(repaired)
    assert repaired.returncode == 0, repaired.stderr
    with Store(cache) as store:
        kept = store.count_articles()
        assert 100 <= kept < 300, kept  # the damaged pages' records are gone, the rest kept
        assert len(store.load_articles()) == kept and not store.damaged
        assert_indexes_consistent(store)
    again = cli(config, cache, "--offline", "facts")
    assert_clean(again)
    assert again.returncode == 0 and "damaged" not in again.stderr
