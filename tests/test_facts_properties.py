"""No text makes the facts engine raise or hang, and no set of facts makes the merge
lose, repeat or mislabel anything (property-based, with hypothesis)."""

from __future__ import annotations

import datetime as dt
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefing.core.facts import Fact, facts_from_text, merge_facts
from briefing.core.facts.frames import Frame
from briefing.core.models import Figure, FigureKind

_PIECES = st.sampled_from(
    [
        "$13 trillion", "86 million", "six", "a dozen", "2,946", "Dec. 29", "94.6%", "300TB",
        " killed ", " were ", " the ", " of ", " per ", " a week", " worldwide", " in Texas",
        " revenue ", " rose to ", " up from ", " a year earlier", " voted to ", " seats ",
        "Delta", "'s", ", ", ". ", ": ", "(", ")", "—", "\n", " and ", " analysts expected ",
        " nine ", " toll ", " $150,000 ", " for each ", " at least ", " between ", " to ",
    ]
)  # fmt: skip
_TEXT = st.one_of(
    st.text(max_size=400),
    st.lists(_PIECES, max_size=60).map("".join),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_no_text_makes_extraction_raise_or_hang(text: str) -> None:
    started = time.perf_counter()
    facts = facts_from_text(text, article_id="a", source="S", published_day=dt.date(2026, 1, 20))
    assert time.perf_counter() - started < 2.0
    for fact in facts:
        assert text[fact.figure.start : fact.figure.end] == fact.figure.text
        assert fact.sentence_start <= fact.figure.start < fact.figure.end <= fact.sentence_end


_WORDS = st.sampled_from(["", "device", "revenue", "seat", "death", "file", "work", "toll"])
_EVENTS = st.sampled_from(["", "kill", "injure", "seek", "award", "pay", "crash", "file"])
_QUALS = st.sampled_from(["", "work", "week", "world", "insured", "prior", "share", "q3"])


@st.composite
def _facts(draw: st.DrawFn) -> list[Fact]:
    count = draw(st.integers(min_value=0, max_value=40))
    out = []
    for index in range(count):
        kind = draw(st.sampled_from([FigureKind.MONEY, FigureKind.COUNT, FigureKind.PERCENT]))
        value = float(draw(st.sampled_from([6, 7, 12, 94.6, 96, 150_000, 151_000, 8.5e6, 1e9])))
        frame = Frame(
            head=draw(_WORDS),
            phrase=draw(_WORDS),
            event=draw(_EVENTS),
            owner=draw(st.sampled_from(["", "delta", "labour"])),
            per=draw(_QUALS),
            scope=draw(_QUALS),
            period=draw(st.sampled_from(["", "prior"])),
            cue=draw(st.sampled_from(["", "new", "old"])),
        )
        day = dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 9)))
        figure = Figure(kind, f"{value:g}", 0, 3, value, "", draw(st.sampled_from(["", "about"])))
        source = draw(st.sampled_from(["A", "B", "C", "D"]))
        out.append(Fact(figure, frame, "s", 0, 10, f"{source}{index % 5}", source, day.isoformat()))
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_facts())
def test_no_facts_make_the_merge_raise_lose_or_repeat(facts: list[Fact]) -> None:
    key_facts = merge_facts(facts)
    ids = [k.id for k in key_facts]
    labels = [k.label.lower() for k in key_facts]
    assert len(ids) == len(set(ids)) and len(labels) == len(set(labels))
    from collections import Counter

    stated = Counter((a, v.value) for k in key_facts for v in k.values for a in v.articles)
    given_values = Counter((f.article_id, f.figure.value) for f in facts)
    for pair, times in stated.items():
        assert times <= given_values[pair]  # nothing invented, nothing placed twice
    for fact in key_facts:
        assert fact.status in ("agreed", "differs", "revised", "single")
        assert (fact.status == "single") == (len(fact.sources) == 1 and len(fact.values) == 1)
        assert len({v.value for v in fact.values}) == len(fact.values)
