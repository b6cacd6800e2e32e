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
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, fields
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


def briefing_record(
    briefing: Briefing, digest: str, generation: str | None = None
) -> dict[str, Any]:
    return {
        "digest": digest,
        "generation": generation,
        "facts": [asdict(fact) for fact in briefing.facts],
        "timeline": [asdict(event) for event in briefing.timeline],
    }


def facts_from_record(
    record: Any, digest: str
) -> tuple[tuple[KeyFact, ...], tuple[TimelineEvent, ...]] | None:
    """The stored key facts and timeline when ``record`` was made from ``digest``;
    None for another digest or anything unreadable (the caller merges afresh)."""
    if not isinstance(record, dict) or digest not in (
        record.get("digest"),
        record.get("generation"),
    ):
        return None
    try:
        facts = tuple(_key_fact(item) for item in record["facts"])
        timeline = tuple(_build(TimelineEvent, item) for item in record["timeline"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return facts, timeline


def _key_fact(item: dict[str, Any]) -> KeyFact:
    values = tuple(_fact_value(value) for value in item["values"])
    history = tuple(_build(ValueReport, report) for report in item.get("history", ()))
    return _build(
        KeyFact, {**item, "kind": FigureKind(item["kind"]), "values": values, "history": history}
    )


def _fact_value(item: dict[str, Any]) -> FactValue:
    """``_build(FactValue, item)`` spelt out: a merge of thousands of articles holds
    tens of thousands of values, and this is most of reading one back."""
    if item.keys() - _FACT_VALUE_FIELDS:
        return _build(FactValue, item)
    return FactValue(
        text=item["text"],
        value=item["value"],
        unit=item["unit"],
        sources=tuple(item["sources"]),
        articles=tuple(item["articles"]),
        quotes=tuple(item["quotes"]),
        spans=tuple(map(tuple, item.get("spans", ()))),
    )


_FACT_VALUE_FIELDS = frozenset(f.name for f in fields(FactValue))


def _build(cls: type[_Record], item: dict[str, Any]) -> _Record:
    """A frozen dataclass from its ``asdict`` form: JSON lists become tuples again."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{name: _tuples(value) for name, value in item.items() if name in names})


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    return value
