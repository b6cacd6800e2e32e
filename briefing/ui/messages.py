"""Messages the reader's thread workers post to the app.

Workers never touch widgets: they post one of these, and the app (on its own
thread) updates the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from briefing.core.models import Briefing, FeedResult, RefreshSummary
from briefing.core.service import BriefingService
from briefing.ui.view import ReaderData, Session


@dataclass
class DataLoaded(Message):
    """The cache was read (at start, or after a change)."""

    service: BriefingService
    data: ReaderData
    reason: str
    """'start', 'refresh', 'sample', or 'switch' (the user's feeds answered while
    the sample was shown in their place)."""
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

    job: str
    """'load', 'search', 'facts', 'refresh' or 'sample'."""
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


@dataclass
class LinkOpened(Message):
    """What the web browser made of an article's link."""

    link: str
    opened: bool
    reason: str = ""
    """Why no browser took it, when the webbrowser module says why."""
