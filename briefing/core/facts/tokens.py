"""A sentence as tokens, with each figure one token, and what each word can be.

The frame reader walks these tokens left and right of a figure. Words know their
lower-case form, their lemmas and whether they may be a noun, a verb or a name; the
lexicon answers once per word and process (``briefing.core.lexicon``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from briefing.core import lexicon
from briefing.core.models import Figure

from .vocabulary import Vocabulary

__all__ = ["Token", "proper_words", "tokenize"]

_LETTER_RANGES = ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x24F),
                  (0x370, 0x3FF), (0x400, 0x4FF), (0x1E00, 0x1EFF))  # fmt: skip
"""Letters of the Latin, Greek and Cyrillic scripts: "Véliz", "Erdoğan" and "Müller"
are one word each (ranges, not a Unicode class, which made the scan twice as slow)."""
_LETTERS = "".join(f"{chr(low)}-{chr(high)}" for low, high in _LETTER_RANGES)
_LETTER_CHARS = [chr(c) for low, high in _LETTER_RANGES for c in range(low, high + 1)]
_UPPER = re.escape("".join(c for c in _LETTER_CHARS if c.isupper()))
_LOWER = re.escape("".join(c for c in _LETTER_CHARS if c.islower()))
"""The capitals and small letters among them, read from Unicode ("Š" and "ł" too,
which alternate with their other case in Latin Extended-A)."""
_WORD = re.compile(
    rf"(?P<word>[{_LETTERS}](?:[{_LETTERS}\-]*[{_LETTERS}])?(?:\.[{_LETTERS}])*\.?)"
    r"(?P<poss>['’]s\b|['’](?=\s))?"
    r"|(?P<number>\d[\d,.]*\d|\d)"
    rf"|(?P<punct>[^\s{_LETTERS}\d])"
)
_HARD_BOUNDARIES = frozenset(';:()[]—–"“”')
_CLAUSE_MARKS = frozenset(',;:()[]—–"“”')
MONTHS_AND_DAYS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)


_TEXT_FACTS: dict[str, tuple[str, bool, bool, bool, bool]] = {}
"""What a token's text alone says: (lower-case form, capitalised, a word, a hard
boundary, a clause mark), remembered per text (a token is made ~200 times an article)."""
_TEXT_FACTS_LIMIT = 100_000


def _text_facts(text: str) -> tuple[str, bool, bool, bool, bool]:
    low = text.lower()
    if "." in low and low[:1].isalpha():
        # "U.S." -> "us", "Inc." -> "inc"; a lone trailing period is not the word's
        low = low.replace(".", "")
    known = (
        low,
        text[:1].isupper(),
        low[:1].isalpha(),
        text in _HARD_BOUNDARIES,
        text in _CLAUSE_MARKS,
    )
    if len(_TEXT_FACTS) >= _TEXT_FACTS_LIMIT:
        _TEXT_FACTS.clear()
    _TEXT_FACTS[text] = known
    return known


class Token:
    """One word, number, mark or figure of a sentence."""

    __slots__ = (
        "cap",
        "end",
        "fig",
        "first",
        "is_clause_mark",
        "is_figure",
        "is_hard_boundary",
        "is_word",
        "low",
        "possessive",
        "start",
        "text",
    )

    def __init__(self, text: str, start: int, end: int, fig: int = -1, first: bool = False) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.fig = fig
        """Index of the figure this token stands for, or -1."""
        known = _TEXT_FACTS.get(text)
        if known is None:
            known = _text_facts(text)
        self.low, self.cap, is_word, is_hard_boundary, is_clause_mark = known
        self.first = first
        """First word of its sentence (a capital there says nothing)."""
        self.possessive = False
        """Followed by 's: "Delta's"."""
        if fig >= 0:
            self.is_figure = True
            self.is_word = self.is_hard_boundary = self.is_clause_mark = False
        else:
            self.is_figure = False
            self.is_word = is_word
            self.is_hard_boundary = is_hard_boundary
            self.is_clause_mark = is_clause_mark

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Token({self.text!r}{', fig' if self.fig >= 0 else ''})"


def tokenize(text: str, start: int, end: int, figures: Sequence[Figure]) -> list[Token]:
    """Tokens of ``text[start:end]``; every figure (they are in order) is one token."""
    tokens: list[Token] = []
    cursor = start
    for index, figure in enumerate(figures):
        if figure.start < cursor:
            continue  # overlapping figures: the first one stands
        _words_between(text, cursor, figure.start, tokens)
        tokens.append(Token(text[figure.start : figure.end], figure.start, figure.end, index))
        cursor = figure.end
    _words_between(text, cursor, end, tokens)
    first = next((t for t in tokens if t.is_word or t.is_figure), None)
    if first is not None:
        first.first = True
    if ":" in text[start:end]:
        for index, token in enumerate(tokens[:-1]):
            if token.text == ":":
                tokens[index + 1].first = True  # "pgdn: Filed December 22": a new start
    return tokens


def _words_between(text: str, start: int, end: int, tokens: list[Token]) -> None:
    if start >= end:
        return
    append = tokens.append
    for match in _WORD.finditer(text, start, end):
        word, possessive = match.group(1, 2)  # the groups "word" and "poss"
        if word is not None:
            word_start, word_end = match.span(1)
            if word[-1] == "." and word.count(".") == 1:
                word, word_end = word[:-1], word_end - 1  # the sentence's period, not the word's
            token = Token(word, word_start, word_end)
            if possessive:
                token.possessive = True
            append(token)
            continue
        append(Token(match.group(), *match.span()))


_CAPITALISED_INSIDE = re.compile(rf"(?<=[{_LOWER},;] )([{_UPPER}][{_LETTERS}\-]+)")
_LOWER_WORD = re.compile(rf"(?<![{_LETTERS}])([{_LOWER}][{_LOWER}\-]+)")


def proper_words(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(names, plain words) of an article: lower-case forms of the words written with
    a capital inside a sentence ("Delta", "Windows"), and of those written in lower
    case somewhere. A capital at a sentence's start says a word is a name only when
    the article never writes it in lower case ("Metadata for..." is not a name)."""
    names = frozenset(map(str.lower, _CAPITALISED_INSIDE.findall(text)))
    plain = frozenset(_LOWER_WORD.findall(text))
    return names, plain


class _WordMemo:
    """Answers about a word (by its lower-case form) that depend only on the
    vocabulary and the lexicon, so every article of a process shares them."""

    __slots__ = ("event", "noun", "only_verb", "quantity", "reporting", "verb")

    def __init__(self) -> None:
        self.noun: dict[str, bool] = {}
        self.verb: dict[str, bool] = {}
        self.only_verb: dict[str, bool] = {}
        self.reporting: dict[str, bool] = {}
        self.event: dict[str, str] = {}
        self.quantity: dict[str, str] = {}


_MEMO_LIMIT = 100_000
"""Words remembered before a memo starts afresh (a reader open for weeks)."""
_MEMOS: dict[int, tuple[Vocabulary, _WordMemo]] = {}
"""By id of the vocabulary, which the entry keeps alive (so its id is not reused)."""


def _memo_for(vocabulary: Vocabulary) -> _WordMemo:
    entry = _MEMOS.get(id(vocabulary))
    if entry is None or entry[0] is not vocabulary or len(entry[1].noun) > _MEMO_LIMIT:
        if len(_MEMOS) >= 8:
            _MEMOS.clear()
        entry = _MEMOS[id(vocabulary)] = (vocabulary, _WordMemo())
    return entry[1]


class Words:
    """What the words of one article can be, by vocabulary and lexicon."""

    __slots__ = ("_function", "_memo", "names", "plain", "vocabulary")

    def __init__(
        self, vocabulary: Vocabulary, words: tuple[frozenset[str], frozenset[str]]
    ) -> None:
        self.vocabulary = vocabulary
        self._memo = _memo_for(vocabulary)
        self.names, self.plain = words
        grammar = vocabulary.grammar
        self._function = (
            grammar["determiners"]
            | grammar["prepositions"]
            | grammar["auxiliaries"]
            | grammar["conjunctions"]
            | grammar["pronouns"]
        )

    def is_function(self, token: Token) -> bool:
        return token.low in self._function

    def is_name(self, token: Token) -> bool:
        """A proper name: 'Delta', 'Windows', 'UAW' (not 'Revenue' starting a sentence)."""
        if not token.is_word or not token.cap or token.low in MONTHS_AND_DAYS:
            return False
        if token.low in self._function:
            return False
        if not token.first:
            return True
        if token.low in self.names:
            return True
        return token.low not in self.plain and not lexicon.parts_of_speech(token.low)

    def sentence_lemmas(self, tokens: Sequence[Token]) -> list[str]:
        """One lemma per token: function words as written (lower case), figures as
        '#', marks as themselves."""
        function = self._function
        lemma = lexicon.lemma
        return [
            "#"
            if token.is_figure
            else (token.low if token.low in function else lemma(token.low))
            if token.is_word
            else token.text
            for token in tokens
        ]

    def can_be_noun(self, token: Token) -> bool:
        if not token.is_word:
            return False
        low = token.low
        known = self._memo.noun.get(low)
        if known is None:
            parts = lexicon.parts_of_speech(low)
            known = self._memo.noun[low] = low not in self._function and (
                not parts or lexicon.NOUN in parts
            )
        return known

    def can_be_verb(self, token: Token) -> bool:
        if not token.is_word:
            return False
        low = token.low
        known = self._memo.verb.get(low)
        if known is None:
            known = self._memo.verb[low] = (
                low not in self._function and lexicon.VERB in lexicon.parts_of_speech(low)
            )
        return known

    def only_verb(self, token: Token) -> bool:
        """A verb form that is no noun or adjective: 'lost', 'cancelled', 'died'."""
        if not token.is_word:
            return False
        low = token.low
        known = self._memo.only_verb.get(low)
        if known is None:
            parts = lexicon.parts_of_speech(low)
            known = self._memo.only_verb[low] = (
                low not in self._function and lexicon.VERB in parts and lexicon.NOUN not in parts
            )
        return known

    def verb_lemma(self, token: Token) -> str:
        return lexicon.lemma(token.low, lexicon.VERB)

    def noun_lemma(self, token: Token) -> str:
        return lexicon.lemma(token.low, lexicon.NOUN)

    def lemma(self, token: Token) -> str:
        return lexicon.lemma(token.low)

    def event_lemma(self, token: Token) -> str:
        """The lemma under which a word names an event ('affected' -> 'affect',
        'deaths' -> 'death'), or its verb lemma, or ''."""
        if not token.is_word:
            return ""
        low = token.low
        known = self._memo.event.get(low)
        if known is None:
            known = self._memo.event[low] = self._event_lemma(low)
        return known

    def _event_lemma(self, low: str) -> str:
        if low in self._function:
            return ""
        classes = self.vocabulary
        if classes.event_class(low):
            return low
        for candidate in lexicon.lemmas(low):
            if classes.event_class(candidate):
                return candidate
        return ""

    def event_phrase(self, token: Token, following: Token | None) -> str:
        """A two-word event ('ask for', 'lay off', 'walk out') starting at ``token``."""
        if following is None or not token.is_word or not following.is_word:
            return ""
        classes = self.vocabulary
        for candidate in lexicon.lemmas(token.low):
            phrase = f"{candidate} {following.low}"
            if classes.event_class(phrase):
                return phrase
        return ""

    def quantity_verb(self, token: Token) -> str:
        """'level', 'rise' or 'fall' for a verb that tells how much ('rose', 'reached')."""
        if not token.is_word:
            return ""
        low = token.low
        known = self._memo.quantity.get(low)
        if known is None:
            known = self._memo.quantity[low] = self._quantity_verb(low)
        return known

    def _quantity_verb(self, low: str) -> str:
        table = self.vocabulary.quantity_verbs
        for candidate in (low, *lexicon.lemmas(low)):
            found = table.get(candidate)
            if found is not None and lexicon.VERB in lexicon.parts_of_speech(low):
                return found
        return ""

    def is_reporting(self, token: Token) -> bool:
        if not token.is_word:
            return False
        low = token.low
        known = self._memo.reporting.get(low)
        if known is None:
            reporting = self.vocabulary.reporting
            known = self._memo.reporting[low] = low in reporting or any(
                c in reporting for c in lexicon.lemmas(low)
            )
        return known
