"""Find the figures in English news text: money, counts, percentages, sizes and dates.

Every figure keeps its exact character span in the text it was found in, a kind, a
normalised value and any hedge ("about", "up to", "~") written in front of it. The
span covers the figure itself ("$13 trillion", "86 million music files", "Jan. 20");
the hedge is recorded on the side so that values compare cleanly.

The scanner is rule based and deliberately conservative: a number only becomes a
figure when its context says what it is (a currency, a unit, a counted noun, a month).
Bare numbers, years used as names, list markers and numbers inside URLs or leftover
markup are skipped. It never raises: feed text is hostile and arbitrary.

Speed matters (a refresh re-reads hundreds of articles), so the text is swept by a
few precompiled patterns that start on cheap first characters (digits, currency
signs, capitalised month names, number words); everything else is anchored matching
around those hits.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from .models import Figure, FigureKind, Span

__all__ = ["figure_spans", "find_figures", "written_precision"]


def _word_set(words: str) -> frozenset[str]:
    """A readable word list: whitespace-separated words in one string."""
    return frozenset(words.split())


# How far after publication a year-less date may fall. News mostly looks back, but a
# hearing "on March 3" in a January article is next March, not last March.
_MAX_DAYS_AHEAD = 120

# --------------------------------------------------------------------------- vocabulary

_MONTHS: dict[str, int] = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

_SMALL_NUMBERS: dict[str, int] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALE_WORDS: dict[str, int] = {
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
    "trillion": 1_000_000_000_000,
    # Indian English: "64.2 crore voters" (642 million), "4.79 lakh votes" (479,000)
    "lakh": 100_000,
    "crore": 10_000_000,
}
_SCALE_SUFFIXES: dict[str, int] = {
    "k": 1_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "mln": 1_000_000,
    "bn": 1_000_000_000,
    "b": 1_000_000_000,
    "tn": 1_000_000_000_000,
    "trn": 1_000_000_000_000,
    "tr": 1_000_000_000_000,
    "t": 1_000_000_000_000,
}
# Single letters that are too ambiguous without a currency in front: 300B may be bytes.
_MONEY_ONLY_SUFFIXES = frozenset({"b", "t"})

_CURRENCY_SYMBOLS: dict[str, str] = {
    "$": "USD",
    "us$": "USD",
    "u.s.$": "USD",
    "a$": "AUD",
    "au$": "AUD",
    "c$": "CAD",
    "ca$": "CAD",
    "nz$": "NZD",
    "hk$": "HKD",
    "s$": "SGD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
}
_CURRENCY_WORDS: dict[str, str] = {
    "dollar": "USD",
    "dollars": "USD",
    "us dollars": "USD",
    "u.s. dollars": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "pounds sterling": "GBP",
    "pounds": "GBP",
    "sterling": "GBP",
    "yen": "JPY",
}

_SIZE_UNITS: dict[str, int] = {
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "pb": 1000**5,
    "eb": 1000**6,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
    "pib": 1024**5,
    "eib": 1024**6,
    "kilobyte": 1000,
    "megabyte": 1000**2,
    "gigabyte": 1000**3,
    "terabyte": 1000**4,
    "petabyte": 1000**5,
    "exabyte": 1000**6,
    "kibibyte": 1024,
    "mebibyte": 1024**2,
    "gibibyte": 1024**3,
    "tebibyte": 1024**4,
    "pebibyte": 1024**5,
    "exbibyte": 1024**6,
}

# Words after which a number is a label, not a quantity: "No. 12", "Section 2".
_LABEL_WORDS = frozenset(
    {
        "no",
        "nos",
        "number",
        "num",
        "case",
        "section",
        "sec",
        "article",
        "art",
        "chapter",
        "ch",
        "page",
        "pages",
        "pp",
        "p",
        "rule",
        "title",
        "vol",
        "volume",
        "version",
        "ver",
        "v",
        "part",
        "episode",
        "ep",
        "season",
        "room",
        "route",
        "highway",
        "item",
        "paragraph",
        "para",
        "exhibit",
        "docket",
        "step",
        "level",
        "tier",
        "phase",
        "grade",
        "model",
        "series",
        "top",
        "fig",
        "figure",
        "table",
        "line",
        "lines",
        "appendix",
        "count",
        "counts",
        "claim",
        "amendment",
        "unit",
        "suite",
        "floor",
        "gate",
        "track",
        "issue",
        "pr",
        "id",
        "code",
        "usc",
        "u.s.c",
        "cfr",
    }
)

# Words that end a counted noun phrase: grammar words, common verbs, adverbs.
_NP_STOP = _word_set(
    """
    a an the this that these those its their his her our your my whose which who whom what
    of in on at by for from with without into onto over under to as than then per via
    between among across through during before after since until against about around
    and or but nor yet so if while when where because although though whereas
    is are was were be been being am has have had having do does did will would shall
    should can could may might must not no nor also only just even still already now
    more most less least many much few several some any all each every both either
    neither other another such same own very too quite rather about almost nearly
    it they he she we you i them him us me one ones
    said says say sue sues sued seek seeks sought seeking face faces faced win wins won
    get gets got take takes took went go goes come comes came make makes made hit hits
    according reportedly allegedly apparently roughly approximately
    familiar close involved aware responsible available able likely unable due related
    associated affected based present
    total totals totaling totalling worth valued estimated
    together plus along combined alone apiece overall altogether instead respectively
    online offline worldwide globally annually ago later earlier ahead behind apart away
    here there today yesterday tomorrow
    """
)
# Irregular past forms: after a counted noun they are its verb ("200,000 homes lost
# power"), never part of the noun.
_IRREGULAR_PAST = _word_set(
    """
    lost left fell rose won took made gave went came saw said told paid sold hit cut put
    shut spent sent built held kept brought bought thought caught fought sought found stood
    began ran grew knew threw flew drew wrote broke spoke chose froze stole drove rode woke
    wore tore struck stuck hung swung sank rang sang drank shrank sprang fled led fed met
    felt dealt meant slept swept lent bent lit quit split spread bet let hurt cost became
    """
)
# Words that look like participles but are nouns worth keeping in a counted phrase.
_NP_KEEP = frozenset(
    {
        "recordings",
        "recording",
        "listings",
        "holdings",
        "filings",
        "earnings",
        "proceedings",
        "findings",
        "rankings",
        "things",
        "songs",
        "streaming",
        "red",
        "bed",
        "seed",
        "seeds",
        "feed",
        "feeds",
        "speed",
        "embed",
        "embeds",
        "breed",
        "hundred",
        "kindred",
    }
)
# Nouns measured as "<noun> of <stuff>": "rows of metadata", "hours of audio".
_MEASURE_NOUNS = _word_set(
    """
    row rows record records entry entries piece pieces hour hours minute minutes copy copies
    item items line lines page pages file files track tracks page pages volume volumes
    sample samples set sets terabyte terabytes gigabyte gigabytes byte bytes word words
    gallon gallons ton tons tonne tonnes barrel barrels unit units work works title titles
    """
)
# Durations and clock words: "three weeks later" is not a figure worth a fact.
_TIME_NOUNS = _word_set(
    """
    second seconds minute minutes hour hours day days week weeks month months year years
    decade decades century centuries times time o'clock am pm a.m. p.m. percent per cent
    nights night weekend weekends quarter quarters
    """
)
_WEEKDAYS = _word_set("monday tuesday wednesday thursday friday saturday sunday")

_HEDGES = {
    "about": "about",
    "around": "around",
    "roughly": "roughly",
    "approximately": "approximately",
    "approx.": "approximately",
    "approx": "approximately",
    "circa": "about",
    "c.": "about",
    "nearly": "nearly",
    "almost": "nearly",
    "close to": "nearly",
    "near": "nearly",
    "just under": "nearly",
    "up to": "up to",
    "as much as": "up to",
    "as many as": "up to",
    "as high as": "up to",
    "more than": "more than",
    "over": "more than",
    "above": "more than",
    "just over": "more than",
    "well over": "more than",
    "upwards of": "more than",
    "in excess of": "more than",
    "north of": "more than",
    "in the region of": "about",
    "in the order of": "about",
    "at least": "at least",
    "some": "about",
    "an estimated": "estimated",
    "estimated": "estimated",
    "less than": "less than",
    "fewer than": "less than",
    "under": "less than",
    "below": "less than",
    "~": "~",
}

# --------------------------------------------------------------------------- patterns


def _either_case(word: str) -> str:
    return f"[{word[0].upper()}{word[0]}]{word[1:]}"


_SMALL_ALT = "|".join(
    _either_case(w) for w in sorted(_SMALL_NUMBERS, key=len, reverse=True) if w != "zero"
)
_SCALE_ALT = "|".join(_either_case(w) for w in [*_SCALE_WORDS, "dozen"])
_NUMBER_WORD = rf"(?:{_SMALL_ALT})(?:-(?:{_SMALL_ALT}))?|{_SCALE_ALT}"
# A run of number words. Validity ("two three" is not a number) is checked in code.
# "a quarter of a million", "two thirds of a million": a fraction of a scale word.
_FRACTION_OF = r"(?:[Aa]n?|[Oo]ne|[Tt]wo|[Tt]hree)[\s-]+(?:quarters?|thirds?)\s+of\s+(?=[Aa]n?\s)"
_FRACTION_OF_RE = re.compile(
    r"(a|an|one|two|three)[\s-]+(quarter|third)s?\s+of\s+(?=an?\s)", re.IGNORECASE
)
_FRACTION_BEFORE = re.compile(
    r"(?<![a-z'’-])(?:an?|one|two|three)[\s-]+(?:quarters?|thirds?)\s+of\s+$"
)
_FRACTION_NUMERATORS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}
_FRACTION_DENOMINATORS = {"quarter": 4, "third": 3}
# "two thirds of the tracks", "three fifths": a fraction, not a count of "thirds".
_FRACTION_WORD_AFTER = re.compile(
    r"[\s-]+(?:halves|thirds?|quarters?|fourths?|fifths?|sixths?|sevenths?|eighths?|ninths?"
    r"|tenths?)\b",
    re.IGNORECASE,
)
_WORDS_RE = re.compile(
    rf"\b(?:{_FRACTION_OF})?(?:(?:[Aa]n?|[Hh]alf\s+an?)\s+(?:{_SCALE_ALT})|{_SMALL_ALT})"
    rf"(?:-(?:{_SMALL_ALT}))?"
    rf"(?:(?:\s+and\s+|[\s-]+)(?:{_NUMBER_WORD}))*\b"
)
_WORD_TOKEN_RE = re.compile(r"[A-Za-z]+")

_DIGITS_RE = re.compile(
    r"\d{1,2}(?:,\d\d)+,\d{3}(?!\d)(?:\.\d+)?"  # Indian grouping: "1,52,513"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
)
# Sweeps start on a plain character class so that `re` can skip ahead quickly; the exact
# pattern is then matched in place. (An alternation up front makes a sweep 5x slower.)
_DIGIT_RUN = re.compile(r"[0-9][0-9,.]*")
_PROPORTION_BEFORE = re.compile(r"(?<![\w])(?:one|1)\s+(?:in|out\s+of)\s+$", re.IGNORECASE)


_MONTH_ALT = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Sept|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
)
_MONTH_RE = re.compile(rf"(?:{_MONTH_ALT})\b")
_FULL_MONTHS = _word_set(
    "January February March April May June July August September October November December"
)

# Right of a month: ". 20", " 3rd, 2026", " 2026".
_DAY_AFTER_MONTH = re.compile(r"\.?\s{1,3}(\d{1,2})(?:st|nd|rd|th)?(?![\w])(?!,\d)")
_YEAR_AFTER = re.compile(r",?\s{1,3}((?:19|20)\d\d)(?![\w])")
_YEAR_AFTER_MONTH = re.compile(r"\.?,?\s{1,3}((?:19|20)\d\d)(?![\w])")
# Left of a month: "16 ", "16th of ", "late ", "mid-".
_DAY_BEFORE_MONTH = re.compile(r"(?<![\w.,])(\d{1,2})(?:st|nd|rd|th)?\s{1,3}(?:of\s+)?$")
_PART_BEFORE_MONTH = re.compile(
    r"(?<![\w])((?:[Ee]arly|[Mm]id|[Ll]ate|[Tt]he\s+(?:end|start|beginning|middle)\s+of)"
    r"|(?:[Ee]nd|[Ss]tart|[Bb]eginning|[Mm]iddle)\s+of)[\s-]{1,3}$"
)
_BARE_MONTH_CONTEXT = re.compile(
    r"(?<![\w])(?:in|since|until|till|by|during|from|through|before|after|last|this|next"
    r"|early|mid|late|of|between|and|or|to|on)[\s-]{1,3}$",
    re.IGNORECASE,
)
_ISO_DATE_TAIL = re.compile(r"-(\d\d)-(\d\d)(?![\w-])")
_SLASH_DATE_TAIL = re.compile(r"/(\d{1,2})/(\d{4}|\d\d)(?![\w/])")

_SCALE_WORD_AFTER = re.compile(
    r"(?:\s{1,3}|-)(hundred|thousand|million|billion|trillion|lakh|crore)(?:s\b|\b)",
    re.IGNORECASE,
)
_SCALE_SUFFIX_AFTER = re.compile(r"(k|K|mln|mn|m|M|bn|Bn|BN|b|B|trn|tn|tr|t|T)(?![A-Za-z0-9])")
_PERCENT_AFTER = re.compile(
    r"\s?%|(?:\s{1,3}|-)(?:per\s?cent|percent|pct)\b(?:age\s+points?\b)?|"
    r"\s{1,3}percentage\s+points?\b|(?-i:pc)\b",
    re.IGNORECASE,
)
_PERCENT_GLUED = re.compile(r"pc\b")
"""'from 4pc to 3.75pc': per cent as British papers write it, glued to the number."""
_BASIS_POINTS_AFTER = re.compile(r"(?:\s{1,3}|-)?(?:(?i:basis[\s-]points?)\b|bps?\b)")
_BASIS_POINTS_GLUED = re.compile(r"bps?\b")
"""'50 basis points', '25bp', '75 bps': hundredths of a percentage point."""
_FRACTION_OF_A_POINT = re.compile(
    r"(?<![\w-])(?:(?:a|one)[\s-]+)?(half|quarter|three[\s-]quarters?)"
    r"(?:(?:\s+of)?\s+an?\s+|[\s-]+)(?:percentage[\s-]+)?point(?![\w-])",
    re.IGNORECASE,
)
"""'half a percentage point', 'a quarter point', 'a half-point cut': a percentage."""
_RATE_WORDS = re.compile(r"\b(?:rates?|yields?|cuts?|hikes?|raised?|lowered|interest)\b", re.I)
_FRACTIONS = {"half": 0.5, "quarter": 0.25, "three quarter": 0.75, "three quarters": 0.75}
_SIZE_AFTER = re.compile(
    r"(?:\s{1,3}|-)?((?:[KMGTPE]i?B)|(?:kilo|mega|giga|tera|peta|exa|kibi|mebi|gibi|tebi|pebi|exbi)"
    r"bytes?)(?![A-Za-z0-9])"
    r"|(?:\s{1,3}|-)?((?:[kmgtpe]b|[kmgtpe]ib))(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_CURRENCY_AFTER = re.compile(
    r"(?:\s{1,3}|-)(?:(u\.?s\.?\s+dollars)|(dollars?|euros?|pounds\s+sterling|pounds|sterling|yen)"
    r"|(USD|EUR|GBP|JPY|CHF|CAD|AUD|NZD|HKD|SGD))\b",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = re.compile(
    r"(?:((?:US|U\.S\.|A|AU|C|CA|NZ|HK|S)?\$|€|£|¥)|(?<![A-Za-z])(USD|EUR|GBP|JPY|CHF|CAD|AUD|NZD"
    r"|HKD|SGD)\s?)\s?$"
)
MULTIWORD_HEDGES = frozenset(tuple(h.split()) for h in _HEDGES if " " in h)
"""The hedges of several words ("in excess of"), as word tuples: the frame reader steps
over them to the words before."""
_HEDGE_BEFORE = re.compile(
    r"(?:^|(?<=[^\w]))((?:just|well)\s+(?:over|under)|up\s+to|more\s+than|at\s+least|close\s+to"
    r"|as\s+(?:much|many|high)\s+as|upwards\s+of|in\s+excess\s+of|north\s+of"
    r"|in\s+the\s+(?:region|order)\s+of|less\s+than|fewer\s+than"
    r"|an\s+estimated|about|around|roughly|approximately|approx\.?|circa|nearly|near|almost|over"
    r"|above|some|estimated|under|below|c\.|between|~)\s{0,3}$",
    re.IGNORECASE,
)
_PLUS_AFTER = re.compile(r"\+|-plus\b|\s+or\s+more\b", re.IGNORECASE)
_RANGE_SEP = re.compile(r"\s{0,2}[-–—]\s{0,2}|\s{1,3}to\s{1,3}")
_BETWEEN_AND = re.compile(r"\s{1,3}and\s{1,3}")
_NP_WORD = re.compile(r"[ \t\u00a0]{1,3}((?:[A-Z]\.){2,}|[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*)")
_OBJECT_PRONOUN = re.compile(r"\s{1,3}(?:you|them|us|him|me)\b")
_OF_WORD = re.compile(r"[ \t\u00a0]{1,3}of(?![\w])")
_LIST_MARKER_AFTER = re.compile(r"[.)]\s")
_ORDINAL_AFTER = re.compile(r"(?:st|nd|rd|th)(?![A-Za-z])")
_DOMAIN_IN_TOKEN = re.compile(
    r"[A-Za-z0-9-]\.(?:com|org|net|io|co|uk|de|fr|gs|se|li|to|info|biz|me|tv|ai|app|dev|edu"
    r"|gov|us|ru|cn|eu|ca|au|jp|ly|nl|ch|es|it|pl|pw|cc|ws|su|is|st|lt|am|fm|so|sx|vg|xyz"
    r"|html?|php|aspx?|jsp|png|jpe?g|gif|pdf)\b",
    re.IGNORECASE,
)
_ENTITY_IN_TOKEN = re.compile(r"&#?\w{1,10};")


class _Number(NamedTuple):
    """A parsed number before it knows its kind."""

    start: int
    end: int
    value: Decimal
    scaled: bool
    """True when a scale word or suffix ('million', 'bn') was part of it."""
    words: bool
    """Written in words ('eighty-six million')."""


# --------------------------------------------------------------------------- public API


def find_figures(text: str, published: dt.date | None = None) -> list[Figure]:
    """All figures in ``text``, in order. Spans are offsets into ``text``.

    ``published`` anchors dates written without a year; without it, the latest full
    date in the text is used, else today.
    """
    if not isinstance(text, str) or not text:
        return []
    try:
        return _scan(text, published)
    except Exception:  # pragma: no cover - last resort; _scan is fuzzed not to raise
        return []


def figure_spans(text: str, published: dt.date | None = None) -> list[Span]:
    """Spans of every figure, with the kind's value as ``Span.kind``, for highlighting."""
    return [Span(f.start, f.end, f.kind.value) for f in find_figures(text, published)]


def written_precision(figure: Figure) -> float:
    """The rounding step implied by how the figure was written.

    '$13 trillion' -> 1e12, '$12.9 trillion' -> 1e11, '$150,000' -> 1e4,
    '99.6%' -> 0.1. Dates and unparsable figures give 0.

    Trailing zeros of a whole number are read as rounding ('$150,000', '300 TB'),
    except before a scale word of a million or more and in a share: '$10 million'
    and '90 million files' are written to the million, '40%' to the point, as
    those digits are how such numbers are always written.
    """
    if figure.kind is FigureKind.DATE or not isinstance(figure.value, float | int):
        return 0.0
    value = float(figure.value)
    match = _DIGITS_RE.search(figure.text)
    if match is None:
        # Written in words: the last non-zero digit sets the step, at most the scale
        # word's ('ten million' is written to the million).
        if value < 1:
            return 0.0
        step = _integer_step(int(value))
        if figure.kind is FigureKind.PERCENT:
            return min(step, 1.0)
        scales = [
            _SCALE_WORDS[word]
            for word in _WORD_RE.findall(figure.text.lower())
            if word in _SCALE_WORDS and _SCALE_WORDS[word] >= _DIGIT_SCALE
        ]
        return min(step, float(min(scales))) if scales else step
    written = match.group().replace(",", "")
    try:
        mantissa = Decimal(written)
    except InvalidOperation:
        return 0.0
    if mantissa == 0:
        return 0.0
    multiplier = value / float(mantissa)
    if "." in written:
        decimals = len(written.split(".", 1)[1])
        return multiplier * 10.0**-decimals
    if figure.kind is FigureKind.PERCENT or (
        figure.kind is not FigureKind.SIZE and multiplier >= _DIGIT_SCALE * 0.999
    ):
        return multiplier
    return multiplier * _integer_step(int(mantissa))


_DIGIT_SCALE = 1_000_000
"""From this scale word up, every digit written before it counts ('$10 million')."""
_WORD_RE = re.compile(r"[a-z]+")


def _integer_step(number: int) -> float:
    if number <= 0:
        return 1.0
    step = 1
    while number % (step * 10) == 0:
        step *= 10
    return float(step)


# --------------------------------------------------------------------------- scanning


def _scan(text: str, published: dt.date | None) -> list[Figure]:
    digit_tokens: list[tuple[int, int]] = []
    for run in _DIGIT_RUN.finditer(text):
        exact = _DIGITS_RE.match(text, run.start())
        if exact is not None:
            digit_tokens.append(exact.span())

    figures = _scan_dates(text, published, digit_tokens)
    taken = sorted((f.start, f.end) for f in figures)

    candidates: list[tuple[int, int, bool]] = [(s, e, False) for s, e in digit_tokens]
    for start in _word_number_starts(text):
        words = _WORDS_RE.match(text, start)
        if words is not None:
            candidates.append((start, words.end(), True))
    candidates.sort()

    consumed = 0
    date_index = 0
    for start, end, in_words in candidates:
        if start < consumed:
            continue
        while date_index < len(taken) and taken[date_index][1] <= start:
            date_index += 1
        if date_index < len(taken) and taken[date_index][0] < end:
            continue
        figure = _figure_at(text, start, end, in_words)
        if figure is None:
            continue
        # A figure may not run into a date ("3 in January" is fine; spans must not overlap).
        if date_index < len(taken) and figure.end > taken[date_index][0]:
            continue
        figures.append(figure)
        consumed = figure.end
    figures.extend(_fractions_of_a_point(text, figures))
    if published is not None:
        figures.extend(_weekday_dates(text, published, figures))
    figures.sort(key=lambda f: (f.start, f.end))
    figures = _coordinated_counts(text, figures, digit_tokens)
    return _points_beside_percentages(text, figures)


_WEEKDAY_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    )
}


def is_weekday(figure: Figure) -> bool:
    """A date written as a weekday ("on Monday"): read against the article's day, so
    weaker than a date written out."""
    return figure.kind is FigureKind.DATE and figure.text in _WEEKDAY_NUMBERS


_WEEKDAY_RE = re.compile(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_WEEKDAY_LEAD = re.compile(
    r"\b(?i:on|late|early|last|next|this|since|by|until|from|through|before|after)\s{1,3}$"
)
_WEEKDAY_TAIL = re.compile(r"(?:['’]s\b|\s{1,3}(?:morning|afternoon|evening|night)\b)")
_WEEKDAY_AHEAD = re.compile(
    r"\b(?:will|shall|is due|are due|scheduled|expected to|set to|plans? to|going to)\b"
)


def _weekday_dates(text: str, published: dt.date, found: list[Figure]) -> list[Figure]:
    """ "killed 1,700 people on Monday", "Monday's quake": news names the days of the
    past week by their weekday. The day is the latest such weekday on or before the
    article's day; one said of what will happen ("will vote on Thursday", "next
    Friday") is the next one. A weekday followed by its full date is that date."""
    if "day" not in text:
        return []
    dates: list[Figure] = []
    for match in _WEEKDAY_RE.finditer(text):
        start, end = match.span()
        if any(f.start < end + 6 and start < f.end for f in found):
            continue  # "Monday, February 6, 2023": the date says it
        before = text[max(0, start - 14) : start]
        lead = _WEEKDAY_LEAD.search(before)
        if lead is None and not _WEEKDAY_TAIL.match(text, end):
            continue  # "Black Friday", "Super Tuesday" and weekdays in names
        if "Black" in before[-6:] or "Super" in before[-6:] or "Cyber" in before[-6:]:
            continue
        weekday = _WEEKDAY_NUMBERS[match.group(1)]
        clause = text[max(0, start - 60) : start]
        clause = clause[max(clause.rfind(". "), clause.rfind("\n"), -1) + 1 :]
        said = lead.group().split()[0].lower() if lead is not None else ""
        if said == "next" or _WEEKDAY_AHEAD.search(clause):
            delta = (weekday - published.weekday()) % 7
            day = published + dt.timedelta(days=(delta or 7) if said == "next" else delta)
        else:
            delta = (published.weekday() - weekday) % 7
            if said == "last" and not delta:
                delta = 7
            day = published - dt.timedelta(days=delta)
        dates.append(Figure(FigureKind.DATE, match.group(1), start, end, day.isoformat(), ""))
    return dates


# "the 303 and 282 seats": a bare number before "and"/"or" and a count shares its noun
_SHARED_NOUN_AFTER = re.compile(r",?\s{1,3}(?:and|or|,)\s{1,3}|,\s{0,3}")
# "38,044 people had died in Turkey and 3,688 in Syria", "the BJP winning 240 seats and
# the Congress 99", "39,106 dead, including 35,418 in southern Turkey": a bare number
# after a coordinating word (and the names it is said of) counts what the count before
# it counts. The number must end its phrase ("in Syria", a comma, the sentence's end).
GAP_COORDINATORS = ("and", "but", "while", "whereas", "including", "with")
"""Words after which a bare count stands beside the count before it; a comma may come
before them or stand for them ("412 seats, the Conservatives 121")."""
GAP_CONTRASTS = ("against", "versus", "vs")
"""The same, never after a comma ("vs." with its full stop)."""
_AFTER_COMMA = "|".join(GAP_COORDINATORS)
_ON_THEIR_OWN = "|".join((*GAP_COORDINATORS, *GAP_CONTRASTS[:-1], r"vs\.?"))
_GAPPED_BEFORE = re.compile(
    rf"(?:,\s{{0,3}}(?:(?:{_AFTER_COMMA})(?=\s))?|\s{{1,3}}(?:{_ON_THEIR_OWN}))"
    r"(?:\s{1,3}(?:the|[A-Z][\w.'’&()-]*)){0,4}\s{1,3}$"
)
_PREPOSITION_BEFORE = re.compile(r"\b(?:in|of|from|to|by|for|over|across|than|after)\s{1,3}$")
_GAPPED_AFTER = re.compile(r"\s{0,3}(?:[,.;:)]|$|\s(?:in|at|for|from|on|and|or)\b)")
_CLAUSE_BREAK = re.compile(r"[.;:!?]\s|\n")


def _coordinated_counts(
    text: str, figures: list[Figure], digit_tokens: list[tuple[int, int]]
) -> list[Figure]:
    """Counts whose noun is said once for two numbers (English coordination): "the 303
    and 282 seats", "38,044 people had died in Turkey and 3,688 in Syria". The bare
    number takes the other count's noun; its span is the number alone."""
    counts = [f for f in figures if f.kind is FigureKind.COUNT and f.unit]
    if not counts:
        return figures
    taken = [(f.start, f.end) for f in figures]
    added: list[Figure] = []
    for start, end in digit_tokens:
        if any(s < end and start < e for s, e in taken):
            continue
        word = text[start:end]
        if "," not in word and "." not in word and len(word) == 4 and word[:2] in ("19", "20"):
            continue  # a year
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "$€£¥#-/.:"):
            continue
        if text[end : end + 1].isalnum() or text[end : end + 1] in "%-/":
            continue
        value = _bare_value(text, start, end)
        if value is None:
            continue
        shared = _SHARED_NOUN_AFTER.match(text, end)
        unit = ""
        if shared is not None:
            following = next((f for f in counts if f.start == shared.end()), None)
            if following is not None and following.text[:1].isdigit():
                unit = following.unit
        if not unit and _GAPPED_AFTER.match(text, end):
            window = text[max(0, start - 160) : start]
            clause = window[_last_break(window) :]
            gap = _GAPPED_BEFORE.search(clause)
            if gap is not None:
                gap_at = start - len(clause) + gap.start()
                before = [f for f in (*counts, *added) if f.end <= gap_at
                          and f.start >= start - len(clause)]  # fmt: skip
                # "12 goals in 20 games and 3 in the cup": the count the gapped one
                # stands beside is not one inside a preposition's phrase
                free = [f for f in before if not _PREPOSITION_BEFORE.search(
                    text, max(0, f.start - 12), f.start)]  # fmt: skip
                if free or before:
                    unit = max(free or before, key=lambda f: f.end).unit
        if not unit:
            continue
        figure = Figure(FigureKind.COUNT, word, start, end, value, unit)
        added.append(figure)
        taken.append((start, end))
    if not added:
        return figures
    return sorted((*figures, *added), key=lambda f: (f.start, f.end))


def _bare_value(text: str, start: int, end: int) -> float | None:
    """The value of a number that stands alone ("the Congress 99"), or None when it is
    part of something else (a list like 1,2,3, a time, a link)."""
    after = text[end : end + 2]
    if after[:1] in ",/.:" and after[1:2].isdigit():
        return None
    if _is_noise_token(text, start, end):
        return None
    try:
        return float(Decimal(text[start:end].replace(",", "")))
    except InvalidOperation:
        return None


def _last_break(window: str) -> int:
    last = 0
    for match in _CLAUSE_BREAK.finditer(window):
        last = match.end()
    return last


_POINTS = frozenset({"point", "points", "pts", "pt"})


def _points_beside_percentages(text: str, figures: list[Figure]) -> list[Figure]:
    """ "33.7% of the vote, up 1.6 points": points in a sentence about percentages are
    percentage points (a score of "21 points" has no percentage beside it)."""
    if not any(f.kind is FigureKind.PERCENT for f in figures):
        return figures
    out = []
    for figure in figures:
        if (
            figure.kind is FigureKind.COUNT
            and figure.unit.lower() in _POINTS
            and isinstance(figure.value, float)
            and figure.value < 100
        ):
            nearest = min(
                (abs(f.start - figure.start) for f in figures if f.kind is FigureKind.PERCENT),
                default=10_000,
            )
            if nearest <= 120:
                figure = Figure(
                    FigureKind.PERCENT, figure.text, figure.start, figure.end, figure.value, "%",
                    figure.hedge,
                )  # fmt: skip
        out.append(figure)
    return out


def _fractions_of_a_point(text: str, found: list[Figure]) -> list[Figure]:
    """ "cut rates by half a percentage point", "a quarter-point rise": percentages
    written as a fraction of a point, where no other figure is."""
    fractions: list[Figure] = []
    if "oint" not in text:
        return fractions  # no "point" at all: most texts
    for match in _FRACTION_OF_A_POINT.finditer(text):
        start, end = match.span()
        if any(f.start < end and start < f.end for f in found):
            continue
        if "percentage" not in match.group(0).lower() and not _RATE_WORDS.search(
            text, max(0, start - 60), min(len(text), end + 60)
        ):
            continue  # "half a point" in a game is not a rate
        word = " ".join(match.group(1).lower().replace("-", " ").split())
        fractions.append(
            Figure(FigureKind.PERCENT, match.group(0), start, end, _FRACTIONS[word], "%")
        )
    return fractions


def _word_number_starts(text: str) -> list[int]:
    """Where numbers written in words may start: 'eighty-six', 'a million', 'half a'.

    Found with ``str.find`` per word on the lowercased text: C-speed and cheap, where a
    regex sweep would try a match at every space and listing all words allocates.
    "86 million" and "eighty-six million" are found from their first token, so scale
    words only matter after "a", "an" or "half a".
    """
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c.lower() if c.isascii() else "\x00" for c in text)
    starts: list[int] = []
    length = len(lowered)
    for word in _WORD_NUMBER_LEADS:
        position = lowered.find(word)
        while position >= 0:
            end = position + len(word)
            if (position == 0 or not lowered[position - 1].isalpha()) and (
                end >= length or not lowered[end].isalpha()
            ):
                if word in _SMALL_NUMBERS:
                    starts.append(position)
                elif not lowered[max(0, position - 2) : position].strip().isdigit():
                    lead = _LEAD_BEFORE_SCALE.search(lowered, max(0, position - 8), position)
                    if lead is not None:
                        fraction = _FRACTION_BEFORE.search(
                            lowered, max(0, lead.start() - 24), lead.start()
                        )
                        starts.append(fraction.start() if fraction else lead.start())
            position = lowered.find(word, end)
    return starts


# Small numbers start a number in words. Scale words only do after "a", "an", "half a"
# or "one" ("86 million", "eighty-six million" start at their first token); "one" alone
# is a pronoun and never starts a figure.
_WORD_NUMBER_LEADS = (
    *[w for w in _SMALL_NUMBERS if w not in ("zero", "one")],
    *_SCALE_WORDS,
    "dozen",
)
_LEAD_BEFORE_SCALE = re.compile(r"(?<![a-z'’-])(?:an?|half\s+an?|one)[\s-]+$")


# --------------------------------------------------------------------------- dates


def _scan_dates(
    text: str, published: dt.date | None, digit_tokens: list[tuple[int, int]]
) -> list[Figure]:
    found: list[tuple[int, int, int | None, int, int | None, str]] = []
    # (start, end, year or None, month, day or None, qualifier)
    for match in _MONTH_RE.finditer(text):
        start, end = match.span()
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_-"):
            continue
        name = match.group()
        month = _MONTHS[name.lower()]
        abbreviated = name not in _FULL_MONTHS
        tail = end
        if abbreviated and text.startswith(".", tail):
            tail += 1
        year: int | None = None
        day: int | None = None
        qualifier = ""
        day_match = _DAY_AFTER_MONTH.match(text, end)
        if day_match is not None and 1 <= int(day_match.group(1)) <= 31:
            day = int(day_match.group(1))
            tail = day_match.end()
            year_match = _YEAR_AFTER.match(text, tail)
            if year_match is not None:
                year = int(year_match.group(1))
                tail = year_match.end()
        else:
            head = text[max(0, start - 16) : start]
            before = _DAY_BEFORE_MONTH.search(head)
            if before is not None and 1 <= int(before.group(1)) <= 31:
                day = int(before.group(1))
                start = start - len(head) + before.start()
            year_match = _YEAR_AFTER_MONTH.match(text, end)
            if year_match is not None:
                year = int(year_match.group(1))
                tail = year_match.end()
            if day is None:
                part = _PART_BEFORE_MONTH.search(text[max(0, start - 24) : start])
                if part is not None:
                    qualifier = part.group(1).lower()
                    start = start - (min(start, 24) - part.start())
                elif year is None:
                    if abbreviated:
                        continue
                    context = _BARE_MONTH_CONTEXT.search(text[max(0, start - 12) : start])
                    if context is None:
                        continue
                    # "May" and "March" are also common words; only a clear date context counts.
                    if name in ("May", "March") and context.group().strip().lower() in (
                        "and",
                        "or",
                        "to",
                        "on",
                    ):
                        continue
        found.append((start, tail, year, month, day, qualifier))

    for start, end in digit_tokens:
        if text[end : end + 1] not in ("-", "/"):
            continue
        token = text[start:end]
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "/-."):
            continue
        if len(token) == 4 and token.isdigit():
            iso = _ISO_DATE_TAIL.match(text, end)
            if iso is not None:
                found.append(
                    (start, iso.end(), int(token), int(iso.group(1)), int(iso.group(2)), "")
                )
        elif len(token) <= 2 and token.isdigit():
            slash = _SLASH_DATE_TAIL.match(text, end)
            if slash is not None:
                first, second = int(token), int(slash.group(1))
                year_text = slash.group(2)
                year = int(year_text) + (2000 if len(year_text) == 2 else 0)
                month, day = (first, second) if first <= 12 else (second, first)
                found.append((start, slash.end(), year, month, day, ""))

    if not found:
        return []
    found.sort()
    anchor = published or _anchor_from_text(found) or dt.date.today()
    figures: list[Figure] = []
    last_end = -1
    for start, end, year, month, day, qualifier in found:
        if start < last_end or not 1 <= month <= 12:
            continue
        if year is None:
            year = _nearest_year(anchor, month, day, qualifier)
        if day is not None:
            try:
                value = dt.date(year, month, day).isoformat()
            except ValueError:
                continue
        else:
            value = f"{year:04d}-{month:02d}"
        figures.append(Figure(FigureKind.DATE, text[start:end], start, end, value, ""))
        last_end = end
    return figures


def _anchor_from_text(
    found: list[tuple[int, int, int | None, int, int | None, str]],
) -> dt.date | None:
    latest: dt.date | None = None
    for _start, _end, year, month, day, _qualifier in found:
        if year is None or day is None:
            continue
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if latest is None or candidate > latest:
            latest = candidate
    return latest


def _nearest_year(anchor: dt.date, month: int, day: int | None, qualifier: str) -> int:
    """The year putting month/day nearest ``anchor`` without being long after it.

    A month alone counts from its first day: "by December" in September is this
    December, and "late December" in January is last December.
    """
    best_year = anchor.year
    best_distance: int | None = None
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            candidate = dt.date(year, month, min(day, 28) if month == 2 else day) if day else None
        except ValueError:
            candidate = None
        if candidate is None:
            candidate = dt.date(year, month, 1)
        delta = (candidate - anchor).days
        if delta > _MAX_DAYS_AHEAD:
            continue
        if best_distance is None or abs(delta) < best_distance:
            best_distance = abs(delta)
            best_year = year
    return best_year


# --------------------------------------------------------------------------- numbers


def _figure_at(text: str, start: int, end: int, in_words: bool) -> Figure | None:
    number = _words_number(text, start, end) if in_words else _digits_number(text, start, end)
    if number is None:
        return None
    if _PROPORTION_BEFORE.search(text, max(0, start - 12), start):
        return None  # "one in five customers" is a share, not five customers
    return _classify(text, number, allow_range=True)


def _is_noise_token(text: str, start: int, end: int) -> bool:
    """True when the number sits in a URL, an e-mail, markup or an entity."""
    # The whitespace-delimited token around the number (flattened text only has spaces
    # and newlines; other whitespace just makes the token look longer, which is harmless).
    low = max(0, start - 300)
    left = max(text.rfind(" ", low, start), text.rfind("\n", low, start), low - 1) + 1
    high = min(len(text), end + 300)
    spaces = [i for i in (text.find(" ", end, high), text.find("\n", end, high)) if i >= 0]
    right = min(spaces) if spaces else high
    token = text[left:right]
    if len(token) <= 3:
        return False
    if start > 0 and text[start - 1] in "[;\x9b\x1b" and text[end : end + 1] == "m":
        return True  # what an escape sequence leaves behind: "[31m", "\x9b31m"
    if "://" in token or "www." in token or "=" in token or "<" in token or ">" in token:
        return True
    if "@" in token and any(c.isalpha() for c in token.split("@", 1)[1][:3]):
        return True
    if "&" in token and _ENTITY_IN_TOKEN.search(token):
        return True
    if token.startswith("/") or (token.count("/") >= 1 and _DOMAIN_IN_TOKEN.search(token)):
        return True
    if "[" in token and token.find("]") > token.find("["):
        inner = token[token.find("[") + 1 : token.find("]")]
        if inner.isdigit():
            return True
    return "/" in token and any(c.isalpha() for c in token.split("/", 1)[1][:40])


def _digits_number(text: str, start: int, end: int) -> _Number | None:
    token = text[start:end]
    if len(token) > 24:
        return None
    before = text[start - 1] if start > 0 else ""
    if before and (before.isalpha() or before.isdigit() or before in "_#"):
        return None
    if before == "." and start > 1 and text[start - 2].isdigit():
        return None
    if before == "-" and start > 1 and text[start - 2].isalpha():
        return None
    if before == ":" and start > 1 and text[start - 2].isdigit():
        return None
    after = text[end : end + 2]
    if after[:1] == ":" and after[1:2].isdigit():
        return None  # a time or a docket number
    if after[:1] in ",/." and after[1:2].isdigit():
        return None  # lists like 1,2,3 and fractions; decimals were already read
    if after[:1] == "-" and after[1:2].isalpha():
        # "26-cv", but not "300-terabyte" or "13-trillion"
        rest = text[end + 1 : end + 12].lower()
        if not rest.startswith(
            (
                "hundred",
                "thousand",
                "million",
                "billion",
                "trillion",
                "percent",
                "per cent",
                "kilo",
                "mega",
                "giga",
                "tera",
                "peta",
                "exa",
                "kb",
                "mb",
                "gb",
                "tb",
                "pb",
                "plus",
                "dollar",
                "euro",
                "basis",
            )
        ):
            return None
    if _is_noise_token(text, start, end):
        return None
    following = text[end : end + 1]
    if (
        following in ".)"
        and following
        and (
            (before == "(" and following == ")")
            or (_at_line_start(text, start) and _LIST_MARKER_AFTER.match(text, end))
        )
    ):
        return None  # a list marker
    if following in "snrt" and following and _ORDINAL_AFTER.match(text, end):
        return None
    previous = text[max(0, start - 14) : start].split()
    if previous and previous[-1].lower().rstrip(".") in _LABEL_WORDS:
        return None
    if previous and token.isdigit() and _ends_a_name(text, start, end, previous[-1]):
        return None
    try:
        value = Decimal(token.replace(",", ""))
    except InvalidOperation:
        return None
    return _Number(start, end, value, False, False)


_NAME_BEFORE_SKIP = re.compile(r"[.!?:;\n][\"'’”)\]]*\s*$|^\s*$")
"""The end of the sentence before (a closing quote or bracket after its stop too:
"... wage increase.’ About 96% of members")."""


def _ends_a_name(text: str, start: int, end: int, word: str) -> bool:
    """'iPhone 15 users', 'Windows 11 machines': a short whole number right after a
    name is part of the name (a version or model), not a count.

    A name is a word with a capital inside ('iPhone', 'PlayStation'), or a capitalised
    word inside a sentence that is not a Title Case headline; months and weekdays are
    not names here ('On Monday 15 users...'). A scale word after the number
    ('iPhone 15 million') makes it a quantity after all.
    """
    if end - start > 4 or start < len(word) + 1 or text[start - 1] != " ":
        return False
    if not word.isalpha() or word.lower() in _MONTHS or word.lower() in _WEEKDAYS:
        return False
    if _SCALE_WORD_AFTER.match(text, end) or _SCALE_SUFFIX_AFTER.match(text, end):
        return False
    if word[0].islower():
        return any(c.isupper() for c in word[1:])  # 'iPhone', 'macOS'
    if not word[1:] or word.isupper():
        return False  # 'I', 'EU 27', 'NASA'
    if any(c.isupper() for c in word[1:]):
        return True  # 'PlayStation'
    word_start = start - 1 - len(word)
    if _NAME_BEFORE_SKIP.search(text, max(0, word_start - 3), word_start):
        return False  # first word of a sentence: 'Only 15 users'
    return not _title_case_line(text, start)


def _at_line_start(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return not text[line_start:start].strip()


def _words_number(text: str, start: int, end: int) -> _Number | None:
    if start > 0 and text[start - 1] in "-'’_":
        return None
    fraction = _FRACTION_OF_RE.match(text, start, end)
    if fraction is not None:
        # "a quarter of a million": the fraction of what follows, which needs a scale.
        whole = _words_number(text, fraction.end(), end)
        if whole is None or not whole.scaled:
            return None
        numerator = _FRACTION_NUMERATORS[fraction.group(1).lower()]
        denominator = _FRACTION_DENOMINATORS[fraction.group(2).lower()]
        amount = (whole.value * numerator / denominator).to_integral_value()
        return _Number(start, whole.end, amount, True, True)
    total = 0
    current = 0
    last_kind = ""  # "small", "hundred" or "scale"
    last_scale = 0
    value_end = start
    seen_number = False
    article = False
    half = False
    for token in _WORD_TOKEN_RE.finditer(text, start, end):
        word = token.group().lower()
        if word == "and":
            if last_kind not in ("hundred", "scale"):
                break
            continue
        if word in ("a", "an", "half"):
            if seen_number:
                break
            article = article or word != "half"
            half = half or word == "half"
            continue
        if word in _SMALL_NUMBERS:
            small = _SMALL_NUMBERS[word]
            # "eighty six" is one number; "two three" is not.
            if last_kind == "small" and not (
                current % 100 >= 20 and current % 10 == 0 and small < 10
            ):
                break
            current += small
            last_kind = "small"
        elif word == "hundred":
            if last_kind == "hundred" or (current >= 100) or not (current or article):
                break
            current = (current or 1) * 100
            last_kind = "hundred"
        elif word in _SCALE_WORDS:
            scale = _SCALE_WORDS[word]
            if not (current or article) or (last_kind == "scale" and not current):
                break
            if last_scale and scale >= last_scale:
                break
            total += (current or 1) * scale
            current = 0
            last_scale = scale
            last_kind = "scale"
        elif word == "dozen":
            if last_kind in ("scale", "hundred") or not (current or article):
                break
            current = (current or 1) * 12
            last_kind = "hundred"
        else:
            break
        seen_number = True
        value_end = token.end()
    if not seen_number:
        return None
    if not total and _FRACTION_WORD_AFTER.match(text, value_end):
        return None  # "two thirds of the tracks" is a share, not two of anything
    amount = Decimal(total + current)
    if half:
        amount /= 2
    scaled = total > 0
    if amount == 1 and not scaled:
        return None  # "one" is nearly always a pronoun: "one of the labels"
    return _Number(start, value_end, amount, scaled, True)


# Cheap first-character checks: most numbers have none of these, and skipping an
# anchored match is much cheaper than running it.
_CURRENCY_LAST_CHARS = frozenset("$€£¥ ")
_SPACE_OR_HYPHEN = frozenset(" -\t\u00a0")
_RANGE_FIRST_CHARS = frozenset("-–—")
_RANGE_WORDS = (" to ", " and ", " - ", " – ", " — ", "  to ")
_SIZE_FIRST_LETTERS = frozenset("KMGTPEkmgtpe")
_CURRENCY_FIRST_LETTERS = frozenset("dDeEpPsSyYuUCGJANHcgjanh")
_HEDGE_LAST_WORDS = _word_set(
    """
    to than least of as about around roughly approximately approx. approx circa c. nearly near
    almost over above some estimated under below between ~
    """
)


_SIZE_WORD_STARTS = _word_set("kilo mega giga tera peta exab kibi mebi gibi tebi pebi exbi")


def _looks_like_size_unit(text: str, end: int, spaced: bool) -> bool:
    at = end + 1 if spaced else end
    first = text[at : at + 1]
    if first not in _SIZE_FIRST_LETTERS:
        return False
    second = text[at + 1 : at + 2]
    return second in "BbIi" or text[at : at + 4].lower() in _SIZE_WORD_STARTS


def _hedge_match(text: str, end: int) -> re.Match[str] | None:
    window = text[max(0, end - 24) : end]
    stripped = window.rstrip()
    if not stripped:
        return None
    if stripped[-1] != "~":
        last = stripped.rsplit(None, 1)[-1].lower()
        if last not in _HEDGE_LAST_WORDS:
            return None
    return _HEDGE_BEFORE.search(window)


def _classify(text: str, number: _Number, allow_range: bool) -> Figure | None:
    """Decide what a number is from what surrounds it, and build the figure."""
    start, end = number.start, number.end
    value = number.value
    scaled = number.scaled
    scale_suffix = ""

    # Currency sign or code in front: "$", "US$", "€", "USD ".
    currency = ""
    head_start = start
    head = text[max(0, start - 6) : start]
    cur_match = (
        _CURRENCY_BEFORE.search(head)
        if head and (head[-1] in _CURRENCY_LAST_CHARS or head[-2:-1].isupper())
        else None
    )
    if cur_match is not None:
        symbol = cur_match.group(1)
        if symbol is not None:
            currency = _CURRENCY_SYMBOLS.get(symbol.lower(), "USD")
        else:
            currency = cur_match.group(2).upper()
        head_start = start - len(head) + cur_match.start()

    # Year-like bare integers are names ("the 2024 lawsuit"), not quantities, unless
    # something marks them as money, a share or a size.
    bare_year = (
        not number.words
        and not currency
        and len(text[start:end]) == 4
        and text[start:end].isdigit()
        and 1800 <= int(value) <= 2100
    )

    # Scale: " million", "-billion", "bn", "m".
    after = text[end : end + 2]
    if not number.words or not scaled:
        scale_match = (
            _SCALE_WORD_AFTER.match(text, end)
            if after[:1] in _SPACE_OR_HYPHEN and after[1:2] in "hHtTmMbBlLcC "
            else None
        )
        if scale_match is not None:
            value *= _SCALE_WORDS[scale_match.group(1).lower()]
            end = scale_match.end()
            scaled = True
            bare_year = False
        elif not number.words:
            suffix = _SCALE_SUFFIX_AFTER.match(text, end) if after[:1] in "kKmMbBtT" else None
            if suffix is not None:
                letters = suffix.group(1).lower()
                if letters in _MONEY_ONLY_SUFFIXES and not currency:
                    return None
                value *= _SCALE_SUFFIXES[letters]
                end = suffix.end()
                scaled = True
                scale_suffix = letters
                bare_year = False
            elif (
                end < len(text)
                and text[end].isalpha()
                and not _SIZE_AFTER.match(text, end)
                and not _BASIS_POINTS_GLUED.match(text, end)
                and not _PERCENT_GLUED.match(text, end)
            ):
                return None  # letters glued on that are not a unit: "3D", "1990s", "5G"

    # Ranges: "$1-2 billion", "250 to 300 TB", "between 10 and 20 million files".
    if allow_range and (
        text[end : end + 1] in _RANGE_FIRST_CHARS or text.startswith(_RANGE_WORDS, end)
    ):
        ranged = _range_after(text, number, end, currency)
        if ranged is not None:
            return ranged

    kind: FigureKind | None = None
    unit = ""
    tail = end
    after = text[end : end + 2]
    spaced = after[:1] in _SPACE_OR_HYPHEN
    next_letter = after[1:2] if spaced else after[:1]
    percent = (
        _PERCENT_AFTER.match(text, end)
        if after[:1] == "%" or (spaced and next_letter in "pP") or after == "pc"
        else None
    )
    basis_points = (
        _BASIS_POINTS_AFTER.match(text, end)
        if percent is None and not currency and not scale_suffix and next_letter in "bB"
        else None
    )
    if percent is not None and not currency and not scale_suffix:
        kind, unit, tail = FigureKind.PERCENT, "%", percent.end()
    elif basis_points is not None:
        kind, unit, tail = FigureKind.PERCENT, "%", basis_points.end()
        value = value / 100
    else:
        size = (
            _SIZE_AFTER.match(text, end)
            if not currency and not scale_suffix and _looks_like_size_unit(text, end, spaced)
            else None
        )
        if size is not None:
            unit_name = (size.group(1) or size.group(2) or "").lower()
            multiplier = _SIZE_UNITS.get(unit_name.rstrip("s"), _SIZE_UNITS.get(unit_name))
            if multiplier is None:
                return None
            kind, unit, tail = FigureKind.SIZE, "B", size.end()
            value *= multiplier
        else:
            word_currency = (
                _CURRENCY_AFTER.match(text, end)
                if spaced and next_letter in _CURRENCY_FIRST_LETTERS
                else None
            )
            if word_currency is not None:
                code = word_currency.group(3)
                if code is not None:
                    found = code.upper()
                elif word_currency.group(1) is not None:
                    found = "USD"
                else:
                    found = _CURRENCY_WORDS[word_currency.group(2).lower()]
                # "300 pounds" may be a weight; only count pounds as money with a scale,
                # and never "7 million pounds of meat".
                if (
                    found == "GBP"
                    and word_currency.group(2)
                    and not currency
                    and (not scaled or _OF_WORD.match(text, word_currency.end()))
                ):
                    word_currency = None
                if word_currency is not None:
                    currency = currency or found
                    tail = word_currency.end()
            if currency:
                kind, unit = FigureKind.MONEY, currency
    if kind is not None and bare_year and kind is not FigureKind.MONEY:
        bare_year = False

    hedge_end = head_start
    if head_start > 0 and text[head_start - 1] == "~":
        head_start -= 1  # "~300TB": a glued tilde is part of how the figure is written
    hedge = ""
    hedge_match = _hedge_match(text, hedge_end)
    if hedge_match is not None:
        written = " ".join(hedge_match.group(1).lower().split())
        if written != "between" and not (
            written in _PREPOSITION_HEDGES and _after_dispute_word(text, hedge_end, hedge_match)
        ):
            hedge = _HEDGES.get(written, written)
    plus_at = tail if kind is not None else end
    plus = (
        _PLUS_AFTER.match(text, plus_at)
        if text.startswith(("+", "-plus", "-Plus", " or more"), plus_at)
        else None
    )

    if kind is None:
        if bare_year:
            return None
        noun_start = end
        if plus is not None:
            noun_start = plus.end()
        phrase = _counted_noun(text, noun_start)
        if (
            phrase is not None
            and phrase[0][:1].isupper()
            and not scaled
            and not number.words
            and not _title_case_line(text, start)
            and all(word[:1].isupper() for word in phrase[0].split())
        ):
            # "500 Pearl Street", "7 World Trade Center": names, not counts (but "33,000
            # Boeing machinists" counts machinists)
            phrase = None
        if phrase is None:
            if float(value) == 0 or (
                not scaled and not _is_tally(text, head_start, end, float(value))
            ):
                return None  # a bare "0m" counts nothing (a leftover "\x1b[0m", a unit)
            unit, tail = "", end
        else:
            unit, tail = phrase
        kind = FigureKind.COUNT
    if plus is not None and not hedge:
        hedge = "or more"
        if kind is not FigureKind.COUNT:
            tail = plus.end()
    elif plus is not None and kind is not FigureKind.COUNT and plus.group() == "+":
        tail = plus.end()

    number_value = float(value)
    if number_value != number_value or number_value in (float("inf"), float("-inf")):
        return None
    if kind is FigureKind.COUNT and unit.split()[:1] in (["cents"], ["cent"]):
        # "81 cents a share" is money: $0.81
        first_word_end = text.lower().index("cent", end) + (5 if unit.startswith("cents") else 4)
        return Figure(FigureKind.MONEY, text[head_start:first_word_end], head_start,
                      first_word_end, number_value / 100, "USD", hedge)  # fmt: skip
    return Figure(kind, text[head_start:tail], head_start, tail, number_value, unit, hedge)


# "sued over $13 trillion" is about the money, not more than it.
_PREPOSITION_HEDGES = frozenset({"over", "above", "under", "below"})
_DISPUTE_WORDS = _word_set(
    """
    sue sues sued suing lawsuit lawsuits suit suits fight fights fought battle battles clash
    clashes dispute disputes row war case cases action litigation feud spat charges charged
    worries concerns concern outrage probe investigation talks settle settles settled court
    targets targeted goes went go
    """
)
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\W{0,3}$")


def _after_dispute_word(text: str, hedge_end: int, hedge_match: re.Match[str]) -> bool:
    hedge_start = hedge_end - (hedge_match.endpos - hedge_match.start(1))
    before = _WORD_BEFORE.search(text, max(0, hedge_start - 20), hedge_start)
    if before is None:
        return False
    word = before.group(1)
    # "sues Anna's Archive over 86 million files": after a name, "over" is a preposition.
    return word.lower() in _DISPUTE_WORDS or word[0].isupper()


_BETWEEN_BEFORE = re.compile(r"between\s{1,3}(?:[$€£¥]|US\$)?$", re.IGNORECASE)
_FROM_BEFORE = re.compile(r"\bfrom\s{1,3}\S*$", re.IGNORECASE)


def _range_after(text: str, low: _Number, low_end: int, currency: str) -> Figure | None:
    """A range starting at ``low``: one figure spanning it, valued at its low end."""
    head = text[max(0, low.start - 10) : low.start]
    between = _BETWEEN_BEFORE.search(head) if "etween" in head else None
    separator = (
        _BETWEEN_AND.match(text, low_end)
        if between is not None
        else _RANGE_SEP.match(text, low_end)
    )
    if separator is None:
        return None
    if currency and separator.group().strip() in ("to", "and"):
        return None  # "$750 to $30,000": two whole amounts, two figures
    if separator.group().strip() == "to" and _FROM_BEFORE.search(head):
        return None  # "from 10 to 20" is a change, not a range
    second_start = separator.end()
    if text.startswith(("$", "€", "£", "¥"), second_start):
        second_start += 1
    elif text.startswith("US$", second_start):
        second_start += 3
    digits = _DIGITS_RE.match(text, second_start)
    words = _WORDS_RE.match(text, second_start) if digits is None else None
    if digits is not None:
        second = _digits_number(text, digits.start(), digits.end())
    elif words is not None and low.words:
        second = _words_number(text, words.start(), words.end())
    else:
        return None
    if second is None:
        return None
    high = _classify(text, second, allow_range=False)
    if high is None or not isinstance(high.value, float):
        return None
    if currency and high.kind is FigureKind.COUNT and not high.unit:
        # "$1-2 billion": the currency in front covers both ends.
        high = Figure(FigureKind.MONEY, high.text, high.start, high.end, high.value, currency)
    low_value = low.value
    low_scale = _SCALE_WORD_AFTER.match(text, low.end) or (
        None if low.words else _SCALE_SUFFIX_AFTER.match(text, low.end)
    )
    if low_scale is not None:
        letters = low_scale.group(1).lower()
        low_value *= _SCALE_WORDS.get(letters, _SCALE_SUFFIXES.get(letters, 1))
    elif not low.scaled and second.value:
        # "$1-2 billion": the low end borrows the high end's scale and unit.
        low_value *= Decimal(high.value) / second.value
    elif high.kind is FigureKind.SIZE and second.value:
        low_value *= Decimal(high.value) / second.value
    if low_value > Decimal(high.value) or low_value <= 0:
        return None
    if currency and high.kind is not FigureKind.MONEY:
        return None
    hedge = "between" if between is not None else "range"
    start = low.start
    cur_match = _CURRENCY_BEFORE.search(text[max(0, start - 6) : start])
    if cur_match is not None:
        start -= len(text[max(0, start - 6) : start]) - cur_match.start()
    return Figure(
        high.kind, text[start : high.end], start, high.end, float(low_value), high.unit, hedge
    )


# A bare number is a count when its sentence says it is a tally: "the death toll rose
# to 41,000", "the number of deaths is now nine", "nine have died", "killing 2,900".
_TALLY_BEFORE = re.compile(
    r"\b(?:toll|number\s+of\s+[a-z-]+(?:\s+[a-z-]+)?|total|tally|count|majority|"
    r"figure|mark|threshold)"
    r"(?:\s+(?:from|in|of)\s+(?:the\s+|last\s+\w+'s\s+)?[a-z-]+(?:\s+[a-z-]+)?)?"
    r"(?:\s+(?:of|is|was|are|were|now|has|have|had|risen|rose|climbed|jumped|increased|grew|"
    r"past|beyond|above|passing|"
    r"reached|hit|topped|passed|exceeded|surpassed|stands|stood|at|to|from|officially|"
    r"confirmed|already|so|far|climbs|rises|reaches|more|than|least|nearly|about|some|"
    r"over|almost|roughly|approximately|around))+\s+$",
    re.IGNORECASE,
)
_TALLY_VERB_BEFORE = re.compile(
    r"\b(?:killing|killed|kills|injuring|injured|sickening|sickened|wounding|wounded)"
    r"(?:\s+(?:at\s+least|more\s+than|nearly|about|some|almost|over|around|roughly))?\s+$",
    re.IGNORECASE,
)
_MOVED_TO_BEFORE = re.compile(
    r"\b(?:risen|rose|climbed|jumped|increased|grown|grew|surged|soared|fallen|fell|dropped|"
    r"declined|reached|stands|stood|now)(?:\s+[\w,]+){0,5}?\s+(?:to|at|by)\s+$",
    re.IGNORECASE,
)
"""'it has risen to 50,978', 'is now at 12,391', 'fell by 63': a number a verb moved,
said with no noun, is the tally the sentence is about. Not after "from": 'fell from 303
to 240' may set two elections' counts side by side, which is no old value of one."""
_TALLY_AFTER = re.compile(
    r"\s+(?:(?:people|others|more)\s+)?(?:have\s+|had\s+|were\s+|are\s+|was\s+|has\s+)?"
    r"(?:been\s+)?(?:dead|died|killed|injured|hurt|wounded|missing|displaced|evacuated|"
    r"sickened|hospitali[sz]ed|infected|arrested|rescued|deaths|fatalities|destroyed|"
    r"damaged|affected)\b",
    re.IGNORECASE,
)
_NEEDED_AFTER = re.compile(r"\s+(?:needed|required)\s+(?:to|for)\b", re.IGNORECASE)
"""'the 272 needed to form a government': a count of what it takes, said with no noun."""
_OF_THEM_AFTER = re.compile(r"\s+of\s+(?:them|those|these|whom)\b", re.IGNORECASE)
"""'1.2 million vehicles, 800,000 of them in the US' (in digits: 'two of them' is not)."""


def _is_tally(text: str, start: int, end: int, value: float) -> bool:
    if value < 2 or value != int(value):
        return False
    before = text[max(0, start - 70) : start]
    if _TALLY_BEFORE.search(before) or _TALLY_VERB_BEFORE.search(before):
        return True
    if _MOVED_TO_BEFORE.search(before):
        return True
    if _TALLY_AFTER.match(text, end) is not None:
        return True
    if (
        _NEEDED_AFTER.match(text, end) is not None
        and text[max(0, start - 4) : start].lower() == "the "
    ):
        return True
    return _OF_THEM_AFTER.match(text, end) is not None and any(c.isdigit() for c in text[start:end])


_SENTENCE_STOP = re.compile(r"[.!?][\"'’”)\]]*\s")
_HEADLINE_REACH = 400
"""How far either side of a number a headline is looked for (a line of a whole
article is not read again for every number in it)."""


def _title_case_line(text: str, pos: int) -> bool:
    """True when the line holding ``pos`` is a Title Case headline; a headline that a
    feed ran into its text on one line is read up to its first full stop ("33,000
    Boeing Union Workers Go On Strike. “IAM said ...")."""
    reach = max(0, pos - _HEADLINE_REACH)
    newline = text.rfind("\n", reach, pos)
    start = newline + 1 if newline >= 0 else reach
    end = text.find("\n", pos, pos + _HEADLINE_REACH)
    end = end if end >= 0 else min(len(text), pos + _HEADLINE_REACH)
    for stop in _SENTENCE_STOP.finditer(text, start, pos):
        start = stop.end()
    stop_after = _SENTENCE_STOP.search(text, pos, end)
    if stop_after is not None:
        end = stop_after.start() + 1
    words = text[start:end].split()[1:]  # skip the first word
    words = [w for w in words if len(w) > 3 and w[0].isalpha()]
    if len(words) < 3:
        return False
    capitals = sum(1 for w in words if w[0].isupper())
    return capitals >= 0.7 * len(words)


def _counted_noun(text: str, pos: int) -> tuple[str, int] | None:
    """The counted noun phrase right after a number: ('music files', end) or None."""
    words: list[tuple[str, int, int]] = []
    cursor = pos
    first_capitalised = False
    while len(words) < 3:
        match = _NP_WORD.match(text, cursor)
        if match is None:
            break
        word = match.group(1)
        lower = word.lower()
        possessive = lower.endswith(("'s", "’s"))
        if possessive:
            break
        if lower in _NP_STOP or lower in _MONTHS or lower in _WEEKDAYS:
            break
        if lower.endswith("'") or lower.endswith("’"):
            break
        if words:
            if (
                (lower.endswith(("ed", "ing")) and lower not in _NP_KEEP)
                or lower in _IRREGULAR_PAST
                or (word[0].isupper() and not first_capitalised)
            ):
                break
        elif lower.endswith("ly") and len(lower) > 4:
            # "33,000 hourly workers": an adjective in -ly before a noun is kept
            following = _NP_WORD.match(text, match.end())
            if following is None or following.group(1).lower() in _NP_STOP:
                break
        if not words:
            first_capitalised = word[0].isupper()
        words.append((lower, match.start(1), match.end(1)))
        cursor = match.end()
        if lower in _SMALL_NUMBERS or lower in _SCALE_WORDS:
            return None
    if not words:
        return None
    # "the 1.2 million claimed": a participle alone is not a noun ("86 million scraped
    # files" keeps going to the noun).
    if all(w.endswith(("ed", "ing")) and w not in _NP_KEEP for w, _s, _e in words):
        return None
    # "the two lands you short": a noun is not followed by an object pronoun.
    if _OBJECT_PRONOUN.match(text, cursor):
        return None
    # "rows of metadata", "hours of audio"
    last = words[-1][0]
    if last in _MEASURE_NOUNS and len(words) <= 2:
        of_match = _OF_WORD.match(text, cursor)
        if of_match is not None:
            tail_words: list[tuple[str, int, int]] = []
            inner = of_match.end()
            while len(tail_words) < 2:
                match = _NP_WORD.match(text, inner)
                if match is None:
                    break
                lower = match.group(1).lower()
                if lower in _NP_STOP or lower.endswith(("'s", "’s")):
                    break
                if tail_words and lower.endswith(("ed", "ing")) and lower not in _NP_KEEP:
                    break
                tail_words.append((lower, match.start(1), match.end(1)))
                inner = match.end()
            if tail_words:
                words.extend(tail_words)
                return text[words[0][1] : words[-1][2]], words[-1][2]
    if words[0][0] in _TIME_NOUNS or words[-1][0] in _TIME_NOUNS:
        return None
    return text[words[0][1] : words[-1][2]], words[-1][2]
