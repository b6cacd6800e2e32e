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
import functools
import hashlib
import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Literal, NamedTuple, Protocol

from ..figures import find_figures
from ..figures import written_precision as _written_precision
from ..models import Article, Briefing, FactValue, Figure, FigureKind, KeyFact, TimelineEvent
from ..textclean import article_plain_text

__all__ = [
    "EXTRACTOR_VERSION",
    "Fact",
    "FactCache",
    "assemble_briefing",
    "build_briefing",
    "build_timeline",
    "extract_facts",
    "fact_articles",
    "fact_cache_key",
    "fact_from_dict",
    "fact_to_dict",
    "facts_from_cache_entry",
    "facts_to_cache_entry",
    "forget_remembered_facts",
    "merge_facts",
    "timeline_disputes",
]


def _word_set(words: str) -> frozenset[str]:
    """A readable word list: whitespace-separated words in one string."""
    return frozenset(words.split())


EXTRACTOR_VERSION = "facts-6"
"""Part of every cache key: bump when extraction output changes."""


class Fact(NamedTuple):
    """One figure in one article, with its subject and the sentence that states it.

    Immutable and compared by value like the frozen dataclasses in ``models``, but a
    named tuple: a briefing decodes tens of thousands of these from the cache, and a
    tuple is built about 20x faster than a frozen dataclass.
    """

    figure: Figure
    # What the figure measures, canonical: 'music-files/scraped', 'damages-sought'.
    subject_key: str
    # The subject for people: 'Music files scraped', 'Damages sought'.
    label: str
    sentence: str
    # The sentence's span in ``article_plain_text(title, body_html)``.
    sentence_start: int
    sentence_end: int
    article_id: str
    source: str
    published: str | None


class FactCache(Protocol):
    """Where per-article facts are kept between runs (the store implements it)."""

    def load_facts(self, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]: ...

    def save_facts(self, entries: Mapping[str, list[dict[str, Any]]]) -> None: ...


# --------------------------------------------------------------------------- sentences

_ABBREVIATIONS = _word_set(
    """
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    mr mrs ms dr prof st no nos inc corp co ltd llc plc vs v u.s u.k e.g i.e approx gov sen rep
    jr sr etc al fig gen lt col sgt capt est dept univ ave
    """
)
_CLOSERS = "\"'”’)]"
_SENTENCE_MARK = re.compile(r"[.!?\n]")


def _boundary_at(text: str, index: int) -> tuple[int, int] | None:
    """If ``text[index]`` ends a sentence: (end of that sentence, start of the next).

    Titles and paragraphs end at newlines; otherwise . ! or ? (and closing quotes) then
    whitespace, except after an abbreviation ("Jan.", "U.S.") or before a lowercase word.
    """
    length = len(text)
    if text[index] == "\n":
        end = index
    else:
        end = index + 1
        while end < length and (text[end] in _CLOSERS or text[end] in ".!?"):
            end += 1
        if end < length and not text[end].isspace():
            return None  # "12.9", "example.org"
        if text[index] == ".":
            before = text[max(0, index - 12) : index].rsplit(None, 1)
            word = before[-1].lstrip(_CLOSERS + "(“‘[") if before else ""
            if word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper()):
                return None
            next_start = end
            while next_start < length and text[next_start].isspace():
                next_start += 1
            if text[next_start : next_start + 1].islower():
                return None
            return end, next_start
    next_start = end
    while next_start < length and text[next_start].isspace():
        next_start += 1
    return end, next_start


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence holding ``text[start:end]``, whitespace trimmed. Local work only."""
    sentence_start = 0
    limit = start
    while limit > 0:
        index = max(
            text.rfind(".", 0, limit),
            text.rfind("!", 0, limit),
            text.rfind("?", 0, limit),
            text.rfind("\n", 0, limit),
        )
        if index < 0:
            break
        boundary = _boundary_at(text, index)
        if boundary is not None and boundary[1] <= start:
            sentence_start = boundary[1]
            break
        limit = index
    sentence_end = len(text)
    for mark in _SENTENCE_MARK.finditer(text, end):
        boundary = _boundary_at(text, mark.start())
        if boundary is not None:
            sentence_end = boundary[0]
            break
    while sentence_start < start and text[sentence_start].isspace():
        sentence_start += 1
    if text.startswith("- ", sentence_start) and sentence_start + 2 <= start:
        sentence_start += 2  # the marker html_to_text puts before a list item
    while sentence_end > end and text[sentence_end - 1].isspace():
        sentence_end -= 1
    return sentence_start, sentence_end


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

# Head nouns that name the same people whatever the wording: "18% of its clients" and
# "20 percent of customers" are one share. Only pairs that never mean different things
# in the news this reads; "users" and "customers" stay apart (a free user pays nothing).
_HEAD_SYNONYMS = {"client": ("customer", "customers")}

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
    "recovered": "recovered",
}
# Verbs of taking ("took", "holds", "obtained") are deliberately absent: they say nothing
# about how, so such a count stays unqualified and joins a qualified one by value.
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
    # Resolved from the words around them (see _date_subject).
    "began": ("began", "Began"),
    "wentdown": ("site-taken-down", "Site taken down"),
    "restored": ("service-restored", "Service restored"),
    "restoretarget": ("restoration-target", "Restoration target"),
    "dealclosed": ("deal-closed", "Deal closed"),
}
# Nouns are weaker cues than verbs: "the complaint, unsealed Jan. 16" is about unsealing.
_WEAK_DATE_CUES = frozenset({"suit", "hearing", "settlement", "deadline", "breachnoun"})
_BREACH_WORDS = re.compile(r"\b(?:breach\w*|intrusion|hack\w*|attack\w*|stole\w*)\b", re.I)
# Words that say a service failed by itself (not "went dark", which a seized site does).
_OUTAGE_WORDS = re.compile(r"\b(?:outages?|downtime|blackouts?|disruptions?)\b", re.I)
# What a "began" or "restored" date is about, from the words around it.
_DATA_WORDS = re.compile(
    r"\b(?:data|files|records|backups?|[a-z]*bytes|PB|TB|GB|databases?)\b", re.IGNORECASE
)
_DEAL_WORDS = re.compile(
    r"\b(?:acqui\w*|merger|purchase\w*|takeover|buyout|deal|sale|transaction)\b", re.I
)
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
_DATELINE_BEFORE = re.compile(r"[A-Z][A-Z .'’-]{1,40},\s*$")
_DATELINE_AFTER = re.compile(r"\s*\((?:[A-Z][\w.&' -]{0,40})\)")

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
    r"\b([a-z]+)\s+(?:(?:will|would|could|may|might|should)\s+(?:be\s+)?)?(?:topped|reached"
    r"|reach|totall?ed|totals?|hit|exceeded|came\s+to|come\s+to|amounted\s+to|amount\s+to"
    r"|were|was|cost|rose\s+to|fell\s+to|grew\s+to|stood\s+at)"
    r"\s+(?:about\s+|some\s+|nearly\s+|roughly\s+)?$",
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
    # Paid back to customers, not damages a court is asked for or awards.
    "refunds": ("refunds", "Refunds"),
    "refund": ("refunds", "Refunds"),
    "credits": ("refunds", "Refunds"),
    "compensation": ("compensation", "Compensation"),
}
_AWARD_OR_CLAIM_NOUNS = _word_set("award verdict judgment claim")
_GENERIC_MONEY_STOP = _word_set(
    """
    the a an and or but to of in on at by for from with that which who it its this
    their his her is are was were be been has have had will would could may might
    each every all any some what whatever everything anything something
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


# --------------------------------------------------------------------------- cue words
#
# Cues are words (and short phrases) that say what a figure is about: "filed", "made
# public", "ordered ... to pay". They are matched over each sentence's words once, not
# with a regular expression per figure: a big alternation costs time at every character.
# Pattern syntax: phrases separated by commas; within a phrase, words separated by
# spaces, alternatives by "/", an optional word ends in "?", and "*N" skips up to N words.


class _Cue(NamedTuple):
    group: str
    rest: tuple[frozenset[str] | int, ...]
    """What must follow the first word: a set of words, or up to N words of anything."""


_Lexicon = dict[str, tuple[_Cue, ...]]


def _build_lexicon(spec: Sequence[tuple[str, str]]) -> _Lexicon:
    lexicon: dict[str, list[_Cue]] = {}
    for group, phrases in spec:
        for phrase in phrases.split(","):
            for variant in _without_optional_words(phrase.split()):
                first, *rest = variant
                parsed = tuple(
                    int(part[1:]) if part.startswith("*") else frozenset(part.split("/"))
                    for part in rest
                )
                for word in first.split("/"):
                    lexicon.setdefault(word, []).append(_Cue(group, parsed))
    return {word: tuple(cues) for word, cues in lexicon.items()}


def _without_optional_words(parts: list[str]) -> list[list[str]]:
    """'temporary? restraining order' -> the phrase with and without 'temporary'."""
    variants: list[list[str]] = [[]]
    for part in parts:
        if part.endswith("?"):
            word = part[:-1]
            variants = [[*v, word] for v in variants] + [list(v) for v in variants]
        else:
            variants = [[*v, part] for v in variants]
    return sorted(variants, key=len, reverse=True)


def _match_rest(words: Sequence[str], last: int, rest: Sequence[frozenset[str] | int]) -> int:
    """Index of the phrase's last word if ``rest`` follows word ``last``, else -1."""
    if not rest:
        return last
    part, remaining = rest[0], rest[1:]
    if isinstance(part, int):
        for skip in range(part + 1):
            found = _match_rest(words, last + skip, remaining)
            if found >= 0:
                return found
        return -1
    if last + 1 < len(words) and words[last + 1] in part:
        return _match_rest(words, last + 1, remaining)
    return -1


_TAKE_TO = "plan/plans/planned/intend/intends/intended/promise/promises/promised/threaten"
_ACTION_LEXICON = _build_lexicon(
    [
        (
            "planned",
            f"{_TAKE_TO}/threatens/threatened/vow/vows/vowed/aim/aims/aimed/would/will/set"
            "/prepares/prepared/preparing/going/hope/hopes/want/wants to"
            " also/eventually/later/soon? release/publish/share/distribute/make/put/upload/leak",
        ),
        ("leaked", "leak/leaked/leaks/leaking/dump/dumped/dumping/dumps/post/posts/posted/posting"),
        (
            "released",
            "release/released/releases/releasing/publish/published/publishes/publishing/shared"
            "/distribute/distributed/distributes/distributing/upload/uploaded/uploading/seeded"
            "/seeding, made/make/makes/making available, put online",
        ),
        ("removed", "removed/removing/deleted/deleting, taken/took down"),
        # Getting data back is not losing it: "recovered 2.1 PB" is another quantity
        # than the "2.4 PB" wiped, however close the values.
        (
            "recovered",
            "recover/recovers/recovered/recovering/restore/restores/restored/restoring"
            "/retrieve/retrieves/retrieved/retrieving, brought/got back",
        ),
        (
            "stolen",
            "stole/stolen/steal/steals/stealing/exfiltrated/exfiltrating/exfiltration/hack"
            "/hacked/hacker/hackers/breach/breached/breaches/compromised/compromising/exposed"
            "/exposing/siphoned/siphoning",
        ),
        (
            "scraped",
            "scrape/scraped/scrapes/scraping/copied/copying/copy/ripped/ripping/downloaded"
            "/downloading/harvest/harvested/harvesting/archived/archiving/backup/mirrored"
            "/mirroring/hoard/hoarded/hoarding/haul, back/backed/backing up",
        ),
    ]
)
_DATE_LEXICON = _build_lexicon(
    [
        (
            "unsealed",
            "unseal/unsealed/unsealing/unseals, made/became public, from under seal,"
            " kept/remained/stayed/held under seal until, kept/remained/stayed/held sealed until",
        ),
        ("undersealed", "under seal"),
        (
            "filedother",
            "filed a/an/the/its/their/another *1 letter/motion/request/brief/notice/declaration"
            "/reply/memorandum/application/proposal/opposition",
        ),
        ("filed", "filed/files/filing/sued/sues/suing/brought/lodged/launched/initiated"),
        ("suit", "lawsuit/suit/complaint, legal action"),
        ("restraining", "temporary? restraining order, tro"),
        ("injunction", "injunction/enjoin/enjoined/enjoining"),
        ("fined", "fined/penalised/penalized/sanctioned"),
        (
            "judgment",
            "judgment/judgement/judgments/judgements/ruled/ruling/verdict/ordered/awarded/award,"
            " handed down",
        ),
        ("hearing", "hearing/hearings/trial, oral argument/arguments"),
        ("deadline", "deadline/respond, response is due, due to answer/respond"),
        ("settlement", "settle/settled/settlement"),
        ("appeal", "appeal/appeals/appealed"),
        (
            "takedown",
            "shut down, taken/took down/offline, seized/suspended/blocked",
        ),
        # A service going dark: an outage in an article about one, else a takedown.
        (
            "wentdown",
            "went offline/dark/down, go/goes offline/dark/down, knocked offline/out,"
            " crashed/wiped/erased",
        ),
        # Events that say when something started; what started comes from the words
        # around them: "the outage began", "the intrusion started".
        ("began", "began/begun/begin/begins/start/started/starts/commenced, kicked off"),
        (
            "restoretarget",
            "expect/expects/expected/aim/aims/aimed/plan/plans/planned/hope/hopes/hoped"
            "/promised/vowed to fully? restore/recover/resolve/fix,"
            " will/would/should/could *2 restore/recover/restored/recovered/resolved/fixed",
        ),
        (
            "restored",
            "restored/restores/restoring/recovered/recovers/recovering/resolved/fixed/ended"
            "/retrieved, back online, brought/got back",
        ),
        (
            "dealclosed",
            "closed/completed/completes/finalised/finalized/finalises/finalizes, wrapped up",
        ),
        ("discovered", "discovered/detected/noticed, learned of"),
        (
            "planned",
            "plan/plans/planned/intend/intends/intended/aim/aims/aimed/expect/expects/expected"
            " to release/publish/share/distribute/upload/put",
        ),
        (
            "announced",
            "announce/announced/announces/announcing/announcement/revealed/disclosed/unveiled"
            "/promised/pledged/claimed, blog post, said it would/will/had/has",
        ),
        (
            "released",
            "release/released/releasing/publish/published/publishes/publishing/posted/uploaded"
            "/leaked, made available",
        ),
        ("breach", "hacked/breached/stole/stolen/exfiltrated/attacked"),
        ("breachnoun", "breach/intrusion/hack/attack/cyberattack"),
        ("scraped", "scrape/scraped/scrapes/scraping/backup/copied/ripped/downloaded, backed up"),
    ]
)
_MONEY_LEXICON = _build_lexicon(
    [
        (
            "awarded",
            "award/awards/awarded/awarding/verdict/granted/win/wins/won, ordered *4 to pay,"
            " must pay, judgment/judgement of/for",
        ),
        ("settlement", "settle/settled/settles/settlement/settlements/deal"),
        ("fine", "fine/fined/fines"),
        ("fees", "legal/attorney/attorneys/lawyer/lawyers fees/costs"),
        (
            "payout",
            "payment/payments/payout/payouts/receive/received/receives, paid out,"
            " compensate/compensated/compensation per",
        ),
        (
            "sought",
            "seek/seeks/seeking/sought/demand/demands/demanded/demanding/claim/claims"
            "/claimed/claiming/liable/owe/owes/owed/want/wants/wanted/asking/totaled/totaling"
            "/totalled/totalling/face/faces, on the hook, could face, ask/asks/asked for",
        ),
        # Nouns say the amount is damages, not whether they are sought or awarded: a verb
        # in the same clause decides ("awarded the labels $10 million in damages").
        (
            "soughtnoun",
            "damages/penalty/penalties/liability/exposure/total/totals/sum, headline value",
        ),
    ]
)
_MONEY_NOUN_CUES = frozenset({"soughtnoun"})
_MONEY_NOUN_PENALTY = 45
"""Added to a damages noun's distance: a verb up to this much further away wins."""
_LEXICONS: dict[str, _Lexicon] = {
    "action": _ACTION_LEXICON,
    "date": _DATE_LEXICON,
    "money": _MONEY_LEXICON,
}
_DAMAGES_WORDS = _word_set(
    """
    damages statutory lawsuit suit sue sued sues suing complaint copyright court penalty
    penalties willful wilful judge ruling judgment judgement verdict
    """
)
_DAMAGES_PREFIXES = ("infring", "liab", "pirat", "award")
_TOKEN = re.compile(r"[a-z]+")


class _WordLocator:
    """Offsets of chosen words of a lowercased sentence, found left to right."""

    __slots__ = ("_index", "_offset", "lowered", "words")

    def __init__(self, lowered: str, words: list[str]) -> None:
        self.lowered = lowered
        self.words = words
        self._index = 0  # words before this index lie before self._offset
        self._offset = 0

    def start_of(self, index: int) -> int:
        word = self.words[index]
        # Earlier copies of the same word between the last located word and this one
        # must be skipped; other words cannot match (words are whole runs of letters).
        skip = self.words[self._index : index].count(word) if index > self._index else 0
        pattern = _word_pattern(word)
        offset = self._offset
        match = pattern.search(self.lowered, offset)
        for _ in range(skip):
            if match is None:
                break
            match = pattern.search(self.lowered, match.end())
        position = match.start() if match is not None else offset
        self._index = index + 1
        self._offset = position + len(word)
        return position


@functools.lru_cache(maxsize=2048)
def _word_pattern(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z]){word}(?![a-z])")


class _Sentence:
    """One sentence with figures, its words and cue hits (computed once, on demand)."""

    __slots__ = (
        "_hits",
        "_lowered",
        "_words",
        "damages_article",
        "end",
        "figures",
        "outage_article",
        "start",
        "text",
    )

    def __init__(
        self,
        text: str,
        start: int,
        end: int,
        figures: list[Figure],
        damages_article: bool,
        outage_article: bool = False,
    ) -> None:
        self.text = text
        """The whole article text (offsets are into it)."""
        self.start = start
        self.end = end
        self.figures = figures
        self.damages_article = damages_article
        """The article is about a damages claim, so unexplained money is probably damages."""
        self.outage_article = outage_article
        """The article is about a service outage, so "went dark" is not a takedown."""
        self._lowered = ""
        self._words: list[str] | None = None
        self._hits: dict[str, list[tuple[int, int, str]]] = {}

    def words(self) -> list[str]:
        """The sentence's words, lowercased."""
        if self._words is None:
            lowered = self.text[self.start : self.end].lower()
            if len(lowered) != self.end - self.start:
                # Lowercasing changed the length ("İ"): lowercase ASCII only, offsets stay.
                lowered = "".join(
                    c.lower() if c.isascii() else "\x00" for c in self.text[self.start : self.end]
                )
            self._lowered = lowered
            self._words = _TOKEN.findall(lowered)
        return self._words

    def hits(self, family: str) -> list[tuple[int, int, str]]:
        """(start, end, group) of each cue of ``family``, left to right, not overlapping.

        Only words that can start a cue are located in the text, so the work is per cue
        found rather than per word.
        """
        found = self._hits.get(family)
        if found is None:
            lexicon = _LEXICONS[family]
            words = self.words()
            found = []
            locator = _WordLocator(self._lowered, words)
            resume = 0
            for index in [i for i, word in enumerate(words) if word in lexicon]:
                if index < resume:
                    continue
                for cue in lexicon[words[index]]:
                    last = _match_rest(words, index, cue.rest)
                    if last >= 0:
                        start = locator.start_of(index)
                        end = (locator.start_of(last) if last > index else start) + len(words[last])
                        found.append((self.start + start, self.start + end, cue.group))
                        resume = last + 1
                        break
            self._hits[family] = found
        return found

    def about_damages(self) -> bool:
        words = self.words()
        return any(w in _DAMAGES_WORDS or w.startswith(_DAMAGES_PREFIXES) for w in words)


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
    by_sentence: dict[tuple[int, int], list[Figure]] = {}
    current = (-1, -1)
    for figure in figures:
        if figure.start >= current[1]:
            current = _sentence_around(text, figure.start, figure.end)
        elif figure.end > current[1]:
            # A figure running past the end found so far extends the sentence.
            grown = (current[0], _sentence_around(text, figure.start, figure.end)[1])
            by_sentence[grown] = by_sentence.pop(current)
            current = grown
        by_sentence.setdefault(current, []).append(figure)
    damages_article = any(f.kind is FigureKind.MONEY for f in figures) and bool(
        _DAMAGES_CONTEXT.search(text)
    )
    outage_article = any(f.kind is FigureKind.DATE for f in figures) and bool(
        _OUTAGE_WORDS.search(text)
    )

    facts: list[Fact] = []
    for (start, end), in_sentence in by_sentence.items():
        sentence = _Sentence(text, start, end, in_sentence, damages_article, outage_article)
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
        return _percent_subject(sentence, position, earlier_subjects), ""

    text = sentence.text
    window_start, window_end = _window(sentence, position)
    # Counts and sizes share a window: "86 million files, roughly 300 TB" are one clause.
    for index in range(position - 1, -1, -1):
        if sentence.figures[index].kind in (FigureKind.COUNT, FigureKind.SIZE):
            window_start = max(window_start, sentence.figures[index].end)
            break
    action, distance = _nearest_cue_distance(
        sentence, "action", figure, window_start, window_end, reject=_describes_other_noun
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


def _describes_other_noun(text: str, start: int, end: int, group: str, figure: Figure) -> bool:
    if figure.start <= start < figure.end:
        return False
    return _DETERMINER_BEFORE.search(text, max(0, start - 8), start) is not None


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
    singular = _singular(head)
    if singular in _HEAD_SYNONYMS:
        key, plural = _HEAD_SYNONYMS[singular]
        return _Concept(key, plural.capitalize())
    return _Concept(singular, phrase[:1].upper() + phrase[1:])


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


_Reject = Callable[[str, int, int, str, Figure], bool]


def _nearest_cue(
    sentence: _Sentence,
    family: str,
    figure: Figure,
    window_start: int,
    window_end: int,
    weak: frozenset[str] = frozenset(),
    reject: _Reject | None = None,
    after_penalty: int = 0,
    weak_penalty: int = _WEAK_PENALTY,
) -> str | None:
    """The cue group nearest the figure in its window: verbs before nouns, same clause first."""
    return _nearest_cue_distance(
        sentence,
        family,
        figure,
        window_start,
        window_end,
        weak,
        reject,
        after_penalty,
        weak_penalty,
    )[0]


def _nearest_cue_distance(
    sentence: _Sentence,
    family: str,
    figure: Figure,
    window_start: int,
    window_end: int,
    weak: frozenset[str] = frozenset(),
    reject: _Reject | None = None,
    after_penalty: int = 0,
    weak_penalty: int = _WEAK_PENALTY,
) -> tuple[str | None, int]:
    text = sentence.text
    best: str | None = None
    best_distance = _MAX_CUE_DISTANCE + 1
    window_start = max(window_start, figure.start - _MAX_CUE_DISTANCE - 20)
    window_end = min(window_end, figure.end + _MAX_CUE_DISTANCE_AFTER + 20)
    for start, end, name in sentence.hits(family):
        if start < window_start or end > window_end:
            continue
        if end <= figure.start:
            distance = figure.start - end
            gap = (end, figure.start)
        elif start >= figure.end:
            distance = start - figure.end
            if distance > _MAX_CUE_DISTANCE_AFTER:
                continue
            distance += _AFTER_PENALTY + after_penalty
            gap = (figure.end, start)
        else:
            distance = 0  # inside the figure: "86 million scraped files"
            gap = (0, 0)
        if name in weak:
            distance += weak_penalty
        if distance >= best_distance:
            continue
        if gap[1] > gap[0]:
            clauses = len(_CLAUSE_MARK.findall(text, gap[0], gap[1]))
            distance += clauses * _CLAUSE_PENALTY
        if distance < best_distance and (
            reject is None or not reject(text, start, end, name, figure)
        ):
            best, best_distance = name, distance
    return best, best_distance


def _is_dateline(text: str, figure: Figure) -> bool:
    line_start = text.rfind("\n", 0, figure.start) + 1
    if figure.start - line_start > 45 or not text[line_start : line_start + 1].isupper():
        return False
    return bool(
        _DATELINE_BEFORE.match(text, line_start, figure.start)
        and _DATELINE_AFTER.match(text, figure.end)
    )


def _date_subject(sentence: _Sentence, position: int) -> tuple[str, str] | None:
    text = sentence.text
    figure = sentence.figures[position]
    if _is_dateline(text, figure):
        return None
    window_start, window_end = _window(sentence, position)
    # "filed on Dec. 29 and unsealed on Jan. 16": after a preposition the verb comes first.
    preposition = _PREPOSITION_BEFORE.search(
        text, max(window_start, figure.start - 24), figure.start
    )
    after_penalty = 26 if preposition is not None else 0
    nearby = text[max(sentence.start, figure.start - 160) : min(sentence.end, figure.end + 160)]
    contextual: dict[str, tuple[str, str] | None] = {}

    def unresolved(text: str, start: int, end: int, group: str, figure: Figure) -> bool:
        if group not in _CONTEXTUAL_DATE_CUES:
            return False
        if _LEGAL_SUBJECT_BEFORE.search(text, max(sentence.start, start - 40), start):
            # "The hearing ended", "OCLC's lawsuit began", "the suit was resolved":
            # the verb dates a court event, which its own cue words name.
            return True
        if group not in contextual:
            contextual[group] = _contextual_date_event(sentence, group, nearby)
        return contextual[group] is None

    cue = _nearest_cue(
        sentence,
        "date",
        figure,
        window_start,
        window_end,
        _WEAK_DATE_CUES,
        unresolved,
        after_penalty,
    )
    if cue is None:
        return None
    if cue in _CONTEXTUAL_DATE_CUES:
        return contextual[cue]
    key, label = _DATE_EVENTS[cue]
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


_CONTEXTUAL_DATE_CUES = frozenset({"began", "wentdown", "restored", "restoretarget", "dealclosed"})
# A court event as the subject just before a generic verb ("the trial started").
_LEGAL_SUBJECT_BEFORE = re.compile(
    r"\b(?:hearings?|trials?|lawsuits?|suits?|complaints?|settlements?|injunctions?|rulings?"
    r"|judge?ments?|appeals?|litigation|proceedings|case|cases|talks|negotiations)"
    r"(?:\W+\w+){0,3}\W*$",
    re.IGNORECASE,
)


def _contextual_date_event(sentence: _Sentence, cue: str, nearby: str) -> tuple[str, str] | None:
    """What a date cue that names no event is about, or None when the words do not say.

    "began", "restored", "closed" and the like tell when, not what: the outage (in the
    sentence, or the article is about one), the breach, the data, the deal.
    """
    outage_nearby = _OUTAGE_WORDS.search(nearby) is not None
    outage = outage_nearby or sentence.outage_article
    if cue == "began":
        if outage_nearby:
            return "outage-began", "Outage began"
        if _BREACH_WORDS.search(nearby):
            return "breach", "Breach occurred"
        return ("outage-began", "Outage began") if outage else None
    if cue == "wentdown":
        if outage:
            return "outage-began", "Outage began"
        if re.search(r"\bwent\s+(?:offline|dark)\b", nearby, re.IGNORECASE):
            return _DATE_EVENTS[cue]
        return None
    data = _DATA_WORDS.search(nearby) is not None or any(
        f.kind is FigureKind.SIZE for f in sentence.figures
    )
    if cue == "restoretarget":
        return _DATE_EVENTS[cue] if data or outage else None
    if cue == "restored":
        if data:
            return "data-recovered", "Data recovered"
        return ("service-restored", "Service restored") if outage else None
    if cue == "dealclosed":
        return _DATE_EVENTS[cue] if _DEAL_WORDS.search(nearby) else None
    return None


def _award_is_negated(text: str, start: int, end: int, group: str, figure: Figure) -> bool:
    if group != "awarded":
        return False
    return _NEGATION_BEFORE.search(text, max(0, start - 40), start) is not None


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
    window_start, window_end = _window(sentence, position)
    cue = _nearest_cue(
        sentence,
        "money",
        figure,
        window_start,
        window_end,
        _MONEY_NOUN_CUES,
        _award_is_negated,
        weak_penalty=_MONEY_NOUN_PENALTY,
    )
    if cue is None and (window_start, window_end) != (sentence.start, sentence.end):
        # "fined Tixly €4.5m ..., well below the maximum of €20m": the verb is shared.
        cue = _nearest_cue(
            sentence,
            "money",
            figure,
            sentence.start,
            sentence.end,
            _MONEY_NOUN_CUES,
            _award_is_negated,
            weak_penalty=_MONEY_NOUN_PENALTY,
        )
    if cue == "soughtnoun":
        cue = "sought"

    unit_end = range_high.end if range_high is not None else figure.end
    per_unit = _PER_UNIT.match(text, unit_end)
    if per_unit is not None or _FOR_EACH_OF.match(text, figure.end):
        unit = per_unit.group(1).lower() if per_unit is not None else "work"
        if unit in _PER_WORK_UNITS and (
            sentence.damages_article or sentence.about_damages() or figure.hedge == "up to"
        ):
            return "statutory-damages-per-work", "Statutory damages per work"
        if cue == "payout":
            return f"payout-per-{unit}", f"Payout per {unit}"
        return f"per-{unit}", f"Amount per {unit}"

    # "the $10 million damages award", "a $2m damages claim": the noun the amount
    # qualifies says what it is, whatever verb the sentence has.
    head = _compound_money_noun(text, figure)
    if head in _AWARD_OR_CLAIM_NOUNS:
        return _GENERIC_MONEY_NOUNS[head]
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
    damages_context = sentence.damages_article or sentence.about_damages()
    if noun is not None and not damages_context:
        return f"money/{_singular(noun)}", noun[:1].upper() + noun[1:]
    if damages_context:
        # Probably the damages claim, but said without a word for it: merging may
        # move it to another money subject that states the same amount.
        return "damages-sought" + _WEAK, "Damages sought"
    return None


def _compound_money_noun(text: str, figure: Figure) -> str | None:
    """The head of money nouns right after an amount: 'award' in '$10m damages award'."""
    head = None
    position = figure.end
    for _ in range(3):
        compound = _MONEY_NOUN_AFTER.match(text, position)
        if compound is None or compound.group(1).lower() not in _GENERIC_MONEY_NOUNS:
            break
        head = compound.group(1).lower()
        position = compound.end()
    return head


def _money_noun(text: str, figure: Figure) -> str | None:
    """What the amount is for: '$5m in donations', 'a $2m fine', 'a fine of $2m'."""
    head = _compound_money_noun(text, figure)
    if head is not None:
        return head
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


def _percent_subject(
    sentence: _Sentence, position: int, earlier_subjects: Sequence[tuple[str, str] | None]
) -> tuple[str, str] | None:
    text = sentence.text
    figure = sentence.figures[position]
    match = _PERCENT_OF.match(text, figure.end)
    if match is None or _PERCENT_OF_PRONOUN.match(match.group(1)):
        return _share_of_previous(sentence, position, earlier_subjects)
    words = [w.lower() for w in match.group(1).split()]
    if any(w in _LISTEN_WORDS for w in words):
        return "share/listens", "Share of listens covered"
    nouns = [w for w in words if w not in _PERCENT_SKIP]
    if not nouns:
        return None
    head = nouns[0]
    if head in _GENERIC_MONEY_STOP or head in _TRIVIAL_NOUNS or not head.isalpha():
        return None
    singular = _singular(head)
    if singular in _HEAD_SYNONYMS:
        singular, head = _HEAD_SYNONYMS[singular]
    return f"share/{singular}", f"Share of {head}"


# "2.1 PB, or 87.5% of what was lost": the share of the amount just named.
_PERCENT_OF_PRONOUN = re.compile(r"(?:what|it|them|that|this|those|the\s+total)\b", re.I)
_APPOSITION_LINK = re.compile(r"\s*,?\s*(?:or|about|roughly|some|nearly|around)?\s*$", re.I)


def _share_of_previous(
    sentence: _Sentence, position: int, earlier_subjects: Sequence[tuple[str, str] | None]
) -> tuple[str, str] | None:
    """The subject of '87.5%' in '2.1 PB, or 87.5% of it': a share of that amount."""
    if position == 0:
        return None
    previous = sentence.figures[position - 1]
    subject = earlier_subjects[position - 1]
    if subject is None or previous.kind not in (FigureKind.COUNT, FigureKind.SIZE):
        return None
    figure = sentence.figures[position]
    gap = sentence.text[previous.end : figure.start]
    if len(gap) > _APPOSITION_GAP or not _APPOSITION_LINK.fullmatch(gap):
        return None
    key, label = subject
    label = label.removesuffix(" (size)")
    return f"share/{key}", f"Share of {label[:1].lower()}{label[1:]}"


# --------------------------------------------------------------------------- merging

_PRECISIONS: dict[tuple[str, float | str], float] = {}


def written_precision(figure: Figure) -> float:
    """``figures.written_precision``, remembered by what it reads (text and value).

    The same wording repeats across articles ("$13 trillion") at other offsets, so a
    key without the span is hit far more often (and hashes faster) than the figure.
    """
    key = (figure.text, figure.value)
    step = _PRECISIONS.get(key)
    if step is None:
        if len(_PRECISIONS) >= 8192:
            _PRECISIONS.clear()
        step = _PRECISIONS[key] = _written_precision(figure)
    return step


_KIND_ORDER = {
    FigureKind.MONEY: 0,
    FigureKind.COUNT: 1,
    FigureKind.SIZE: 2,
    FigureKind.PERCENT: 3,
    FigureKind.DATE: 4,
}
_STATUS_ORDER = {"differs": 0, "agreed": 1, "single": 2}
_JOINABLE = (FigureKind.COUNT, FigureKind.SIZE)
# Pairs of values examined for the note: a note about dozens of values helps nobody.
_NOTE_VALUES = 6

_GroupKey = tuple[str, FigureKind]
_Clusters = dict[Hashable, list[Fact]]
"""A subject's facts by normalised value: each list states one value."""


class _Group:
    """The facts of one subject and kind, clustered by value."""

    __slots__ = ("clusters", "labels")

    def __init__(self) -> None:
        self.clusters: _Clusters = {}
        self.labels: Counter[str] = Counter()
        """Labels of the facts that belong here by their own words (not joined ones)."""

    def sources(self) -> int:
        return len({f.source for facts in self.clusters.values() for f in facts})

    def figures(self) -> list[Figure]:
        return [facts[0].figure for facts in self.clusters.values()]


def merge_facts(facts: Iterable[Fact]) -> list[KeyFact]:
    """One ranked ``KeyFact`` per subject and kind.

    Facts stated by more sources come first; among equals, disagreements first.
    """
    groups: dict[_GroupKey, _Group] = {}
    money = FigureKind.MONEY
    for fact in facts:
        figure = fact.figure
        kind = figure.kind
        key = (fact.subject_key, kind)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group()
        # Money is identified by currency and amount; everything else by value.
        identity = (figure.unit, figure.value) if kind is money else figure.value
        cluster = group.clusters.get(identity)
        if cluster is None:
            group.clusters[identity] = [fact]
        else:
            cluster.append(fact)
        labels = group.labels
        labels[fact.label] = labels.get(fact.label, 0) + 1
    _join_loose_facts(groups)
    key_facts = [
        _key_fact(key, kind, group) for (key, kind), group in groups.items() if group.clusters
    ]
    key_facts.sort(
        key=lambda k: (
            -len(k.sources),
            _STATUS_ORDER[k.status],
            _KIND_ORDER[k.kind],
            k.label.lower(),
        )
    )
    return key_facts


def _join_loose_facts(groups: dict[_GroupKey, _Group]) -> None:
    """Fold loosely identified facts into the subject they restate.

    * '86 million files' with no verb joins 'files scraped' (or another qualified
      subject of the same thing) when its value matches one stated there: to within
      rounding, or 25 % for counts and sizes. A different quantity ('2.8 million files')
      never joins by accident, and nor does one close to an amount recovered (the
      '2.4 PB' lost is not the '2.1 PB' recovered): that takes the same amount.
    * Money only guessed to be damages from the article ("Multiply $150,000 by...")
      joins whichever money subject states the same amount, else damages sought.
    * An alias ('86 million works') joins the concept it names by value.

    Work is per distinct value, not per fact, so it stays linear in the number of facts.
    """
    for key, kind in [k for k in groups if k[0].endswith(_WEAK)]:
        base = (key[: -len(_WEAK)], kind)
        weak = groups.pop((key, kind))
        targets = sorted(
            (k for k in groups if k[1] is kind and not k[0].endswith(_WEAK)),
            key=lambda k: (k != base, -groups[k].sources()),
        )
        for identity, facts in weak.clusters.items():
            figure = facts[0].figure
            target = next(
                (t for t in targets if any(_same_amount(figure, o) for o in groups[t].figures())),
                base,
            )
            group = groups.get(target)
            if group is None:
                group = groups[target] = _Group()
                group.labels.update(weak.labels)
            group.clusters.setdefault(identity, []).extend(facts)

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
        candidates.sort(key=lambda k: ("/" not in k[0], -groups[k].sources()))
        loose = groups[(key, kind)]
        for identity in list(loose.clusters):
            figure = loose.clusters[identity][0].figure
            joined = next(
                (
                    c
                    for c in candidates
                    if any(_joins_by_value(figure, o, c[0]) for o in groups[c].figures())
                ),
                None,
            )
            if joined is not None:
                facts = loose.clusters.pop(identity)
                groups[joined].clusters.setdefault(identity, []).extend(facts)
        if not loose.clusters:
            del groups[(key, kind)]


# Actions that undo another: what was recovered is usually close to, and never the same
# quantity as, what was lost, so a loose figure joins them only at the same amount.
_REVERSAL_ACTIONS = frozenset({"recovered"})


def _joins_by_value(loose: Figure, other: Figure, subject_key: str) -> bool:
    if subject_key.rsplit("/", 1)[-1] in _REVERSAL_ACTIONS:
        return _same_amount(loose, other)
    return _compatible(loose, other)


def _same_amount(a: Figure, b: Figure) -> bool:
    if a.unit != b.unit:
        return False
    if a.value == b.value:
        return True
    x, y = a.value, b.value
    # Rounding moves a value by at most half its step: values further apart than the
    # coarser step never agree (most pairs; the full test is slower).
    if (
        isinstance(x, float)
        and isinstance(y, float)
        and abs(x - y) > max(written_precision(a), written_precision(b))
    ):
        return False
    coarse, fine = sorted((a, b), key=written_precision, reverse=True)
    return _within_rounding(coarse, fine)


def _compatible(a: Figure, b: Figure) -> bool:
    x, y = a.value, b.value
    if not isinstance(x, float | int) or not isinstance(y, float | int) or not x or not y:
        return x == y
    if _within_rounding(a, b) or _within_rounding(b, a):
        return True
    ratio = max(x, y) / min(x, y)
    return ratio <= 1.25


class _ValueSummary(NamedTuple):
    """One pass over the facts stating one value: everything the key fact needs."""

    facts: list[Fact]
    sources: dict[str, None]
    quoted: dict[str, Fact]
    """The quote per article: a body sentence rather than the headline."""
    votes: Counter[str]
    """How many articles write the value each way."""
    hedges: set[str]
    first_seen: str


def _summarise(facts: list[Fact]) -> _ValueSummary:
    sources: dict[str, None] = {}
    quoted: dict[str, Fact] = {}
    votes: Counter[str] = Counter()
    written: set[tuple[str, str]] = set()
    hedges: set[str] = set()
    first_seen = "\uffff"
    for fact in facts:
        sources[fact.source] = None
        article = fact.article_id
        best = quoted.get(article)
        # Prefer a body sentence over the headline (which starts at offset 0).
        if best is None or (best.sentence_start == 0 and fact.sentence_start > 0):
            quoted[article] = fact
        figure = fact.figure
        pair = (article, figure.text)
        if pair not in written:
            written.add(pair)
            votes[figure.text] += 1
        hedges.add(figure.hedge)
        published = fact.published or ""
        if published < first_seen:
            first_seen = published
    return _ValueSummary(facts, sources, quoted, votes, hedges, first_seen)


def _key_fact(subject_key: str, kind: FigureKind, group: _Group) -> KeyFact:
    summaries = sorted(
        (_summarise(facts) for facts in group.clusters.values()),
        key=lambda v: (-len(v.sources), -len(v.facts), v.first_seen),
    )
    label = group.labels.most_common(1)[0][0]
    values = tuple(_fact_value(summary, label) for summary in summaries)
    sources = {source for value in values for source in value.sources}
    status: Literal["agreed", "differs", "single"]
    if len(values) > 1:
        status = "differs"
    elif len(sources) > 1:
        status = "agreed"
    else:
        status = "single"
    if status == "differs":
        note = _difference_note([summary.facts for summary in summaries], kind)
        # A hedge some statements of a value make ("up to $150,000") is not in the
        # value's text, so say it here: a maximum is not the same claim as a sum.
        hedged = [
            _hedge_note(summary.hedges, value.text)
            for summary, value in zip(summaries[:_NOTE_VALUES], values, strict=False)
        ]
        note = " ".join(part for part in (note, *hedged) if part)
    else:
        note = _hedge_note(set().union(*(summary.hedges for summary in summaries)))
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


def _fact_value(summary: _ValueSummary, label: str) -> FactValue:
    representative = summary.facts[0].figure
    if representative.kind is FigureKind.COUNT:
        unit = Counter(f.figure.unit for f in summary.facts).most_common(1)[0][0]
    else:
        unit = representative.unit
    quoted = list(summary.quoted.values())
    return FactValue(
        text=_value_text(summary, label),
        value=representative.value,
        unit=unit,
        sources=tuple(summary.sources),
        articles=tuple(summary.quoted),
        quotes=tuple(f.sentence for f in quoted),
        spans=tuple((f.article_id, f.sentence_start, f.sentence_end) for f in quoted),
    )


def _value_text(summary: _ValueSummary, label: str) -> str:
    """How most articles write the value (an article repeating itself counts once).

    Ties go to wording that names the subject, then to body sentences over headlines,
    then to the earliest article. A hedge is shown only when every statement makes it;
    otherwise the note lists hedges.
    """
    facts = summary.facts
    ranked = summary.votes.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        tied = [text for text, count in ranked if count == ranked[0][1]]
        order: dict[str, tuple[bool, str]] = {}
        for fact in facts:
            rank = _body_first(fact)
            if fact.figure.text not in order or rank < order[fact.figure.text]:
                order[fact.figure.text] = rank
        label_words = set(label.lower().split())
        text = min(
            tied,
            key=lambda t: (
                -len(label_words & set(t.lower().split())),  # '256m metadata records'
                t.startswith("~"),
                order[t],
            ),
        )
    else:
        text = ranked[0][0]
    figure = next(f.figure for f in facts if f.figure.text == text)
    text = _display_text(figure) if len(summary.hedges) == 1 else _plain(text)
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
    if text[-1:].isdigit() or text.endswith(("st", "nd", "rd", "th")):
        return f"{text}, {year}"
    return f"{text} {year}"


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


def _difference_note(clusters: list[list[Fact]], kind: FigureKind) -> str:
    figures = [facts[0].figure for facts in clusters[:_NOTE_VALUES]]
    if kind is FigureKind.DATE:
        days = [f for f in figures if isinstance(f.value, str) and len(f.value) == 10]
        months = [f for f in figures if isinstance(f.value, str) and len(f.value) == 7]
        if (
            len(days) == 1
            and months
            and all(str(days[0].value).startswith(str(m.value)) for m in months)
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


_HEDGE_MEANINGS = {
    "up to": "a maximum",
    "less than": "an upper bound",
    "more than": "a lower bound",
    "at least": "a minimum",
    "or more": "a minimum",
}


def _hedge_note(statements: set[str], subject: str = "it") -> str:
    """Which hedges some (not all) statements carry; a shared hedge is in the value."""
    if len(statements) <= 1:
        return ""
    hedges = sorted(h for h in statements if h and h not in ("range", "between"))
    if not hedges:
        return ""
    listed = ", ".join(
        f"“{h}” ({_HEDGE_MEANINGS[h]})" if h in _HEDGE_MEANINGS else f"“{h}”" for h in hedges
    )
    return f"Some sources hedge {subject}: {listed}."


_ROUNDING_SHARE = 0.05
"""Values further apart than this share of the larger are never 'within rounding'."""


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
    if abs(a - b) > _ROUNDING_SHARE * max(abs(a), abs(b)):
        return False  # '$100,000' and '$140,000' are different sums, however written
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


def timeline_disputes(timeline: Iterable[TimelineEvent]) -> dict[str, tuple[str, ...]]:
    """Events the sources date differently: label -> every date given for it, in order.

    Two dates conflict when neither contains the other ('2025-12' contains
    '2025-12-29'); a label is disputed when any two of its dates conflict.
    """
    dates: dict[str, set[str]] = {}
    for event in timeline:
        dates.setdefault(event.label, set()).add(event.date)
    disputes: dict[str, tuple[str, ...]] = {}
    for label, given in dates.items():
        ordered = sorted(given)
        if any(
            not (a.startswith(b) or b.startswith(a))
            for i, a in enumerate(ordered)
            for b in ordered[i + 1 :]
        ):
            disputes[label] = tuple(ordered)
    return disputes


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


_CACHE_FORMAT = 1


def facts_to_cache_entry(facts: Sequence[Fact], article: Article) -> list[dict[str, Any]]:
    """An article's facts as the cache stores them: plain JSON types, compact.

    One dict per article: its sentences once each, and one row per fact
    ``[kind, text, start, end, value, unit, hedge, subject, label, sentence index]``.
    Rows rather than a dict per fact keep decoding fast when everything is cached.
    """
    sentence_index: dict[tuple[int, int], int] = {}
    sentences: list[list[Any]] = []
    rows: list[list[Any]] = []
    for fact in facts:
        span = (fact.sentence_start, fact.sentence_end)
        index = sentence_index.get(span)
        if index is None:
            index = sentence_index[span] = len(sentences)
            sentences.append([fact.sentence_start, fact.sentence_end, fact.sentence])
        figure = fact.figure
        rows.append(
            [
                figure.kind.value,
                figure.text,
                figure.start,
                figure.end,
                figure.value,
                figure.unit,
                figure.hedge,
                fact.subject_key,
                fact.label,
                index,
            ]
        )
    return [
        {
            "format": _CACHE_FORMAT,
            "article": article.id,
            "source": article.source,
            "published": article.published,
            "sentences": sentences,
            "facts": rows,
        }
    ]


def facts_from_cache_entry(entry: Sequence[Mapping[str, Any]], article: Article) -> list[Fact]:
    """Inverse of ``facts_to_cache_entry``. Raises KeyError/ValueError/TypeError on bad data."""
    if len(entry) != 1 or entry[0].get("format") != _CACHE_FORMAT:
        raise ValueError("not a facts cache entry of this format")
    data = entry[0]
    sentences = [(int(start), int(end), str(text)) for start, end, text in data["sentences"]]
    kinds = _KINDS
    facts: list[Fact] = []
    append = facts.append
    article_id, source, published = article.id, article.source, article.published
    for kind_name, text, start, end, value, unit, hedge, subject, label, index in data["facts"]:
        kind = kinds[kind_name]
        if (kind is FigureKind.DATE) != isinstance(value, str) or isinstance(value, bool):
            raise TypeError("value does not fit its kind")
        sentence_start, sentence_end, sentence = sentences[index]
        append(
            Fact(
                Figure(
                    kind,
                    text,
                    start,
                    end,
                    value if kind is FigureKind.DATE else float(value),
                    unit,
                    hedge,
                ),
                subject,
                label,
                sentence,
                sentence_start,
                sentence_end,
                article_id,
                source,
                published,
            )
        )
    return facts


class _FactMemo:
    """Facts of recently merged articles, kept in this process, by cache key.

    The TUI re-merges after every refresh; decoding every article's facts from the
    store again each time would cost more than the merge. Keys include the content
    hash and EXTRACTOR_VERSION, so an entry can never be stale. Bounded (LRU).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, list[Fact]] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str]) -> dict[str, list[Fact]]:
        with self._lock:
            found = {key: self._entries[key] for key in keys if key in self._entries}
            for key in found:
                self._entries.move_to_end(key)
        return found

    def put_many(self, entries: Mapping[str, list[Fact]]) -> None:
        with self._lock:
            for key, facts in entries.items():
                self._entries[key] = facts
                self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


_MEMO = _FactMemo(capacity=20_000)


class _MergeMemo:
    """The last merge in this process, by the cache keys of the articles merged.

    After a refresh that changed no on-topic article the TUI asks for the same
    briefing again: the keys name every article's content and the extractor version,
    and the merge is a pure function of the facts in key order, so the last result
    is the answer. Any change of content, order or membership is a miss.
    """

    def __init__(self) -> None:
        self._keys: tuple[str, ...] | None = None
        self._result: tuple[list[KeyFact], list[TimelineEvent]] | None = None
        self._lock = threading.Lock()

    def get(self, keys: tuple[str, ...]) -> tuple[list[KeyFact], list[TimelineEvent]] | None:
        with self._lock:
            return self._result if self._keys == keys else None

    def put(self, keys: tuple[str, ...], result: tuple[list[KeyFact], list[TimelineEvent]]) -> None:
        with self._lock:
            self._keys, self._result = keys, result

    def clear(self) -> None:
        with self._lock:
            self._keys = self._result = None


_LAST_MERGE = _MergeMemo()


def forget_remembered_facts() -> None:
    """Drop the in-process memory of facts, as a fresh process would start."""
    _MEMO.clear()
    _LAST_MERGE.clear()


EXTRACT_WORKERS = 2
"""Worker processes for a large cold extraction (the sandbox and most laptops have 2+ cores)."""
_POOL_THRESHOLD = 50
"""Fewer articles than this to extract are done in this process: starting workers
(a fresh interpreter each, importing this module) costs more than it saves."""
_CHUNK = 25
"""Articles per task: small enough to share the work evenly, large enough that
sending tasks costs little."""


def _extract_entries(articles: Sequence[Article]) -> list[list[dict[str, Any]]]:
    """Worker side: each article's facts as a cache entry (plain data pickles fast)."""
    return [facts_to_cache_entry(extract_facts(article), article) for article in articles]


def _extract_many(articles: Sequence[Article]) -> list[tuple[list[Fact], list[dict[str, Any]]]]:
    """Facts and cache entry of each article, in order; in worker processes when many.

    This process works too: it takes chunks from the back of the queue that no worker
    has started (a pending future can be cancelled), so nothing waits for the workers
    to start and a 2-core machine stays busy. Results are identical to the serial path
    (a test checks), because workers run the same code and return the same cache
    entries this process would store.
    """
    if len(articles) < _POOL_THRESHOLD:
        return [_extract_one(article) for article in articles]
    try:
        return _extract_in_pool(articles)
    except Exception:
        return [_extract_one(article) for article in articles]


def _extract_one(article: Article) -> tuple[list[Fact], list[dict[str, Any]]]:
    facts = extract_facts(article)
    return facts, facts_to_cache_entry(facts, article)


def _extract_in_pool(
    articles: Sequence[Article], *, help_here: bool = True
) -> list[tuple[list[Fact], list[dict[str, Any]]]]:
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    chunks = [articles[i : i + _CHUNK] for i in range(0, len(articles), _CHUNK)]
    results: list[list[tuple[list[Fact], list[dict[str, Any]]]] | None] = [None] * len(chunks)
    # spawn, as the feed parser pool: a worker must not inherit the caller's threads
    # (the TUI runs some) or sockets.
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(EXTRACT_WORKERS, mp_context=context)
    try:
        futures: list[Future[list[list[dict[str, Any]]]]] = [
            executor.submit(_extract_entries, chunk) for chunk in chunks
        ]
        for index in range(len(chunks) - 1, -1, -1):
            if help_here and futures[index].cancel():
                results[index] = [_extract_one(article) for article in chunks[index]]
        for index, (chunk, future) in enumerate(zip(chunks, futures, strict=True)):
            if results[index] is None:
                results[index] = [
                    (facts_from_cache_entry(entry, article), entry)
                    for article, entry in zip(chunk, future.result(), strict=True)
                ]
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return [
        pair for chunk_results in results if chunk_results is not None for pair in chunk_results
    ]


def build_briefing(
    articles: Sequence[Article],
    topic_name: str,
    cache: FactCache | None = None,
    now: dt.datetime | None = None,
) -> Briefing:
    """Merged key facts and timeline of the on-topic articles.

    Each article's facts come from this process's memory or from ``cache`` when its
    content is unchanged; only new or changed articles are re-extracted (and saved back).
    """
    on_topic = [a for a in articles if a.on_topic]
    keys = [fact_cache_key(a) for a in on_topic]
    merged = _LAST_MERGE.get(tuple(keys))
    if merged is not None:
        return assemble_briefing(
            topic_name, now, *merged, articles=len(keys), extracted=0, cached=len(keys)
        )
    remembered = _MEMO.get_many(keys)
    cached: Mapping[str, list[dict[str, Any]]] = {}
    missing = [key for key in keys if key not in remembered]
    if cache is not None and missing:
        cached = cache.load_facts(missing)
    per_article: list[list[Fact] | None] = []
    fresh: dict[str, list[dict[str, Any]]] = {}
    learned: dict[str, list[Fact]] = {}
    to_extract: list[int] = []
    reused = 0
    for index, (article, key) in enumerate(zip(on_topic, keys, strict=True)):
        loaded = remembered.get(key)
        if loaded is None:
            entries = cached.get(key)
            if entries is not None:
                try:
                    loaded = facts_from_cache_entry(entries, article)
                except (KeyError, ValueError, TypeError, AttributeError):
                    loaded = None  # an unreadable entry is re-extracted, not fatal
            if loaded is None:
                to_extract.append(index)
            else:
                learned[key] = loaded
        if loaded is not None:
            reused += 1
        per_article.append(loaded)
    extracted = _extract_many([on_topic[index] for index in to_extract])
    for index, (loaded, entry) in zip(to_extract, extracted, strict=True):
        key = keys[index]
        fresh[key] = entry
        learned[key] = loaded
        per_article[index] = loaded
    facts = [fact for loaded in per_article if loaded is not None for fact in loaded]
    if cache is not None and fresh:
        cache.save_facts(fresh)
    _MEMO.put_many(learned)

    key_facts = merge_facts(facts)
    timeline = build_timeline(facts)
    _LAST_MERGE.put(tuple(keys), (key_facts, timeline))
    return assemble_briefing(
        topic_name,
        now,
        key_facts,
        timeline,
        articles=len(on_topic),
        extracted=len(fresh),
        cached=reused,
    )


def assemble_briefing(
    topic_name: str,
    now: dt.datetime | None,
    key_facts: Sequence[KeyFact],
    timeline: Sequence[TimelineEvent],
    *,
    articles: int,
    extracted: int,
    cached: int,
) -> Briefing:
    """A Briefing of merged key facts and a timeline, stamped ``now`` (UTC), with
    counts of the articles it covers and how many were extracted or cached."""
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return Briefing(
        topic=topic_name,
        generated=moment.astimezone(dt.UTC).isoformat(timespec="seconds"),
        facts=tuple(key_facts),
        timeline=tuple(timeline),
        extra={
            "articles": articles,
            "extracted": extracted,
            "cached": cached,
            "differences": [k.id for k in key_facts if k.status == "differs"],
        },
    )


def fact_articles(fact: KeyFact) -> set[str]:
    """Ids of the articles that state any value of ``fact``."""
    return {article for value in fact.values for article in value.articles}
