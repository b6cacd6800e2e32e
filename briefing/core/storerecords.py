"""The store's records: the project's types it hands out, and how each is kept as JSON.

``store.py`` decides which records exist and when they are written; this module
only says what one record looks like and reads one back safely (a record of
the wrong shape reads as None, never as a crash later on).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from briefing.core.models import Article, FeedState, Topic
from briefing.core.topic import MATCH_VERSION

FULL_TEXT_PENDING = "pending"
"""``Article.full_text_status`` while a page step is to fetch the article's page."""
ON_TOPIC, READ, STARRED, SHORT, WEB_LINK = 1, 2, 4, 8, 16
"""Bits of an article's entry in its feed's index."""
HEADER_PREFIX = "~t:"
NO_TIME = "0000-00-00T00:00:00+00:00"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_utc(stamp: str | None) -> datetime | None:
    """A stored ISO time as an aware UTC datetime; None when missing or unreadable.

    Times without a zone are taken as UTC, so comparing never raises.
    """
    if not stamp or not isinstance(stamp, str):
        return None
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def article_id(source: str, entry_id: str) -> str:
    """Stable across refreshes and processes; distinct for the same guid in two feeds."""
    return hashlib.sha1(f"{source}\0{entry_id}".encode()).hexdigest()[:16]


def topic_fingerprint(topic: Topic) -> str:
    payload = json.dumps([MATCH_VERSION, sorted(topic.keywords), sorted(topic.exclude)])
    return hashlib.sha1(payload.encode()).hexdigest()[:12]


def time_key(published: str | None, first_seen: str | None) -> str:
    """The sort time an index keeps: publication, else first seen, as UTC ISO."""
    for stamp in (published, first_seen):
        parsed = parse_utc(stamp)
        if parsed is not None:
            return parsed.isoformat()
    return NO_TIME


def day_of(tkey: str) -> str:
    return tkey[:10]


def fresh_generation() -> int:
    """A topic generation no earlier index of this cache can have had (indexes made
    again, a cache repaired), so a stored merge of before never passes for current."""
    return time.time_ns() // 1000


# --------------------------------------------------------------------------- the project's types


@dataclass(frozen=True, slots=True)
class ArticleHeader:
    """What a list row shows of an on-topic article, read without its body."""

    id: str
    source: str
    title: str
    link: str
    published: str | None
    first_seen: str
    relevance: float
    read: bool
    starred: bool
    full_text_status: str
    time: str
    """The sort time as UTC ISO (publication, else first seen)."""

    @property
    def sort_time(self) -> str:
        return self.published or self.first_seen


@dataclass(frozen=True, slots=True)
class FeedCounts:
    articles: int = 0
    on_topic: int = 0
    unread: int = 0
    """On-topic articles not read."""
    starred: int = 0
    short: int = 0
    """On-topic articles whose own text is short (the page step wants their page under "auto")."""


@dataclass(frozen=True, slots=True)
class FlagState:
    """The read and starred marks of one article, with the time each last changed.

    A time is UTC ISO, or '' when unknown (marks carried over from the first
    cache layout): an unknown time is older than any known one.
    """

    id: str
    source: str
    read: bool = False
    read_changed: str = ""
    starred: bool = False
    starred_changed: str = ""


@dataclass(frozen=True, slots=True)
class FlagChange:
    """A mark set elsewhere (a sync server) at ``changed``; None leaves that mark alone."""

    id: str
    changed: str
    read: bool | None = None
    starred: bool | None = None


@dataclass(frozen=True, slots=True)
class PageValidators:
    """What the last good answer for a page said, to make the next GET conditional."""

    url: str
    """The entry link these belong to; a changed link makes them void."""
    etag: str | None
    last_modified: str | None
    checked: str = ""
    """When the page last answered well (200 or 304), as UTC ISO; '' if unknown."""


@dataclass(frozen=True, slots=True)
class PageEntry:
    """One article the page step may have to act on (``px:<feed>``)."""

    id: str
    source: str
    time: str
    state: str
    """'', 'pending', 'skipped', 'ok' (with text), 'ok0' (ok, no text), 'failed'."""
    checked: str
    """When its page last answered well, if the validators are for its current link."""
    short: bool
    web_link: bool
    label: str
    """Its link, else its title (to name it in a report)."""


@dataclass(frozen=True, slots=True)
class MergeCounts:
    new: int
    updated: int
    total: int
    expired: int


# --------------------------------------------------------------------------- records


ARTICLE_FIELDS = tuple(f.name for f in fields(Article) if f.name not in ("read", "starred"))
STATE_FIELDS = tuple(f.name for f in fields(FeedState))
_TEXT_FIELDS = ("id", "source", "title", "link", "author", "summary", "content", "first_seen")
_OPTIONAL_TEXT_FIELDS = ("full_text", "full_text_status")
COMPARED_FIELDS = ("title", "link", "summary", "content", "published", "author")


def well_formed(record: Any) -> bool:
    """Whether a stored article record has the shape this version writes."""
    if type(record) is not dict:
        return False
    for name in _TEXT_FIELDS:
        if type(record.get(name)) is not str:
            return False
    for name in _OPTIONAL_TEXT_FIELDS:
        if type(record.get(name, "")) is not str:
            return False
    published = record.get("published")
    relevance = record.get("relevance", 0.0)
    return (
        (published is None or type(published) is str)
        and type(record.get("on_topic", False)) is bool
        and type(relevance) in (int, float)
    )


def article_record(article: Article) -> dict[str, Any]:
    record = asdict(article)
    del record["read"], record["starred"]
    return record


def article_from(record: Mapping[str, Any], read: bool = False, starred: bool = False) -> Article:
    values = {name: record[name] for name in ARTICLE_FIELDS if name in record}
    return Article(**values, read=read, starred=starred)


def page_state(record: Mapping[str, Any]) -> str:
    status = str(record.get("full_text_status") or "")
    if status == "ok":
        return "ok" if record.get("full_text") else "ok0"
    if status.startswith("failed: "):
        return "failed"
    return status if status in ("", FULL_TEXT_PENDING, "skipped") else ""


def page_bits(record: Mapping[str, Any]) -> int:
    from briefing.core.fulltext import wants_page_under_auto
    from briefing.core.textclean import is_web_url

    bits = 0
    if wants_page_under_auto(str(record.get("content") or ""), str(record.get("summary") or "")):
        bits |= SHORT
    if is_web_url(str(record.get("link") or "")):
        bits |= WEB_LINK
    return bits


def header_value(record: Mapping[str, Any], read: bool, starred: bool) -> list[Any]:
    return [
        record["source"],
        record["title"],
        record["link"],
        record.get("published"),
        record["first_seen"],
        record.get("relevance", 0.0),
        read,
        starred,
        record.get("full_text_status", ""),
    ]


def header_from(key: str, value: Any) -> ArticleHeader | None:
    if not isinstance(value, list) or len(value) != 9:
        return None
    tkey, _, identifier = key[len(HEADER_PREFIX) :].rpartition(" ")
    source, title, link, published, first_seen, relevance, read, starred, status = value
    if not all(type(v) is str for v in (source, title, link, first_seen, status)):
        return None
    if published is not None and type(published) is not str:
        return None
    if type(relevance) not in (int, float):
        return None
    return ArticleHeader(
        identifier, source, title, link, published, first_seen, float(relevance),
        bool(read), bool(starred), status, tkey,
    )  # fmt: skip


def flag_from(identifier: str, value: Any) -> FlagState | None:
    if not isinstance(value, dict) or type(value.get("source")) is not str:
        return None
    return FlagState(
        identifier,
        value["source"],
        bool(value.get("read")),
        str(value.get("read_changed") or ""),
        bool(value.get("starred")),
        str(value.get("starred_changed") or ""),
    )


def validators_from(value: Any) -> PageValidators | None:
    if not isinstance(value, dict) or type(value.get("url")) is not str:
        return None

    def text(name: str) -> str | None:
        item = value.get(name)
        return item if isinstance(item, str) and item else None

    return PageValidators(value["url"], text("etag"), text("lm"), text("checked") or "")


def validators_record(validators: PageValidators) -> dict[str, Any]:
    return {
        "url": validators.url,
        "etag": validators.etag,
        "lm": validators.last_modified,
        "checked": validators.checked,
    }


class FeedIndex:
    """``fx:<name>`` and, once needed, ``px:<name>`` of one feed, being changed.

    This and ``TopicIndex`` are the store's working copies, never compared or
    copied: plain classes with slots, as making a dataclass costs about 0.5 ms at
    every start of the program."""

    __slots__ = (
        "ids",
        "on_topic_changed",
        "pages",
        "pages_changed",
        "pages_known",
        "pages_mode",
        "source",
        "topic",
    )

    def __init__(
        self,
        source: str,
        topic: str,
        ids: dict[str, list[Any]],
        pages: dict[str, list[Any]] | None = None,
        pages_mode: str | None = None,
        pages_known: bool = False,
        pages_changed: bool = False,
        on_topic_changed: bool = False,
    ) -> None:
        self.source = source
        self.topic = topic
        self.ids = ids
        self.pages = pages
        self.pages_mode = pages_mode
        self.pages_known = pages_known
        self.pages_changed = pages_changed
        self.on_topic_changed = on_topic_changed
        """Which articles are on topic, or their times, changed (``ox:<name>`` to write)."""


class TopicIndex:
    __slots__ = ("changed", "days", "fingerprint", "generation")

    def __init__(
        self, fingerprint: str | None, generation: int, days: dict[str, int], changed: bool = False
    ) -> None:
        self.fingerprint = fingerprint
        self.generation = generation
        self.days = days
        self.changed = changed

    def add(self, tkey: str) -> None:
        day = day_of(tkey)
        self.days[day] = self.days.get(day, 0) + 1
        self.changed = True

    def remove(self, tkey: str) -> None:
        day = day_of(tkey)
        left = self.days.get(day, 0) - 1
        if left > 0:
            self.days[day] = left
        else:
            self.days.pop(day, None)
        self.changed = True

    def bump(self) -> None:
        self.generation += 1
        self.changed = True


def flag_record(flag: FlagState) -> dict[str, Any]:
    return {
        "source": flag.source,
        "read": flag.read,
        "read_changed": flag.read_changed,
        "starred": flag.starred,
        "starred_changed": flag.starred_changed,
    }


def state_from(record: Any) -> FeedState | None:
    if not isinstance(record, dict):
        return None
    values = {k: record[k] for k in STATE_FIELDS if k in record}
    if not all(value is None or type(value) is str for value in values.values()):
        return None  # damaged: treated as a feed not fetched yet
    if type(values.get("name")) is not str or type(values.get("url")) is not str:
        return None
    return FeedState(**values)
