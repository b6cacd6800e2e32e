"""A briefing as JSON (a public contract), as Markdown, and as a plain-text table.

Everything shown comes from feeds and is untrusted: Markdown output escapes it and
only links http(s) URLs; the plain-text table strips control characters. Nothing
here produces Rich or Textual markup.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from typing import Any

from .facts import timeline_disputes
from .models import Article, Briefing, FactValue, KeyFact
from .textclean import clean_line, is_web_url

__all__ = ["briefing_to_json", "briefing_to_markdown", "render_facts_table"]


# --------------------------------------------------------------------------- JSON


def briefing_to_json(briefing: Briefing) -> dict[str, Any]:
    """The ``briefing facts --json`` document: the names of the public contract.

    Additions to the first contract, whose keys all stay: ``note`` explains a
    difference, such as two values that agree to within rounding ("" when there
    is nothing to say); ``status`` may be ``revised`` (later reports replaced an
    earlier value); ``within_rounding`` is true when the values differ only as far
    as their written precision allows; ``why`` says which words and values made
    the figures one fact; ``history`` gives each value with the days of its first
    and last report, oldest first (for every fact with more than one value). A
    timeline event's ``disputed`` is true when sources give the same event other
    dates (each date is then its own event), and ``fact`` names its key fact.
    """
    disputes = timeline_disputes(briefing.timeline)
    return {
        "topic": briefing.topic,
        "generated": briefing.generated,
        "facts": [
            {
                "id": fact.id,
                "label": fact.label,
                "kind": fact.kind.value,
                "status": fact.status,
                "note": fact.note,
                "values": [_value_json(value) for value in fact.values],
                "within_rounding": fact.within_rounding,
                "why": list(fact.why),
                "history": [
                    {
                        "text": report.text,
                        "value": _json_number(report.value),
                        "first": report.first,
                        "last": report.last,
                        "sources": list(report.sources),
                    }
                    for report in fact.history
                ],
            }
            for fact in briefing.facts
        ],
        "timeline": [
            {
                "date": event.date,
                "label": event.label,
                "sources": list(event.sources),
                "articles": list(event.articles),
                "disputed": event.label in disputes,
                "fact": event.fact,
            }
            for event in briefing.timeline
        ],
    }


def _value_json(value: FactValue) -> dict[str, Any]:
    return {
        "text": value.text,
        "value": _json_number(value.value),
        "unit": value.unit,
        "sources": list(value.sources),
        "articles": list(value.articles),
        "quotes": list(value.quotes),
    }


def _json_number(value: float | str) -> float | int | str:
    """13000000000000, not 1.3e13: whole numbers are written as integers."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


# --------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$])")


def _md(text: str) -> str:
    """Untrusted text as inert inline Markdown on one line.

    ``$`` is escaped too: GitHub reads text between two dollar signs as maths.
    """
    return _MD_SPECIAL.sub(r"\\\1", clean_line(text))


def _md_url(url: str) -> str:
    return (
        url.strip()
        .replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace("<", "%3C")
        .replace(">", "%3E")
    )


def _sources_md(sources: Sequence[str]) -> str:
    return ", ".join(_md(s) for s in sources) or "no source"


def _dispute_words(dates: Sequence[str]) -> str:
    return f"disputed: {len(dates)} dates given"


def _quote_source(value: FactValue, index: int, source_of: dict[str, str]) -> str:
    """The source of the ``index``-th quote of ``value`` ('' when it cannot be told)."""
    if len(value.spans) == len(value.quotes):
        article = value.spans[index][0]
    elif len(value.articles) == len(value.quotes):
        article = value.articles[index]
    else:
        article = ""
    source = source_of.get(article, "")
    if not source and len(value.sources) == 1:
        source = value.sources[0]
    return source


_STATUS_WORDS = {
    "agreed": "agreed",
    "differs": "sources differ",
    "revised": "revised",
    "single": "one source",
}


def briefing_to_markdown(briefing: Briefing, articles: Sequence[Article]) -> str:
    """A Markdown briefing: facts with sources, where sources differ, timeline, articles.

    Lists rather than tables so that it reads well both rendered and raw in a terminal.
    Only on-topic articles are listed, as only they feed the facts.
    """
    listed = [a for a in articles if a.on_topic]
    sources = sorted({a.source for a in listed})
    lines: list[str] = [f"# Briefing: {_md(briefing.topic)}", ""]
    lines.append(
        f"Generated {_md(briefing.generated)} from {len(listed)} "
        f"article{'s' if len(listed) != 1 else ''} by {len(sources)} "
        f"source{'s' if len(sources) != 1 else ''}."
    )
    lines.append("")

    lines += ["## Key facts", ""]
    if not briefing.facts:
        lines += ["No figures were found in the articles yet.", ""]
    for fact in briefing.facts:
        values = "; ".join(
            f"{_md(v.text)} ({_sources_md(v.sources)})" if len(fact.values) > 1 else _md(v.text)
            for v in fact.values
        )
        status = _STATUS_WORDS[fact.status]
        line = f"- **{_md(fact.label)}**: {values} — *{status}*"
        if len(fact.values) == 1:
            line += f", {_sources_md(fact.values[0].sources)}"
        lines.append(line)
    lines.append("")

    differing = [f for f in briefing.facts if f.status in ("differs", "revised")]
    source_of = {a.id: a.source for a in articles}
    lines += ["## Where sources differ, and what was revised", ""]
    if not differing:
        lines += ["The sources agree on every figure they share.", ""]
    for fact in differing:
        lines += [f"### {_md(fact.label)}" + (" (revised)" if fact.status == "revised" else ""), ""]
        if fact.status == "revised":
            for report in fact.history:
                when = _md(report.first) if report.first == report.last else (
                    f"{_md(report.first)} to {_md(report.last)}"
                )  # fmt: skip
                lines.append(f"- {when}: **{_md(report.text)}** ({_sources_md(report.sources)})")
            lines.append("")
        for value in fact.values:
            lines.append(f"- **{_md(value.text)}**: {_sources_md(value.sources)}")
            # Each quote its own item, with who wrote it: consecutive "> " lines would
            # render as one block, running different articles' sentences together.
            for index, quote in enumerate(value.quotes[:3]):
                source = _quote_source(value, index, source_of)
                by = f" — {_md(source)}" if source else ""
                lines.append(f"  - “{_md(quote)}”{by}")
        if fact.note:
            lines += ["", f"*{_md(fact.note)}*"]
        lines.append("")

    lines += ["## Timeline", ""]
    if not briefing.timeline:
        lines += ["No dated events yet.", ""]
    disputes = timeline_disputes(briefing.timeline)
    for event in briefing.timeline:
        disputed = disputes.get(event.label)
        mark = f" — *{_dispute_words(disputed)}*" if disputed else ""
        lines.append(
            f"- **{_md(event.date)}**: {_md(event.label)}{mark} ({_sources_md(event.sources)})"
        )
    lines.append("")

    lines += ["## Articles", ""]
    if not listed:
        lines += ["No on-topic articles.", ""]
    for article in sorted(listed, key=lambda a: a.sort_time, reverse=True):
        title = _md(article.title) or "(untitled)"
        when = _md(article.sort_time[:10])
        if is_web_url(article.link):
            lines.append(f"- [{title}]({_md_url(article.link)}) — {_md(article.source)}, {when}")
        else:
            lines.append(f"- {title} — {_md(article.source)}, {when}")
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- text table

_STATUS_CELLS = {
    "agreed": "agreed",
    "differs": "DIFFERS",
    "revised": "REVISED",
    "single": "single",
}


def render_facts_table(briefing: Briefing, width: int = 100) -> str:
    """The key facts as a plain-text table no wider than ``width``, then the timeline."""
    width = max(40, width)
    lines = _wrap(
        f"Key facts: {clean_line(briefing.topic)} (generated {clean_line(briefing.generated)})",
        width,
    )
    lines.append("")
    if not briefing.facts:
        lines.append("No key facts yet: refresh, or check that articles match the topic.")
        return "\n".join(lines) + "\n"

    longest = max(len(clean_line(f.label)) for f in briefing.facts)
    status_width = 7
    gaps = 3 * 2
    label_width = max(8, min(28, longest, (width - status_width - gaps) // 3))
    rest = width - label_width - status_width - gaps
    value_width = max(8, rest * 9 // 20)
    sources_width = max(len("Sources"), rest - value_width)
    columns = (label_width, value_width, status_width, sources_width)

    lines.append(_row(("Fact", "Value", "Status", "Sources"), columns))
    lines.append(_row(tuple("-" * w for w in columns), columns))
    for fact in briefing.facts:
        lines.extend(_fact_rows(fact, columns))
    if briefing.timeline:
        lines.append("")
        lines.append("Timeline")
        disputes = timeline_disputes(briefing.timeline)
        for event in briefing.timeline:
            disputed = disputes.get(event.label)
            mark = f" [DISPUTED: {len(disputed)} dates given]" if disputed else ""
            text = (
                f"{clean_line(event.date):<10}  {clean_line(event.label)}{mark}"
                f" ({', '.join(clean_line(s) for s in event.sources)})"
            )
            lines.extend(_wrap(text, width, indent=" " * 12))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _fact_rows(fact: KeyFact, columns: tuple[int, int, int, int]) -> list[str]:
    rows: list[str] = []
    for index, value in enumerate(fact.values):
        cells = (
            clean_line(fact.label) if index == 0 else "",
            clean_line(value.text),
            _STATUS_CELLS[fact.status] if index == 0 else "",
            ", ".join(clean_line(s) for s in value.sources),
        )
        rows.extend(_wrapped_row(cells, columns))
    if fact.note:
        indent = " " * (columns[0] + 2)
        note_width = sum(columns) + 6 - len(indent)
        for part in textwrap.wrap(
            clean_line(fact.note), note_width, break_long_words=True, break_on_hyphens=False
        ):
            rows.append(indent + part)
    return rows


def _wrapped_row(cells: tuple[str, ...], columns: tuple[int, ...]) -> list[str]:
    wrapped = [
        textwrap.wrap(cell, width, break_long_words=True, break_on_hyphens=False) or [""]
        for cell, width in zip(cells, columns, strict=True)
    ]
    height = max(len(w) for w in wrapped)
    return [
        _row(tuple(w[i] if i < len(w) else "" for w in wrapped), columns) for i in range(height)
    ]


def _row(cells: tuple[str, ...], columns: tuple[int, ...]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, columns, strict=True))


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text, width, subsequent_indent=indent, break_long_words=True, break_on_hyphens=False
    ) or [""]
