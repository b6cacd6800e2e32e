"""Shared by the facts tests and bench/facts_accuracy.py: corpus, sample loader, scoring.

The bundled sample feeds are parsed here with xml.etree on purpose, so that the facts
engine's accuracy does not depend on the fetch module.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import json
import tomllib
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefing.core.facts import extract_facts, merge_facts
from briefing.core.figures import find_figures
from briefing.core.models import Article, Figure, KeyFact
from briefing.core.textclean import article_plain_text

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "briefing" / "samples"
CORPUS = Path(__file__).resolve().parent / "facts_corpus"

_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


# --------------------------------------------------------------------------- fact cache


class MemoryFactCache:
    """The FactCache protocol over a dict, storing JSON text as the real store would."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.loads: list[list[str]] = []
        self.saves: list[list[str]] = []

    def load_facts(self, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        self.loads.append(list(keys))
        return {k: json.loads(self.data[k]) for k in keys if k in self.data}

    def save_facts(self, entries: Mapping[str, list[dict[str, Any]]]) -> None:
        self.saves.append(list(entries))
        for key, value in entries.items():
            self.data[key] = json.dumps(value)


# --------------------------------------------------------------------------- sample feeds


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _strip_namespaces(element: ET.Element) -> None:
    for node in element.iter():
        node.tag = _local(node.tag)


def _atom_content(node: ET.Element | None) -> str:
    if node is None:
        return ""
    kind = node.get("type", "text")
    if kind == "xhtml":
        _strip_namespaces(node)
        container = next(iter(node), None)
        if container is None:
            return node.text or ""
        parts = [container.text or ""]
        parts += [ET.tostring(child, encoding="unicode") for child in container]
        return "".join(parts)
    return node.text or ""


def _rfc822_to_iso(stamp: str | None) -> str | None:
    if not stamp:
        return None
    parsed = email.utils.parsedate_to_datetime(stamp.strip())
    return parsed.astimezone(dt.UTC).isoformat(timespec="seconds")


def _atom_to_iso(stamp: str | None) -> str | None:
    if not stamp:
        return None
    parsed = dt.datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    return parsed.astimezone(dt.UTC).isoformat(timespec="seconds")


def sample_expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
    return data


def load_sample_articles() -> list[Article]:
    """Every item of the bundled sample feeds, ``on_topic`` set from expected.json."""
    expected = sample_expected()
    on_topic = set(expected["on_topic_ids"])
    config = tomllib.loads((SAMPLES / "feeds.toml").read_text(encoding="utf-8"))
    articles: list[Article] = []
    for feed in config["feeds"]:
        root = ET.parse(SAMPLES / feed["url"]).getroot()
        for raw in _feed_items(root):
            articles.append(
                Article(
                    id=raw["id"],
                    source=feed["name"],
                    title=raw["title"],
                    link=raw["link"],
                    author="",
                    published=raw["published"],
                    summary=raw["summary"],
                    content=raw["content"],
                    first_seen=raw["published"] or "2026-02-10T00:00:00+00:00",
                    on_topic=raw["id"] in on_topic,
                )
            )
    return articles


def _feed_items(root: ET.Element) -> Iterable[dict[str, Any]]:
    if _local(root.tag) == "rss":
        for item in root.iter("item"):
            yield {
                "id": (item.findtext("guid") or item.findtext("link") or "").strip(),
                "title": (item.findtext("title") or "").strip(),
                "link": (item.findtext("link") or "").strip(),
                "published": _rfc822_to_iso(item.findtext("pubDate")),
                "summary": item.findtext("description") or "",
                "content": item.findtext(_CONTENT) or "",
            }
        return
    for entry in root.iter(f"{_ATOM}entry"):
        link = next(
            (
                node.get("href", "")
                for node in entry.iter(f"{_ATOM}link")
                if node.get("rel", "alternate") == "alternate"
            ),
            "",
        )
        yield {
            "id": (entry.findtext(f"{_ATOM}id") or "").strip(),
            "title": (entry.findtext(f"{_ATOM}title") or "").strip(),
            "link": link,
            "published": _atom_to_iso(
                entry.findtext(f"{_ATOM}published") or entry.findtext(f"{_ATOM}updated")
            ),
            "summary": _atom_content(entry.find(f"{_ATOM}summary")),
            "content": _atom_content(entry.find(f"{_ATOM}content")),
        }


def sample_text(article: Article) -> str:
    return article_plain_text(article.title, article.body_html)


# --------------------------------------------------------------------------- corpus


@dataclass
class Story:
    """A set of articles about one story, with what the engine should find in them."""

    name: str
    articles: list[Article]
    figures: dict[str, list[dict[str, Any]]]
    """Expected figures per article id: text, kind, value, unit, hedge."""
    facts: list[dict[str, Any]]
    """Expected merged facts: label, kind, status, values."""
    text_only: dict[str, list[str]] = field(default_factory=dict)
    """For the sample: expected.json's figure texts, as its author wrote them."""


def _paragraphs_to_html(body: str) -> str:
    paragraphs = [p.strip() for p in body.strip().split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


def load_corpus(name: str = "corpus.toml") -> list[Story]:
    """The hand-written stories of tests/facts_corpus/corpus.toml (or holdout.toml)."""
    data = tomllib.loads((CORPUS / name).read_text(encoding="utf-8"))
    stories: list[Story] = []
    for story in data["story"]:
        articles = [
            Article(
                id=item["id"],
                source=item["source"],
                title=item["title"],
                link=f"https://example.org/corpus/{item['id']}",
                author="",
                published=item["published"],
                summary="",
                content=_paragraphs_to_html(item["body"]),
                first_seen=item["published"],
                on_topic=True,
            )
            for item in story["article"]
        ]
        stories.append(
            Story(
                name=story["name"],
                articles=articles,
                figures={item["id"]: item["figures"] for item in story["article"]},
                facts=story.get("fact", []),
            )
        )
    return stories


def load_sample_story() -> Story:
    """The bundled sample as a story: annotations from tests/facts_corpus/sample.toml."""
    data = tomllib.loads((CORPUS / "sample.toml").read_text(encoding="utf-8"))
    articles = [a for a in load_sample_articles() if a.on_topic]
    return Story(
        name="bundled sample",
        articles=articles,
        figures={item["id"]: item["figures"] for item in data["article"]},
        facts=data["fact"],
        text_only=sample_expected()["figures_by_article"],
    )


def all_stories() -> list[Story]:
    return [*load_corpus(), load_sample_story()]


# --------------------------------------------------------------------------- scoring


@dataclass
class Score:
    matched: int = 0
    predicted: int = 0
    expected: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    def add(self, other: Score) -> None:
        self.matched += other.matched
        self.predicted += other.predicted
        self.expected += other.expected
        self.misses += other.misses
        self.extras += other.extras


def _value_key(value: Any) -> str:
    if isinstance(value, str):
        return value
    return format(float(value), ".9g")


def figure_key(kind: str, text: str, value: Any, unit: str, hedge: str) -> tuple[str, ...]:
    return (kind, " ".join(text.split()), _value_key(value), unit, hedge)


def _published_day(article: Article) -> dt.date | None:
    stamp = article.published or article.first_seen
    return dt.date.fromisoformat(stamp[:10]) if stamp else None


def _compare(expected: Iterable[tuple[str, ...]], predicted: Iterable[tuple[str, ...]]) -> Score:
    want = Counter(expected)
    got = Counter(predicted)
    matched = want & got
    return Score(
        matched=sum(matched.values()),
        predicted=sum(got.values()),
        expected=sum(want.values()),
        misses=[" | ".join(k) for k in (want - got).elements()],
        extras=[" | ".join(k) for k in (got - want).elements()],
    )


def score_figures(stories: Sequence[Story]) -> Score:
    """Exact match on kind, text, value, unit and hedge."""
    total = Score()
    for story in stories:
        for article in story.articles:
            found = find_figures(sample_text(article), _published_day(article))
            predicted = [figure_key(f.kind.value, f.text, f.value, f.unit, f.hedge) for f in found]
            expected = [
                figure_key(e["kind"], e["text"], e["value"], e["unit"], e["hedge"])
                for e in story.figures.get(article.id, [])
            ]
            score = _compare(expected, predicted)
            score.misses = [f"{article.id}: {m}" for m in score.misses]
            score.extras = [f"{article.id}: {m}" for m in score.extras]
            total.add(score)
    return total


def score_figure_texts(story: Story) -> Score:
    """Distinct figure texts per article against the sample author's list (expected.json)."""
    total = Score()
    for article in story.articles:
        found = find_figures(sample_text(article), _published_day(article))
        # expected.json lists each distinct figure once per article.
        score = _compare(
            [(t,) for t in set(story.text_only.get(article.id, []))],
            [(t,) for t in {f.text for f in found}],
        )
        score.misses = [f"{article.id}: {m}" for m in score.misses]
        score.extras = [f"{article.id}: {m}" for m in score.extras]
        total.add(score)
    return total


def fact_key(label: str, kind: str, status: str, values: Iterable[Any]) -> tuple[str, ...]:
    return (label.lower(), kind, status, ", ".join(sorted(_value_key(v) for v in values)))


def story_facts(story: Story) -> list[KeyFact]:
    facts = [f for a in story.articles for f in extract_facts(a)]
    return merge_facts(facts)


def score_facts(stories: Sequence[Story]) -> Score:
    """A merged fact matches when its label, kind, status and set of values all match."""
    total = Score()
    for story in stories:
        predicted = [
            fact_key(k.label, k.kind.value, k.status, [v.value for v in k.values])
            for k in story_facts(story)
        ]
        expected = [fact_key(e["label"], e["kind"], e["status"], e["values"]) for e in story.facts]
        score = _compare(expected, predicted)
        score.misses = [f"{story.name[:1]}: {m}" for m in score.misses]
        score.extras = [f"{story.name[:1]}: {m}" for m in score.extras]
        total.add(score)
    return total


def figure_of(found: Figure) -> dict[str, Any]:
    return {
        "text": found.text,
        "kind": found.kind.value,
        "value": found.value,
        "unit": found.unit,
        "hedge": found.hedge,
    }
