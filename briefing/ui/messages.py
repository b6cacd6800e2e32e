"""Messages of the reader.

Two kinds, each going one way. Workers and job threads never touch widgets:
they post a result (``DataLoaded``, ``RefreshProgress``...) and the app, on its
own thread, paints it through the main screen's methods. The main screen never
calls the app: it posts an intent (``RefreshRequested``, ``FlagsChanged``...)
and the app carries it out. The app is the one mediator between the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from textual.message import Message

from briefing.core.models import Article, Briefing, FeedResult, RefreshSummary
from briefing.core.service import BriefingService
from briefing.ui.view import ReaderData, Session


class LoadReason(StrEnum):
    """Why the cache was read."""

    START = "start"
    REFRESH = "refresh"
    SAMPLE = "sample"
    """The bundled sample, opened in place of the user's empty cache."""
    SWITCH = "switch"
    """The user's feeds, tried while the sample stood in for them."""
    CONFIG = "config"
    """feeds.toml was read again (its feeds or topic changed)."""


class MessageTopic(StrEnum):
    """What a footer message is about: an error stays on show over lesser messages,
    except one on the same topic, which tells that the error is resolved (a fixed
    feeds.toml read, a refresh without failures)."""

    CONFIG = "config"
    REFRESH = "refresh"


class Job(StrEnum):
    """The work a worker or a job thread does; named when it fails."""

    LOAD = "load"
    SEARCH = "search"
    FACTS = "facts"
    REFRESH = "refresh"
    SAMPLE = "sample"
    BROWSER = "browser"
    CONFIG = "config"


@dataclass
class DataLoaded(Message):
    """The cache was read (at start, or after a change)."""

    service: BriefingService
    data: ReaderData
    reason: LoadReason
    session: Session
    """The place the user left, as stored in that service's cache."""


@dataclass
class BriefingLoaded(Message):
    """The key facts of ``data``, worked out after the articles were painted."""

    service: BriefingService
    data: ReaderData
    briefing: Briefing | None
    error: str = ""
    """Why the key facts could not be worked out, if they could not."""


@dataclass
class JobFailed(Message):
    """A worker or job thread raised; ``reason`` is one clean line."""

    job: Job
    reason: str


@dataclass
class RefreshStarted(Message):
    feeds: int


@dataclass
class RefreshProgress(Message):
    """One feed done. Never merged with the next one: each may carry an error to show."""

    result: FeedResult
    done: int
    total: int


@dataclass
class FeedsRefreshed(Message):
    """The feed step is done and its articles are stored; the page step follows."""

    summary: RefreshSummary


@dataclass
class RefreshPagesProgress(Message):
    """The page step (full article text) after the feeds: a newer count replaces an older."""

    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RefreshPagesProgress)


@dataclass
class RefreshFinished(Message):
    service: BriefingService
    summary: RefreshSummary
    was_sample: bool = False
    shows_feeds: bool = True
    """The refreshed feeds are what the reader shows next (not the sample in their place)."""
    feeds_told: bool = False
    """The feed results were already reported, when the page step began."""


@dataclass
class SearchFinished(Message):
    query: str
    ids: list[str]
    articles: list[Article] = field(default_factory=list)
    """The articles found (off-topic ones have no list row until a search finds them)."""


@dataclass
class LinkOpened(Message):
    """What the web browser made of an article's link."""

    link: str
    opened: bool
    reason: str = ""
    """Why no browser took it, when the webbrowser module says why."""
    read_id: str | None = None
    """The article to mark read now that the link opened (O), if any."""


@dataclass
class FlagsSaved(Message):
    """The flag writer's news: ``waiting`` while another process holds the cache,
    ``error`` when a write failed (the marks are kept and tried again)."""

    waiting: bool = False
    error: str = ""


# --------------------------------------------------------------------------- intents
# Posted by the main screen; the app carries them out.


@dataclass
class ScreenReady(Message):
    """The main screen is mounted: the app may start loading."""


@dataclass
class RefreshRequested(Message):
    feeds: tuple[str, ...] | None = None
    """The feeds to fetch; None for every feed."""


@dataclass
class ConfigReloadRequested(Message):
    pass


@dataclass
class SearchRequested(Message):
    query: str


@dataclass
class LinkRequested(Message):
    """Open a link in the web browser (``copy``: copy it to the clipboard instead)."""

    link: str
    copy: bool = False
    read_id: str | None = None
    """An article to mark read once the link has opened (O), and only then."""


@dataclass
class FlagsChanged(Message):
    """Read or starred marks the user changed; already shown, still to be stored."""

    ids: list[str] = field(default_factory=list)
    read: bool | None = None
    starred: bool | None = None


@dataclass
class ExportRequested(Message):
    pass


@dataclass
class PrefsChanged(Message):
    """A reader preference the user changed (unread only, a tag, pane sizes)."""
