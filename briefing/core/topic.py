"""Is an article about the topic, and how much?

Matching is whole-word and case-insensitive over text folded so that the ways
real headlines write a name all meet: curly or straight apostrophes and
quotes, dashes, accents, and the apostrophe left out (``Annas Archive``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from briefing.core.models import ParsedFeed, Topic

_APOSTROPHES = "'\u2018\u2019\u201b\u02bc\u02b9\u0060\u00b4\u2032"
_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_FOLD_TABLE = str.maketrans(
    {
        **dict.fromkeys(_APOSTROPHES, ""),
        **dict.fromkeys(_QUOTES, '"'),
        **dict.fromkeys(_DASHES, "-"),
    }
)

MATCH_VERSION = 2
"""Changes whenever matching changes, so stored matches are redone."""

TITLE_WEIGHT = 3
SUMMARY_WEIGHT = 1
BODY_WEIGHT = 1
_SCORE_SCALE = 10.0

_HIDDEN_BLOCK = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def quick_text(markup: str) -> str:
    """Text of HTML for matching only: far cheaper than a full parse on every refresh."""
    if "<" not in markup and "&" not in markup:
        return markup
    return html.unescape(_TAG.sub(" ", _HIDDEN_BLOCK.sub(" ", markup)))


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Fold text for matching: NFKD without accents, no apostrophes, one dash, casefolded.

    Whitespace is left alone: keyword patterns accept any run of it.
    """
    if text.isascii():  # the common case, and 50 times faster
        return text.replace("'", "").replace("`", "").lower()
    decomposed = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return decomposed.translate(_FOLD_TABLE).casefold()


def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    folded = sorted(
        {" ".join(fold(p).split()) for p in phrases if fold(p).strip()}, key=len, reverse=True
    )
    if not folded:
        return None
    # Whole words: the phrase may not continue a word on either side, except
    # for a possessive "s" ("Anna's Archive's lawyers" folds to "annas archives").
    # A space or a hyphen in a keyword matches either ("shadow-library").
    alternation = "|".join(re.sub(r"(?:\\ |\\-)+", r"[\\s-]+", re.escape(p)) for p in folded)
    return re.compile(rf"(?<!\w)(?:{alternation})s?(?!\w)")


@dataclass(frozen=True, slots=True)
class TopicMatch:
    on_topic: bool
    relevance: float
    """0.0 to 1.0: keyword hits, titles weighted most."""
    excluded: bool = False


def _first_words(phrases: tuple[str, ...]) -> tuple[str, ...]:
    """The folded first word of each phrase: a text holding none of them cannot match."""
    words = {re.split(r"[\s-]+", fold(p).strip())[0] for p in phrases if fold(p).strip()}
    return tuple(sorted(words))


class TopicFilter:
    def __init__(self, topic: Topic) -> None:
        self.topic = topic
        self._keywords = _phrase_pattern(topic.keywords)
        self._exclude = _phrase_pattern(topic.exclude)
        # Most texts mention no keyword at all; a substring test says so far
        # faster than the regex, which then runs only where a match can be.
        self._keyword_words = _first_words(topic.keywords)
        self._exclude_words = _first_words(topic.exclude)

    @staticmethod
    def _hits(pattern: re.Pattern[str] | None, first_words: tuple[str, ...], text: str) -> int:
        if pattern is None or not text:
            return 0
        folded = fold(text)
        if not any(word in folded for word in first_words):
            return 0
        return sum(1 for _ in pattern.finditer(folded))

    def match(self, title: str, summary_html: str, content_html: str) -> TopicMatch:
        summary = quick_text(summary_html)
        content = quick_text(content_html) if content_html != summary_html else ""
        texts = (title, summary, content)
        if self._exclude is not None and any(
            self._hits(self._exclude, self._exclude_words, t) for t in texts
        ):
            return TopicMatch(on_topic=False, relevance=0.0, excluded=True)
        keywords, words = self._keywords, self._keyword_words
        score = (
            TITLE_WEIGHT * self._hits(keywords, words, title)
            + SUMMARY_WEIGHT * self._hits(keywords, words, summary)
            + BODY_WEIGHT * self._hits(keywords, words, content)
        )
        relevance = round(min(1.0, score / _SCORE_SCALE), 2)
        return TopicMatch(on_topic=score > 0, relevance=relevance)

    def matches_text(self, text: str) -> bool:
        return self._hits(self._keywords, self._keyword_words, text) > 0


def match_feed_entries(topic: Topic, parsed: ParsedFeed) -> dict[str, TopicMatch]:
    """Topic matches of a feed's entries by entry id.

    Runs in the parse worker (``fetch_feeds(analyse=partial(match_feed_entries, topic))``),
    so the matching CPU is spent off the process that stores and draws.
    """
    topic_filter = TopicFilter(topic)
    return {
        entry.id: topic_filter.match(entry.title, entry.summary, entry.content)
        for entry in parsed.entries
    }
