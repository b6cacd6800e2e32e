"""The engine's words are data: the shipped files load and are checked, and the
[facts] table of feeds.toml adds a story's own words, validated like the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.core.config import ConfigError, load_config
from briefing.core.facts import vocabulary as vocabulary_module
from briefing.core.facts.vocabulary import (
    VocabularyError,
    builtin_vocabulary,
    vocabulary_for,
)
from briefing.core.models import FactsVocabulary


def test_the_shipped_vocabulary_loads_with_general_and_legal_events() -> None:
    words = builtin_vocabulary()
    assert words.event_class("death toll") == "killed"
    assert words.event_class("lawsuit", noun=True) == "filed"
    assert words.event_class("file") == "filed" and words.event_class("file", noun=True) == ""
    assert words.contrasting("killed", "injured")
    assert not words.contrasting("paid", "settled")
    assert words.scope.match(["around", "the", "world"], 0) == ("world", 3)


def _build(tables: list[tuple[str, dict[str, object]]]) -> None:
    vocabulary_module._build(tables, None)


def test_a_bad_vocabulary_file_is_refused_with_where() -> None:
    with pytest.raises(VocabularyError, match=r"vocabulary/x\.toml: unknown key 'evnts'"):
        _build([("x.toml", {"format": 1, "evnts": {}})])
    with pytest.raises(VocabularyError, match=r"events\.a\.verbs: expected a list of words"):
        _build([("x.toml", {"format": 1, "events": {"a": {"label": "a", "verbs": "kill"}}})])
    twice = {"a": {"label": "a", "verbs": ["kill"]}, "b": {"label": "b", "verbs": ["kill"]}}
    with pytest.raises(VocabularyError, match=r"'kill' is already in event class 'a'"):
        _build([("x.toml", {"format": 1, "events": twice})])
    with pytest.raises(VocabularyError, match=r"modality: unknown key 'maximun'"):
        _build([("x.toml", {"format": 1, "modality": {"maximun": ["cap"]}})])


def test_the_users_words_extend_the_shipped_ones() -> None:
    words = vocabulary_for(
        FactsVocabulary(
            synonyms=(("songs", "tracks", "music files"),),
            events=(("scraped", ("rip", "grab")),),
            labels=(("Music files", "Songs taken"),),
        )
    )
    assert words.canonical_head("track") == words.canonical_head("file") == "song"
    assert words.event_class("rip").startswith("user:")
    assert words.labels == {"music files": "Songs taken"}
    assert words.digest != builtin_vocabulary().digest


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text('[topic]\nname = "T"\nkeywords = ["x"]\n' + text)
    return path


def test_a_facts_table_in_feeds_toml(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            '[facts]\nsynonyms = [["songs", "tracks"]]\n'
            '[facts.events]\nscraped = ["rip"]\n[facts.labels]\n"Songs" = "Songs ripped"\n',
        )
    )
    assert config.facts.synonyms == (("songs", "tracks"),)
    assert config.facts.events == (("scraped", ("rip",)),)
    assert config.facts.labels == (("Songs", "Songs ripped"),)
    assert load_config(write(tmp_path, "")).facts.is_empty


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[facts]\nsynonym = []\n", r"unknown key \[facts\] 'synonym'"),
        ("[facts]\nsynonyms = ['songs']\n", r"\[facts\] synonyms must be a list of lists"),
        ("[facts]\nsynonyms = [['songs']]\n", r"synonyms group 1 needs two words"),
        ("[facts]\nevents = ['rip']\n", r"\[facts\] events must be a table"),
        (
            "[facts]\nevents = { a = ['rip'], b = ['Rip'] }\n",
            r"\[facts\] events: 'rip' is in both 'a' and 'b'",
        ),
        ("[facts.labels]\nSongs = 3\n", r"labels.'Songs' must be a string"),
        ('[facts]\nsynonyms = [["a\\u001b[31m", "b"]]\n', r"control characters"),
    ],
)
def test_a_bad_facts_table_is_a_located_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        load_config(write(tmp_path, text))
    assert str(tmp_path / "feeds.toml") in str(raised.value)
