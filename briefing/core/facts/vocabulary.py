"""The words the engine reads, as data: general English and legal events (the TOML
files beside this module), plus the user's own ``[facts]`` table of feeds.toml.

Every entry is a lemma or a phrase of lemmas ("take over"). ``Vocabulary`` answers
the questions the engine asks ("which event class is 'toll'?", "is 'insured' a scope
word?") by phrase lookups over lemmas, longest phrase first.

The files are checked when they load: an unknown key, a word that is not a string,
or a word in two event classes is a ``VocabularyError`` that names the file and key.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from briefing.core.models import FactsVocabulary

__all__ = [
    "EventClass",
    "PhraseTable",
    "Vocabulary",
    "VocabularyError",
    "builtin_digest",
    "builtin_vocabulary",
    "vocabulary_for",
]

DATA_FILES = ("general.toml", "legal.toml")
FORMAT = 1

_SECTIONS_WITH_CLASSES = (
    "quantity_verbs",
    "modality",
    "scope",
    "period",
    "aspect",
    "basis",
    "when",
)
_FIXED_CLASSES = {
    "quantity_verbs": ("level", "rise", "fall"),
    "modality": ("maximum", "minimum", "potential", "forecast", "consensus", "actual"),
    "period": ("prior", "future"),
    "aspect": ("share", "change", "rate", "increment"),
}
"""Sections whose class names the engine itself reads; a misspelt one is an error."""
_NOUN_LISTS = (
    "generic", "containers", "per_units", "money_defaults", "weak_modifiers", "places",
    "money_plurals",
)  # fmt: skip
_GRAMMAR_LISTS = (
    "determiners",
    "prepositions",
    "auxiliaries",
    "adverbs",
    "conjunctions",
    "pronouns",
    "movers",
    "appraisals",
    "place_adjectives",
    "unit_adjectives",
)


class VocabularyError(ValueError):
    """A vocabulary file or table that cannot be used; ``str()`` says where."""


@dataclass(frozen=True, slots=True)
class EventClass:
    name: str
    label: str
    """The participle labels use: 'killed', 'filed'."""


class PhraseTable:
    """Phrases of lemmas, each with a value; found in a lemma sequence, longest first."""

    __slots__ = ("_by_first", "_longest", "_seconds", "starts")

    def __init__(self, entries: Iterable[tuple[str, str]] = ()) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._seconds: dict[str, frozenset[str] | None] = {}
        """First word -> the second words of its phrases, or None when a phrase of
        that one word exists (it always matches)."""
        self._longest = 1
        self.starts: frozenset[str] = frozenset()
        """The words phrases start with: a word outside it starts none."""
        for phrase, value in entries:
            self.add(phrase, value)

    def add(self, phrase: str, value: str) -> None:
        words = tuple(phrase.lower().split())
        if not words:
            return
        bucket = self._by_first.setdefault(words[0], [])
        bucket[:] = [entry for entry in bucket if entry[0] != words]
        bucket.append((words, value))
        bucket.sort(key=lambda entry: -len(entry[0]))
        self._seconds[words[0]] = (
            None
            if any(len(entry[0]) == 1 for entry in bucket)
            else frozenset(entry[0][1] for entry in bucket)
        )
        self._longest = max(self._longest, len(words))
        self.starts = self.starts | {words[0]}

    def __contains__(self, word: object) -> bool:
        return any(len(w) == 1 for w, _ in self._by_first.get(str(word), ()))

    def get(self, word: str) -> str | None:
        """The value of a one-word entry."""
        for words, value in self._by_first.get(word, ()):
            if len(words) == 1:
                return value
        return None

    def match(self, lemmas: Sequence[str], index: int) -> tuple[str, int] | None:
        """(value, number of words) of the longest phrase starting at ``lemmas[index]``."""
        first = lemmas[index]
        bucket = self._by_first.get(first)
        if bucket is None:
            return None
        count = len(lemmas)
        seconds = self._seconds[first]
        if seconds is not None and (index + 1 >= count or lemmas[index + 1] not in seconds):
            return None  # no one-word phrase, and no phrase goes on with the next word
        for words, value in bucket:
            size = len(words)
            if size == 1:
                return value, 1  # its one word is the bucket's: lemmas[index]
            end = index + size
            # the second word first: most phrases tried fail there, without a slice
            if (
                end <= count
                and lemmas[index + 1] == words[1]
                and (size == 2 or tuple(lemmas[index:end]) == words)
            ):
                return value, size
        return None

    def first_words(self) -> frozenset[str]:
        return frozenset(self._by_first)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    events: Mapping[str, EventClass]
    event_words: PhraseTable
    """Lemma or phrase (verb or noun) -> event class name."""
    event_nouns: PhraseTable
    """The nouns and adjectives alone: a measured noun names an event only if it is
    one of these ("41,000 deaths"), never because a verb is spelt like it ("files")."""
    quantity_verbs: PhraseTable
    """'rise', 'reach'... -> 'level', 'rise' or 'fall'."""
    reporting: frozenset[str]
    modality: PhraseTable
    scope: PhraseTable
    period: PhraseTable
    aspect: PhraseTable
    basis: PhraseTable
    """'year-over-year' -> 'year': what a change is measured against."""
    when: PhraseTable
    """'third-quarter' -> 'q3': which period a figure is of."""
    generic_nouns: frozenset[str]
    containers: frozenset[str]
    per_units: frozenset[str]
    money_defaults: frozenset[str]
    weak_modifiers: frozenset[str]
    places: frozenset[str]
    money_plurals: frozenset[str]
    """'damages': for money, the plural names the money, not its singular's event."""
    """'state', 'country': a count of the places an event reached takes no event."""
    grammar: Mapping[str, frozenset[str]]
    """Closed-class words by list: 'determiners', 'prepositions', 'auxiliaries'..."""
    contrast_families: Mapping[str, frozenset[str]]
    """Event class -> the names of the families of classes it excludes."""
    light_verbs: frozenset[str] = frozenset()
    """Verbs that only say the event a noun names happened ("an injunction was granted")."""
    money_events: Mapping[str, str] = field(default_factory=dict)
    """What an amount attached to an event is: a lawsuit's amount is what it seeks."""
    qualifier_starts: frozenset[str] = frozenset()
    """Every word a scope, modality, period, basis or period-of phrase starts with."""
    synonyms: Mapping[str, str] = field(default_factory=dict)
    """Head lemma -> the canonical lemma of its synonym set (the user's [facts])."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Lower-cased automatic label -> the user's label."""
    digest: str = ""
    """Changes whenever any word here changes (part of the engine's version)."""
    _qualifier_words: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)
    """Answers of ``is_qualifier_word`` so far (the tables never change once built)."""
    _event_classes: dict[tuple[str, bool], str] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Answers of ``event_class`` so far."""

    def event_class(self, lemma: str, *, noun: bool = False) -> str:
        """The event class of a one-word or phrase lemma, or ''; with ``noun``, only
        if it names the event as a noun ("death", "settlement")."""
        known = self._event_classes.get((lemma, noun))
        if known is None:
            known = self._event_classes[(lemma, noun)] = self._event_class(lemma, noun)
        return known

    def _event_class(self, lemma: str, noun: bool) -> str:
        if not lemma:
            return ""
        words = lemma.split()
        found = (self.event_nouns if noun else self.event_words).match(words, 0)
        if found is not None and found[1] == len(words):
            return found[0]
        return ""

    def is_qualifier_word(self, word: str) -> bool:
        """A one-word scope, modality, period, basis or period-of word ('worldwide',
        'year-over-year', 'third-quarter'): never the noun a figure measures."""
        known = self._qualifier_words.get(word)
        if known is None:
            known = self._qualifier_words[word] = any(
                table.get(word) is not None
                for table in (self.scope, self.modality, self.period, self.basis, self.when)
            )
        return known

    def canonical_head(self, lemma: str) -> str:
        return self.synonyms.get(lemma, lemma)

    def contrasting(self, first: str, second: str) -> bool:
        """Two different event classes of one contrast family ('killed', 'injured')."""
        if not first or not second or first == second:
            return False
        shared = self.contrast_families.get(first, frozenset()) & self.contrast_families.get(
            second, frozenset()
        )
        return bool(shared)


def _words(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
        raise VocabularyError(f"{where}: expected a list of words (strings)")
    return [" ".join(w.lower().split()) for w in value]


def _check_keys(table: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise VocabularyError(f"{where}: unknown key {unknown[0]!r}")


def _read_data_file(name: str) -> dict[str, Any]:
    source = resources.files("briefing.core.facts").joinpath("vocabulary", name)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise VocabularyError(f"vocabulary/{name}: {error}") from None
    if data.get("format") != FORMAT:
        raise VocabularyError(f"vocabulary/{name}: format must be {FORMAT}")
    return data


@cache
def _builtin_tables() -> tuple[tuple[str, dict[str, Any]], ...]:
    return tuple((name, _read_data_file(name)) for name in DATA_FILES)


@cache
def builtin_digest() -> str:
    """A digest of the vocabulary files as shipped."""
    digest = hashlib.blake2b(digest_size=12)
    for name in DATA_FILES:
        source = resources.files("briefing.core.facts").joinpath("vocabulary", name)
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _build(
    tables: Sequence[tuple[str, Mapping[str, Any]]], user: FactsVocabulary | None
) -> Vocabulary:
    events: dict[str, EventClass] = {}
    event_words = PhraseTable()
    event_nouns = PhraseTable()
    owner_of_word: dict[str, str] = {}
    sections: dict[str, PhraseTable] = {name: PhraseTable() for name in _SECTIONS_WITH_CLASSES}
    reporting: set[str] = set()
    nouns: dict[str, set[str]] = {name: set() for name in _NOUN_LISTS}
    grammar: dict[str, set[str]] = {name: set() for name in _GRAMMAR_LISTS}
    families: dict[str, set[str]] = {}
    money_events: dict[str, str] = {}
    light_verbs: set[str] = set()
    allowed_top = {
        "format", "events", "reporting", "nouns", "grammar", "contrasts", "money_events",
        "light_verbs",
        *_SECTIONS_WITH_CLASSES,
    }  # fmt: skip

    def add_event(name: str, label: str, verbs: list[str], nouns: list[str], where: str) -> None:
        events[name] = EventClass(name, label)
        for word in (*verbs, *nouns):
            other = owner_of_word.get(word)
            if other is not None and other != name:
                raise VocabularyError(f"{where}: {word!r} is already in event class {other!r}")
            owner_of_word[word] = name
            event_words.add(word, name)
        for word in nouns:
            event_nouns.add(word, name)

    for file_name, data in tables:
        where = f"vocabulary/{file_name}"
        _check_keys(data, allowed_top, where)
        for name, spec in data.get("events", {}).items():
            here = f"{where}: events.{name}"
            if not isinstance(spec, dict):
                raise VocabularyError(f"{here}: expected a table")
            _check_keys(spec, ("label", "verbs", "nouns"), here)
            label = spec.get("label")
            if not isinstance(label, str) or not label.strip():
                raise VocabularyError(f"{here}.label: expected a string")
            add_event(
                name,
                label.strip(),
                _words(spec.get("verbs", []), f"{here}.verbs"),
                _words(spec.get("nouns", []), f"{here}.nouns"),
                here,
            )
        for section in _SECTIONS_WITH_CLASSES:
            table = data.get(section, {})
            if not isinstance(table, dict):
                raise VocabularyError(f"{where}: {section}: expected a table")
            if section in _FIXED_CLASSES:
                _check_keys(table, _FIXED_CLASSES[section], f"{where}: {section}")
            for value, words in table.items():
                for word in _words(words, f"{where}: {section}.{value}"):
                    sections[section].add(word, value)
        reporting_table = data.get("reporting", {})
        _check_keys(reporting_table, ("verbs",), f"{where}: reporting")
        if "verbs" in reporting_table:
            reporting.update(_words(reporting_table["verbs"], f"{where}: reporting.verbs"))
        noun_table = data.get("nouns", {})
        _check_keys(noun_table, _NOUN_LISTS, f"{where}: nouns")
        for name in _NOUN_LISTS:
            if name in noun_table:
                nouns[name].update(_words(noun_table[name], f"{where}: nouns.{name}"))
        light_table = data.get("light_verbs", {})
        _check_keys(light_table, ("verbs",), f"{where}: light_verbs")
        if "verbs" in light_table:
            light_verbs.update(_words(light_table["verbs"], f"{where}: light_verbs.verbs"))
        for event, meaning in data.get("money_events", {}).items():
            if not isinstance(meaning, str):
                raise VocabularyError(f"{where}: money_events.{event}: expected a class name")
            money_events[event] = meaning
        for family, classes in data.get("contrasts", {}).items():
            for name in _words(classes, f"{where}: contrasts.{family}"):
                families.setdefault(name.replace(" ", "_"), set()).add(family)
        grammar_table = data.get("grammar", {})
        _check_keys(grammar_table, _GRAMMAR_LISTS, f"{where}: grammar")
        for name in _GRAMMAR_LISTS:
            if name in grammar_table:
                grammar[name].update(_words(grammar_table[name], f"{where}: grammar.{name}"))

    synonyms: dict[str, str] = {}
    labels: dict[str, str] = {}
    digest = hashlib.blake2b(digest_size=12)
    digest.update(builtin_digest().encode())
    if user is not None:
        from briefing.core import lexicon

        for label, words in user.events:
            name = "user:" + label
            lemmas = [" ".join(lexicon.lemma(w) for w in word.split()) for word in words]
            for word in lemmas:
                owner_of_word.pop(word, None)  # the user's word wins over a built-in class
            add_event(name, label, lemmas, lemmas, "[facts] events")
        for group in user.synonyms:
            heads = [lexicon.lemma(phrase.split()[-1]) for phrase in group if phrase.split()]
            if heads:
                canonical = heads[0]
                for head in heads:
                    synonyms[head] = canonical
        labels = {automatic.lower(): own for automatic, own in user.labels}
        digest.update(repr((user.events, user.synonyms, user.labels)).encode())
    return Vocabulary(
        events=events,
        event_words=event_words,
        event_nouns=event_nouns,
        quantity_verbs=sections["quantity_verbs"],
        reporting=frozenset(reporting),
        modality=sections["modality"],
        scope=sections["scope"],
        period=sections["period"],
        aspect=sections["aspect"],
        basis=sections["basis"],
        when=sections["when"],
        generic_nouns=frozenset(nouns["generic"]),
        containers=frozenset(nouns["containers"]),
        per_units=frozenset(nouns["per_units"]),
        money_defaults=frozenset(nouns["money_defaults"]),
        weak_modifiers=frozenset(nouns["weak_modifiers"]),
        places=frozenset(nouns["places"]),
        money_plurals=frozenset(nouns["money_plurals"]),
        grammar={name: frozenset(words) for name, words in grammar.items()},
        contrast_families={name: frozenset(found) for name, found in families.items()},
        money_events=money_events,
        light_verbs=frozenset(light_verbs),
        qualifier_starts=frozenset().union(
            *(
                sections[name].first_words()
                for name in ("scope", "modality", "period", "basis", "when")
            )
        ),
        synonyms=synonyms,
        labels=labels,
        digest=digest.hexdigest(),
    )


@cache
def builtin_vocabulary() -> Vocabulary:
    """The shipped vocabulary alone (what extraction reads)."""
    return _build(_builtin_tables(), None)


@cache
def vocabulary_for(user: FactsVocabulary | None) -> Vocabulary:
    """The shipped vocabulary with the user's ``[facts]`` table on top (what merging reads)."""
    if user is None or user.is_empty:
        return builtin_vocabulary()
    return _build(_builtin_tables(), user)
