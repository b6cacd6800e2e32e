"""What a feed server client gives the engine, whichever API it speaks.

Both clients (``greader``, ``miniflux``) return these types and raise
``SyncError``, whose text is one line a person can act on. Entry ids are the
server's own integers (Miniflux's entry id is the Google Reader item id too).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from briefing.core.models import ParsedEntry
from briefing.core.sync.transport import SyncResponse
from briefing.core.textclean import clean_line

Flag = Literal["read", "starred"]
FLAGS: tuple[Flag, ...] = ("read", "starred")


class SyncErrorKind(enum.StrEnum):
    UNREACHABLE = "unreachable"
    """No answer: refused, timed out, DNS, TLS."""
    LOGIN = "login"
    """The username, password or API key was refused."""
    NO_API = "no-api"
    """The server does not serve this API at this URL (or it is switched off)."""
    TOKEN = "token"
    """A session token was refused even after logging in again."""
    SERVER = "server"
    """The server answered, but not in a way that can be used."""
    SECRET = "secret"
    """The secret could not be read (password_env unset, password_command failed)."""


class SyncError(Exception):
    """A feed server problem; ``str()`` is one line, without the secret."""

    def __init__(self, message: str, kind: SyncErrorKind) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class ServerFeed:
    id: str
    """The server's id of the subscription ('12')."""
    title: str
    url: str
    """The feed's own URL, as the server polls it."""
    site: str = ""
    category: str = ""


@dataclass(frozen=True, slots=True)
class EntryState:
    read: bool
    starred: bool
    changed: float | None = None
    """When the server last changed the entry (Unix time), where it says."""

    def flag(self, name: Flag) -> bool:
        return self.read if name == "read" else self.starred


@dataclass(frozen=True, slots=True)
class ServerEntry:
    id: int
    feed_id: str
    entry: ParsedEntry
    """Already cleaned like a parsed feed's entry; ``entry.id`` is ``str(id)``, or
    the guid of the stored article the entry was matched to (``engine``)."""
    state: EntryState
    guid_hash: str = ""
    """sha256 (hex) of the item's guid in its feed, else of its link, where the
    server says (Miniflux's ``hash``): to match the entry to an article that
    briefing fetched from that feed itself."""


@dataclass(frozen=True, slots=True)
class Known:
    """What the store knows of the server, for a pull to ask only for what changed."""

    entries: Mapping[int, str]
    """Entry id -> server feed id, for every entry stored."""
    foreign: frozenset[int] = frozenset()
    """Entries seen before that belong to feeds not followed (``category``)."""
    cursor: Mapping[str, object] = field(default_factory=dict)
    """The backend's own sync point from the last pull."""


@dataclass(frozen=True, slots=True)
class PullResult:
    feeds: tuple[ServerFeed, ...]
    """Every followed subscription."""
    entries: tuple[ServerEntry, ...]
    """Entries not known before, and known ones whose content changed, with state."""
    states: Mapping[int, EntryState]
    """The server's marks of known entries (all of them, or those changed since the
    cursor: see ``complete_states``)."""
    complete_states: bool
    """True when ``states`` covers every entry the server holds (Google Reader);
    False when it holds only what changed since the cursor (Miniflux)."""
    present: frozenset[int] | None
    """Every entry id the server still holds, or None when the API cannot say."""
    foreign: frozenset[int] = frozenset()
    cursor: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MarkChange:
    entry: int
    flag: Flag
    value: bool


@dataclass(frozen=True, slots=True)
class PushResult:
    confirmed: Mapping[int, EntryState]
    """Entries whose marks the server was seen to hold afterwards, with their state."""
    gone: frozenset[int] = frozenset()
    """Entries the server no longer has; their marks stay here and are not sent again."""
    unconfirmed: tuple[MarkChange, ...] = ()
    """Marks sent whose effect was not seen; they stay queued for the next refresh."""


class SyncBackend(Protocol):
    label: str
    """'https://rss.example.org (Google Reader API)': where the feeds come through."""

    @property
    def requests(self) -> int: ...

    def pull(self, known: Known) -> PullResult: ...

    def changed_times(self, ids: Sequence[int]) -> dict[int, float]:
        """When the server last changed these entries, where it can say ({} if not)."""
        ...

    def push(self, changes: Sequence[MarkChange]) -> PushResult: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------------- for both clients


def text_field(item: Mapping[str, Any], key: str) -> str:
    """A string field of a decoded answer, '' when missing or of another type."""
    value = item.get(key)
    return value if isinstance(value, str) else ""


def error_text(body: bytes) -> str:
    """What an error answer says, on one line: Miniflux's ``error_message``, else the body."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error_message"), str):
        text = data["error_message"]
    return clean_line(text)[:160] or "(empty)"


def refuse_redirect(answer: SyncResponse, base: str, path: str) -> None:
    """A 3xx is reported: following it would send the credentials elsewhere."""
    if 300 <= answer.status < 400:
        where = clean_line(answer.header("location"))[:200] or "elsewhere"
        raise SyncError(
            f"sync: {base} redirects {path} to {where}; put the address it should be in [sync] url",
            SyncErrorKind.NO_API,
        )


def in_category(
    feeds: tuple[ServerFeed, ...], category: str, base: str, *, word: str
) -> tuple[ServerFeed, ...]:
    """The feeds of ``[sync] category`` (any case); an error naming the server's own
    (``word`` is what the server calls them: folder, category)."""
    if not category:
        return feeds
    wanted = category.casefold()
    chosen = tuple(f for f in feeds if f.category.casefold() == wanted)
    if not chosen:
        names = sorted({f.category for f in feeds if f.category}, key=str.casefold)
        has = ", ".join(names[:10]) if names else "none"
        raise SyncError(
            f"sync: {base} has no {word} named {category!r} with feeds ([sync] category;"
            f" its {word}s: {has})",
            SyncErrorKind.SERVER,
        )
    return chosen
