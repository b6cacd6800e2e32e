"""What the store keeps of the feed server, per account, as JSON records.

``sync:<account>:feeds``    {"order": [server feed id...], "feeds": {id: {name, title,
                            url, site, category}}}: the subscriptions, each with the
                            name briefing gave it once (names never change, so
                            article ids and marks stay put when a feed is renamed)
``sync:<account>:entries``  {entry id: [article id, server feed id, read, starred,
                            digest(, guid)]}: every stored entry, its marks as the
                            server last held them (the base of the three-way rule
                            in reconcile), a digest of its text, so that an entry
                            the server lists again only for a new mark is not
                            stored again, and, for an entry matched to an article
                            fetched directly, that article's guid (its id in the
                            store is then the feed's name and that guid)
``sync:<account>:meta``     {"cursor": {...}, "foreign": [ids], "last_attempt",
                            "last_success", "last_error"}
``sync:<account>:queue``    see queue.py

A damaged record reads as empty: the next pull asks for everything again, and
since article ids come from the feed's name and the server's entry id, nothing
is stored twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from briefing.core.models import FeedConfig, FullTextMode, ParsedEntry
from briefing.core.store import Store
from briefing.core.sync.server import EntryState, Known, ServerFeed


@dataclass(frozen=True, slots=True)
class BaseEntry:
    article: str
    feed: str
    read: bool
    starred: bool
    digest: str = ""
    guid: str = ""
    """The entry id the store knows the article by: '' for ``str(entry id)``, or the
    guid of the article fetched directly that the entry was matched to."""

    @property
    def state(self) -> EntryState:
        return EntryState(read=self.read, starred=self.starred)


class SyncState:
    def __init__(self, store: Store, account_key: str) -> None:
        self.store = store
        self.prefix = f"sync:{account_key}:"
        self.order: list[str] = []
        self.feeds: dict[str, dict[str, str]] = {}
        self.entries: dict[int, BaseEntry] = {}
        self.meta: dict[str, Any] = {}
        self._loaded_entries = False

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, store: Store, account_key: str, *, entries: bool = True) -> SyncState:
        state = cls(store, account_key)
        feeds = store.get_record(state.prefix + "feeds")
        if isinstance(feeds, dict) and isinstance(feeds.get("feeds"), dict):
            table = {
                k: v
                for k, v in feeds["feeds"].items()
                if isinstance(k, str)
                and isinstance(v, dict)
                and all(isinstance(v.get(f), str) for f in ("name", "url"))
            }
            order = feeds.get("order")
            state.order = [i for i in order if i in table] if isinstance(order, list) else []
            state.order += [i for i in table if i not in state.order]
            state.feeds = table
        meta = store.get_record(state.prefix + "meta")
        state.meta = meta if isinstance(meta, dict) else {}
        if entries:
            state._load_entries()
        return state

    def _load_entries(self) -> None:
        record = self.store.get_record(self.prefix + "entries")
        self.entries = {}
        if isinstance(record, dict):
            for key, value in record.items():
                if (
                    isinstance(key, str)
                    and key.isdigit()
                    and isinstance(value, list)
                    and len(value) in (4, 5, 6)
                    and isinstance(value[0], str)
                    and isinstance(value[1], str)
                    and type(value[2]) is bool
                    and type(value[3]) is bool
                    and all(isinstance(v, str) for v in value[4:])
                ):
                    self.entries[int(key)] = BaseEntry(*value)
        self._loaded_entries = True

    # ------------------------------------------------------------------ views

    @property
    def cursor(self) -> dict[str, object]:
        cursor = self.meta.get("cursor")
        return cursor if isinstance(cursor, dict) else {}

    @property
    def foreign(self) -> frozenset[int]:
        ids = self.meta.get("foreign")
        return frozenset(i for i in ids if type(i) is int) if isinstance(ids, list) else frozenset()

    def known(self) -> Known:
        return Known(
            entries={entry: base.feed for entry, base in self.entries.items()},
            foreign=self.foreign,
            cursor=self.cursor,
        )

    def entry_of_article(self, article_ids: Iterable[str]) -> dict[str, int]:
        wanted = set(article_ids)
        return {base.article: e for e, base in self.entries.items() if base.article in wanted}

    def feed_configs(self, via: str, full_text: FullTextMode) -> tuple[FeedConfig, ...]:
        configs = []
        for feed_id in self.order:
            feed = self.feeds[feed_id]
            category = feed.get("category", "")
            configs.append(
                FeedConfig(
                    name=feed["name"],
                    url=feed["url"] or feed.get("site", ""),
                    tags=(category,) if category else (),
                    full_text=full_text,
                    via=via,
                )
            )
        return tuple(configs)

    # ------------------------------------------------------------------ changing

    def take_feeds(
        self,
        feeds: Sequence[ServerFeed],
        taken: Iterable[str],
        direct: Mapping[str, str] | None = None,
    ) -> None:
        """The server's subscriptions now; a feed seen before keeps its name. A new
        one takes the name of the feed briefing fetched itself from the same URL
        (``direct``: ``feed_url_key(url)`` -> name), so that the two are one feed;
        else its title, made unique against ``taken`` (feeds.toml) and the rest."""
        used = {name.casefold() for name in taken}
        table: dict[str, dict[str, str]] = {}
        kept = {i: f for i, f in self.feeds.items() if i in {feed.id for feed in feeds}}
        used |= {f["name"].casefold() for f in kept.values()}
        adopted = {f["name"].casefold() for f in kept.values()}
        for feed in feeds:
            own = (direct or {}).get(feed_url_key(feed.url))
            if feed.id in kept:
                name = kept[feed.id]["name"]
            elif own is not None and own.casefold() not in adopted:
                name = own
                adopted.add(own.casefold())
            else:
                name = _unique(feed.title, used)
            used.add(name.casefold())
            table[feed.id] = {
                "name": name,
                "title": feed.title,
                "url": feed.url,
                "site": feed.site,
                "category": feed.category,
            }
        self.feeds = table
        self.order = [feed.id for feed in feeds]

    def name_of(self, feed_id: str) -> str | None:
        feed = self.feeds.get(feed_id)
        return feed["name"] if feed else None

    def save(self, *, entries: bool = True) -> None:
        records: dict[str, Any] = {
            self.prefix + "feeds": {"order": self.order, "feeds": self.feeds},
            self.prefix + "meta": self.meta,
        }
        if entries and self._loaded_entries:
            records[self.prefix + "entries"] = {
                str(e): [b.article, b.feed, b.read, b.starred, b.digest]
                + ([b.guid] if b.guid else [])
                for e, b in self.entries.items()
            }
        self.store.put_records(records)


def feed_url_key(url: str) -> str:
    """A feed URL as two spellings of one address compare: scheme and host in lower
    case, no default port, no fragment, an empty path as '/'."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def _unique(title: str, used: set[str]) -> str:
    name = title.strip() or "Untitled feed"
    if name.casefold() not in used:
        return name
    number = 2
    while f"{name} ({number})".casefold() in used:
        number += 1
    return f"{name} ({number})"


def text_digest(entry: ParsedEntry) -> str:
    """What a server entry says, in 12 characters: it changes when its text does."""
    basis = "\0".join(
        (entry.title, entry.link, entry.author, entry.published or "", entry.summary, entry.content)
    )
    return hashlib.sha1(basis.encode("utf-8", "surrogatepass")).hexdigest()[:12]
