"""BriefingService behaviour not covered elsewhere."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from briefing.core.service import DataOrigin, open_sample


async def test_refreshing_the_sample_keeps_it_labelled_sample(tmp_path: Path) -> None:
    service = await asyncio.to_thread(open_sample, tmp_path)
    assert service.origin == DataOrigin.SAMPLE
    summary = await service.refresh(full_text=False)
    assert summary.any_succeeded
    assert service.origin == DataOrigin.SAMPLE
    service.store.close()


async def test_a_warm_refresh_records_every_feeds_state(httpserver, tmp_path: Path) -> None:
    from briefing.core.config import load_config
    from briefing.core.models import FetchStatus
    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>'
        "<item><title>Anna's Archive news</title><link>https://e.org/1</link>"
        "<guid>g1</guid><description>x</description></item></channel></rss>"
    )
    for index in range(60):  # more than one batch of states
        httpserver.expect_request(f"/f{index}.xml").respond_with_data(
            feed, content_type="application/rss+xml", headers={"ETag": f'"v{index}"'}
        )
    httpserver.expect_request("/gone.xml").respond_with_data("no", status=404)
    lines = ['[topic]\nname = "case"\nkeywords = ["Anna\'s Archive"]\n']
    for index in range(60):
        lines.append(
            f'[[feeds]]\nname = "F{index}"\nurl = "{httpserver.url_for(f"/f{index}.xml")}"\n'
        )
    lines.append(f'[[feeds]]\nname = "Gone"\nurl = "{httpserver.url_for("/gone.xml")}"\n')
    (tmp_path / "feeds.toml").write_text("\n".join(lines), encoding="utf-8")
    config = load_config(tmp_path / "feeds.toml")
    with Store(tmp_path / "cache") as store:
        service = BriefingService(config, store)
        await service.refresh(full_text=False)
        first = {name: store.feed_state(name) for name in ("F0", "F59", "Gone")}
        summary = await service.refresh(full_text=False)
        assert sum(r.status is FetchStatus.UNCHANGED for r in summary.results) == 60
    with Store(tmp_path / "cache") as store:  # what another process reads afterwards
        for name in ("F0", "F59"):
            state = store.feed_state(name)
            assert state is not None and state.last_status == FetchStatus.UNCHANGED.value
            assert state.etag == first[name].etag  # type: ignore[union-attr]
        gone = store.feed_state("Gone")
        assert gone is not None and gone.last_status == FetchStatus.ERROR.value
        assert gone.last_error and "404" in gone.last_error
        assert len(store.source_names()) == 61


async def test_a_refresh_stopped_by_its_callback_closes_its_connections_at_once(
    tmp_path: Path,
) -> None:
    """Ctrl-C in a progress callback: the downloads still running are stopped and
    their connections closed before refresh returns, not when the generator behind
    it is collected (the traceback keeps it alive here, as it did in the reader)."""
    import socket
    import time

    from _fetch_helpers import raw_server, read_request, rss_feed, sample_items
    from conftest import config_text

    from briefing.core.config import load_config
    from briefing.core.service import BriefingService
    from briefing.core.store import Store

    hung_up: list[float] = []
    quick = rss_feed(sample_items(1))

    def answer_one_hold_the_other(connection: socket.socket, number: int) -> None:
        request = read_request(connection)
        if b"/quick" in request:
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(quick)}\r\n\r\n".encode()
            connection.sendall(head + quick)
            return
        connection.settimeout(10)
        if connection.recv(1) == b"":  # never answered: wait for the client to hang up
            hung_up.append(time.monotonic())

    with raw_server(answer_one_hold_the_other) as (base, _):
        path = tmp_path / "feeds.toml"
        path.write_text(config_text([("quick", base + "/quick"), ("held", base + "/held")],
                                    settings="timeout = 10"))  # fmt: skip
        store = Store(tmp_path / "cache")
        service = BriefingService(load_config(path), store)

        def stop(*_: object) -> None:
            raise KeyboardInterrupt

        try:
            with pytest.raises(KeyboardInterrupt) as stopped:
                await service.refresh(on_progress=stop, full_text=False)
            interrupted = time.monotonic()
            for _ in range(100):
                if hung_up:
                    break
                await asyncio.sleep(0.02)
            assert stopped.traceback  # the frames stay alive until here
            assert hung_up and hung_up[0] - interrupted < 1.0
        finally:
            store.close()
