"""How the panes share the terminal: one, two or three columns, and their sizes.

- below 100 columns, one pane at a time (1 2 3 or tab switch);
- from 100, two columns: Sources (the feeds and the article list) on the left,
  and on the right the Key facts above the Article;
- from 150, three columns side by side.

The user's own sizes (``+`` and ``-`` on the focused pane, or a drag of the
line between two panes with the mouse) are kept in the preferences and clamped so every pane keeps a readable minimum. Plain
functions, tested in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ONE_PANE_BELOW = 100
THREE_PANES_FROM = 150

MIN_SOURCES = 30
MIN_FACTS_WIDTH = 32
MIN_ARTICLE = 44
MIN_FACTS_HEIGHT = 7
MIN_ARTICLE_HEIGHT = 8
WIDTH_STEP = 4
HEIGHT_STEP = 2


class LayoutMode(StrEnum):
    ONE = "one"
    TWO = "two"
    THREE = "three"


def layout_mode(width: int) -> LayoutMode:
    if width < ONE_PANE_BELOW:
        return LayoutMode.ONE
    if width < THREE_PANES_FROM:
        return LayoutMode.TWO
    return LayoutMode.THREE


@dataclass(frozen=True, slots=True)
class PaneSizes:
    sources_width: int | None = None
    """None: the layout's own (one pane at a time fills the screen)."""
    facts_width: int | None = None
    """Three columns only."""
    facts_height: int | None = None
    """Two columns only: the Key facts' rows above the Article."""


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, max(low, high)))


def pane_sizes(
    width: int, height: int, *, sources: int | None = None, facts: int | None = None
) -> PaneSizes:
    """The panes' sizes for a ``width`` x ``height`` pane area; ``sources`` and ``facts``
    are the user's own (columns; rows for the facts in two columns), or None."""
    mode = layout_mode(width)
    if mode is LayoutMode.ONE:
        return PaneSizes()
    if mode is LayoutMode.TWO:
        left = _clamp(sources or round(width * 0.44), MIN_SOURCES, width - MIN_ARTICLE)
        rows = _clamp(facts or round(height * 0.5), MIN_FACTS_HEIGHT, height - MIN_ARTICLE_HEIGHT)
        return PaneSizes(sources_width=left, facts_height=rows)
    left = _clamp(
        sources or round(width * 0.31), MIN_SOURCES, width - MIN_FACTS_WIDTH - MIN_ARTICLE
    )
    middle = _clamp(facts or round(width * 0.29), MIN_FACTS_WIDTH, width - left - MIN_ARTICLE)
    return PaneSizes(sources_width=left, facts_width=middle)


def resize(
    width: int, height: int, pane: str, step: int, current: PaneSizes
) -> tuple[int | None, int | None] | None:
    """The user's new (sources, facts) sizes after ``+`` (step 1) or ``-`` (-1) on
    ``pane``; None when nothing can change (one pane at a time)."""
    mode = layout_mode(width)
    if mode is LayoutMode.ONE:
        return None
    sources, facts = (
        current.sources_width,
        (current.facts_width if mode is LayoutMode.THREE else current.facts_height),
    )
    facts_step = WIDTH_STEP if mode is LayoutMode.THREE else HEIGHT_STEP
    if pane == "sources-pane" and sources is not None:
        sources += step * WIDTH_STEP
    elif pane == "facts-pane" and facts is not None:
        facts += step * facts_step
    elif pane == "article-pane" and facts is not None:
        facts -= step * facts_step  # the article grows as the facts give room
    else:
        return None
    sized = pane_sizes(width, height, sources=sources, facts=facts)
    if mode is LayoutMode.THREE:
        return sized.sources_width, sized.facts_width
    return sized.sources_width, sized.facts_height


class Edge(StrEnum):
    """A line between two panes that the mouse can drag."""

    SOURCES = "sources"
    """The Sources pane's right edge."""
    FACTS = "facts"
    """The Key facts pane's right edge (three columns) or bottom edge (two)."""


def drag(
    width: int, height: int, edge: Edge, x: int, y: int, current: PaneSizes
) -> tuple[int | None, int | None] | None:
    """The user's new (sources, facts) sizes with ``edge`` dragged to the cell
    ``x``, ``y`` of the pane area (which starts at the Sources pane's left edge,
    and for ``y`` at the Key facts pane's top); None when nothing can change."""
    mode = layout_mode(width)
    if mode is LayoutMode.ONE or current.sources_width is None:
        return None
    sources = current.sources_width
    facts = current.facts_width if mode is LayoutMode.THREE else current.facts_height
    if edge is Edge.SOURCES:
        sources = x + 1  # the edge is the pane's last column
    elif mode is LayoutMode.THREE:
        facts = x - sources + 1
    else:
        facts = y + 1
    sized = pane_sizes(width, height, sources=sources, facts=facts)
    if mode is LayoutMode.THREE:
        return sized.sources_width, sized.facts_width
    return sized.sources_width, sized.facts_height
