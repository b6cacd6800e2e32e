"""What a figure measures, read from the words around it: its frame.

A frame holds, for one figure in one sentence:

* the thing counted or measured (``head``: the lemma of the noun; ``phrase``: as
  written): "Windows devices", "flights", "rows of metadata", "revenue";
* the event (``event``: a lemma): cancelled, crashed, cost, settled, filed, killed;
* who it belongs to (``owner``): Delta, the Fortune 500, Labour;
* the qualifiers that make two figures different quantities: per unit ("per work",
  "a week"), scope ("worldwide", "insured", "in Texas"), modality ("maximum",
  "potential", "forecast"), another time ("a year earlier"), and for percentages
  whether they are a share, a change or a rate;
* a revision cue: the figure is a new value ("rose to", "now") or an old one ("up
  from", "initially").

It is read from general English (a lexicon of word forms and the word classes in
``vocabulary/general.toml``), never from one story's words, by walking the tokens
left and right of the figure within its clause. Every part keeps the words it came
from, so the UI can say which words made two figures one fact.

The walks are split by what they read. ``sentence_walk`` holds the frame, what the
walks around a figure found so far, and the words of a sentence as every walk sees
them (its clauses, names and noun phrases); ``left_of_figure`` reads the words left
of the figure: its verb, the noun it is "of", whose it is; ``qualifiers`` reads what
makes two figures of one noun different quantities. This module puts the walks in
order and reads the rest: the words right of the figure, what it takes from the
figures beside it, and a date's event.
"""

from __future__ import annotations

from collections.abc import Sequence

from briefing.core.figures import GAP_CONTRASTS, GAP_COORDINATORS
from briefing.core.models import Figure, FigureKind

from .left_of_figure import LeftOfFigureWalk
from .qualifiers import QualifierWalk
from .sentence_walk import HEDGE_WORDS, Found, Frame, noun_before_qualifier
from .tokens import Token, Words, tokenize

__all__ = ["Frame", "read_frames"]

_CONTRAST_LINKS = frozenset(
    {"vs", "versus", "against", "compared", "from", "to", "than", "and", "or", "but", "while"}
)
"""Words between two figures that set the second against the first."""
_RANGE_NOUNS = frozenset({"range", "band"})
"""Nouns that hold a figure without saying what it measures: "a range of 4.75% to 5%"."""
_EXPECTING_VERBS = frozenset({"expect", "project", "forecast", "see", "predict", "anticipate"})
"""Verbs whose object is expected "to" move: "projects growth to pick up to 0.9%"."""
_OWNER_CONTRASTS = frozenset({"compared", "from", "than", "against", "versus", "vs"})
"""Words that set a figure against an earlier one of the same owner."""
_GAP_COORDINATORS = frozenset((*GAP_COORDINATORS, *GAP_CONTRASTS, ","))
"""Words after which a bare count stands beside the count before it (the figure
finder's own list, and the comma that may stand for them)."""


def _has_letter(text: str) -> bool:
    return any(c.isalpha() for c in text)


def read_frames(
    text: str,
    start: int,
    end: int,
    figures: Sequence[Figure],
    words: Words,
    year: int | None = None,
) -> list[Frame | None]:
    """The frame of each figure of one sentence (``figures`` in text order); None for
    a figure that says nothing a fact can be made of (a date with no event).
    ``year``: the article's year (a figure of an earlier year is of another time)."""
    tokens = tokenize(text, start, end, figures)
    reader = _SentenceReader(tokens, figures, words)
    reader.year = year
    frames: list[Frame | None] = []
    for index in range(len(figures)):
        position = reader.position.get(index)
        frames.append(None if position is None else reader.frame(index, position, frames))
    if "respectively" in text[start:end]:
        frames = _respectively(reader, figures, frames)
    as_of = reader.as_of_day()
    if as_of:
        frames = [
            frame._replace(as_of=as_of)
            if frame is not None and figure.kind is not FigureKind.DATE
            else frame
            for frame, figure in zip(frames, figures, strict=True)
        ]
    return frames


def _respectively(
    reader: _SentenceReader, figures: Sequence[Figure], frames: list[Frame | None]
) -> list[Frame | None]:
    """ "Robbie Parker and Erica Lafferty were awarded $120 million and $76 million,
    respectively": the n-th figure of a list before "respectively" is the n-th of the
    names (whose it is) or noun phrases (what it measures) listed earlier."""
    tokens = reader.tokens
    said_at = next((i for i, t in enumerate(tokens) if t.low == "respectively"), -1)
    if said_at < 0:
        return frames
    cursor = said_at - 1
    run: list[int] = []
    while cursor >= 0 and (tokens[cursor].is_figure or tokens[cursor].text == ","
                           or tokens[cursor].low in ("and", "or")):  # fmt: skip
        if tokens[cursor].is_figure:
            run.append(tokens[cursor].fig)
        cursor -= 1
    run.reverse()
    if len(run) < 2 or len({figures[i].kind for i in run}) != 1:
        return frames
    members = reader.listed_before(cursor, len(run))
    if members is None:
        return frames
    out = list(frames)
    for figure_index, (is_name, lemma, written, mods) in zip(run, members, strict=True):
        frame = out[figure_index]
        if frame is None:
            continue
        if is_name:
            out[figure_index] = frame._replace(owner=lemma, owner_text=written)
        else:
            out[figure_index] = frame._replace(head=lemma, phrase=written, mods=mods)
    return out


class _SentenceReader(LeftOfFigureWalk, QualifierWalk):
    """Reads the frame of each figure of one sentence."""

    def listed_before(self, limit: int, count: int) -> list[tuple[bool, str, str, str]] | None:
        """The ``count`` names or noun phrases listed "A, B and C" before token
        ``limit`` (the nearest such list), as (is a name, lemma, as written, modifiers);
        None when there is no list of that length."""
        tokens = self.tokens
        for joint in range(limit, 0, -1):
            if tokens[joint].low != "and" or joint + 1 > limit:
                continue
            members: list[tuple[bool, str, str, str]] = []
            last = self.member_end(joint + 1, limit)
            if last < 0:
                continue
            members.append(self.member(joint + 1, last))
            end = joint - 1
            while len(members) < count and end >= 0:
                if tokens[end].text == ",":
                    end -= 1  # the serial comma: "A, B, and C"
                end = self.before_parenthesis(end)
                first = self.member_start(end)
                if first < 0:
                    break
                members.append(self.member(first, end))
                if len(members) < count:
                    if first - 1 >= 0 and tokens[first - 1].low in ("the", "a", "an"):
                        first -= 1
                    if first - 1 < 0 or tokens[first - 1].text != ",":
                        break
                    end = first - 2
            if len(members) == count and all(m[1] for m in members):
                members.reverse()
                if len({m[0] for m in members}) == 1:
                    return members  # all names (whose) or all nouns (what)
            return None
        return None

    def member_end(self, first: int, limit: int) -> int:
        """The last token of a list member that starts at ``first``: a name, or a
        noun phrase of at most four words."""
        tokens = self.tokens
        cursor = first
        if tokens[cursor].low == "the":
            cursor += 1
        start = cursor
        last = -1
        while cursor <= limit and cursor - start < 4:
            token = tokens[cursor]
            if not token.is_word or self.words.is_function(token) or token.possessive:
                break
            if (
                cursor > start
                and self.words.can_be_verb(token)
                and not token.low.endswith("ing")
                and not self.words.is_name(token)
            ):
                break  # "revenue and profit rose": the verb ends the list ("Party" does not)
            last = cursor
            cursor += 1
        return last

    def before_parenthesis(self, end: int) -> int:
        """ "Janata Dal (United) and ...", "Telugu Desam Party (TDP) and ...": a short
        parenthesis ending at ``end`` belongs to the member before it; where that ends."""
        tokens = self.tokens
        if end < 2 or tokens[end].text != ")":
            return end
        opening = next(
            (i for i in range(end - 1, max(-1, end - 5), -1) if tokens[i].text == "("), -1
        )
        if opening > 0 and not any(t.is_figure for t in tokens[opening:end]):
            return opening - 1
        return end

    def member_start(self, end: int) -> int:
        """The first token of a list member that ends at ``end``, or -1."""
        tokens = self.tokens
        if end < 0 or not tokens[end].is_word or self.words.is_function(tokens[end]):
            return -1
        first = end
        while first - 1 >= 0 and end - first < 4:
            before = tokens[first - 1]
            if not before.is_word or self.words.is_function(before) or before.possessive:
                break
            if self.words.only_verb(before) and not before.low.endswith("ing"):
                break  # "the marginal lending facility": "lending" modifies
            first -= 1
        return first

    def member(self, first: int, last: int) -> tuple[bool, str, str, str]:
        tokens = self.tokens
        if tokens[first].low == "the" and first < last:
            first += 1
        if self.words.is_name(tokens[last]):
            parts = tokens[first : last + 1]
            written = " ".join(t.text for t in parts)
            return True, " ".join(t.low for t in parts), written, ""
        if not self.words.can_be_noun(tokens[last]):
            return False, "", "", ""
        head = self.words.noun_lemma(tokens[last])
        written = " ".join(t.text for t in tokens[first : last + 1])
        return False, head, written, self.modifier_lemmas(tokens[first:last])

    def frame(self, index: int, position: int, earlier: Sequence[Frame | None]) -> Frame | None:
        figure = self.figures[index]
        found = Found()
        clause_start, clause_end = self.clause(position)
        clause_start = self.completed_clause_start(clause_start, position)
        if figure.kind is FigureKind.COUNT:
            self.counted_noun(figure, found, position)
        self.walk_left(figure, found, position, clause_start)
        if figure.kind is not FigureKind.DATE and not found.cue:
            self.moved_to(found, position, clause_start)
        if figure.kind is not FigureKind.DATE:
            self.walk_right(figure, found, position, clause_end)
        if not found.head and clause_start > 0 and self.tokens[clause_start - 1].text == ":":
            self.label_before_colon(
                found, clause_start - 1, events_only=figure.kind is FigureKind.DATE
            )
        if (
            not found.modality
            and not found.event
            and 0 <= self.left_stop < len(earlier)
            and (previous := earlier[self.left_stop]) is not None
            and previous.modality in ("forecast", "consensus")
            and not _CONTRAST_LINKS.intersection(
                self.lows()[self.position[self.left_stop] + 1 : position]
            )
        ):
            # "analysts expect EPS of $0.74 on revenue of $32.87 billion": the figures
            # one verb of expecting governs are all expected
            found.modality = previous.modality
        if found.head in _RANGE_NOUNS and not found.mods:
            found.head = found.phrase = ""  # "to a range of 4.75% to 5%": of what, before
        if figure.kind is not FigureKind.DATE and self.earlier_estimate(found):
            # "2.2% in 2025, up from a previous estimate of 2.0%": the old estimate of
            # what the figure before measures, not a quantity called "estimate"
            found.modality = found.modality or str(self.vocabulary.modality.get(found.head) or "")
            found.cue = found.cue or "old"
            found.head = found.phrase = ""
        if not found.head and found.event and figure.kind is not FigureKind.DATE:
            self.expected_to_move(found)
        if not found.head and figure.kind is not FigureKind.DATE:
            self.inherit(index, position, found, earlier)
        if figure.kind is FigureKind.COUNT and figure.unit and not _has_letter(figure.text):
            self.gapped(index, position, found, earlier)
        if found.head and not found.owner:
            self.owner_across_contrast(index, position, found, earlier)
        if (
            clause_start + 1 < len(self.tokens)
            and self.tokens[clause_start].low == "of"
            and self.tokens[clause_start + 1].low in ("which", "whom")
        ):
            found.context = "part"  # "$5.4 billion, of which $1 billion is insured"
        if not found.head and figure.kind is FigureKind.PERCENT:
            self.changed_amount(index, position, found, earlier)
        if figure.kind is FigureKind.SIZE and not found.head:
            found.head = "data"
        if figure.kind is FigureKind.DATE:
            if not found.event:
                self.date_event_after(found, position)
            if not found.event:
                return None
            if not found.head:
                self.shared_subject(index, position, found, earlier)
        if figure.kind is FigureKind.PERCENT:
            self.percent_aspect(found, position, clause_end)
            self.vote_direction(found, position, clause_start, clause_end)
        self.qualifiers(figure, found, position, clause_start, clause_end)
        if figure.kind is FigureKind.COUNT and found.head:
            self.event_of_places_and_modifiers(found, position)
        if figure.kind is FigureKind.PERCENT and found.basis and not found.aspect:
            found.aspect = "change"
        if (
            found.head
            and self.vocabulary.is_qualifier_word(found.head)
            and not (figure.kind is FigureKind.COUNT and found.head_at == position)
        ):
            # (a count's own noun is what it counts, whatever else the word can be:
            # "58 goals", "12 targets")
            self.head_before_qualifier(found)
        if (
            figure.kind is FigureKind.MONEY
            and not found.head
            and found.event_text.lower() in self.vocabulary.money_plurals
        ):
            # "potential damages could have topped $1 trillion": what is measured
            found.set_head(found.event, found.event_text, "", found.event_at)
            found.event = found.event_text = ""
        return found.frame()

    def expected_to_move(self, found: Found) -> None:
        """ "the ECB projects economic growth to pick up to 0.9%", "analysts expect
        unemployment to reach 4.4%": what is expected to move is what is measured, and
        the figure a forecast."""
        tokens = self.tokens
        verb_at = found.event_at
        if verb_at < 3 or tokens[verb_at - 1].low != "to":
            return
        last = verb_at - 2
        if not tokens[last].is_word or not self.words.can_be_noun(tokens[last]):
            return
        head, phrase, mods, first = self.noun_phrase_ending(last)
        for inside in range(last - 1, first - 1, -1):
            if self.words.verb_lemma(tokens[inside]) in _EXPECTING_VERBS:
                first = inside + 1  # "projects economic growth": "projects" is the verb
                phrase = " ".join(t.text for t in tokens[first : last + 1])
                mods = self.modifier_lemmas(tokens[first:last])
                break
        while first < last and tokens[first].low in ("the", "a", "an", "its", "their"):
            first += 1
        expecting = tokens[first - 1] if first > 0 else None
        if expecting is None or self.words.verb_lemma(expecting) not in _EXPECTING_VERBS:
            return
        if self.words.is_name(tokens[last]) or self.vocabulary.is_qualifier_word(head):
            return
        found.set_head(head, phrase, mods, first)
        found.modality = found.modality or "forecast"
        found.words.append(expecting.text)

    def completed_clause_start(self, clause_start: int, position: int) -> int:
        """A clause of only "to" and the figure completes the verb before the comma:
        "raised its inflation forecast for this year, to 2.5%" reads back to "raised"."""
        tokens = self.tokens
        if (
            clause_start == position - 1
            and clause_start >= 2
            and tokens[clause_start].low in ("to", "at")
            and tokens[clause_start - 1].text == ","
            and not tokens[clause_start - 2].is_figure
        ):
            return self.clause(clause_start - 2)[0]
        return clause_start

    def head_before_qualifier(self, found: Found) -> None:
        """A noun that is a qualifier word names no quantity of its own ("94 percent
        year-over-year"); with a modifier before it, the modifier is what is measured and
        the word its qualifier: "its inflation forecast" -> inflation, a forecast;
        "the growth projection" -> growth, a forecast."""
        word = found.head
        found.head = found.phrase = ""
        if not found.mods.split():
            return
        found.head, found.mods = noun_before_qualifier(found.mods)
        found.phrase = found.head
        if not found.modality and (modality := self.vocabulary.modality.get(word)):
            found.modality = modality

    def counted_noun(self, figure: Figure, found: Found, position: int) -> None:
        """The noun a count states ('8.5 million Windows devices' -> device), from the
        figure's own unit, trimmed of verbs ("homes lost power" -> homes)."""
        unit = figure.unit
        if not unit:
            return
        words = self.words
        tokens = [t for t in tokenize(unit, 0, len(unit), ()) if t.is_word]
        if not tokens:
            return
        of_at = next((i for i, t in enumerate(tokens) if t.low == "of"), -1)
        if of_at > 0:
            container = words.noun_lemma(tokens[of_at - 1])
            rest = tokens[of_at + 1 :]
            if container in self.vocabulary.containers and rest:
                found.unit = container
                tokens = [t for t in rest if t.low not in ("the", "a", "an")] or rest
            else:
                tokens = tokens[:of_at]
        kept: list[Token] = []
        for token in tokens:
            if kept and words.only_verb(token) and not token.low.endswith("ing"):
                # "two hundred thousand homes lost power": the verb is the event
                found.event = words.event_lemma(token) or words.verb_lemma(token)
                found.event_text = token.text
                break
            kept.append(token)
        while len(kept) > 1 and not words.can_be_noun(kept[-1]):
            kept.pop()
        head_token = kept[-1]
        head = words.noun_lemma(head_token)
        mods = self.modifier_lemmas([t for t in kept[:-1] if t.low not in self.skip_left])
        found.set_head(head, " ".join(t.text for t in kept), mods, position)
        if found.unit:
            found.words.append(unit)

    def event_of_places_and_modifiers(self, found: Found, position: int) -> None:
        """ "sickened in 13 states": a count of places takes no event, since the same
        states are counted whatever happened there; "34 sick people have been
        identified": an event word among the noun's modifiers beats a verb of no
        event class."""
        vocabulary = self.vocabulary
        if found.head in vocabulary.places:
            if position > 0 and self.tokens[position - 1].low in ("in", "across", "from"):
                found.event = found.event_text = found.context = ""
            return
        if found.event and vocabulary.event_class(found.event):
            return
        for word in found.mods.split():
            if vocabulary.event_class(word, noun=True):
                found.event = found.event_text = word
                return

    def as_of_day(self) -> str:
        """ "As of July 25, 34 people...", "figures as at Sunday 9 a.m.": the full date
        a sentence gives its figures as of (ISO), or ''."""
        tokens = self.tokens
        for index, figure in enumerate(self.figures):
            position = self.position.get(index)
            if figure.kind is not FigureKind.DATE or position is None or position < 2:
                continue
            if tokens[position - 2].low == "as" and tokens[position - 1].low in ("of", "at"):
                value = str(figure.value)
                if len(value) == 10:
                    return value
        return ""

    def walk_right(self, figure: Figure, found: Found, position: int, clause_end: int) -> None:
        """A noun the amount names ("$1.5 billion settlement", "$34 billion in damage",
        "25% of the vote"), then the verb a count or a share is the subject of ("six
        workers were killed", "96% of voting workers rejected the contract")."""
        tokens = self.tokens
        words = self.words
        index = position + 1
        if index > clause_end:
            return
        kind = figure.kind
        token = tokens[index]
        if kind in (FigureKind.MONEY, FigureKind.PERCENT, FigureKind.SIZE):
            if (
                kind is FigureKind.MONEY
                and token.low == "for"
                and not found.head
                and not found.event
                and index + 1 <= clause_end
            ):
                self.paid_for(found, index + 1, clause_end)
                return
            if (
                token.low in ("of", "in")
                and index + 1 <= clause_end
                and not (kind is FigureKind.MONEY and self.invested_in(found, index))
            ):
                phrase = self.noun_phrase_starting(index + 1, clause_end)
                overrides = kind is FigureKind.PERCENT and token.low == "of"
                if phrase is not None and overrides and found.head:
                    if found.phrase[:1].isupper() and not found.owner:
                        # "Labour took 33.7% of the vote": whose share it is
                        found.owner, found.owner_text = found.head, found.phrase
                    else:
                        found.context = (
                            found.context or found.head
                        )  # "tracks represent 99.6% of streams"
                    found.head = ""
                if phrase is not None and (not found.head or found.participle_head):
                    # "the storm caused $12 billion in damage": the noun after the
                    # amount beats a subject read as the participle's noun
                    head, written, mods, last = phrase
                    if token.low == "of" and kind is FigureKind.PERCENT:
                        found.aspect = found.aspect or "share"
                    found.set_head(head, written, mods, index + 1)
                    index = last + 1
                    if kind is not FigureKind.PERCENT:
                        return
            elif (
                token.is_word
                and not words.is_function(token)
                and not words.is_name(token)
                and not self.qualifier_phrase_at(index)
            ):
                phrase = self.noun_phrase_starting(index, clause_end)
                if phrase is not None:
                    head, written, mods, last = phrase
                    # "the 40% raise", "a $1.5 billion settlement": the noun right after
                    # the figure is what it measures; a noun it is "of" on the left
                    # ("fell short of the 40% raise") only qualifies it.
                    if found.head and found.head_at < position:
                        found.context = found.context or found.head
                    found.set_head(head, written, mods, index)
                    return
        if kind not in (FigureKind.COUNT, FigureKind.PERCENT) or found.event:
            return
        self.verb_after(found, position, index, clause_end)

    def invested_in(self, found: Found, index: int) -> bool:
        """ "invested $13 billion in OpenAI", "a $13 billion stake in OpenAI": the name
        after "in" is what the money went into, not what it is nor a place."""
        tokens = self.tokens
        if tokens[index].low != "in" or index + 1 >= len(tokens):
            return False
        following = tokens[index + 1]
        if not self.words.is_name(following):
            return False
        vocabulary = self.vocabulary
        return (bool(found.event) and vocabulary.event_class(found.event) == "invested") or (
            bool(found.head) and vocabulary.event_class(found.head, noun=True) == "invested"
        )

    def paid_for(self, found: Found, index: int, clause_end: int) -> None:
        """ "about $323 million for the plaintiffs' attorney fees": what an amount no
        noun or verb of its own describes is for (not a name, not "each")."""
        tokens = self.tokens
        cursor = index
        while cursor <= clause_end and (
            tokens[cursor].low in ("the", "a", "an", "its", "their", "his", "her")
            or tokens[cursor].possessive
        ):
            cursor += 1
        if cursor > clause_end or not tokens[cursor].is_word:
            return
        if self.words.is_name(tokens[cursor]) or tokens[cursor].low in ("each", "every"):
            return
        phrase = self.noun_phrase_starting(cursor, clause_end)
        if phrase is not None:
            head, written, mods, _last = phrase
            found.set_head(head, written, mods, cursor)

    def verb_after(self, found: Found, position: int, index: int, clause_end: int) -> None:
        """The verb of a figure that is its sentence's subject, and for "voted to
        strike", "voted in favour of rejecting the contract" the vote's object."""
        tokens = self.tokens
        words = self.words
        steps = 0
        while index <= clause_end and steps < 5:
            token = tokens[index]
            if token.is_figure:
                if self.figure_kind(token) is FigureKind.COUNT and index > position + 1:
                    index += 1  # "six workers and two inspectors were killed"
                    steps += 1
                    continue
                return
            if token.is_word and words.is_name(token) and not found.owner:
                # "the 3,000 flights United cancelled": whose they are, then the verb
                last = index
                while last + 1 <= clause_end and words.is_name(tokens[last + 1]):
                    last += 1
                after = tokens[last + 1] if last + 1 <= clause_end else None
                if after is not None and after.is_word and (event := words.event_lemma(after)):
                    found.owner, found.owner_text = self.name_at(last)[:2]
                    found.event, found.event_text = event, after.text
                    found.words.extend((found.owner_text, after.text))
                return
            if token.low in ("it", "they") and index > position and not found.owner:
                # "the 303 seats it had won in 2019": the pronoun's name owns them
                after_at = index + 1
                while after_at <= clause_end and tokens[after_at].low in self.auxiliaries:
                    after_at += 1
                after = tokens[after_at] if after_at <= clause_end else None
                owner, written = self.pronoun_owner(index)
                if owner and after is not None and (event := words.event_lemma(after)):
                    found.owner, found.owner_text = owner, written
                    found.event, found.event_text = event, after.text
                    found.words.extend((token.text, after.text))
                return
            if not token.is_word or words.is_name(token):
                return  # a name is no verb
            low = token.low
            if low in ("and", "or"):
                following = tokens[index + 1] if index + 1 <= clause_end else None
                if following is None or self.figure_kind(following) is not FigureKind.COUNT:
                    return
                index += 1
                steps += 1
                continue
            if low in self.auxiliaries or low in ("reportedly", "also", "all", "now", "only"):
                index += 1
                steps += 1
                continue
            following = tokens[index + 1] if index + 1 <= clause_end else None
            phrase = words.event_phrase(token, following)
            if phrase and following is not None:
                # "200 workers were laid off", "1,200 people fell ill"
                found.event, found.event_text = phrase, f"{token.text} {following.text}"
                found.words.append(found.event_text)
                return
            event = words.event_lemma(token)
            is_verb = words.only_verb(token) or (
                words.can_be_verb(token) and low.endswith(("ed", "s")) and index > position + 1
            )
            if not event and not is_verb:
                return
            if words.is_reporting(token) or (not event and words.quantity_verb(token)):
                return
            found.event = event or words.verb_lemma(token)
            found.event_text = token.text
            found.words.append(token.text)
            if self.vocabulary.event_class(found.event) == "voted":
                self.vote_object(found, index + 1, clause_end)
            return

    def vote_direction(self, found: Found, position: int, first: int, last: int) -> None:
        """ "voted 64% against a new labor deal", "59% of members who cast ballots voted
        for the contract": a share of a vote is of what it was for or against, so a
        vote to reject and a vote to approve are never one fact."""
        vocabulary = self.vocabulary
        current = vocabulary.event_class(found.event) if found.event else ""
        if current and current != "voted":
            return
        tokens = self.tokens
        words = self.words
        vote_at = next(
            (
                i
                for i in range(first, last + 1)
                if tokens[i].is_word
                and (
                    words.verb_lemma(tokens[i]) == "vote" or tokens[i].low in ("ballot", "ballots")
                )
            ),
            -1,
        )
        if vote_at < 0:
            return
        direction = ""
        index = vote_at + 1
        steps = 0
        while index <= last and steps < 8:
            token = tokens[index]
            index += 1
            if token.is_figure or token.low in HEDGE_WORDS - {"to", "for"} or not token.is_word:
                continue
            steps += 1
            low = token.low
            if low == "against":
                direction = "reject"
                continue
            if low in ("for", "favor", "favour"):
                direction = direction or "approve"
                continue
            if low in ("in", "of", "to", "the", "a", "an", "by", "overwhelmingly", "narrowly"):
                continue
            if words.verb_lemma(token) in ("vote", "cast") or low in ("ballot", "ballots"):
                continue  # "who cast ballots voted for the contract"
            named = words.event_lemma(token)
            if named and vocabulary.event_class(named) not in ("", "voted", None):
                # "voted to strike", "voted for the strike", "voted to reject"
                found.event, found.event_text = named, token.text
                found.words.append(token.text)
                return
            break
        if found.head in ("favor", "favour"):
            found.head = found.phrase = found.mods = ""  # "voted 59% in favor of"
        if direction:
            found.event, found.event_text = direction, tokens[vote_at].text
            found.words.append(
                f"{tokens[vote_at].text} {'against' if direction == 'reject' else 'for'}"
            )

    def vote_object(self, found: Found, index: int, clause_end: int) -> None:
        """ "voted to strike", "voted in favour of rejecting the contract", "voted for
        the deal": what the vote was for tells two shares apart."""
        tokens = self.tokens
        while index <= clause_end and tokens[index].low in (
            "to",
            "in",
            "favour",
            "favor",
            "of",
            "for",
            "against",
            "overwhelmingly",
            "narrowly",
            "the",
            "a",
            "an",
        ):
            if tokens[index].low == "against":
                found.context = found.context or "against"
            index += 1
        if index > clause_end or not tokens[index].is_word:
            return
        token = tokens[index]
        object_event = self.words.event_lemma(token) or (
            self.words.verb_lemma(token) if self.words.can_be_verb(token) else ""
        )
        if object_event and object_event not in ("be", "have"):
            found.event, found.event_text = object_event, token.text
            found.words.append(token.text)
            return
        phrase = self.noun_phrase_starting(index, clause_end)
        if phrase is not None:
            found.context = found.context or phrase[0]
            found.words.append(phrase[1])

    def inherit(
        self, index: int, position: int, found: Found, earlier: Sequence[Frame | None]
    ) -> None:
        """A figure with no noun of its own takes what the figure before it (of the same
        kind, in the same sentence) measures, when only linking words stand between:
        "2.03 million vehicles in the US and 2.2 million worldwide", "$94.9 billion, up
        from $89.5 billion", "$3,000 a work, or $1.5 billion"."""
        figure = self.figures[index]
        for previous in range(index - 1, -1, -1):
            if self.figures[previous].kind is not figure.kind:
                continue
            frame = earlier[previous] if previous < len(earlier) else None
            if frame is None or not (frame.head or frame.event):
                return
            between = self.tokens[self.position[previous] + 1 : position]
            words_between = [t.low for t in between if t.low != "the"]
            old_value = bool(words_between) and (
                words_between[-1] == "from" or (found.cue == "old" and "from" in words_between)
            )
            if found.event and frame.event and found.event != frame.event:
                if not old_value:
                    return  # "rejected it by 94.2% and 96% voted to strike": two events
                # "raised it to 2.5% from the 2.3% predicted in March": the old value
                # of what was raised; its own verb only says where it came from
                found.event, found.event_text = frame.event, frame.event_text
                found.modality = frame.modality
            if not all(self.is_link(token) for token in between):
                return
            if not found.head and frame.head:
                found.set_head(frame.head, frame.phrase, frame.mods, position)
            if old_value and not found.modality:
                found.modality = frame.modality  # "up from a previous estimate of 2.0%"
            if not found.event:
                found.event, found.event_text = frame.event, frame.event_text
            found.unit = found.unit or frame.unit
            found.context = found.context or frame.context
            if not found.owner:
                found.owner, found.owner_text = frame.owner, frame.owner_text
            if (
                not found.modality
                and frame.modality
                and not _CONTRAST_LINKS.difference(("and", "or", "to")).intersection(
                    t.low for t in between
                )
            ):
                found.modality = frame.modality  # "expected to average 2.5% in 2024, 2.2% in 2025"
            if frame.cue == "old" and not found.cue and any(t.low == "to" for t in between):
                found.cue = "new"  # "from $14 billion to $157 billion"
            if not found.period and any(t.low in ("will", "shall") for t in between):
                found.period = "future"  # "is $75,608 and will rise to $119,309"
            return

    def owner_across_contrast(
        self, index: int, position: int, found: Found, earlier: Sequence[Frame | None]
    ) -> None:
        """ "The party won 100 seats, compared to 52 seats in 2019", "its revenue rose to
        $35 billion from $18 billion": a figure of the same noun set against the one
        before it is of the same owner."""
        figure = self.figures[index]
        for previous in range(index - 1, -1, -1):
            if self.figures[previous].kind is not figure.kind:
                continue
            frame = earlier[previous] if previous < len(earlier) else None
            if frame is None or not frame.owner or frame.head != found.head:
                return
            between = self.tokens[self.position[previous] + 1 : position]
            lows = {t.low for t in between}
            if not lows & _OWNER_CONTRASTS or any(self.words.is_name(t) for t in between):
                return
            found.owner, found.owner_text = frame.owner, frame.owner_text
            return

    def changed_amount(
        self, index: int, position: int, found: Found, earlier: Sequence[Frame | None]
    ) -> None:
        """ "revenue of $35.1 billion, up 94% from a year ago": a change right after an
        amount (only links between) is the change of what the amount measures."""
        tokens = self.tokens
        before = tokens[position - 1].low if position > 0 else ""
        if before not in ("up", "down", "rising", "falling", "growing", "a", "an", "or") and not (
            position > 1 and tokens[position - 2].is_figure
        ):
            return
        for previous in range(index - 1, -1, -1):
            if self.figures[previous].kind not in (FigureKind.MONEY, FigureKind.COUNT):
                continue
            frame = earlier[previous] if previous < len(earlier) else None
            if frame is None or not frame.head:
                return
            between = tokens[self.position[previous] + 1 : position]
            if len(between) > 6 or not all(self.is_link(t) for t in between):
                return
            found.set_head(frame.head, frame.phrase, frame.mods, position)
            found.owner = found.owner or frame.owner
            found.owner_text = found.owner_text or frame.owner_text
            found.when = found.when or frame.when
            found.aspect = found.aspect or "change"
            return

    def shared_subject(
        self, index: int, position: int, found: Found, earlier: Sequence[Frame | None]
    ) -> None:
        """ "The complaint was filed on Dec. 29 and unsealed on January 16": the second
        date's event is of the same subject as the first's."""
        for previous in range(index - 1, -1, -1):
            if self.figures[previous].kind is not FigureKind.DATE:
                continue
            frame = earlier[previous] if previous < len(earlier) else None
            if frame is None or not frame.head or frame.event == found.event:
                return
            between = self.tokens[self.position[previous] + 1 : position]
            verbs = [t for t in between if t.is_word and t.low not in self.prepositions
                     and t.low not in self.conjunctions and t.low not in self.auxiliaries]  # fmt: skip
            if len(verbs) <= 1 and any(t.low == "and" for t in between):
                found.set_head(frame.head, frame.phrase, frame.mods, position)
            return

    def gapped(
        self, index: int, position: int, found: Found, earlier: Sequence[Frame | None]
    ) -> None:
        """A count that said its noun only through the count before it ("the BJP winning
        240 seats and the Congress 99", "38,044 people had died in Turkey and 3,688 in
        Syria") takes that count's event; the names after the coordinating word are
        whose it is, else it is the other count's owner's."""
        figure = self.figures[index]
        previous = index - 1
        while previous >= 0 and not (
            self.figures[previous].kind is FigureKind.COUNT
            and self.figures[previous].unit == figure.unit
        ):
            previous -= 1
        frame = earlier[previous] if 0 <= previous < len(earlier) else None
        if frame is None or previous not in self.position:
            return  # "the 303 and 282 seats": the noun comes after; the head is enough
        between = self.tokens[self.position[previous] + 1 : position]
        names: list[Token] = []
        for token in reversed(between):
            if token.low in _GAP_COORDINATORS:
                break
            names.append(token)
        else:
            return
        named = [t for t in reversed(names) if t.low != "the"]
        if named and all(t.is_word and t.text[:1].isupper() for t in named):
            found.owner = " ".join(t.low for t in named)
            found.owner_text = " ".join(t.text for t in named)
        elif not named and not found.owner:
            found.owner, found.owner_text = frame.owner, frame.owner_text
        if not found.event:
            found.event, found.event_text = frame.event, frame.event_text
        if not found.period and not named:
            found.period = frame.period

    def earlier_estimate(self, found: Found) -> bool:
        """The figure's noun is a word of estimating or forecasting ("estimate", a verb
        of appraising as a noun; "forecast") with no modifier, right after "from": "up
        from a previous estimate of 2.0%"."""
        vocabulary = self.vocabulary
        if not found.head or found.mods:
            return False
        if (
            not vocabulary.modality.get(found.head)
            and found.head not in vocabulary.grammar["appraisals"]
        ):
            return False
        start = found.head_at
        return any(t.low == "from" for t in self.tokens[max(0, start - 4) : max(0, start)])

    def is_link(self, token: Token) -> bool:
        """Words that join two figures of one quantity: 'and', 'to', 'up from', ','."""
        if token.is_figure:
            return self.figure_kind(token) is not FigureKind.DATE
        index = self.tokens.index(token)
        if index > 0 and self.tokens[index - 1].low in ("per", "a", "an", "each"):
            return True  # "$150,000 per work, or $13 trillion"
        if len(token.low) == 4 and token.low.isdigit():
            return True  # "from $14 billion in 2021 to $157 billion"
        if not token.is_word:
            return token.text in (",", "-", "–", "—", "(", ")")
        low = token.low
        vocabulary = self.vocabulary
        return (
            low in self.skip_left
            or low in self.auxiliaries  # "is $75,608 and will rise to $119,309"
            or low in self.conjunctions
            or low in self.prepositions
            or low in ("compared", "versus", "vs", "against", "or", "and", "from", "while", "the")
            or low in _RANGE_NOUNS  # "cut its rate by half a point to a range of 4.75%"
            or vocabulary.scope.get(low) is not None
            or vocabulary.period.get(low) is not None
            or low in ("year", "quarter", "month", "week", "ago", "earlier", "later", "before")
            or vocabulary.modality.get(low) is not None  # "up from a previous estimate of"
            or low in vocabulary.weak_modifiers
            or bool(self.words.quantity_verb(token))
        )

    def date_event_after(self, found: Found, position: int) -> None:
        """A date before its event: "On Dec. 29, the labels filed suit", "the Jan. 20
        hearing"."""
        tokens = self.tokens
        words = self.words
        index = position + 1
        steps = 0
        crossed = False
        while index < len(tokens) and steps < 9:
            token = tokens[index]
            if token.text == ":" and index == position + 1 and self.opens_clause(position):
                index += 1  # "- Jan. 20: injunction against the site's domains"
                continue
            if token.is_hard_boundary or (
                token.is_figure and self.figure_kind(token) is FigureKind.DATE
            ):
                return
            if token.is_clause_mark:
                if crossed or steps > 2 or not self.opens_clause(position):
                    return  # "as it said in December, despite an injunction": not its event
                crossed = True
                index += 1
                continue
            if not token.is_word:
                index += 1
                continue
            steps += 1
            if words.is_reporting(token) and words.can_be_verb(token):
                return
            event = words.event_lemma(token)
            if event and not words.is_name(token):
                following = tokens[index + 1] if index + 1 < len(tokens) else None
                after = tokens[index + 2] if index + 2 < len(tokens) else None
                verb = words.event_phrase(following, after) if following is not None else ""
                if verb and self.vocabulary.event_class(event, noun=True):
                    # "lawsuit made public": the noun, and what happened to it
                    head, written, mods, _ = self.noun_phrase_ending(index)
                    found.set_head(head, written, mods, index)
                    event, token = verb, following  # type: ignore[assignment]
                found.event = event
                found.event_text = token.text if token is not None else event
                found.words.append(found.event_text)
                self.date_object(found, index)
                return
            index += 1

    def opens_clause(self, position: int) -> bool:
        """Nothing but prepositions and marks before the figure in its clause: "On Dec.
        29, the labels filed suit"."""
        start, _ = self.clause(position)
        return all(not t.is_word or t.low in self.prepositions for t in self.tokens[start:position])

    def date_object(self, found: Found, index: int) -> None:
        """The noun a dated verb acts on: "filed a lawsuit" -> lawsuit."""
        tokens = self.tokens
        if index + 1 < len(tokens):
            phrase = self.noun_phrase_starting(index + 1, min(len(tokens) - 1, index + 4))
            if phrase is not None and not found.head:
                head, written, mods, _ = phrase
                if self.vocabulary.event_class(head, noun=True):
                    found.set_head(head, written, mods, index + 1)
