"""The offline cache: state that survives refreshes, processes, kills and corruption."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _store_helpers import assert_indexes_consistent, copy_tree

from briefing.core.models import FeedState, ParsedEntry, Topic
from briefing.core.store import SCHEMA_VERSION, Store, StoreError, article_id
from briefing.core.topic import TopicFilter

TOPIC = TopicFilter(Topic(name="case", keywords=("Anna's Archive",)))
NOW = "2026-01-20T12:00:00+00:00"


def entry(
    n: int,
    *,
    title: str | None = None,
    published: str | None = "2026-01-18T09:00:00+00:00",
    body: str = "<p>Anna's Archive case update.</p>",
) -> ParsedEntry:
    return ParsedEntry(
        id=f"guid-{n}",
        title=title or f"Anna's Archive story {n}",
        link=f"https://example.org/{n}",
        author="Reporter",
        published=published,
        summary=body,
        content="",
    )


def save(
    store: Store, source: str, entries: list[ParsedEntry], now: str = NOW, retention: int = 90
):
    return store.save_entries(source, entries, TOPIC, retention_days=retention, now=now)


def test_articles_are_stored_with_every_field(cache_dir: Path) -> None:
    with Store(cache_dir) as store:
        counts = save(
            store, "Wire", [entry(1), entry(2, title="Weather report", body="<p>Rain.</p>")]
        )
        assert (counts.new, counts.updated, counts.total) == (2, 0, 2)
        articles = {a.title: a for a in store.load_articles()}
    story = articles["Anna's Archive story 1"]
    assert story.id == article_id("Wire", "guid-1")
    assert story.source == "Wire" and story.link == "https://example.org/1"
    assert story.author == "Reporter" and story.published == "2026-01-18T09:00:00+00:00"
    assert story.summary == "<p>Anna's Archive case update.</p>" and story.first_seen == NOW
    assert story.on_topic and story.relevance > 0
    assert not articles["Weather report"].on_topic


def test_same_guid_in_two_feeds_gives_two_articles(cache_dir: Path) -> None:
    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1)])
        save(store, "Trade", [entry(1)])
        assert len(store.load_articles()) == 2


def test_refresh_keeps_read_and_starred_and_updates_changed_articles(cache_dir: Path) -> None:
    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1), entry(2)])
        first, second = (article_id("Wire", "guid-1"), article_id("Wire", "guid-2"))
        store.set_flags([first], read=True)
        store.set_flags([second], starred=True)
        counts = save(
            store,
            "Wire",
            [entry(1, title="Anna's Archive story 1 (corrected)"), entry(2)],
            now="2026-01-21T12:00:00+00:00",
        )
        assert (counts.new, counts.updated) == (0, 1)
        articles = {a.id: a for a in store.load_articles()}
    assert articles[first].read and not articles[first].starred
    assert articles[first].title == "Anna's Archive story 1 (corrected)"
    assert articles[first].first_seen == NOW  # first seen does not move
    assert articles[second].starred and not articles[second].read


def test_dropped_articles_stay_until_retention_and_starred_never_expire(cache_dir: Path) -> None:
    old = "2025-09-01T00:00:00+00:00"
    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1, published=old), entry(2, published=old), entry(3)])
        store.set_flags([article_id("Wire", "guid-2")], starred=True)
        # the feed now lists only a new article; 1 and 2 are old, 3 is recent
        counts = save(store, "Wire", [entry(4)], retention=90)
        ids = {a.id for a in store.load_articles()}
    assert counts.expired == 1
    assert article_id("Wire", "guid-1") not in ids  # old, unstarred: expired
    assert article_id("Wire", "guid-2") in ids  # old but starred: kept for ever
    assert article_id("Wire", "guid-3") in ids  # dropped by the feed but recent: kept offline


def test_editing_the_topic_rematches_without_a_refresh(cache_dir: Path) -> None:
    with Store(cache_dir) as store:
        save(
            store,
            "Wire",
            [entry(1, title="Weather report", body="<p>Rain in the shadow library.</p>")],
        )
        assert not store.load_articles(topic_filter=TOPIC)[0].on_topic
        wider = TopicFilter(Topic(name="case", keywords=("Anna's Archive", "shadow library")))
        assert store.load_articles(topic_filter=wider)[0].on_topic


def raw_rows(cache_dir: Path) -> list[tuple[object, int, int, bytes]]:
    connection = sqlite3.connect(cache_dir / "cache.db")
    rows = connection.execute("SELECT key, raw, mode, value FROM Cache").fetchall()
    connection.close()
    return rows


def test_values_are_json_not_pickles(cache_dir: Path) -> None:
    import zlib

    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1, body="<p>Anna's Archive " + "long words " * 2000 + "</p>")])
    rows = raw_rows(cache_dir)
    assert rows
    compressed = 0
    for key, raw, mode, value in rows:
        assert isinstance(key, str) and raw == 1  # plain text keys, kept in order
        assert mode == 1 and isinstance(value, bytes), key  # in the database, raw bytes
        assert value[:1] != b"\x80", f"{key!r} looks pickled"
        if value[:1] == b"x":
            compressed += 1
            value = zlib.decompress(value)
        json.loads(value)
    assert compressed >= 1  # the long article was compressed


def test_a_tampered_pickle_is_never_unpickled(cache_dir: Path, tmp_path: Path) -> None:
    import pickle

    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1)])
        store.set_meta("ui.source", "all")
    connection = sqlite3.connect(cache_dir / "cache.db")
    with connection:  # another program rewrites two rows as pickles (diskcache's mode 4)
        payload = pickle.dumps(Exploit())
        connection.execute(
            "UPDATE Cache SET mode = 4, value = ? WHERE key IN ('meta:ui.source', ?)",
            (payload, f"a:{article_id('Wire', 'guid-1')}"),
        )
    connection.close()
    with Store(cache_dir) as store:
        assert store.get_meta("ui.source") is None
        assert store.load_articles() == []
        assert len(store.damaged) == 2
    assert not marker.exists()


def test_schema_version_is_recorded_and_a_newer_one_is_refused(cache_dir: Path) -> None:
    from briefing.core import cachefile

    Store(cache_dir).close()
    raw = cachefile.open_writable(cache_dir)
    assert raw.get("schema") == {"version": SCHEMA_VERSION}
    raw.set("schema", {"version": SCHEMA_VERSION + 1})
    raw.close()
    with pytest.raises(StoreError, match="schema version") as caught:
        Store(cache_dir)
    assert not caught.value.rebuildable  # a newer briefing's cache is not to be moved aside


def test_a_corrupt_cache_gives_a_clear_error_and_can_be_moved_aside(cache_dir: Path) -> None:
    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1)])
    (cache_dir / "cache.db").write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (cache_dir / f"cache.db{suffix}").unlink(missing_ok=True)
    with pytest.raises(StoreError) as caught:
        Store(cache_dir)
    assert str(cache_dir) in str(caught.value) and "cannot be read" in str(caught.value)
    moved = Store.move_aside(caught.value.directory)
    assert (moved / "cache.db").exists()  # nothing deleted
    with Store(cache_dir) as fresh:
        assert fresh.load_articles() == []


def test_cli_on_a_corrupt_cache_prints_one_message_and_no_traceback(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "cache.db").write_bytes(b"garbage" * 1000)
    result = subprocess.run(
        [sys.executable, "-m", "briefing", "--cache-dir", str(cache), "articles"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot be read" in result.stderr and "--rebuild-cache" in result.stderr
    assert cache.exists() and not any(".damaged-" in p.name for p in tmp_path.iterdir())
    rebuilt = subprocess.run(
        [sys.executable, "-m", "briefing", "--cache-dir", str(cache), "--rebuild-cache", "feeds"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "copied 0 readable articles" in rebuilt.stderr
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("cache.damaged-")]
    assert len(aside) == 1 and (aside[0] / "cache.db").read_bytes() == b"garbage" * 1000


SCRIPT_HEADER = textwrap.dedent(
    """\
    import sys
    from briefing.core.models import ParsedEntry, Topic
    from briefing.core.store import Store
    from briefing.core.topic import TopicFilter
    topic = TopicFilter(Topic(name="case", keywords=("Anna's Archive",)))
    def entry(n):
        return ParsedEntry(id=f"guid-{n}", title=f"Anna's Archive {n}", link=f"https://e.org/{n}",
                           author="", published=None, summary="x", content="")
    store = Store(sys.argv[1])
    """
)


def run_script(body: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT_HEADER + textwrap.dedent(body), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_read_and_starred_state_is_kept_across_processes(cache_dir: Path) -> None:
    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1), entry(2)])
    result = run_script(
        """
        ids = [a.id for a in store.load_articles()]
        store.set_flags(ids[:1], read=True)
        store.set_flags(ids[1:], starred=True)
        """,
        str(cache_dir),
    )
    assert result.returncode == 0, result.stderr
    with Store(cache_dir) as store:
        flags = sorted((a.read, a.starred) for a in store.load_articles())
    assert flags == [(False, True), (True, False)]


def test_two_processes_writing_at_once_do_not_corrupt_the_cache(cache_dir: Path) -> None:
    Store(cache_dir).close()
    body = """
        name = sys.argv[2]
        for round in range(30):
            store.save_entries(name, [entry(n) for n in range(round + 1)], topic, retention_days=90)
            ids = [a.id for a in store.load_articles([name])]
            store.set_flags(ids, read=True)
        print("done")
        """
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT_HEADER + textwrap.dedent(body), str(cache_dir), name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("Wire", "Trade")
    ]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.strip() == "done"
    with Store(cache_dir) as store:
        articles = store.load_articles()
    assert len(articles) == 60
    assert all(a.read for a in articles)  # neither process lost the other's flags


def test_killing_a_refresh_loses_nothing_already_stored(cache_dir: Path) -> None:
    body = """
        store.save_entries("Wire", [entry(n) for n in range(40)], topic, retention_days=90)
        print("stored", flush=True)
        n = 0
        while True:  # keep writing another feed until killed
            n += 1
            store.save_entries("Trade", [entry(i) for i in range(n % 50 + 1)], topic, retention_days=90)
        """
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT_HEADER + textwrap.dedent(body), str(cache_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "stored"
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    with Store(cache_dir) as store:
        wire = store.load_articles(["Wire"])
        trade = store.load_articles(["Trade"])
    assert len(wire) == 40
    assert 1 <= len(trade) <= 50  # whole feeds only: never a half-written one


def test_topic_matches_computed_elsewhere_are_used(cache_dir: Path) -> None:
    from briefing.core.models import ParsedFeed
    from briefing.core.topic import TopicMatch, match_feed_entries

    weather = entry(2, title="Weather report", body="<p>Rain.</p>")
    parsed = ParsedFeed(title="Wire", link="", entries=(entry(1), weather))
    matches = match_feed_entries(TOPIC.topic, parsed)  # what the parse worker returns
    assert matches["guid-1"].on_topic and not matches["guid-2"].on_topic
    forced = {**matches, "guid-2": TopicMatch(on_topic=True, relevance=0.5)}
    with Store(cache_dir) as store:
        store.save_entries("Wire", parsed.entries, TOPIC, retention_days=90, matches=forced)
        stored = {a.title: a for a in store.load_articles()}
    assert stored["Weather report"].on_topic and stored["Weather report"].relevance == 0.5


def test_stored_times_parse_as_aware_utc_or_none() -> None:
    from briefing.core.service import age_in_words
    from briefing.core.store import parse_utc

    naive = parse_utc("2026-01-16T10:00:00")
    assert naive is not None and naive.utcoffset() is not None
    assert parse_utc("2026-01-16T12:00:00+02:00") == naive
    assert parse_utc("yesterday") is None and parse_utc(None) is None
    assert age_in_words("not a time") == "unknown" and age_in_words(None) == "never"


def test_damaged_records_are_left_out_and_the_rest_stays_readable(cache_dir: Path) -> None:
    second = article_id("Wire", "guid-2")
    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1), entry(2), entry(3)])
        store.set_flags([article_id("Wire", "guid-1")], read=True)
        raw = store._cache  # another program writing odd shapes
        record = raw.get(f"a:{second}")
        raw.set(f"a:{second}", {**record, "title": 12})
        raw.set("f:junk", "not a mark")
        state = {"name": "Wire", "url": "https://example.org/feed", "last_success": 12}
        raw.set("feed:Wire", state)
        raw.set("sources", ["Wire", 5])
    with Store(cache_dir) as store:
        articles = store.load_articles()
        assert [a.title for a in articles] == ["Anna's Archive story 1", "Anna's Archive story 3"]
        assert articles[0].read
        assert store.damaged == {f"a:{second}"}  # reported
        assert store.feed_state("Wire") is None  # as if never fetched
        assert store.source_names() == ["Wire"]
        # The next refresh writes the damaged article again.
        counts = save(store, "Wire", [entry(1), entry(2), entry(3)])
        assert counts.new == 1
        assert len(store.load_articles()) == 3


def test_records_read_in_bulk_are_those_read_one_by_one(cache_dir: Path) -> None:
    """Feed states, counts and the page index read in a few queries (a warm refresh
    reads one of each per feed) give what reading each key gives: inside a
    transaction what it wrote, on a read-only cache the same, and a value that
    cannot be decoded is left out and reported as damaged."""
    names = [f"Feed {n}" for n in range(7)]
    with Store(cache_dir) as store:
        for name in names:
            save(store, name, [entry(n) for n in range(3)])
            store.save_feed_state(FeedState(name=name, url=f"https://example.org/{name}"))
        one_by_one = {n: store.feed_state(n) for n in names}
        assert store.feed_states_of([*names, "Never"]) == one_by_one
        counts = store.feed_counts(names)
        assert set(counts) == set(names) and all(c.articles == 3 for c in counts.values())
        with store.transaction():
            store.save_feed_state(FeedState(name="Feed 1", url="https://example.org/new"))
            assert store.feed_states_of(["Feed 1"])["Feed 1"].url == "https://example.org/new"
        with store.page_index_read_ahead(names):
            assert store.page_entries("Feed 2", "auto") == store.page_entries("Feed 2", "auto")
        store._cache._cache._sql(  # a value no JSON decoder reads
            "UPDATE Cache SET value = ? WHERE key = ?", (b"\xff\xfe", "feed:Feed 3")
        )
    with Store(cache_dir, read_only=True) as store:
        states = store.feed_states_of(names)
        assert set(states) == set(names) - {"Feed 3"}
        assert "feed:Feed 3" in store.damaged
        assert store.feed_counts(names) == counts


def test_a_write_in_one_statement_leaves_the_rows_diskcache_leaves(tmp_path: Path) -> None:
    """Inside a transaction a record is written in one statement, not through
    diskcache's SELECT then UPDATE or INSERT: the table afterwards (every column
    but the times, and diskcache's own count of rows) is the same either way, for
    new keys, changed ones, a value stored in a file of its own and one that no
    longer is (its file removed)."""
    from briefing.core import cachefile

    def table(directory: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        with sqlite3.connect(directory / "cache.db") as db:
            rows = db.execute(
                "SELECT key, raw, expire_time, access_count, tag, size, mode,"
                " filename IS NULL, value FROM Cache ORDER BY key"
            ).fetchall()
            settings = db.execute(
                "SELECT key, value FROM Settings WHERE key IN ('count', 'size')"
            ).fetchall()
        return rows, settings

    big = {"text": "x" * 300}
    results = []
    for one_statement in (True, False):
        directory = tmp_path / str(one_statement)
        directory.mkdir()
        cache = cachefile.open_writable(directory)
        cache._cache.reset("disk_min_file_size", 200)  # "big" goes to a file of its own
        for round_ in range(2):
            with cache.transact():
                for n in range(5):
                    value = {"n": n, "round": round_, "text": "é\u2028" * n}
                    if one_statement:
                        cache.set(f"a:{n}", value)
                    else:
                        cache._cache.set(f"a:{n}", value)
                cache.set("meta:big", big)
                cache.set("a:big", big)
                cache.set("a:was-big", big if round_ == 0 else {"small": True})
        assert cache.get("a:3") == {"n": 3, "round": 1, "text": "é\u2028" * 3}
        assert cache.get("a:was-big") == {"small": True}
        cache.close()
        assert len(list(directory.rglob("*.val"))) == 2  # a:big and meta:big; not a:was-big
        results.append(table(directory))
    assert results[0] == results[1]


def test_cli_on_damaged_records_prints_no_traceback(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with Store(cache) as store:
        save(store, "Wire", [entry(1), entry(2)])
        store._cache.set(f"a:{article_id('Wire', 'guid-2')}", {"id": 5})
        store._cache.set("feed:Wire", {"name": "Wire", "url": 3, "last_success": 12})
    config = tmp_path / "feeds.toml"
    config.write_text(
        '[topic]\nname = "case"\nkeywords = ["Anna\'s Archive"]\n\n'
        '[[feeds]]\nname = "Wire"\nurl = "https://example.org/feed"\n',
        encoding="utf-8",
    )
    for command in ("articles", "feeds", "facts"):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "briefing",
                "--config",
                str(config),
                "--cache-dir",
                str(cache),
                "--offline",
                command,
            ],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            cwd=tmp_path,
        )
        assert "Traceback" not in result.stderr, (command, result.stderr)
        assert result.returncode == 0, (command, result.stderr)
        if command == "facts":  # what reads the articles' bodies says what it left out
            assert "1 damaged record" in result.stderr and "--repair-cache" in result.stderr
        if command == "articles":
            assert "Anna's Archive story 1" in result.stdout


def test_a_failed_write_is_a_store_error_and_keeps_what_was_stored(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1)])
        identifier = article_id("Wire", "guid-1")
        real_set = store._cache.set
        written: list[str] = []

        def disk_full(key: str, *args: object, **kwargs: object) -> None:
            if key in (f"f:{identifier}", "sources", "meta:last"):
                raise sqlite3.OperationalError("database or disk is full")
            written.append(key)
            real_set(key, *args, **kwargs)

        monkeypatch.setattr(store._cache, "set", disk_full)
        with pytest.raises(StoreError, match=r"the disk holding the cache at .* is full"):
            store.set_flags([identifier], starred=True)
        with pytest.raises(StoreError, match="is full"):
            # the articles of Second are written, then sources fails: the whole transaction goes
            save(store, "Second", [entry(1), entry(2)])
        assert f"a:{article_id('Second', 'guid-1')}" in written
        with pytest.raises(StoreError, match="is full"):
            store.set_meta("last", "x")
        monkeypatch.setattr(store._cache, "set", real_set)
        assert [a.id for a in store.load_articles()] == [identifier]
        assert not store.load_articles()[0].starred
        assert store.load_articles(["Second"]) == []  # rolled back, not half written


def test_a_broken_sample_cache_is_rebuilt(tmp_path: Path) -> None:
    from briefing.core.service import open_sample, sample_cache_dir

    open_sample(tmp_path).store.close()
    sample = sample_cache_dir(tmp_path)
    (sample / "cache.db").write_bytes(b"garbage" * 1000)
    for suffix in ("-wal", "-shm"):
        (sample / f"cache.db{suffix}").unlink(missing_ok=True)
    service = open_sample(tmp_path)
    assert len(service.articles()) >= 15
    service.store.close()
    assert any(p.name.startswith(f"{sample.name}.broken-") for p in sample.parent.iterdir())


# --------------------------------------------------------------------------- the layout


def test_one_change_is_one_small_write(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Marking one article, or storing a feed with one new entry, writes only that
    article's records and its own feed's index, whatever else is cached."""
    with Store(cache_dir) as store:
        for feed in range(20):
            save(store, f"Feed {feed}", [entry(n) for n in range(50)])
        save(store, "Wire", [entry(n) for n in range(10)])
        written: list[tuple[str, int]] = []
        real_set = store._cache.set

        def counting_set(key: str, value: object) -> None:
            written.append((key, len(json.dumps(value))))
            real_set(key, value)

        monkeypatch.setattr(store._cache, "set", counting_set)
        target = article_id("Wire", "guid-3")
        store.set_flags([target], read=True)
        keys = {key for key, _ in written}
        assert keys == {f"f:{target}", "fx:Wire", "n:Wire"} | {
            k for k in keys if k.startswith("~t:") and k.endswith(target)
        }
        assert len(keys) == 4 and max(size for _, size in written) < 2000
        written.clear()
        save(store, "Wire", [entry(n) for n in range(11)])  # one new entry
        keys = {key for key, _ in written}
        new = article_id("Wire", "guid-10")
        assert f"a:{new}" in keys
        assert not any(k.startswith("a:") and k != f"a:{new}" for k in keys)  # unchanged: no write
        assert not any("Feed" in k for k in keys)  # no other feed's records
        assert max(size for _, size in written) < 5000
        assert_indexes_consistent(store)


def test_many_feeds_in_one_transaction_write_the_shared_indexes_once(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list of sources and the topic index, which every new feed changes, are
    written once per transaction, not once per feed (N new feeds rewrote the list of
    names N times: quadratic), and say the same as when each feed had its own."""
    with Store(cache_dir) as store, Store(cache_dir / "one-by-one") as alone:
        written: list[str] = []
        real_set = store._cache.set

        def counting_set(key: str, value: object) -> None:
            written.append(key)
            real_set(key, value)

        monkeypatch.setattr(store._cache, "set", counting_set)
        with store.transaction():
            for feed in range(30):
                save(store, f"Feed {feed}", [entry(n) for n in range(3)])
                assert store.source_names()[-1] == f"Feed {feed}"  # seen inside at once
        assert written.count("sources") == 1
        assert written.count("topic") == 1
        for feed in range(30):
            save(alone, f"Feed {feed}", [entry(n) for n in range(3)])
        assert store.source_names() == alone.source_names()
        assert store.topic_days() == alone.topic_days()
        assert store.topic_state()[0] == alone.topic_state()[0]
        assert_indexes_consistent(store)
        # Names already stored cost no write, and no read of the list either.
        written.clear()
        store.add_sources([f"Feed {feed}" for feed in range(30)])
        save(store, "Feed 3", [entry(n) for n in range(4)])
        assert "sources" not in written


def test_a_transaction_that_fails_leaves_the_shared_indexes_as_they_were(
    cache_dir: Path,
) -> None:
    with Store(cache_dir) as store:
        save(store, "Old", [entry(1)])
        before = (store.source_names(), store.topic_days(), store.topic_state())
        with pytest.raises(RuntimeError), store.transaction():
            save(store, "New", [entry(n, published="2026-01-10T09:00:00+00:00")
                                for n in range(5)])  # fmt: skip
            raise RuntimeError("stop")
        assert (store.source_names(), store.topic_days(), store.topic_state()) == before
        save(store, "New", [entry(2)])  # not taken for known by the failed one
        assert store.source_names() == ["Old", "New"]
    with Store(cache_dir) as store:
        assert store.source_names() == ["Old", "New"]


def test_reads_never_write(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from briefing.core.config import load_config
    from briefing.core.service import BriefingService

    config = cache_dir.parent / "feeds.toml"
    config.write_text(
        '[topic]\nname = "case"\nkeywords = ["weather"]\n\n'
        '[[feeds]]\nname = "Wire"\nurl = "https://example.org/feed"\n',
        encoding="utf-8",
    )
    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1), entry(2, title="Weather report", body="<p>Rain.</p>")])
        store.set_flags([article_id("Wire", "guid-1")], starred=True)

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("a read wrote to the cache")

        for name in ("set", "delete", "transact"):
            monkeypatch.setattr(store._cache, name, refuse)
        # The config's topic differs from the one the cache was matched under: it is
        # applied in memory, not stored.
        service = BriefingService(load_config(config), store)
        assert not service.indexes_current
        assert [a.title for a in service.articles()] == ["Weather report"]
        assert [h.title for h in service.headers()] == ["Weather report"]
        assert service.sources()[0].on_topic == 1
        store.load_articles(topic_filter=TOPIC)
        store.headers(), store.newest_headers(5), store.feed_counts(), store.flags()
        store.flag_states([article_id("Wire", "guid-1")]), store.starred_ids()
        store.page_validators([article_id("Wire", "guid-1")])


def test_a_changed_topic_is_stored_by_the_next_refresh(cache_dir: Path) -> None:
    wider = TopicFilter(Topic(name="case", keywords=("Anna's Archive", "weather")))
    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1), entry(2, title="Weather report", body="<p>Rain.</p>")])
        assert [h.title for h in store.headers()] == ["Anna's Archive story 1"]
        before = store.topic_state()
        assert store.rematch_topic(wider) == 1
        assert store.rematch_topic(wider) == 0  # up to date: nothing read
        after = store.topic_state()
        assert after[0] != before[0] and after[1] != before[1]
        assert {h.title for h in store.headers()} == {"Anna's Archive story 1", "Weather report"}
        assert_indexes_consistent(store)


def test_newest_headers_come_from_the_end_of_the_index(cache_dir: Path) -> None:
    with Store(cache_dir) as store:
        for feed in ("Wire", "Trade", "Desk"):
            save(
                store,
                feed,
                [entry(n, published=f"2026-01-{1 + n % 28:02d}T{n % 24:02d}:00:00+00:00")
                 for n in range(60)],
            )  # fmt: skip
        newest = store.newest_headers(10)
        everything = store.headers()
        assert newest == everything[:10] and len(everything) == 180
        assert [h.source for h in store.newest_headers(4, ["Trade"])] == ["Trade"] * 4
        assert newest[0].time >= newest[-1].time


def test_marks_keep_the_time_they_changed_and_the_newer_change_wins(cache_dir: Path) -> None:
    from briefing.core.store import FlagChange

    identifier = article_id("Wire", "guid-1")
    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1)])
        store.set_flags([identifier], read=True, changed="2026-01-20T10:00:00+00:00")
        state = store.flag_states([identifier])[identifier]
        assert (state.read, state.read_changed) == (True, "2026-01-20T10:00:00+00:00")
        assert (state.starred, state.starred_changed) == (False, "")
        applied = store.apply_flag_changes(
            [
                FlagChange(identifier, "2026-01-20T09:00:00+00:00", read=False),  # older: loses
                FlagChange(identifier, "2026-01-20T11:00:00+00:00", starred=True),  # newer: wins
            ]
        )
        assert len(applied) == 1
        state = store.flag_states([identifier])[identifier]
        assert state.read and state.starred and state.starred_changed.startswith("2026-01-20T11")
        store.apply_flag_changes([FlagChange(identifier, "2026-01-21T00:00:00+00:00", read=False)])
        assert not store.load_articles()[0].read
        assert store.apply_flag_changes([FlagChange("no-such-article", "2027", read=True)]) == []
        assert_indexes_consistent(store)


def test_sync_keeps_its_own_records_in_the_same_transaction(cache_dir: Path) -> None:
    identifier = article_id("Wire", "guid-1")
    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1)])
        with pytest.raises(RuntimeError), store.transaction():
            store.set_flags([identifier], read=True)
            store.set_record("sync:queue", [identifier])
            raise RuntimeError("the process fails before the end")
        assert store.get_record("sync:queue") is None and not store.load_articles()[0].read
        with store.transaction():
            store.set_flags([identifier], read=True)
            store.set_record("sync:queue", [identifier])
        assert store.get_record("sync:queue") == [identifier] and store.load_articles()[0].read
        with pytest.raises(ValueError):
            store.set_record("a:forged", {})


def test_indexes_stay_consistent_through_expiry_rematch_and_pages(cache_dir: Path) -> None:
    from dataclasses import replace

    old = "2025-06-01T00:00:00+00:00"
    with Store(cache_dir) as store:
        save(store, "Wire", [entry(1, published=old), entry(2, published=old), entry(3), entry(4)])
        save(store, "Trade", [entry(1), entry(5, title="Weather", body="<p>Rain.</p>")])
        store.set_flags([article_id("Wire", "guid-2")], starred=True)
        store.set_flags([article_id("Wire", "guid-3"), article_id("Trade", "guid-1")], read=True)
        assert_indexes_consistent(store)
        save(store, "Wire", [entry(4, published="2026-01-19T00:00:00+00:00"), entry(6)])
        assert_indexes_consistent(store)
        article = store.articles_by_id([article_id("Wire", "guid-4")])[article_id("Wire", "guid-4")]
        store.update_articles([replace(article, full_text="<p>Page.</p>", full_text_status="ok")])
        assert_indexes_consistent(store)
        store.rematch_topic(TopicFilter(Topic(name="case", keywords=("Rain",))))
        assert_indexes_consistent(store)


# --------------------------------------------------------------------------- upgrading


FIXTURE_V1 = Path(__file__).parent / "fixtures" / "cache-v1"
"""A cache written by the first layout's own code (tests/fixtures/make_cache_v1.py, run
on commit 55ffb26): what users' caches hold, byte for byte."""


def test_a_cache_of_the_first_layout_is_carried_over_and_kept_aside(tmp_path: Path) -> None:

    cache = copy_tree(FIXTURE_V1, tmp_path / "cache")
    original = (FIXTURE_V1 / "cache.db").read_bytes()
    with Store(cache) as store:
        aside = store.notes.migrated_from
        assert aside is not None and aside.name.startswith("cache.v1-")
        assert (aside / "cache.db").read_bytes() == original  # kept, untouched
        articles = {a.title: a for a in store.load_articles()}
        assert len(articles) == 8
        assert sum(a.on_topic for a in articles.values()) == 6
        marks = {t: (a.read, a.starred) for t, a in articles.items() if a.read or a.starred}
        assert marks == {
            "Anna's Archive: story 1 from Wire": (True, False),
            "Anna's Archive: story 4 from Wire": (True, True),
            "Anna's Archive: story 3 from Trade": (False, True),
        }
        page = articles["Anna's Archive: story 3 from Wire"]
        assert page.full_text_status == "ok" and "300 TB" in page.full_text
        failed = articles["Anna's Archive: story 5 from Wire"]
        assert failed.full_text_status == "failed: HTTP 404 Not Found"
        validators = store.page_validators([page.id])[page.id]
        assert (validators.url, validators.etag) == (page.link, '"page-etag"')
        assert validators.checked == "2026-01-20T12:00:00+00:00"
        state = store.feed_state("Wire")
        assert state is not None and state.etag == '"Wire-etag"' and state.title == "The Wire"
        assert store.get_meta("ui.source") == "feed:Wire"
        assert store.get_meta("last_refresh") == "2026-01-20T12:00:00+00:00"
        assert store.flag_states([page.id]) == {}
        assert store.starred_ids() == {
            articles["Anna's Archive: story 4 from Wire"].id: "Wire",
            articles["Anna's Archive: story 3 from Trade"].id: "Trade",
        }
        assert_indexes_consistent(store)
    # The facts engine's cache came along, every record of it (the engine that wrote
    # them has been replaced since, so they are kept, not used).
    from briefing.core import cachefile

    old = cachefile.open_read_only(aside, legacy=True)
    try:
        old_facts = {
            k[len("facts:") :]: old.get(k) for k in old.all_keys() if k.startswith("facts:")
        }
    finally:
        old.close()
    assert len(old_facts) == 6
    with Store(cache) as store:
        assert store.notes.migrated_from is None  # once only
        assert store.load_facts(list(old_facts)) == old_facts


def test_the_upgrade_is_told_once_on_the_command_line(tmp_path: Path) -> None:
    cache = copy_tree(FIXTURE_V1, tmp_path / "cache")
    config = tmp_path / "feeds.toml"
    config.write_text(
        '[topic]\nname = "case"\nkeywords = ["Anna\'s Archive"]\n'
        '[[feeds]]\nname = "Wire"\nurl = "https://wire.example/feed.xml"\n',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "briefing", "--config", str(config), "--cache-dir",
               str(cache), "articles", "--all"]  # fmt: skip
    first = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert first.returncode == 0, first.stderr
    assert "upgraded the cache" in first.stderr and "cache.v1-" in first.stderr
    assert "story 1 from Wire" in first.stdout
    second = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert "upgraded" not in second.stderr and second.stdout == first.stdout


def test_an_upgrade_cut_short_between_its_two_renames_is_finished(tmp_path: Path) -> None:
    from briefing.core import cacheupkeep

    cache = copy_tree(FIXTURE_V1, tmp_path / "cache")
    with Store(cache) as store:
        assert store.notes.migrated_from is not None
    # As if killed after the old cache was moved aside, before the new one was put in place.
    cache.rename(tmp_path / "cache.upgrading-999999")
    with Store(cache) as store:
        assert len(store.load_articles()) == 8
    assert not (tmp_path / "cache.upgrading-999999").exists()
    assert cacheupkeep  # the module that does it


def big_first_layout_cache(folder: Path, feeds: int = 20, per_feed: int = 100) -> Path:
    """A larger cache of the first layout, written in its documented format (diskcache's
    JSONDisk, one articles:<feed> blob each) from the fixture's own records."""
    import diskcache

    cache = copy_tree(FIXTURE_V1, folder / "cache")
    with diskcache.Cache(str(cache), disk=diskcache.JSONDisk, disk_compress_level=1) as raw:
        template = next(iter(raw.get("articles:Wire").values()))
        flags = raw.get("flags")
        for feed in range(feeds):
            name = f"Feed {feed}"
            records = {}
            for n in range(per_feed):
                identifier = article_id(name, f"g{n}")
                records[identifier] = {**template, "id": identifier, "source": name,
                                       "title": f"Anna's Archive {feed}-{n}"}  # fmt: skip
                if n % 10 == 0:
                    flags[identifier] = [True, n % 20 == 0]
            raw.set(f"articles:{name}", records)
        raw.set("flags", flags)
        raw.set("sources", [*raw.get("sources"), *(f"Feed {f}" for f in range(feeds))])
    return cache


def test_killing_the_upgrade_at_any_moment_loses_nothing(tmp_path: Path) -> None:
    import random

    code = "import sys; from briefing.core.store import Store; Store(sys.argv[1]).close()"
    timing = big_first_layout_cache(tmp_path / "timing")
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", code, str(timing)], check=True)
    whole = time.monotonic() - started
    rng = random.Random(7)
    killed = 0
    for attempt in range(4):
        folder = tmp_path / f"run{attempt}"
        cache = big_first_layout_cache(folder)
        original = (cache / "cache.db").read_bytes()
        process = subprocess.Popen([sys.executable, "-c", code, str(cache)])
        time.sleep(rng.uniform(0.3, 0.95) * whole)
        process.kill()
        killed += process.wait(timeout=10) == -signal.SIGKILL
        with Store(cache) as store:
            assert len(store.load_articles()) == 8 + 2000, attempt
            assert len(store.flags()) == 3 + 200
            assert_indexes_consistent(store)
        kept = [p for p in folder.iterdir() if p.name.startswith("cache.v1-")]
        assert len(kept) == 1 and (kept[0] / "cache.db").read_bytes() == original
        assert not [p for p in folder.iterdir() if ".upgrading-" in p.name]
    assert killed >= 3  # most were cut short, not finished before the kill


def test_two_processes_opening_an_old_cache_upgrade_it_once(tmp_path: Path) -> None:
    cache = copy_tree(FIXTURE_V1, tmp_path / "cache")
    code = (
        "import sys; from briefing.core.store import Store; s = Store(sys.argv[1]);"
        " print(len(s.load_articles()), s.notes.migrated_from is not None)"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(cache)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=60)[0].split() for p in processes]
    assert sorted(outputs) == [["8", "False"], ["8", "False"], ["8", "True"]]
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("cache.v1-")]) == 1


def test_closing_a_read_only_cache_while_a_thread_reads_it_never_crashes(tmp_path: Path) -> None:
    """The reader reads in threads of its own; closing the cache while one of them runs
    a statement crashed the interpreter (sqlite3 closed under a running statement, a
    segmentation fault seen in CI). Now close waits for the statement, and a read after
    close is an sqlite3 error. Run in a child process: a crash there fails the test."""
    import subprocess
    import sys
    import textwrap

    with Store(tmp_path) as store:
        for number in range(50):
            store.save_feed_state(FeedState(name=f"feed {number}", url="http://example.test/"))
    script = textwrap.dedent(
        f"""
        import sqlite3, threading
        from pathlib import Path
        from briefing.core.cachefile import ReadOnlyCache
        for _ in range(40):
            cache = ReadOnlyCache(Path({str(tmp_path)!r}))
            errors = []
            def read():
                try:
                    for _ in range(2000):
                        cache.get("sources")
                        list(cache.all_keys())
                except sqlite3.Error as error:
                    errors.append(type(error).__name__)
            threads = [threading.Thread(target=read) for _ in range(3)]
            for thread in threads:
                thread.start()
            cache.close()
            for thread in threads:
                thread.join()
            assert all(name == "ProgrammingError" for name in errors), errors
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_first_states_are_written_together_for_new_feeds_only(cache_dir: Path) -> None:
    """The states of feeds named for the first time are written with the list of
    sources, side by side in the file; a feed that has a state keeps it."""
    with Store(cache_dir) as store:
        store.save_feed_state(FeedState(name="old", url="https://example.org/old", etag='"1"'))
        names = ["old", *(f"new {n}" for n in range(5))]
        first = {name: FeedState(name=name, url=f"https://example.org/{name}") for name in names}
        store.add_sources(names, first_states=first)
        assert store.feed_state("old") == FeedState(
            name="old", url="https://example.org/old", etag='"1"'
        )
        for n in range(5):
            assert store.feed_state(f"new {n}") == first[f"new {n}"]
        assert store.source_names() == names
    with sqlite3.connect(cache_dir / "cache.db") as connection:
        rows = [
            rowid
            for (rowid,) in connection.execute(
                "SELECT rowid FROM Cache WHERE key LIKE 'feed:new %' ORDER BY rowid"
            )
        ]
    assert rows == list(range(rows[0], rows[0] + 5))
