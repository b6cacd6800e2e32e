"""Checks shared by the store's tests: every index agrees with the records it describes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from briefing.core.store import FeedCounts, Store, time_key


def assert_indexes_consistent(store: Store) -> None:
    """Headers, counts, days, starred and page entries all say what a full read says."""
    from briefing.core.fulltext import wants_page_under_auto

    articles = store.load_articles()
    by_feed: dict[str, list[object]] = {}
    for article in articles:
        by_feed.setdefault(article.source, []).append(article)
    on_topic = [a for a in articles if a.on_topic]
    headers = store.headers()
    assert [h.id for h in headers] == [
        a.id
        for a in sorted(
            on_topic, key=lambda a: (time_key(a.published, a.first_seen), a.id), reverse=True
        )
    ]
    for header in headers:
        article = next(a for a in on_topic if a.id == header.id)
        assert (header.title, header.link, header.read, header.starred) == (
            article.title,
            article.link,
            article.read,
            article.starred,
        )
        assert header.full_text_status == article.full_text_status
    assert store.newest_headers(3) == headers[:3]
    expected_counts = {}
    for name in store.source_names():
        feed_articles = [a for a in articles if a.source == name]
        if not feed_articles and name not in store.feed_counts():
            continue
        expected_counts[name] = FeedCounts(
            articles=len(feed_articles),
            on_topic=sum(a.on_topic for a in feed_articles),
            unread=sum(a.on_topic and not a.read for a in feed_articles),
            starred=sum(a.starred for a in feed_articles),
            short=sum(
                a.on_topic and wants_page_under_auto(a.content, a.summary) for a in feed_articles
            ),
        )
    assert store.feed_counts() == expected_counts
    days = Counter(time_key(a.published, a.first_seen)[:10] for a in on_topic)
    assert store.topic_days() == dict(days)
    assert store.starred_ids() == {a.id: a.source for a in articles if a.starred}
    flags = store.flag_states(a.id for a in articles)
    for article in articles:
        flag = flags.get(article.id)
        assert (flag.read if flag else False) == article.read
        assert (flag.starred if flag else False) == article.starred
    for name in by_feed:
        entries, _mode = store.page_entries(name, "always")
        ids = {e.id for e in entries}
        assert ids == {a.id for a in on_topic if a.source == name}, name


def copy_tree(source: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(source, target)
    return target
