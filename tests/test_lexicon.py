"""briefing.core.lexicon reads lemminflect's lemma table itself: its answers must be
the library's, for every word of the table."""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path

import lemminflect
import pytest

from briefing.core import lexicon


def table_words() -> list[str]:
    folder = lexicon._resources()
    assert folder is not None
    table = zlib.decompress((folder / "lemma_lu.csv.gz").read_bytes(), 31).decode()
    words = {line.split(",", 1)[0] for line in table.splitlines() if line}
    overrides = (folder / "lemma_overrides.csv").read_text().splitlines()
    words |= {line.split(",", 1)[0] for line in overrides if line and not line.startswith("#")}
    return sorted(words | {word.lower() for word in words})


def test_every_word_of_the_table_gets_lemminflects_answer() -> None:
    table = lexicon.LemmaTable.from_package()
    assert table is not None
    words = table_words()
    assert len(words) > 70_000
    odd = ["", "zzzzq", "-", "'", "a,b", "a\nb", "~", "Zürich", "zürich", "DEVICES", "Flights"]
    # items, in order: the same parts of speech, lemmas, and order of both
    mismatched = [
        word
        for word in [*words, *odd, *(w.upper() for w in words[::50])]
        if list(table.all_lemmas(word).items()) != list(lemminflect.getAllLemmas(word).items())
    ]
    assert mismatched == []


def test_answers_through_the_module() -> None:
    assert lexicon.lemma("devices") == "device"
    assert lexicon.can_be("cancelled", lexicon.VERB)
    assert lexicon.lemmas("flights")[0] == "flight"
    assert lexicon.parts_of_speech("data-center") == {lexicon.NOUN: ("data-center",)}


def test_reading_facts_does_not_import_lemminflect() -> None:
    code = (
        "import sys\n"
        "from briefing.core import lexicon\n"
        "assert lexicon.lemma('devices') == 'device'\n"
        "print('lemminflect' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_library_answers_when_its_table_cannot_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lexicon, "_resources", lambda: tmp_path)  # no files there
    assert lexicon.LemmaTable.from_package() is None
    monkeypatch.setattr(lexicon, "_lookup", None)
    assert lexicon._lemma_lookup()("devices") == {"NOUN": ("device",)}
