"""The pitfalls real servers showed (issue 13, item 6), each proved on the real
Miniflux first (the pitfall is there) and then avoided by briefing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _fetch_helpers import Reply, serve
from _sync_server import (
    BACKENDS,
    RecordingTransport,
    ServerAccount,
    http_json,
    local,
    reader_for,
    server_entries,
    story_feed,
    titles,
)

from briefing.core.models import SyncConfig
from briefing.core.sync.account import Account, Secret
from briefing.core.sync.engine import ServerSync
from briefing.core.sync.greader import (
    READ,
    READING_LIST,
    GReaderClient,
    long_item_id,
    parse_item_id,
    state_of,
)
from briefing.core.sync.miniflux import MinifluxClient
from briefing.core.sync.server import Known, SyncError, SyncErrorKind
from briefing.core.sync.transport import UrllibTransport

SECRET_ENV = "BRIEFING_TEST_SYNC_SECRET"


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("-")[0].split(".")[:3] if part.isdigit())


class RawGReader:
    """The Google Reader API spoken by hand, as a careless client would."""

    def __init__(self, account: ServerAccount) -> None:
        self.base = account.server.url
        status, text = http_json(
            "POST",
            self.base + "/accounts/ClientLogin",
            form={"Email": account.greader_username, "Passwd": account.greader_password},
        )
        assert status == 200, text
        auth = next(line[5:] for line in str(text).splitlines() if line.startswith("Auth="))
        self.headers = {"Authorization": f"GoogleLogin auth={auth}"}
        self.token = str(self.get("token")[1])

    def get(self, call: str) -> tuple[int, Any]:
        return http_json("GET", f"{self.base}/reader/api/0/{call}", headers=self.headers)

    def post(self, call: str, form: list[tuple[str, str]], *, token: bool = True) -> Any:
        fields = [*form, ("T", self.token)] if token else form
        return http_json(
            "POST", f"{self.base}/reader/api/0/{call}", headers=self.headers, form=fields
        )


def greader_client(
    account: ServerAccount, monkeypatch: pytest.MonkeyPatch, **kw: int
) -> tuple[GReaderClient, RecordingTransport]:
    monkeypatch.setenv(SECRET_ENV, account.greader_password)
    config = SyncConfig(
        backend="greader",
        url=account.server.url,
        username=account.greader_username,
        password_env=SECRET_ENV,
    )
    recording = RecordingTransport()
    return GReaderClient(Account(config), recording, **kw), recording


def recorded_reader(reader: Any) -> RecordingTransport:
    """Swap the reader's sync for one whose requests are recorded."""
    recording = RecordingTransport()
    service = reader.service
    service.server_sync = ServerSync(service.config, service.store, transport=recording)
    return recording


# --------------------------------------------------------------------------- 1. long item ids


def test_item_ids_are_sent_in_the_long_form_because_a_bare_id_is_read_as_hex(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.subscribe("/wire.rss", story_feed("wire", 12))
    on_server = server_entries(account)
    story = max(on_server, key=lambda t: int(on_server[t]["id"]))
    entry = int(on_server[story]["id"])
    assert entry >= 10 and int(str(entry), 16) != entry
    # The pitfall: a bare decimal id is read as hex, so the entry itself stays unread
    # (up to Miniflux 2.2.8; the tests' trixie package is 2.2.6).
    raw = RawGReader(account)
    assert raw.post("edit-tag", [("i", str(entry)), ("a", READ)]) == (200, "OK")
    if version(account.server.version) <= (2, 2, 8):
        assert server_entries(account)[story]["status"] == "unread"
    # briefing sends the long form, and the entry it means is the one marked.
    reader = reader_for(tmp_path, account, "greader", monkeypatch)
    reader.refresh()
    recording = recorded_reader(reader)
    reader.service.set_read([reader.ids()[story]], True)
    reader.refresh()
    assert server_entries(account)[story]["status"] == "read"
    (edit,) = [c for c in recording.calls if c.path.endswith("/edit-tag")]
    assert edit.form["i"] == [f"tag:google.com,2005:reader/item/{entry:016x}"]
    assert long_item_id(17) == "tag:google.com,2005:reader/item/0000000000000011"
    assert parse_item_id(long_item_id(17)) == 17 and parse_item_id("17") == 17
    reader.close()


# --------------------------------------------------------------------------- 2. paging


def test_offset_paging_loses_items_when_another_device_marks_between_pages(
    account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.subscribe("/wire.rss", story_feed("wire", 12))
    everything = [int(e["id"]) for e in account.entries()]
    raw = RawGReader(account)
    first_page: list[int] = []

    def naive_unread_ids() -> list[int]:
        ids: list[int] = []
        offset = 0
        while True:
            status, page = raw.get(
                f"stream/items/ids?output=json&s={READING_LIST}&xt={READ}&r=o&n=3&c={offset}"
            )
            assert status == 200
            ids += [int(ref["id"]) for ref in page.get("itemRefs") or []]
            if offset == 0:
                first_page.extend(ids)
                account.set_status(ids[:2], "read")  # another device, meanwhile
            if not page.get("continuation"):
                return ids
            offset = int(page["continuation"])

    # The pitfall, on the real server: two unread items are never listed.
    naive = naive_unread_ids()
    truth = {int(e["id"]) for e in account.entries(status="unread")}
    assert len(truth) == 10 and len(truth - set(naive)) == 2
    # briefing's paging notices the list moved, reads it again, and has them all.
    account.set_status(everything, "unread")
    client, recording = greader_client(account, monkeypatch, page_size=3)
    marked: list[bool] = []

    def meanwhile(_stream: str) -> None:
        if not marked:
            marked.append(True)
            account.set_status(first_page[:2], "read")

    client.between_pages = meanwhile
    unread = client.stream_ids(READING_LIST, exclude=READ)
    assert set(unread) == {int(e["id"]) for e in account.entries(status="unread")}
    assert len(unread) == 10
    pages = [c.query for c in recording.calls if c.path.endswith("items/ids")]
    assert any(q.get("n") == ["4"] for q in pages)  # pages overlap by one item
    assert sum(q.get("c") is None for q in pages) == 2  # it started again once


def test_miniflux_pages_by_id_so_marks_between_pages_lose_nothing(
    account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.subscribe("/wire.rss", story_feed("wire", 12))
    ids = sorted(int(e["id"]) for e in account.entries())
    monkeypatch.setenv(SECRET_ENV, account.api_key)
    config = SyncConfig(backend="miniflux", url=account.server.url, password_env=SECRET_ENV)
    client = MinifluxClient(Account(config), UrllibTransport(timeout=10), page_size=3)
    marked: list[bool] = []

    def meanwhile(_path: str) -> None:
        if not marked:
            marked.append(True)
            account.set_status(ids[:2], "read")

    client.between_pages = meanwhile
    first = client.pull(Known(entries={}))
    assert sorted(e.id for e in first.entries) == ids
    # The marks made while paging reach the next pull, through changed_after.
    later = client.pull(Known(entries={i: "x" for i in ids}, cursor=first.cursor))
    assert {i for i, s in later.states.items() if s.read} == set(ids[:2])


def test_a_server_that_does_not_page_is_refused_instead_of_looping() -> None:
    """A server that answers every page alike (ignoring the continuation, or
    after_entry_id) ends in one error, never an endless loop or doubled entries."""
    entry = {"id": 5, "feed_id": 1, "status": "unread", "title": "t", "content": ""}

    def same_ids(_request: object) -> Reply:
        return Reply(200, json.dumps({"itemRefs": [{"id": "1"}], "continuation": "x"}).encode())

    def same_entries(_request: object) -> Reply:
        return Reply(200, json.dumps({"total": 9, "entries": [entry]}).encode())

    with serve() as server:
        server.route("/reader/api/0/stream/items/ids", same_ids)
        server.route("/v1/entries", same_entries)
        config = SyncConfig(backend="greader", url=server.base, username="u", password_env="P")
        greader = GReaderClient(Account(config), UrllibTransport(timeout=5), page_size=1)
        greader._auth = "u/logged-in"  # this server only answers GETs
        with pytest.raises(SyncError, match=r"kept changing while it was read \(3 tries\)"):
            greader.stream_ids(READING_LIST)
        config = SyncConfig(backend="miniflux", url=server.base, password_env="P")
        rest = MinifluxClient(Account(config), UrllibTransport(timeout=5), page_size=1)
        rest._secret = Secret("key")
        with pytest.raises(SyncError, match=r"did not page /v1/entries by id"):
            rest.entries_after(0)


# --------------------------------------------------------------------------- 3. unknown paths


def test_unknown_calls_answer_an_empty_list_so_mark_all_is_never_used(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.subscribe("/wire.rss", story_feed("wire", 4))
    raw = RawGReader(account)
    # The pitfall: mark-all-as-read "succeeds" and changes nothing.
    answer = raw.post("mark-all-as-read", [("s", READING_LIST)])
    assert answer == (200, [])
    assert all(e["status"] == "unread" for e in account.entries())
    # briefing checks every answer's shape ...
    client, _recording = greader_client(account, monkeypatch)
    with pytest.raises(SyncError) as caught:
        client._json("GET", "unread-count", [("output", "json")])
    assert caught.value.kind is SyncErrorKind.NO_API and "an empty list" in str(caught.value)
    # ... and marks many articles read with explicit ids, then reads them back.
    reader = reader_for(tmp_path, account, "greader", monkeypatch)
    reader.refresh()
    recording = recorded_reader(reader)
    reader.service.set_read(list(reader.ids().values()), True)
    summary = reader.refresh()
    assert summary.sync is not None and summary.sync.marks_pushed == 4
    assert all(e["status"] == "read" for e in account.entries())
    posts = recording.paths("POST")
    assert not any("mark-all" in p for p in recording.paths())
    edit = posts.index("/reader/api/0/edit-tag")
    assert "/reader/api/0/stream/items/contents" in posts[edit + 1 :]
    (edit_tag,) = [c for c in recording.calls if c.path.endswith("/edit-tag")]
    assert len(edit_tag.form["i"]) == 4
    reader.close()


# --------------------------------------------------------------------------- 4. T and login


def test_every_post_carries_the_token_and_login_is_a_post(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.subscribe("/wire.rss", story_feed("wire", 2))
    story = titles(account, "wire")[0]
    entry = int(server_entries(account)[story]["id"])
    raw = RawGReader(account)
    # The pitfall: Miniflux refuses a POST without T, and a login by GET.
    status, _ = raw.post("edit-tag", [("i", long_item_id(entry)), ("a", READ)], token=False)
    assert status == 401
    status, _ = http_json(
        "GET",
        f"{account.server.url}/accounts/ClientLogin?Email={account.greader_username}"
        f"&Passwd={account.greader_password}",
    )
    assert status == 405
    reader = reader_for(tmp_path, account, "greader", monkeypatch)
    recording = recorded_reader(reader)
    reader.refresh()
    reader.service.set_read([reader.ids()[story]], True)
    reader.refresh()
    assert server_entries(account)[story]["status"] == "read"
    login = [c.method for c in recording.calls if c.path == "/accounts/ClientLogin"]
    assert login == ["POST"]
    posts = [c for c in recording.calls if c.method == "POST" and c.path.startswith("/reader/")]
    assert posts and all("T" in c.form for c in posts)
    reader.close()


# --------------------------------------------------------------------------- 5. state tags


def test_state_tags_are_matched_on_their_suffix(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.subscribe("/wire.rss", story_feed("wire", 2))
    first, second = titles(account, "wire")
    on_server = server_entries(account)
    account.set_status([int(on_server[first]["id"])], "read")
    account.toggle_star(int(on_server[second]["id"]))
    raw = RawGReader(account)
    status, items = raw.post(
        "stream/items/contents?output=json",
        [("i", long_item_id(int(on_server[t]["id"]))) for t in (first, second)],
    )
    assert status == 200
    tags = {tag for item in items["items"] for tag in item["categories"]}
    user = f"user/{account.user_id}/state/com.google/"
    assert {user + "read", user + "starred"} <= tags  # not user/-/
    assert state_of(["user/-/state/com.google/read"]) == (True, False)
    assert state_of([user + "starred", "user/1/label/Tech"]) == (False, True)
    reader = reader_for(tmp_path, account, "greader", monkeypatch)
    reader.refresh()
    assert local(reader, first) == (True, False)
    assert local(reader, second) == (False, True)
    reader.close()


# --------------------------------------------------------------------------- 6. deleted entries


@pytest.mark.parametrize("backend", BACKENDS)
def test_entries_the_server_deletes_stay_in_the_cache(
    tmp_path: Path, account: ServerAccount, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.subscribe("/wire.rss", story_feed("wire", 5))
    reader = reader_for(tmp_path, account, backend, monkeypatch)
    reader.refresh()
    names = titles(account, "wire")
    on_server = server_entries(account)
    ids = reader.ids()
    reader.service.set_starred([ids[names[0]]], True)
    reader.refresh()
    # The server cleans up: two entries deleted, one archived ('removed').
    gone = [int(on_server[t]["id"]) for t in names[:3]]
    database = account.server.database
    database.psql(f"DELETE FROM entries WHERE id IN ({gone[0]}, {gone[1]})")
    database.psql(f"UPDATE entries SET status = 'removed' WHERE id = {gone[2]}")
    assert len([e for e in account.entries() if e["status"] != "removed"]) == 2
    reader.service.set_read([ids[names[1]]], True)  # a mark on an entry now gone
    summary = reader.refresh()
    assert summary.sync is not None and summary.sync.error is None
    assert summary.sync.marks_queued == 0  # it does not wait for ever
    articles = reader.articles()
    assert sorted(articles) == names  # all five, readable offline
    assert local(reader, names[0]) == (False, True)
    assert local(reader, names[1]) == (True, False)
    assert "filing" in articles[names[2]].body_html
    reader.close()
