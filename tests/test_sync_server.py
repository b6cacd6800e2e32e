"""Sync against a real Miniflux on 127.0.0.1, through both of its APIs.

The server comes from ``_sync_server`` (a Debian package and a throwaway
PostgreSQL cluster); every test has a Miniflux user of its own.
"""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest
from _sync_server import ServerAccount, story_feed

from briefing.core.config import load_config
from briefing.core.models import FetchStatus, RefreshSummary
from briefing.core.service import BriefingService
from briefing.core.store import Store

BACKENDS = ["greader", "miniflux"]
TOPIC = textwrap.dedent(
    """\
    [topic]
    name = "Spotify and the labels v. Anna's Archive"
    keywords = ["Anna's Archive"]

    [settings]
    timeout = 10
    """
)


def write_config(folder: Path, sync_table: str, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "feeds.toml"
    path.write_text(TOPIC + "\n" + sync_table + "\n" + extra, encoding="utf-8")
    return path


class Reader:
    """One briefing install: its own feeds.toml and cache, against the server."""

    def __init__(self, folder: Path, config: Path) -> None:
        self.folder = folder
        self.config_path = config
        self.cache = folder / "cache"
        self.service = self.open()

    def open(self) -> BriefingService:
        return BriefingService(load_config(self.config_path), Store(self.cache))

    def refresh(self) -> RefreshSummary:
        return asyncio.run(self.service.refresh(full_text=False))

    def articles(self, *, all: bool = True) -> dict[str, object]:
        return {a.title: a for a in self.service.articles(include_off_topic=all)}

    def close(self) -> None:
        self.service.store.close()


def reader_for(
    tmp_path: Path,
    account: ServerAccount,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    name: str = "laptop",
    **table: object,
) -> Reader:
    sync_table, secret = account.sync_table(backend, **table)  # type: ignore[arg-type]
    monkeypatch.setenv("BRIEFING_TEST_SYNC_SECRET", secret)
    return Reader(tmp_path / name, write_config(tmp_path / name, sync_table))


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
    on_topic = {t for t, a in articles.items() if a.on_topic}  # type: ignore[attr-defined]
    assert on_topic == {t for t in articles if "Anna’s Archive" in t}
    assert len(on_topic) == 5
    sources = {s.name: s for s in reader.service.sources()}
    assert sources["Wire Desk"].via == reader.service.server_sync.label  # type: ignore[union-attr]
    assert sources["Wire Desk"].articles == 6
    # A second refresh with nothing new asks for no entry bodies and changes nothing.
    again = reader.refresh()
    assert again.sync is not None and again.sync.new == 0
    assert all(r.status is FetchStatus.UNCHANGED for r in again.results)
    reader.close()
