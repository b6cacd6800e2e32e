"""The words left of a figure: the verb that governs it, the noun it is "of", whose
it is, and whether it is an old or a new value.

``left_items`` groups the words from the figure back to the start of its clause
(noun phrases, names, verbs, prepositions, marks), up to a figure of the same kind,
a conjunction or a verb of reporting; ``read_left`` reads the groups, nearest first.
The rest are what those two hand on to: a verb of expecting (a forecast or a
consensus), a verb that moves a figure to a new value ("raised the toll to"), the
noun a relative clause hangs on, what a verb of appraising measures ("estimated
losses ... at $5.4 billion"), a label before a colon, and whether a word is a verb
where it stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from briefing.core import lexicon
from briefing.core.figures import MULTIWORD_HEDGES
from briefing.core.models import Figure, FigureKind

from .sentence_walk import HEDGE_WORDS, Found, SentenceWalk, noun_before_qualifier
from .tokens import Token

__all__ = ["LeftOfFigureWalk"]

_MAX_LEFT = 9
"""Words looked at left of a figure for its verb and noun."""
_PERIOD_LINKS = frozenset({"from"})
_PLACE_LINKS = frozenset({"in", "at", "near", "outside", "inside", "across"})
_ADJUNCT_LINKS = frozenset(
    {"under", "with", "without", "via", "through", "despite", "after", "before", "during",
     "within", "into", "amid", "among", "against"}
)  # fmt: skip
_TIME_DETERMINERS = frozenset({"this", "next", "last", "the", "that", "each", "every"})
_TIME_NOUNS = frozenset({"year", "quarter", "month", "week", "day", "half", "season"})
_COMPARATIVES = frozenset(
    {"more", "less", "higher", "lower", "faster", "slower", "stronger", "weaker", "better",
     "worse", "bigger", "smaller", "larger", "greater", "fewer"}
)  # fmt: skip
_EXPECT_VERBS = frozenset({"expect", "forecast", "project", "estimate", "anticipate", "predict"})
_OWNER_PRONOUNS = frozenset({"it", "its", "they", "their", "he", "his", "she", "her"})
_NOUN_LINKS = frozenset({"of", "at", "for", "in", "on"})
_NEW_CUES = frozenset({"now", "revised", "updated", "latest"})
_OLD_CUES = frozenset({"initially", "originally", "earlier", "previously", "previous", "prior"})
"""Words that make a figure an old value ("initially", "previously"); not "first" or
"old", which are more often adjectives ("a first responder", "a 20-year-old")."""

_BE_FORMS = frozenset({"is", "are", "was", "were", "be", "been", "being", "'s"})


class _Item(NamedTuple):
    """A group of words left of a figure: a noun phrase, a name, a verb, a mark."""

    kind: str
    first: int
    last: int
    head: str = ""
    phrase: str = ""
    mods: str = ""
    owner: str = ""
    owner_text: str = ""
    quantity: str = ""


def _is_participle(written: str, lemma: str) -> bool:
    """'sought', 'cancelled', 'taken': a past form (not the base form, not '-ing' or '-s')."""
    return written != lemma and not written.endswith(("ing", "s"))


def lexicon_known(token: Token) -> bool:
    return bool(lexicon.parts_of_speech(token.low))


def lexicon_can(token: Token, part: str) -> bool:
    return lexicon.can_be(token.low, part)


class LeftOfFigureWalk(SentenceWalk):
    """Reads the words left of a figure into what the walks found."""

    def names_another_figure(self, first: int) -> bool:
        """The noun phrase starting at ``first`` is another figure's: "$13 trillion in
        damages", "$5 million fines"."""
        tokens = self.tokens
        if first >= 1 and tokens[first - 1].is_figure:
            return True
        return first >= 2 and tokens[first - 1].low in ("in", "of") and tokens[first - 2].is_figure

    def event_noun_of(self, item: _Item) -> str:
        """The event a noun phrase names ("picket line", "strike"), as its lemmas, or ''."""
        vocabulary = self.vocabulary
        if item.mods:
            pair = f"{item.mods.split()[-1]} {item.head}"
            if vocabulary.event_class(pair, noun=True):
                return pair
        return item.head if vocabulary.event_class(item.head, noun=True) else ""

    def verb_phrase_ending(self, index: int, clause_start: int) -> int:
        """Where an event phrase of three words that ends at ``index`` starts ("return
        to work", "go on strike"), or -1. Noun phrases ("death toll") are not verbs."""
        start = index - 2
        if start < clause_start or not self.tokens[start].is_word:
            return -1
        vocabulary = self.vocabulary
        starts = vocabulary.event_words.starts
        token = self.tokens[start]
        if token.low not in starts and self.words.lemma(token) not in starts:
            return -1
        lemmas = self.lemmas()
        hit = vocabulary.event_words.match(lemmas, start)
        if hit is None or hit[1] != 3:
            return -1
        noun = vocabulary.event_nouns.match(lemmas, start)
        return -1 if noun is not None and noun[1] == 3 else start

    def walk_left(self, figure: Figure, found: Found, position: int, clause_start: int) -> None:
        """The verb that governs the figure, the noun it is "of", and whose it is."""
        items = self.left_items(figure, position, clause_start)
        self.read_left(figure, found, position, items)

    def hedge_before(self, position: int, clause_start: int) -> int:
        """How many words right before the figure are a hedge of several words ending
        in "of" ("in excess of", "in the region of"): not a noun the figure is "of"."""
        lows = self.lows()
        for size in (4, 3, 2):
            first = position - size
            words = tuple(lows[first:position])
            if first >= clause_start and words[-1:] == ("of",) and words in MULTIWORD_HEDGES:
                return size  # only these end in a word a noun could be read through
        return 0

    def left_items(self, figure: Figure, position: int, clause_start: int) -> list[_Item]:
        """The words left of a figure, grouped: noun phrases, names, verbs, prepositions."""
        tokens = self.tokens
        words = self.words
        items: list[_Item] = []
        hedge = self.hedge_before(position, clause_start)
        if hedge and tokens[position - 1].low == "of":
            items.append(_Item("prep", position - 1, position - 1))  # "a fee in excess of"
        index = position - 1 - hedge
        seen = 0
        self.left_stop = -1
        while index >= clause_start and seen < _MAX_LEFT:
            token = tokens[index]
            if token.is_figure:
                if self.figure_kind(token) is figure.kind:
                    self.left_stop = token.fig
                    break
                items.append(_Item("fig", index, index))
                index -= 1
                continue
            if not token.is_word:
                if token.text in ("'", "’", "-", "$") or (
                    token.text == "," and index > clause_start
                ):
                    index -= 1  # a comma inside the clause: one completed past it
                    continue
                if (
                    token.text.isdigit()
                    and index > clause_start
                    and words.is_name(tokens[index - 1])
                ):
                    # "Fortune 500 companies", "S&P 500": a number inside a name
                    name, written, first = self.name_at(index)
                    items.append(_Item("name", first, index, head=name, phrase=written))
                    index = first - 1
                    continue
                if token.text == ")":
                    opening = next(
                        (
                            i
                            for i in range(index - 1, max(-1, index - 6), -1)
                            if tokens[i].text == "("
                        ),
                        -1,
                    )
                    if opening >= clause_start:
                        index = opening - 1  # "earnings per share (EPS) of $0.74"
                        continue
                break
            seen += 1
            low = token.low
            if (
                low in ("zero", "nothing", "scratch")
                and index > 0
                and tokens[index - 1].low == "from"
            ):
                items.append(_Item("skip", index - 1, index))  # "grew revenue from zero to"
                index -= 2
                continue
            if (
                index > 0
                and tokens[index - 1].low == "than"
                and words.lemma(token) in _EXPECT_VERBS
            ):
                # "came in higher than expected at 2.6%": a comparison with what was
                # expected, not an expected figure; stepped over with its comparative
                index -= 2
                while index > clause_start and (
                    tokens[index].low in _COMPARATIVES or tokens[index].low in self.skip_left
                ):
                    index -= 1
                continue
            if index > 0 and tokens[index - 1].low == "per":
                items.append(_Item("per", index - 1, index))
                index -= 2
                continue
            if (
                index > 1
                and tokens[index - 2].low == "per"
                and tokens[index - 1].low in self.vocabulary.grammar["unit_adjectives"]
            ):
                items.append(_Item("per", index - 2, index))  # "per diluted share"
                index -= 3
                continue
            if low in _OWNER_PRONOUNS:
                items.append(_Item("pron", index, index))
                index -= 1
                continue
            if low in _BE_FORMS:
                items.append(_Item("be", index, index))
                index -= 1
                continue
            if low in self.auxiliaries:
                items.append(_Item("aux", index, index))
                index -= 1
                continue
            if (
                low in self.conjunctions
                and low not in ("as", "than", "plus")
                and not (low == "since" and index == position - 1)  # "since Sept. 13"
            ):
                if (
                    low in ("and", "or")
                    and index > 0
                    and self.words.is_name(tokens[index - 1])
                    and (index + 1 < position and self.words.is_name(tokens[index + 1]))
                ):
                    pass  # "Sony and Warner": inside a name list
                else:
                    items.append(_Item("conj", index, index))
                    break
            if low in self.prepositions and low not in ("about", "around", "over", "under"):
                items.append(_Item("prep", index, index))
                index -= 1
                continue
            if low in self.skip_left:
                items.append(_Item("skip", index, index))
                index -= 1
                continue
            if low in _NEW_CUES or low in _OLD_CUES:
                items.append(_Item("skip", index, index))
                index -= 1
                continue
            if words.is_name(token):
                name, written, first = self.name_at(index)
                if first > clause_start and (
                    tokens[first - 1].low in _PLACE_LINKS
                    or (
                        first - 1 > clause_start
                        and tokens[first - 1].low in self.vocabulary.grammar["place_adjectives"]
                        and tokens[first - 2].low in _PLACE_LINKS
                    )
                    or (
                        figure.kind is FigureKind.DATE
                        and tokens[first - 1].low in ("with", "before")
                    )
                    or self.place_of_origin(first)
                ):
                    # "filed the lawsuit in New York on January 2", "filed a lawsuit with
                    # the Southern District of New York on Dec. 26": a place or a court,
                    # stepped over
                    index = first - 2
                    continue
                items.append(_Item("name", first, index, head=name, phrase=written))
                index = first - 1
                continue
            if (
                low == "seal"
                and index >= 2
                and tokens[index - 1].low == "under"
                and (tokens[index - 2].low == "from")
            ):
                # "came out from under seal on Jan. 15": unsealed
                items.append(
                    _Item("verb", index - 2, index, head="unseal", phrase="out from under seal")
                )
                index -= 3
                continue
            if low == "worth":
                items.append(_Item("verb", index, index, head="worth", phrase=token.text,
                                   quantity="level"))  # fmt: skip
                index -= 1
                continue
            phrase_start = self.verb_phrase_ending(index, clause_start)
            if phrase_start >= 0:
                # "return to work on Nov. 12", "walked off the job": an event phrase
                items.append(
                    _Item(
                        "verb",
                        phrase_start,
                        index,
                        head=" ".join(self.lemmas()[phrase_start : index + 1]),
                        phrase=" ".join(t.text for t in tokens[phrase_start : index + 1]),
                    )
                )
                index = phrase_start - 1
                continue
            if self.is_verb_here(index):
                passive_at = (
                    index + 1 < position and tokens[index + 1].low == "at"
                    and index > 0 and tokens[index - 1].low in _BE_FORMS
                )  # fmt: skip
                if passive_at:
                    # "losses were put at $5.4 billion", "was estimated at": what is
                    # measured is the subject
                    items.append(_Item("verb", index, index, head=words.verb_lemma(token),
                                       phrase=token.text, quantity="level"))  # fmt: skip
                    index -= 1
                    continue
                if words.is_reporting(token) or words.verb_lemma(token) in _EXPECT_VERBS:
                    items.append(_Item("report", index, index, head=words.verb_lemma(token)))
                    break
                following = tokens[index + 1] if index + 1 < len(tokens) else None
                event = (
                    words.event_phrase(token, following)
                    or words.event_lemma(token)
                    or words.verb_lemma(token)
                )
                items.append(
                    _Item(
                        "verb",
                        index,
                        index,
                        head=event,
                        phrase=token.text,
                        quantity=words.quantity_verb(token),
                    )
                )
                index -= 1
                continue
            if words.can_be_noun(token) or not lexicon_known(token):
                head, phrase, mods, first = self.noun_phrase_ending(index)
                if mods and self.vocabulary.is_qualifier_word(head):
                    # "its growth forecast": what is measured is growth; "forecast"
                    # is a qualifier, which the qualifier walk reads
                    head, mods = noun_before_qualifier(mods)
                owner = ""
                owner_text = ""
                if first > 0 and tokens[first - 1].possessive and words.is_name(tokens[first - 1]):
                    owner, owner_text, name_first = self.name_at(first - 1)
                    first = name_first
                elif first > 0 and tokens[first - 1].possessive:
                    # "the site's domains": the possessor belongs to the phrase
                    first -= 1
                    while first > 0 and tokens[first - 1].low in ("the", "a", "an", "its", "their"):
                        first -= 1
                link_at = first - 1
                while link_at > clause_start and tokens[link_at].text[:1].isupper():
                    link_at -= 1  # "in New York federal court"
                if (
                    figure.kind is FigureKind.DATE
                    and link_at >= clause_start
                    and tokens[link_at].low in _PLACE_LINKS
                    and head in self.vocabulary.places
                ):
                    # "filed a lawsuit in New York federal court on Dec. 29": a place
                    index = link_at - 1
                    continue
                opening = first
                while opening > clause_start and tokens[opening - 1].low in _TIME_DETERMINERS:
                    opening -= 1
                if (
                    not mods
                    and opening > clause_start
                    and tokens[opening - 1].low in ("for", "in", "over")
                    and (head in _TIME_NOUNS or self.vocabulary.is_qualifier_word(head))
                ):
                    # "raised its forecast for this year to 2.5%": the time it is for,
                    # stepped over with its preposition (the qualifier walk reads it)
                    index = opening - 2
                    continue
                if first > clause_start and tokens[first - 1].low in _ADJUNCT_LINKS:
                    # "filed under seal on Dec. 29", "an injunction against the site's
                    # domains on Jan. 20": an adjunct, stepped over with its preposition
                    index = first - 2
                    continue
                items.append(
                    _Item(
                        "np",
                        first,
                        index,
                        head=head,
                        phrase=phrase,
                        mods=mods,
                        owner=owner,
                        owner_text=owner_text,
                    )
                )
                index = first - 1
                continue
            index -= 1
        return items

    def read_left(self, figure: Figure, found: Found, position: int, items: list[_Item]) -> None:
        """Read the grouped words, nearest first: "<noun> of" names the figure, a verb
        is its event (or, for "rose", "was", "valued at", tells of its subject), a
        name before the verb is whose it is."""
        kind = figure.kind
        passed = ""
        after_verb = False
        nearest = True
        blocked = False
        held: _Item | None = None
        held_via = ""
        for number, item in enumerate(items):
            step = item.kind
            if step == "skip":
                low = self.tokens[item.first].low
                if not after_verb and low in _OLD_CUES:
                    found.cue = "old"
                elif not after_verb and low in _NEW_CUES and not found.cue:
                    found.cue = "new"
                continue
            if step == "fig":
                passed = ""  # "$3,000 for each of the 500,000 books": the "for" is its
                continue
            if step == "per":
                if not found.head and not found.per:
                    # "earnings per share of $0.74": the unit before the noun's "of"
                    found.per = self.words.noun_lemma(self.tokens[item.last])
                    found.words.append(f"per {self.tokens[item.last].text}")
                continue
            if step == "prep":
                low = self.tokens[item.first].low
                if nearest and low in _PERIOD_LINKS:
                    found.period = found.period or "from"
                passed = low
                nearest = False
                continue
            nearest = False
            if step == "report":
                self.expectation(found, item.first)
                if not found.head and found.event:
                    self.subject_of_report(found, item.first)
                break
            if step == "conj":
                self.relative_antecedent(found, item.first)
                break
            if step == "be":
                if not found.event and not found.quantity:
                    found.quantity = "level"
                    found.verb_at = item.first
                after_verb = after_verb or bool(found.quantity)
                continue
            if step == "aux":
                continue
            if step == "verb":
                if found.event:
                    # "agreed to pay", "seeks to recover": an outer verb of asking or
                    # offering says what kind of figure it is.
                    outer = self.vocabulary.event_class(item.head)
                    if outer in ("sought", "offered", "awarded") and passed == "to":
                        found.event, found.event_text = item.head, item.phrase
                        found.words.append(item.phrase)
                    after_verb = True
                    passed = ""
                    continue
                if found.quantity and found.quantity != "level":
                    after_verb = True
                    passed = ""
                    continue
                if held is None and passed == "to" and self.is_mover(item.first):
                    # "bringing the total to 57": the verb only says it is a new value
                    found.cue = found.cue or "new"
                    found.quantity = found.quantity or "level"
                    found.verb_at = item.first
                    found.words.append(f"{item.phrase} to")
                    after_verb = True
                    passed = ""
                    continue
                if held is not None and held_via == "to" and self.is_mover(item.first):
                    found.set_head(held.head, held.phrase, held.mods, held.first)
                    found.cue = found.cue or "new"
                    found.quantity = found.quantity or "level"
                    found.verb_at = item.first
                    found.words.append(f"{item.phrase} {held.phrase} to")
                    held = None
                    after_verb = True
                    continue
                own_noun = found.head_at == position and kind is FigureKind.COUNT
                valuation = self.vocabulary.event_class(item.head) == "valued"
                if (passed == "at" and valuation) or (
                    item.quantity and not (own_noun and item.quantity == "level")
                ):
                    # "valued at", "fixed at", "put at", "rose to": what the verb tells
                    # of is its subject
                    quantity = item.quantity or "level"
                    if not found.quantity or found.quantity == "level":
                        found.quantity = quantity
                    found.verb_at = item.first
                    if held is not None and not found.head:
                        found.set_head(held.head, held.phrase, held.mods, held.first)
                        found.aspect = found.aspect or "change"
                        held = None
                    if quantity in ("rise", "fall"):
                        if passed == "to":
                            found.cue = found.cue or "new"
                        elif passed == "by" or (passed == "" and kind is FigureKind.PERCENT):
                            found.aspect = found.aspect or "change"
                    if self.vocabulary.event_class(item.head) in ("valued",):
                        found.event, found.event_text = item.head, item.phrase
                    found.words.append(item.phrase)
                    after_verb = True
                    passed = ""
                    continue
                if found.quantity == "level" and found.head:
                    break
                if held is not None:
                    if self.vocabulary.aspect.get(item.head) == "change" or (
                        self.vocabulary.event_class(item.head) in ("raised", "lost")
                    ):
                        found.set_head(held.head, held.phrase, held.mods, held.first)
                        found.aspect = found.aspect or "change"
                    elif kind is FigureKind.PERCENT:
                        found.aspect = found.aspect or "share"  # "rejected it by 94.2%"
                    held = None
                found.event, found.event_text = item.head, item.phrase
                found.event_at = found.verb_at = item.first
                found.words.append(item.phrase)
                after_verb = True
                passed = ""
                following = items[number + 1] if number + 1 < len(items) else None
                if (
                    following is not None
                    and following.kind == "np"
                    and following.last == item.first - 1
                    and not found.head
                    and _is_participle(self.tokens[item.first].low, item.head)
                ):
                    # "damages sought near $12.9 trillion", "flights cancelled": the
                    # participle describes the noun before it, which is measured
                    found.set_head(following.head, following.phrase, following.mods,
                                   following.first)  # fmt: skip
                    found.participle_head = True
                    break
                continue
            if step == "pron":
                if number == 0 and kind is FigureKind.MONEY and not found.owner:
                    # "the disruption cost it $500 million": the one it cost
                    found.owner, found.owner_text = self.pronoun_owner(item.first)
                    continue
                if after_verb and not found.owner:
                    found.owner, found.owner_text = self.pronoun_owner(item.first)
                if after_verb:
                    break
                continue
            if step == "name":
                if after_verb or self.tokens[item.last].possessive:
                    found.owner = found.owner or item.head
                    found.owner_text = found.owner_text or item.phrase
                    found.words.append(item.phrase)
                    break
                if not passed and kind is FigureKind.MONEY and number == 0:
                    found.owner, found.owner_text = item.head, item.phrase  # "cost Delta $5m"
                    continue
                if passed == "for" and not found.event and kind is FigureKind.MONEY:
                    suing = next((i for i in items[number + 1 :] if i.kind != "name"), None)
                    if (
                        suing is not None
                        and suing.kind == "verb"
                        and self.vocabulary.event_class(suing.head) in ("filed", "sought")
                    ):
                        # "sue Anna's Archive for $13.4 trillion": what the suit seeks
                        found.event, found.event_text = suing.head, suing.phrase
                        found.words.append(f"{suing.phrase} {item.phrase} for")
                        break
                if (
                    kind is FigureKind.DATE
                    and number == 1
                    and passed in ("on", "since")
                    and not found.event
                ):
                    # "struck Turkey and Syria on February 6", "sued the site on Dec.
                    # 29": the date's own "on"; the name is the object of its verb
                    passed = ""
                    continue
                if passed:
                    break  # "in Texas", "by LSEG": another figure's or a place
                continue
            if step == "np":
                if passed == "at" and not found.head and not found.event:
                    appraised = self.appraised_object(items, number)
                    if appraised is not None:
                        target, whose, verb = appraised
                        found.set_head(target.head, target.phrase, target.mods, target.first)
                        if whose is not None and whose.kind == "name":
                            found.owner, found.owner_text = whose.head, whose.phrase
                        elif whose is not None:
                            found.context = whose.head
                        found.verb_at = verb.first
                        found.words.append(f"{verb.phrase} {target.phrase} at")
                        break
                if (
                    held is not None
                    and passed == "of"
                    and (
                        item.head in self.vocabulary.generic_nouns
                        or item.head in self.vocabulary.containers
                    )
                ):
                    passed = ""  # "the number of deaths to 2,122": deaths is still held
                    continue
                if after_verb and found.event and not found.quantity:
                    if kind is FigureKind.DATE and not found.head:
                        found.set_head(item.head, item.phrase, item.mods, item.first)
                    if item.owner:
                        found.owner, found.owner_text = item.owner, item.owner_text
                    break  # the event's subject: a common noun is not an owner
                if (
                    kind is FigureKind.DATE
                    and passed == "since"
                    and not found.event
                    and (noun_event := self.event_noun_of(item))
                ):
                    # "on strike since September 13": the noun is the event, under way
                    found.event, found.event_text = noun_event, item.phrase
                    found.words.append(f"{item.phrase} since")
                    break
                item = self.outer_noun(item, items, number)
                if self.vocabulary.modality.get(item.head) and not found.modality:
                    found.modality = str(self.vocabulary.modality.get(item.head))
                    found.words.append(item.phrase)
                    passed = ""
                    continue
                takes_head = (passed in _NOUN_LINKS and not blocked) or (
                    after_verb and found.quantity
                )
                if takes_head and not found.head and self.bare_adjective(item):
                    break  # "20 ahead of the 272 needed": no noun of the 272
                if takes_head:
                    if passed == "for" and kind is FigureKind.COUNT and found.head:
                        if not self.names_another_figure(item.first):
                            found.context = item.head  # "metadata for 256 million tracks"
                        found.words.append(item.phrase)
                    elif not found.head:
                        found.set_head(item.head, item.phrase, item.mods, item.first)
                    elif self.vocabulary.event_class(item.head, noun=True):
                        found.context = item.head
                    if item.owner:
                        found.owner, found.owner_text = item.owner, item.owner_text
                    if found.quantity or found.event:
                        break
                    passed = ""
                    continue
                if item.owner and not found.owner and item.last == position - 1:
                    found.owner, found.owner_text = item.owner, item.owner_text
                if (
                    (passed == "by" or (passed == "to" and self.mover_follows(items, number)))
                    and not found.event
                    and not found.head
                ):
                    # "raised pay by 25%", "increased wages by 25%", "raised the death
                    # toll to 2,946": the verb's object is what changed
                    held, held_via = item, passed
                    passed = ""
                    continue
                if passed or found.event:
                    break
                blocked = True  # an object stands between: "pay the families ... $473 million"
                continue
        if held is not None and held_via == "to" and found.cue == "new" and not found.head:
            # "officials revised the number of deaths to 2,122"
            found.set_head(held.head, held.phrase, held.mods, held.first)

    def place_of_origin(self, name_at: int) -> bool:
        """ "the latest death toll from Syria was 5,900": a name after a noun's "from"
        says where the noun's figure is from, like "in Syria"; it is no owner."""
        if name_at < 2 or self.tokens[name_at - 1].low != "from":
            return False
        noun = self.tokens[name_at - 2]
        return (
            noun.is_word
            and not noun.is_figure
            and not self.words.is_name(noun)
            and self.words.can_be_noun(noun)
            and not self.words.is_function(noun)
            and not self.is_verb_here(name_at - 2)
        )

    def expectation(self, found: Found, verb_at: int) -> None:
        """ "analysts expect", "Wall Street had expected", "Nvidia expects": a figure
        someone expects is a forecast, and others' (analysts', a poll's) a consensus."""
        tokens = self.tokens
        if self.words.verb_lemma(tokens[verb_at]) not in _EXPECT_VERBS:
            verb_at = self.expecting_verb(verb_at)
            if verb_at < 0:
                return
        modality = self.vocabulary.modality
        for index in range(verb_at - 1, max(-1, verb_at - 5), -1):
            token = tokens[index]
            if not token.is_word:
                break
            if "consensus" in (modality.get(token.low), modality.get(self.words.lemma(token))):
                found.modality = "consensus"
                found.words.append(f"{token.text} {tokens[verb_at].text}")
                return
        if not found.modality:
            found.modality = "forecast"
            found.words.append(tokens[verb_at].text)

    def appraised_object(
        self, items: Sequence[_Item], number: int
    ) -> tuple[_Item, _Item | None, _Item] | None:
        """ "estimated direct losses for Fortune 500 companies at $5.4 billion": from the
        noun phrase before "at" (``items[number]``) back to a verb of appraising, the
        object measured, whose it is (the phrase after its "for"), and the verb."""
        phrases: list[_Item] = []
        for item in items[number : number + 8]:
            if item.kind in ("np", "name"):
                phrases.append(item)
                continue
            appraising = item.kind == "skip" and (
                self.words.verb_lemma(self.tokens[item.first])
                in self.vocabulary.grammar["appraisals"]
            )  # "estimated" is also a hedge word
            if (item.kind == "skip" and not appraising) or (
                item.kind == "prep" and self.tokens[item.first].low in ("for", "of")
            ):
                continue
            if item.kind in ("verb", "skip") and phrases:
                lemma = self.words.verb_lemma(self.tokens[item.first])
                if lemma not in self.vocabulary.grammar["appraisals"]:
                    return None
                target = next((p for p in reversed(phrases) if p.kind == "np"), None)
                if target is None:
                    return None
                whose = next((p for p in phrases if p.kind == "name"), None) or next(
                    (p for p in phrases if p is not target), None
                )
                return target, whose, item
            return None
        return None

    def mover_follows(self, items: Sequence[_Item], number: int) -> bool:
        """The noun phrase ``items[number]`` is the object of a verb that moves a
        figure ("raised the death toll to", "revised the number of deaths to")."""
        for item in items[number + 1 : number + 6]:
            if item.kind == "verb" or (item.kind == "skip" and self.is_mover(item.first)):
                return self.is_mover(item.first)
            if item.kind not in ("skip", "prep", "np", "pron"):
                return False  # "cutting its deposit rate to": "its" is the object's
            if item.kind == "prep" and self.tokens[item.first].low != "of":
                return False
        return False

    def is_mover(self, index: int) -> bool:
        """A verb that moves a figure to a new value ("raised", "bringing")."""
        token = self.tokens[index]
        movers = self.vocabulary.grammar["movers"]
        return (
            self.words.verb_lemma(token) in movers
            or token.low in movers
            or self.words.quantity_verb(token) in ("rise", "fall")  # "grew revenue to"
        )

    def moved_to(self, found: Found, position: int, clause_start: int) -> None:
        """ "bringing the total number of people hospitalized to 57": a figure after
        the "to" of a verb that moves a figure is a new value."""
        tokens = self.tokens
        index = position - 1
        while index >= clause_start and tokens[index].low in HEDGE_WORDS - {"to"}:
            index -= 1
        if index < clause_start or tokens[index].low != "to":
            return
        for before in range(index - 1, max(clause_start - 1, index - 10), -1):
            token = tokens[before]
            if token.is_figure or not token.is_word:
                return
            if self.is_mover(before):
                found.cue = found.cue or "new"
                return

    def relative_antecedent(self, found: Found, at: int) -> None:
        """ "analyst expectations, which were set at $33.12 billion": the noun a
        relative clause hangs on is what its figure measures."""
        tokens = self.tokens
        if found.head or tokens[at].low not in ("which", "that", "whom"):
            return
        noun_at = at - 1
        part = noun_at >= 0 and tokens[noun_at].low == "of"
        if part:
            noun_at -= 1  # "$12 billion in damage, of which $4 billion was insured"
        if noun_at >= 0 and tokens[noun_at].text == ",":
            noun_at -= 1
        if noun_at < 0:
            return
        noun = tokens[noun_at]
        words = self.words
        if not noun.is_word or words.is_function(noun) or not words.can_be_noun(noun):
            return
        head, phrase, mods, first = self.noun_phrase_ending(noun_at)
        found.set_head(head, phrase, mods, first)
        found.words.append(phrase)
        if part:
            found.context = found.context or "part"  # a part, never the whole
            found.words.append("of which")
        modality = self.vocabulary.modality.get(head)
        if modality and not found.modality:
            found.modality = modality

    def expecting_verb(self, verb_at: int) -> int:
        """ "analysts expect Nvidia to report $0.74": the verb of expecting whose
        object reports the figure (its index), or -1."""
        tokens = self.tokens
        if verb_at < 2 or tokens[verb_at - 1].low != "to":
            return -1
        for index in range(verb_at - 2, max(-1, verb_at - 7), -1):
            token = tokens[index]
            if not token.is_word or token.low in self.conjunctions:
                return -1
            if self.words.verb_lemma(token) in _EXPECT_VERBS:
                return index
        return -1

    def outer_noun(self, item: _Item, items: list[_Item], number: int) -> _Item:
        """'revenue for the current quarter', 'the death toll from the quake': the
        noun before the preposition is what is measured; the inner phrase qualifies."""
        rest = [i for i in items[number + 1 : number + 5] if i.kind != "skip"]
        if len(rest) >= 2:
            link, outer = rest[0], rest[1]
            if (
                link.kind == "prep"
                and self.tokens[link.first].low in ("for", "of", "in", "from", "at", "on")
                and outer.kind == "np"
                and (
                    not self.vocabulary.event_class(item.head, noun=True)
                    or self.event_noun_of(outer)  # "the death toll from the earthquake"
                )
            ):
                vocabulary = self.vocabulary
                if self.tokens[link.first].low == "of" and (
                    outer.head in vocabulary.generic_nouns or outer.head in vocabulary.containers
                ):
                    return item  # "the number of deaths", "a total of 57 cases"
                if (
                    outer.first >= 2
                    and self.tokens[outer.first - 1].low in ("a", "an", "per")
                    and (self.tokens[outer.first - 2].is_figure)
                ):
                    return item  # "$0.75 a share on revenue of $33.16 billion"
                if self.bare_adjective(outer):
                    return item  # "fall short of the magic figure of 272"
                return outer
        return item

    def bare_adjective(self, phrase: _Item) -> bool:
        """A word that can be an adjective or adverb, alone or after its verb, with no
        determiner before it ("short of", "fell short of", "ahead of"): no noun that a
        figure could measure ("a record high of 5%" is one)."""
        token = self.tokens[phrase.last]
        if not (lexicon_can(token, "ADJ") or lexicon_can(token, "ADV")):
            return False
        if phrase.first != phrase.last and not (
            phrase.last - phrase.first == 1 and self.is_verb_here(phrase.first)
        ):
            return False
        before = self.tokens[phrase.last - 1] if phrase.last > 0 else None
        return before is None or before.low not in self.vocabulary.grammar["determiners"]

    def label_before_colon(self, found: Found, colon: int, *, events_only: bool = False) -> None:
        """ "Revenue: $35.08 billion vs. $33.16 billion": a short label before a colon
        at the start of a sentence names the figures after it."""
        tokens = self.tokens
        if colon == 0 or colon > 5:
            return
        if not all(t.is_word for t in tokens[:colon]):
            return
        per_at = next((i for i in range(colon) if tokens[i].low == "per"), colon)
        last = per_at - 1
        while last > 0 and not self.words.can_be_noun(tokens[last]):
            last -= 1
        if last < 0:
            return
        if not lexicon.can_be(tokens[last].low, lexicon.NOUN) and not tokens[last].low.isupper():
            return  # "fernwire: $13 trillion" is a person's name, not a label
        head, phrase, mods, first = self.noun_phrase_ending(last)
        if events_only and not self.vocabulary.event_class(head, noun=True):
            return  # a date's label must name an event ("Background:" does not)
        if first == 0:
            found.set_head(head, phrase, mods, first)
            if per_at + 1 < colon and not found.per:
                found.per = self.words.noun_lemma(tokens[colon - 1])  # "Earnings per share:"

    def is_verb_here(self, index: int) -> bool:
        """Whether a word is a verb where it stands: an inflected verb form ('rose',
        'cancelled', 'sought'), or a base form after 'to', a modal or a subject ('to
        pay', 'could reach', 'the labels seek'); never right after a determiner, a
        possessive or a preposition ('the cost', 'per work', 'of shares')."""
        tokens = self.tokens
        token = tokens[index]
        words = self.words
        if not words.can_be_verb(token):
            return False
        before = tokens[index - 1] if index > 0 else None
        if before is not None and (
            before.possessive
            or (
                before.low in self.vocabulary.grammar["determiners"]
                and before.low not in ("up", "to", "as", "at", "than", "much", "over", "under")
                # "the quake that struck": "that" as a relative, before an inflected verb
                and not (before.low == "that" and token.low != words.verb_lemma(token))
            )
            or before.low in ("of", "for", "per", "by", "with", "in", "on")
        ):
            return False
        if not words.can_be_noun(token) and not lexicon_can(token, "ADJ"):
            return True
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if (
            following is not None
            and token.low != words.verb_lemma(token)
            and (following.is_figure or following.low in ("up", "about", "nearly", "almost"))
        ):
            return True  # "the claim reaches $13 trillion"
        if token.low != words.verb_lemma(token):
            if token.low.endswith("s") and not token.low.endswith("ss"):
                # "rises" after a subject is a verb; "awarded damages" is a noun
                return before is not None and (
                    words.is_name(before)
                    or before.low in ("it", "he", "she", "that", "which", "who")
                    or (words.can_be_noun(before) and not words.can_be_verb(before)
                        and not before.low.endswith("s"))
                )  # fmt: skip
            return True  # an inflected form: "rose", "filed", "cancelled"
        if before is None:
            return False
        if following is not None and (
            following.is_figure
            or words.is_name(following)
            or following.low in ("a", "an", "the", "its", "their", "up", "about", "nearly")
            or following.low in ("it", "them", "us", "him", "her", "me", "you")
        ):
            return True  # "cost Delta $500 million", "pay $1.5 billion", "cost it $5m"
        return before.low in ("to", "will", "would", "could", "can", "may", "might", "should",
                              "must", "did", "does", "do", "not", *_BE_FORMS) or (
            words.is_name(before) or before.low in ("they", "we", "it", "he", "she")
            or (before.low.endswith("s") and words.can_be_noun(before) and not words.can_be_verb(before))
        )  # fmt: skip

    def subject_of_report(self, found: Found, report_at: int) -> None:
        """ "Inflation is expected to average 2.5%": what is expected to average is what
        the figure measures (the noun phrase right before "is expected")."""
        tokens = self.tokens
        words = self.words
        last = report_at - 1
        while last >= 0 and (tokens[last].low in _BE_FORMS or tokens[last].low in self.auxiliaries):
            last -= 1
        if last < 0 or last == report_at - 1 or not tokens[last].is_word:
            return
        if words.is_name(tokens[last]) or not words.can_be_noun(tokens[last]):
            return  # "Nvidia is expected to": a name expects, it is not measured
        first = last
        while first - 1 >= 0 and last - first < 3:
            before = tokens[first - 1]
            if not before.is_word or words.is_function(before) or words.is_name(before):
                break
            first -= 1
        head = words.noun_lemma(tokens[last])
        phrase = " ".join(t.text for t in tokens[first : last + 1])
        found.set_head(head, phrase, self.modifier_lemmas(tokens[first:last]), first)
        found.words.append(phrase)

    def pronoun_owner(self, index: int) -> tuple[str, str]:
        """The name an 'it' or 'its' stands for, the nearest name earlier in the
        sentence: (lower-case name, as written), or two empty strings."""
        for earlier in range(index - 1, -1, -1):
            if self.words.is_name(self.tokens[earlier]):
                name, written, _ = self.name_at(earlier)
                return name, written
        return "", ""
