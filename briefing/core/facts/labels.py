"""Labels a person can read, built from the frames of a key fact's figures:
"Windows devices affected", "Delta: cost", "Damages sought per work",
"Share of the vote", "Lawsuit filed".

A part of the frame goes into the label only when most of the fact's articles state
it: one article's "(forecast)" or owner does not name a fact that ten others state
without it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from briefing.core import lexicon
from briefing.core.models import FigureKind

from .merge import Mention
from .vocabulary import Vocabulary

__all__ = ["label_for"]

_SCOPE_WORDS = {
    "world": "worldwide",
    "domestic": "domestic",
    "insured": "insured",
    "uninsured": "uninsured",
    "economic": "economic",
    "direct": "direct",
    "indirect": "indirect",
    "us": "US",
    "uk": "UK",
    "europe": "Europe",
    "china": "China",
    "online": "online",
    "instore": "in stores",
    "adjusted": "adjusted",
    "reported": "GAAP",
    "net": "net",
    "gross": "gross",
    "operating": "operating",
    "annual": "yearly",
    "quarterly": "quarterly",
    "monthly": "monthly",
    "weekly": "weekly",
}
_WHEN_WORDS = {
    "q1": "first quarter",
    "q2": "second quarter",
    "q3": "third quarter",
    "q4": "fourth quarter",
    "h1": "first half",
    "h2": "second half",
    "full_year": "full year",
}
_BASIS_WORDS = {"year": "year on year", "quarter": "quarter on quarter", "month": "month on month",
                "week": "week on week"}  # fmt: skip
_MONEY_EVENT_NOUNS = {
    "cost": "Cost",
    "valued": "Valuation",
    "lost": "Loss",
    "paid": "Amount paid",
    "raised": "Amount raised",
    "settled": "Settlement",
    "fined": "Fine",
    "awarded": "Award",
    "offered": "Offer",
    "acquired": "Price",
    "sought": "Amount sought",
    "invested": "Investment",
    "spent": "Spending",
    "earned": "Earnings",
    "borrowed": "Borrowing",
}
_CASUALTIES = frozenset(
    {"killed", "injured", "hospitalized", "sickened", "missing", "displaced", "evacuated",
     "rescued", "arrested"}
)  # fmt: skip
_MAJORITY = 0.5


def label_for(mentions: Sequence[Mention], vocabulary: Vocabulary) -> str:
    kind = mentions[0].kind
    stated = _Majority(mentions)
    # an owner read as a place ("Syria's toll": the toll in Syria) is no owner here
    owner = stated.value(lambda m: m.fact.frame.owner_text if m.owner else "")
    head = stated.plurality(lambda m: m.head if m.head not in vocabulary.money_defaults else "")
    event = stated.value(lambda m: m.event, share=1 / 3)
    phrase = _event_noun_phrase(
        mentions, event, vocabulary, stated, any_event=kind is FigureKind.DATE
    )
    phrase = phrase or _phrase(mentions, head)
    if owner and phrase.lower().endswith(" " + owner.lower()):
        # "AI chip maker Nvidia" under "Nvidia:" describes whose it is, not what
        phrase = ""
    participle = _participle(event, mentions, vocabulary)
    if (
        participle
        and phrase
        and (
            (_phrase_event(phrase, vocabulary) == event and kind is not FigureKind.DATE)
            or _same_stem(phrase, mentions)
        )
    ):
        # "Settlement", not "Settlement settled"; "Raise", not "Raise raised"; but
        # "Complaint filed"
        participle = ""
    if kind is FigureKind.MONEY:
        if phrase:
            text = _capital(phrase) + (f" {participle}" if participle else "")
        else:
            text = _MONEY_EVENT_NOUNS.get(event) or (
                f"Amount {participle}" if participle else "Amount"
            )
    elif kind is FigureKind.PERCENT:
        aspect = stated.value(lambda m: m.aspect)
        if aspect == "share" and phrase.lower().endswith("share"):
            text = _capital(phrase)  # "Vote share", not "Share of the vote share"
        elif aspect == "share":
            text = f"Share of {_with_article(phrase)}" if phrase else "Share"
        elif aspect == "change":
            text = f"Change in {phrase}" if phrase else "Change"
        else:
            text = _capital(phrase) if phrase else "Percentage"
        if participle and (phrase or aspect == "share"):
            text = f"{text} {participle}"
    elif kind is FigureKind.SIZE:
        text = f"{_capital(phrase or 'data')}{' ' + participle if participle else ''} (size)"
    elif kind is FigureKind.DATE:
        if phrase:
            text = _capital(phrase) + (f" {participle}" if participle else "")
        else:
            text = _capital(participle or "event")
    elif phrase:
        text = _capital(phrase) + (f" {participle}" if participle else "")
    elif participle:
        text = f"People {participle}" if event in _CASUALTIES else _capital(participle)
    else:
        text = "Count"
    text = _words_once(_with_qualifiers(text, stated, kind))
    if owner:
        text = f"{owner}: {text if _keeps_capital(text) else text[0].lower() + text[1:]}"
    return vocabulary.labels.get(text.lower(), text)


class _Majority:
    """What most of a fact's articles state (an article repeating itself counts once)."""

    def __init__(self, mentions: Sequence[Mention]) -> None:
        self.mentions = mentions
        self.articles = len({m.article for m in mentions}) or 1

    def votes(self, read: Callable[[Mention], str]) -> Counter[str]:
        # each (article, value) once, in the order first stated: ties go to the
        # value stated first
        pairs = dict.fromkeys((mention.article, read(mention)) for mention in self.mentions)
        return Counter(value for _article, value in pairs if value)

    def value(self, read: Callable[[Mention], str], share: float = _MAJORITY) -> str:
        """The most common value when at least ``share`` of the articles state it."""
        votes = self.votes(read)
        if not votes:
            return ""
        value, count = votes.most_common(1)[0]
        return value if count >= share * self.articles else ""

    def plurality(self, read: Callable[[Mention], str]) -> str:
        votes = self.votes(read)
        return votes.most_common(1)[0][0] if votes else ""


def _phrase(mentions: Sequence[Mention], head: str) -> str:
    """The noun phrase the articles write most for the fact's noun ('' for none)."""
    if not head:
        return ""
    counts: Counter[str] = Counter()
    for mention in mentions:
        if mention.head != head:
            continue
        frame = mention.fact.frame
        if frame.context and head != frame.head:
            counts[head] += 1  # "metadata for 256 million tracks" counts metadata
        elif frame.phrase:
            counts[_normal_phrase(frame.phrase)] += 1
    if not counts:
        return ""
    return counts.most_common(1)[0][0]


def _event_noun_phrase(
    mentions: Sequence[Mention],
    event: str,
    vocabulary: Vocabulary,
    stated: _Majority,
    *,
    any_event: bool = False,
) -> str:
    """The noun the articles name the event with ("complaint", "deaths", "claim"),
    when a third of them do: it says more than any other noun in the sentences. For
    a date, a noun of any event will do ("the complaint was unsealed")."""
    if not event:
        return ""

    def read(mention: Mention) -> str:
        frame = mention.fact.frame
        if not (frame.head and frame.phrase):
            return ""
        named = _phrase_event(frame.phrase, vocabulary)
        if named == event or (any_event and named):
            return _normal_phrase(frame.phrase)
        return ""

    votes = stated.votes(read)
    if not votes or sum(votes.values()) < stated.articles / 3:
        return ""
    # the event's own noun first, then the most stated, then A to Z: never by chance
    return min(votes, key=lambda p: (_phrase_event(p, vocabulary) != event, -votes[p], p))


def _same_stem(phrase: str, mentions: Sequence[Mention]) -> bool:
    """'settlement' and 'settle': the noun already says the verb."""
    noun = lexicon.lemma(phrase.split()[-1].lower())
    verbs = {m.fact.frame.event for m in mentions if m.fact.frame.event}
    return any(len(v) >= 4 and noun.startswith(v[:4]) for v in verbs)


def _normal_phrase(phrase: str) -> str:
    """Lower case, except names and acronyms: 'Windows devices', 'EPS'."""
    words = phrase.split()
    out = []
    for index, word in enumerate(words):
        name_like = word[:1].isupper() and (index > 0 or word.isupper() or len(words) > 1)
        out.append(word if (name_like and not word.istitle()) or (index > 0 and name_like)
                   else word.lower())  # fmt: skip
    return " ".join(out)


def _keeps_capital(text: str) -> bool:
    first = text.split()[0] if text.split() else ""
    return len(first) > 1 and first.isupper()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _with_article(phrase: str) -> str:
    """'the vote', but 'listening' and 'listens' as they are."""
    first = phrase.split()[0].lower()
    if first in ("the", "a", "an") or phrase.endswith(("ing", "s")):
        return phrase
    return f"the {phrase}"


def _phrase_event(phrase: str, vocabulary: Vocabulary) -> str:
    words = [lexicon.lemma(w.lower()) for w in phrase.split()]
    return vocabulary.event_class(" ".join(words[-2:]), noun=True) or vocabulary.event_class(
        words[-1], noun=True
    )


def _participle(event: str, mentions: Sequence[Mention], vocabulary: Vocabulary) -> str:
    """The event as a participle: the class's own ('killed'), else how the articles
    write the verb when that is a past form ('crashed'), else nothing."""
    if not event:
        return ""
    found = vocabulary.events.get(event)
    if found is not None:
        return found.label
    written: Counter[str] = Counter()
    for mention in mentions:
        if mention.event != event:
            continue
        text = mention.fact.frame.event_text.lower()
        if text.endswith(("ed", "en", "wn")) or (
            text != lexicon.lemma(text, lexicon.VERB) and not text.endswith(("ing", "s"))
        ):
            written[text] += 1
    return written.most_common(1)[0][0] if written else ""


def _with_qualifiers(text: str, stated: _Majority, kind: FigureKind) -> str:
    per = stated.value(lambda m: m.fact.frame.per if m.per else "")  # as written
    scope = stated.value(lambda m: m.scope)
    modality = stated.value(lambda m: m.modality)
    period = stated.value(lambda m: m.period)
    when = stated.value(lambda m: m.when)
    basis = stated.value(lambda m: m.basis)
    context = stated.value(lambda m: m.context)
    unit = stated.value(lambda m: m.unit)
    aspect = stated.value(lambda m: m.aspect)
    lower = text.lower()
    if context and context not in lower and not context.startswith("to "):
        text = f"{text} ({context})"
    if context.startswith("to "):
        text = f"{text} {context}"
    if unit and kind is FigureKind.COUNT and unit not in lower:
        text = f"{text} (in {unit}s)"
    if per:
        text = f"{text} {'each' if per == 'each' else 'per ' + per}"
    if scope and kind is not FigureKind.DATE:
        if scope.startswith("place:"):
            text = f"{text} in {_place_title(scope[6:])}"
        else:
            word = _SCOPE_WORDS.get(scope, scope)
            if word.lower() in lower:
                pass
            elif word[:1].islower():
                text = f"{_capital(word)} {text[0].lower() + text[1:]}"
            else:
                text = f"{text} ({word})"
    if when:
        text = f"{text}, {_WHEN_WORDS.get(when, when)}"
    if basis and kind is FigureKind.PERCENT:
        text = f"{text}, {_BASIS_WORDS.get(basis, basis)}"
    if aspect == "increment" and "additional" not in lower:
        text = f"{text} (added)"
    if modality and modality not in lower:
        text = f"{text} ({modality})"  # not "Actual fee (actual)"
    if period == "prior":
        text = f"{text} (earlier period)"
    elif period == "future":
        text = f"{text} (to come)"
    return text


def _place_title(place: str) -> str:
    """ "turkey and syria" -> "Turkey and Syria"; "bosnia and herzegovina" too."""
    return " ".join(w if w in ("and", "of", "the", "&") else w[:1].upper() + w[1:]
                    for w in place.split())  # fmt: skip


def _words_once(text: str) -> str:
    """ "Adjusted earnings adjusted per share" -> "Adjusted earnings per share": a word
    the label's name already says is not said again before its first comma or bracket
    ("year on year" after a comma is a phrase of its own)."""
    cut = min((at for at in (text.find(" ("), text.find(",")) if at >= 0), default=len(text))
    name, rest = text[:cut], text[cut:]
    seen: set[str] = set()
    kept: list[str] = []
    for word in name.split(" "):
        key = word.lower()
        if key in seen and key.isalpha() and len(key) > 3:
            continue
        seen.add(key)
        kept.append(word)
    return " ".join(kept) + rest
