"""The dated events of a briefing, from its date facts, in date order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from briefing.core.models import FigureKind, KeyFact, TimelineEvent

__all__ = ["build_timeline", "timeline_disputes"]


def build_timeline(key_facts: Sequence[KeyFact]) -> list[TimelineEvent]:
    """One event per date of each date fact; the fact's other dates are disputes."""
    timeline = [
        TimelineEvent(
            date=str(value.value),
            label=fact.label,
            sources=value.sources,
            articles=value.articles,
            fact=fact.id,
        )
        for fact in key_facts
        if fact.kind is FigureKind.DATE
        for value in fact.values
        if isinstance(value.value, str)
    ]
    timeline.sort(key=lambda e: (e.date, -len(e.sources), e.label))
    return timeline


def timeline_disputes(timeline: Iterable[TimelineEvent]) -> dict[str, tuple[str, ...]]:
    """Events the sources date differently: label -> every date given for it, in order.

    Two dates conflict when neither contains the other ('2025-12' contains
    '2025-12-29'); an event is disputed when any two of its dates conflict.
    """
    dates: dict[str, set[str]] = {}
    for event in timeline:
        dates.setdefault(event.label, set()).add(event.date)
    disputes: dict[str, tuple[str, ...]] = {}
    for label, given in dates.items():
        ordered = sorted(given)
        if any(
            not (a.startswith(b) or b.startswith(a))
            for i, a in enumerate(ordered)
            for b in ordered[i + 1 :]
        ):
            disputes[label] = tuple(ordered)
    return disputes
