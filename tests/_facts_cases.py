"""Small helpers the facts tests share: articles written in a line, merged facts by label."""

from __future__ import annotations

import html

from briefing.core.facts import extract_facts, merge_facts
from briefing.core.models import Article, FactsVocabulary, KeyFact


def article(
    article_id: str,
    source: str,
    title: str,
    *paragraphs: str,
    published: str = "2026-01-20T12:00:00+00:00",
    on_topic: bool = True,
) -> Article:
    return Article(
        id=article_id,
        source=source,
        title=title,
        link=f"https://example.org/{article_id}",
        author="",
        published=published,
        summary="",
        content="".join(f"<p>{html.escape(p)}</p>" for p in paragraphs),
        first_seen=published,
        on_topic=on_topic,
    )


def merged(*articles: Article, vocabulary: FactsVocabulary | None = None) -> list[KeyFact]:
    return merge_facts((f for a in articles for f in extract_facts(a)), vocabulary)


def holding(key_facts: list[KeyFact], value: float | str) -> list[KeyFact]:
    """The key facts that state ``value``."""
    return [k for k in key_facts if any(v.value == value for v in k.values)]


def one_holding(key_facts: list[KeyFact], value: float | str) -> KeyFact:
    found = holding(key_facts, value)
    assert len(found) == 1, [(k.label, [v.value for v in k.values]) for k in found]
    return found[0]


def values(key_fact: KeyFact) -> set[float | str]:
    return {v.value for v in key_fact.values}


def same_fact(key_facts: list[KeyFact], *stated: float | str) -> bool:
    """Whether one key fact states every one of these values."""
    return any(set(stated) <= values(k) for k in key_facts)
