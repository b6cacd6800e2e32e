"""Errors a person can act on, one line each, and the cache keeps working offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from _cli_helpers import run_briefing
from _fetch_helpers import serve
from _sync_server import (
    Reader,
    RecordingTransport,
    ServerAccount,
    free_port,
    reader_for,
    story_feed,
    write_config,
)

from briefing.core.models import FetchStatus, RefreshSummary
from briefing.core.sync.engine import ServerSync


def only_error(summary: RefreshSummary) -> str:
    """The refresh failed as one line, for the server, and nothing else."""
    assert summary.sync is not None and summary.sync.error is not None
    (result,) = summary.results
    assert result.status is FetchStatus.ERROR and result.error == summary.sync.error
    assert "\n" not in result.error
    return result.error


def synced_then(
    tmp_path: Path, account: ServerAccount, backend: str, monkeypatch: pytest.MonkeyPatch
) -> Reader:
    account.subscribe("/wire.rss", story_feed("wire", 4))
    reader = reader_for(tmp_path, account, backend, monkeypatch)
    first = reader.refresh()
    assert first.sync is not None and first.sync.error is None
    return reader


def reopened(reader: Reader) -> Reader:
    """The same install started again (the secret is read again)."""
    reader.close()
    return Reader(reader.folder, reader.config_path)


@pytest.mark.parametrize("backend", ["greader", "miniflux"])
def test_a_wrong_password_says_so_and_the_cache_stays(
    tmp_path: Path, account: ServerAccount, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = synced_then(tmp_path, account, backend, monkeypatch)
    monkeypatch.setenv("BRIEFING_TEST_SYNC_SECRET", "not-the-password")
    reader = reopened(reader)
    error = only_error(reader.refresh())
    if backend == "greader":
        assert f"refused the login of '{account.greader_username}'" in error
        assert "wrong username or password" in error
    else:
        assert "refused the API key (wrong, revoked or expired)" in error
    assert "not-the-password" not in error
    assert len(reader.articles()) == 4  # the cache keeps working
    reader.close()


def test_a_wrong_account_password_on_miniflux_basic_auth(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_table, _secret = account.sync_table("miniflux", username=True)
    monkeypatch.setenv("BRIEFING_TEST_SYNC_SECRET", "wrong-one")
    reader = Reader(tmp_path / "r", write_config(tmp_path / "r", sync_table))
    error = only_error(reader.refresh())
    assert error == (
        f"sync: {account.server.url} refused the login of '{account.username}':"
        " wrong username or password"
    )
    reader.close()


@pytest.mark.parametrize("backend", ["greader", "miniflux"])
def test_an_unreachable_server_says_so(
    tmp_path: Path, account: ServerAccount, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    reader = reader_for(tmp_path, account, backend, monkeypatch, url=closed)
    error = only_error(reader.refresh())
    assert error == f"sync: cannot reach {closed}: connection refused"
    reader.close()


def test_the_google_reader_api_switched_off_says_where_to_switch_it_on(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = synced_then(tmp_path, account, "greader", monkeypatch)
    account.set_greader(enabled=False)
    reader = reopened(reader)
    error = only_error(reader.refresh())
    assert "Google Reader API is switched off" in error
    assert "Settings > Integrations > Google Reader" in error
    assert len(reader.articles()) == 4
    account.set_greader(enabled=True)
    assert reader.refresh().sync.error is None  # type: ignore[union-attr]
    reader.close()


@pytest.mark.parametrize("backend", ["greader", "miniflux"])
def test_a_server_without_the_api_says_so(
    tmp_path: Path, account: ServerAccount, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve() as elsewhere:  # a web server, but no feed server
        reader = reader_for(tmp_path, account, backend, monkeypatch, url=elsewhere.base)
        error = only_error(reader.refresh())
    if backend == "greader":
        assert error.startswith(f"sync: no Google Reader API at {elsewhere.base} (HTTP ")
        assert "for /accounts/ClientLogin" in error
    else:
        assert error == (
            f"sync: no Miniflux API at {elsewhere.base} (HTTP 404 for /v1/feeds): check [sync] url"
        )
    reader.close()


def test_an_expired_session_token_is_renewed_by_logging_in_again(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Miniflux's token is derived from the stored password hash: saving the same
    password again in its settings expires every session a client holds."""
    reader = synced_then(tmp_path, account, "greader", monkeypatch)
    recording = RecordingTransport()
    service = reader.service
    service.server_sync = ServerSync(service.config, service.store, transport=recording)
    reader.refresh()
    account.set_greader(enabled=True)  # the same password, a new hash
    service.set_read([next(iter(reader.ids().values()))], True)
    summary = reader.refresh()
    assert summary.sync is not None and summary.sync.error is None
    assert summary.sync.marks_pushed == 1
    assert recording.paths().count("/accounts/ClientLogin") == 2
    reader.close()


def test_a_revoked_api_key_says_so(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = synced_then(tmp_path, account, "miniflux", monkeypatch)
    account.server.database.psql(f"DELETE FROM api_keys WHERE user_id = {account.user_id}")
    error = only_error(reader.refresh())
    assert "refused the API key (wrong, revoked or expired)" in error
    assert "Settings > API Keys" in error
    assert len(reader.articles()) == 4
    reader.close()


def test_the_command_line_prints_one_line_and_reads_the_cache_offline(
    tmp_path: Path, account: ServerAccount
) -> None:
    account.subscribe("/wire.rss", story_feed("wire", 4))
    secret_file = tmp_path / "secret"
    secret_file.write_text(account.greader_password + "\n", encoding="utf-8")
    sync_table, _ = account.sync_table("greader")
    config = write_config(
        tmp_path,
        sync_table.replace(
            'password_env = "BRIEFING_TEST_SYNC_SECRET"', f'password_command = "cat {secret_file}"'
        ),
    )
    cache = tmp_path / "cache"

    def briefing(*args: str) -> tuple[int, str, str]:
        done = run_briefing("--config", str(config), "--cache-dir", str(cache), *args, cwd=tmp_path)
        return done.returncode, done.stdout, done.stderr

    status, out, err = briefing("fetch", "--no-full-text")
    assert status == 0, err
    assert "Wire Desk: new (4 new, 0 updated)" in out
    assert "sync: " + account.server.url + " (Google Reader API): 1 feed, 4 new;" in err
    status, out, err = briefing("feeds")
    assert status == 0 and "VIA" in out.splitlines()[0]
    assert f"{account.server.url} (Google Reader API)" in out
    # The password is changed on the server: one line, exit 1, and no secret shown.
    secret_file.write_text("an-old-password\n", encoding="utf-8")
    status, out, err = briefing("fetch", "--no-full-text")
    assert status == 1, out + err
    lines = [line for line in (out + err).splitlines() if "refused the login" in line]
    assert len(lines) == 1 and "Traceback" not in out + err, out + err
    assert "an-old-password" not in out + err
    assert account.greader_password not in out + err
    assert "the cache still holds 4 articles" in err
    status, out, err = briefing("feeds")
    assert "last try failed:" in err and "refused the login" in err
    status, out, err = briefing("--offline", "articles", "--all")
    assert status == 0 and out.count("wire story") == 4


def test_a_redirect_is_reported_never_followed_with_the_credentials(
    tmp_path: Path, account: ServerAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    from _fetch_helpers import Reply

    with serve() as moved, serve() as elsewhere:
        moved.route("/v1/feeds", Reply(302, b"", {"Location": elsewhere.url("/v1/feeds")}))
        reader = reader_for(tmp_path, account, "miniflux", monkeypatch, url=moved.base)
        error = only_error(reader.refresh())
        assert error == (
            f"sync: {moved.base} redirects /v1/feeds to {elsewhere.url('/v1/feeds')};"
            " put the address it should be in [sync] url"
        )
        assert elsewhere.requests == []  # the API key never went there
    reader.close()


def test_text_from_the_server_is_hostile_and_cleaned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server (or what it relays from a feed) can send escape sequences, control
    characters and links that are not http(s): none of them gets through."""
    import json

    from _fetch_helpers import Reply

    feed = {
        "id": 7,
        "title": "Evil\x1b[2J\x1b]0;owned\x07 Desk\r",
        "feed_url": "https://evil.example.org/feed",
        "site_url": "javascript:alert(1)",
        "category": {"id": 1, "title": "All\x9b31m"},
    }
    entry = {
        "id": 70,
        "feed_id": 7,
        "status": "unread",
        "starred": False,
        "title": "Anna's Archive \x1b[31mred\x1b[0m title\x00",
        "url": "javascript:alert(document.cookie)",
        "author": "Mallory\x1b[1m",
        "published_at": "2026-01-16T10:00:00Z",
        "changed_at": "2026-01-16T10:00:00Z",
        "content": "<p>Body \x1b[5mblink\x1b[0m with [red]markup[/red].</p>",
    }
    with serve() as hostile:
        hostile.route("/v1/feeds", Reply(200, json.dumps([feed]).encode()))
        hostile.route(
            "/v1/entries",
            lambda r: Reply(
                200,
                json.dumps(
                    {"total": 1, "entries": [] if "after_entry_id=70" in r.path else [entry]}
                ).encode(),
            ),
        )
        monkeypatch.setenv("BRIEFING_TEST_SYNC_SECRET", "key")
        table = f'[sync]\nbackend = "miniflux"\nurl = "{hostile.base}"\npassword_env = "BRIEFING_TEST_SYNC_SECRET"\n'
        reader = Reader(tmp_path / "r", write_config(tmp_path / "r", table))
        summary = reader.refresh()
    assert summary.sync is not None and summary.sync.error is None, summary.sync
    (result,) = summary.results
    assert result.name == "Evil Desk"
    (article,) = reader.articles().values()
    assert article.title == "Anna's Archive red title"
    assert article.link == "" and article.author == "Mallory"
    assert "\x1b" not in article.content and "[red]markup[/red]" in article.content
    (source,) = reader.service.sources()
    assert source.tags == ("All31m",)  # a lone C1 CSI goes, its harmless parameters stay
    reader.close()


# --------------------------------------------------------------------------- issue 15, item 9


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_proxy_that_never_answers_is_named_in_the_sync_timeout(
    monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    from test_httpclient import silent_proxy

    from briefing.core.sync.transport import TransportError, UrllibTransport

    with silent_proxy() as port:
        monkeypatch.setenv(f"{scheme}_proxy", f"http://user:secret@127.0.0.1:{port}")
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        with pytest.raises(TransportError) as raised:
            UrllibTransport(timeout=1).request("GET", f"{scheme}://rss.example.test/v1/feeds")
    said = str(raised.value)
    assert said == f"timed out after 1 s waiting for proxy 127.0.0.1:{port} to answer"
    assert "secret" not in said


def test_certificate_variables_that_name_nothing_are_named_when_sync_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trustme
    from _fetch_helpers import Reply
    from test_httpclient import tls_server

    from briefing.core.sync.transport import TransportError, UrllibTransport

    nowhere = tmp_path / "moved-away" / "ca.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(nowhere))
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with tls_server(trustme.CA(), "127.0.0.1") as secure:
        url = secure.route("/v1/feeds", Reply(200, b"[]"))
        with pytest.raises(TransportError) as raised:
            UrllibTransport(timeout=5).request("GET", url)
    said = str(raised.value)
    assert said.startswith("TLS certificate not trusted (")
    assert said.endswith(f"(SSL_CERT_FILE names {nowhere}, which does not exist)"), said
