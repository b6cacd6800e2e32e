"""The topic filter: whole words, any case, and Unicode folded the way headlines need."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefing.core.models import Topic
from briefing.core.topic import TopicFilter, fold

FILTER = TopicFilter(
    Topic(name="case", keywords=("Anna's Archive", "shadow library"), exclude=("crossword",))
)


@pytest.mark.parametrize(
    "title",
    [
        "Anna's Archive sued",
        "Anna’s Archive sued",  # curly apostrophe
        "“Anna’s Archive” sued",  # curly quotes around it
        "Annas Archive sued",  # apostrophe left out
        "ANNA'S ARCHIVE SUED",
        "Ánna’s Archivé sued",  # accents
        "Anna’s\u00a0Archive sued",  # no-break space
        "labels take on the shadow-library",  # hyphen for space
        "The Shadow Library fights back",
        # possessives: once apostrophes fold away, "Archive's" is "Archives"
        "Anna's Archive's operators unknown",
        "Anna’s Archive’s lawyers respond",
        "Court orders Anna's Archive’s domains seized",
    ],
)
def test_variants_of_the_keyword_match(title: str) -> None:
    assert FILTER.match(title, "", "").on_topic


@pytest.mark.parametrize(
    "title",
    [
        "Anna's Archivist sued",  # not the whole word
        "Annas Archivesque design",
        "Hanna's Archive reopens",
        "shadow libraries",  # a different word unless listed
        "Spotify raises prices",
    ],
)
def test_near_misses_do_not_match(title: str) -> None:
    assert not FILTER.match(title, "", "").on_topic


def test_body_text_and_html_count_and_exclude_hides() -> None:
    assert FILTER.match("Music news", "<p>The <b>Anna&#8217;s Archive</b> case</p>", "").on_topic
    excluded = FILTER.match("Anna's Archive crossword", "", "")
    assert not excluded.on_topic and excluded.excluded


def test_keywords_inside_scripts_do_not_count() -> None:
    assert not FILTER.match("News", '<script>var s = "Anna\'s Archive";</script>', "").on_topic


def test_relevance_ranks_title_hits_above_body_hits() -> None:
    title_hit = FILTER.match("Anna's Archive sued", "", "")
    body_hit = FILTER.match("Music news", "Anna's Archive was named.", "")
    both = FILTER.match("Anna's Archive sued", "Anna's Archive and the shadow library", "")
    assert 0 < body_hit.relevance < title_hit.relevance < both.relevance <= 1.0


def test_fold_is_idempotent() -> None:
    text = "“Anna’s Archive” — Ánna"
    assert fold(fold(text)) == fold(text)


@given(
    st.lists(
        st.sampled_from(
            [
                "Anna's",
                "Anna’s",
                "Annas",
                "Archive",
                "Archive's",
                "archives",
                "shadow",
                "library",
                "shadow-library",
                "crossword",
                "the",
                "“",
                "”",
                "-",
                "Ánna",
                "news",
                "\u00a0",
            ]
        ),
        max_size=12,
    )
)
def test_the_substring_prefilter_never_changes_a_match(words: list[str]) -> None:
    text = " ".join(words)
    keywords = FILTER._keywords
    assert keywords is not None
    expected = sum(1 for _ in keywords.finditer(fold(text)))
    assert FILTER._hits(keywords, FILTER._keyword_words, text) == expected
