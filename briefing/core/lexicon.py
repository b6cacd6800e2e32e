"""English word forms: the lemma of a word and the parts of speech it can be.

This is the only module that imports lemminflect. Its lexicon (about 300 KB, MIT
licence) ships inside the package, so it works offline; it loads once per process
on first use (about 0.1 s) and a lookup then costs a dict access, since every answer
is remembered. The key-facts engine uses it to tell "cancelled" (a verb: the event)
from "flights" (a noun: what was counted) and to bring both to their base forms.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["can_be", "lemma", "lemmas", "parts_of_speech"]

NOUN = "NOUN"
VERB = "VERB"
ADJ = "ADJ"
ADV = "ADV"

_lock = threading.Lock()
_module: Any = None
_parts: dict[str, dict[str, tuple[str, ...]]] = {}


def _library() -> Any:
    global _module
    if _module is None:
        with _lock:
            if _module is None:
                import lemminflect

                _module = lemminflect
    return _module


def parts_of_speech(word: str) -> dict[str, tuple[str, ...]]:
    """{part of speech: lemmas} for a lower-case word; {} for one the lexicon lacks."""
    found = _parts.get(word)
    if found is None:
        try:
            found = dict(_library().getAllLemmas(word))
        except Exception:  # a word the library chokes on is simply unknown
            found = {}
        found.pop("AUX", None)
        if not found and "-" in word.strip("-"):
            # "data-center", "record-breaking": a compound is what its last part is
            # (a participle at the end makes it an adjective)
            last = word.rstrip("-").rsplit("-", 1)[-1]
            inner = parts_of_speech(last)
            if last.endswith(("ing", "ed")) and VERB in inner:
                found = {ADJ: (word,)}
            elif NOUN in inner:
                found = {NOUN: (word[: len(word) - len(last)] + inner[NOUN][0],)}
            elif inner:
                found = {ADJ: (word,)}
        _parts[word] = found
    return found


def can_be(word: str, part: str) -> bool:
    return part in parts_of_speech(word)


_all_lemmas: dict[str, tuple[str, ...]] = {}


def lemmas(word: str) -> tuple[str, ...]:
    """Every lemma of a lower-case word, verbs first; the word itself when unknown."""
    found_lemmas = _all_lemmas.get(word)
    if found_lemmas is None:
        found_lemmas = _all_lemmas[word] = _lemmas(word)
    return found_lemmas


def _lemmas(word: str) -> tuple[str, ...]:
    found = parts_of_speech(word)
    if not found:
        return (word,)
    ordered: list[str] = []
    for part in (VERB, NOUN, ADJ, ADV):
        for item in found.get(part, ()):
            item = item.lower()
            if item not in ordered:
                ordered.append(item)
    return tuple(ordered) or (word,)


_lemmas_by_part: dict[tuple[str, str | None], str] = {}


def lemma(word: str, part: str | None = None) -> str:
    """The base form of a lower-case word, as ``part`` if given: 'devices' -> 'device'."""
    key = (word, part)
    found_lemma = _lemmas_by_part.get(key)
    if found_lemma is None:
        found_lemma = _lemmas_by_part[key] = _lemma(word.lower(), part)
    return found_lemma


def _lemma(word: str, part: str | None) -> str:
    found = parts_of_speech(word)
    if part is not None and part in found:
        return found[part][0].lower()
    for preferred in (NOUN, VERB, ADJ, ADV):
        if preferred in found:
            return found[preferred][0].lower()
    return _guess_lemma(word)


def _guess_lemma(word: str) -> str:
    """A plural's singular for words the lexicon lacks ('metadatas', 'ISRCs')."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
