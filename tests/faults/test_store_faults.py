"""Store faults with real files (issue 15, items 1 to 4): caches that cannot be written,
a cache deleted during a fetch, --rebuild-cache in bad places, and damaged records.

Read-only file systems and full disks are real: a small file system mounted by
the test (``scratch_disk``), filled to its last byte or remounted read-only, or
a folder bound read-only over itself. The file system is the first of these
that mounts here (``DISK_MODES``, probed once when the module is imported):

- a tmpfs, which needs root (CAP_SYS_ADMIN), as in this sandbox and CI;
- else a small ext4 image in a file (``mkfs.ext4 -m 0``: no blocks kept for root,
  so a full disk is full whoever writes) mounted through a loop device (root);
- else the same image mounted by fuse2fs, in user space, which works without
  root where this user may open /dev/fuse and there is fusermount (read-only:
  unmounted, then mounted again with ``-o ro -r``).

If none mounts, those tests skip and say what was tried. The image modes are
also run on their own (``test_a_full_then_read_only_image``), so a machine
where a tmpfs mounts, such as CI, tests the fallback too: each skips only where
its mode lacks a tool, a device or root (as root, fuse2fs is installed with
apt-get if missing), and fails if the mount fails all the same.
``BRIEFING_TEST_DISKS`` (e.g. ``loop,fuse2fs``) sets which modes the other tests
try, and in what order.

Without root, "read-only" is also tested with permissions (which do not stop
root, so as root the read-only bind mount stands in for them).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import random
import shutil
import sqlite3
import subprocess
import tempfile
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
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
"""mkfs.ext4 lives in /sbin, which is not on every user's PATH."""

DISK_MODES = ("tmpfs", "loop", "fuse2fs")
"""How ``scratch_disk`` makes a file system, in the order tried."""


def tool(name: str) -> str | None:
    return shutil.which(name, path=SBIN_PATH)


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


def _unmount(path: Path, *, fuse: bool = False, lazy: bool = True) -> None:
    """Unmount ``path``; if it is still busy, lazily (or raise, if not ``lazy``)."""
    # A Store this process opened on a read-only file system can leave its failed
    # connections in reference cycles (diskcache's, opening it for writing) until collected.
    gc.collect()
    fusermount = tool("fusermount") if fuse and not ROOT else None
    command = [fusermount, "-u"] if fusermount else ["umount"]
    done = subprocess.run([*command, str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        if not lazy:
            raise OSError(f"cannot unmount {path}: {done.stderr.strip()}")
        subprocess.run([*command, "-z" if fusermount else "-l", str(path)], capture_output=True)


@functools.cache
def _install_fuse2fs() -> str:
    """apt-get install fuse2fs (root, Debian), as the browser test installs chromium;
    returns why it failed, or ''."""
    if not ROOT or shutil.which("apt-get") is None:
        return "fuse2fs is not installed (Debian: apt-get install fuse2fs)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "fuse2fs"]
    for commands in ([install], [["apt-get", "update", "-qq"], install]):
        if all(
            subprocess.run(c, capture_output=True, env=env, timeout=600).returncode == 0
            for c in commands
        ):
            break
    return "" if tool("fuse2fs") else "fuse2fs is not installed, and apt-get could not install it"


def _missing(mode: str) -> str:
    """What ``mode`` needs that this machine lacks; '' when nothing is."""
    if mode not in DISK_MODES:
        raise ValueError(f"no such disk mode: {mode!r} (one of {', '.join(DISK_MODES)})")
    if mode in ("tmpfs", "loop") and not ROOT:
        return "mounting a tmpfs needs root" if mode == "tmpfs" else "a loop device needs root"
    if shutil.which("mount") is None:
        return "there is no mount(8)"
    if mode == "tmpfs":
        return ""
    if tool("mkfs.ext4") is None:
        return "there is no mkfs.ext4 (e2fsprogs)"
    if mode == "loop":
        return "" if Path("/dev/loop-control").exists() else "there is no /dev/loop-control"
    if not Path("/dev/fuse").exists():
        return "there is no /dev/fuse"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):  # libfuse opens it before fusermount
        return "this user may not open /dev/fuse"
    if not ROOT and tool("fusermount") is None:
        return "there is no fusermount (without root, fuse2fs needs it)"
    return "" if tool("fuse2fs") else _install_fuse2fs()


class ScratchDisk:
    """A small file system mounted at ``path`` (see ``DISK_MODES``)."""

    def __init__(self, path: Path, mode: str, megabytes: int) -> None:
        self.path = path
        self.mode = mode
        self.image = path.with_name(f"{path.name}.img")
        self._fuse: subprocess.Popen[bytes] | None = None
        path.mkdir(parents=True, exist_ok=True)
        if mode == "tmpfs":
            mount("-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path))
            return
        with open(self.image, "wb") as handle:
            handle.truncate(megabytes * 1024 * 1024)
        subprocess.run(
            [str(tool("mkfs.ext4")), "-q", "-F", "-m", "0",
             "-E", f"root_owner={os.getuid()}:{os.getgid()}", str(self.image)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        self._mount_image(read_only=False)
        try:
            (path / "lost+found").rmdir()  # the tests list what is on the disk
        except OSError:
            self.unmount()
            raise

    def _mount_image(self, *, read_only: bool) -> None:
        if self.mode == "loop":  # made read-only with a remount
            mount("-o", "loop", str(self.image), str(self.path))
            return
        # In the foreground, so that unmounting can wait for it to write the image out.
        # fuse2fs keeps "-o ro" to itself; FUSE's "-r" makes the mount read-only too, as
        # statvfs(2) tells it (ST_RDONLY), which is how briefing tells a read-only file system.
        log = self.image.with_suffix(".log")
        with open(log, "wb") as output:
            self._fuse = subprocess.Popen(
                [str(tool("fuse2fs")), str(self.image), str(self.path), "-f",
                 *(["-o", "ro", "-r"] if read_only else [])],
                stdin=subprocess.DEVNULL, stdout=output, stderr=output,
            )  # fmt: skip
        deadline = time.monotonic() + 10
        while not os.path.ismount(self.path):
            if self._fuse.poll() is not None or time.monotonic() > deadline:
                self._stop_fuse()
                raise OSError(f"fuse2fs did not mount the image: {log.read_text().strip()}")
            time.sleep(0.01)

    def _stop_fuse(self, *, lazy: bool = True) -> None:
        if self._fuse is None:
            return
        if os.path.ismount(self.path):
            _unmount(self.path, fuse=True, lazy=lazy)
        try:
            self._fuse.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._fuse.kill()
            self._fuse.wait()
        self._fuse = None

    def remount_read_only(self) -> None:
        if self.mode == "fuse2fs":  # fuse2fs cannot be remounted: it is mounted anew
            self._stop_fuse(lazy=False)
            self._mount_image(read_only=True)
        else:
            mount("-o", "remount,ro", str(self.path))

    def unmount(self) -> None:
        if self.mode == "fuse2fs":
            self._stop_fuse()
        else:
            _unmount(self.path)
        self.image.unlink(missing_ok=True)
        self.image.with_suffix(".log").unlink(missing_ok=True)


def _problem(mode: str) -> str:
    """Why a small file system cannot be mounted in ``mode`` here; '' when it can."""
    missing = _missing(mode)
    if missing:
        return missing
    with tempfile.TemporaryDirectory(prefix="briefing-mount-probe-") as folder:
        try:
            ScratchDisk(Path(folder) / "disk", mode, 2).unmount()
        except (OSError, subprocess.SubprocessError) as error:
            stderr = getattr(error, "stderr", None)
            return f"{mode} failed: {(stderr or str(error)).strip()}"
    return ""


def _wanted_modes() -> tuple[str, ...]:
    wanted = os.environ.get("BRIEFING_TEST_DISKS", "")
    return tuple(m.strip() for m in wanted.split(",") if m.strip()) or DISK_MODES


def _first_disk_mode() -> tuple[str | None, str]:
    """The first mode that mounts here, or None and what was tried."""
    tried = []
    for mode in _wanted_modes():
        problem = TMPFS_PROBLEM if mode == "tmpfs" else _problem(mode)
        if not problem:
            return mode, ""
        tried.append(f"{mode}: {problem}")
    return None, "; ".join(tried)


TMPFS_PROBLEM = _problem("tmpfs")
"""Also whether a read-only bind mount can be made (root, and the kernel lets us mount)."""
DISK_MODE, DISK_TRIED = _first_disk_mode()
needs_disk = pytest.mark.skipif(
    DISK_MODE is None, reason=f"no small file system could be mounted here ({DISK_TRIED})"
)


@contextlib.contextmanager
def scratch_disk(path: Path, megabytes: int = 16, mode: str | None = None) -> Iterator[ScratchDisk]:
    """A small file system mounted at ``path``: the first that mounts here, or the one
    ``mode`` names (the test skips when this machine lacks what it needs)."""
    if mode is None:
        assert DISK_MODE is not None, "mark the test with needs_disk"
        mode = DISK_MODE
    elif missing := _missing(mode):
        pytest.skip(f"{mode}: {missing}")
    disk = ScratchDisk(path, mode, megabytes)
    try:
        yield disk
    finally:
        disk.unmount()


@contextlib.contextmanager
def read_only_view(folder: Path) -> Iterator[None]:
    """``folder`` cannot be written while inside: read-only bind mount as root (where
    permissions do not stop writes), else permissions."""
    if ROOT:
        if TMPFS_PROBLEM:
            pytest.skip(f"a read-only bind mount needs what a tmpfs does: {TMPFS_PROBLEM}")
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
    assert "Traceback" not in done.stdout, done.stdout


READ_COMMANDS = (("articles",), ("feeds",), ("facts",), ("export",))
"""The read-only commands."""


def assert_readable_as_is(
    config: Path, cache: Path, why: str, commands: tuple[tuple[str, ...], ...] = READ_COMMANDS
) -> None:
    """Every read-only command works, says why nothing can be saved, and advises no rebuild."""
    for command in commands:
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


def assert_fetch_refused_on_a_read_only_file_system(config: Path, cache: Path) -> None:
    fetch = cli(config, cache, "fetch")
    assert_clean(fetch)
    assert fetch.returncode == 1 and "read-only file system" in fetch.stderr, fetch.stderr


def assert_full_and_still_read(
    config: Path, cache: Path, commands: tuple[tuple[str, ...], ...] = READ_COMMANDS
) -> Path:
    """On a full disk the read-only commands work and a fetch with news says the disk is
    full; returns the config of that fetch (its server gone)."""
    for command in commands:
        done = cli(config, cache, "--offline", *command)
        assert_clean(done)
        assert done.returncode == 0, (command, done.stderr)
        assert "cannot be read" not in done.stderr and "--rebuild-cache" not in done.stderr
        if command == ("articles",):
            assert done.stdout.count(" Archive: ") == 60
    with feed_site(21) as base:  # one new article in each feed
        config = write_config(config.parent, base)
        fetch = cli(config, cache, "fetch", "--no-full-text")
    assert_clean(fetch)
    assert fetch.returncode == 1
    assert "is full" in fetch.stderr and str(cache) in fetch.stderr, fetch.stderr
    assert "cannot be read" not in fetch.stderr and "--rebuild-cache" not in fetch.stderr
    return config


def assert_all_60_kept(cache: Path) -> None:
    with Store(cache) as store:
        assert store.count_articles() == 60
        assert_indexes_consistent(store)


@needs_disk
def test_a_cache_on_a_read_only_file_system(tmp_path: Path) -> None:
    with scratch_disk(tmp_path / "disk") as disk:
        config, cache, _ = fetched_cache(disk.path)
        config = Path(shutil.copy(config, tmp_path / "feeds.toml"))
        disk.remount_read_only()
        assert_readable_as_is(config, cache, "read-only file system")
        assert_fetch_refused_on_a_read_only_file_system(config, cache)
        rebuilt = cli(config, cache, "--rebuild-cache", "articles")
        assert_clean(rebuilt)
        assert rebuilt.returncode == 0 and "nothing to rebuild" in rebuilt.stderr
        assert rebuilt.stdout.count(" Archive: ") == 60
        repaired = cli(config, cache, "--repair-cache", "articles")
        assert_clean(repaired)
        assert repaired.returncode == 1
        assert "cannot repair" in repaired.stderr and "read-only file system" in repaired.stderr
        assert sorted(p.name for p in disk.path.iterdir()) == [
            "cache",
            "cache.lock",
            "feeds.toml",
        ]


@needs_disk
def test_a_full_disk_is_called_full_and_the_cache_still_read(tmp_path: Path) -> None:
    with scratch_disk(tmp_path / "disk", 8) as disk:
        config, cache, _ = fetched_cache(disk.path)
        config = Path(shutil.copy(config, tmp_path / "feeds.toml"))
        fill_up(disk.path)
        config = assert_full_and_still_read(config, cache)
        repaired = cli(config, cache, "--repair-cache", "feeds")  # no room for a copy
        assert_clean(repaired)
        assert repaired.returncode == 1
        assert not [
            p for p in disk.path.iterdir() if ".repairing-" in p.name or ".damaged-" in p.name
        ]
        (disk.path / "filler").unlink()
        assert_all_60_kept(cache)


def test_a_file_sqlite_cannot_create_on_a_full_disk_is_called_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite says only "unable to open database file" when it cannot create its -wal on a
    full file system that refuses new files too (fuse2fs does; ext4 and tmpfs do not)."""
    from briefing.core import cachefile

    error = sqlite3.OperationalError("unable to open database file")
    error.sqlite_errorname = "SQLITE_CANTOPEN"
    for free, writable, fault, said in [
        (0, True, cachefile.Fault.DISK_FULL, "is full (0 bytes free)"),
        (10**9, True, cachefile.Fault.READ_ONLY, "this user may not write there"),
        (0, False, cachefile.Fault.READ_ONLY, "this user may not write there"),
    ]:
        monkeypatch.setattr(cachefile, "_free_bytes", lambda _directory, n=free: n)
        monkeypatch.setattr(cachefile.os, "access", lambda _path, _mode, w=writable: w)
        described = cachefile.write_fault(tmp_path, error)
        monkeypatch.undo()
        assert described is not None and described[0] == fault, (free, writable, described)
        assert said in described[1], described


@pytest.mark.parametrize("mode", ["loop", "fuse2fs"])
def test_a_full_then_read_only_image(tmp_path: Path, mode: str) -> None:
    """The fallback for where a tmpfs cannot be mounted, forced: the two tests above,
    shortened (one read command), on an ext4 image mounted in ``mode``."""
    with scratch_disk(tmp_path / "disk", 8, mode=mode) as disk:
        config, cache, _ = fetched_cache(disk.path)
        config = Path(shutil.copy(config, tmp_path / "feeds.toml"))
        fill_up(disk.path)
        # Nothing left for this user, root or not (mkfs -m 0 keeps no blocks for root; what
        # statvfs still counts free is ext4's for its own metadata, or fuse2fs's reserve).
        assert os.statvfs(disk.path).f_bavail == 0
        config = assert_full_and_still_read(config, cache, commands=(("articles",),))
        (disk.path / "filler").unlink()
        assert_all_60_kept(cache)
        disk.remount_read_only()
        with pytest.raises(OSError, match="Read-only file system"):
            (disk.path / "probe").touch()
        assert_readable_as_is(config, cache, "read-only file system", commands=(("articles",),))
        assert_fetch_refused_on_a_read_only_file_system(config, cache)
        assert_all_60_kept(cache)


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


@needs_disk
def test_rebuild_cache_on_a_read_only_file_system_and_where_nothing_can_be_made(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, "https://feeds.invalid")
    with scratch_disk(tmp_path / "disk") as mounted:
        disk = mounted.path
        (disk / "broken").mkdir()
        (disk / "broken" / "cache.db").write_bytes(b"garbage" * 1000)
        (disk / "parent").mkdir()
        mounted.remount_read_only()
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
        pytest.skip("permissions do not stop root (the read-only mount test covers this as root)")
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
