"""Sync against a real Miniflux on 127.0.0.1, through both of its APIs.

The server comes from ``_sync_server`` (a Debian package and a throwaway
PostgreSQL cluster); every test has a Miniflux user of its own.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from _fetch_helpers import Reply, rss_feed
from _sync_server import (
    BACKENDS,
    MinifluxServer,
    Reader,
    ServerAccount,
    SwitchableProxy,
    local,
    reader_for,
    server_entries,
    story_feed,
    titles,
    write_config,
)

from briefing.core.models import FetchStatus
from briefing.core.store import Store

_HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_refresh_takes_feeds_and_entries_from_the_server(
    tmp_path: Path, account: ServerAccount, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.subscribe("/wire.rss", story_feed("wire", 6))
    account.subscribe("/court.rss", story_feed("court", 4))
    reader = reader_for(tmp_path, account, backend, monkeypatch)
    summary = reader.refresh()
    assert summary.sync is not None and summary.sync.error is None, summary.sync
    assert {r.name for r in summary.results} == {"Wire Desk", "Court Desk"}
    assert all(r.status is FetchStatus.NEW for r in summary.results)
    assert summary.sync.new == 10
    articles = reader.articles()
    assert len(articles) == 10
    on_topic = {t for t, a in articles.items() if a.on_topic}
    assert on_topic == {t for t in articles if "Anna’s Archive" in t}
    assert len(on_topic) == 5
    sources = {s.name: s for s in reader.service.sources()}
    assert sources["Wire Desk"].via == reader.service.server_sync.label
    assert sources["Wire Desk"].articles == 6
    # A second refresh with nothing new asks for no entry bodies and changes nothing.
    again = reader.refresh()
    assert again.sync is not None and again.sync.new == 0
    assert all(r.status is FetchStatus.UNCHANGED for r in again.results)
    reader.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_marks_made_here_reach_the_server_and_marks_made_there_arrive(
    tmp_path: Path, account: ServerAccount, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.subscribe("/wire.rss", story_feed("wire", 6))
    reader = reader_for(tmp_path, account, backend, monkeypatch)
    reader.refresh()
    first, second, third, fourth = titles(account, "wire")[:4]
    ids = reader.ids()
    # Here: read one, star another.
    reader.service.set_read([ids[first]], True)
    reader.service.set_starred([ids[second]], True)
    # There (another device): read a third, star a fourth.
    on_server = server_entries(account)
    account.set_status([int(on_server[third]["id"])], "read")
    account.toggle_star(int(on_server[fourth]["id"]))
    summary = reader.refresh()
    assert summary.sync is not None and summary.sync.error is None
    assert summary.sync.marks_pushed == 2 and summary.sync.marks_queued == 0
    assert summary.sync.marks_pulled == 2
    on_server = server_entries(account)
    assert on_server[first]["status"] == "read" and not on_server[first]["starred"]
    assert on_server[second]["status"] == "unread" and on_server[second]["starred"]
    assert local(reader, third) == (True, False)
    assert local(reader, fourth) == (False, True)
    # And back: unread and unstar here, unstar there.
    reader.service.set_read([ids[first]], False)
    reader.service.set_starred([ids[second]], False)
    account.toggle_star(int(on_server[fourth]["id"]))
    reader.refresh()
    on_server = server_entries(account)
    assert on_server[first]["status"] == "unread"
    assert not on_server[second]["starred"]
    assert local(reader, fourth) == (False, False)
    # Nothing left to send: a refresh sends no mark (and so flips nothing).
    before = {t: (e["status"], e["starred"]) for t, e in server_entries(account).items()}
    quiet = reader.refresh()
    assert quiet.sync is not None and quiet.sync.marks_pushed == 0
    assert {t: (e["status"], e["starred"]) for t, e in server_entries(account).items()} == before
    reader.close()


def test_two_caches_against_one_server_share_marks_offline_ones_included(
    tmp_path: Path, miniflux: object, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A laptop on the Google Reader API behind a network that goes away, a server
    on Miniflux's own API: what one marks, the other sees."""
    account.subscribe("/wire.rss", story_feed("wire", 8))
    network = SwitchableProxy(account.server.url)
    gr_table, gr_secret = account.sync_table("greader", env="LAPTOP_SECRET", url=network.url)
    mf_table, mf_secret = account.sync_table("miniflux", env="DESK_SECRET")
    monkeypatch.setenv("LAPTOP_SECRET", gr_secret)
    monkeypatch.setenv("DESK_SECRET", mf_secret)
    laptop = Reader(tmp_path / "laptop", write_config(tmp_path / "laptop", gr_table))
    desk = Reader(tmp_path / "desk", write_config(tmp_path / "desk", mf_table))
    laptop.refresh()
    desk.refresh()
    names = titles(account, "wire")
    assert sorted(laptop.articles()) == sorted(desk.articles()) == names
    laptop_ids = laptop.ids()
    desk_ids = desk.ids()

    # Online: the laptop reads one, the desk stars another.
    laptop.service.set_read([laptop_ids[names[0]]], True)
    laptop.refresh()
    desk.service.set_starred([desk_ids[names[1]]], True)
    desk.refresh()
    laptop.refresh()
    assert local(desk, names[0]) == (True, False)
    assert local(laptop, names[1]) == (False, True)

    # Offline: the laptop reads two and stars one; its refresh fails and keeps them.
    network.off()
    laptop.service.set_read([laptop_ids[names[2]], laptop_ids[names[3]]], True)
    laptop.service.set_starred([laptop_ids[names[4]]], True)
    failed = laptop.refresh()
    assert failed.sync is not None and failed.sync.error is not None
    assert "cannot reach" in failed.sync.error and "connection refused" in failed.sync.error
    assert failed.sync.marks_queued == 3
    assert [r.status for r in failed.results] == [FetchStatus.ERROR]
    assert local(laptop, names[2]) == (True, False)  # shown read here meanwhile
    # A new process on the laptop (the queue is in the store, not in memory).
    laptop.close()
    laptop = Reader(laptop.folder, laptop.config_path)
    desk.refresh()
    assert local(desk, names[2]) == (False, False)  # the server has not heard yet

    network.on()
    back = laptop.refresh()
    assert back.sync is not None and back.sync.error is None
    assert back.sync.marks_pushed == 3 and back.sync.marks_queued == 0
    desk.refresh()
    assert local(desk, names[2]) == (True, False)
    assert local(desk, names[3]) == (True, False)
    assert local(desk, names[4]) == (False, True)
    assert local(desk, names[5]) == (False, False)
    network.off()
    laptop.close()
    desk.close()


def test_a_category_follows_only_that_folder(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.subscribe("/wire.rss", story_feed("wire", 3), category="Legal")
    account.subscribe("/sport.rss", story_feed("sport", 3), category="Sport")
    for backend in BACKENDS:
        reader = reader_for(tmp_path, account, backend, monkeypatch, name=backend, category="legal")
        summary = reader.refresh()
        assert summary.sync is not None and summary.sync.error is None
        assert [r.name for r in summary.results] == ["Wire Desk"]
        assert all(t.startswith("wire") for t in reader.articles())
        assert len(reader.articles()) == 3
        assert reader.service.config.feeds[0].tags == ("Legal",)
        reader.close()
    missing = reader_for(tmp_path, account, "greader", monkeypatch, name="none", category="Tech")
    error = missing.refresh().sync.error  # type: ignore[union-attr]
    assert error is not None and "no folder named 'Tech'" in error and "Legal, Sport" in error
    missing.close()


def test_key_facts_and_full_text_work_on_articles_from_the_server(
    tmp_path: Path,
    miniflux: MinifluxServer,
    account: ServerAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Teasers from the server get their page fetched like a feed's, and the key
    facts merge what the articles say."""
    pages = miniflux.feeds
    for n in (1, 2):
        page = (
            "<html><body><article><h1>Filing</h1>"
            + "".join(
                f"<p>Paragraph {i}: the labels told the court that Anna's Archive copied"
                f" 86 million music files, and sought $13 trillion in damages.</p>"
                for i in range(8)
            )
            + "</article></body></html>"
        ).encode()
        pages.route(f"/pages/story/{n}", lambda _r, body=page: Reply(200, body, _HTML))
    teasers = rss_feed(
        [
            {
                "title": f"Teaser {n} on Anna&#8217;s Archive",
                "link": pages.url(f"/pages/story/{n}"),
                "guid": f"urn:teaser:{n}",
                "description": "Short.",
            }
            for n in (1, 2)
        ],
        title="Teaser Desk",
    )
    account.subscribe("/teasers.rss", teasers)
    reader = reader_for(tmp_path, account, "miniflux", monkeypatch)
    summary = asyncio.run(reader.service.refresh(full_text=True))
    assert summary.pages is not None and summary.pages.fetched == 2, summary.pages
    article = reader.articles()["Teaser 1 on Anna’s Archive"]
    assert "86 million music files" in article.full_text
    facts = reader.service.briefing().facts
    assert any("86 million" in v.text for f in facts for v in f.values)
    reader.close()


async def test_r_in_the_reader_sends_marks_and_brings_the_servers(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    from _ui_helpers import make_app, settle, wait_for

    from briefing.ui.widgets.article_list import ArticleList

    account.subscribe("/wire.rss", story_feed("wire", 3, on_topic_every=1))
    # The stories link to example.org: no page step, no lookup of those names.
    reader = reader_for(tmp_path, account, "greader", monkeypatch, full_text=False)
    await reader.service.refresh(full_text=False)
    app = make_app(reader.service, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        articles = app.main_screen.query_one(ArticleList)
        current = articles.current
        assert current is not None and not current.read
        await pilot.press("m")  # read here
        others = [t for t in titles(account, "wire") if t != current.title]
        account.toggle_star(int(server_entries(account)[others[0]]["id"]))  # starred there
        await pilot.press("r")
        await wait_for(pilot, lambda: not app.refreshing, timeout=20)
        await settle(pilot)
        assert server_entries(account)[current.title]["status"] == "read"
        starred = {a.title for a in articles.articles if a.starred}
        assert starred == {others[0]}
    reader.close()


def test_an_entry_rewritten_on_the_server_is_stored_again_a_new_mark_alone_is_not(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Miniflux's API lists an entry again when its marks or its text change; only a
    new text is stored again (the digest in the sync state tells them apart)."""
    account.subscribe("/wire.rss", story_feed("wire", 3))
    reader = reader_for(tmp_path, account, "miniflux", monkeypatch)
    reader.refresh()
    first, second = titles(account, "wire")[:2]
    on_server = server_entries(account)
    account.set_status([int(on_server[first]["id"])], "read")
    saved: list[str] = []
    save_entries = Store.save_entries

    def counting(store: Store, source: str, *args: Any, **kwargs: Any) -> Any:
        saved.append(source)
        return save_entries(store, source, *args, **kwargs)

    monkeypatch.setattr(Store, "save_entries", counting)
    marked = reader.refresh()
    (result,) = marked.results
    assert result.status is FetchStatus.UNCHANGED and result.updated == 0
    assert marked.sync is not None and marked.sync.marks_pulled == 1
    assert saved == []  # the feed's articles were not written again
    account.server.database.psql(
        "UPDATE entries SET content = '<p>Revised: the filing now lists 99,000 files.</p>',"
        f" changed_at = now() WHERE id = {int(on_server[second]['id'])}"
    )
    rewritten = reader.refresh()
    (result,) = rewritten.results
    assert result.status is FetchStatus.UPDATED and result.updated == 1
    assert saved == ["Wire Desk"]
    assert "99,000 files" in reader.articles()[second].body_html
    assert local(reader, first) == (True, False)
    reader.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_empty_feed_on_its_first_sync_has_no_items_not_unchanged(
    tmp_path: Path, account: ServerAccount, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefing.cli import format_result_line

    account.subscribe("/wire.rss", story_feed("wire", 2))
    account.subscribe("/empty.rss", story_feed("empty", 0))
    reader = reader_for(tmp_path, account, backend, monkeypatch)
    first = {r.name: r for r in reader.refresh().results}
    assert format_result_line(first["Empty Desk"]) == "Empty Desk: no items"
    again = {r.name: r for r in reader.refresh().results}
    assert format_result_line(again["Empty Desk"]) == "Empty Desk: unchanged (not modified)"
    reader.close()


def _live_feed() -> bytes:
    """Four stories; the last two are updates of one live page: one link, two guids."""
    items = []
    for n, link in enumerate(("story/1", "story/2", "live", "live"), start=1):
        items.append(
            {
                "title": f"wire update {n} on Anna&#8217;s Archive",
                "link": f"https://wire.example.org/{link}",
                "guid": f"urn:wire:update:{n}",
                "pubDate": f"Mon, 0{n} Nov 2026 10:00:00 +0000",
                "description": f"Update {n}: the court lists {n * 1000} files.",
            }
        )
    return rss_feed(items, title="Wire Desk")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_feed_fetched_here_before_is_one_feed_with_the_servers_entries(
    tmp_path: Path, account: ServerAccount, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone who fetched a feed directly, read and starred in it, then turned
    [sync] on: the server's entries are those articles (Miniflux by the guid's
    hash, the Google Reader API by the link), nothing is stored twice, the marks
    made here reach the server, and the feed is read through the server only."""
    import hashlib

    account.subscribe("/wire.rss", _live_feed())
    url = account.server.feeds.url("/wire.rss")
    own_feed = f'[[feeds]]\nname = "Wire"\nurl = "{url}"\n'
    folder = tmp_path / "laptop"
    direct = Reader(folder, write_config(folder, "", own_feed))
    direct.refresh()
    before = direct.ids()
    assert len(before) == 4
    first, second, third, fourth = sorted(before)
    direct.service.set_read([before[first]], True)
    direct.service.set_starred([before[third]], True)
    direct.close()
    # Miniflux's hash of an entry is the sha256 of its guid: what the match rests on.
    on_server = server_entries(account)
    assert on_server[third]["hash"] == hashlib.sha256(b"urn:wire:update:3").hexdigest()
    account.set_status([int(on_server[second]["id"])], "read")  # read on another device

    sync_table, secret = account.sync_table(backend)
    monkeypatch.setenv("BRIEFING_TEST_SYNC_SECRET", secret)
    requests_before = len(account.server.feeds.requests_for("/wire.rss"))
    reader = Reader(folder, write_config(folder, sync_table, own_feed))
    summary = reader.refresh()
    assert summary.sync is not None and summary.sync.error is None, summary.sync
    assert [r.name for r in summary.results] == ["Wire"]
    # Not fetched directly any more: only the server asks for the feed (it polls
    # on its own schedule, switched off in these tests).
    assert len(account.server.feeds.requests_for("/wire.rss")) == requests_before
    sources = {s.name: s for s in reader.service.sources()}
    assert set(sources) == {"Wire"} and sources["Wire"].via == reader.service.server_sync.label
    # Matched (Miniflux: the guid's hash; Google Reader: the link, and the link and
    # title for the two updates of the live page): the same articles, not copies.
    assert reader.ids() == before
    assert len(reader.service.articles(include_off_topic=True)) == 4
    # The marks made here went to the server; the one made there arrived.
    assert summary.sync.marks_pushed == 2
    on_server = server_entries(account)
    assert on_server[first]["status"] == "read"
    assert on_server[third]["starred"] and on_server[third]["status"] == "unread"
    assert local(reader, first) == (True, False)
    assert local(reader, second) == (True, False)
    assert local(reader, third) == (False, True)
    # And from now on marks go both ways on those same articles.
    reader.service.set_read([before[fourth]], True)
    account.toggle_star(int(on_server[first]["id"]))
    again = reader.refresh()
    assert again.sync is not None and again.sync.marks_pushed == 1
    assert server_entries(account)[fourth]["status"] == "read"
    assert local(reader, first) == (True, True)
    reader.close()


def test_a_feed_moved_from_feeds_toml_to_the_server_keeps_its_articles_and_marks(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed is gone from feeds.toml, only the cache remembers fetching it."""
    account.subscribe("/wire.rss", _live_feed())
    url = account.server.feeds.url("/wire.rss")
    folder = tmp_path / "laptop"
    direct = Reader(folder, write_config(folder, "", f'[[feeds]]\nname = "Wire"\nurl = "{url}"\n'))
    direct.refresh()
    before = direct.ids()
    starred = sorted(before)[1]
    direct.service.set_starred([before[starred]], True)
    direct.close()
    sync_table, secret = account.sync_table("miniflux")
    monkeypatch.setenv("BRIEFING_TEST_SYNC_SECRET", secret)
    reader = Reader(folder, write_config(folder, sync_table))
    summary = reader.refresh()
    assert summary.sync is not None and summary.sync.error is None, summary.sync
    assert [r.name for r in summary.results] == ["Wire"]
    assert reader.ids() == before
    assert local(reader, starred) == (False, True)
    assert server_entries(account)[starred]["starred"]
    reader.close()
