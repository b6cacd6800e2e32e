"""The last merge of a topic is kept in the real store and reused by a new process."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from briefing.core import facts, merged_cache
from briefing.core.facts import build_briefing, forget_remembered_facts
from briefing.core.service import BriefingService, open_sample
from briefing.core.store import Store


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    service = open_sample(tmp_path)
    directory = service.store.directory
    service.store.close()
    return directory


def new_process_service(sample_dir: Path) -> BriefingService:
    """What a fresh `briefing facts` sees: nothing remembered in memory."""
    forget_remembered_facts()
    from briefing.core.config import load_config, sample_config_path

    return BriefingService(load_config(sample_config_path()), Store(sample_dir))


def count_merges(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time the facts engine merges afresh."""
    merges: list[int] = []
    real_build = facts.build_briefing

    def counting_build(*args: object, **kwargs: object) -> object:
        merges.append(1)
        return real_build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(facts, "build_briefing", counting_build)
    return merges


def whole(records: dict[str, Any], topic: str, digest: str) -> tuple[Any, ...]:
    """The facts of stored records made whole from their parts, as the service does."""
    summary = records[merged_cache.meta_name(topic)]
    found = merged_cache.facts_from_record(summary, digest)
    assert found is not None
    made = []
    for number, fact in enumerate(found[0]):
        part, place = merged_cache.part_of(number)
        name = merged_cache.part_name(topic, summary["digest"], part)
        entries = merged_cache.part_facts(records[name], summary["digest"])
        assert entries is not None
        made.append(merged_cache.with_detail(fact, entries[place]))
    return tuple(made), found[1]


def test_a_record_reads_back_as_the_same_facts_and_timeline(sample_dir: Path) -> None:
    service = new_process_service(sample_dir)
    merged = build_briefing(service.articles(), "Sample", cache=service.store)
    service.store.close()
    assert merged.facts and merged.timeline
    records = json.loads(json.dumps(merged_cache.briefing_records(merged, "d1")))
    assert len(records) == 1 + -(-len(merged.facts) // merged_cache.PART_SIZE)
    assert whole(records, "Sample", "d1") == (merged.facts, merged.timeline)
    summary = records[merged_cache.meta_name("Sample")]
    facts, timeline = merged_cache.facts_from_record(summary, "d1") or ((), ())
    assert timeline == merged.timeline
    # The summary: what the facts pane lists, nothing of the quotes.
    assert [(f.id, f.label, f.status, f.sources) for f in facts] == [
        (f.id, f.label, f.status, f.sources) for f in merged.facts
    ]
    assert [[v.text for v in f.values] for f in facts] == [
        [v.text for v in f.values] for f in merged.facts
    ]
    assert not any(v.quotes or v.articles or v.spans for f in facts for v in f.values)
    assert len(json.dumps(summary)) < len(json.dumps(records)) / 3
    assert merged_cache.facts_from_record(summary, "d2") is None  # made from something else
    for broken in (None, [], {"digest": "d1"}, {"digest": "d1", "facts": [{}], "timeline": []}):
        assert merged_cache.facts_from_record(broken, "d1") is None
    # The first format (the whole merge in one record) is merged again, not misread.
    assert merged_cache.facts_from_record({**summary, "format": None}, "d1") is None
    part = records[merged_cache.part_name("Sample", "d1", 0)]
    assert merged_cache.part_facts(part, "d2") is None  # a part of another merge
    assert merged_cache.with_detail(facts[0], {"values": []}) is None


def test_the_reader_reads_the_summary_and_one_fact_at_a_time(
    sample_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = new_process_service(sample_dir)
    merged = first.briefing()
    first.store.close()
    service = new_process_service(sample_dir)
    read: list[str] = []
    real_get = service.store.get_meta

    def counting_get(name: str, default: Any = None) -> Any:
        read.append(name)
        return real_get(name, default)

    monkeypatch.setattr(service.store, "get_meta", counting_get)
    summary = service.stored_briefing(detail=False)
    assert summary is not None
    assert read == [merged_cache.meta_name(service.config.topic.name)]  # no part
    assert [f.id for f in summary.facts] == [f.id for f in merged.facts]
    assert not any(v.quotes for f in summary.facts for v in f.values)
    last = merged.facts[-1]
    read.clear()
    assert service.fact_detail(summary, last.id) == last
    assert len(read) == 1 and read[0].endswith(f"/{(len(merged.facts) - 1) // 16}")
    assert service.fact_detail(summary, "no-such-fact") is None
    assert service.fact_detail(merged, last.id) == last  # a whole briefing: as it is
    # A newer merge replaces the parts: the old summary finds none, never wrong ones.
    service.store.put_meta({}, delete=merged_cache.part_names(
        service.config.topic.name, real_get(merged_cache.meta_name(service.config.topic.name))
    ))  # fmt: skip
    assert service.fact_detail(summary, last.id) is None
    assert service.stored_briefing() is None  # and the whole merge is worked out again
    service.store.close()


def test_a_new_process_reuses_the_stored_merge_until_an_article_changes(
    sample_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_service = new_process_service(sample_dir)
    first = first_service.briefing()
    first_service.store.close()
    assert first.extra["extracted"] > 0

    merges = count_merges(monkeypatch)
    service = new_process_service(sample_dir)
    again = service.briefing()
    assert merges == []  # read back, not merged
    assert (again.facts, again.timeline) == (first.facts, first.timeline)
    assert again.extra["extracted"] == 0 and again.extra["cached"] == first.extra["articles"]

    # One article edited: its facts key changes, so the briefing is merged afresh.
    articles = service.articles()
    edited = [
        replace(a, content=a.content + "<p>Edited.</p>") if i == 0 else a
        for i, a in enumerate(articles)
    ]
    service.briefing(edited)
    assert merges == [1]
    service.store.close()


def test_an_unreadable_stored_merge_is_merged_again(
    sample_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = new_process_service(sample_dir)
    first = service.briefing()
    name = merged_cache.meta_name(service.config.topic.name)
    record = service.store.get_meta(name)
    record["facts"] = [{"label": "broken"}]  # the right digest, a damaged body
    service.store.set_meta(name, record)

    merges = count_merges(monkeypatch)
    forget_remembered_facts()
    again = service.briefing()
    assert merges == [1]  # merged afresh, not read back
    assert (again.facts, again.timeline) == (first.facts, first.timeline)
    assert service.store.get_meta(name)["facts"] != [{"label": "broken"}]  # and rewritten
    service.store.close()


def test_facts_are_read_back_in_one_batch_and_missing_ones_left_out(tmp_path: Path) -> None:
    entries = {f"k{i}": [{"facts": [i], "n": i}] for i in range(1_200)}  # over one query's 500
    with Store(tmp_path / "cache") as store:
        store.save_facts(entries)
    with Store(tmp_path / "cache") as store:
        found = store.load_facts([*entries, "never-saved"])
    assert found == entries
