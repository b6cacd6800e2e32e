"""English word forms: the lemma of a word and the parts of speech it can be.

This is the only module that touches lemminflect. Its lexicon (about 300 KB, MIT
licence) ships inside the package, so it works offline. The answers are those of
``lemminflect.getAllLemmas``, but read straight from the package's own lemma table
(``resources/lemma_lu.csv.gz`` and ``lemma_overrides.csv``): importing lemminflect
(it imports numpy for its inflection models) and loading its table into nested
dicts cost about 0.2-0.4 s and 48 MB in every process that reads facts, the
extraction workers included; the table kept as one string, searched by bisection
(it is sorted), loads in about 10 ms and takes about 2 MB; a word is found in
about 2 µs. A test checks that every
word of the table gives ``getAllLemmas``'s answer. Where the table cannot be read
(an install without its data files), the library itself answers.

Every answer is remembered, so a lookup is a dict access after the first. The
key-facts engine uses this to tell "cancelled" (a verb: the event) from "flights"
(a noun: what was counted) and to bring both to their base forms.
"""

from __future__ import annotations

import threading
import zlib
from bisect import bisect_left
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path

__all__ = ["can_be", "lemma", "lemmas", "parts_of_speech"]

NOUN = "NOUN"
VERB = "VERB"
ADJ = "ADJ"
ADV = "ADV"

_lock = threading.Lock()
_lookup: Callable[[str], dict[str, tuple[str, ...]]] | None = None
_parts: dict[str, dict[str, tuple[str, ...]]] = {}


def _resources() -> Path | None:
    """lemminflect's resources folder, found without importing the package."""
    spec = find_spec("lemminflect")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "resources"


_STRIDE = 2048


class LemmaTable:
    """lemminflect's lemma look-up table: ``word,category,lemma/lemma...`` lines,
    sorted by word, searched where they lie in one string."""

    def __init__(self, table: str, overrides: str) -> None:
        text = self._text = "\n" + table.strip("\n") + "\n"
        # A newline every ~2 KB and the word of the line after it: bisecting these
        # finds the stretch of the text to search for a word.
        marks: list[int] = []
        at = text.find("\n", _STRIDE)
        while 0 <= at < len(text) - 1:
            marks.append(at)
            at = text.find("\n", at + _STRIDE)
        self._marks = marks
        self._keys = [text[at + 1 : text.find(",", at + 1)] for at in marks]
        self._overrides: dict[str, dict[str, tuple[str, ...]]] = {}
        for line in overrides.splitlines():
            line = line.strip()
            if not line or line[0] == "#":
                continue
            word, part, form = line.split(",")
            self._overrides.setdefault(word, {})[part] = (form,)

    @classmethod
    def from_package(cls) -> LemmaTable | None:
        folder = _resources()
        if folder is None:
            return None
        try:
            table = zlib.decompress((folder / "lemma_lu.csv.gz").read_bytes(), 31).decode()
            overrides = (folder / "lemma_overrides.csv").read_text()
        except (OSError, zlib.error, UnicodeDecodeError):
            return None
        return cls(table, overrides)

    def _first_line(self, word: str) -> int:
        """Index of the newline before the first line of ``word``, or -1 if it has none."""
        text, marks, keys = self._text, self._marks, self._keys
        # marks[i - 1]'s word < word <= marks[i]'s: the word's first line is between
        chunk = bisect_left(keys, word)
        begin = marks[chunk - 1] if chunk else 0
        needle = "\n" + word + ","
        end = marks[chunk] + len(needle) if chunk < len(marks) else len(text)
        return text.find(needle, begin, end)

    def all_lemmas(self, word: str) -> dict[str, tuple[str, ...]]:
        """``lemminflect.getAllLemmas(word)``: {part of speech: lemmas}."""
        style = _caps_style(word)
        word = word.lower()
        found: dict[str, tuple[str, ...]] = {}
        if "\n" not in word and "," not in word:  # no line's word holds these
            text = self._text
            at = self._first_line(word)
            prefix = word + ","
            while at >= 0 and text.startswith(prefix, at + 1):
                end = text.find("\n", at + 1)
                _word, category, forms = text[at + 1 : end].split(",")
                part = category.upper()
                found[part if part != "MODAL" else "AUX"] = tuple(forms.split("/"))
                at = end
        found.update(self._overrides.get(word, {}))
        return {part: tuple(_with_caps(f, style) for f in forms) for part, forms in found.items()}


def _caps_style(word: str) -> str:
    if word.isupper():
        return "all_upper"
    if word and word[0].isupper():
        return "first_upper"
    return "lower"


def _with_caps(word: str, style: str) -> str:
    if style == "all_upper":
        return word.upper()
    if style == "first_upper":
        return word.capitalize()
    return word.lower()


def _library_lemmas(word: str) -> dict[str, tuple[str, ...]]:
    import lemminflect

    return dict(lemminflect.getAllLemmas(word))


def _lemma_lookup() -> Callable[[str], dict[str, tuple[str, ...]]]:
    global _lookup
    if _lookup is None:
        with _lock:
            if _lookup is None:
                table = LemmaTable.from_package()
                _lookup = table.all_lemmas if table is not None else _library_lemmas
    return _lookup


def parts_of_speech(word: str) -> dict[str, tuple[str, ...]]:
    """{part of speech: lemmas} for a lower-case word; {} for one the lexicon lacks."""
    found = _parts.get(word)
    if found is None:
        try:
            found = _lemma_lookup()(word)
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


_lemmas_by_part: dict[str | None, dict[str, str]] = {}


def lemma(word: str, part: str | None = None) -> str:
    """The base form of a lower-case word, as ``part`` if given: 'devices' -> 'device'."""
    known = _lemmas_by_part.get(part)
    if known is None:
        known = _lemmas_by_part.setdefault(part, {})
    found_lemma = known.get(word)
    if found_lemma is None:
        found_lemma = known[word] = _lemma(word.lower(), part)
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
