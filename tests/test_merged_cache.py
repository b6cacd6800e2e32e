"""The last merge of a topic is kept in the real store and reused by a new process."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

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


def test_a_record_reads_back_as_the_same_facts_and_timeline(sample_dir: Path) -> None:
    service = new_process_service(sample_dir)
    merged = build_briefing(service.articles(), "Sample", cache=service.store)
    service.store.close()
    assert merged.facts and merged.timeline
    record = merged_cache.briefing_record(merged, "d1")
    assert merged_cache.facts_from_record(record, "d1") == (merged.facts, merged.timeline)
    assert merged_cache.facts_from_record(record, "d2") is None  # made from something else
    for broken in (None, [], {"digest": "d1"}, {"digest": "d1", "facts": [{}], "timeline": []}):
        assert merged_cache.facts_from_record(broken, "d1") is None


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
