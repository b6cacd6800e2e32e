"""Key facts: the figures of every on-topic article, merged across sources.

A *fact* is one figure in one article with its frame: what it measures (the noun,
the event, whose it is, and the qualifiers that make two figures different
quantities), read from general English (``frames``). Facts merge into ``KeyFact``s
by the evidence of their frames and values across sources (``merge``); each key
fact says whether its sources agree, differ, or revised the figure over time, and
why its figures were merged (``keyfacts``). Its label is built from the frames
(``labels``). Dates make the timeline (``timeline``).

One module per job:

====================  ==============================================================
``vocabulary``      the word classes the engine reads, as data (TOML)
``tokens``          a sentence as tokens; what each word can be
``sentences``       where a sentence starts and ends
``frames``          what one figure measures: the walks around it, in order
``sentence_walk``   the frame, and a sentence's words as every walk reads them
``left_of_figure``  the words left of a figure: its verb, its noun, whose it is
``qualifiers``      per unit, scope, modality, another time, a percentage's aspect
``extract``         one article's facts
``merge``           facts merged into clusters by evidence
``keyfacts``        a cluster as a key fact: values, status, notes, history
``labels``          readable labels from frames
``timeline``        dated events
``cache``           per-article facts in the cache; the engine's version
``build``           a briefing from articles (cache, worker processes, memos)
==================  ==============================================================
"""

from briefing.core.facts.build import (
    assemble_briefing,
    build_briefing,
    fact_articles,
    forget_remembered_facts,
    merge_facts,
)
from briefing.core.facts.cache import (
    FactCache,
    engine_version,
    fact_cache_key,
    facts_from_cache_entry,
    facts_to_cache_entry,
)
from briefing.core.facts.extract import Fact, extract_facts, facts_from_text
from briefing.core.facts.frames import Frame
from briefing.core.facts.timeline import build_timeline, timeline_disputes

__all__ = [
    "Fact",
    "FactCache",
    "Frame",
    "assemble_briefing",
    "build_briefing",
    "build_timeline",
    "engine_version",
    "extract_facts",
    "fact_articles",
    "fact_cache_key",
    "facts_from_cache_entry",
    "facts_from_text",
    "facts_to_cache_entry",
    "forget_remembered_facts",
    "merge_facts",
    "timeline_disputes",
]
