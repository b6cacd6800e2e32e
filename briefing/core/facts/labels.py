"""Labels a person can read, built from the frames of a key fact's figures:
"Windows devices affected", "Delta: cost", "Damages sought per work",
"Share of the vote", "Lawsuit filed"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

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
_MODALITY_WORDS = {
    "maximum": "maximum",
    "minimum": "minimum",
    "potential": "potential",
    "forecast": "forecast",
    "actual": "actual",
}
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
}


def label_for(mentions: Sequence[Mention], vocabulary: Vocabulary) -> str:
    kind = mentions[0].kind
    owner = _most_common(m.fact.frame.owner_text for m in mentions)
    phrase = _phrase(mentions)
    event = _most_common(m.event for m in mentions)
    participle = _participle(event, mentions, vocabulary)
    phrase_event = _phrase_event(phrase, vocabulary)
    if phrase_event and phrase_event == event:
        participle = ""  # "Settlement", not "Settlement settled"
    if kind is FigureKind.MONEY:
        if not phrase:
            text = _MONEY_EVENT_NOUNS.get(event, f"Amount {participle}".strip() if participle else "")
            participle = ""
        else:
            text = _capital(phrase)
        text = f"{text} {participle}".strip() if participle else text
    elif kind is FigureKind.PERCENT:
        aspect = _most_common(m.aspect for m in mentions)
        noun = phrase or (participle and f"{participle}") or ""
        if aspect == "share":
            text = f"Share of {_with_article(phrase)}" if phrase else "Share"
            if participle and phrase:
                text = f"{text} {participle}"
        elif aspect == "change":
            text = f"Change in {phrase}" if phrase else f"Change ({participle})" if participle else "Change"
        else:
            text = _capital(noun) if noun else "Percentage"
            if participle and phrase:
                text = f"{text} {participle}"
    elif kind is FigureKind.SIZE:
        text = f"{_capital(phrase or 'data')} (size)"
        if participle:
            text = f"{_capital(phrase or 'data')} {participle} (size)"
    elif kind is FigureKind.DATE:
        if phrase and participle:
            text = f"{_capital(phrase)} {participle}"
        elif phrase:
            text = _capital(phrase)
        else:
            text = _capital(participle or "event")
    else:
        if phrase and participle:
            text = f"{_capital(phrase)} {participle}"
        elif phrase:
            text = _capital(phrase)
        elif participle:
            text = f"People {participle}" if event in ("killed", "injured", "missing", "displaced",
                                                       "evacuated", "rescued", "arrested") else (
                _capital(participle))  # fmt: skip
        else:
            text = "Count"
    text = _with_qualifiers(text or "Amount", mentions)
    if owner:
        text = f"{owner}: {text[0].lower() + text[1:] if not _keeps_capital(text) else text}"
    return vocabulary.labels.get(text.lower(), text)


def _most_common(values: object) -> str:
    counts = Counter(v for v in values if v)  # type: ignore[attr-defined]
    if not counts:
        return ""
    return str(counts.most_common(1)[0][0])


def _phrase(mentions: Sequence[Mention]) -> str:
    """The noun phrase most mentions write, in lower case unless it is a name."""
    counts: Counter[str] = Counter()
    for mention in mentions:
        phrase = mention.fact.frame.phrase
        if phrase:
            counts[_normal_phrase(phrase)] += 1
    if not counts:
        return ""
    return counts.most_common(1)[0][0]


def _normal_phrase(phrase: str) -> str:
    words = phrase.split()
    out = []
    for word in words:
        keep = word[:1].isupper() and (word[1:].islower() is False or word.isupper())
        out.append(word if keep or (word[:1].isupper() and word not in words[:1]) else word.lower())
    return " ".join(out)


def _keeps_capital(text: str) -> bool:
    first = text.split()[0] if text.split() else ""
    return len(first) > 1 and first.isupper()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _with_article(phrase: str) -> str:
    return phrase if phrase.split()[0].lower() in ("the", "a", "an") else f"the {phrase}"


def _phrase_event(phrase: str, vocabulary: Vocabulary) -> str:
    if not phrase:
        return ""
    words = [lexicon.lemma(w.lower()) for w in phrase.split()]
    return vocabulary.event_class(" ".join(words[-2:])) or vocabulary.event_class(words[-1])


def _participle(event: str, mentions: Sequence[Mention], vocabulary: Vocabulary) -> str:
    """The event as a participle: the class's own ('killed'), else how the articles
    write the verb when that is a past form ('crashed'), else a regular one."""
    if not event:
        return ""
    found = vocabulary.events.get(event)
    if found is not None:
        return found.label
    lemma = event[1:] if event.startswith("~") else event
    written = Counter(
        m.fact.frame.event_text.lower()
        for m in mentions
        if m.event == event and m.fact.frame.event_text.lower().endswith(("ed", "en", "wn", "t"))
    )
    if written:
        return written.most_common(1)[0][0]
    if lemma.endswith("e"):
        return lemma + "d"
    return lemma + "ed"


def _with_qualifiers(text: str, mentions: Sequence[Mention]) -> str:
    per = _most_common(m.per for m in mentions)
    scope = _most_common(m.scope for m in mentions)
    modality = _most_common(m.modality for m in mentions)
    period = _most_common(m.period for m in mentions)
    unit = _most_common(m.unit for m in mentions)
    context = _most_common(m.context for m in mentions)
    if context and context not in text.lower():
        text = f"{text} ({context})"
    if unit and mentions[0].kind is FigureKind.COUNT:
        text = f"{text} ({lexicon.lemma(unit)}s)" if not unit.endswith("s") else f"{text} ({unit})"
    if per:
        text = f"{text} {'each' if per == 'each' else 'per ' + per}"
    if scope:
        if scope.startswith("place:"):
            text = f"{text} in {scope[6:].title()}"
        else:
            word = _SCOPE_WORDS.get(scope, scope)
            if word.lower() in text.lower():
                pass
            elif word[:1].islower():
                text = f"{_capital(word)} {text[0].lower() + text[1:]}"
            else:
                text = f"{text} ({word})"
    if modality:
        text = f"{text} ({_MODALITY_WORDS.get(modality, modality)})"
    if period == "prior":
        text = f"{text} (earlier period)"
    elif period == "future":
        text = f"{text} (to come)"
    return text
