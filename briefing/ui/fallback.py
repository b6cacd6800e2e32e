"""Whose briefing is on screen: the user's, or the bundled sample standing in for it.

Plain decisions, no Textual: the app asks this object what to do at start,
what a refresh should fetch, whether a load that arrives is shown, and what the
standing notice says; it then does it. Tested in milliseconds
(tests/test_ui_logic.py), with one Pilot test per path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from briefing.core.models import FeedResult
from briefing.core.service import BriefingService, DataOrigin
from briefing.ui.messages import LoadReason
from briefing.ui.reports import (
    SAMPLE_OFFLINE_NOTICE,
    sample_after_failed_refresh_notice,
    sample_fallback_notice,
    sample_without_feeds_notice,
)


class StartStep(StrEnum):
    """What to do with the first load of the cache."""

    SHOW = "show"
    OPEN_SAMPLE = "open-sample"
    """Empty, and nothing can fill it now (offline, or no enabled feed)."""
    FETCH = "fetch"
    """Empty: fetch the feeds, and open the sample if none answers."""


class Verdict(StrEnum):
    """What to do with a load that arrives."""

    IGNORE = "ignore"
    SHOW = "show"
    SWITCH = "switch"
    """Show it, and make its service the one on screen (sample in, or sample out)."""


@dataclass(frozen=True, slots=True)
class RefreshPlan:
    service: BriefingService
    reason: LoadReason
    fall_back_to_sample: bool
    """Open the sample when this refresh leaves the cache empty."""


def has_enabled_feeds(service: BriefingService) -> bool:
    # With [sync], the server's feeds are known only after its first refresh.
    return service.server_sync is not None or any(feed.enabled for feed in service.config.feeds)


class Fallback:
    def __init__(self, service: BriefingService, *, offline: bool) -> None:
        self.user = service if service.origin != DataOrigin.SAMPLE else None
        """The service of the user's own config and cache; None with --demo."""
        self.current = service
        self.sample: BriefingService | None = None
        """The sample opened in place of the user's empty cache, once it is."""
        self.offline = offline
        self.loaded = False
        """Something has been painted."""
        self.notice = ""
        """The standing line: why the sample stands in, and what to do; '' when it does not."""
        self.last_errors: tuple[FeedResult, ...] = ()

    @property
    def standing_in(self) -> bool:
        """The sample is on screen in place of the user's own (empty) cache."""
        return self.user is not None and self.current is not self.user

    # ------------------------------------------------------------------ start

    def start_step(self, has_articles: bool) -> StartStep:
        if has_articles:
            return StartStep.SHOW
        if self.offline or (self.user is not None and not has_enabled_feeds(self.user)):
            return StartStep.OPEN_SAMPLE
        return StartStep.FETCH

    # ------------------------------------------------------------------ refresh

    def refresh_plan(self) -> RefreshPlan | None:
        """What r fetches; None when the feeds.toml in use has no enabled feed."""
        target = self.user if self.standing_in and self.user is not None else self.current
        if not has_enabled_feeds(target):
            return None
        if self.standing_in:
            # The sample stands in for the user's feeds: r tries those again.
            return RefreshPlan(target, LoadReason.SWITCH, fall_back_to_sample=False)
        return RefreshPlan(target, LoadReason.REFRESH, fall_back_to_sample=not self.loaded)

    def refresh_failed(self, reason: str) -> bool:
        """A refresh raised. True when the sample should open (nothing is on screen yet)."""
        if self.loaded:
            return False
        self.notice = sample_after_failed_refresh_notice(reason)
        return True

    def refresh_finished(self, errors: Sequence[FeedResult], *, shows_feeds: bool) -> bool:
        """A refresh ended. True when the standing notice changed (tried from the
        sample, and failed again: it now says how, this time)."""
        self.last_errors = tuple(errors)
        if self.standing_in and not shows_feeds and errors:
            self.notice = sample_fallback_notice(errors)
            return True
        return False

    # ------------------------------------------------------------------ loads

    def verdict(
        self,
        service: BriefingService,
        reason: LoadReason,
        *,
        has_articles: bool,
        screen_has_articles: bool,
    ) -> Verdict:
        if (
            reason == LoadReason.SAMPLE
            and self.current is self.user
            and self.loaded
            and screen_has_articles
        ):
            return Verdict.IGNORE  # the user's own articles arrived first: no sample needed
        from_user = service is self.user and has_articles
        if service is not self.current:
            if reason == LoadReason.SAMPLE:
                return Verdict.SWITCH
            if reason in (LoadReason.SWITCH, LoadReason.REFRESH) and from_user:
                return Verdict.SWITCH  # the user's feeds answered while the sample took over
            return Verdict.IGNORE  # a load for a service since replaced
        return Verdict.SHOW

    def switch_to(self, service: BriefingService) -> str:
        """Make ``service`` the one on screen; returns what to tell the user ('' for nothing)."""
        self.current = service
        if service is self.user:
            self.notice = ""
            return "Your feeds answered: showing your own briefing instead of the sample."
        self.sample = service
        if self.user is not None and not self.notice:
            if self.offline:
                self.notice = SAMPLE_OFFLINE_NOTICE
            elif not has_enabled_feeds(self.user):
                self.notice = sample_without_feeds_notice(self.user.config.path)
            else:
                self.notice = sample_fallback_notice(self.last_errors)
        return ""
