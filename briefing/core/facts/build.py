"""A briefing from articles: facts from the cache or extracted (in worker processes
when there are many), merged into key facts and a timeline.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from briefing.core.models import Article, Briefing, FactsVocabulary, KeyFact, TimelineEvent

from .cache import FactCache, FactMemo, fact_cache_key, facts_from_cache_entry, facts_to_cache_entry
from .extract import Fact, extract_facts
from .keyfacts import key_fact, rank_key
from .merge import cluster_facts
from .timeline import build_timeline
from .vocabulary import vocabulary_for

__all__ = [
    "assemble_briefing",
    "build_briefing",
    "fact_articles",
    "forget_remembered_facts",
    "merge_facts",
]


def merge_facts(facts: Iterable[Fact], vocabulary: FactsVocabulary | None = None) -> list[KeyFact]:
    """Key facts of all these facts, most-stated first, each label unique."""
    words = vocabulary_for(vocabulary)
    key_facts = [key_fact(cluster, words) for cluster in cluster_facts(facts, words)]
    key_facts.sort(key=rank_key)
    return _unique(key_facts)


def _unique(key_facts: list[KeyFact]) -> list[KeyFact]:
    """Two facts never share a label or an id: the later one is numbered."""
    from dataclasses import replace

    labels: dict[str, int] = {}
    ids: set[str] = set()
    out = []
    for fact in key_facts:
        count = labels.get(fact.label.lower(), 0) + 1
        labels[fact.label.lower()] = count
        if count > 1:
            fact = replace(fact, label=f"{fact.label} ({count})")
        fact_id = fact.id
        number = 1
        while fact_id in ids:
            number += 1
            fact_id = f"{fact.id}-{number}"
        ids.add(fact_id)
        out.append(replace(fact, id=fact_id) if fact_id != fact.id else fact)
    return out


class _MergeMemo:
    """The last merge in this process, by the cache keys of the articles merged.

    After a refresh that changed no on-topic article the TUI asks for the same
    briefing again: the keys name every article's content and the extractor version,
    and the merge is a pure function of the facts in key order, so the last result
    is the answer. Any change of content, order or membership is a miss.
    """

    def __init__(self) -> None:
        self._keys: tuple[str, ...] | None = None
        self._result: tuple[list[KeyFact], list[TimelineEvent]] | None = None
        self._lock = threading.Lock()

    def get(self, keys: tuple[str, ...]) -> tuple[list[KeyFact], list[TimelineEvent]] | None:
        with self._lock:
            return self._result if self._keys == keys else None

    def put(self, keys: tuple[str, ...], result: tuple[list[KeyFact], list[TimelineEvent]]) -> None:
        with self._lock:
            self._keys, self._result = keys, result

    def clear(self) -> None:
        with self._lock:
            self._keys = self._result = None


_LAST_MERGE = _MergeMemo()
_MEMO = FactMemo(capacity=20_000)


def forget_remembered_facts() -> None:
    """Drop the in-process memory of facts, as a fresh process would start."""
    _MEMO.clear()
    _LAST_MERGE.clear()


EXTRACT_WORKERS = 2
"""Worker processes for a large cold extraction (the sandbox and most laptops have 2+ cores)."""
_POOL_THRESHOLD = 50
"""Fewer articles than this to extract are done in this process: starting workers
(a fresh interpreter each, importing this module) costs more than it saves."""
_CHUNK = 25
"""Articles per task: small enough to share the work evenly, large enough that
sending tasks costs little."""


def _extract_entries(articles: Sequence[Article]) -> list[list[dict[str, Any]]]:
    """Worker side: each article's facts as a cache entry (plain data pickles fast)."""
    return [facts_to_cache_entry(extract_facts(article), article) for article in articles]


def _extract_many(articles: Sequence[Article]) -> list[tuple[list[Fact], list[dict[str, Any]]]]:
    """Facts and cache entry of each article, in order; in worker processes when many.

    This process works too: it takes chunks from the back of the queue that no worker
    has started (a pending future can be cancelled), so nothing waits for the workers
    to start and a 2-core machine stays busy. Results are identical to the serial path
    (a test checks), because workers run the same code and return the same cache
    entries this process would store.
    """
    if len(articles) < _POOL_THRESHOLD:
        return [_extract_one(article) for article in articles]
    try:
        return _extract_in_pool(articles)
    except Exception:
        return [_extract_one(article) for article in articles]


def _extract_one(article: Article) -> tuple[list[Fact], list[dict[str, Any]]]:
    facts = extract_facts(article)
    return facts, facts_to_cache_entry(facts, article)


def _extract_in_pool(
    articles: Sequence[Article], *, help_here: bool = True
) -> list[tuple[list[Fact], list[dict[str, Any]]]]:
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    chunks = [articles[i : i + _CHUNK] for i in range(0, len(articles), _CHUNK)]
    results: list[list[tuple[list[Fact], list[dict[str, Any]]]] | None] = [None] * len(chunks)
    # spawn, as the feed parser pool: a worker must not inherit the caller's threads
    # (the TUI runs some) or sockets.
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(EXTRACT_WORKERS, mp_context=context)
    try:
        futures: list[Future[list[list[dict[str, Any]]]]] = [
            executor.submit(_extract_entries, chunk) for chunk in chunks
        ]
        for index in range(len(chunks) - 1, -1, -1):
            if help_here and futures[index].cancel():
                results[index] = [_extract_one(article) for article in chunks[index]]
        for index, (chunk, future) in enumerate(zip(chunks, futures, strict=True)):
            if results[index] is None:
                results[index] = [
                    (facts_from_cache_entry(entry, article), entry)
                    for article, entry in zip(chunk, future.result(), strict=True)
                ]
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return [
        pair for chunk_results in results if chunk_results is not None for pair in chunk_results
    ]


def build_briefing(
    articles: Sequence[Article],
    topic_name: str,
    cache: FactCache | None = None,
    now: dt.datetime | None = None,
    vocabulary: FactsVocabulary | None = None,
) -> Briefing:
    """Merged key facts and timeline of the on-topic articles.

    Each article's facts come from this process's memory or from ``cache`` when its
    content is unchanged; only new or changed articles are re-extracted (and saved back).
    """
    on_topic = [a for a in articles if a.on_topic]
    keys = [fact_cache_key(a) for a in on_topic]
    words = vocabulary_for(vocabulary)
    memo_key = (words.digest, *keys)
    merged = _LAST_MERGE.get(memo_key)
    if merged is not None:
        return assemble_briefing(
            topic_name, now, *merged, articles=len(keys), extracted=0, cached=len(keys)
        )
    remembered = _MEMO.get_many(keys)
    cached: Mapping[str, list[dict[str, Any]]] = {}
    missing = [key for key in keys if key not in remembered]
    if cache is not None and missing:
        cached = cache.load_facts(missing)
    per_article: list[list[Fact] | None] = []
    fresh: dict[str, list[dict[str, Any]]] = {}
    learned: dict[str, list[Fact]] = {}
    to_extract: list[int] = []
    reused = 0
    for index, (article, key) in enumerate(zip(on_topic, keys, strict=True)):
        loaded = remembered.get(key)
        if loaded is None:
            entries = cached.get(key)
            if entries is not None:
                try:
                    loaded = facts_from_cache_entry(entries, article)
                except (KeyError, ValueError, TypeError, AttributeError):
                    loaded = None  # an unreadable entry is re-extracted, not fatal
            if loaded is None:
                to_extract.append(index)
            else:
                learned[key] = loaded
        if loaded is not None:
            reused += 1
        per_article.append(loaded)
    extracted = _extract_many([on_topic[index] for index in to_extract])
    for index, (loaded, entry) in zip(to_extract, extracted, strict=True):
        key = keys[index]
        fresh[key] = entry
        learned[key] = loaded
        per_article[index] = loaded
    facts = [fact for loaded in per_article if loaded is not None for fact in loaded]
    if cache is not None and fresh:
        cache.save_facts(fresh)
    _MEMO.put_many(learned)

    key_facts = merge_facts(facts, vocabulary)
    timeline = build_timeline(key_facts)
    _LAST_MERGE.put(memo_key, (key_facts, timeline))
    return assemble_briefing(
        topic_name,
        now,
        key_facts,
        timeline,
        articles=len(on_topic),
        extracted=len(fresh),
        cached=reused,
    )


def assemble_briefing(
    topic_name: str,
    now: dt.datetime | None,
    key_facts: Sequence[KeyFact],
    timeline: Sequence[TimelineEvent],
    *,
    articles: int,
    extracted: int,
    cached: int,
) -> Briefing:
    """A Briefing of merged key facts and a timeline, stamped ``now`` (UTC), with
    counts of the articles it covers and how many were extracted or cached."""
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return Briefing(
        topic=topic_name,
        generated=moment.astimezone(dt.UTC).isoformat(timespec="seconds"),
        facts=tuple(key_facts),
        timeline=tuple(timeline),
        extra={
            "articles": articles,
            "extracted": extracted,
            "cached": cached,
            "differences": [k.id for k in key_facts if k.status == "differs"],
        },
    )


def fact_articles(fact: KeyFact) -> set[str]:
    """Ids of the articles that state any value of ``fact``."""
    return {article for value in fact.values for article in value.articles}
