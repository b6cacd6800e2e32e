"""What the reader says about a refresh and about the sample: plain sentences.

Kept apart from the app so that the wording can be tested without a screen.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from briefing.core.models import FeedResult, PageReport, RefreshSummary
from briefing.core.textclean import clean_line

MAX_FAILURE_TOASTS = 3
"""Up to this many failed feeds get a notification each; more get one between them."""

# The standing notices put their reason first: at 80 columns they get two lines,
# and whatever does not fit is cut (with an ellipsis) from the end.
SAMPLE_FALLBACK_NOTICE = (
    "No feed could be reached and the cache is empty: showing the bundled SAMPLE"
    " (fictional articles). Press r to try your feeds again."
)
SAMPLE_OFFLINE_NOTICE = (
    "Offline (--offline) with an empty cache: showing the bundled SAMPLE"
    " (fictional articles). Start briefing without --offline to fetch your feeds."
)


def config_refused_text(error: str) -> str:
    """A refused feeds.toml in one line, what it means first: a footer cuts the end of
    a long line, and the file's path is most of it (shortened to ~ under home)."""
    line = clean_line(error)
    try:
        home = str(Path.home())
    except RuntimeError:  # no home to be found
        home = ""
    if home not in ("", "/"):
        line = line.replace(home + "/", "~/")
    return f"Kept the feeds from before: {line}"


def no_enabled_feeds_text(config_path: str | None) -> str:
    """What `r` says when the user's feeds.toml lists no feed to fetch."""
    where = f" in {clean_line(config_path)}" if config_path else ""
    return f"No enabled feeds{where}: add one (or set enabled = true), then press r."


def sample_without_feeds_notice(config_path: str | None) -> str:
    where = f" to {clean_line(config_path)}" if config_path else ""
    return (
        "Your feeds.toml has no enabled feeds: showing the bundled SAMPLE"
        f" (fictional articles). Add a feed{where}, then press r."
    )


def sample_after_failed_refresh_notice(reason: str) -> str:
    return (
        f"The refresh failed ({clean_line(reason)}) and the cache is empty: showing the"
        " bundled SAMPLE (fictional articles). Press r to try again."
    )


_KINDS = (
    (re.compile(r"HTTP (\d{3})\b"), "HTTP {0}"),
    (re.compile(r"DNS lookup failed"), "DNS lookup failed"),
    (re.compile(r"timed out|took too long"), "timed out"),
    (re.compile(r"connection refused"), "connection refused"),
    (re.compile(r"network unreachable"), "network unreachable"),
    (re.compile(r"TLS "), "TLS error"),
    (re.compile(r"could not connect"), "could not connect"),
    (re.compile(r"closed the connection|connection to .* broke"), "connection broken"),
    (re.compile(r"file not found"), "file not found"),
)
MAX_KIND = 40


def failure_kind(reason: str | None) -> str:
    """A feed's error without its host or path, so that like failures can be counted."""
    text = clean_line(reason or "") or "failed"
    for pattern, kind in _KINDS:
        found = pattern.search(text)  # some reasons start with the host
        if found:
            return kind.format(*found.groups())
    return text if len(text) <= MAX_KIND else text[: MAX_KIND - 1] + "…"


def failures_text(errors: Sequence[FeedResult], hint: str) -> str:
    """'14 feeds failed — DNS lookup failed (12), timed out (2); see Sources.'"""
    return f"{plural(len(errors), 'feed')} failed — {failure_kinds_text(errors)}{hint}"


def failure_kinds_text(errors: Sequence[FeedResult]) -> str:
    """'DNS lookup failed (12), timed out (2)'."""
    kinds = Counter(failure_kind(result.error) for result in errors)
    return ", ".join(f"{kind} ({count})" for kind, count in kinds.most_common())


def sample_fallback_notice(errors: Sequence[FeedResult]) -> str:
    """The standing line while the sample stands in for feeds that all failed:
    'No feed could be reached (DNS lookup failed: 14) and the cache is empty: …'."""
    if not errors:
        return SAMPLE_FALLBACK_NOTICE
    kinds = Counter(failure_kind(result.error) for result in errors)
    counted = ", ".join(f"{kind}: {count}" for kind, count in kinds.most_common())
    return (
        f"No feed could be reached ({counted}) and the cache is empty: showing the"
        " bundled SAMPLE (fictional articles). Press r to try again."
    )


def feed_failure_text(result: FeedResult) -> str:
    return f"{clean_line(result.name)}: {clean_line(result.error or 'failed')}"


def feeds_refreshed_text(summary: RefreshSummary) -> str:
    new = sum(r.new for r in summary.results)
    failed = len(summary.errors)
    text = f"{plural(len(summary.results), 'feed')} refreshed: {plural(new, 'new article')}"
    if failed:
        text += f", {failed} failed"
    return text


def pages_fetched_text(pages: PageReport) -> str:
    counts = [
        (pages.fetched, "fetched"),
        (pages.failed, "failed"),
        (pages.unchanged + pages.fresh, "unchanged"),
    ]
    parts = [f"{count} {what}" for count, what in counts if count]
    return "Full texts: " + (", ".join(parts) if parts else "none needed")


def plural(count: int, noun: str) -> str:
    """'1 feed', '2 feeds', '0 new articles'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
