"""Merge facts across articles by the evidence of their frames and their values.

Every fact says what its figure measures (its frame: the noun, the event, whose it
is, and qualifiers such as per unit, scope, modality or another time). Facts become
one key fact by three kinds of evidence, strongest first:

1. **The same frame.** The same noun (or, for "six people", "41,000 deaths", the same
   event), the same owner and the same qualifiers.
2. **The same value under other words.** Many outlets state one quantity with
   different words (songs, tracks, music files). When figures under two nouns agree
   on a value that is unlikely by chance (8.5 million, $1.5 billion), stated by at
   least two sources, the two nouns name one quantity in this story: they are linked,
   and their other values merge too (an outlet's 8.4 million "computers" then
   disagrees with the 8.5 million "devices").
3. **A figure that says little** (no owner, no qualifier) joins the one key fact
   that states its exact value.

And by evidence against: two stated qualifiers that differ (per work against a
total, insured against economic, last year's against this year's), two owners,
events of one contrast family (killed against injured), and one article stating two
different values for the same frame (an article that gives 412 and 121 seats is
telling of two quantities, unless it says one replaced the other: "up from",
"rose to"). Values far apart need more than words: a revision over days, a slip of
the scale word ($13 billion for $13 trillion) or a dropped digit (56 for 256).

Each key fact keeps the reasons it merged (``why``), so the UI can say which words
made these figures one fact.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from briefing.core.figures import is_weekday
from briefing.core.models import FigureKind

from .extract import Fact, parse_day
from .frames import Frame
from .vocabulary import Vocabulary

__all__ = ["Cluster", "Mention", "cluster_facts"]

_QUALIFIERS = (
    "owner", "per", "scope", "modality", "period", "aspect", "basis", "when", "context",
    "unit", "modifier",
)  # fmt: skip
_QUALIFIER_INDEX = {name: index for index, name in enumerate(_QUALIFIERS)}
_CLOSE_RATIO = 1.1
"""Values within this ratio of each other may be one quantity stated differently."""
_REVISION_RATIO = 10.0
"""How far a tally may move over days with nothing but the dates to say it was revised."""
_CLOSE_PERCENT = 1.05
"""Percentages are closer: 94% and 72% growth are two quantities, 94.6% and 96% one."""
_SCALE_SLIP = 1000.0


@dataclass(slots=True)
class Mention:
    """A fact with its frame resolved against the vocabulary, ready to merge."""

    fact: Fact
    kind: FigureKind
    value: float | str
    head: str
    """Canonical lemma of the measured noun; '' when it says nothing of its own."""
    event: str
    """Event class name, '~lemma' for an event word of no class, or ''."""
    owner: str
    per: str
    scope: str
    modality: str
    period: str
    aspect: str
    basis: str
    when: str
    context: str
    unit: str
    modifier: str
    """The noun's distinguishing modifiers, sorted ('data-center' in "data-center revenue")."""
    cue: str
    source: str
    article: str
    day: dt.date | None

    quals: tuple[str, ...] = ()
    """The qualifiers in ``_QUALIFIERS`` order (read often, so kept together)."""

    @property
    def value_key(self) -> float | str:
        return self.value

    def qualifier(self, name: str) -> str:
        return self.quals[_QUALIFIER_INDEX[name]]

    @property
    def is_loose(self) -> bool:
        """Says nothing of what it measures: only its value can place it."""
        return not (self.head or self.event or any(self.quals))


class Cluster:
    """Mentions merged into one key fact so far, with what merging asks of them kept
    up to date (values, sources, what each article states, stated qualifiers)."""

    __slots__ = ("_by_article", "_events", "_heads", "_sources", "_stated", "_values",
                 "alive", "kind", "mentions", "reasons")  # fmt: skip

    def __init__(self, kind: FigureKind, mentions: Iterable[Mention] = ()) -> None:
        self.kind = kind
        self.mentions: list[Mention] = []
        self.reasons: list[str] = []
        self.alive = True
        self._values: set[float | str] = set()
        self._sources: set[str] = set()
        self._by_article: dict[str, set[float | str]] = {}
        self._events: set[str] = set()
        self._heads: set[str] = set()
        self._stated: dict[str, set[str]] = {}
        self.add(mentions)

    def add(self, mentions: Iterable[Mention]) -> None:
        for mention in mentions:
            self.mentions.append(mention)
            self._values.add(mention.value_key)
            self._sources.add(mention.source)
            if not mention.cue and not mention.period:
                self._by_article.setdefault(mention.article, set()).add(mention.value_key)
            if mention.event:
                self._events.add(mention.event)
            if mention.head:
                self._heads.add(mention.head)
        self._stated.clear()

    def absorb(self, other: Cluster) -> None:
        self.add(other.mentions)
        self.reasons.extend(r for r in other.reasons if r not in self.reasons)
        other.alive = False

    def values(self) -> set[float | str]:
        return self._values

    def sources(self) -> set[str]:
        return self._sources

    def by_article(self) -> dict[str, set[float | str]]:
        return self._by_article

    def stated(self, name: str) -> set[str]:
        found = self._stated.get(name)
        if found is None:
            found = self._stated[name] = {
                m.qualifier(name) for m in self.mentions if m.qualifier(name)
            }
        return found

    def events(self) -> set[str]:
        return self._events

    def heads(self) -> set[str]:
        return self._heads


def resolve(
    fact: Fact,
    vocabulary: Vocabulary,
    memo: dict[tuple[object, ...], tuple[str, str, tuple[str, ...]]] | None = None,
) -> Mention:
    """The fact's frame in the vocabulary's terms: event classes, canonical nouns.
    ``memo`` keeps the answer per frame (the same frames recur across articles)."""
    frame = fact.frame
    figure = fact.figure
    key = (figure.kind, frame)
    resolved = memo.get(key) if memo is not None else None
    if resolved is None:
        resolved = _resolve_frame(frame, figure.kind, vocabulary)
        if memo is not None:
            memo[key] = resolved
    head, event, quals = resolved
    owner, per, scope, modality, period, aspect, basis, when, context, unit, modifier = quals
    return Mention(
        fact=fact,
        kind=figure.kind,
        value=figure.value,
        head=head,
        event=event,
        owner=owner,
        per=per,
        scope=scope,
        modality=modality,
        period=period,
        aspect=aspect,
        basis=basis,
        when=when,
        context=context,
        unit=unit,
        modifier=modifier,
        cue=frame.cue,
        source=fact.source,
        article=fact.article_id,
        day=_day_of(fact),
        quals=quals,
    )


_AS_OF_LEAD = dt.timedelta(days=2)


def _day_of(fact: Fact) -> dt.date | None:
    """The day a figure stands for: the day it is given "as of", when the sentence
    says so and that day is not after the article; else the article's day."""
    published = parse_day(fact.published)
    as_of = parse_day(fact.frame.as_of) if fact.frame.as_of else None
    if as_of is not None and (published is None or as_of <= published + _AS_OF_LEAD):
        return as_of
    return published


def _resolve_frame(
    frame: Frame, kind: FigureKind, vocabulary: Vocabulary
) -> tuple[str, str, tuple[str, ...]]:
    head = vocabulary.canonical_head(frame.head)
    context = vocabulary.canonical_head(frame.context)
    if (
        kind is FigureKind.COUNT
        and context
        and frame.context.isalpha()
        and not vocabulary.event_class(context, noun=True)
        and context not in vocabulary.money_defaults
    ):
        # "metadata for 256 million tracks" counts metadata (of tracks)
        head, context = context, ""
    mods = frame.mods.split()
    money_plural = kind is FigureKind.MONEY and (
        frame.phrase.lower().rsplit(" ", 1)[-1] in vocabulary.money_plurals
    )
    event = vocabulary.event_class(frame.event) if frame.event else ""
    if frame.event and not event:
        event = "~" + frame.event
    head_event = ""
    if head and not money_plural:
        head_event = vocabulary.event_class(f"{mods[-1]} {head}", noun=True) if mods else ""
        if head_event:
            mods = mods[:-1]  # "death toll": the modifier is part of the event's noun
        else:
            head_event = vocabulary.event_class(head, noun=True)
    light = frame.event in vocabulary.light_verbs
    if head_event and (not event or event.startswith("~") or kind is FigureKind.MONEY or light):
        # "lodge a $12.9 trillion claim", "an injunction was granted": the noun says
        # what happened
        event = head_event
    if kind is FigureKind.MONEY:
        event = vocabulary.money_events.get(event, event)  # "a $13 trillion lawsuit"
    if head_event or head in vocabulary.generic_nouns:
        head = ""  # "41,000 deaths", "six people": the event says what is counted
    if kind is FigureKind.MONEY and head in vocabulary.money_defaults:
        head = ""
    quals = (
        frame.owner,
        vocabulary.canonical_head(frame.per),
        frame.scope,
        frame.modality,
        frame.period,
        frame.aspect,
        frame.basis,
        frame.when,
        context,
        frame.unit,
        " ".join(sorted(m for m in mods if m not in vocabulary.weak_modifiers)),
    )
    return head, event, quals


def cluster_facts(facts: Iterable[Fact], vocabulary: Vocabulary) -> list[Cluster]:
    """The key facts' mentions, merged; most sources first is left to the caller."""
    memo: dict[tuple[object, ...], tuple[str, str, tuple[str, ...]]] = {}
    mentions = [resolve(fact, vocabulary, memo) for fact in facts]
    _full_owner_names(mentions)
    _places_as_owners(mentions)
    loose = [m for m in mentions if m.is_loose]
    framed = [m for m in mentions if not m.is_loose]
    links = _HeadLinks()
    for kind in FigureKind:
        _learn_links([m for m in framed if m.kind is kind], links, vocabulary)
    _linked_per_units(framed, links)
    clusters = _merge_same_frames(framed, links, vocabulary)
    _attach_by_value(clusters, vocabulary)
    _merge_differing_values(clusters, links, vocabulary)
    _attach_by_value(clusters, vocabulary)
    _attach_loose(clusters, loose)
    return [_without_contradicted_weekdays(c) if c.kind is FigureKind.DATE else c
            for c in clusters]  # fmt: skip


def _without_contradicted_weekdays(cluster: Cluster) -> Cluster:
    """ "on Monday" is read from the article's own date, which a feed may give late
    (an update, not the writing): where sources write the date out, a weekday that
    falls on another day is that misreading, not a disagreement, and is left out."""
    written = {m.value_key for m in cluster.mentions if not is_weekday(m.fact.figure)}
    kept = [m for m in cluster.mentions if not is_weekday(m.fact.figure) or m.value_key in written]
    if not written or len(kept) == len(cluster.mentions):
        return cluster
    trimmed = Cluster(cluster.kind, kept)
    trimmed.reasons = cluster.reasons
    return trimmed


def _linked_per_units(mentions: list[Mention], links: _HeadLinks) -> None:
    """ "$150,000 per work" and "$151,000 per file": per units are counted nouns, and
    nouns the story's counts showed to be one ("86 million works", "86 million
    files") are one unit."""
    per_at = _QUALIFIER_INDEX["per"]
    for mention in mentions:
        if mention.per:
            root = links.root(FigureKind.COUNT, mention.per)[1]
            if root != mention.per:
                mention.per = root
                quals = list(mention.quals)
                quals[per_at] = root
                mention.quals = tuple(quals)


def _one_edit_apart(first: str, second: str) -> bool:
    """One letter added, dropped or changed, and not in the first word's first letter."""
    if abs(len(first) - len(second)) > 1 or first[:1] != second[:1] or first == second:
        return False
    if len(first) == len(second):
        return sum(a != b for a, b in zip(first, second, strict=True)) == 1
    shorter, longer = sorted((first, second), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _full_owner_names(mentions: list[Mention]) -> None:
    """ "Alex Jones" and then "Jones": a one-word owner that is the last word of just
    one longer owner named in the story is that owner."""
    counts = Counter(m.owner for m in mentions if m.owner)
    owners = set(counts)
    by_last: dict[str, set[str]] = {}
    for owner in owners:
        words = owner.split()
        if len(words) > 1:
            by_last.setdefault(words[-1], set()).add(owner)
    full = {
        owner: next(iter(longer))
        for owner in owners
        if " " not in owner and len(longer := by_last.get(owner, set())) == 1
    }
    # "Jaqueline Barden" in one outlet, "Jacqueline Barden" in the others: a long
    # name one letter away from a name more sources write is that name
    for owner in owners:
        if owner in full or len(owner) < 8:
            continue
        for other in owners:
            if (
                (counts[other], other) > (counts[owner], owner)
                and other not in full
                and _one_edit_apart(owner, other)
            ):
                full[owner] = full.get(other, other)
                break
    for alias, canonical in _owner_aliases(owners, counts).items():
        full.setdefault(alias, canonical)
    if not full:
        return
    owner_at = _QUALIFIER_INDEX["owner"]
    for mention in mentions:
        named = full.get(mention.owner)
        if named is not None:
            mention.owner = named
            quals = list(mention.quals)
            quals[owner_at] = named
            mention.quals = tuple(quals)


_INITIALS_SKIP = frozenset({"of", "and", "the", "for", "&"})


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.split() if word not in _INITIALS_SKIP)


def _owner_aliases(owners: set[str], counts: Counter[str]) -> dict[str, str]:
    """Other names of one owner in a story: "bjp" for "bharatiya janata party" (its
    initials), "telugu desam" for "telugu desam party" (the start of just one longer
    name), "bjp-led nda" for "nda" (what "A-led B" names is B). Each group is named as
    most of its mentions name it."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.get(name, name) != name:
            name = parent[name]
        return name

    def join(first: str, second: str) -> None:
        a, b = root(first), root(second)
        if a != b:
            parent[a] = b

    for owner in owners:
        led = owner.rpartition("-led ")[2] if "-led " in owner else ""
        if led:
            join(owner, led)
            if led not in owners and (short := _initials(led)) in owners and len(short) > 1:
                join(led, short)
    by_initials: dict[str, list[str]] = {}
    for owner in owners:
        if len(owner.split()) >= 2 and "-led " not in owner:
            by_initials.setdefault(_initials(owner), []).append(owner)
    for owner in owners:
        if " " not in owner and len(owner) >= 2 and len(longer := by_initials.get(owner, [])) == 1:
            join(longer[0], owner)
    # The start of a longer name: every owner listed under each of its starts of two
    # words or more (one pass, where comparing every pair was quadratic in owners).
    by_start: dict[tuple[str, ...], list[str]] = {}
    for owner in owners:
        words = owner.split()
        for size in range(2, len(words)):
            by_start.setdefault(tuple(words[:size]), []).append(owner)
    for owner in owners:
        if len(longer := by_start.get(tuple(owner.split()), [])) == 1:
            join(owner, longer[0])
    groups: dict[str, list[str]] = {}
    for owner in owners:
        groups.setdefault(root(owner), []).append(owner)
    aliases: dict[str, str] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        named = max(members, key=lambda o: (counts[o], len(o), o))
        aliases.update({member: named for member in members if member != named})
    return aliases


def _places_as_owners(mentions: list[Mention]) -> None:
    """ "Syria's death toll" is the toll "in Syria": an owner that the story names as a
    place elsewhere ("in Syria") is that place's scope, so both read alike."""
    places = {m.scope[6:] for m in mentions if m.scope.startswith("place:")}
    if not places:
        return
    owner_at, scope_at = _QUALIFIER_INDEX["owner"], _QUALIFIER_INDEX["scope"]
    for mention in mentions:
        if mention.owner in places and not mention.scope and mention.kind is not FigureKind.DATE:
            mention.scope = "place:" + mention.owner
            mention.owner = ""
            quals = list(mention.quals)
            quals[owner_at], quals[scope_at] = "", mention.scope
            mention.quals = tuple(quals)


# ----------------------------------------------------------------------------- evidence


class _HeadLinks:
    """Nouns that name one quantity in this story (union-find), with the evidence."""

    def __init__(self) -> None:
        self.parent: dict[tuple[FigureKind, str], tuple[FigureKind, str]] = {}
        self.evidence: dict[tuple[FigureKind, str, str], str] = {}
        """(kind, head, head) -> why the two nouns were linked."""

    def root(self, kind: FigureKind, head: str) -> tuple[FigureKind, str]:
        """The noun's representative among the nouns linked for ``kind``. Shares use the
        links of counts: "33,000 workers" and "33,000 union members" make "96% of
        voting workers" and "94.6% of union members" speak of one group."""
        key = (FigureKind.COUNT if kind is FigureKind.PERCENT else kind, head)
        parent = self.parent.get(key, key)
        if parent == key:
            return key
        found = self.root(*parent)
        self.parent[key] = found
        return found

    def link(self, kind: FigureKind, first: str, second: str, reason: str) -> None:
        if kind is FigureKind.PERCENT:
            return  # a share's words are too loose to teach what a noun means
        low, high = sorted((first, second))
        self.evidence.setdefault((kind, low, high), reason)
        a, b = self.root(kind, first), self.root(kind, second)
        if a != b:
            self.parent[max(a, b)] = min(a, b)

    def reasons_for(self, kind: FigureKind, heads: set[str]) -> list[str]:
        """Why the nouns of one cluster were linked (only links between them)."""
        return [
            reason
            for (link_kind, first, second), reason in self.evidence.items()
            if first in heads
            and second in heads
            and (link_kind is kind or kind is FigureKind.PERCENT)
        ]


def distinctive(kind: FigureKind, value: float | str) -> bool:
    """A value two unrelated quantities are unlikely to share by chance."""
    if kind is FigureKind.DATE or not isinstance(value, float | int):
        return False
    magnitude = abs(float(value))
    if magnitude == 0:
        return False
    digits = _significant_digits(magnitude)
    if kind is FigureKind.PERCENT:
        return digits >= 2 and magnitude not in (10.0, 20.0, 25.0, 50.0, 75.0, 100.0)
    if kind is FigureKind.MONEY:
        return digits >= 2 or magnitude >= 1e6
    return (digits >= 2 and magnitude >= 100) or magnitude >= 100_000


def _significant_digits(value: float) -> int:
    text = f"{value:.6g}".replace(".", "").lstrip("0")
    if "e" in text:
        text = text.split("e")[0]
    return len(text.rstrip("0")) or 1


def _compatible(first: Sequence[Mention], second: Sequence[Mention], vocabulary: Vocabulary,
                *, same_value: bool) -> bool:  # fmt: skip
    """No evidence against these two groups being one quantity.

    A qualifier one states and the other does not is allowed only when the values
    agree (a source that leaves out "per work" still states the same $150,000)."""
    for name in _QUALIFIERS:
        if same_value and name in ("modifier", "context"):
            continue  # "music files" and "audio files" agreeing on 86 million are one
        a = {m.qualifier(name) for m in first}
        b = {m.qualifier(name) for m in second}
        a_stated, b_stated = a - {""}, b - {""}
        if a_stated and b_stated and not (a_stated & b_stated):
            return False
        if not same_value and (a != b):
            return False
        if name == "period" and (a_stated or b_stated) and a != b:
            return False  # last year's figure is never this year's
    events_a = {m.event for m in first if m.event}
    events_b = {m.event for m in second if m.event}
    for x in events_a:
        for y in events_b:
            if x == y:
                continue
            if vocabulary.contrasting(x, y):
                return False
            kind = first[0].kind
            if kind is FigureKind.DATE and not x.startswith("~") and not y.startswith("~"):
                return False
            if not same_value and not (x.startswith("~") or y.startswith("~")):
                return False
    return True


def _learn_links(mentions: list[Mention], links: _HeadLinks, vocabulary: Vocabulary) -> None:
    """Link nouns whose figures agree on a distinctive value across sources."""
    by_value: dict[float | str, dict[str, list[Mention]]] = {}
    for mention in mentions:
        if mention.head and distinctive(mention.kind, mention.value):
            by_value.setdefault(mention.value, {}).setdefault(mention.head, []).append(mention)
    for by_head in by_value.values():
        if len(by_head) < 2:
            continue
        heads = sorted(by_head, key=lambda h: (-len({m.source for m in by_head[h]}), h))
        for index, first in enumerate(heads):
            for second in heads[index + 1 :]:
                a, b = by_head[first], by_head[second]
                sources = {m.source for m in a} | {m.source for m in b}
                if len(sources) < 2:
                    continue
                if not _compatible(a, b, vocabulary, same_value=True):
                    continue
                written = a[0].fact.figure.text
                links.link(
                    a[0].kind,
                    first,
                    second,
                    f"“{_phrase(a[0])}” and “{_phrase(b[0])}” give the same {written} "
                    f"({len(sources)} sources)",
                )


def _phrase(mention: Mention) -> str:
    return mention.fact.frame.phrase or mention.head


# ----------------------------------------------------------------------------- merging


def _identity(mention: Mention, links: _HeadLinks) -> tuple[object, ...]:
    head = links.root(mention.kind, mention.head)[1] if mention.head else ""
    qualifiers = mention.quals
    if mention.kind is FigureKind.DATE:
        qualifiers = ("", *qualifiers[1:])  # an event's date is its own, whoever is named
    return (
        mention.kind,
        head,
        mention.event if not mention.event.startswith("~") or not head else "",
        qualifiers,
    )


def _merge_same_frames(
    mentions: list[Mention], links: _HeadLinks, vocabulary: Vocabulary
) -> list[Cluster]:
    """Facts with one frame (nouns linked by evidence count as one) become one key
    fact per quantity: values that one article states side by side stay apart."""
    by_identity: dict[tuple[object, ...], list[Mention]] = {}
    for mention in mentions:
        by_identity.setdefault(_identity(mention, links), []).append(mention)
    clusters: list[Cluster] = []
    for identity, group in by_identity.items():
        clusters.extend(_split_by_value(group, identity, links))
    return clusters


def _split_by_value(
    group: list[Mention], identity: tuple[object, ...], links: _HeadLinks
) -> list[Cluster]:
    by_value: dict[float | str, list[Mention]] = {}
    for mention in group:
        by_value.setdefault(mention.value_key, []).append(mention)
    # The value most sources state first: others join it, or the nearest that allows.
    ordered = sorted(
        by_value.values(), key=lambda ms: (-len({m.source for m in ms}), _order_key(ms[0]))
    )
    clusters: list[Cluster] = []
    for value_mentions in ordered:
        value = value_mentions[0].value_key
        best: Cluster | None = None
        best_distance = math.inf
        for cluster in clusters:
            if not _may_differ(cluster, value_mentions):
                continue
            distance = _distance(cluster, value)
            if distance < best_distance:
                best, best_distance = cluster, distance
        if best is None:
            cluster = Cluster(group[0].kind, value_mentions)
            cluster.reasons.extend(_frame_reasons(value_mentions))
            clusters.append(cluster)
        else:
            best.add(value_mentions)
    for cluster in clusters:
        cluster.reasons.extend(links.reasons_for(cluster.kind, cluster.heads()))
    return clusters


def _order_key(mention: Mention) -> tuple[str, str]:
    return (str(mention.day or ""), mention.article)


def _distance(cluster: Cluster, value: float | str) -> float:
    if isinstance(value, str):
        return 0.0
    values = [v for v in cluster.values() if isinstance(v, float | int)]
    return min((abs(math.log(max(abs(value), 1e-9) / max(abs(v), 1e-9))) for v in values),
               default=math.inf)  # fmt: skip


def _may_differ(cluster: Cluster, newcomers: list[Mention]) -> bool:
    """Whether a new value may be the same quantity as the cluster's other values."""
    value = newcomers[0].value_key
    stated_together = cluster.by_article()
    for mention in newcomers:
        if mention.cue or mention.period:
            continue
        present = stated_together.get(mention.article)
        if present and value not in present and not _converted(mention, cluster.mentions):
            return False  # one article states both: two quantities
    if isinstance(value, str):
        return True
    kind = newcomers[0].kind
    far = [
        other
        for other in cluster.values()
        if not isinstance(other, str) and not _plausibly_same(float(other), float(value), kind)
    ]
    return not far or _revised_between(cluster.mentions, newcomers)


def _converted(mention: Mention, others: Sequence[Mention]) -> bool:
    """ "€120 million (£103 million)": an amount the same sentence gives in another
    currency is one amount converted, not a second quantity stated beside it."""
    if mention.kind is not FigureKind.MONEY:
        return False
    unit = mention.fact.figure.unit
    return any(
        other.article == mention.article
        and other.fact.sentence_start == mention.fact.sentence_start
        and other.fact.figure.unit != unit
        for other in others
    )


def _may_join(first: Cluster, second: Cluster) -> bool:
    """Whether two clusters' values may be one quantity: no article states a value of
    each (unless it says one replaced the other), and values far apart were revised
    over time (the evidence of either whole cluster counts: "bringing the total to
    57" in one report is enough for the 59 its neighbour reported)."""
    for one, other in ((first, second), (second, first)):
        stated_together = one.by_article()
        for mention in other.mentions:
            if mention.cue or mention.period:
                continue
            present = stated_together.get(mention.article)
            if (
                present
                and mention.value_key not in present
                and not _converted(mention, one.mentions)
            ):
                return False
    numbers_a = [float(v) for v in first.values() if not isinstance(v, str)]
    numbers_b = [float(v) for v in second.values() if not isinstance(v, str)]
    kind = first.kind
    far = any(not _plausibly_same(a, b, kind) for a in numbers_a for b in numbers_b)
    return not far or _revised_between(first.mentions, second.mentions)


def _plausibly_same(a: float, b: float, kind: FigureKind) -> bool:
    """Two values one quantity may be given as: close, a scale slip ($13 billion for
    $13 trillion), or a dropped digit (56 million for 256 million)."""
    if a == b:
        return True
    low, high = sorted((abs(a), abs(b)))
    if low == 0:
        return False
    ratio = high / low
    if ratio <= (_CLOSE_PERCENT if kind is FigureKind.PERCENT else _CLOSE_RATIO):
        return True
    if kind is FigureKind.COUNT and high < 50 and (high - low <= 3 or ratio <= 1.25):
        return True  # "15 plaintiffs" against "twelve"
    slip = ratio / _SCALE_SLIP ** round(math.log(ratio, _SCALE_SLIP))
    if round(math.log(ratio, _SCALE_SLIP)) >= 1 and 0.9 <= slip <= 1.1:
        return True
    digits_low = _digits(low)
    digits_high = _digits(high)
    return len(digits_high) - len(digits_low) == 1 and digits_low in digits_high


def _digits(value: float) -> str:
    return f"{value:.6g}".replace(".", "").split("e")[0].strip("0")


def _revised_between(earlier: Sequence[Mention], later: Sequence[Mention]) -> bool:
    """A figure revised over time, however far it moved: the words say so ("rose to",
    "up from", "now"), or one source gave both values on different days, or every
    report of one value came before every report of the other, over at least three
    reports (a tally that outlets followed, not one stray figure) and, for a count
    of which nothing is said to have happened nor as of which day it stands, at
    least two on each side."""
    for mention in earlier:
        if mention.cue:
            return True
    for mention in later:
        if mention.cue:
            return True
    days_a: dict[str, dt.date] = {}
    for mention in earlier:
        if mention.day is not None:
            days_a[mention.source] = mention.day
    days_b: dict[str, dt.date] = {}
    for mention in later:
        if mention.day is not None:
            days_b[mention.source] = mention.day
    for source, day in days_b.items():
        if source in days_a and days_a[source] != day:
            return True
    if not days_a or not days_b:
        return False
    # "<=": a tally that moved within one day (a toll updated by the hour) is still
    # one tally; the values' ratio below keeps unrelated figures apart
    ordered = max(days_a.values()) <= min(days_b.values()) or max(days_b.values()) <= min(
        days_a.values()
    )
    if not (ordered and len(days_a) + len(days_b) >= 3):
        return False
    if (len(days_a) < 2 or len(days_b) < 2) and not any(
        m.event or m.fact.frame.as_of for m in (*earlier, *later)
    ):
        # "542 seats" one day and "406 seats" the day before: counts that say nothing
        # happened to them, nor as of which day they stand, are states, not a tally
        # that moved; one report on either side is not enough to call it a revision
        return False
    # Time alone does not make 207,528 pounds and 7 million pounds one tally. Each
    # value is compared with its nearest on the other side: a toll of 430 on the first
    # day does not keep out the 5,914 that followed a report of 3,688.
    before = sorted({abs(float(m.value)) for m in earlier if isinstance(m.value, float | int)})
    after = {abs(float(m.value)) for m in later if isinstance(m.value, float | int)}
    for value in after:
        at = bisect.bisect_left(before, value)
        for near in before[max(0, at - 1) : at + 1]:
            if min(near, value) > 0 and max(near, value) / min(near, value) <= _REVISION_RATIO:
                return True
    return False


def _frame_reasons(mentions: Sequence[Mention]) -> list[str]:
    words = Counter(m.fact.frame.words for m in mentions if m.fact.frame.words)
    if not words:
        return []
    text, _ = words.most_common(1)[0]
    return [f"same words: {text}"]


def _attach_by_value(clusters: list[Cluster], vocabulary: Vocabulary) -> None:
    """A key fact that states no more than another joins it when they share a value
    and nothing speaks against it: "the $150,000" with "$150,000 per work"."""
    for _ in range(3):
        by_value: dict[tuple[FigureKind, float | str], list[Cluster]] = {}
        for cluster in clusters:
            for value in cluster.values():
                by_value.setdefault((cluster.kind, value), []).append(cluster)
        merged = False
        for small in sorted(clusters, key=lambda c: (len(c.sources()), len(c.mentions))):
            if not small.alive:
                continue
            target = _home_by_value(small, by_value, vocabulary)
            if target is None:
                continue
            shared = sorted(small.values() & target.values(), key=str)
            text = next(m.fact.figure.text for m in small.mentions if m.value_key == shared[0])
            target.reasons.append(
                f"“{_phrase(small.mentions[0]) or small.mentions[0].fact.figure.text}” "
                f"gives the same {text}"
            )
            target.absorb(small)
            for value in small.values():
                homes = by_value.setdefault((small.kind, value), [])
                if target not in homes:
                    homes.append(target)
            merged = True
        clusters[:] = [c for c in clusters if c.alive]
        if not merged:
            return


def _home_by_value(
    small: Cluster,
    by_value: dict[tuple[FigureKind, float | str], list[Cluster]],
    vocabulary: Vocabulary,
) -> Cluster | None:
    candidates: list[Cluster] = []
    seen: set[int] = set()
    for value in small.values():
        for other in by_value.get((small.kind, value), ()):
            if other is small or not other.alive or id(other) in seen:
                continue
            seen.add(id(other))
            if len(other.sources()) < len(small.sources()):
                continue  # the smaller joins the larger, never the reverse
            if not _compatible(small.mentions, other.mentions, vocabulary, same_value=True):
                continue
            shared = small.values() & other.values()
            if not all(distinctive(small.kind, v) or _strong_frame(small, other) for v in shared):
                continue
            if small.values() - other.values() and not all(
                _may_differ(other, [m for m in small.mentions if m.value_key == v])
                for v in small.values() - other.values()
            ):
                continue
            candidates.append(other)
    if not candidates:
        return None
    candidates.sort(key=lambda c: (-_agreement(small, c), -len(c.sources())))
    if (
        len(candidates) > 1
        and _agreement(small, candidates[0]) == _agreement(small, candidates[1])
        and not _compatible(
            candidates[0].mentions, candidates[1].mentions, vocabulary, same_value=True
        )
    ):
        return None  # two equally good, different homes: the value cannot choose
    return candidates[0]


def _strong_frame(first: Cluster, second: Cluster) -> bool:
    """The same event, noun or per unit on both sides: enough to let a common value
    join ("$3,000 per work" and "$3,000 for each book", once works and books are one)."""
    return (
        bool(first.events() & second.events())
        or bool(first.heads() & second.heads())
        or bool(first.stated("per") & second.stated("per"))
    )


def _agreement(first: Cluster, second: Cluster) -> int:
    """How many parts of their frames two clusters share."""
    score = len(first.heads() & second.heads()) * 2 + len(first.events() & second.events()) * 2
    for name in _QUALIFIERS:
        score += len(first.stated(name) & second.stated(name))
    return score


_STRICT_QUALIFIERS = (
    "owner", "per", "scope", "modality", "period", "aspect", "basis", "when", "context", "unit",
)  # fmt: skip


def _merge_differing_values(
    clusters: list[Cluster], links: _HeadLinks, vocabulary: Vocabulary
) -> None:
    """Key facts whose values differ become one when everything else about them agrees:
    the same qualifiers, the same noun (or one says no noun and both the same event),
    no article stating both values, and values one quantity can be given as (close,
    a scale slip, a dropped digit, or a revision over days). The closest pairs first;
    only clusters that share a noun or an event are compared."""
    for _ in range(3):
        blocks: dict[tuple[FigureKind, str], list[Cluster]] = {}
        for cluster in clusters:
            keys = {("h", links.root(cluster.kind, h)[1]) for h in cluster.heads()}
            keys |= {("e", e) for e in cluster.events()}
            # close values too: one may say only its noun, the other only its event
            for value in cluster.values():
                if isinstance(value, float | int) and value > 0:
                    bucket = int(math.log10(value) * 20)
                    keys |= {("v", str(bucket)), ("v", str(bucket + 1))}
            for key in keys:
                blocks.setdefault((cluster.kind, "".join(key)), []).append(cluster)
        pairs: dict[tuple[int, int], tuple[Cluster, Cluster]] = {}
        for members in blocks.values():
            if len(members) > 200:
                members = sorted(members, key=lambda c: -len(c.mentions))[:200]
            for i, first in enumerate(members):
                for second in members[i + 1 :]:
                    pair = (min(id(first), id(second)), max(id(first), id(second)))
                    pairs.setdefault(pair, (first, second))
        scored = []
        for first, second in pairs.values():
            if first.values() & second.values():
                continue
            score = _sameness(first, second, links, vocabulary)
            if score is not None:
                scored.append((score, first, second))
        scored.sort(key=lambda item: -item[0])
        merged = False
        for _score, first, second in scored:
            if not (first.alive and second.alive):
                continue
            if _sameness(first, second, links, vocabulary) is None:
                continue  # one of them grew since it was scored
            keep, gone = (first, second) if len(first.mentions) >= len(second.mentions) else (
                second, first)  # fmt: skip
            keep.absorb(gone)
            keep.reasons.append(_difference_reason(keep))
            merged = True
        clusters[:] = [c for c in clusters if c.alive]
        if not merged:
            return


def _sameness(
    first: Cluster, second: Cluster, links: _HeadLinks, vocabulary: Vocabulary
) -> float | None:
    """How sure two clusters with different values are one quantity; None if not."""
    unstated = False
    for name in _STRICT_QUALIFIERS:
        if name == "owner" and first.kind is FigureKind.DATE:
            continue  # an event's date is its own, whoever is named
        if first.stated(name) != second.stated(name):
            # whose it is, or the year it is of ("2.2% in 2025"), which one side leaves
            # unsaid: close values may still be one quantity
            if name in ("owner", "when") and not (first.stated(name) and second.stated(name)):
                unstated = True
                continue
            return None
    if unstated and not _near(first, second):
        return None
    heads_a = {links.root(first.kind, h)[1] for h in first.heads()}
    heads_b = {links.root(second.kind, h)[1] for h in second.heads()}
    events_a, events_b = first.events(), second.events()
    known_a = {e for e in events_a if not e.startswith("~")}
    known_b = {e for e in events_b if not e.startswith("~")}
    if known_a and known_b and not (known_a & known_b):
        return None  # two stated events of different classes
    if any(vocabulary.contrasting(x, y) for x in known_a for y in known_b):
        return None
    same_head = bool(heads_a & heads_b)
    same_event = bool(known_a & known_b) or bool(events_a & events_b)
    if heads_a and heads_b and not same_head:
        return None
    if not (same_head or (same_event and (not heads_a or not heads_b))):
        # one says only what it is ("damages"), the other only what happened to it
        # ("sought"): close values may still be one quantity
        complementary = (heads_a and not heads_b and known_b and not known_a) or (
            heads_b and not heads_a and known_a and not known_b
        )
        if not complementary or not _near(first, second):
            return None
    # "data-center revenue" and "revenue" are two quantities (modifiers of the same
    # noun are compared; "union members" and "voting workers" are other nouns)
    for word in first.heads() & second.heads():
        mods_a = {m.modifier for m in first.mentions if m.head == word}
        mods_b = {m.modifier for m in second.mentions if m.head == word}
        if not (mods_a & mods_b) and not _modifiers_overlap(mods_a, mods_b):
            return None
    if not _may_join(first, second):
        return None
    distance = min(
        (_distance(first, v) for v in second.values() if not isinstance(v, str)), default=0.0
    )
    return (2.0 if same_head else 0.0) + (1.0 if same_event else 0.0) - distance


def _modifiers_overlap(first: set[str], second: set[str]) -> bool:
    """ "deli meat" and "impacted ready-to-eat deli meat": modifiers that share a word
    may name one thing; "data-center revenue" and "revenue" share none."""
    words_a = {w for mods in first for w in mods.split()}
    words_b = {w for mods in second for w in mods.split()}
    return bool(words_a & words_b)


def _near(first: Cluster, second: Cluster) -> bool:
    """Every value of one within 5% of a value of the other."""
    numbers_a = [float(v) for v in first.values() if not isinstance(v, str)]
    numbers_b = [float(v) for v in second.values() if not isinstance(v, str)]
    if not numbers_a or not numbers_b:
        return False
    return all(any(abs(a - b) <= 0.05 * max(abs(a), abs(b)) for b in numbers_b) for a in numbers_a)


def _difference_reason(cluster: Cluster) -> str:
    values = sorted({m.fact.figure.text for m in cluster.mentions})
    return "the same frame with other values: " + ", ".join(f"“{v}”" for v in values[:4])


def _attach_loose(clusters: list[Cluster], loose: list[Mention]) -> None:
    """A figure that says nothing of what it measures joins the key fact of its kind
    that states its exact value (of several, the one most sources state it in), or
    is left out."""
    for mention in loose:
        if not distinctive(mention.kind, mention.value) and not mention.cue:
            continue  # a bare "57" says too little, unless "bringing the total to 57"
        homes = [c for c in clusters if c.kind is mention.kind and mention.value_key in c.values()]
        if len(homes) == 1 or (len(homes) > 1 and distinctive(mention.kind, mention.value)):
            home = max(homes, key=lambda c: _sources_stating(c, mention.value_key))
            home.add([mention])


def _sources_stating(cluster: Cluster, value: float | str) -> int:
    return len({m.source for m in cluster.mentions if m.value_key == value})
