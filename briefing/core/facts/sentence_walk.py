"""What the walks around a figure share: the frame they make, what they found so far,
and the words of the sentence as they see them.

Every walk reads tokens outward from a figure within its clause, through
``SentenceWalk``: where the clause holding a position starts and ends, the name or
noun phrase that ends or starts at a token, lemmas, and the modifiers that tell two
quantities apart. They all write into one ``Found``, which becomes the figure's
``Frame``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from briefing.core.models import Figure, FigureKind

from .tokens import MONTHS_AND_DAYS, Token, Words
from .vocabulary import Vocabulary

__all__ = ["HEDGE_WORDS", "Found", "Frame", "SentenceWalk", "noun_before_qualifier"]

HEDGE_WORDS = frozenset(
    [
        "about",
        "around",
        "roughly",
        "approximately",
        "nearly",
        "almost",
        "some",
        "more",
        "than",
        "less",
        "fewer",
        "at",
        "least",
        "most",
        "up",
        "to",
        "as",
        "much",
        "many",
        "over",
        "under",
        "upwards",
        "of",
        "just",
        "close",
        "well",
        "beyond",
        "below",
        "above",
        "an",
        "estimated",
        "a",
        "reported",
        "reportedly",
        "total",
        "combined",
        "another",
        "additional",
        "further",
        "staggering",
        "whopping",
        "mere",
        "only",
        "past",
    ]
)
"""Words around a figure that hedge or frame it ("about", "more than", "up to", "an
estimated"): stepped over when walking left."""


class Frame(NamedTuple):
    """What one figure measures. Every field is a plain string ('' when not said)."""

    head: str = ""
    """Lemma of the measured noun: 'device', 'revenue', 'toll'."""
    phrase: str = ""
    """The measured noun phrase as written: 'Windows devices'."""
    mods: str = ""
    """Lemmas of the phrase's other words, space-separated: 'windows'."""
    context: str = ""
    """A noun the figure's phrase hangs on: 'metadata' in "metadata for 256 million tracks"."""
    event: str = ""
    """Lemma of the event word: 'kill', 'cancel', 'settlement'."""
    event_text: str = ""
    owner: str = ""
    """Lower-case name of whose figure it is: 'delta', 'fortune 500'."""
    owner_text: str = ""
    per: str = ""
    """Per-unit lemma: 'work', 'week', 'share', 'each'."""
    scope: str = ""
    """'world', 'insured', 'us', 'place:texas'..."""
    modality: str = ""
    """'maximum', 'minimum', 'potential', 'forecast', 'actual'."""
    period: str = ""
    """'prior' (last year's) or 'future' (next year's)."""
    aspect: str = ""
    """'share', 'change' or 'rate' (mostly for percentages)."""
    basis: str = ""
    """What a change is measured against: 'year', 'quarter', 'month', 'week'."""
    when: str = ""
    """Which period the figure is of: 'q3', 'h1', 'full_year', or a year ('2025')."""
    cue: str = ""
    """'new' (rose to, now, revised) or 'old' (up from, initially)."""
    unit: str = ""
    """A container the thing is counted in: 'row' in "rows of metadata"."""
    words: str = ""
    """The words that made this frame, as written, for explanations."""
    as_of: str = ""
    """The day the figure is given as of ("As of July 25, 34 people..."): ISO, or ''."""


def noun_before_qualifier(mods: str) -> tuple[str, str]:
    """The noun a qualifier noun leaves as what is measured, and the modifiers left of
    it: the modifiers "inflation" of "forecast" give ("inflation", "")."""
    *rest, last = mods.split()
    return last, " ".join(rest)


class Found:
    """What the walks around one figure found so far."""

    __slots__ = (
        "aspect",
        "basis",
        "context",
        "cue",
        "event",
        "event_at",
        "event_text",
        "head",
        "head_at",
        "modality",
        "mods",
        "owner",
        "owner_text",
        "participle_head",
        "per",
        "period",
        "phrase",
        "quantity",
        "scope",
        "unit",
        "verb_at",
        "when",
        "words",
    )

    def __init__(self) -> None:
        self.participle_head = False
        """The head is the noun before a participle ("damages sought"), which may
        have been a subject and a finite verb ("the storm caused")."""
        self.head = self.phrase = self.mods = self.context = ""
        self.event = self.event_text = self.owner = self.owner_text = ""
        self.per = self.scope = self.modality = self.period = self.aspect = ""
        self.basis = self.when = ""
        self.cue = self.unit = self.quantity = ""
        self.head_at = -1
        self.event_at = -1
        self.verb_at = -1
        """Index of the nearest verb found (an event or a quantity verb)."""
        self.words: list[str] = []

    def set_head(self, head: str, phrase: str, mods: str, at: int) -> None:
        self.head, self.phrase, self.mods, self.head_at = head, phrase, mods, at
        self.words.append(phrase)

    def frame(self) -> Frame:
        return Frame(
            head=self.head,
            phrase=self.phrase,
            mods=self.mods,
            context=self.context,
            event=self.event,
            event_text=self.event_text,
            owner=self.owner,
            owner_text=self.owner_text,
            per=self.per,
            scope=self.scope,
            modality=self.modality,
            period=self.period,
            aspect=self.aspect,
            basis=self.basis,
            when=self.when,
            cue=self.cue,
            unit=self.unit,
            words=" · ".join(dict.fromkeys(w for w in self.words if w)),
        )


_SKIP_LEFT: dict[int, tuple[Vocabulary, frozenset[str]]] = {}
"""By id of the vocabulary, which the entry keeps alive (so its id is not reused)."""


def _skip_left(vocabulary: Vocabulary) -> frozenset[str]:
    """Determiners, adverbs and hedge words: stepped over when walking left. Made once
    per vocabulary rather than once per sentence."""
    entry = _SKIP_LEFT.get(id(vocabulary))
    if entry is None or entry[0] is not vocabulary:
        if len(_SKIP_LEFT) >= 8:
            _SKIP_LEFT.clear()
        grammar = vocabulary.grammar
        words = grammar["determiners"] | grammar["adverbs"] | HEDGE_WORDS
        entry = _SKIP_LEFT[id(vocabulary)] = (vocabulary, words)
    return entry[1]


class SentenceWalk:
    """One sentence's tokens and figures, and what every walk reads them with."""

    def __init__(self, tokens: list[Token], figures: Sequence[Figure], words: Words) -> None:
        self.tokens = tokens
        self.figures = figures
        self.words = words
        self.vocabulary = words.vocabulary
        grammar = self.vocabulary.grammar
        self.skip_left = _skip_left(self.vocabulary)
        self.prepositions = grammar["prepositions"]
        self.auxiliaries = grammar["auxiliaries"]
        self.conjunctions = grammar["conjunctions"]
        self.position = {t.fig: i for i, t in enumerate(tokens) if t.fig >= 0}
        self._lemmas: list[str] | None = None
        self._lows: list[str] | None = None
        self._hints: list[bool] | None = None
        self.year: int | None = None
        self.left_stop = -1
        """The figure of the same kind the last walk left stopped at (its index), or -1."""

    # ------------------------------------------------------------------ helpers

    def lows(self) -> list[str]:
        if self._lows is None:
            self._lows = [t.low for t in self.tokens]
        return self._lows

    def lemmas(self) -> list[str]:
        """One lemma per token (figures as '#', marks as themselves)."""
        if self._lemmas is None:
            self._lemmas = self.words.sentence_lemmas(self.tokens)
        return self._lemmas

    def qualifier_hints(self) -> list[bool]:
        """Per token: a qualifier phrase may start here (its word or lemma starts one),
        or it is "in", "across" or "throughout" (a place may follow)."""
        if self._hints is None:
            starts = self.vocabulary.qualifier_starts
            self._hints = [
                low in starts or lemma in starts or low in ("in", "across", "throughout")
                for low, lemma in zip(self.lows(), self.lemmas(), strict=True)
            ]
        return self._hints

    def clause(self, position: int) -> tuple[int, int]:
        """First and last token index of the comma-free stretch holding ``position``; a
        short parenthesis on the left ("earnings per share (EPS) of $0.74") is inside."""
        tokens = self.tokens
        left = position
        while left > 0:
            before = tokens[left - 1]
            if before.text == ")" and not before.is_figure:
                opening = next(
                    (i for i in range(left - 2, max(-1, left - 7), -1) if tokens[i].text == "("),
                    -1,
                )
                if opening > 0 and not any(t.is_figure for t in tokens[opening:left]):
                    left = opening
                    continue
            if before.is_clause_mark:
                break
            left -= 1
        right = position
        while right + 1 < len(tokens) and not tokens[right + 1].is_clause_mark:
            right += 1
        return left, right

    def figure_kind(self, token: Token) -> FigureKind | None:
        return self.figures[token.fig].kind if token.fig >= 0 else None

    def name_at(self, index: int) -> tuple[str, str, int]:
        """(lower-case name, as written, index of its first token) of the name ending at
        ``index``: "Delta Air Lines", "the Fortune 500" (a number inside a name is kept)."""
        tokens = self.tokens
        first = index
        while first > 0:
            before = tokens[first - 1]
            if (
                self.words.is_name(before)
                or (before.cap and not before.first and before.low == "new")
            ) and not before.possessive:
                first -= 1  # "New York": a capitalised "New" inside a name
            elif (
                before.low in ("of", "&", "and")
                and first >= 2
                and self.words.is_name(tokens[first - 2])
            ):
                first -= 2
            else:
                break
        if first > 0 and tokens[first - 1].low == "the":
            first -= 1
        parts = tokens[first : index + 1]
        written = " ".join(t.text for t in parts)
        name = " ".join(t.low for t in parts if t.low != "the")
        return name, written, first

    def noun_phrase_ending(self, index: int) -> tuple[str, str, str, int]:
        """(head lemma, phrase as written, modifier lemmas, first index) of the noun
        phrase whose last word is ``tokens[index]``: "the death toll" -> toll/death."""
        tokens = self.tokens
        words = self.words
        head = words.noun_lemma(tokens[index])
        first = index
        while first > 0 and index - first < 3:
            before = tokens[first - 1]
            if not before.is_word or before.low in self.skip_left or words.is_function(before):
                break
            if before.possessive or (words.only_verb(before) and not before.low.endswith("ed")):
                break
            if words.is_reporting(before) and words.can_be_verb(before):
                break
            if (
                words.can_be_verb(before)
                and first >= 2
                and (tokens[first - 2].low in self.auxiliaries or tokens[first - 2].low == "to")
            ):
                break  # "would have increased wages": a verb, not a modifier
            if (
                before.low.endswith("ed")
                and first >= 2
                and words.can_be_verb(before)
                and (
                    self.is_subject_noun(tokens[first - 2])
                    or (
                        first >= 3
                        and tokens[first - 3].low in ("the", "a", "an", "this", "that")
                        and words.can_be_noun(tokens[first - 2])
                        and not tokens[first - 2].low.endswith("ed")
                    )
                )
            ):
                # "analysts expected earnings", "Nvidia reported revenue", "the bank
                # lowered rates" (a noun after "the" is a subject, though "bank" can
                # be a verb)
                break
            first -= 1
        phrase = " ".join(t.text for t in tokens[first : index + 1])
        return head, phrase, self.modifier_lemmas(tokens[first:index]), first

    def is_subject_noun(self, token: Token) -> bool:
        """A name or a noun that cannot be a verb, as the subject of a verb in -ed
        after it ("analysts expected", "the company reported")."""
        words = self.words
        if not token.is_word or token.possessive or words.is_function(token):
            return False
        if token.low in self.skip_left:
            return False
        return words.is_name(token) or (words.can_be_noun(token) and not words.can_be_verb(token))

    def qualifier_phrase_at(self, index: int) -> bool:
        """A qualifier phrase starts here ("year over year", "a year earlier")."""
        lows = self.lows()
        vocabulary = self.vocabulary
        return any(
            table.match(lows, index) is not None
            for table in (vocabulary.basis, vocabulary.period, vocabulary.when, vocabulary.scope)
        )

    def modifier_lemmas(self, tokens: Sequence[Token]) -> str:
        """The modifiers of a noun that may tell two quantities apart ('data-center' in
        "data-center revenue"): not names, not qualifier words, not weak adjectives."""
        vocabulary = self.vocabulary
        kept = []
        for token in tokens:
            if not token.is_word or self.words.is_name(token):
                continue
            if token.low in vocabulary.weak_modifiers:
                continue  # "the latest death toll": which report, not which quantity
            lemma = self.words.lemma(token)
            if vocabulary.is_qualifier_word(token.low) or vocabulary.is_qualifier_word(lemma):
                continue
            kept.append(lemma)
        return " ".join(kept)

    def noun_phrase_starting(self, index: int, limit: int) -> tuple[str, str, str, int] | None:
        """The noun phrase that starts at ``tokens[index]`` (after a figure or "of"):
        (head lemma, as written, modifier lemmas, last index)."""
        tokens = self.tokens
        words = self.words
        cursor = index
        while cursor <= limit and tokens[cursor].low in ("the", "a", "an", "its", "their", "all"):
            cursor += 1
        first = cursor
        last = -1
        while cursor <= limit and cursor - first < 4:
            token = tokens[cursor]
            if not token.is_word or words.is_function(token) or token.low in MONTHS_AND_DAYS:
                break
            if self.vocabulary.is_qualifier_word(token.low) and cursor == first:
                return None
            if cursor > first and words.only_verb(token) and not token.low.endswith("ing"):
                break
            if token.possessive:
                break
            last = cursor
            cursor += 1
            if not words.can_be_noun(token) and cursor <= limit and not tokens[cursor].is_word:
                break
        if last < 0:
            return None
        # The head is the last word that can be a noun ("listening" after "all" is one).
        while last > first and not words.can_be_noun(tokens[last]):
            last -= 1
        if not words.can_be_noun(tokens[last]) and not tokens[last].low.endswith("ing"):
            return None
        head = words.noun_lemma(tokens[last])
        phrase = " ".join(t.text for t in tokens[first : last + 1])
        return head, phrase, self.modifier_lemmas(tokens[first:last]), last
