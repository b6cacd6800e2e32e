"""The last merged briefing of each topic, kept in the store as JSON.

Merging is cheap once every article's facts are in memory, but a new process
(``briefing facts``, the reader's start) would first have to decode every
article's facts from the store. When the articles are unchanged, the merge is
too: so the key facts and timeline of the last merge are stored under one key
per topic, with a digest of what they were made from (the topic, every on-topic
article's fact cache key, and the engine's own code). Any change to an article,
to the set of articles or to the engine gives a new digest, and a fresh merge.

To know that without reading the articles, a record also carries a second
digest, of the store's topic generation (``store.topic_state``: it changes with
every change to an on-topic article) and the configured feeds: a new process
checks it against the store's index and reads one key.

A merge is stored in two kinds of record, written in one transaction:

- the summary, under ``meta_name(topic)``: every fact with what the facts pane
  lists (label, kind, status, note, each value's text, number, unit and
  sources) and the timeline. It is what the reader's first screen reads: a
  tenth of the whole merge, or less;
- the parts, ``PART_SIZE`` facts each, under ``part_name(topic, digest, n)``: each
  value's articles, quotes and spans, and each fact's ``why`` and ``history``
  (the quoted sentences are most of a merge). The reader reads one part when a
  fact is opened; ``briefing facts`` reads them all.

A part's name carries the merge digest, so a summary never meets the parts of
another merge: a newer merge deletes the parts of the one it replaces.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, fields, replace
from typing import Any, TypeVar

from briefing.core.models import (
    Briefing,
    FactValue,
    FigureKind,
    KeyFact,
    TimelineEvent,
    ValueReport,
)

META_PREFIX = "merged:"
FORMAT = 2
"""1: the whole merge in one record; 2: a summary and its parts."""
PART_SIZE = 16
"""Facts per part record: opening one fact reads (and decodes) this many."""

_Record = TypeVar("_Record")


def engine_fingerprint() -> str:
    """Changes whenever the code or vocabulary that extracts or merges facts changes
    (the facts engine's own version, derived from its code and data)."""
    from briefing.core.facts import engine_version

    return engine_version()


def merge_digest(topic_name: str, fact_keys: Sequence[str], vocabulary: str = "") -> str:
    """``vocabulary``: the digest of the user's [facts] words, which merging reads."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(engine_fingerprint().encode())
    digest.update(vocabulary.encode())
    digest.update(topic_name.encode("utf-8", "surrogatepass"))
    for key in fact_keys:
        digest.update(b"\x00")
        digest.update(key.encode())
    return digest.hexdigest()


def generation_digest(
    topic_name: str,
    fingerprint: str,
    generation: int,
    feeds: Sequence[str],
    vocabulary: str = "",
) -> str:
    """A digest of the on-topic articles as the store's index describes them
    (``vocabulary`` as for ``merge_digest``)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(engine_fingerprint().encode())
    digest.update(vocabulary.encode())
    digest.update(topic_name.encode("utf-8", "surrogatepass"))
    digest.update(f"\x00generation\x00{fingerprint}\x00{generation}".encode())
    for name in feeds:
        digest.update(b"\x00")
        digest.update(name.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def meta_name(topic_name: str) -> str:
    return META_PREFIX + hashlib.blake2b(topic_name.encode(), digest_size=8).hexdigest()


def part_name(topic_name: str, digest: str, number: int) -> str:
    return f"{meta_name(topic_name)}/{digest}/{number}"


def part_names(topic_name: str, record: Any) -> list[str]:
    """The names of the parts of a stored summary (none for anything else)."""
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return []
    digest, parts = record.get("digest"), record.get("parts")
    if not isinstance(digest, str) or type(parts) is not int:
        return []
    return [part_name(topic_name, digest, n) for n in range(parts)]


_SUMMARY_VALUE = ("text", "value", "unit", "sources")
_PART_VALUE = ("articles", "quotes", "spans")
_PART_FACT = ("why", "history")


def briefing_records(
    briefing: Briefing, digest: str, generation: str | None = None
) -> dict[str, dict[str, Any]]:
    """The summary and the parts of a merge, by meta name."""
    topic = briefing.topic
    facts = [asdict(fact) for fact in briefing.facts]
    summaries = []
    details = []
    for fact in facts:
        values = fact["values"]
        summary = {k: v for k, v in fact.items() if k not in _PART_FACT and k != "values"}
        summary["values"] = [{k: value[k] for k in _SUMMARY_VALUE} for value in values]
        summaries.append(summary)
        detail = {k: fact[k] for k in _PART_FACT}
        detail["values"] = [{k: value[k] for k in _PART_VALUE} for value in values]
        details.append(detail)
    parts = [details[n : n + PART_SIZE] for n in range(0, len(details), PART_SIZE)]
    records: dict[str, dict[str, Any]] = {
        meta_name(topic): {
            "format": FORMAT,
            "digest": digest,
            "generation": generation,
            "parts": len(parts),
            "facts": summaries,
            "timeline": [asdict(event) for event in briefing.timeline],
        }
    }
    for number, part in enumerate(parts):
        records[part_name(topic, digest, number)] = {"digest": digest, "facts": part}
    return records


def matches(record: Any, digest: str) -> bool:
    """Whether ``record`` is a stored summary made from ``digest`` (either digest)."""
    return (
        isinstance(record, dict)
        and record.get("format") == FORMAT
        and digest in (record.get("digest"), record.get("generation"))
    )


def facts_from_record(
    record: Any, digest: str
) -> tuple[tuple[KeyFact, ...], tuple[TimelineEvent, ...]] | None:
    """The stored key facts (summaries: no articles, quotes, spans, why or history)
    and timeline when ``record`` was made from ``digest``; None for another digest
    or anything unreadable (the caller merges afresh)."""
    if not matches(record, digest):
        return None
    try:
        facts = tuple(_key_fact(item) for item in record["facts"])
        timeline = tuple(_build(TimelineEvent, item) for item in record["timeline"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return facts, timeline


def part_of(number: int) -> tuple[int, int]:
    """(the part that holds fact ``number`` of a merge, its place in that part)."""
    return divmod(number, PART_SIZE)


def with_detail(fact: KeyFact, detail: Any) -> KeyFact | None:
    """A summary fact made whole with its part entry; None when they do not fit."""
    try:
        values = detail["values"]
        if len(values) != len(fact.values):
            return None
        whole = tuple(
            replace(
                value,
                articles=tuple(extra["articles"]),
                quotes=tuple(extra["quotes"]),
                spans=tuple(map(tuple, extra["spans"])),
            )
            for value, extra in zip(fact.values, values, strict=True)
        )
        history = tuple(_build(ValueReport, report) for report in detail["history"])
        return replace(fact, values=whole, why=tuple(detail["why"]), history=history)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def part_facts(record: Any, digest: str) -> list[Any] | None:
    """The entries of a stored part of the merge ``digest``; None when unreadable."""
    if not isinstance(record, dict) or record.get("digest") != digest:
        return None
    facts = record.get("facts")
    return facts if isinstance(facts, list) else None


def _key_fact(item: dict[str, Any]) -> KeyFact:
    values = tuple(_fact_value(value) for value in item["values"])
    return _build(KeyFact, {**item, "kind": FigureKind(item["kind"]), "values": values})


def _fact_value(item: dict[str, Any]) -> FactValue:
    """``_build(FactValue, item)`` spelt out: a merge of thousands of articles holds
    tens of thousands of values, and this is most of reading one back."""
    return FactValue(
        text=item["text"],
        value=item["value"],
        unit=item["unit"],
        sources=tuple(item["sources"]),
        articles=(),
        quotes=(),
    )


def _build(cls: type[_Record], item: dict[str, Any]) -> _Record:
    """A frozen dataclass from its ``asdict`` form: JSON lists become tuples again."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{name: _tuples(value) for name, value in item.items() if name in names})


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    return value
