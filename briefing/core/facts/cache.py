"""Per-article facts in the cache, and the engine's version.

An article's facts are stored under a key made of the engine's version and a hash
of what extraction reads (id, source, dates, title, body). The engine's version is
derived from its own code and vocabulary data (every module of this package, the
vocabulary files, the figure finder, the text flattener, the models and the
lexicon's version), so editing a rule or a word can never leave old facts in an
existing cache: there is no version number to forget to bump.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from briefing.core.models import Article, Figure, FigureKind

from .extract import Fact
from .frames import Frame

__all__ = [
    "FactCache",
    "engine_version",
    "fact_cache_key",
    "facts_from_cache_entry",
    "facts_to_cache_entry",
]

_CACHE_FORMAT = 2
_KINDS = {kind.value: kind for kind in FigureKind}
_FRAME_FIELDS = len(Frame._fields)


class FactCache(Protocol):
    """Where per-article facts are kept between runs (the store implements it)."""

    def load_facts(self, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]: ...

    def save_facts(self, entries: Mapping[str, list[dict[str, Any]]]) -> None: ...


@cache
def engine_version() -> str:
    """A digest of everything extraction and merging depend on."""
    return "facts-" + digest_of(engine_sources(Path(__file__).parent))


def engine_sources(package: Path) -> list[Path]:
    """The files the engine's version is made of: this package's modules and
    vocabulary files, and the core modules it reads text through."""
    from briefing.core import figures, lexicon, models, textclean

    sources = sorted(package.glob("*.py")) + sorted((package / "vocabulary").glob("*.toml"))
    sources += [Path(module.__file__ or "") for module in (figures, lexicon, models, textclean)]
    return sources


def digest_of(sources: list[Path]) -> str:
    from briefing import __version__

    digest = hashlib.blake2b(digest_size=10)
    digest.update(f"{__version__} format {_CACHE_FORMAT}".encode())
    for path in sources:
        digest.update(path.name.encode())
        # no source file (a zip, a frozen app): the names must do
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    with contextlib.suppress(metadata.PackageNotFoundError):  # a dependency: always there
        digest.update(metadata.version("lemminflect").encode())
    return digest.hexdigest()


def fact_cache_key(article: Article) -> str:
    """Cache key of an article's facts: engine version + hash of what extraction reads."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (
        article.id,
        article.source,
        article.published or "",
        article.first_seen if not article.published else "",
        article.title,
        article.body_html,
        article.link,
    ):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return f"{engine_version()}:{digest.hexdigest()}"


def facts_to_cache_entry(facts: Sequence[Fact], article: Article) -> list[dict[str, Any]]:
    """An article's facts as the cache stores them: plain JSON types, compact.

    One dict per article: its sentences once each, and one row per fact
    ``[kind, text, start, end, value, unit, hedge, *frame, sentence index]``.
    Rows rather than a dict per fact keep decoding fast when everything is cached.
    """
    sentence_index: dict[tuple[int, int], int] = {}
    sentences: list[list[Any]] = []
    rows: list[list[Any]] = []
    for fact in facts:
        span = (fact.sentence_start, fact.sentence_end)
        index = sentence_index.get(span)
        if index is None:
            index = sentence_index[span] = len(sentences)
            sentences.append([fact.sentence_start, fact.sentence_end, fact.sentence])
        figure = fact.figure
        rows.append(
            [
                figure.kind.value,
                figure.text,
                figure.start,
                figure.end,
                figure.value,
                figure.unit,
                figure.hedge,
                *fact.frame,
                index,
            ]
        )
    return [
        {
            "format": _CACHE_FORMAT,
            "article": article.id,
            "source": article.source,
            "published": article.published or article.first_seen,
            "sentences": sentences,
            "facts": rows,
        }
    ]


def facts_from_cache_entry(entry: Sequence[Mapping[str, Any]], article: Article) -> list[Fact]:
    """Inverse of ``facts_to_cache_entry``. Raises KeyError/ValueError/TypeError on bad data."""
    if len(entry) != 1 or entry[0].get("format") != _CACHE_FORMAT:
        raise ValueError("not a facts cache entry of this format")
    data = entry[0]
    sentences = [(int(start), int(end), str(text)) for start, end, text in data["sentences"]]
    facts: list[Fact] = []
    append = facts.append
    published = article.published or article.first_seen
    article_id, source = article.id, article.source
    width = 7 + _FRAME_FIELDS + 1
    frame_end = 7 + _FRAME_FIELDS
    make_frame = Frame._make
    date = FigureKind.DATE
    for row in data["facts"]:
        if len(row) != width:
            raise ValueError("a facts row of another width")
        kind = _KINDS[row[0]]
        value = row[4]
        if (kind is date) != isinstance(value, str) or isinstance(value, bool):
            raise TypeError("value does not fit its kind")
        sentence_start, sentence_end, sentence = sentences[row[-1]]
        append(
            Fact(
                Figure(
                    kind,
                    str(row[1]),
                    int(row[2]),
                    int(row[3]),
                    value if kind is date else float(value),
                    str(row[5]),
                    str(row[6]),
                ),
                make_frame(map(str, row[7:frame_end])),
                sentence,
                sentence_start,
                sentence_end,
                article_id,
                source,
                published,
            )
        )
    return facts


class FactMemo:
    """Facts of recently merged articles, kept in this process, by cache key.

    The reader re-merges after every refresh; decoding every article's facts from the
    store again each time would cost more than the merge. Keys include the content
    hash and the engine version, so an entry can never be stale. Bounded (LRU).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, list[Fact]] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str]) -> dict[str, list[Fact]]:
        with self._lock:
            found = {key: self._entries[key] for key in keys if key in self._entries}
            for key in found:
                self._entries.move_to_end(key)
        return found

    def put_many(self, entries: Mapping[str, list[Fact]]) -> None:
        with self._lock:
            for key, facts in entries.items():
                self._entries[key] = facts
                self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
