"""One article's facts: every figure with its frame and the sentence that states it."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from briefing.core.figures import find_figures
from briefing.core.models import Article, Figure
from briefing.core.textclean import article_plain_text

from .frames import Frame, read_frames
from .sentences import sentence_around
from .tokens import Words, proper_words
from .vocabulary import builtin_vocabulary

__all__ = ["Fact", "extract_facts", "facts_from_text", "parse_day"]


class Fact(NamedTuple):
    """One figure in one article, with what it measures and the sentence it is in.

    A named tuple rather than a frozen dataclass: a briefing decodes tens of
    thousands of these from the cache, and a tuple is built far faster.
    """

    figure: Figure
    frame: Frame
    sentence: str
    sentence_start: int
    """The sentence's span in ``article_plain_text(title, body_html)``."""
    sentence_end: int
    article_id: str
    source: str
    published: str | None


def extract_facts(article: Article) -> list[Fact]:
    """Facts of one article, on ``article_plain_text(article.title, article.body_html)``."""
    text = article_plain_text(article.title, article.body_html)
    published = parse_day(article.published) or parse_day(article.first_seen)
    return facts_from_text(
        text,
        article_id=article.id,
        source=article.source,
        published=article.published or article.first_seen,
        published_day=published,
        link=article.link,
    )


def facts_from_text(
    text: str,
    *,
    article_id: str,
    source: str,
    published: str | None = None,
    published_day: dt.date | None = None,
    link: str = "",
) -> list[Fact]:
    """Facts of an already-flattened text (``extract_facts`` without the HTML step).
    ``link``: the article's address, to tell a title made from it."""
    published_day = published_day or parse_day(published)
    figures = find_figures(text, published_day)
    if not figures:
        return []
    by_sentence: dict[tuple[int, int], list[Figure]] = {}
    current = (-1, -1)
    for figure in figures:
        if figure.start >= current[1]:
            current = sentence_around(text, figure.start, figure.end)
        elif figure.end > current[1]:
            # A figure running past the end found so far extends the sentence.
            grown = (current[0], sentence_around(text, figure.start, figure.end)[1])
            by_sentence[grown] = by_sentence.pop(current)
            current = grown
        by_sentence.setdefault(current, []).append(figure)
    words = Words(builtin_vocabulary(), proper_words(text))
    facts: list[Fact] = []
    slug_title = _slug_title(text, link)
    for (start, end), in_sentence in by_sentence.items():
        if start < slug_title:
            continue
        quote = text[start:end]
        year = published_day.year if published_day else None
        frames = read_frames(text, start, end, in_sentence, words, year)
        for figure, frame in zip(in_sentence, frames, strict=True):
            if frame is None:
                continue
            facts.append(Fact(figure, frame, quote, start, end, article_id, source, published))
    return facts


def _slug_title(text: str, link: str = "") -> int:
    """The end of a title that is an address's words ("alex jones ordered to pay 473m"):
    a headline a feed made from a URL, whose numbers are ids and words run together
    ("6 5 billion" for $6.5 billion). It is all lower case, or its words are the
    address's own ("Openai raises 66 billion" from .../openai-raises-66-billion-...).
    Its figures are not read. 0 when the title is a real one."""
    end = text.find("\n")
    title = text[: end if end >= 0 else len(text)]
    if len(title) <= 12 or not any(c.isalpha() for c in title):
        return 0
    if title == title.lower():
        return len(title)
    words = title.lower().split()
    if link and len(words) >= 3 and "-".join(words) in link.lower():
        return len(title)
    return 0


def parse_day(stamp: str | None) -> dt.date | None:
    if not stamp:
        return None
    try:
        return dt.date.fromisoformat(stamp[:10])
    except ValueError:
        return None
