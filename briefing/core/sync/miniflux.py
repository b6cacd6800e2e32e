"""Miniflux's own REST API (``/v1/``), the second backend.

It has what the Google Reader API lacks: entries changed since a time
(``changed_after``), stable paging by entry id (``after_entry_id``, never an
offset that moves), and API keys. Without ``username`` in ``[sync]`` the
secret is an API key (``X-Auth-Token``); with one, it is the account's
password (HTTP basic auth).

Miniflux's ``PUT /v1/entries/{id}/bookmark`` flips the star, so a star is
only sent when the server lacks it, and every push is read back.
"""

from __future__ import annotations

import base64
import email.utils
import json
import re
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from briefing.core.models import ParsedEntry
from briefing.core.sync.account import Account
from briefing.core.sync.client import ServerClient
from briefing.core.sync.server import (
    EntryState,
    Known,
    MarkChange,
    PullResult,
    PushResult,
    ServerEntry,
    ServerFeed,
    SyncError,
    SyncErrorKind,
    error_text,
    in_category,
    refuse_redirect,
    text_field,
)
from briefing.core.sync.transport import SyncResponse, SyncTransport
from briefing.core.textclean import clean_line, clean_text, is_web_url

PAGE_SIZE = 1_000
STATUS_BATCH = 1_000
STAR_REQUESTS_AT_ONCE = 8
MAX_PAGES = 10_000
CURSOR_MARGIN = 2
"""Seconds taken off the server's clock for the next ``changed_after``: a change
made while a pull runs is seen again next time, never missed (applying it
twice changes nothing)."""


class MinifluxClient(ServerClient):
    def __init__(
        self,
        account: Account,
        transport: SyncTransport,
        *,
        page_size: int = PAGE_SIZE,
        status_batch: int = STATUS_BATCH,
    ) -> None:
        super().__init__(account, transport)
        self.page_size = page_size
        self.status_batch = status_batch
        self._clock: tuple[float, float] | None = None
        """(the server's time, our monotonic time) at its last answer with a Date."""
        self._answer_times: list[float] = []
        """The server's time at each answer of the pull running now."""

    # ------------------------------------------------------------------ HTTP

    def _headers(self) -> dict[str, str]:
        username = self.account.config.username
        if username:
            pair = f"{username}:{self.secret().reveal()}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        return {"X-Auth-Token": self.secret().reveal()}

    def _request(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        body: object = None,
    ) -> SyncResponse:
        headers = self._headers()
        payload = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body).encode()
        target = path + (("?" + urlencode(query, quote_via=quote)) if query else "")
        answer = self.send(method, target, headers, payload)
        server_time = _server_time(answer)
        if server_time is not None:
            self._clock = (server_time, time.monotonic())
            self._answer_times.append(server_time)
        if answer.status in (401, 403):
            username = self.account.config.username
            if username:
                message = (
                    f"sync: {self.base} refused the login of {username!r}: wrong username or"
                    " password"
                )
            else:
                message = (
                    f"sync: {self.base} refused the API key (wrong, revoked or expired):"
                    " make one in Miniflux under Settings > API Keys"
                )
            raise SyncError(message, SyncErrorKind.LOGIN)
        refuse_redirect(answer, self.base, path)
        return answer

    def _json(
        self, path: str, query: Sequence[tuple[str, str]] = (), *, expect: type = dict
    ) -> Any:
        answer = self._request("GET", path, query)
        if answer.status in (404, 405):
            raise SyncError(
                f"sync: no Miniflux API at {self.base} (HTTP {answer.status} for {path}):"
                " check [sync] url",
                SyncErrorKind.NO_API,
            )
        if answer.status != 200:
            raise SyncError(
                f"sync: {self.base} answered HTTP {answer.status} for {path}:"
                f" {error_text(answer.body)}",
                SyncErrorKind.SERVER,
            )
        try:
            data = json.loads(answer.body)
        except (ValueError, UnicodeDecodeError):
            raise SyncError(
                f"sync: {self.base} answered {path} with something that is not JSON"
                " (a login page? check [sync] url)",
                SyncErrorKind.NO_API,
            ) from None
        if not isinstance(data, expect):
            raise SyncError(
                f"sync: {self.base} answered {path} in a way briefing cannot use",
                SyncErrorKind.NO_API,
            )
        return data

    # ------------------------------------------------------------------ reading

    def subscriptions(self) -> tuple[ServerFeed, ...]:
        data = self._json("/v1/feeds", expect=list)
        feeds: list[ServerFeed] = []
        for item in data:
            if not isinstance(item, dict) or type(item.get("id")) is not int:
                continue
            category = item.get("category")
            folder = category.get("title") if isinstance(category, dict) else ""
            url = text_field(item, "feed_url")
            site = text_field(item, "site_url")
            title = text_field(item, "title")
            feeds.append(
                ServerFeed(
                    id=str(item["id"]),
                    title=clean_line(title) or clean_line(url) or str(item["id"]),
                    url=clean_line(url),
                    site=site if is_web_url(site) else "",
                    category=clean_line(folder) if isinstance(folder, str) else "",
                )
            )
        return tuple(feeds)

    def entries_after(
        self, after: int, query: Sequence[tuple[str, str]] = ()
    ) -> list[dict[str, Any]]:
        """Entries with ids above ``after``, by id: a page never moves when others change."""
        found: list[dict[str, Any]] = []
        cursor = after
        for _page in range(MAX_PAGES):
            page_query = [
                ("order", "id"),
                ("direction", "asc"),
                ("limit", str(self.page_size)),
                ("after_entry_id", str(cursor)),
                *query,
            ]
            data = self._json("/v1/entries", page_query)
            page = data.get("entries") or []
            if not isinstance(page, list) or not all(
                isinstance(e, dict) and type(e.get("id")) is int for e in page
            ):
                raise SyncError(
                    f"sync: {self.base} answered /v1/entries in a way briefing cannot use",
                    SyncErrorKind.SERVER,
                )
            ids = [entry["id"] for entry in page]
            if any(i <= cursor for i in ids) or ids != sorted(set(ids)):
                # A server that ignores after_entry_id would page for ever.
                raise SyncError(
                    f"sync: {self.base} did not page /v1/entries by id (after_entry_id);"
                    " briefing needs Miniflux 2.0.21 or later",
                    SyncErrorKind.SERVER,
                )
            found.extend(page)
            if len(page) < self.page_size:
                return found
            cursor = ids[-1]
            if self.between_pages is not None:
                self.between_pages("/v1/entries")
        raise SyncError(
            f"sync: {self.base} has more than {MAX_PAGES} pages of entries",
            SyncErrorKind.SERVER,
        )

    def _server_now(self) -> float:
        """The server's clock now, give or take a second (``changed_after`` uses it)."""
        if self._clock is None or time.monotonic() - self._clock[1] > 60:
            self._json("/v1/me")
        if self._clock is None:
            return time.time()  # no Date header: our own clock
        server_time, seen = self._clock
        return server_time + (time.monotonic() - seen)

    def pull(self, known: Known) -> PullResult:
        """The subscriptions, the entries after the newest one stored, and the
        entries changed since the last pull, asked for at once."""
        self._answer_times = []
        category = self.account.config.category
        newest = max(known.entries, default=0)
        since = known.cursor.get("changed_after")
        with ThreadPoolExecutor(3) as pool:
            asked = pool.submit(self.subscriptions)
            scope: list[tuple[str, str]] = []
            if category:
                scope = _category_scope(self._json("/v1/categories", expect=list), category)
            new = pool.submit(self.entries_after, newest, scope)
            changed = None
            if known.entries and isinstance(since, int | float):
                changed_query = [("changed_after", str(int(since))), *scope]
                changed = pool.submit(self.entries_after, 0, changed_query)
            feeds = asked.result()
            raw = new.result() + (changed.result() if changed is not None else [])
        if category:
            feeds = in_category(feeds, category, self.base, word="category")
        # The next changed_after: the server's clock at the first answer, less a
        # margin, so that a change made while this pull ran is seen next time.
        started = min(self._answer_times, default=time.time())
        followed = {feed.id for feed in feeds}
        entries: dict[int, ServerEntry] = {}
        for item in raw:
            entry = _entry_of(item)
            if entry is not None and entry.feed_id in followed:
                entries[entry.id] = entry
        states = {i: e.state for i, e in entries.items() if i in known.entries}
        return PullResult(
            feeds=feeds,
            entries=tuple(entries.values()),
            states=states,
            complete_states=False,
            present=None,
            cursor={"changed_after": int(started) - CURSOR_MARGIN},
        )

    def changed_times(self, ids: Sequence[int]) -> dict[int, float]:
        return {}  # every entry a pull returns already says when it changed

    # ------------------------------------------------------------------ marking

    def push(self, changes: Sequence[MarkChange]) -> PushResult:
        since = int(self._server_now()) - CURSOR_MARGIN
        by_status: dict[str, list[int]] = {"read": [], "unread": []}
        stars: list[int] = []
        gone: set[int] = set()
        for change in changes:
            if change.flag == "read":
                by_status["read" if change.value else "unread"].append(change.entry)
            else:
                stars.append(change.entry)
        for status, ids in by_status.items():
            for start in range(0, len(ids), self.status_batch):
                batch = ids[start : start + self.status_batch]
                answer = self._request(
                    "PUT", "/v1/entries", body={"entry_ids": batch, "status": status}
                )
                if _nothing_updated(answer):
                    gone.update(batch)  # none of them is on the server any more
                    continue
                self._expect_no_content(answer, "/v1/entries")
        # One request per star (the API flips one entry at a time), a few at once.
        with ThreadPoolExecutor(STAR_REQUESTS_AT_ONCE) as pool:
            toggled = list(pool.map(self._toggle_star, dict.fromkeys(stars)))
        gone.update(entry for entry, there in toggled if not there)
        wanted = {change.entry for change in changes}
        seen: dict[int, EntryState] = {}
        for item in self.entries_after(0, [("changed_after", str(since))]):
            entry = _entry_of(item)
            if entry is not None and entry.id in wanted:
                seen[entry.id] = entry.state
        # Miniflux answers 204 for a status change of an entry it does not have;
        # such an entry is missing from what changed.
        gone |= wanted - set(seen)
        unconfirmed = tuple(
            c for c in changes if c.entry in seen and seen[c.entry].flag(c.flag) != c.value
        )
        return PushResult(confirmed=seen, gone=frozenset(gone), unconfirmed=unconfirmed)

    def _toggle_star(self, entry: int) -> tuple[int, bool]:
        """Flip one entry's star; (entry, whether the server has it)."""
        answer = self._request("PUT", f"/v1/entries/{entry}/bookmark")
        if answer.status == 404 or _nothing_updated(answer):
            return entry, False
        self._expect_no_content(answer, f"/v1/entries/{entry}/bookmark")
        return entry, True

    def _expect_no_content(self, answer: SyncResponse, path: str) -> None:
        if answer.status in (200, 204):
            return
        if answer.status in (404, 405):
            raise SyncError(
                f"sync: no Miniflux API at {self.base} (HTTP {answer.status} for {path}):"
                " check [sync] url",
                SyncErrorKind.NO_API,
            )
        raise SyncError(
            f"sync: {self.base} answered HTTP {answer.status} for {path}:"
            f" {error_text(answer.body)}",
            SyncErrorKind.SERVER,
        )


def _nothing_updated(answer: SyncResponse) -> bool:
    """Miniflux's answer to a change of entries it does not have (500, not 404)."""
    return answer.status == 500 and b"nothing has been updated" in answer.body


def _category_scope(categories: list[Any], category: str) -> list[tuple[str, str]]:
    """The ``category_id`` parameter for the category of that title (none if absent:
    ``in_category`` then says so)."""
    for item in categories:
        title = item.get("title") if isinstance(item, dict) else None
        if (
            isinstance(title, str)
            and clean_line(title).casefold() == category.casefold()
            and type(item.get("id")) is int
        ):
            return [("category_id", str(item["id"]))]
    return []


_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def _entry_of(item: Mapping[str, Any]) -> ServerEntry | None:
    status = item.get("status")
    if status not in ("read", "unread") or type(item.get("feed_id")) is not int:
        return None  # 'removed', or damaged
    entry_id: int = item["id"]
    title = text_field(item, "title")
    url = clean_line(text_field(item, "url"))
    author = text_field(item, "author")
    content = text_field(item, "content")
    parsed = ParsedEntry(
        id=str(entry_id),
        title=clean_line(title),
        link=url if is_web_url(url) else "",
        author=clean_line(author),
        published=_iso(item.get("published_at")),
        summary="",
        content=clean_text(content).strip(),
    )
    changed = _timestamp(item.get("changed_at"))
    digest = item.get("hash")
    return ServerEntry(
        id=entry_id,
        feed_id=str(item["feed_id"]),
        entry=parsed,
        state=EntryState(
            read=status == "read", starred=item.get("starred") is True, changed=changed
        ),
        guid_hash=digest.lower() if isinstance(digest, str) and _SHA256.fullmatch(digest) else "",
    )


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment.year < 1971:
        return None  # Go's zero time: no date
    return moment.astimezone(UTC)


def _iso(value: object) -> str | None:
    moment = _parse_time(value)
    return moment.replace(microsecond=0).isoformat() if moment else None


def _timestamp(value: object) -> float | None:
    moment = _parse_time(value)
    return moment.timestamp() if moment else None


def _server_time(answer: SyncResponse) -> float | None:
    """The server's clock from its Date header: ``changed_after`` compares with it."""
    stamp = answer.header("date")
    if not stamp:
        return None
    try:
        return email.utils.parsedate_to_datetime(stamp).timestamp()
    except (TypeError, ValueError):
        return None
