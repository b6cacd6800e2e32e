"""A merged cluster of mentions as a key fact: its values with who states them, its
status (agreed, differs, revised, single), its notes and its history.

Disagreement, rounding and revision are different things:

* **differs**: sources give different values for the same quantity;
* **within rounding**: the values differ only as far as the precision they are
  written with allows ("$13 trillion" and "$12.9 trillion"); "$150,000" written out
  in full is exact, so "$151,000" against it is an error, not rounding;
* **revised**: later reports replace an earlier value (every report of the old value
  comes before the first report of the new one, or the text says so: "rose to",
  "up from"). The fact then shows its history, each value with the days of its
  first and last report.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from briefing.core.figures import is_weekday, written_precision
from briefing.core.models import FactStatus, FactValue, Figure, FigureKind, KeyFact, ValueReport

from .labels import label_for
from .merge import Cluster, Mention
from .vocabulary import Vocabulary

__all__ = ["key_fact", "rank_key", "slug"]

_NOTE_VALUES = 6
_ROUNDING_SHARE = 0.05
"""Values further apart than this share of the larger are never 'within rounding'."""
_APPROXIMATE = frozenset({"about", "around", "roughly", "approximately", "nearly", "~", "some"})
_LOWER_BOUNDS = frozenset({"more than", "at least", "or more"})
_UPPER_BOUNDS = frozenset({"up to", "less than", "nearly"})
_HEDGE_MEANINGS = {
    "up to": "a maximum",
    "less than": "an upper bound",
    "more than": "a lower bound",
    "at least": "a minimum",
    "or more": "a minimum",
}
_YEAR_IN_TEXT = re.compile(r"\b(?:19|20)\d\d\b")
_SLUG = re.compile(r"[^a-z0-9]+")


class _Value(NamedTuple):
    mentions: list[Mention]
    sources: list[str]
    first: dt.date | None
    last: dt.date | None
    median: dt.date | None


def key_fact(cluster: Cluster, vocabulary: Vocabulary) -> KeyFact:
    mentions = cluster.mentions
    kind = cluster.kind
    values = _values(mentions)
    ordered = sorted(
        values, key=lambda v: (-len(v.sources), -len(v.mentions), v.first or dt.date.max)
    )
    label = label_for(mentions, vocabulary)
    fact_values = tuple(_fact_value(value, kind) for value in ordered)
    sources = {m.source for m in mentions}
    status: FactStatus
    within_rounding = False
    history: tuple[ValueReport, ...] = ()
    if len(ordered) == 1:
        status = "agreed" if len(sources) > 1 else "single"
        note = _hedge_note({m.fact.figure.hedge for m in mentions})
    elif _one_amount_per_currency(ordered):
        # "€100m (£86m)": one amount given in two currencies is not a disagreement
        status = "agreed" if len(sources) > 1 else "single"
        currencies = ", ".join(dict.fromkeys(v.mentions[0].fact.figure.unit for v in ordered))
        note = " ".join(
            part
            for part in (
                f"Stated in {currencies}: amounts in other currencies are not compared.",
                _hedge_note({m.fact.figure.hedge for m in mentions}),
            )
            if part
        )
    else:
        revised = _revision_order(values)
        status = "revised" if revised is not None else "differs"
        figures = [v.mentions[0].fact.figure for v in ordered[:_NOTE_VALUES]]
        within_rounding = kind is not FigureKind.DATE and _all_within_rounding(figures)
        chronological = revised or sorted(values, key=lambda v: v.first or dt.date.max)
        shown = {id(value): text for value, text in zip(ordered, fact_values, strict=True)}
        history = tuple(_report(value, shown[id(value)]) for value in chronological)
        parts = []
        if status == "revised":
            parts.append(_revision_note(history))
        parts.append(_difference_note(figures, kind))
        parts.extend(
            _hedge_note({m.fact.figure.hedge for m in value.mentions}, text.text)
            for value, text in zip(ordered[:_NOTE_VALUES], fact_values, strict=False)
        )
        if len(sources) == 1:
            parts.append("All from one source.")
        note = " ".join(part for part in parts if part)
    return KeyFact(
        id=slug(f"{kind.value}-{label}"),
        label=label,
        kind=kind,
        status=status,
        values=fact_values,
        note=note,
        why=tuple(dict.fromkeys(cluster.reasons)),
        history=history,
        within_rounding=within_rounding,
    )


def _one_amount_per_currency(values: Sequence[_Value]) -> bool:
    if values[0].mentions[0].kind is not FigureKind.MONEY:
        return False
    currencies = [v.mentions[0].fact.figure.unit for v in values]
    return len(set(currencies)) == len(currencies)


def rank_key(fact: KeyFact) -> tuple[object, ...]:
    """Facts that more sources state come first, and of those the ones sources
    disagree on or revised; single-source trivia last."""
    sources = len(fact.sources)
    mentions = sum(len(v.articles) for v in fact.values)
    generic = fact.label.split(" (")[0] in ("Count", "Percentage", "Share", "Change", "Event")
    return (-sources, generic, _STATUS_ORDER[fact.status], -mentions, _KIND_ORDER[fact.kind],
            fact.label)  # fmt: skip


_STATUS_ORDER = {"revised": 0, "differs": 0, "agreed": 1, "single": 2}


_KIND_ORDER = {
    FigureKind.MONEY: 0,
    FigureKind.COUNT: 1,
    FigureKind.SIZE: 2,
    FigureKind.PERCENT: 3,
    FigureKind.DATE: 4,
}


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:80]


# ----------------------------------------------------------------------------- values


def _values(mentions: Sequence[Mention]) -> list[_Value]:
    """The fact's values, one per amount; money one per amount and currency ($100m,
    €100m and £100m are three amounts, never one)."""
    by_value: dict[float | str, list[Mention]] = {}
    by_currency: dict[tuple[float | str, str], list[Mention]] = {}
    for mention in mentions:
        if mention.kind is FigureKind.MONEY:
            key = (mention.value_key, mention.fact.figure.unit)
            by_currency.setdefault(key, []).append(mention)
        else:
            by_value.setdefault(mention.value_key, []).append(mention)
    _fold_months(by_value)
    groups = [*by_value.values(), *by_currency.values()]
    values = []
    for group in groups:
        days = sorted(m.day for m in group if m.day is not None)
        sources = list(dict.fromkeys(m.source for m in sorted(group, key=_earliest)))
        values.append(
            _Value(
                group,
                sources,
                days[0] if days else None,
                days[-1] if days else None,
                days[len(days) // 2] if days else None,
            )
        )
    return values


def _earliest(mention: Mention) -> tuple[dt.date, int]:
    return (mention.day or dt.date.max, mention.fact.sentence_start)


def _fold_months(by_value: dict[float | str, list[Mention]]) -> None:
    """'December 2025' from one source and 'Dec. 29, 2025' from others agree: a month
    joins the one day of it that the fact states."""
    months = [v for v in by_value if isinstance(v, str) and len(v) == 7]
    for month in months:
        days = [v for v in by_value if isinstance(v, str) and len(v) == 10 and v.startswith(month)]
        if len(days) == 1:
            by_value[days[0]].extend(by_value.pop(month))


def _fact_value(value: _Value, kind: FigureKind) -> FactValue:
    group = value.mentions
    quoted: dict[str, Mention] = {}
    for mention in sorted(group, key=_earliest):
        best = quoted.get(mention.article)
        # A body sentence over the headline (which starts at offset 0).
        if best is None or (best.fact.sentence_start == 0 and mention.fact.sentence_start > 0):
            quoted[mention.article] = mention
    votes: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    for mention in group:
        pair = (mention.article, mention.fact.figure.text)
        if pair not in seen:
            seen.add(pair)
            # a weekday says the date less plainly than the date: it wins no tie
            votes[_plain(mention.fact.figure.text)] += 1 if is_weekday(mention.fact.figure) else 2
    text = votes.most_common(1)[0][0]
    figure = next(m.fact.figure for m in group if _plain(m.fact.figure.text) == text)
    hedges = {m.fact.figure.hedge for m in group}
    shown = _display_text(figure) if len(hedges) == 1 else _plain(figure.text)
    if kind is FigureKind.DATE:
        shown = _with_year(shown, figure)
    elif kind is FigureKind.COUNT and figure.unit and not any(c.isalpha() for c in shown):
        shown = f"{shown} {figure.unit}"  # "the Congress 99": its noun was said once
    if kind is FigureKind.COUNT:
        unit = Counter(m.fact.figure.unit for m in group).most_common(1)[0][0]
    else:
        unit = figure.unit
    return FactValue(
        text=shown,
        value=figure.value
        if not (kind is FigureKind.DATE and len(str(figure.value)) == 7)
        else max((m.value for m in group), key=lambda v: len(str(v))),
        unit=unit,
        sources=tuple(value.sources),
        articles=tuple(quoted),
        quotes=tuple(m.fact.sentence for m in quoted.values()),
        spans=tuple(
            (m.article, m.fact.sentence_start, m.fact.sentence_end) for m in quoted.values()
        ),
    )


def _report(value: _Value, shown: FactValue) -> ValueReport:
    """``value`` in the history, as ``shown`` (its ``_fact_value``)."""
    return ValueReport(
        text=shown.text,
        value=shown.value,
        first=value.first.isoformat() if value.first else "",
        last=value.last.isoformat() if value.last else "",
        sources=shown.sources,
    )


# ----------------------------------------------------------------------------- revision


def _revision_order(values: Sequence[_Value]) -> list[_Value] | None:
    """The values oldest first when later reports replaced earlier ones, else None.

    Revised: ordered by their middle report, each value's reports all come on or
    after the day the one before it was last reported (a lagging outlet may repeat
    the old value on the day the new one appears), the span is at least a day, and
    each newer value is adopted (two sources), stated by a source that gave an older
    one (it updated itself), or marked new by its words ("rose to", "now").
    The text can also say so outright: one value written as the old one ("up from",
    "initially") and another in the same fact.
    """
    dated = [v for v in values if v.median is not None]
    cued_old = [v for v in values if any(m.cue == "old" for m in v.mentions)]
    if len(dated) == len(values):
        chronological = sorted(dated, key=lambda v: (v.median, v.first))
        steps_ok = True
        earlier_sources: set[str] = set()
        for previous, current in itertools.pairwise(chronological):
            assert previous.last is not None and current.first is not None
            assert previous.median is not None and current.median is not None
            if not (current.median > previous.median and current.first >= previous.median):
                steps_ok = False
                break
            if previous.last > current.first + dt.timedelta(days=1):
                steps_ok = False
                break
            earlier_sources.update(previous.sources)
            updated_itself = bool(earlier_sources & set(current.sources))
            adopted = (
                len(current.sources) >= 2
                or updated_itself
                or any(m.cue == "new" for m in current.mentions)
            )
            # An early figure one outlet gave and nobody repeated is an error the
            # others did not share, not a value they replaced.
            replaced = (
                len(previous.sources) >= 2
                or updated_itself
                or any(m.cue == "old" for m in previous.mentions)
            )
            if not (adopted and replaced):
                steps_ok = False
                break
        if steps_ok:
            return chronological
    if cued_old and len(cued_old) < len(values):
        rest = [v for v in values if v not in cued_old]
        if len(rest) == 1:
            return [*sorted(cued_old, key=lambda v: v.first or dt.date.min), rest[0]]
    return None


def _revision_note(history: Sequence[ValueReport]) -> str:
    steps = []
    for report in history:
        when = f" (reported {_day_range(report.first, report.last)})" if report.first else ""
        steps.append(f"{report.text}{when}")
    return "Revised: " + ", then ".join(steps) + "."


def _day_range(first: str, last: str) -> str:
    if not last or first == last:
        return first
    return f"{first} to {last}"


# ----------------------------------------------------------------------------- rounding


_SCALED_NUMBER = re.compile(
    r"\d(?:[\d,]*\d)?(?:\.\d+)?[\s-]*(?:k|m|mn|mln|bn|b|t|tn|trn|thousand|million|billion|trillion)\b",
    re.IGNORECASE,
)


def precision(figure: Figure) -> float:
    """The rounding step of a figure as written. A whole number written out in full
    ('$150,000', '1,200 people') is exact unless hedged ('about 150,000'); digits
    before a scale word or after a decimal point set the step ('$13 trillion' -> 1e12,
    '$12.9 trillion' -> 1e11)."""
    step = written_precision(figure)
    if step <= 1 or figure.kind in (FigureKind.SIZE, FigureKind.DATE):
        return step
    if figure.hedge in _APPROXIMATE or not any(c.isdigit() for c in figure.text):
        return step
    if _SCALED_NUMBER.search(figure.text):
        return step
    return 1.0


def within_rounding(coarse: Figure, fine: Figure) -> bool:
    """True when ``fine`` rounded at ``coarse``'s written precision equals ``coarse``."""
    if coarse.kind is FigureKind.DATE or fine.kind is FigureKind.DATE:
        return False
    if coarse.unit != fine.unit and coarse.kind is FigureKind.MONEY:
        return False
    step = precision(coarse)
    a, b = coarse.value, fine.value
    if step <= 0 or not isinstance(a, float | int) or not isinstance(b, float | int):
        return False
    if precision(fine) > step:
        return False
    if a == b:
        return True
    if abs(a - b) > _ROUNDING_SHARE * max(abs(a), abs(b)):
        return False
    rounded = math.floor(b / step + 0.5) * step
    return abs(rounded - a) <= step * 1e-6


def _all_within_rounding(figures: Sequence[Figure]) -> bool:
    for index, first in enumerate(figures):
        for second in figures[index + 1 :]:
            coarse, fine = sorted((first, second), key=precision, reverse=True)
            if not within_rounding(coarse, fine):
                return False
    return len(figures) > 1


def _difference_note(figures: Sequence[Figure], kind: FigureKind) -> str:
    if kind is FigureKind.DATE:
        return ""
    rounded: list[str] = []
    pairs = 0
    for index, first in enumerate(figures):
        for second in figures[index + 1 :]:
            pairs += 1
            coarse, fine = sorted((first, second), key=precision, reverse=True)
            if within_rounding(coarse, fine):
                rounded.append(f"{_plain(fine.text)} rounds to {_plain(coarse.text)}")
    if rounded and len(rounded) == pairs:
        return "Sources agree to within rounding: " + "; ".join(rounded) + "."
    if rounded:
        return "Some agree to within rounding: " + "; ".join(rounded) + "."
    bounded = [_bound_note(a, b) for a in figures for b in figures if a is not b]
    consistent = [n for n in bounded if n]
    if consistent:
        return "Consistent: " + "; ".join(consistent) + "."
    return ""


def _bound_note(bound: Figure, other: Figure) -> str:
    a, b = bound.value, other.value
    if not isinstance(a, float | int) or not isinstance(b, float | int):
        return ""
    if (bound.hedge in _LOWER_BOUNDS and b > a) or (bound.hedge in _UPPER_BOUNDS and b < a):
        return f"{_plain(other.text)} is within {_display_text(bound)}"
    return ""


def _hedge_note(statements: set[str], subject: str = "it") -> str:
    """Which hedges some (not all) statements carry; a shared hedge is in the value."""
    if len(statements) <= 1:
        return ""
    hedges = sorted(h for h in statements if h and h not in ("range", "between"))
    if not hedges:
        return ""
    listed = ", ".join(
        f"“{h}” ({_HEDGE_MEANINGS[h]})" if h in _HEDGE_MEANINGS else f"“{h}”" for h in hedges
    )
    return f"Some sources hedge {subject}: {listed}."


# ----------------------------------------------------------------------------- text


def _plain(text: str) -> str:
    return " ".join(text.split())


def _display_text(figure: Figure) -> str:
    text = _plain(figure.text)
    hedge = figure.hedge
    if not hedge or hedge in ("range", "between"):
        return text
    if hedge == "or more":
        return text if text.endswith(("+", "plus")) else f"{text} or more"
    if hedge == "~":
        return text if text.startswith("~") else f"~{text}"
    return f"{hedge} {text}"


def _with_year(text: str, figure: Figure) -> str:
    """'Dec. 29' -> 'Dec. 29, 2025': a date read without its year gets it shown;
    'Monday' -> 'Monday, February 6, 2023'."""
    if not isinstance(figure.value, str) or _YEAR_IN_TEXT.search(text):
        return text
    if is_weekday(figure) and text == figure.text and len(figure.value) == 10:
        day = dt.date.fromisoformat(figure.value)
        return f"{text}, {day:%B} {day.day}, {day.year}"
    year = figure.value[:4]
    if text[-1:].isdigit() or text.endswith(("st", "nd", "rd", "th")):
        return f"{text}, {year}"
    return f"{text} {year}"
