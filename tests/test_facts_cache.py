"""The facts engine's cache, memory, worker pool and version: only changed articles are
read again, and no rule or word can change without the cached facts following."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from _facts_cases import article
from _facts_helpers import MemoryFactCache, load_sample_articles

import briefing.core.facts.build as build_module
from briefing.core.facts import (
    Fact,
    build_briefing,
    engine_version,
    extract_facts,
    fact_cache_key,
    facts_from_cache_entry,
    facts_to_cache_entry,
    forget_remembered_facts,
    merge_facts,
)
from briefing.core.facts import cache as cache_module
from briefing.core.facts.cache import FactMemo
from briefing.core.models import Article, FigureKind, KeyFact

NOW = dt.datetime(2026, 2, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_process_memory() -> None:
    """Each test starts as a new process would: nothing remembered in memory."""
    forget_remembered_facts()


def test_facts_survive_a_json_round_trip() -> None:
    one = article("a", "One", "Suit", "They filed on Dec. 29 and seek up to $150,000 per work.")
    facts = extract_facts(one)
    assert len(facts) == 2
    entry = json.loads(json.dumps(facts_to_cache_entry(facts, one)))
    assert facts_from_cache_entry(entry, one) == facts
    assert len(entry[0]["sentences"]) == 1  # both facts share their sentence


def test_cache_key_follows_content_and_engine_version() -> None:
    one = article("a", "One", "Suit", "They seek $13 trillion.")
    changed = article("a", "One", "Suit", "They seek $12.9 trillion.")
    assert fact_cache_key(one) == fact_cache_key(one)
    assert fact_cache_key(one) != fact_cache_key(changed)
    assert fact_cache_key(one).startswith(engine_version() + ":")


def test_the_engine_version_follows_every_rule_and_every_word(tmp_path: Path) -> None:
    """The version is a digest of the engine's code and vocabulary files: editing any
    of them gives another version, so old cached facts are never used again."""
    package = Path(cache_module.__file__).parent
    copy = tmp_path / "facts"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = cache_module.digest_of(cache_module.engine_sources(copy))
    assert before == cache_module.digest_of(cache_module.engine_sources(copy))
    vocabulary = copy / "vocabulary" / "general.toml"
    vocabulary.write_text(vocabulary.read_text() + "\n# one more comment\n")
    after_words = cache_module.digest_of(cache_module.engine_sources(copy))
    rules = copy / "merge.py"
    rules.write_text(rules.read_text() + "\n# a rule changed\n")
    after_rules = cache_module.digest_of(cache_module.engine_sources(copy))
    assert len({before, after_words, after_rules}) == 3


def test_the_engine_version_covers_every_module_of_the_package(tmp_path: Path) -> None:
    """Every module of the package is part of the version, so a rule that lives in a
    module of its own (the walks that read a frame) cannot change unseen."""
    package = Path(cache_module.__file__).parent
    sources = {path.name for path in cache_module.engine_sources(package)}
    assert {path.name for path in package.glob("*.py")} <= sources
    walks = ("frames.py", "sentence_walk.py", "left_of_figure.py", "qualifiers.py")
    assert set(walks) <= sources
    copy = tmp_path / "facts"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    versions = [cache_module.digest_of(cache_module.engine_sources(copy))]
    for name in walks:
        module = copy / name
        module.write_text(module.read_text() + "\n# a rule changed\n")
        versions.append(cache_module.digest_of(cache_module.engine_sources(copy)))
    assert len(set(versions)) == len(walks) + 1


def test_only_changed_articles_are_re_extracted(monkeypatch: pytest.MonkeyPatch) -> None:
    articles = [a for a in load_sample_articles() if a.on_topic]
    cache = MemoryFactCache()
    calls: list[str] = []
    real_extract = build_module.extract_facts

    def counting_extract(item: Article) -> list[Fact]:
        calls.append(item.id)
        return real_extract(item)

    monkeypatch.setattr(build_module, "extract_facts", counting_extract)

    first = build_briefing(articles, "Sample", cache=cache, now=NOW)
    assert len(calls) == 18 and first.extra["extracted"] == 18
    assert all(key.startswith(engine_version()) for key in cache.data)
    for stored in cache.data.values():
        assert isinstance(json.loads(stored), list)  # plain JSON, never pickles

    # Same process: facts come from memory, the store is not even asked.
    calls.clear()
    loads_before = len(cache.loads)
    second = build_briefing(articles, "Sample", cache=cache, now=NOW)
    assert calls == [] and second.extra == {**first.extra, "extracted": 0, "cached": 18}
    assert second.facts == first.facts and second.timeline == first.timeline
    assert len(cache.loads) == loads_before

    # A new process: facts come back from the store's JSON, identical.
    forget_remembered_facts()
    from_store = build_briefing(articles, "Sample", cache=cache, now=NOW)
    assert calls == [] and from_store.extra == second.extra
    assert from_store.facts == first.facts and from_store.timeline == first.timeline

    edited = list(articles)
    old = edited[0]
    edited[0] = Article(
        **{
            **{name: getattr(old, name) for name in old.__slots__},
            "content": old.content + "<p>They now say 90 million music files were scraped.</p>",
        }
    )
    calls.clear()
    forget_remembered_facts()
    third = build_briefing(edited, "Sample", cache=cache, now=NOW)
    assert calls == [old.id]
    assert third.extra["extracted"] == 1 and third.extra["cached"] == 17
    assert any(90e6 in {v.value for v in k.values} for k in third.facts)


def test_an_unreadable_cache_entry_is_re_extracted() -> None:
    one = article("a", "One", "Suit", "They seek $13 trillion in damages.")
    cache = MemoryFactCache()
    cache.data[fact_cache_key(one)] = json.dumps([{"kind": "nonsense"}])
    briefing = build_briefing([one], "T", cache=cache, now=NOW)
    assert briefing.extra["extracted"] == 1
    assert [k.values[0].value for k in briefing.facts] == [13e12]
    stored: list[dict[str, Any]] = json.loads(cache.data[fact_cache_key(one)])
    assert stored[0]["facts"][0][0] == FigureKind.MONEY.value


def test_the_memory_of_facts_is_bounded() -> None:
    memo = FactMemo(capacity=2)
    one: list[Fact] = []
    two: list[Fact] = []
    three: list[Fact] = []
    memo.put_many({"a": one, "b": two})
    assert memo.get_many(["a"]) == {"a": one}  # "a" is now the most recent
    memo.put_many({"c": three})
    assert set(memo.get_many(["a", "b", "c"])) == {"a", "c"}
    assert len(memo) == 2


def test_generated_is_utc_iso() -> None:
    briefing = build_briefing([], "Empty", now=dt.datetime(2026, 1, 1, 9, 30))
    assert briefing.generated == "2026-01-01T09:30:00+00:00"
    assert briefing.facts == () and briefing.timeline == ()


def _many_articles(count: int) -> list[Article]:
    """``count`` distinct articles made from the sample's (new ids, sources, dates)."""
    samples = load_sample_articles()
    made: list[Article] = []
    for index in range(count):
        base = samples[index % len(samples)]
        fields = {name: getattr(base, name) for name in base.__slots__}
        fields.update(id=f"{base.id}-copy{index}", source=f"{base.source} {index % 7}",
                      on_topic=True)  # fmt: skip
        made.append(Article(**fields))
    return made


def test_a_large_cold_extraction_in_workers_equals_the_serial_one() -> None:
    articles = _many_articles(build_module._POOL_THRESHOLD + 10)
    serial = [build_module._extract_one(item) for item in articles]
    # Every chunk in a worker (raises if the pool fails), then shared with this process.
    in_workers = build_module._extract_in_pool(articles, help_here=False)
    assert in_workers == serial
    assert build_module._extract_in_pool(articles) == serial
    assert sum(len(found) for found, _entry in serial) > 200

    cache = MemoryFactCache()
    briefing = build_briefing(articles, "Many", cache=cache, now=NOW)
    assert briefing.extra["extracted"] == len(articles)
    expected = merge_facts(fact for found, _entry in serial for fact in found)
    assert list(briefing.facts) == expected
    forget_remembered_facts()
    again = build_briefing(articles, "Many", cache=cache, now=NOW)
    assert again.extra["cached"] == len(articles) and again.facts == briefing.facts


def test_workers_are_not_started_for_a_few_articles(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []

    def no_pool(items: list[Article]) -> list[Any]:
        started.append(len(items))
        raise AssertionError("no pool for a few articles")

    monkeypatch.setattr(build_module, "_extract_in_pool", no_pool)
    few = _many_articles(build_module._POOL_THRESHOLD - 1)
    briefing = build_briefing(few, "Few", cache=MemoryFactCache(), now=NOW)
    assert started == [] and briefing.extra["extracted"] == len(few)
    enough = _many_articles(build_module._POOL_THRESHOLD)
    forget_remembered_facts()
    fallback = build_briefing(enough, "Enough", cache=MemoryFactCache(), now=NOW)
    assert started == [len(enough)] and fallback.extra["extracted"] == len(enough)


def test_an_unchanged_re_merge_reuses_the_last_merge_and_any_change_misses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    one = article("a", "One", "Suit", "They seek $13 trillion in damages.")
    two = article("b", "Two", "Suit", "The labels seek $12.9 trillion in damages.")
    first = build_briefing([one, two], "T", now=NOW)
    merges: list[int] = []
    real_merge = build_module.merge_facts

    def counting_merge(found: Any, vocabulary: Any = None) -> list[KeyFact]:
        merges.append(1)
        return real_merge(found, vocabulary)

    monkeypatch.setattr(build_module, "merge_facts", counting_merge)
    later = dt.datetime(2026, 2, 11, 8, 0, tzinfo=dt.UTC)
    again = build_briefing([one, two], "T", now=later)
    assert merges == [] and again.facts == first.facts and again.timeline == first.timeline
    assert again.generated == "2026-02-11T08:00:00+00:00"
    assert again.extra == {**first.extra, "extracted": 0, "cached": 2}

    only_one = build_briefing([one], "T", now=NOW)
    assert merges == [1] and [v.value for v in only_one.facts[0].values] == [13e12]
    edited = article("b", "Two", "Suit", "The labels seek $14 trillion in damages.")
    changed = build_briefing([one, edited], "T", now=NOW)
    assert merges == [1, 1] and any(14e12 in {v.value for v in k.values} for k in changed.facts)
