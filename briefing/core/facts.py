"""Key facts: figures with a subject, merged across articles, with disagreements shown.

A *fact* is one figure in one article plus what it measures (its subject): the
counted thing and what was done to it ("music files scraped"), what money is for
("damages sought" versus "damages awarded"), or the event a date belongs to
("lawsuit filed", "complaint unsealed"). Facts with the same subject and kind merge
into one ``KeyFact`` whose values each say who states them and where (article id and
sentence span), and whose status says whether the sources agree.

Subjects come from small, readable rules over the words near the figure, not from a
statistical model: the result has to be explainable line by line in the UI.

Extraction is cached per article under a key of the article's content hash and
``EXTRACTOR_VERSION`` (bump it whenever extraction output changes), so a refresh only
re-reads articles that changed. Cached values are plain JSON-able dicts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

from .figures import find_figures, written_precision
from .models import Article, Briefing, FactValue, Figure, FigureKind, KeyFact, TimelineEvent
from .textclean import article_plain_text

__all__ = [
    "EXTRACTOR_VERSION",
    "Fact",
    "FactCache",
    "build_briefing",
    "build_timeline",
    "extract_facts",
    "fact_articles",
    "fact_cache_key",
    "fact_from_dict",
    "fact_to_dict",
    "merge_facts",
]


def _word_set(words: str) -> frozenset[str]:
    """A readable word list: whitespace-separated words in one string."""
    return frozenset(words.split())


EXTRACTOR_VERSION = "facts-1"
"""Part of every cache key: bump when extraction output changes."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One figure in one article, with its subject and the sentence that states it."""

    figure: Figure
    subject_key: str
    """What the figure measures, canonical: 'music-files/scraped', 'damages-sought'."""
    label: str
    """The subject for people: 'Music files scraped', 'Damages sought'."""
    sentence: str
    sentence_start: int
    sentence_end: int
    """The sentence's span in ``article_plain_text(title, body_html)``."""
    article_id: str
    source: str
    published: str | None


class FactCache(Protocol):
    """Where per-article facts are kept between runs (the store implements it)."""

    def load_facts(self, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]: ...

    def save_facts(self, entries: Mapping[str, list[dict[str, Any]]]) -> None: ...


# --------------------------------------------------------------------------- sentences

_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+|\n\s*")
_WORD_BEFORE_DOT = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_ABBREVIATIONS = _word_set(
    """
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    mr mrs ms dr prof st no nos inc corp co ltd llc plc vs v u.s u.k e.g i.e approx gov sen rep
    jr sr etc al fig gen lt col sgt capt est dept univ ave
    """
)


def _sentence_bounds(text: str) -> list[tuple[int, int]]:
    """Half-open sentence spans, whitespace trimmed. Titles and paragraphs end sentences."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        punct = match.group()
        if punct[0] == ".":
            before = _WORD_BEFORE_DOT.search(text, max(0, match.start() - 12), match.start())
            if before is not None:
                word = before.group(1).lower()
                if word in _ABBREVIATIONS or (len(word) == 1 and before.group(1).isupper()):
                    continue
            following = text[match.end() : match.end() + 1]
            if following.islower():
                continue
        end = match.start() + len(punct.rstrip())
        if punct[0] == "\n":
            end = match.start()
        _add_sentence(text, bounds, start, end)
        start = match.end()
    _add_sentence(text, bounds, start, len(text))
    return bounds


def _add_sentence(text: str, bounds: list[tuple[int, int]], start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        bounds.append((start, end))


# --------------------------------------------------------------------------- vocabulary


class _Concept(NamedTuple):
    key: str
    label: str


_DATA_CONCEPT = _Concept("data", "Data")

# Counted nouns that mean the same thing in news about media and data, keyed by word.
# Checked in order: the first rule whose word appears in the counted phrase wins.
_CONCEPT_RULES: tuple[tuple[frozenset[str], _Concept], ...] = (
    (frozenset({"metadata"}), _Concept("metadata-rows", "Metadata rows")),
    (frozenset({"torrent", "torrents"}), _Concept("torrents", "Torrents")),
    (
        frozenset({"label", "labels", "majors", "record companies"}),
        _Concept("record-labels", "Record labels"),
    ),
    (frozenset({"album", "albums"}), _Concept("albums", "Albums")),
    (frozenset({"artist", "artists", "musicians"}), _Concept("artists", "Artists")),
    (
        frozenset({"listens", "streams", "plays", "listening"}),
        _Concept("listens", "Listens"),
    ),
    (
        frozenset(
            {
                "file",
                "files",
                "track",
                "tracks",
                "song",
                "songs",
                "recording",
                "recordings",
                "mp3s",
                "mp3",
                "audio",
            }
        ),
        _Concept("music-files", "Music files"),
    ),
    (
        frozenset({"user", "users", "subscribers", "listeners", "accounts"}),
        _Concept("users", "Users"),
    ),
    (frozenset({"work", "works"}), _Concept("works", "Works")),
    (frozenset({"book", "books"}), _Concept("books", "Books")),
    (frozenset({"paper", "papers", "articles"}), _Concept("papers", "Papers")),
)
# Things that get scraped, released or removed; other counts ("three labels") never
# take an action from a nearby verb.
_ACTION_CONCEPTS = frozenset(
    {"metadata-rows", "torrents", "albums", "music-files", "works", "books", "papers", "data"}
)
# Rows/records/entries are metadata when the sentence says so.
_RECORD_WORDS = frozenset({"row", "rows", "record", "records", "entry", "entries"})

# Counts that are never worth a key fact: "two people familiar with the matter".
_TRIVIAL_NOUNS = _word_set(
    """
    people person persons source sources way ways thing things reason reasons side sides
    other others time times word words question questions point points step steps example
    examples line lines page pages paragraph paragraphs sentence sentences character
    characters day days week weeks month months year years lawyer lawyers attorney attorneys
    judge judges reporter reporters occasion occasions
    """
)

_ACTION_LABELS = {
    "scraped": "scraped",
    "released": "released",
    "planned": "planned for release",
    "removed": "removed",
}
_ACTION_CUES = re.compile(
    r"(?P<planned>\b(?:plan(?:s|ned)?|intend(?:s|ed)?|promis(?:e|es|ed)|threaten(?:s|ed)?"
    r"|vow(?:s|ed)?|aim(?:s|ed)?|would|will|set|prepar(?:es|ed|ing)|going|hopes?|wants?)"
    r"\s+to\s+(?:(?:also|eventually|later|soon)\s+)?(?:release|publish|share|distribute|make"
    r"|put|upload|leak))"
    r"|(?P<released>\b(?:releas(?:e|ed|es|ing)|publish(?:ed|es|ing)?|shared|distribut(?:e|ed"
    r"|es|ing)|leak(?:ed|s|ing)?|made\s+available|mak(?:e|es|ing)\s+available|post(?:ed|ing)"
    r"|upload(?:ed|ing)|seed(?:ed|ing)|put\s+online|dump(?:ed|ing)?)\b)"
    r"|(?P<removed>\b(?:remov(?:ed|ing)|delet(?:ed|ing)|taken\s+down|took\s+down)\b)"
    r"|(?P<scraped>\b(?:scrap(?:e|ed|es|ing)|cop(?:ied|ying|y)|ripp(?:ed|ing)|download(?:ed|ing)"
    r"|harvest(?:ed|ing)?|obtain(?:ed|ing)|collect(?:ed|ing)|archiv(?:ed|ing)|back(?:ed|ing)?"
    r"\s+up|backup|mirror(?:ed|ing)|grabb(?:ed|ing)|siphon(?:ed|ing)|exfiltrat\w*|acquir(?:ed"
    r"|ing)|hoard(?:ed|ing)?|haul|st(?:ole|olen)|took|taken|accessed|pulled|extracted)\b)",
    re.IGNORECASE,
)

_DATE_EVENTS: dict[str, tuple[str, str]] = {
    # cue group -> (subject key, label)
    "unsealed": ("complaint-unsealed", "Complaint unsealed"),
    "undersealed": ("lawsuit-filed", "Lawsuit filed"),
    "filed": ("lawsuit-filed", "Lawsuit filed"),
    "suit": ("lawsuit-filed", "Lawsuit filed"),
    "injunction": ("injunction", "Injunction issued"),
    "judgment": ("judgment", "Judgment"),
    "hearing": ("hearing", "Hearing"),
    "deadline": ("response-due", "Response due"),
    "settlement": ("settlement", "Settlement"),
    "appeal": ("appeal", "Appeal filed"),
    "takedown": ("site-taken-down", "Site taken down"),
    "announced": ("announced", "Announced"),
    "released": ("released", "Released"),
    "scraped": ("scraped", "Data scraped"),
}
# Nouns are weaker cues than verbs: "the complaint, unsealed Jan. 16" is about unsealing.
_WEAK_DATE_CUES = frozenset({"suit", "hearing", "settlement", "deadline"})
_DATE_CUES = re.compile(
    r"(?P<unsealed>\bunseal(?:ed|ing|s)?\b|\bmade\s+public\b)"
    r"|(?P<undersealed>\bunder\s+seal\b)"
    r"|(?P<filed>\b(?:filed|files|filing|sued|sues|suing|brought|lodged|launched|initiated)\b)"
    r"|(?P<suit>\b(?:lawsuit|suit|complaint|legal\s+action)\b)"
    r"|(?P<injunction>\b(?:injunction|restraining\s+order|TRO|enjoin(?:ed|ing)?)\b)"
    r"|(?P<judgment>\b(?:judgm?ents?|ruled|ruling|verdict)\b)"
    r"|(?P<hearing>\b(?:hearings?|trial|oral\s+arguments?)\b)"
    r"|(?P<deadline>\b(?:deadline|respond|response\s+is\s+due|due\s+to\s+(?:answer|respond))\b)"
    r"|(?P<settlement>\bsettle(?:d|ment)?\b)"
    r"|(?P<appeal>\bappeal(?:s|ed)?\b)"
    r"|(?P<takedown>\b(?:shut\s+down|taken\s+(?:down|offline)|took\s+(?:down|offline)|seized"
    r"|suspended|went\s+(?:offline|dark)|blocked)\b)"
    r"|(?P<announced>\b(?:announc(?:e|ed|es|ing|ement)|blog\s+post|revealed|disclosed"
    r"|unveiled)\b)"
    r"|(?P<released>\b(?:releas(?:e|ed|es|ing)|publish(?:ed|es|ing)?|posted|uploaded|leaked"
    r"|made\s+available)\b)"
    r"|(?P<scraped>\b(?:scrap(?:e|ed|es|ing)|backed\s+up|backup|copied|ripped|downloaded)\b)",
    re.IGNORECASE,
)

_MONEY_CUES = re.compile(
    r"(?P<awarded>\b(?:award(?:s|ed|ing)?|verdict|ordered\s+(?:\w+\s+){0,4}to\s+pay"
    r"|must\s+pay|granted|won|judgm?ent\s+(?:of|for))\b)"
    r"|(?P<settlement>\bsettle(?:d|ment|ments)?\b)"
    r"|(?P<fine>\bfin(?:e|ed|es)\b)"
    r"|(?P<fees>\b(?:legal|attorneys?'?|lawyers?'?)\s+(?:fees|costs)\b)"
    r"|(?P<sought>\b(?:damages|seek(?:s|ing)?|sought|demand(?:s|ed|ing)?|claim(?:s|ed|ing)?"
    r"|compensation|penalt(?:y|ies)|liab(?:le|ility)|exposure|owe[sd]?|on\s+the\s+hook"
    r"|could\s+face|faces?|asking|ask(?:s|ed)?\s+for|total(?:s|ed|ing|ling)?|sum)\b)",
    re.IGNORECASE,
)
_DAMAGES_CONTEXT = re.compile(
    r"\b(?:damages|statutory|lawsuit|suit|sue[sd]?|suing|complaint|infring\w*|copyright|court"
    r"|penalt(?:y|ies)|liab\w*|willful)\b",
    re.IGNORECASE,
)
_PER_UNIT = re.compile(
    r"\s{0,3}(?:(?:per|for\s+each|for\s+every|each|a)\s+(?:single\s+|infringed\s+|copyrighted"
    r"\s+|pirated\s+|individual\s+|musical\s+|sound\s+)?"
    r"(work|song|track|recording|file|infringement|title|album|stream|user|listen|month|year"
    r"|day|week|copy|download)s?)\b",
    re.IGNORECASE,
)
_PER_WORK_UNITS = frozenset(
    {"work", "song", "track", "recording", "file", "infringement", "title", "album", "copy"}
)
_MONEY_IN_NOUN = re.compile(
    r"\s{1,3}(?:in|of|for)\s+(?:(?:the|its|their|potential|possible|statutory|total|annual)\s+)*"
    r"([a-z][a-z-]+(?:\s+[a-z][a-z-]+)?)",
    re.IGNORECASE,
)
_MONEY_NOUN_AFTER = re.compile(r"[\s-]{1,3}([a-z][a-z-]+)")
_NOUN_OF_BEFORE = re.compile(r"\b([a-z][a-z-]+)\s+of\s+(?:up\s+to\s+|about\s+|some\s+)?$")
_GENERIC_MONEY_NOUNS = {
    "damages": ("damages-sought", "Damages sought"),
    "settlement": ("settlement", "Settlement"),
    "fine": ("fine", "Fine"),
    "fines": ("fine", "Fine"),
    "donations": ("donations", "Donations"),
    "revenue": ("revenue", "Revenue"),
    "revenues": ("revenue", "Revenue"),
    "funding": ("funding", "Funding"),
    "fees": ("fees", "Fees"),
    "valuation": ("valuation", "Valuation"),
    "profits": ("profits", "Profits"),
    "losses": ("losses", "Losses"),
    "royalties": ("royalties", "Royalties"),
    "payouts": ("payouts", "Payouts"),
    "bounty": ("bounty", "Bounty"),
    "bail": ("bail", "Bail"),
    "budget": ("budget", "Budget"),
    "cost": ("cost", "Cost"),
    "costs": ("cost", "Cost"),
    "price": ("price", "Price"),
}
_GENERIC_MONEY_STOP = _word_set(
    """
    the a an and or but to of in on at by for from with that which who it its this
    their his her is are was were be been has have had will would could may might
    """
)
_PERCENT_OF = re.compile(
    r"(?:\s{1,3}(?:share|cut|portion|slice))?\s{1,3}of\s+(?:(?:all|the|its|their|total|global"
    r"|overall|every|[A-Z][\w'’]*(?:'s|’s))\s+)*([a-z][a-z-]+(?:\s+[a-z][a-z-]+)?)",
)
_PERCENT_CONCEPTS = {
    "listens": ("listens", "Share of listens covered"),
    "listening": ("listens", "Share of listens covered"),
    "streams": ("listens", "Share of listens covered"),
    "plays": ("listens", "Share of listens covered"),
    "music": ("listens", "Share of listens covered"),
}
_COORDINATION = re.compile(r"^[\s,;]*(?:and|plus|as\s+well\s+as|along\s+with)?[\s,;]*$", re.I)
_ELLIPSIS_BEFORE = re.compile(
    r"\b(?:of\s+(?:which|them|those|these)|including)\s*(?:about|some|roughly|nearly|around)?\s*$",
    re.IGNORECASE,
)

_MAX_CUE_DISTANCE = 110
_WEAK_PENALTY = 25
_AFTER_PENALTY = 4


# --------------------------------------------------------------------------- extraction


def extract_facts(article: Article) -> list[Fact]:
    """Facts of one article, on ``article_plain_text(article.title, article.body_html)``."""
    text = article_plain_text(article.title, article.body_html)
    published = _parse_day(article.published) or _parse_day(article.first_seen)
    return facts_from_text(
        text,
        article_id=article.id,
        source=article.source,
        published=article.published,
        published_day=published,
    )


def facts_from_text(
    text: str,
    *,
    article_id: str,
    source: str,
    published: str | None = None,
    published_day: dt.date | None = None,
) -> list[Fact]:
    """Facts of an already-flattened text (``extract_facts`` without the HTML step)."""
    figures = find_figures(text, published_day or _parse_day(published))
    if not figures:
        return []
    bounds = _sentence_bounds(text)
    starts = [start for start, _end in bounds]
    by_sentence: dict[int, list[Figure]] = {}
    for figure in figures:
        index = max(0, bisect_right(starts, figure.start) - 1)
        by_sentence.setdefault(index, []).append(figure)

    facts: list[Fact] = []
    for index, in_sentence in by_sentence.items():
        sentence_start, sentence_end = bounds[index]
        sentence_end = max(sentence_end, max(f.end for f in in_sentence))
        sentence = text[sentence_start:sentence_end]
        subjects: list[tuple[str, str] | None] = []
        actions: list[str] = []
        for position, figure in enumerate(in_sentence):
            window_start = in_sentence[position - 1].end if position else sentence_start
            window_end = (
                in_sentence[position + 1].start if position + 1 < len(in_sentence) else sentence_end
            )
            subject, action = _subject_of(
                text,
                figure,
                window_start,
                max(window_end, figure.end),
                sentence,
                in_sentence[:position],
                actions,
                subjects,
            )
            subjects.append(subject)
            actions.append(action)
            if subject is None:
                continue
            facts.append(
                Fact(
                    figure=figure,
                    subject_key=subject[0],
                    label=subject[1],
                    sentence=sentence,
                    sentence_start=sentence_start,
                    sentence_end=sentence_end,
                    article_id=article_id,
                    source=source,
                    published=published,
                )
            )
    return facts


def _parse_day(stamp: str | None) -> dt.date | None:
    if not stamp:
        return None
    try:
        return dt.date.fromisoformat(stamp[:10])
    except ValueError:
        return None


def _subject_of(
    text: str,
    figure: Figure,
    window_start: int,
    window_end: int,
    sentence: str,
    earlier: Sequence[Figure],
    earlier_actions: Sequence[str],
    earlier_subjects: Sequence[tuple[str, str] | None],
) -> tuple[tuple[str, str] | None, str]:
    """(subject key, label) of a figure or None, plus the action found (for neighbours)."""
    kind = figure.kind
    if kind is FigureKind.DATE:
        return _date_subject(text, figure, window_start, window_end), ""
    if kind is FigureKind.MONEY:
        return _money_subject(text, figure, window_start, window_end, sentence), ""
    if kind is FigureKind.PERCENT:
        return _percent_subject(text, figure), ""

    action = _nearest_cue(_ACTION_CUES, text, figure, window_start, window_end)
    inherited_action = ""
    if action is None:
        for previous, previous_action in zip(
            reversed(earlier), reversed(earlier_actions), strict=True
        ):
            if previous.kind in (FigureKind.COUNT, FigureKind.SIZE) and previous_action:
                gap = text[previous.end : figure.start]
                if _COORDINATION.match(gap) or previous.kind is kind or len(gap) < 60:
                    inherited_action = previous_action
                break
    found_action = action or inherited_action

    if kind is FigureKind.SIZE:
        return _with_action(_DATA_CONCEPT, found_action, size=True), found_action

    # A count.
    phrase = figure.unit.lower()
    if not phrase:
        head = text[max(window_start, figure.start - 40) : figure.start]
        if _ELLIPSIS_BEFORE.search(head):
            for previous, previous_subject in zip(
                reversed(earlier), reversed(earlier_subjects), strict=True
            ):
                if previous.kind is FigureKind.COUNT and previous_subject is not None:
                    concept_key = previous_subject[0].split("/", 1)[0]
                    concept_label = _concept_label_from_key(previous_subject)
                    return (
                        _with_action(_Concept(concept_key, concept_label), found_action),
                        found_action,
                    )
        return None, found_action
    concept = _concept_of(phrase, sentence)
    if concept is None:
        return None, found_action
    if concept.key not in _ACTION_CONCEPTS:
        return _with_action(concept, ""), ""
    return _with_action(concept, found_action), found_action


def _concept_label_from_key(subject: tuple[str, str]) -> str:
    label = subject[1]
    for participle in _ACTION_LABELS.values():
        suffix = " " + participle
        if label.endswith(suffix):
            return label[: -len(suffix)]
    return label


def _concept_of(phrase: str, sentence: str) -> _Concept | None:
    words = phrase.replace("-", " ").split()
    if not words:
        return None
    word_set = set(words)
    head = words[0] if "of" in words else words[-1]
    if head in _RECORD_WORDS and ("metadata" in word_set or "metadata" in sentence.lower()):
        return _Concept("metadata-rows", "Metadata rows")
    for cue_words, concept in _CONCEPT_RULES:
        if word_set & cue_words or phrase in cue_words:
            return concept
    if word_set & _TRIVIAL_NOUNS or len(head) < 3:
        return None
    key = "-".join(_singular(w) for w in words)
    return _Concept(key, phrase[:1].upper() + phrase[1:])


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _with_action(concept: _Concept, action: str, size: bool = False) -> tuple[str, str]:
    participle = _ACTION_LABELS.get(action, "")
    key = f"{concept.key}/{action}" if action else concept.key
    label = f"{concept.label} {participle}" if participle else concept.label
    if size:
        label += " (size)"
    return key, label


def _nearest_cue(
    pattern: re.Pattern[str],
    text: str,
    figure: Figure,
    window_start: int,
    window_end: int,
    weak: frozenset[str] = frozenset(),
) -> str | None:
    best: str | None = None
    best_distance = _MAX_CUE_DISTANCE + 1
    window_start = max(window_start, figure.start - _MAX_CUE_DISTANCE - 20)
    window_end = min(window_end, figure.end + _MAX_CUE_DISTANCE + 20)
    for match in pattern.finditer(text, window_start, window_end):
        name = match.lastgroup
        if name is None:
            continue
        if match.end() <= figure.start:
            distance = figure.start - match.end()
        elif match.start() >= figure.end:
            distance = match.start() - figure.end + _AFTER_PENALTY
        else:
            distance = 0  # inside the figure: "86 million scraped files"
        if name in weak:
            distance += _WEAK_PENALTY
        if distance < best_distance:
            best, best_distance = name, distance
    return best


def _date_subject(
    text: str, figure: Figure, window_start: int, window_end: int
) -> tuple[str, str] | None:
    cue = _nearest_cue(_DATE_CUES, text, figure, window_start, window_end, _WEAK_DATE_CUES)
    if cue is None:
        return None
    key, label = _DATE_EVENTS[cue]
    if cue == "released":
        window = text[max(window_start, figure.start - 120) : min(window_end, figure.end + 120)]
        lowered = window.lower()
        if "metadata" in lowered:
            return "released/metadata-rows", "Metadata released"
        if re.search(r"\b(?:music|audio|songs|tracks|files|recordings)\b", lowered):
            return "released/music-files", "Music files released"
        return key, "Data released"
    if cue == "announced":
        window = text[max(window_start, figure.start - 160) : min(window_end, figure.end + 160)]
        if re.search(r"\b(?:scrap\w*|backed\s+up|backup|copied)\b", window, re.I):
            return key, "Scrape announced"
    return key, label


def _money_subject(
    text: str, figure: Figure, window_start: int, window_end: int, sentence: str
) -> tuple[str, str] | None:
    per_unit = _PER_UNIT.match(text, figure.end)
    if per_unit is not None:
        unit = per_unit.group(1).lower()
        if unit in _PER_WORK_UNITS and (
            _DAMAGES_CONTEXT.search(sentence) or figure.hedge == "up to"
        ):
            return "statutory-damages-per-work", "Statutory damages per work"
        return f"per-{unit}", f"Amount per {unit}"

    cue = _nearest_cue(_MONEY_CUES, text, figure, window_start, window_end)
    if cue == "awarded":
        return "damages-awarded", "Damages awarded"
    if cue == "settlement":
        return "settlement", "Settlement"
    if cue == "fine":
        return "fine", "Fine"
    if cue == "fees":
        return "fees", "Legal fees"

    noun = _money_noun(text, figure)
    if noun is not None and noun in _GENERIC_MONEY_NOUNS and noun != "damages":
        return _GENERIC_MONEY_NOUNS[noun]
    if cue == "sought" or noun == "damages":
        return "damages-sought", "Damages sought"
    if _DAMAGES_CONTEXT.search(sentence):
        return "damages-sought", "Damages sought"
    if noun is not None:
        return f"money/{_singular(noun)}", noun[:1].upper() + noun[1:]
    return None


def _money_noun(text: str, figure: Figure) -> str | None:
    """What the amount is for: '$5m in donations', 'a $2m fine', 'a fine of $2m'."""
    after = _MONEY_IN_NOUN.match(text, figure.end)
    if after is not None:
        word = after.group(1).split()[0].lower()
        if word not in _GENERIC_MONEY_STOP:
            return word
    compound = _MONEY_NOUN_AFTER.match(text, figure.end)
    if compound is not None:
        word = compound.group(1).lower()
        if word in _GENERIC_MONEY_NOUNS:
            return word
    before = _NOUN_OF_BEFORE.search(text, max(0, figure.start - 40), figure.start)
    if before is not None:
        word = before.group(1).lower()
        if word in _GENERIC_MONEY_NOUNS:
            return word
    return None


def _percent_subject(text: str, figure: Figure) -> tuple[str, str] | None:
    match = _PERCENT_OF.match(text, figure.end)
    if match is None:
        return None
    words = match.group(1).lower().split()
    head = words[0]
    if head in _PERCENT_CONCEPTS:
        return _PERCENT_CONCEPTS[head][0], _PERCENT_CONCEPTS[head][1]
    if len(words) > 1 and words[1] in _PERCENT_CONCEPTS:
        return _PERCENT_CONCEPTS[words[1]][0], _PERCENT_CONCEPTS[words[1]][1]
    if head in _GENERIC_MONEY_STOP or head in _TRIVIAL_NOUNS:
        return None
    return f"share/{_singular(head)}", f"Share of {head}"


# --------------------------------------------------------------------------- merging


class _Cluster:
    """All facts of one subject that give one normalised value."""

    __slots__ = ("facts", "identity")

    def __init__(self, identity: tuple[Any, ...]) -> None:
        self.identity = identity
        self.facts: list[Fact] = []


_KIND_ORDER = {
    FigureKind.MONEY: 0,
    FigureKind.COUNT: 1,
    FigureKind.SIZE: 2,
    FigureKind.PERCENT: 3,
    FigureKind.DATE: 4,
}
_STATUS_ORDER = {"differs": 0, "agreed": 1, "single": 2}
_JOINABLE = (FigureKind.COUNT, FigureKind.SIZE)


def merge_facts(facts: Iterable[Fact]) -> list[KeyFact]:
    """One ranked ``KeyFact`` per subject and kind.

    Facts stated by more sources come first; among equals, disagreements first.
    """
    groups: dict[tuple[str, FigureKind], list[Fact]] = {}
    for fact in facts:
        groups.setdefault((fact.subject_key, fact.figure.kind), []).append(fact)
    _join_unqualified(groups)
    key_facts = [_key_fact(key, kind, members) for (key, kind), members in groups.items()]
    key_facts.sort(
        key=lambda k: (
            -len(k.sources),
            _STATUS_ORDER[k.status],
            _KIND_ORDER[k.kind],
            k.label.lower(),
        )
    )
    return key_facts


def _join_unqualified(groups: dict[tuple[str, FigureKind], list[Fact]]) -> None:
    """Fold '86 million files' (no verb) into 'files scraped' when the values fit.

    A bare count usually restates a figure the article or others qualify elsewhere. It
    joins the qualified subject of the same thing whose values it matches (to within
    rounding or 25 %), so that a different quantity never joins by accident.
    """
    for key, kind in list(groups):
        if kind not in _JOINABLE or "/" in key:
            continue
        candidates = [
            (other_key, other_kind)
            for other_key, other_kind in groups
            if other_kind is kind and other_key.split("/", 1)[0] == key and "/" in other_key
        ]
        if not candidates:
            continue
        candidates.sort(key=lambda k: -len({f.source for f in groups[k]}))
        leftovers: list[Fact] = []
        for fact in groups[(key, kind)]:
            target = next(
                (c for c in candidates if any(_compatible(fact, o) for o in groups[c])), None
            )
            if target is None:
                leftovers.append(fact)
            else:
                groups[target].append(_relabel(fact, target[0], groups[target][0].label))
        if leftovers:
            groups[(key, kind)] = leftovers
        else:
            del groups[(key, kind)]


def _relabel(fact: Fact, subject_key: str, label: str) -> Fact:
    return Fact(
        fact.figure,
        subject_key,
        label,
        fact.sentence,
        fact.sentence_start,
        fact.sentence_end,
        fact.article_id,
        fact.source,
        fact.published,
    )


def _compatible(a: Fact, b: Fact) -> bool:
    x, y = a.figure.value, b.figure.value
    if not isinstance(x, float | int) or not isinstance(y, float | int) or not x or not y:
        return x == y
    if _within_rounding(a.figure, b.figure):
        return True
    ratio = max(x, y) / min(x, y)
    return ratio <= 1.25


def _identity(figure: Figure) -> tuple[Any, ...]:
    if figure.kind is FigureKind.DATE:
        return (figure.value,)
    value = figure.value
    number = round(float(value), 6) if isinstance(value, float | int) else value
    if figure.kind is FigureKind.MONEY:
        return (figure.unit, number)
    return (number,)


def _key_fact(subject_key: str, kind: FigureKind, members: list[Fact]) -> KeyFact:
    clusters: dict[tuple[Any, ...], _Cluster] = {}
    for fact in members:
        identity = _identity(fact.figure)
        cluster = clusters.get(identity)
        if cluster is None:
            cluster = clusters[identity] = _Cluster(identity)
        cluster.facts.append(fact)
    ordered = sorted(
        clusters.values(),
        key=lambda c: (-len({f.source for f in c.facts}), -len(c.facts), _first_seen(c)),
    )
    values = tuple(_fact_value(cluster) for cluster in ordered)
    sources = {source for value in values for source in value.sources}
    status: Literal["agreed", "differs", "single"]
    if len(values) > 1:
        status = "differs"
    elif len(sources) > 1:
        status = "agreed"
    else:
        status = "single"
    note = _difference_note(ordered, kind) if status == "differs" else _hedge_note(ordered)
    if status == "differs" and len(sources) == 1:
        note = (note + " " if note else "") + "(all from one source)"
    label = Counter(f.label for f in members).most_common(1)[0][0]
    return KeyFact(
        id=_slug(f"{kind.value}-{subject_key}"),
        label=label,
        kind=kind,
        status=status,
        values=values,
        note=note,
    )


def _first_seen(cluster: _Cluster) -> str:
    return min((f.published or "") for f in cluster.facts)


def _fact_value(cluster: _Cluster) -> FactValue:
    facts = cluster.facts
    # The most common wording; ties go to body sentences over headlines, then to the
    # earliest statement.
    texts = Counter(_display_text(f.figure) for f in facts)
    order = {
        t: i
        for i, t in reversed(
            list(enumerate(_display_text(f.figure) for f in sorted(facts, key=_body_first)))
        )
    }
    text = min(texts, key=lambda t: (-texts[t], order[t]))
    representative = facts[0].figure
    units = Counter(f.figure.unit for f in facts)
    unit = (
        units.most_common(1)[0][0]
        if representative.kind is FigureKind.COUNT
        else (representative.unit)
    )
    sources: dict[str, None] = {}
    by_article: dict[str, Fact] = {}
    for fact in facts:
        sources.setdefault(fact.source, None)
        best = by_article.get(fact.article_id)
        # Prefer a body sentence over the headline (which starts at offset 0).
        if best is None or (best.sentence_start == 0 and fact.sentence_start > 0):
            by_article[fact.article_id] = fact
    quoted = list(by_article.values())
    return FactValue(
        text=text,
        value=representative.value,
        unit=unit,
        sources=tuple(sources),
        articles=tuple(by_article),
        quotes=tuple(f.sentence for f in quoted),
        spans=tuple((f.article_id, f.sentence_start, f.sentence_end) for f in quoted),
    )


def _body_first(fact: Fact) -> tuple[bool, str]:
    return (fact.sentence_start == 0, fact.published or "")


def _display_text(figure: Figure) -> str:
    text = " ".join(figure.text.split())
    hedge = figure.hedge
    if not hedge or hedge in ("range", "between"):
        return text
    if hedge == "or more":
        return text if text.endswith(("+", "plus")) else f"{text} or more"
    if hedge == "~":
        return f"~{text}"
    return f"{hedge} {text}"


def _difference_note(clusters: list[_Cluster], kind: FigureKind) -> str:
    figures = [c.facts[0].figure for c in clusters]
    if kind is FigureKind.DATE:
        days = [f for f in figures if isinstance(f.value, str) and len(f.value) == 10]
        months = [f for f in figures if isinstance(f.value, str) and len(f.value) == 7]
        if (
            len(days) == 1
            and months
            and all(
                isinstance(days[0].value, str) and days[0].value.startswith(str(m.value))
                for m in months
            )
        ):
            return (
                f"Sources agree to within precision: {_quote_list(months)} "
                f"includes {_quoted(days[0])}."
            )
        return ""
    rounded: list[str] = []
    for index, coarse in enumerate(figures):
        for fine in figures[index + 1 :]:
            pair = sorted((coarse, fine), key=written_precision, reverse=True)
            if _within_rounding(pair[0], pair[1]):
                rounded.append(f"{_quoted(pair[1])} rounds to {_quoted(pair[0])}")
    if rounded and len(rounded) == len(figures) * (len(figures) - 1) // 2:
        return "Sources agree to within rounding: " + "; ".join(rounded) + "."
    if rounded:
        return "Some agree to within rounding: " + "; ".join(rounded) + "."
    bounded = [_bound_note(a, b) for a in figures for b in figures if a is not b]
    consistent = [n for n in bounded if n]
    if consistent:
        return "Consistent: " + "; ".join(consistent) + "."
    return ""


def _hedge_note(clusters: list[_Cluster]) -> str:
    hedges = sorted({f.figure.hedge for c in clusters for f in c.facts if f.figure.hedge})
    readable = [h for h in hedges if h not in ("range", "between")]
    if not readable:
        return ""
    return "Hedged by some sources: " + ", ".join(f"“{h}”" for h in readable) + "."


def _within_rounding(coarse: Figure, fine: Figure) -> bool:
    """True when ``fine`` rounded at ``coarse``'s written precision equals ``coarse``."""
    if coarse.kind is FigureKind.DATE or fine.kind is FigureKind.DATE:
        return False
    if coarse.unit != fine.unit and coarse.kind is FigureKind.MONEY:
        return False
    step = written_precision(coarse)
    a, b = coarse.value, fine.value
    if step <= 0 or not isinstance(a, float | int) or not isinstance(b, float | int):
        return False
    if written_precision(fine) > step:
        return False
    if a == b:
        return True
    rounded = math.floor(b / step + 0.5) * step
    return abs(rounded - a) <= step * 1e-6


_LOWER_BOUNDS = frozenset({"more than", "at least", "or more"})
_UPPER_BOUNDS = frozenset({"up to", "less than", "nearly"})


def _bound_note(bound: Figure, other: Figure) -> str:
    a, b = bound.value, other.value
    if not isinstance(a, float | int) or not isinstance(b, float | int):
        return ""
    if (bound.hedge in _LOWER_BOUNDS and b > a) or (bound.hedge in _UPPER_BOUNDS and b < a):
        return f"{_quoted(other)} is within {_display_text(bound)}"
    return ""


def _quoted(figure: Figure) -> str:
    return " ".join(figure.text.split())


def _quote_list(figures: Sequence[Figure]) -> str:
    return ", ".join(_quoted(f) for f in figures)


_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")


# --------------------------------------------------------------------------- timeline


def build_timeline(facts: Iterable[Fact]) -> list[TimelineEvent]:
    """The dated events across all facts, in date order, each with its sources."""
    events: dict[tuple[str, str], tuple[str, dict[str, None], dict[str, None]]] = {}
    labels: dict[str, Counter[str]] = {}
    for fact in facts:
        if fact.figure.kind is not FigureKind.DATE or not isinstance(fact.figure.value, str):
            continue
        key = (fact.figure.value, fact.subject_key)
        entry = events.get(key)
        if entry is None:
            entry = events[key] = (fact.subject_key, {}, {})
        entry[1].setdefault(fact.source, None)
        entry[2].setdefault(fact.article_id, None)
        labels.setdefault(fact.subject_key, Counter())[fact.label] += 1

    # A month-only mention ("late December") of an event dated to the day elsewhere
    # adds its sources to that day rather than standing as a second event.
    for (date, subject), (_s, sources, articles) in list(events.items()):
        if len(date) != 7:
            continue
        days = [k for k in events if k[1] == subject and len(k[0]) == 10 and k[0][:7] == date]
        if len(days) == 1:
            target = events[days[0]]
            for source in sources:
                target[1].setdefault(source, None)
            for article in articles:
                target[2].setdefault(article, None)
            del events[(date, subject)]

    timeline = [
        TimelineEvent(
            date=date,
            label=labels[subject].most_common(1)[0][0],
            sources=tuple(sources),
            articles=tuple(articles),
        )
        for (date, subject), (_s, sources, articles) in events.items()
    ]
    timeline.sort(key=lambda e: (e.date, -len(e.sources), e.label))
    return timeline


# --------------------------------------------------------------------------- cache + briefing


def fact_cache_key(article: Article) -> str:
    """Cache key of an article's facts: extractor version + hash of what extraction reads."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (
        article.id,
        article.source,
        article.published or "",
        article.first_seen if not article.published else "",
        article.title,
        article.body_html,
    ):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return f"{EXTRACTOR_VERSION}:{digest.hexdigest()}"


def fact_to_dict(fact: Fact) -> dict[str, Any]:
    """A JSON-able dict of a fact (for the cache)."""
    figure = fact.figure
    return {
        "kind": figure.kind.value,
        "text": figure.text,
        "start": figure.start,
        "end": figure.end,
        "value": figure.value,
        "unit": figure.unit,
        "hedge": figure.hedge,
        "subject": fact.subject_key,
        "label": fact.label,
        "sentence": fact.sentence,
        "sentence_start": fact.sentence_start,
        "sentence_end": fact.sentence_end,
        "article": fact.article_id,
        "source": fact.source,
        "published": fact.published,
    }


_KINDS = {kind.value: kind for kind in FigureKind}


def fact_from_dict(data: Mapping[str, Any]) -> Fact:
    """Inverse of ``fact_to_dict``. Raises KeyError/ValueError/TypeError on bad data."""
    kind = _KINDS[data["kind"]]
    value = data["value"]
    if kind is FigureKind.DATE:
        if not isinstance(value, str):
            raise TypeError("date value must be a string")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        value = float(value)
    else:
        raise TypeError("numeric value expected")
    published = data["published"]
    return Fact(
        figure=Figure(
            kind,
            str(data["text"]),
            int(data["start"]),
            int(data["end"]),
            value,
            str(data["unit"]),
            str(data["hedge"]),
        ),
        subject_key=str(data["subject"]),
        label=str(data["label"]),
        sentence=str(data["sentence"]),
        sentence_start=int(data["sentence_start"]),
        sentence_end=int(data["sentence_end"]),
        article_id=str(data["article"]),
        source=str(data["source"]),
        published=None if published is None else str(published),
    )


def build_briefing(
    articles: Sequence[Article],
    topic_name: str,
    cache: FactCache | None = None,
    now: dt.datetime | None = None,
) -> Briefing:
    """Merged key facts and timeline of the on-topic articles.

    Each article's facts come from ``cache`` when its content is unchanged; only
    new or changed articles are re-extracted (and saved back).
    """
    on_topic = [a for a in articles if a.on_topic]
    keys = [fact_cache_key(a) for a in on_topic]
    cached: Mapping[str, list[dict[str, Any]]] = {}
    if cache is not None and keys:
        cached = cache.load_facts(keys)
    facts: list[Fact] = []
    fresh: dict[str, list[dict[str, Any]]] = {}
    reused = 0
    for article, key in zip(on_topic, keys, strict=True):
        loaded: list[Fact] | None = None
        entries = cached.get(key)
        if entries is not None:
            try:
                loaded = [fact_from_dict(entry) for entry in entries]
            except (KeyError, ValueError, TypeError, AttributeError):
                loaded = None  # an unreadable entry is re-extracted, not fatal
        if loaded is None:
            loaded = extract_facts(article)
            fresh[key] = [fact_to_dict(f) for f in loaded]
        else:
            reused += 1
        facts.extend(loaded)
    if cache is not None and fresh:
        cache.save_facts(fresh)

    key_facts = merge_facts(facts)
    timeline = build_timeline(facts)
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return Briefing(
        topic=topic_name,
        generated=moment.astimezone(dt.UTC).isoformat(timespec="seconds"),
        facts=tuple(key_facts),
        timeline=tuple(timeline),
        extra={
            "articles": len(on_topic),
            "extracted": len(fresh),
            "cached": reused,
            "differences": [k.id for k in key_facts if k.status == "differs"],
        },
    )


def fact_articles(fact: KeyFact) -> set[str]:
    """Ids of the articles that state any value of ``fact``."""
    return {article for value in fact.values for article in value.articles}
