"""Sentences of a flattened article: where the one holding a figure starts and ends.

Titles and paragraphs end at newlines; otherwise a sentence ends at . ! or ? (and any
closing quotes) before whitespace, except after an abbreviation ("Jan.", "U.S.") or
before a lower-case word. The work is local to the figure, never the whole text.
"""

from __future__ import annotations

import re

__all__ = ["sentence_around"]


def _words(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ABBREVIATIONS = _words(
    """
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    mr mrs ms dr prof st no nos inc corp co ltd llc plc vs v u.s u.k e.g i.e approx gov sen rep
    jr sr etc al fig gen lt col sgt capt est dept univ ave
    """
)
_CLOSERS = "\"'”’)]"
_SENTENCE_MARK = re.compile(r"[.!?\n]")


def _boundary_at(text: str, index: int) -> tuple[int, int] | None:
    """If ``text[index]`` ends a sentence: (end of that sentence, start of the next).

    Titles and paragraphs end at newlines; otherwise . ! or ? (and closing quotes) then
    whitespace, except after an abbreviation ("Jan.", "U.S.") or before a lowercase word.
    """
    length = len(text)
    if text[index] == "\n":
        end = index
    else:
        end = index + 1
        while end < length and (text[end] in _CLOSERS or text[end] in ".!?"):
            end += 1
        if end < length and not text[end].isspace():
            return None  # "12.9", "example.org"
        if text[index] == ".":
            before = text[max(0, index - 12) : index].rsplit(None, 1)
            word = before[-1].lstrip(_CLOSERS + "(“‘[") if before else ""
            if word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper()):
                return None
            next_start = end
            while next_start < length and text[next_start].isspace():
                next_start += 1
            if text[next_start : next_start + 1].islower():
                return None
            return end, next_start
    next_start = end
    while next_start < length and text[next_start].isspace():
        next_start += 1
    return end, next_start


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence holding ``text[start:end]``, whitespace trimmed. Local work only."""
    sentence_start = 0
    limit = start
    while limit > 0:
        index = max(
            text.rfind(".", 0, limit),
            text.rfind("!", 0, limit),
            text.rfind("?", 0, limit),
            text.rfind("\n", 0, limit),
        )
        if index < 0:
            break
        boundary = _boundary_at(text, index)
        if boundary is not None and boundary[1] <= start:
            sentence_start = boundary[1]
            break
        limit = index
    sentence_end = len(text)
    for mark in _SENTENCE_MARK.finditer(text, end):
        boundary = _boundary_at(text, mark.start())
        if boundary is not None:
            sentence_end = boundary[0]
            break
    while sentence_start < start and text[sentence_start].isspace():
        sentence_start += 1
    if text.startswith("- ", sentence_start) and sentence_start + 2 <= start:
        sentence_start += 2  # the marker html_to_text puts before a list item
    while sentence_end > end and text[sentence_end - 1].isspace():
        sentence_end -= 1
    return sentence_start, sentence_end
