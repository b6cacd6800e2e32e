"""What makes two figures of one noun different quantities, read from the figure's
own words: per unit ("per share", "a week", "each"), scope ("worldwide", "in Texas"),
modality ("maximum", "expected by analysts"), another time ("a year earlier", "in
2011"), an increment ("an additional"), whom an amount goes to ("to William
Aldenberg"), and for a percentage whether it is a share, a change or a rate.
"""

from __future__ import annotations

from briefing.core.models import Figure, FigureKind

from .sentence_walk import HEDGE_WORDS, Found, SentenceWalk
from .tokens import MONTHS_AND_DAYS, Token
from .vocabulary import PhraseTable

__all__ = ["QualifierWalk"]


def _merged_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching index ranges joined, so no word is read twice."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(span for span in spans if span[0] <= span[1]):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


class QualifierWalk(SentenceWalk):
    """Reads a figure's qualifiers into what the walks found."""

    def qualifiers(
        self, figure: Figure, found: Found, position: int, clause_start: int, clause_end: int
    ) -> None:
        """Per unit, scope, modality and another time, from the figure's own words: the
        modifiers right before it (and before its noun), the words from its verb to it,
        and the words after it up to the next figure."""
        tokens = self.tokens
        # Right: from the figure to the next figure, within the clause.
        right = position
        while right + 1 <= clause_end and not tokens[right + 1].is_figure:
            right += 1
        right = min(right, position + 8)
        # Left: the modifiers that stand right before the figure, back to the first
        # preposition, conjunction, figure or verb; and the same before its noun or verb.
        spans = [
            (self.modifiers_before(position, clause_start), position - 1),
            (position + 1, right),
        ]
        for anchor in (found.head_at, found.event_at):
            if 0 <= anchor < position:
                spans.append((self.modifiers_before(anchor, clause_start), anchor))
        if 0 <= found.verb_at < position:
            spans.append((max(clause_start, found.verb_at - 2), position - 1))
        self.per_unit(found, position, right)
        self.increment(found, position, right)
        after_from = found.period == "from"
        self.other_year(found, figure, clause_start, right)
        self.year_of_figure(found, figure, position)
        if after_from and found.period == "prior":
            found.cue = found.cue or "old"  # "from $14 billion in 2021": old, and of 2021
        if figure.kind is FigureKind.MONEY:
            self.recipient(found, position, right)
        for first, last in _merged_spans(spans):
            self.phrases_in(found, first, last, before=last < position, kind=figure.kind)
        if found.period == "from":
            found.period = ""
            found.cue = found.cue or "old"
        if not found.scope and 0 <= found.head_at < position:
            self.place_after_head(found, position)
        if not found.scope:
            self.fronted_place(found, position)

    def is_place_word(self, token: Token) -> bool:
        """A name that may be a place: not one letter ("in Q3" is a quarter)."""
        return len(token.low) > 1 and self.words.is_name(token)

    def fronted_place(self, found: Found, position: int) -> None:
        """ "In Turkey alone, 44,218 people died": a place the sentence opens with, set
        off by a comma, is the scope of the figures after it."""
        tokens = self.tokens
        if len(tokens) < 4 or tokens[0].low != "in":
            return
        place_at = self.place_start(1, position - 1)
        if place_at >= position or not self.is_place_word(tokens[place_at]):
            return
        if tokens[place_at].low in MONTHS_AND_DAYS:
            return  # "In March, ..." is a time
        name_end = self.place_end(place_at, position - 1)
        comma = name_end + 1
        if comma < position and tokens[comma].low in ("alone", "only"):
            comma += 1
        if comma >= position or tokens[comma].text != ",":
            return
        found.scope = "place:" + self.name_at(name_end)[0]
        found.words.append(" ".join(t.text for t in tokens[: name_end + 1]))

    def place_after_head(self, found: Found, position: int) -> None:
        """ "the death toll in Syria stood at 5,900", "the toll from Syria was 5,900":
        the place right after the noun (before the verb) is the figure's scope, as
        "5,900 in Syria" would be."""
        tokens = self.tokens
        at = found.head_at + 1  # the noun phrase starts there: step to its end
        while (
            at < min(position, found.head_at + 4)
            and tokens[at].is_word
            and not (self.words.is_function(tokens[at]))
        ):
            at += 1
        if at + 1 >= position or tokens[at].low not in ("in", "across", "throughout", "from"):
            return
        place_at = self.place_start(at + 1, position - 1)
        if place_at >= position or not self.is_place_word(tokens[place_at]):
            return
        name_end = self.place_end(place_at, position - 1)
        after = tokens[name_end + 1]
        if tokens[name_end].possessive or (
            after.is_word
            and self.words.can_be_noun(after)
            and not self.words.can_be_verb(after)
            and not self.words.is_function(after)
        ):
            return  # "in Windows devices" is no place
        found.scope = "place:" + self.name_at(name_end)[0]
        found.words.append(f"{tokens[at].text} {tokens[place_at].text}")

    def other_year(self, found: Found, figure: Figure, clause_start: int, right: int) -> None:
        """ "more than 30 people died in 2011", "the 2008 strike": a figure of an earlier
        year than the article's own is of another time."""
        if (found.period and found.period != "from") or self.year is None:
            return  # "from": "a decrease from the 67.1% turnout in the 2019 elections"
        if figure.kind is FigureKind.DATE:
            return
        tokens = self.tokens
        opening = tokens[:3] if len(tokens) > 2 and tokens[0].low in ("in", "since") else []
        if clause_start >= 2 and tokens[clause_start].low == "when":
            # "since 2011, when 147 fell ill", "than the 2019 polls, when it stood at 67.4%"
            opening = [*opening, *tokens[max(0, clause_start - 4) : clause_start - 1]]
        here = self.position[self.figures.index(figure)]
        others = [
            at for at in range(clause_start, right + 1) if tokens[at].is_figure and at != here
        ]
        for at, token in (
            *((-1, t) for t in opening),
            *((clause_start + i, t) for i, t in enumerate(tokens[clause_start : right + 1])),
        ):
            if token.is_figure or not token.low.isdigit() or len(token.low) != 4:
                continue
            if at >= 0 and any(
                abs(other - at) < abs(here - at) or (other < at and at - other <= abs(here - at))
                for other in others
            ):
                continue  # "from $14 billion in 2021 to $157 billion": the nearer figure's
            year = int(token.low)
            if 1900 <= year < self.year:
                found.period = "prior"
                found.words.append(token.text)
                return

    def year_of_figure(self, found: Found, figure: Figure, position: int) -> None:
        """ "2.2% in 2025", "growth of 0.9% for 2024": the year a figure is of, this
        year or a later one (an earlier year is another time, not this qualifier)."""
        if found.when or found.period or self.year is None or figure.kind is FigureKind.DATE:
            return
        tokens = self.tokens
        at = position + 1
        if at + 1 < len(tokens) and tokens[at].low in ("in", "for"):
            year = tokens[at + 1].low
            if len(year) == 4 and year.isdigit() and self.year <= int(year) <= self.year + 5:
                found.when = year
                found.words.append(f"{tokens[at].text} {year}")

    def increment(self, found: Found, position: int, right: int) -> None:
        """ "an additional $473 million", "six more deaths": an increment, not a total."""
        tokens = self.tokens
        increments = self.vocabulary.aspect
        index = position - 1
        while index >= 0 and tokens[index].low in ("a", "an", "the", "yet"):
            index -= 1
        if (
            index >= 0
            and increments.get(tokens[index].low) == "increment"
            and tokens[index].low != "more"
        ):
            found.aspect = found.aspect or "increment"
            found.words.append(tokens[index].text)
            return
        after = position + 1
        if (
            after <= right
            and tokens[after].low == "more"
            and not (after + 1 < len(tokens) and tokens[after + 1].low == "than")
        ):
            found.aspect = found.aspect or "increment"
            found.words.append("more")

    def recipient(self, found: Found, position: int, right: int) -> None:
        """ "$90 million to William Aldenberg", "$120 million for Robbie Parker": whom an
        amount goes to tells two awards apart."""
        tokens = self.tokens
        index = position + 1
        # skip "in damages", "in punitive damages"
        if index <= right and tokens[index].low == "in":
            index += 1
            while (
                index <= right
                and tokens[index].is_word
                and not self.words.is_function(tokens[index])
            ):
                index += 1
        if index + 1 <= right and tokens[index].low in ("to", "for"):
            name_at = index + 1
            while name_at <= right and tokens[name_at].low in ("the", "plaintiff", "agent", "fbi"):
                name_at += 1
            if name_at <= right and self.words.is_name(tokens[name_at]):
                name = self.name_at(self.name_end(name_at, right))[0]
                if found.owner:
                    found.context = found.context or "to " + name
                else:
                    found.owner = name
                    found.owner_text = " ".join(
                        t.text for t in tokens[name_at : self.name_end(name_at, right) + 1]
                    )
                found.words.append(f"{tokens[index].text} {tokens[name_at].text}")

    def modifiers_before(self, index: int, clause_start: int) -> int:
        tokens = self.tokens
        first = index
        while first - 1 >= clause_start:
            token = tokens[first - 1]
            if not token.is_word or token.low in self.conjunctions:
                break
            if token.low in self.prepositions and token.low not in ("up", "down", "about"):
                break
            if self.words.only_verb(token) and not token.low.endswith(("ed", "ing")):
                break
            first -= 1
            if index - first >= 4:
                break
        return first

    def phrases_in(
        self, found: Found, first: int, last: int, *, before: bool, kind: FigureKind
    ) -> None:
        if not any(self.qualifier_hints()[first : last + 1]):
            return
        tokens = self.tokens
        lemmas = self.lemmas()
        lows = self.lows()
        vocabulary = self.vocabulary
        starts = vocabulary.qualifier_starts
        change = kind is FigureKind.PERCENT or found.aspect == "change"
        tables = (
            (vocabulary.basis, "basis") if change else (vocabulary.period, "period"),
            (vocabulary.period, "period") if change else (vocabulary.basis, "basis"),
            (vocabulary.when, "when"),
            (vocabulary.modality, "modality"),
            (vocabulary.scope, "scope"),
        )
        index = first
        while index <= last:
            token = tokens[index]
            if not token.is_word:
                index += 1
                continue
            matched = False
            low, lemma = lows[index], lemmas[index]
            if low not in starts and lemma not in starts:
                tables_here: tuple[tuple[PhraseTable, str], ...] = ()
            else:
                tables_here = tables
            for table, attribute in tables_here:
                table_starts = table.starts
                hit = (table.match(lows, index) if low in table_starts else None) or (
                    table.match(lemmas, index) if lemma in table_starts else None
                )
                if hit is None:
                    continue
                value, length = hit
                if attribute == "basis" and not change:
                    continue  # for an amount, "a year earlier" is another time
                if attribute == "modality" and index > 0 and lows[index - 1] == "than":
                    break  # "higher than expected at 2.6%": compared with a forecast
                if attribute == "modality" and not before and kind is FigureKind.DATE:
                    break  # "an order on Jan. 2 aimed at stopping": not the date's
                if (
                    attribute == "modality"
                    and not before
                    and index > first + 2
                    and value != "consensus"
                ):
                    break  # "$35.1 billion, beating expectations": not its own modality
                # a capitalised scope word is a place only when it is one ("US"), not
                # a name that happens to be spelt like one
                if (
                    attribute == "scope"
                    and self.words.is_name(token)
                    and length == 1
                    and token.low not in ("us", "uk", "eu", "america", "britain", "europe", "china")
                    and not any(len(part) > 1 and part.isupper() for part in token.text.split("-"))
                ):
                    break  # (an acronym is the word itself: "GAAP", "Non-GAAP")
                # before an amount, "up from" makes it the old one only when it ends
                # right before it
                if (
                    attribute == "period"
                    and value == "prior"
                    and before
                    and index + length - 1 != last
                ):
                    index += length
                    matched = True
                    break
                if (
                    attribute == "period"
                    and value == "prior"
                    and not before
                    and self.introduces_next_figure(index, length)
                ):
                    # "2.2% in 2025, up from a previous estimate of 2.0%": the words
                    # lead to the old value after them, not back to this one
                    index += length
                    matched = True
                    break
                current = getattr(found, attribute)
                if attribute == "modality" and value == "consensus" and current == "forecast":
                    current = ""  # "expected by analysts": others' forecast, not the company's
                if not current or current == "from":
                    setattr(found, attribute, value)
                    found.words.append(" ".join(t.text for t in tokens[index : index + length]))
                index += length
                matched = True
                break
            if matched:
                continue
            if not before and token.low in ("in", "across", "throughout") and index + 1 <= last:
                place_at = self.place_start(index + 1, last)
                if place_at <= last and self.is_place_word(tokens[place_at]) and not found.scope:
                    name_end = self.place_end(place_at, last)
                    after = tokens[name_end + 1] if name_end + 1 < len(tokens) else None
                    # "in Texas", not "in Boeing's factories" or "in Windows devices"
                    if not tokens[name_end].possessive and not (
                        after is not None
                        and after.is_word
                        and self.words.can_be_noun(after)
                        and not self.words.is_name(after)
                        and not self.words.is_function(after)
                    ):
                        name = self.name_at(name_end)[0]
                        found.scope = "place:" + name
                        found.words.append(f"{token.text} {tokens[place_at].text}")
            index += 1

    def introduces_next_figure(self, index: int, length: int) -> bool:
        """The phrase at ``index`` ("up from", "the previous", "former") names an old
        value that a figure within the next few words states."""
        tokens = self.tokens
        words = {t.low for t in tokens[index : index + length]}
        if not words & {"from", "previous", "previously", "former", "prior", "old"}:
            return False
        for ahead in tokens[index + length : index + length + 6]:
            if ahead.is_figure:
                return True
            if ahead.text in (",", ";", ".", "(", ")"):
                return False
        return False

    def place_start(self, index: int, last: int) -> int:
        """Where a place's name starts after its "in": past "the" and one word such as
        "neighbouring" or "southern" ("in neighbouring Syria" is in Syria)."""
        tokens = self.tokens
        if index <= last and tokens[index].low == "the":
            index += 1
        if index < last and tokens[index].low in self.vocabulary.grammar["place_adjectives"]:
            index += 1
        return index

    def place_end(self, index: int, last: int) -> int:
        """The last token of the place starting at ``index``, a list of places included:
        "in Turkey and Syria" is both, not Turkey."""
        tokens = self.tokens
        end = self.name_end(index, last)
        while (
            end + 2 <= last
            and not tokens[end].possessive
            and tokens[end + 1].low in ("and", "&")
            and self.is_place_word(tokens[end + 2])
        ):
            end = self.name_end(end + 2, last)
        return end

    def name_end(self, index: int, last: int) -> int:
        while index + 1 <= last and self.words.is_name(self.tokens[index + 1]):
            index += 1
        return index

    def per_unit(self, found: Found, position: int, right: int) -> None:
        tokens = self.tokens
        words = self.words
        index = position + 1
        # skip the noun phrase the amount names ("$3,000 a work" has none)
        if found.head_at > position:
            while index <= right and tokens[index].is_word and not words.is_function(tokens[index]):
                index += 1
        if index > right:
            return
        token = tokens[index]
        low = token.low
        following = tokens[index + 1] if index + 1 <= right else None
        if low in ("each", "apiece"):
            found.per = "each"
        elif low == "per" and following is not None and following.is_word:
            unit_at = index + 1
            while (
                unit_at + 1 <= right
                and tokens[unit_at + 1].is_word
                and not words.is_function(tokens[unit_at + 1])
                and not words.can_be_noun(tokens[unit_at])
            ) or (unit_at + 1 <= right and tokens[unit_at].low in ("diluted", "basic", "adjusted")):
                unit_at += 1
            found.per = words.noun_lemma(tokens[unit_at])
        elif low in ("a", "an") and following is not None and following.is_word:
            unit = words.noun_lemma(following)
            after = tokens[index + 2].low if index + 2 < len(tokens) else ""
            if unit in self.vocabulary.per_units and after not in (
                "earlier",
                "ago",
                "later",
                "before",
                "after",
                "prior",
                "previously",
            ):
                found.per = unit
        elif low == "for" and following is not None and following.low in ("each", "every"):
            rest = index + 2
            while rest < len(tokens) and (
                tokens[rest].low in ("of", "the", "one", "its", "their")
                or tokens[rest].low in HEDGE_WORDS
            ):
                rest += 1
            while (
                rest + 1 < len(tokens)
                and tokens[rest].is_word
                and not words.can_be_noun(tokens[rest])
                and tokens[rest + 1].is_word
            ):
                rest += 1  # "for each infringed work"
            target = tokens[rest] if rest < len(tokens) else None
            if target is not None and target.is_figure:
                unit_words = self.figures[target.fig].unit.split()  # "of the 86 million works"
                found.per = words.noun_lemma(Token(unit_words[-1], 0, 0)) if unit_words else "each"
            elif target is not None and target.is_word and words.can_be_noun(target):
                found.per = words.noun_lemma(target)
            else:
                found.per = "each"
        if found.per:
            found.words.append(" ".join(t.text for t in tokens[index : index + 2]))
        # "per-work damages", "per-share"
        for token in tokens[max(0, position - 3) : position]:
            if token.low.startswith("per-"):
                found.per = found.per or self.words.vocabulary.canonical_head(token.low[4:])

    def percent_aspect(self, found: Found, position: int, clause_end: int) -> None:
        """A share, a change or a rate, from the noun named or the words right after."""
        vocabulary = self.vocabulary
        if found.aspect:
            return
        head = found.head
        aspect = vocabulary.aspect.get(head) if head else None
        if aspect is None and found.mods:
            aspect = vocabulary.aspect.get(found.mods.split()[-1])
        if aspect is None:
            # "up 6%", "down 3%", "6% higher"
            tokens = self.tokens
            before = tokens[position - 1].low if position > 0 else ""
            after = tokens[position + 1].low if position + 1 <= clause_end else ""
            if before in ("up", "down", "rise", "fall") or after in (
                "higher",
                "lower",
                "more",
                "less",
            ):
                aspect = "change"
        if aspect is not None:
            found.aspect = aspect
