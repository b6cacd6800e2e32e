"""The Google Reader API client: FreshRSS, Miniflux, Inoreader, The Old Reader,
BazQux, CommaFeed 7.3+.

Only the subset that real servers answer alike is used:
``POST /accounts/ClientLogin``, ``GET /reader/api/0/token``, and under
``/reader/api/0/``: ``subscription/list``, ``stream/items/ids``,
``stream/items/contents`` (POST) and ``edit-tag`` (POST).

What real servers taught (each has a test in tests/test_sync_pitfalls.py):

* Item ids go out in the long form ``tag:google.com,2005:reader/item/%016x``.
  Miniflux up to 2.2.8 reads a bare id as hex, so ``i=11`` marks item 17.
* Offset paging loses items when another device changes the list between
  pages. Lists are read oldest first, and each page after the first starts
  one item early: if that item is not the last one already read, the list
  moved, and it is read again from the start.
* Unknown paths (mark-all-as-read among them) are answered ``[]`` with status
  200 by Miniflux 2.2.6. Nothing here asks for mark-all; marks go out as
  explicit ids, every answer is checked for its expected shape, and after
  ``edit-tag`` the items are read back to see that their state changed.
  (Miniflux 2.2.6 also flips a mark that is sent twice: marking a read item
  read makes it unread. The engine only sends marks the server lacks.)
* Miniflux wants the ``T`` token on every POST; FreshRSS does not mind it.
  Login is POST-only.
* State tags differ (``user/1/state/...`` against ``user/-/state/...``): they
  are matched on their suffix.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
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

API = "/reader/api/0/"
READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
ITEM_PREFIX = "tag:google.com,2005:reader/item/"
_STATE = "/state/com.google/"
_LABEL = "/label/"

PAGE_SIZE = 10_000
"""Ids per page: most accounts fit in one, which no other device can disturb."""
CONTENTS_BATCH = 250
CONTENTS_AT_ONCE = 4
EDIT_BATCH = 250
PAGING_ATTEMPTS = 3
MAX_PAGES = 1_000
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def long_item_id(entry: int) -> str:
    """The id as ``edit-tag`` and ``stream/items/contents`` must receive it."""
    return f"{ITEM_PREFIX}{entry & 0xFFFF_FFFF_FFFF_FFFF:016x}"


def parse_item_id(text: object) -> int:
    """The long form (hex), or the decimal form of ``itemRefs``; ValueError otherwise."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text & 0xFFFF_FFFF_FFFF_FFFF
    if not isinstance(text, str):
        raise ValueError(text)
    if text.startswith(ITEM_PREFIX):
        return int(text[len(ITEM_PREFIX) :], 16)
    return int(text, 10) & 0xFFFF_FFFF_FFFF_FFFF


def state_of(categories: Iterable[object]) -> tuple[bool, bool]:
    """(read, starred) from an item's categories, whatever their user part."""
    suffixes = {c.rsplit(_STATE, 1)[1] for c in categories if isinstance(c, str) and _STATE in c}
    return "read" in suffixes, "starred" in suffixes


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class GReaderClient(ServerClient):
    """One account on a Google Reader API server. Keeps its session across refreshes."""

    def __init__(
        self,
        account: Account,
        transport: SyncTransport,
        *,
        page_size: int = PAGE_SIZE,
        contents_batch: int = CONTENTS_BATCH,
        edit_batch: int = EDIT_BATCH,
    ) -> None:
        super().__init__(account, transport)
        self.page_size = page_size
        self.contents_batch = contents_batch
        self.edit_batch = edit_batch
        self._auth: str | None = None
        self._token: str | None = None
        self._session_lock = threading.RLock()

    # ------------------------------------------------------------------ HTTP

    def _login(self) -> None:
        username = self.account.config.username
        form = urlencode({"Email": username, "Passwd": self.secret().reveal()}).encode()
        answer = self.send(
            "POST",
            "/accounts/ClientLogin",
            {"Content-Type": "application/x-www-form-urlencoded"},
            form,
        )
        if answer.status in (401, 403):
            raise SyncError(
                f"sync: {self.base} refused the login of {username!r}: wrong username or"
                " password, or the server's Google Reader API is switched off for this user"
                " (Miniflux: Settings > Integrations > Google Reader)",
                SyncErrorKind.LOGIN,
            )
        refuse_redirect(answer, self.base, "/accounts/ClientLogin")
        auth = ""
        if answer.status == 200:
            for line in answer.body.decode("utf-8", "replace").splitlines():
                if line.startswith("Auth="):
                    auth = line[len("Auth=") :].strip()
        if not auth:
            why = f"HTTP {answer.status}" if answer.status != 200 else "no Auth token in the answer"
            raise SyncError(
                f"sync: no Google Reader API at {self.base} ({why} for /accounts/ClientLogin):"
                " check [sync] url (FreshRSS: https://host/api/greader.php) and that the"
                " API is switched on",
                SyncErrorKind.NO_API,
            )
        self._auth = auth
        self._token = None

    def _call(
        self,
        method: str,
        call: str,
        query: Sequence[tuple[str, str]] = (),
        form: Sequence[tuple[str, str]] | None = None,
    ) -> SyncResponse:
        """One API call, logged in. A refused session is renewed once: a fresh ``T``
        token when the server says so, else a fresh login."""
        path = API + call + (("?" + urlencode(query, quote_via=quote)) if query else "")
        for attempt in range(3):
            auth, token = self._session(need_token=method == "POST")
            headers = {"Authorization": f"GoogleLogin auth={auth}"}
            body = None
            if method == "POST":
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                body = urlencode([*(form or ()), ("T", token)], quote_via=quote).encode()
            answer = self.send(method, path, headers, body)
            if answer.status != 401:
                return answer
            bad_token = answer.header("x-reader-google-bad-token").lower() == "true"
            with self._session_lock:  # calls running at once renew it once, not each
                if attempt == 0 and bad_token:
                    if self._token == token:
                        self._token = None
                elif self._auth == auth:
                    self._auth = self._token = None
        raise SyncError(
            f"sync: {self.base} refused its session token even after a fresh login"
            f" (HTTP 401 for {API}{call}); try again later",
            SyncErrorKind.TOKEN,
        )

    def _session(self, *, need_token: bool) -> tuple[str, str]:
        """(Auth, T), logging in and asking for the token when there are none."""
        with self._session_lock:
            if self._auth is None:
                self._login()
            if need_token and self._token is None:
                self._token = self._fetch_token()
            return self._auth or "", self._token or ""

    def _fetch_token(self) -> str:
        headers = {"Authorization": f"GoogleLogin auth={self._auth}"}
        answer = self.send("GET", API + "token", headers)
        if answer.status == 401:
            self._auth = None
            self._login()
            headers = {"Authorization": f"GoogleLogin auth={self._auth}"}
            answer = self.send("GET", API + "token", headers)
        token = answer.body.decode("utf-8", "replace").strip() if answer.status == 200 else ""
        if not token or len(token) > 1000 or any(c.isspace() for c in token):
            raise SyncError(
                f"sync: {self.base} gave no usable token (HTTP {answer.status} for {API}token)",
                SyncErrorKind.TOKEN if answer.status == 401 else SyncErrorKind.NO_API,
            )
        return token

    def _json(
        self,
        method: str,
        call: str,
        query: Sequence[tuple[str, str]] = (),
        form: Sequence[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:
        answer = self._call(method, call, query, form)
        _check_status(answer, self.base, API + call)
        data = _decode_json(answer, self.base, API + call)
        if not isinstance(data, dict):
            # Miniflux answers a call it does not know with [] and 200.
            raise SyncError(
                f"sync: {self.base} answered {API}{call} with {_shape(data)}, not the"
                " object that call returns: it does not serve it",
                SyncErrorKind.NO_API,
            )
        return data

    # ------------------------------------------------------------------ reading

    def subscriptions(self) -> tuple[ServerFeed, ...]:
        data = self._json("GET", "subscription/list", [("output", "json")])
        raw = data.get("subscriptions")
        if not isinstance(raw, list):
            raise _unexpected(self.base, "subscription/list", "no subscriptions list")
        feeds: list[ServerFeed] = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            category = ""
            for label in item.get("categories") or ():
                if isinstance(label, dict):
                    category = _label_name(label)
                    if category:
                        break
            url = text_field(item, "url")
            site = text_field(item, "htmlUrl")
            title = text_field(item, "title")
            feeds.append(
                ServerFeed(
                    id=item["id"],
                    title=clean_line(_unescape(title)) or clean_line(url) or item["id"],
                    url=clean_line(url),
                    site=site if is_web_url(site) else "",
                    category=clean_line(category),
                )
            )
        return tuple(feeds)

    def stream_ids(self, stream: str, exclude: str | None = None) -> list[int]:
        """Every id of a list, oldest first, checked for moves between pages."""
        for _attempt in range(PAGING_ATTEMPTS):
            ids = self._page_through(stream, exclude)
            if ids is not None:
                return ids
        raise SyncError(
            f"sync: {self.base}'s list {stream} kept changing while it was read"
            f" ({PAGING_ATTEMPTS} tries); try again",
            SyncErrorKind.SERVER,
        )

    def _page_through(self, stream: str, exclude: str | None) -> list[int] | None:
        """The ids, or None when the list moved under the pages (read it again)."""
        ids: list[int] = []
        seen: set[int] = set()
        continuation = ""
        for _page in range(MAX_PAGES):
            query = [("output", "json"), ("s", stream), ("r", "o")]
            if exclude:
                query.append(("xt", exclude))
            # An offset continuation (Miniflux) moves when items come or go before
            # it: start one item early and check that it is the last one read.
            overlap = bool(ids) and continuation.isdigit() and int(continuation) == len(ids)
            if overlap:
                query += [("n", str(self.page_size + 1)), ("c", str(len(ids) - 1))]
            else:
                query.append(("n", str(self.page_size)))
                if continuation:
                    query.append(("c", continuation))
            data = self._json("GET", "stream/items/ids", query)
            page = _item_refs(data, self.base)
            if overlap:
                if not page or page[0] != ids[-1]:
                    return None
                page = page[1:]
            for entry in page:
                if entry in seen:
                    return None  # an item shifted into the next page: the list moved
                seen.add(entry)
                ids.append(entry)
            following = data.get("continuation")
            following = "" if following in (None, "", 0, "0") else str(following)
            if not following or not page:
                return ids
            if following == continuation:
                raise _unexpected(self.base, "stream/items/ids", "the same continuation twice")
            continuation = following
            if self.between_pages is not None:
                self.between_pages(stream)
        raise _unexpected(self.base, "stream/items/ids", f"more than {MAX_PAGES} pages")

    def contents(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The items of these ids; ids the server no longer has are left out.

        Batches go a few at a time: the server's time to gather them is most of
        a first sync."""
        batches = list(_chunks(ids, self.contents_batch))
        if len(batches) <= 1:
            found = [self._contents_batch(batch) for batch in batches]
        else:
            with ThreadPoolExecutor(CONTENTS_AT_ONCE) as pool:
                found = list(pool.map(self._contents_batch, batches))
        return [item for batch in found for item in batch]

    def _contents_batch(self, batch: Sequence[int]) -> list[dict[str, Any]]:
        form = [("i", long_item_id(entry)) for entry in batch]
        answer = self._call("POST", "stream/items/contents", [("output", "json")], form)
        if answer.status in (400, 404) and b"no items" in answer.body.lower():
            return []  # Miniflux: none of these exist any more
        _check_status(answer, self.base, API + "stream/items/contents")
        data = _decode_json(answer, self.base, API + "stream/items/contents")
        found = data.get("items") if isinstance(data, dict) else None
        if not isinstance(found, list):
            raise _unexpected(self.base, "stream/items/contents", "no items list")
        return [item for item in found if isinstance(item, dict)]

    def pull(self, known: Known) -> PullResult:
        with ThreadPoolExecutor(4) as pool:  # four lists, asked for at once
            asked = pool.submit(self.subscriptions)
            listed = pool.submit(self.stream_ids, READING_LIST)
            unread_listed = pool.submit(self.stream_ids, READING_LIST, READ)
            starred_listed = pool.submit(self.stream_ids, STARRED)
            feeds = in_category(
                asked.result(), self.account.config.category, self.base, word="folder"
            )
            every = listed.result()
            unread = set(unread_listed.result())
            starred = set(starred_listed.result())
        followed = {feed.id for feed in feeds}
        present = frozenset(every)
        wanted = [e for e in every if e not in known.entries and e not in known.foreign]
        entries: list[ServerEntry] = []
        foreign = set(known.foreign & present)
        for item in self.contents(wanted):
            entry = _entry_of(item)
            if entry is None:
                continue
            if entry.feed_id not in followed:
                foreign.add(entry.id)
                continue
            entries.append(entry)
        states = {
            entry: EntryState(read=entry not in unread, starred=entry in starred)
            for entry in every
            if entry in known.entries
        }
        return PullResult(
            feeds=feeds,
            entries=tuple(entries),
            states=states,
            complete_states=True,
            present=present,
            foreign=frozenset(foreign),
        )

    def changed_times(self, ids: Sequence[int]) -> dict[int, float]:
        times: dict[int, float] = {}
        for item in self.contents(list(ids)):
            entry = _entry_of(item)
            if entry is not None and entry.state.changed is not None:
                times[entry.id] = entry.state.changed
        return times

    # ------------------------------------------------------------------ marking

    def push(self, changes: Sequence[MarkChange]) -> PushResult:
        """Send each mark with explicit ids, then read the items back."""
        groups: dict[tuple[str, bool], list[int]] = {}
        for change in changes:
            groups.setdefault((change.flag, change.value), []).append(change.entry)
        for (flag, value), ids in groups.items():
            tag = READ if flag == "read" else STARRED
            for batch in _chunks(ids, self.edit_batch):
                form = [("a" if value else "r", tag), *(("i", long_item_id(e)) for e in batch)]
                answer = self._call("POST", "edit-tag", (), form)
                _check_status(answer, self.base, API + "edit-tag")
                if answer.body.strip() != b"OK":
                    raise SyncError(
                        f"sync: {self.base} answered {API}edit-tag with"
                        f" {error_text(answer.body)!r}, not OK",
                        SyncErrorKind.SERVER,
                    )
        wanted = list(dict.fromkeys(change.entry for change in changes))
        seen: dict[int, EntryState] = {}
        for item in self.contents(wanted):
            entry = _entry_of(item)
            if entry is not None:
                seen[entry.id] = entry.state
        gone = frozenset(entry for entry in wanted if entry not in seen)
        unconfirmed = tuple(
            c for c in changes if c.entry in seen and seen[c.entry].flag(c.flag) != c.value
        )
        return PushResult(confirmed=seen, gone=gone, unconfirmed=unconfirmed)


# ---------------------------------------------------------------------- parsing


def _item_refs(data: Mapping[str, Any], base: str) -> list[int]:
    refs = data.get("itemRefs")
    if refs is None:
        return []  # FreshRSS leaves it out of an empty list
    if not isinstance(refs, list):
        raise _unexpected(base, "stream/items/ids", "itemRefs is not a list")
    ids: list[int] = []
    for ref in refs:
        try:
            ids.append(parse_item_id(ref.get("id") if isinstance(ref, dict) else None))
        except ValueError:
            raise _unexpected(base, "stream/items/ids", "an item id that is not a number") from None
    return ids


def _entry_of(item: Mapping[str, Any]) -> ServerEntry | None:
    try:
        entry_id = parse_item_id(item.get("id"))
    except ValueError:
        return None
    origin = item.get("origin")
    feed_id = origin.get("streamId") if isinstance(origin, dict) else None
    if not isinstance(feed_id, str):
        return None
    read, starred = state_of(item.get("categories") or ())
    content = _body(item.get("content"))
    raw_summary, raw_content = item.get("summary"), item.get("content")
    summary = "" if raw_summary == raw_content else _body(raw_summary)
    if summary == content:
        summary = ""
    title = text_field(item, "title")
    author = text_field(item, "author")
    changed = item.get("updated")
    parsed = ParsedEntry(
        id=str(entry_id),
        title=clean_line(_unescape(title)),
        link=_link(item),
        author=clean_line(author),
        published=_published(item),
        summary=summary,
        content=content,
    )
    return ServerEntry(
        id=entry_id,
        feed_id=feed_id,
        entry=parsed,
        state=EntryState(
            read=read,
            starred=starred,
            changed=float(changed) if isinstance(changed, int | float) else None,
        ),
    )


def _body(part: object) -> str:
    if isinstance(part, dict) and isinstance(part.get("content"), str):
        return clean_text(part["content"]).strip()
    return ""


def _link(item: Mapping[str, Any]) -> str:
    for key in ("canonical", "alternate"):
        for ref in item.get(key) or ():
            href = ref.get("href") if isinstance(ref, dict) else None
            if isinstance(href, str) and is_web_url(clean_line(href)):
                return clean_line(href)
    return ""


def _published(item: Mapping[str, Any]) -> str | None:
    seconds = item.get("published")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        usec = item.get("timestampUsec")
        seconds = int(usec) / 1e6 if isinstance(usec, str) and usec.isdigit() else None
    if seconds is None or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(int(seconds), UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def _unescape(text: str) -> str:
    """Google Reader titles are HTML text (FreshRSS escapes them; Miniflux does not)."""
    return html.unescape(text) if _ENTITY.search(text) else text


def _label_name(label: Mapping[str, Any]) -> str:
    name = label.get("label")
    if isinstance(name, str) and name.strip():
        return name
    ident = label.get("id")
    if isinstance(ident, str) and _LABEL in ident:
        return ident.rsplit(_LABEL, 1)[1]
    return ""


# ---------------------------------------------------------------------- errors


def _check_status(answer: SyncResponse, base: str, path: str) -> None:
    if answer.status == 200:
        return
    refuse_redirect(answer, base, path)
    if answer.status in (404, 405, 501):
        raise SyncError(
            f"sync: {base} does not serve {path} (HTTP {answer.status}): not a Google Reader"
            " API, or it is switched off",
            SyncErrorKind.NO_API,
        )
    raise SyncError(
        f"sync: {base} answered HTTP {answer.status} for {path}: {error_text(answer.body)}",
        SyncErrorKind.SERVER,
    )


def _decode_json(answer: SyncResponse, base: str, path: str) -> Any:
    try:
        return json.loads(answer.body)
    except (ValueError, UnicodeDecodeError):
        raise SyncError(
            f"sync: {base} answered {path} with something that is not JSON"
            " (a login page? check [sync] url)",
            SyncErrorKind.NO_API,
        ) from None


def _unexpected(base: str, call: str, what: str) -> SyncError:
    return SyncError(
        f"sync: {base} answered {API}{call} in a way briefing cannot use ({what})",
        SyncErrorKind.SERVER,
    )


def _shape(data: object) -> str:
    if isinstance(data, list):
        return "an empty list" if not data else "a list"
    return type(data).__name__
