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
from collections.abc import Callable, Iterable, Mapping, Sequence
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
_MUSIC_FILES = _Concept("music-files", "Music files")
_METADATA = _Concept("metadata-rows", "Metadata rows")
_RECORDS = _Concept("record", "Records")

# Counted nouns that mean the same thing in news about media and data. Checked in
# order: the first rule with a word (or phrase) in the counted phrase wins.
_CONCEPT_RULES: tuple[tuple[frozenset[str], _Concept], ...] = (
    (frozenset({"metadata"}), _METADATA),
    (frozenset({"torrent", "torrents"}), _Concept("torrents", "Torrents")),
    (
        frozenset({"label", "labels", "majors", "record companies", "music companies"}),
        _Concept("record-labels", "Record labels"),
    ),
    (frozenset({"album", "albums"}), _Concept("albums", "Albums")),
    (frozenset({"artist", "artists", "musicians"}), _Concept("artists", "Artists")),
    (frozenset({"listens", "streams", "plays", "listening"}), _Concept("listens", "Listens")),
    (
        _word_set("file files track tracks song songs recording recordings mp3s mp3 audio"),
        _MUSIC_FILES,
    ),
    (
        _word_set("user users subscriber subscribers listeners accounts"),
        _Concept("users", "Users"),
    ),
    (frozenset({"work", "works"}), _Concept("works", "Works")),
    (_word_set("book books ebooks e-books"), _Concept("books", "Books")),
    (frozenset({"paper", "papers", "articles"}), _Concept("papers", "Papers")),
)
# Words that name a concept when a count leaves its noun out: "$150,000 per track
# times 86 million".
_CONCEPT_HINT = re.compile(
    r"\b(?P<metadata>metadata)\b|\b(?P<music>tracks?|songs?|files?|recordings?|audio)\b",
    re.IGNORECASE,
)
# "metadata for roughly 256 million tracks", "records of 4.2 million customers": the
# noun before says what is counted.
_COUNTED_BY_NOUN_BEFORE = re.compile(
    r"\b(metadata|records|rows|entries|details|data)\s+(?:for|on|about|covering|describing|of)"
    r"\s+(?:some\s+|about\s+|roughly\s+|nearly\s+|around\s+|more\s+than\s+|over\s+|~)?$",
    re.IGNORECASE,
)
# "leaked 1.1 million of the stolen records"
_OF_THE_NOUN_AFTER = re.compile(
    r"\s{1,3}of\s+(?:the|its|their|these|those|all)\s+(?:[a-z]+ed\s+|[a-z]+\s+)?([a-z]+s)\b",
    re.IGNORECASE,
)
# People and organisations are counted, never scraped or released.
_NO_ACTION_CONCEPTS = _word_set(
    """
    record-labels users artists listens customer customers people person employee member
    publisher company firm country state plaintiff defendant lawyer judge creator author
    musician subscriber student patient
    """
)
# A concept that, by value, is another: "86 million works" are the 86 million recordings.
_ALIAS_CONCEPTS: dict[str, tuple[str, ...]] = {
    "works": ("music-files", "books"),
    "title": ("books", "music-files"),
}
# Rows/records/entries are metadata when the sentence says so.
_RECORD_WORDS = frozenset({"row", "rows", "record", "records", "entry", "entries"})
_MEDIA_CONCEPTS = frozenset(
    {"metadata-rows", "torrents", "albums", "music-files", "works", "books", "papers", "data"}
)

# Counts that are never worth a key fact: "two people familiar with the matter".
_TRIVIAL_NOUNS = _word_set(
    """
    people person persons source sources way ways thing things reason reasons side sides
    other others time times word words question questions point points step steps example
    examples line lines page pages paragraph paragraphs sentence sentences character
    characters day days week weeks month months year years lawyer lawyers attorney attorneys
    judge judges reporter reporters occasion occasions zeros zeroes digits tips tip facts
    lessons takeaways
    """
)

_ACTION_LABELS = {
    "scraped": "scraped",
    "stolen": "stolen",
    "leaked": "leaked",
    "released": "released",
    "planned": "planned for release",
    "removed": "removed",
}
# Verbs of taking ("took", "holds", "obtained") are deliberately absent: they say nothing
# about how, so such a count stays unqualified and joins a qualified one by value.
_ACTION_CUES = re.compile(
    r"(?P<planned>\b(?:plan(?:s|ned)?|intend(?:s|ed)?|promis(?:e|es|ed)|threaten(?:s|ed)?"
    r"|vow(?:s|ed)?|aim(?:s|ed)?|would|will|set|prepar(?:es|ed|ing)|going|hopes?|wants?)"
    r"\s+to\s+(?:(?:also|eventually|later|soon)\s+)?(?:release|publish|share|distribute|make"
    r"|put|upload|leak))"
    r"|(?P<leaked>\b(?:leak(?:ed|s|ing)?|dump(?:ed|ing|s)?|posts?|posted|posting)\b)"
    r"|(?P<released>\b(?:releas(?:e|ed|es|ing)|publish(?:ed|es|ing)?|shared|distribut(?:e|ed"
    r"|es|ing)|made\s+available|mak(?:e|es|ing)\s+available|upload(?:ed|ing)|seed(?:ed|ing)"
    r"|put\s+online)\b)"
    r"|(?P<removed>\b(?:remov(?:ed|ing)|delet(?:ed|ing)|taken\s+down|took\s+down)\b)"
    r"|(?P<stolen>\b(?:st(?:ole|olen|eal|eals|ealing)|exfiltrat\w*|hack(?:ed|ers?)?"
    r"|breach(?:ed|es)?|compromis(?:ed|ing)|expos(?:ed|ing)|siphon(?:ed|ing))\b)"
    r"|(?P<scraped>\b(?:scrap(?:e|ed|es|ing)|cop(?:ied|ying|y)|ripp(?:ed|ing)|download(?:ed|ing)"
    r"|harvest(?:ed|ing)?|archiv(?:ed|ing)|back(?:ed|ing)?\s+up|backup|mirror(?:ed|ing)"
    r"|hoard(?:ed|ing)?|haul)\b)",
    re.IGNORECASE,
)
# "the released material": a participle after a determiner describes another noun.
_DETERMINER_BEFORE = re.compile(r"\b(?:the|a|an|its|their|this|that|these|those)\s+$", re.I)
# A comma, colon or dash between a cue and a figure usually means another clause.
_CLAUSE_MARK = re.compile(r"[,;:()–—]")
_CLAUSE_PENALTY = 30
# ", about 300 TB": a figure in apposition right after another shares its verb.
_APPOSITION_GAP = 12

_DATE_EVENTS: dict[str, tuple[str, str]] = {
    # cue group -> (subject key, label)
    "unsealed": ("complaint-unsealed", "Complaint unsealed"),
    "undersealed": ("lawsuit-filed", "Lawsuit filed"),
    "filedother": ("court-filing", "Court filing"),
    "filed": ("lawsuit-filed", "Lawsuit filed"),
    "suit": ("lawsuit-filed", "Lawsuit filed"),
    "injunction": ("injunction", "Injunction issued"),
    "restraining": ("restraining-order", "Restraining order issued"),
    "fined": ("fine-imposed", "Fine imposed"),
    "judgment": ("judgment", "Judgment"),
    "hearing": ("hearing", "Hearing"),
    "deadline": ("response-due", "Response due"),
    "settlement": ("settlement", "Settlement"),
    "appeal": ("appeal", "Appeal filed"),
    "takedown": ("site-taken-down", "Site taken down"),
    "discovered": ("discovered", "Discovered"),
    "announced": ("announced", "Announced"),
    "planned": ("release-planned", "Release planned"),
    "released": ("released", "Released"),
    "breach": ("breach", "Breach occurred"),
    "breachnoun": ("breach", "Breach occurred"),
    "scraped": ("scraped", "Data scraped"),
}
# Nouns are weaker cues than verbs: "the complaint, unsealed Jan. 16" is about unsealing.
_WEAK_DATE_CUES = frozenset({"suit", "hearing", "settlement", "deadline", "breachnoun"})
_DATE_CUES = re.compile(
    r"(?P<unsealed>\bunseal(?:ed|ing|s)?\b|\bmade\s+public\b|\bfrom\s+under\s+seal\b"
    r"|\bbecame\s+public\b|\b(?:kept|remained|stayed|held)\s+(?:under\s+seal|sealed)\s+until\b)"
    r"|(?P<undersealed>\bunder\s+seal\b)"
    r"|(?P<filedother>\bfiled\s+(?:a|an|the|its|their|another)\s+(?:\w+\s+)?(?:letter|motion"
    r"|request|brief|notice|declaration|reply|memorandum|application|proposal|opposition)\b)"
    r"|(?P<filed>\b(?:filed|files|filing|sued|sues|suing|brought|lodged|launched|initiated)\b)"
    r"|(?P<suit>\b(?:lawsuit|suit|complaint|legal\s+action)\b)"
    r"|(?P<restraining>\b(?:temporary\s+)?restraining\s+order\b|\bTRO\b)"
    r"|(?P<injunction>\b(?:injunction|enjoin(?:ed|ing)?)\b)"
    r"|(?P<fined>\b(?:fined|penali[sz]ed|sanctioned)\b)"
    r"|(?P<judgment>\b(?:judgm?ents?|ruled|ruling|verdict|ordered|awarded|award|handed\s+down"
    r")\b)"
    r"|(?P<hearing>\b(?:hearings?|trial|oral\s+arguments?)\b)"
    r"|(?P<deadline>\b(?:deadline|respond|response\s+is\s+due|due\s+to\s+(?:answer|respond))\b)"
    r"|(?P<settlement>\bsettle(?:d|ment)?\b)"
    r"|(?P<appeal>\bappeal(?:s|ed)?\b)"
    r"|(?P<takedown>\b(?:shut\s+down|taken\s+(?:down|offline)|took\s+(?:down|offline)|seized"
    r"|suspended|went\s+(?:offline|dark)|blocked)\b)"
    r"|(?P<discovered>\b(?:discovered|detected|noticed|learned\s+of)\b)"
    r"|(?P<planned>\b(?:plan(?:s|ned)?|intend(?:s|ed)?|aim(?:s|ed)?|expect(?:s|ed)?)\s+to\s+"
    r"(?:release|publish|share|distribute|upload|put))"
    r"|(?P<announced>\b(?:announc(?:e|ed|es|ing|ement)|blog\s+post|revealed|disclosed"
    r"|unveiled|promised|pledged|said\s+it\s+(?:would|will|had|has)|claimed)\b)"
    r"|(?P<released>\b(?:releas(?:e|ed|ing)|publish(?:ed|es|ing)?|posted|uploaded|leaked"
    r"|made\s+available)\b)"
    r"|(?P<breach>\b(?:hacked|breached|stole|stolen|exfiltrated|attacked)\b)"
    r"|(?P<breachnoun>\b(?:breach|intrusion|hack|attack|cyberattack)\b)"
    r"|(?P<scraped>\b(?:scrap(?:e|ed|es|ing)|backed\s+up|backup|copied|ripped|downloaded)\b)",
    re.IGNORECASE,
)
_BREACH_WORDS = re.compile(r"\b(?:breach\w*|intrusion|hack\w*|attack\w*|stole\w*)\b", re.I)
_FILED_DOCUMENT = re.compile(
    r"\b(settlement|agreement|deal|motion|letter|brief|notice|appeal|response|answer|lawsuit"
    r"|suit|complaint)\b",
    re.IGNORECASE,
)
_PREPOSITION_BEFORE = re.compile(
    r"\b(?:on|in|by|until|till|since|from|before|after|at|for|during)\s+(?:late\s+|early\s+"
    r"|mid-?\s*)?$",
    re.IGNORECASE,
)
# "NEW YORK, Jan. 16 (Wire) –": a dateline dates the story, not an event in it.
_DATELINE_BEFORE = re.compile(r"^[A-Z][A-Z .'’-]{1,40},\s*$")
_DATELINE_AFTER = re.compile(r"\s*\((?:[A-Z][\w.&' -]{0,40})\)")

_MONEY_CUES = re.compile(
    r"(?P<awarded>\b(?:award(?:s|ed|ing)?|verdict|ordered\s+(?:\w+\s+){0,4}to\s+pay"
    r"|must\s+pay|granted|win|wins|won|judgm?ent\s+(?:of|for))\b)"
    r"|(?P<settlement>\b(?:settle(?:d|s|ment|ments)?|deal)\b)"
    r"|(?P<fine>\bfin(?:e|ed|es)\b)"
    r"|(?P<fees>\b(?:legal|attorneys?'?|lawyers?'?)\s+(?:fees|costs)\b)"
    r"|(?P<payout>\b(?:payments?|payouts?|paid\s+out|receive[sd]?|compensat(?:e|ed|ion)\s+per)\b)"
    r"|(?P<sought>\b(?:damages|seek(?:s|ing)?|sought|demand(?:s|ed|ing)?|claim(?:s|ed|ing)?"
    r"|penalt(?:y|ies)|liab(?:le|ility)|exposure|owe[sd]?|on\s+the\s+hook|want(?:s|ed)?"
    r"|could\s+face|faces?|asking|ask(?:s|ed)?\s+for|asked\s+for|total(?:s|ed|ing|ling)?"
    r"|sum|headline\s+value)\b)",
    re.IGNORECASE,
)
# "a request is not an award", "nothing has been awarded"
_NEGATION_BEFORE = re.compile(
    r"\b(?:not|no|nothing|never|n't|rather\s+than|instead\s+of|without|yet\s+to\s+be"
    r"|has\s+made\s+no)\b[\w\s]{0,14}$",
    re.IGNORECASE,
)
_MAXIMUM_CUE = re.compile(
    r"\b(?:maximum|max|could|might|may|potential|possible|faces?|threat\w*|as\s+much\s+as)\b",
    re.IGNORECASE,
)
_DAMAGES_CONTEXT = re.compile(
    r"\b(?:damages|statutory|lawsuit|suit|sue[sd]?|suing|complaint|infring\w*|copyright|court"
    r"|penalt(?:y|ies)|liab\w*|willful|wilful|judge|ruling|judgm?ent|verdict|pirat\w*"
    r"|award\w*)\b",
    re.IGNORECASE,
)
_PER_UNIT = re.compile(
    r"\s{0,3}(?:(?:per|for\s+each|for\s+every|each|a)\s+(?:single\s+|infringed\s+|copyrighted"
    r"\s+|pirated\s+|individual\s+|musical\s+|sound\s+)?"
    r"(work|song|track|recording|file|infringement|title|album|stream|user|listen|month|year"
    r"|day|week|copy|download|book|subscriber|customer|member|person|head|share|account)s?)\b",
    re.IGNORECASE,
)
_FOR_EACH_OF = re.compile(r"\s{1,3}(?:for\s+)?(?:each|every)\s+(?:one\s+)?of\b", re.IGNORECASE)
_PER_WORK_UNITS = frozenset(
    {"work", "song", "track", "recording", "file", "infringement", "title", "album", "copy"}
)
_RANGE_LINK = re.compile(r"\s{0,3}(?:to|-|–|—|and)\s{0,3}", re.IGNORECASE)
_ORDINARY_CUE = re.compile(r"\b(?:normal|ordinary|usual|regular|standard|typical)\b", re.I)
_MONEY_IN_NOUN = re.compile(
    r"\s{1,3}(?:in|of|for)\s+(?:(?:the|its|their|potential|possible|statutory|total|annual)\s+)*"
    r"([a-z][a-z-]+(?:\s+[a-z][a-z-]+)?)",
    re.IGNORECASE,
)
_MONEY_NOUN_AFTER = re.compile(r"[\s-]{1,3}([a-z][a-z-]+)")
_NOUN_OF_BEFORE = re.compile(r"\b([a-z][a-z-]+)\s+of\s+(?:up\s+to\s+|about\s+|some\s+)?$")
_NOUN_VERB_BEFORE = re.compile(
    r"\b([a-z]+)\s+(?:topped|reached|totall?ed|hit|exceeded|came\s+to|amounted\s+to|were|was"
    r"|rose\s+to|fell\s+to|grew\s+to|stood\s+at)\s+(?:about\s+|some\s+|nearly\s+|roughly\s+)?$",
    re.IGNORECASE,
)
_GENERIC_MONEY_NOUNS = {
    "damages": ("damages-sought", "Damages sought"),
    "claim": ("damages-sought", "Damages sought"),
    "lawsuit": ("damages-sought", "Damages sought"),
    "suit": ("damages-sought", "Damages sought"),
    "judgment": ("damages-awarded", "Damages awarded"),
    "award": ("damages-awarded", "Damages awarded"),
    "verdict": ("damages-awarded", "Damages awarded"),
    "settlement": ("settlement", "Settlement"),
    "deal": ("settlement", "Settlement"),
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
    "payouts": ("payout", "Payout"),
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
    each every all any some
    """
)
_PERCENT_OF = re.compile(
    r"(?:\s{1,3}(?:share|cut|portion|slice))?\s{1,3}of\s+((?:[\w'’-]+\s+){0,6}[\w'’-]+)"
)
_LISTEN_WORDS = _word_set(
    "listens listen listened listening streams streamed streaming plays played music"
)
_PERCENT_SKIP = _word_set("all the its their total global overall every")
_WEAK = "~"
"""Suffix of a subject key guessed from the article rather than the sentence."""

_MAX_CUE_DISTANCE = 110
_MAX_CUE_DISTANCE_AFTER = 60
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


class _Sentence(NamedTuple):
    text: str
    """The whole article text (offsets are into it)."""
    start: int
    end: int
    figures: list[Figure]
    damages_article: bool
    """The article is about a damages claim, so unexplained money is probably damages."""


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
    damages_article = any(f.kind is FigureKind.MONEY for f in figures) and bool(
        _DAMAGES_CONTEXT.search(text)
    )

    facts: list[Fact] = []
    for index, in_sentence in by_sentence.items():
        start, end = bounds[index]
        end = max(end, max(f.end for f in in_sentence))
        sentence = _Sentence(text, start, end, in_sentence, damages_article)
        quote = text[start:end]
        subjects: list[tuple[str, str] | None] = []
        actions: list[str] = []
        for position, figure in enumerate(in_sentence):
            subject, action = _subject_of(sentence, position, actions, subjects)
            subjects.append(subject)
            actions.append(action)
            if subject is None:
                continue
            facts.append(
                Fact(
                    figure=figure,
                    subject_key=subject[0],
                    label=subject[1],
                    sentence=quote,
                    sentence_start=start,
                    sentence_end=end,
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


def _same_kind_neighbours(sentence: _Sentence, position: int) -> tuple[int | None, int | None]:
    """Indexes of the nearest figures of the same kind before and after ``position``."""
    figures = sentence.figures
    kind = figures[position].kind
    before = next((i for i in range(position - 1, -1, -1) if figures[i].kind is kind), None)
    after = next((i for i in range(position + 1, len(figures)) if figures[i].kind is kind), None)
    return before, after


def _window(sentence: _Sentence, position: int) -> tuple[int, int]:
    """The part of the sentence that belongs to one figure: up to its same-kind neighbours.

    A date's cue words are never another date's, but a date's window may hold an amount.
    """
    figures = sentence.figures
    figure = figures[position]
    before, after = _same_kind_neighbours(sentence, position)
    start = figures[before].end if before is not None else sentence.start
    end = figures[after].start if after is not None else sentence.end
    return min(start, figure.start), max(end, figure.end)


def _subject_of(
    sentence: _Sentence,
    position: int,
    earlier_actions: Sequence[str],
    earlier_subjects: Sequence[tuple[str, str] | None],
) -> tuple[tuple[str, str] | None, str]:
    """(subject key, label) of a figure or None, plus the action found (for neighbours)."""
    figure = sentence.figures[position]
    kind = figure.kind
    if kind is FigureKind.DATE:
        return _date_subject(sentence, position), ""
    if kind is FigureKind.MONEY:
        return _money_subject(sentence, position), ""
    if kind is FigureKind.PERCENT:
        return _percent_subject(sentence.text, figure), ""

    text = sentence.text
    window_start, window_end = _window(sentence, position)
    # Counts and sizes share a window: "86 million files, roughly 300 TB" are one clause.
    for index in range(position - 1, -1, -1):
        if sentence.figures[index].kind in (FigureKind.COUNT, FigureKind.SIZE):
            window_start = max(window_start, sentence.figures[index].end)
            break
    action, distance = _nearest_cue_distance(
        _ACTION_CUES, text, figure, window_start, window_end, reject=_describes_other_noun
    )
    if action is None or distance >= _CLAUSE_PENALTY:
        # "scraped 86 million files and 256 million rows, about 300 TB": the verb covers
        # the list, but not another clause ("..., a sample of the 4.2m it took").
        for index in range(position - 1, -1, -1):
            previous = sentence.figures[index]
            if previous.kind in (FigureKind.COUNT, FigureKind.SIZE):
                gap = figure.start - previous.end
                if gap <= _APPOSITION_GAP or not _CLAUSE_MARK.search(
                    text, previous.end, figure.start
                ):
                    action = earlier_actions[index] or action
                break
    found_action = action or ""

    if kind is FigureKind.SIZE:
        return _with_action(_DATA_CONCEPT, found_action, size=True), found_action

    # A count.
    before = text[max(window_start, figure.start - 40) : figure.start]
    counted_by = _COUNTED_BY_NOUN_BEFORE.search(before)
    concept: _Concept | None
    if counted_by is not None:
        noun = counted_by.group(1).lower()
        if noun == "metadata" or "metadata" in text[sentence.start : sentence.end].lower():
            concept = _METADATA
        else:
            concept = _RECORDS if noun in _RECORD_WORDS else _Concept(noun, noun.capitalize())
    elif figure.unit:
        concept = _concept_of(figure.unit.lower(), text[sentence.start : sentence.end])
    else:
        concept = _noun_for_bare_count(sentence, position, before, earlier_subjects)
    if concept is None:
        return None, found_action
    if concept.key in _NO_ACTION_CONCEPTS:
        return _with_action(concept, ""), ""
    return _with_action(concept, found_action), found_action


def _noun_for_bare_count(
    sentence: _Sentence,
    position: int,
    before: str,
    earlier_subjects: Sequence[tuple[str, str] | None],
) -> _Concept | None:
    """What '1.1 million' or '256 million' counts, from the words around it."""
    text = sentence.text
    figure = sentence.figures[position]
    of_the = _OF_THE_NOUN_AFTER.match(text, figure.end)
    if of_the is not None:
        return _concept_of(of_the.group(1).lower(), text[sentence.start : sentence.end])
    hinted = _hinted_concept(before)
    if hinted is not None:
        return hinted
    for index in range(position - 1, -1, -1):
        subject = earlier_subjects[index]
        if sentence.figures[index].kind is FigureKind.COUNT and subject is not None:
            return _Concept(subject[0].split("/", 1)[0], _concept_label_from_key(subject))
    return None


def _describes_other_noun(text: str, match: re.Match[str], figure: Figure) -> bool:
    if figure.start <= match.start() < figure.end:
        return False
    return _DETERMINER_BEFORE.search(text, max(0, match.start() - 8), match.start()) is not None


def _hinted_concept(before: str) -> _Concept | None:
    """The concept a noun-less count refers to, from the nearest concept word before it."""
    hits = list(_CONCEPT_HINT.finditer(before))
    if not hits:
        return None
    return _METADATA if hits[-1].lastgroup == "metadata" else _MUSIC_FILES


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
    if "of" in words:
        # "rows of metadata", "hours of audio": the head comes before "of".
        split = words.index("of")
        head_words, tail = words[:split], words[split + 1 :]
        if head_words and head_words[-1] in _RECORD_WORDS:
            if "metadata" in tail or "metadata" in sentence.lower():
                return _METADATA
            return _RECORDS
        key = "-".join([*(_singular(w) for w in head_words), "of", *tail])
        return _Concept(key, phrase[:1].upper() + phrase[1:])
    word_set = set(words)
    head = words[-1]
    if head in _RECORD_WORDS and ("metadata" in word_set or "metadata" in sentence.lower()):
        return _METADATA
    for cue_words, concept in _CONCEPT_RULES:
        if word_set & cue_words or any(" " in cue and cue in phrase for cue in cue_words):
            return concept
    if word_set & _TRIVIAL_NOUNS or len(head) < 3:
        return None
    # Unknown things merge on their head noun ("customer records" with "records").
    return _Concept(_singular(head), phrase[:1].upper() + phrase[1:])


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
    reject: Callable[[str, re.Match[str], Figure], bool] | None = None,
    after_penalty: int = 0,
) -> str | None:
    """The cue group nearest the figure in its window: verbs before nouns, same clause first."""
    return _nearest_cue_distance(
        pattern, text, figure, window_start, window_end, weak, reject, after_penalty
    )[0]


def _nearest_cue_distance(
    pattern: re.Pattern[str],
    text: str,
    figure: Figure,
    window_start: int,
    window_end: int,
    weak: frozenset[str] = frozenset(),
    reject: Callable[[str, re.Match[str], Figure], bool] | None = None,
    after_penalty: int = 0,
) -> tuple[str | None, int]:
    best: str | None = None
    best_distance = _MAX_CUE_DISTANCE + 1
    window_start = max(window_start, figure.start - _MAX_CUE_DISTANCE - 20)
    window_end = min(window_end, figure.end + _MAX_CUE_DISTANCE_AFTER + 20)
    for match in pattern.finditer(text, window_start, window_end):
        name = match.lastgroup
        if name is None:
            continue
        if match.end() <= figure.start:
            distance = figure.start - match.end()
            gap = (match.end(), figure.start)
        elif match.start() >= figure.end:
            distance = match.start() - figure.end
            if distance > _MAX_CUE_DISTANCE_AFTER:
                continue
            distance += _AFTER_PENALTY + after_penalty
            gap = (figure.end, match.start())
        else:
            distance = 0  # inside the figure: "86 million scraped files"
            gap = (0, 0)
        if name in weak:
            distance += _WEAK_PENALTY
        if distance >= best_distance:
            continue
        if gap[1] > gap[0]:
            clauses = len(_CLAUSE_MARK.findall(text, gap[0], gap[1]))
            distance += clauses * _CLAUSE_PENALTY
        if distance < best_distance and (reject is None or not reject(text, match, figure)):
            best, best_distance = name, distance
    return best, best_distance


def _is_dateline(text: str, figure: Figure) -> bool:
    line_start = text.rfind("\n", 0, figure.start) + 1
    return bool(
        _DATELINE_BEFORE.match(text[line_start : figure.start])
        and _DATELINE_AFTER.match(text, figure.end)
    )


def _date_subject(sentence: _Sentence, position: int) -> tuple[str, str] | None:
    text = sentence.text
    figure = sentence.figures[position]
    if _is_dateline(text, figure):
        return None
    window_start, window_end = _window(sentence, position)
    # "filed on Dec. 29 and unsealed on Jan. 16": after a preposition the verb comes first.
    after_penalty = 26 if _PREPOSITION_BEFORE.search(text, window_start, figure.start) else 0
    cue = _nearest_cue(
        _DATE_CUES, text, figure, window_start, window_end, _WEAK_DATE_CUES, None, after_penalty
    )
    if cue is None:
        return None
    key, label = _DATE_EVENTS[cue]
    nearby = text[max(sentence.start, figure.start - 160) : min(sentence.end, figure.end + 160)]
    if cue == "filedother":
        match = re.search(
            r"filed\s+\w+\s+(?:\w+\s+)?(letter|motion|request|brief|notice|declaration|reply"
            r"|memorandum|application|proposal|opposition)",
            nearby,
            re.IGNORECASE,
        )
        noun = match.group(1).lower() if match else "paper"
        return f"{noun}-filed", f"{noun.capitalize()} filed"
    if cue == "filed":
        # "The settlement ... was filed with the court": what was filed comes first.
        head = text[sentence.start : figure.start]
        document = _FILED_DOCUMENT.search(head)
        if document is not None and document.group(1).lower() in ("settlement", "agreement"):
            return "settlement-filed", "Settlement filed"
    if cue == "released":
        lowered = nearby.lower()
        if "metadata" in lowered:
            return "released/metadata-rows", "Metadata released"
        if re.search(r"\b(?:music|audio|songs|tracks|files|recordings)\b", lowered):
            return "released/music-files", "Music files released"
        return key, "Data released"
    if cue in ("announced", "discovered"):
        if _BREACH_WORDS.search(nearby):
            return f"breach-{cue}", f"Breach {cue}" if cue == "discovered" else "Breach disclosed"
        if cue == "announced":
            if re.search(r"\b(?:releas\w*|publish\w*|in\s+stages)\b", nearby, re.IGNORECASE):
                return "announced/release", "Release announced"
            if re.search(r"\b(?:scrap\w*|backed\s+up|backup|copied)\b", nearby, re.IGNORECASE):
                return "announced/scrape", "Scrape announced"
    return key, label


def _award_is_negated(text: str, match: re.Match[str], figure: Figure) -> bool:
    if match.lastgroup != "awarded":
        return False
    return _NEGATION_BEFORE.search(text, max(0, match.start() - 40), match.start()) is not None


def _money_subject(sentence: _Sentence, position: int) -> tuple[str, str] | None:
    text = sentence.text
    figures = sentence.figures
    figure = figures[position]
    window_start = _window(sentence, position)[0]

    # Two amounts joined by "to"/"and" are the ends of a range: "$750 to $30,000 per work".
    before, after = _same_kind_neighbours(sentence, position)
    following = figures[after] if after is not None else None
    preceding = figures[before] if before is not None else None
    low_end = following is not None and _joins_range(text, figure.end, following.start)
    high_end = preceding is not None and _joins_range(text, preceding.end, figure.start)
    subject = _money_base_subject(sentence, position, following if low_end else None)
    if subject is None:
        return None
    key, label = subject
    if key == "statutory-damages-per-work":
        if low_end:
            return f"{key}/minimum", "Statutory minimum per work"
        if high_end or _ORDINARY_CUE.search(text, window_start, figure.start):
            return f"{key}/ordinary", "Ordinary statutory maximum per work"
        return subject
    if low_end:
        return f"{key}/low", f"{label} (low end)"
    if high_end:
        return f"{key}/high", f"{label} (high end)"
    return subject


def _joins_range(text: str, end: int, start: int) -> bool:
    match = _RANGE_LINK.match(text, end)
    return match is not None and match.end() == start


def _money_base_subject(
    sentence: _Sentence, position: int, range_high: Figure | None
) -> tuple[str, str] | None:
    text = sentence.text
    figure = sentence.figures[position]
    quote = text[sentence.start : sentence.end]
    window_start, window_end = _window(sentence, position)
    cue = _nearest_cue(
        _MONEY_CUES, text, figure, window_start, window_end, reject=_award_is_negated
    )
    if cue is None and (window_start, window_end) != (sentence.start, sentence.end):
        # "fined Tixly €4.5m ..., well below the maximum of €20m": the verb is shared.
        cue = _nearest_cue(
            _MONEY_CUES, text, figure, sentence.start, sentence.end, reject=_award_is_negated
        )

    unit_end = range_high.end if range_high is not None else figure.end
    per_unit = _PER_UNIT.match(text, unit_end)
    if per_unit is not None or _FOR_EACH_OF.match(text, figure.end):
        unit = per_unit.group(1).lower() if per_unit is not None else "work"
        if unit in _PER_WORK_UNITS and (
            _DAMAGES_CONTEXT.search(quote) or sentence.damages_article or figure.hedge == "up to"
        ):
            return "statutory-damages-per-work", "Statutory damages per work"
        if cue == "payout":
            return f"payout-per-{unit}", f"Payout per {unit}"
        return f"per-{unit}", f"Amount per {unit}"

    if cue == "awarded":
        return "damages-awarded", "Damages awarded"
    if cue == "settlement":
        return "settlement", "Settlement"
    if cue == "fine":
        ahead = text[max(window_start, figure.start - 60) : figure.start]
        if figure.hedge == "up to" or _MAXIMUM_CUE.search(ahead):
            return "fine/maximum", "Maximum fine"
        return "fine", "Fine imposed"
    if cue == "fees":
        return "fees", "Legal fees"
    if cue == "payout":
        return "payout", "Payout"

    noun = _money_noun(text, figure)
    if noun is not None and noun in _GENERIC_MONEY_NOUNS:
        return _GENERIC_MONEY_NOUNS[noun]
    if cue == "sought":
        return "damages-sought", "Damages sought"
    damages_context = bool(_DAMAGES_CONTEXT.search(quote)) or sentence.damages_article
    if noun is not None and not damages_context:
        return f"money/{_singular(noun)}", noun[:1].upper() + noun[1:]
    if damages_context:
        # Probably the damages claim, but said without a word for it: merging may
        # move it to another money subject that states the same amount.
        return "damages-sought" + _WEAK, "Damages sought"
    return None


def _money_noun(text: str, figure: Figure) -> str | None:
    """What the amount is for: '$5m in donations', 'a $2m fine', 'a fine of $2m'."""
    compound = _MONEY_NOUN_AFTER.match(text, figure.end)
    if compound is not None:
        word = compound.group(1).lower()
        if word in _GENERIC_MONEY_NOUNS:
            return word
    after = _MONEY_IN_NOUN.match(text, figure.end)
    if after is not None:
        word = after.group(1).split()[0].lower()
        if word not in _GENERIC_MONEY_STOP and word not in _TRIVIAL_NOUNS:
            return word
    for pattern in (_NOUN_OF_BEFORE, _NOUN_VERB_BEFORE):
        found = pattern.search(text, max(0, figure.start - 40), figure.start)
        if found is not None:
            word = found.group(1).lower()
            if word in _GENERIC_MONEY_NOUNS:
                return word
    return None


def _percent_subject(text: str, figure: Figure) -> tuple[str, str] | None:
    match = _PERCENT_OF.match(text, figure.end)
    if match is None:
        return None
    words = [w.lower() for w in match.group(1).split()]
    if any(w in _LISTEN_WORDS for w in words):
        return "share/listens", "Share of listens covered"
    nouns = [w for w in words if w not in _PERCENT_SKIP]
    if not nouns:
        return None
    head = nouns[0]
    if head in _GENERIC_MONEY_STOP or head in _TRIVIAL_NOUNS or not head.isalpha():
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
    """Fold loosely identified facts into the subject they restate.

    * '86 million files' with no verb joins 'files scraped' (or another qualified
      subject of the same thing) when its value matches one stated there: to within
      rounding, or 25 % for counts and sizes. A different quantity ('2.8 million files')
      never joins by accident.
    * Money only guessed to be damages from the article ("Multiply $150,000 by...")
      joins whichever money subject states the same amount, else damages sought.
    * An alias ('86 million works') joins the concept it names by value.
    """
    for key, kind in [k for k in groups if k[0].endswith(_WEAK)]:
        base = key[: -len(_WEAK)]
        targets = sorted(
            (k for k in groups if k[1] is kind and not k[0].endswith(_WEAK)),
            key=lambda k: (k[0] != base, -_source_count(groups[k])),
        )
        for fact in groups.pop((key, kind)):
            target = next(
                (t for t in targets if any(_same_amount(fact, o) for o in groups[t])),
                (base, kind),
            )
            label = groups[target][0].label if target in groups else fact.label
            groups.setdefault(target, []).append(_relabel(fact, target[0], label))

    for key, kind in list(groups):
        if kind not in _JOINABLE or "/" in key:
            continue
        concepts = (key, *_ALIAS_CONCEPTS.get(key, ()))
        candidates = [
            other
            for other in groups
            if other[1] is kind
            and other[0] != key
            and other[0].split("/", 1)[0] in concepts
            and ("/" in other[0] or other[0] != key)
        ]
        if not candidates:
            continue
        candidates.sort(key=lambda k: ("/" not in k[0], -_source_count(groups[k])))
        leftovers: list[Fact] = []
        for fact in groups[(key, kind)]:
            joined = next(
                (c for c in candidates if any(_compatible(fact, o) for o in groups[c])), None
            )
            if joined is None:
                leftovers.append(fact)
            else:
                groups[joined].append(_relabel(fact, joined[0], groups[joined][0].label))
        if leftovers:
            groups[(key, kind)] = leftovers
        else:
            del groups[(key, kind)]


def _source_count(facts: list[Fact]) -> int:
    return len({f.source for f in facts})


def _same_amount(a: Fact, b: Fact) -> bool:
    if a.figure.unit != b.figure.unit:
        return False
    if a.figure.value == b.figure.value:
        return True
    coarse, fine = sorted((a.figure, b.figure), key=written_precision, reverse=True)
    return _within_rounding(coarse, fine)


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
    label = Counter(f.label for f in members).most_common(1)[0][0]
    values = tuple(_fact_value(cluster, label) for cluster in ordered)
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


def _fact_value(cluster: _Cluster, label: str) -> FactValue:
    facts = cluster.facts
    representative = facts[0].figure
    sources: dict[str, None] = {}
    by_article: dict[str, Fact] = {}
    for fact in facts:
        sources.setdefault(fact.source, None)
        best = by_article.get(fact.article_id)
        # Prefer a body sentence over the headline (which starts at offset 0).
        if best is None or (best.sentence_start == 0 and fact.sentence_start > 0):
            by_article[fact.article_id] = fact
    quoted = list(by_article.values())
    units = Counter(f.figure.unit for f in facts)
    unit = (
        units.most_common(1)[0][0]
        if representative.kind is FigureKind.COUNT
        else representative.unit
    )
    return FactValue(
        text=_value_text(facts, label),
        value=representative.value,
        unit=unit,
        sources=tuple(sources),
        articles=tuple(by_article),
        quotes=tuple(f.sentence for f in quoted),
        spans=tuple((f.article_id, f.sentence_start, f.sentence_end) for f in quoted),
    )


def _value_text(facts: list[Fact], label: str) -> str:
    """How most articles write the value (an article repeating itself counts once).

    Ties go to body sentences over headlines, then to the earliest article. A hedge is
    shown only when every statement makes it; otherwise the note lists hedges.
    """
    ordered = sorted(facts, key=_body_first)
    per_article = Counter({(f.article_id, _plain(f.figure.text)): None for f in ordered})
    votes = Counter(text for _article, text in per_article)
    first_seen: dict[str, int] = {}
    for fact in ordered:
        first_seen.setdefault(_plain(fact.figure.text), len(first_seen))
    label_words = set(label.lower().split())
    text = min(
        votes,
        key=lambda t: (
            -votes[t],
            -len(label_words & set(t.lower().split())),  # '256m metadata records' for metadata
            t.startswith("~"),
            first_seen[t],
        ),
    )
    figure = next(f.figure for f in ordered if _plain(f.figure.text) == text)
    hedges = {f.figure.hedge for f in facts}
    if len(hedges) == 1:
        text = _display_text(figure)
    if figure.kind is FigureKind.DATE:
        text = _with_year(text, figure)
    return text


def _plain(text: str) -> str:
    return " ".join(text.split())


_YEAR_IN_TEXT = re.compile(r"\b(?:19|20)\d\d\b")


def _with_year(text: str, figure: Figure) -> str:
    """'Dec. 29' -> 'Dec. 29, 2025': a date read without its year gets it shown."""
    if not isinstance(figure.value, str) or _YEAR_IN_TEXT.search(text):
        return text
    year = figure.value[:4]
    return (
        f"{text}, {year}"
        if text[-1:].isdigit() or text.endswith(("st", "nd", "rd", "th"))
        else f"{text} {year}"
    )


def _body_first(fact: Fact) -> tuple[bool, str]:
    return (fact.sentence_start == 0, fact.published or "")


def _display_text(figure: Figure) -> str:
    text = _plain(figure.text)
    hedge = figure.hedge
    if not hedge or hedge in ("range", "between"):
        return text
    if hedge == "or more":
        return text if text.endswith(("+", "plus")) else f"{text} or more"
    if hedge == "~":
        return text if text.startswith("~") else f"~{text}"
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
    """Which hedges some (not all) statements carry; a shared hedge is in the value."""
    statements = [f.figure.hedge for c in clusters for f in c.facts]
    if len(set(statements)) <= 1:
        return ""
    hedges = sorted({h for h in statements if h and h not in ("range", "between")})
    if not hedges:
        return ""
    return "Some sources hedge it: " + ", ".join(f"“{h}”" for h in hedges) + "."


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
