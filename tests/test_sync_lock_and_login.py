"""The sync lock across processes, a Google Reader token refused right after a
fresh login, and a feeds.toml whose only source is the server (issue 13, items
5, 7 and 3), against the real Miniflux of ``_sync_server``."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from _sync_server import (
    TOPIC,
    Reader,
    RecordingTransport,
    ServerAccount,
    local,
    reader_for,
    server_entries,
    story_feed,
    titles,
)

from briefing.core.config import load_config
from briefing.core.models import FetchStatus, RefreshSummary
from briefing.core.store import Store
from briefing.core.sync.account import Account
from briefing.core.sync.engine import LOCK_SECONDS, ServerSync

LOCKED = "sync: another briefing is syncing with this server now; try again soon"


@pytest.fixture
def live_pid() -> Iterator[int]:
    """The pid of another process that is alive (and not this one)."""
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        yield sleeper.pid
    finally:
        sleeper.kill()
        sleeper.wait()


def dead_pid() -> int:
    """The pid of a process that ran, exited and was reaped."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def lock_key(reader: Reader) -> str:
    server_sync = reader.service.server_sync
    assert server_sync is not None
    return f"sync:{server_sync.account.key}:lock"


def hold_lock(reader: Reader, pid: int, since: float | None = None) -> dict[str, Any]:
    """What another briefing's refresh writes while it syncs."""
    record = {"pid": pid, "since": time.time() if since is None else since}
    reader.service.store.put_records({lock_key(reader): record})
    return record


def recorded(reader: Reader) -> RecordingTransport:
    """The reader's sync, from now on through a transport that logs each request."""
    recording = RecordingTransport()
    service = reader.service
    service.server_sync = ServerSync(service.config, service.store, transport=recording)
    return recording


def synced_with_marks(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch, backend: str
) -> tuple[Reader, list[str]]:
    """Synced once; then a mark made here (queued) and one made on the server."""
    account.subscribe("/wire.rss", story_feed("wire", 4))
    reader = reader_for(tmp_path, account, backend, monkeypatch)
    first = reader.refresh()
    assert first.sync is not None and first.sync.error is None, first.sync
    names = titles(account, "wire")
    reader.service.set_read([reader.ids()[names[0]]], True)
    account.set_status([int(server_entries(account)[names[1]]["id"])], "read")
    return reader, names


def sync_error_lines(summary: RefreshSummary) -> list[str]:
    return [r.error or "" for r in summary.results if r.status is FetchStatus.ERROR]


# --------------------------------------------------------------------------- the lock


def test_a_second_sync_while_a_live_process_holds_the_lock_changes_nothing(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch, live_pid: int
) -> None:
    reader, names = synced_with_marks(tmp_path, account, monkeypatch, "miniflux")
    held = hold_lock(reader, live_pid)
    status_before = reader.service.server_sync.status()  # type: ignore[union-attr]
    recording = recorded(reader)
    summary = reader.refresh()
    assert summary.sync is not None and summary.sync.error == LOCKED
    assert sync_error_lines(summary) == [LOCKED]  # one line, the only result
    assert summary.sync.marks_queued == 1  # the mark made here waits, and is said to
    assert recording.calls == []  # not one request to the server
    server_sync = reader.service.server_sync
    assert server_sync is not None
    assert server_sync.status() == status_before  # no attempt recorded, nothing queued anew
    assert reader.service.store.get_record(lock_key(reader)) == held  # still the other's
    assert server_entries(account)[names[0]]["status"] == "unread"  # not sent
    assert local(reader, names[1]) == (False, False)  # not pulled
    assert len(reader.articles()) == 4
    reader.close()


@pytest.mark.parametrize("holder", ["dead pid", "older than LOCK_SECONDS", "clock set back"])
def test_a_lock_of_a_dead_process_or_too_old_is_taken_over(
    tmp_path: Path,
    account: ServerAccount,
    monkeypatch: pytest.MonkeyPatch,
    live_pid: int,
    holder: str,
) -> None:
    reader, names = synced_with_marks(tmp_path, account, monkeypatch, "greader")
    if holder == "dead pid":
        hold_lock(reader, dead_pid())
    elif holder == "older than LOCK_SECONDS":
        hold_lock(reader, live_pid, since=time.time() - LOCK_SECONDS - 5)
    else:  # taken, then the clock went back an hour: as old as it was, not fresh
        hold_lock(reader, live_pid, since=time.time() + 3600)
    summary = reader.refresh()
    assert summary.sync is not None and summary.sync.error is None, summary.sync
    assert summary.sync.marks_pushed == 1 and summary.sync.marks_pulled == 1
    assert server_entries(account)[names[0]]["status"] == "read"
    assert local(reader, names[1]) == (True, False)
    assert reader.service.store.get_record(lock_key(reader)) is None  # let go at the end
    reader.close()


def test_a_sync_whose_stale_lock_was_taken_over_leaves_the_new_holders_lock(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch, live_pid: int
) -> None:
    """A refresh that hung past LOCK_SECONDS and was taken over by another briefing
    must not, when it wakes and ends, delete the lock that other one now holds:
    a third would then sync at the same time and send the same marks again."""
    reader, _names = synced_with_marks(tmp_path, account, monkeypatch, "miniflux")
    service = reader.service
    store_outcome = service._store_outcome
    taken: list[dict[str, Any]] = []

    def taken_over_meanwhile(*args: Any, **kwargs: Any) -> Any:
        if not taken:
            taken.append(hold_lock(reader, live_pid))
        return store_outcome(*args, **kwargs)

    monkeypatch.setattr(service, "_store_outcome", taken_over_meanwhile)
    summary = reader.refresh()
    assert summary.sync is not None and summary.sync.error is None, summary.sync
    assert taken and service.store.get_record(lock_key(reader)) == taken[0]
    assert reader.refresh().sync.error == LOCKED  # type: ignore[union-attr]
    reader.close()


# --------------------------------------------------------------------------- the token


class HookedTransport(RecordingTransport):
    """The real transport; ``before(path)`` runs just before each request is sent."""

    def __init__(self, before: Callable[[str], None]) -> None:
        super().__init__()
        self.before = before

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Any:
        from urllib.parse import urlsplit

        self.before(urlsplit(url).path)
        return super().request(method, url, headers, body)


@pytest.mark.parametrize("change", ["API switched off", "password changed"])
@pytest.mark.parametrize("needed_for", ["new entries", "marks to send"])
def test_a_token_refused_right_after_a_fresh_login_says_what_to_do(
    tmp_path: Path,
    account: ServerAccount,
    monkeypatch: pytest.MonkeyPatch,
    change: str,
    needed_for: str,
) -> None:
    """The login is accepted; before the ``T`` token is asked for, the user switches
    the Google Reader API off (or changes its password) in Miniflux's settings."""
    reader, names = synced_with_marks(tmp_path, account, monkeypatch, "greader")
    if needed_for == "new entries":  # the token is first needed to read their bodies
        account.update_feed("/wire.rss", story_feed("wire", 6))
    reader.close()
    reader = Reader(reader.folder, reader.config_path)  # a new process: a fresh login
    changed: list[str] = []

    def between_login_and_token(path: str) -> None:
        if path.endswith("/reader/api/0/token") and not changed:
            changed.append(path)
            if change == "API switched off":
                account.set_greader(enabled=False)
            else:
                account.set_greader(enabled=True, password="a-new-password")

    transport = HookedTransport(between_login_and_token)
    service = reader.service
    service.server_sync = ServerSync(service.config, service.store, transport=transport)
    summary = reader.refresh()
    assert changed, transport.paths()
    assert transport.paths()[0] == "/accounts/ClientLogin"
    assert summary.sync is not None and summary.sync.error is not None
    error = summary.sync.error
    assert sync_error_lines(summary) == [error]
    assert "\n" not in error and "Traceback" not in error
    assert f"refused the login of '{account.greader_username}'" in error, error
    assert "Settings > Integrations > Google Reader" in error
    assert account.greader_password not in error and "a-new-password" not in error
    # The mark made here is still queued; nothing the server did was half-applied.
    assert summary.sync.marks_queued == 1
    assert server_entries(account)[names[0]]["status"] == "unread"
    # The cache works offline.
    reader.close()
    offline = Reader(reader.folder, reader.config_path)
    assert len(offline.articles()) == 4
    assert local(offline, names[0]) == (True, False)
    offline.close()
    # Switched on again with the password briefing holds: the queued mark goes out.
    account.set_greader(enabled=True)
    again = Reader(reader.folder, reader.config_path)
    back = again.refresh()
    assert back.sync is not None and back.sync.error is None, back.sync
    assert back.sync.marks_pushed == 1 and back.sync.marks_queued == 0
    assert server_entries(account)[names[0]]["status"] == "read"
    again.close()


# --------------------------------------------------------------------------- feeds = []


def test_sync_with_an_empty_feeds_list_loads_and_fetches_through_the_cli(
    tmp_path: Path, account: ServerAccount, live_pid: int
) -> None:
    account.subscribe("/wire.rss", story_feed("wire", 3))
    sync_table, secret = account.sync_table("miniflux")
    config = tmp_path / "feeds.toml"
    # A top-level key, so before the first table.
    config.write_text("feeds = []\n\n" + TOPIC + "\n" + sync_table, encoding="utf-8")
    loaded = load_config(config)
    assert loaded.feeds == () and loaded.sync is not None
    # The installed `briefing` command (the console script), as a user runs it.
    script = Path(sys.executable).with_name("briefing")
    assert script.exists(), script
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BRIEFING_TEST_SYNC_SECRET": secret}
    cache = tmp_path / "cache"

    def briefing(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), "--config", str(config), "--cache-dir", str(cache), *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            env=env,
            timeout=120,
        )

    done = briefing("fetch", "--no-full-text")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Wire Desk: new (3 new, 0 updated)" in done.stdout
    assert f"sync: {account.server.url} (Miniflux API): 1 feed, 3 new;" in done.stderr
    assert "no enabled feeds" not in done.stdout + done.stderr
    assert secret not in done.stdout + done.stderr
    # Another briefing (a live process) syncs now: one line, exit 1, the cache stays.
    store = Store(cache)
    key = f"sync:{Account(loaded.sync).key}:lock"
    store.put_records({key: {"pid": live_pid, "since": time.time()}})
    store.close()
    done = briefing("fetch", "--no-full-text")
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert [line for line in said.splitlines() if "sync" in line] == [
        f"{account.server.url} (Miniflux API): error: {LOCKED}"
    ], said
    assert "Traceback" not in said
    assert "the cache still holds 3 articles" in done.stderr
