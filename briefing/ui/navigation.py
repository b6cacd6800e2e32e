"""Where the reader's movement keys go: plain functions over plain lists.

The main screen asks these and then moves; each is tested in milliseconds
(tests/test_ui_logic.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from briefing.core.topic import fold


def unread_row(read: Sequence[bool], start: int, step: int, *, include_start: bool) -> int | None:
    """The next row (``step`` 1) or previous row (-1) that is unread, from ``start``.

    ``include_start``: the row at ``start`` counts too: it is on show but was
    only previewed by moving the cursor onto it, and a previewed article is not
    a read one.
    """
    row = start if include_start else start + step
    if row < 0 and step > 0:
        row = 0
    while 0 <= row < len(read):
        if not read[row]:
            return row
        row += step
    return None


def unread_row_around(
    read: Sequence[bool], start: int, step: int, *, include_start: bool
) -> tuple[int, bool] | None:
    """As ``unread_row``, then on from the list's other end: (row, wrapped).

    For a list that n and p do not leave (All sources, or one narrowed to a fact, an
    event or a search), as newsboat's next-unread goes round its article list."""
    row = unread_row(read, start, step, include_start=include_start)
    if row is not None:
        return row, False
    end = 0 if step > 0 else len(read) - 1
    row = unread_row(read, end, step, include_start=True)
    return None if row is None else (row, True)


@dataclass(frozen=True, slots=True)
class UnreadSource:
    """Where n (or p) goes on to after the last unread article of a source."""

    key: str
    wrapped: bool
    """Found past the end of the list (the start, for p), from its other end."""


def source_with_unread(
    order: Sequence[str], current: str, unread: Mapping[str, int], step: int
) -> UnreadSource | None:
    """The next (or previous) source after ``current`` that has unread articles.

    As newsboat's goto-next-feed: the sources after it, then round from the other end
    of the list, and last ``current`` itself (its unread articles before the one on
    show)."""
    if current not in order:
        return None
    start = order.index(current)
    for offset in range(1, len(order) + 1):
        index = start + offset * step
        key = order[index % len(order)]
        if unread.get(key, 0) > 0:
            return UnreadSource(key, wrapped=not 0 <= index < len(order))
    return None


def step_source(order: Sequence[str], current: str, step: int) -> str | None:
    """The source next to ``current`` in the list; None at either end."""
    if current not in order:
        return order[0] if order else None
    index = order.index(current) + step
    return order[index] if 0 <= index < len(order) else None


class BackStep(StrEnum):
    """What q (and esc) does: one level back, newsboat's way."""

    CLOSE_SEARCH = "close-search"
    LEAVE_SCOPE = "leave-scope"
    """The article list is narrowed to a fact, an event or a search: all of the source again."""
    TO_LIST = "to-list"
    """From the article or the facts (one pane at a time): back to the article list."""
    TO_SOURCES = "to-sources"
    """From the article list: up to the list of sources."""
    QUIT = "quit"
    NOTHING = "nothing"


def back_step(
    *,
    narrow: bool,
    active_pane: str,
    focused: str | None,
    searching: bool,
    narrowed: bool,
    quitting: bool,
) -> BackStep:
    """One level back from where the user is. ``quitting``: q, which quits from the top;
    esc never quits."""
    if narrow and active_pane != "sources-pane":
        return BackStep.TO_LIST  # first: back to the search's (or the fact's) articles
    if searching:
        return BackStep.CLOSE_SEARCH
    if narrowed:
        return BackStep.LEAVE_SCOPE
    if narrow and focused == "article-list":
        return BackStep.TO_SOURCES
    return BackStep.QUIT if quitting else BackStep.NOTHING


def match_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Where the words of a search query occur in ``text``, as (start, end) offsets.

    Matched the way the search matches (``topic.fold``: any case, accents and
    apostrophes folded), so what the search found is what gets highlighted.
    """
    terms = [term for term in fold(query).split() if term]
    if not terms or not text:
        return []
    folded_chars: list[str] = []
    origin: list[int] = []
    for position, char in enumerate(text):
        piece = _fold_char(char)
        folded_chars.append(piece)
        origin.extend([position] * len(piece))
    folded = "".join(folded_chars)
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = folded.find(term)
        while start >= 0:
            end = start + len(term)
            spans.append((origin[start], origin[end - 1] + 1))
            start = folded.find(term, end)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _fold_char(char: str) -> str:
    if char.isascii():
        return fold(char)
    return fold(unicodedata.normalize("NFC", char))
