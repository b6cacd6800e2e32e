"""The rule for marks made here and on the server (briefing/core/sync/reconcile.py):
proved on the rule itself, then against the real Miniflux through both APIs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from _sync_server import (
    BACKENDS,
    Reader,
    RecordingTransport,
    ServerAccount,
    local,
    reader_for,
    server_entries,
    story_feed,
    titles,
)

from briefing.core.sync.engine import ServerSync
from briefing.core.sync.reconcile import Decision, Pending, decide

# --------------------------------------------------------------------------- the rule


def test_with_nothing_waiting_the_server_is_taken() -> None:
    assert decide("read", server=True, base=False, pending=None) == Decision(local=True)
    assert decide("starred", server=False, base=True, pending=None) == Decision(local=False)


def test_a_mark_the_server_already_holds_is_done_and_not_sent() -> None:
    assert decide("read", server=True, base=False, pending=Pending(True, 10.0)) == Decision(
        local=True, settle=True
    )


def test_a_read_made_here_is_never_undone_by_the_server() -> None:
    # Even when the server changed the article after the read, and says so.
    for base in (False, True, None):
        decision = decide(
            "read", server=False, base=base, pending=Pending(True, 10.0), server_changed=99.0
        )
        assert decision == Decision(local=True, push=True)


def test_the_newer_change_wins_where_the_server_says_when() -> None:
    # Starred here and unstarred again at t=10 (base: unstarred); starred there.
    there_later = decide(
        "starred", server=True, base=False, pending=Pending(False, 10.0), server_changed=20.0
    )
    assert there_later == Decision(local=True, settle=True)
    there_earlier = decide(
        "starred", server=True, base=False, pending=Pending(False, 10.0), server_changed=5.0
    )
    assert there_earlier == Decision(local=False, push=True)
    # Unread here (after a read) against a read there, either way round.
    assert decide(
        "read", server=True, base=False, pending=Pending(False, 10.0), server_changed=20.0
    ) == Decision(local=True, settle=True)


def test_without_the_servers_time_or_without_a_change_there_the_mark_here_is_sent() -> None:
    assert decide("starred", server=True, base=False, pending=Pending(False, 10.0)) == Decision(
        local=False, push=True
    )
    # The server did not change it since the last sync: its newer time means nothing.
    assert decide(
        "starred", server=False, base=False, pending=Pending(True, 10.0), server_changed=99.0
    ) == Decision(local=True, push=True)


# --------------------------------------------------------------------------- on the server


def gap(backend: str) -> float:
    """Long enough for the server's clock to tell two changes apart: the Google
    Reader API gives whole seconds, Miniflux's own API microseconds."""
    return 1.1 if backend == "greader" else 0.05


def _star_toggled_twice_here(reader: Reader, title: str) -> None:
    ids = reader.ids()
    reader.service.set_starred([ids[title]], True)
    reader.service.set_starred([ids[title]], False)


@pytest.mark.parametrize("backend", BACKENDS)
def test_newer_change_wins_on_a_real_server(
    tmp_path: Path, account: ServerAccount, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two articles starred elsewhere, one before and one after the same article
    was starred and unstarred here: the later change wins each time."""
    account.subscribe("/wire.rss", story_feed("wire", 4))
    reader = reader_for(tmp_path, account, backend, monkeypatch)
    reader.refresh()
    early, late = titles(account, "wire")[:2]
    on_server = server_entries(account)
    account.toggle_star(int(on_server[early]["id"]))  # elsewhere, before
    time.sleep(gap(backend))
    _star_toggled_twice_here(reader, early)
    _star_toggled_twice_here(reader, late)
    time.sleep(gap(backend))
    account.toggle_star(int(on_server[late]["id"]))  # elsewhere, after
    summary = reader.refresh()
    assert summary.sync is not None and summary.sync.error is None
    assert local(reader, early) == (False, False)  # the change here was newer: sent
    assert not server_entries(account)[early]["starred"]
    assert local(reader, late) == (False, True)  # the change there was newer: kept
    assert server_entries(account)[late]["starred"]
    assert summary.sync.marks_queued == 0
    reader.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_never_unread_what_was_read_here_and_the_server_has_not_heard_of(
    tmp_path: Path, account: ServerAccount, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The newsboat complaint: read here, marked unread (later) elsewhere before the
    server heard of the read. The read stays, and the server gets it."""
    account.subscribe("/wire.rss", story_feed("wire", 3))
    reader = reader_for(tmp_path, account, backend, monkeypatch)
    reader.refresh()
    story = titles(account, "wire")[0]
    entry = int(server_entries(account)[story]["id"])
    reader.service.set_read([reader.ids()[story]], True)
    reader.refresh()  # the server holds the read
    assert server_entries(account)[story]["status"] == "read"
    # Unread, then read again here (offline: nothing sent yet) ...
    reader.service.set_read([reader.ids()[story]], False)
    reader.service.set_read([reader.ids()[story]], True)
    time.sleep(gap(backend))
    # ... while another device marks it unread, later: a newer change there.
    account.set_status([entry], "unread")
    reader.refresh()
    assert local(reader, story)[0] is True
    assert server_entries(account)[story]["status"] == "read"
    reader.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_mark_is_never_sent_twice_even_when_a_refresh_dies_before_settling(
    tmp_path: Path, account: ServerAccount, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Miniflux 2.2.6 flips a mark sent twice (read again makes it unread; a star
    again unstars). A refresh killed after sending, before it let go of the
    marks, leaves them queued; the next one sees the server holds them, sends
    nothing, and the server keeps them."""
    account.subscribe("/wire.rss", story_feed("wire", 3))
    reader = reader_for(tmp_path, account, backend, monkeypatch)
    reader.refresh()
    first, second = titles(account, "wire")[:2]
    ids = reader.ids()
    reader.service.set_read([ids[first]], True)
    reader.service.set_starred([ids[second]], True)
    sync = reader.service.server_sync
    assert sync is not None
    queue_key = sync.queue.key
    queued = reader.service.store.get_record(queue_key)
    reader.refresh()
    assert len(sync.queue) == 0
    reader.service.store.put_records({queue_key: queued})  # as if killed before settling
    assert len(sync.queue) == 2
    recording = RecordingTransport()
    reader.service.server_sync = ServerSync(
        reader.service.config, reader.service.store, transport=recording
    )
    summary = reader.refresh()
    assert summary.sync is not None and summary.sync.marks_queued == 0
    on_server = server_entries(account)
    assert on_server[first]["status"] == "read"
    assert on_server[second]["starred"]
    sent = [p for p in recording.paths() if p.endswith(("/edit-tag", "/bookmark"))]
    sent += recording.paths("PUT")
    assert sent == []
    reader.close()
