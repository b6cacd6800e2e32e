"""Facts: subjects, merging across sources, statuses, ranking, provenance, timeline, cache."""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

import pytest
from _facts_helpers import (
    MemoryFactCache,
    all_stories,
    load_corpus,
    load_sample_articles,
    score_facts,
    score_figures,
)

from briefing.core import facts as facts_module
from briefing.core.facts import (
    EXTRACTOR_VERSION,
    Fact,
    build_briefing,
    build_timeline,
    extract_facts,
    fact_articles,
    fact_cache_key,
    fact_from_dict,
    fact_to_dict,
    facts_from_cache_entry,
    facts_to_cache_entry,
    forget_remembered_facts,
    merge_facts,
    timeline_disputes,
)
from briefing.core.models import Article, FigureKind, KeyFact
from briefing.core.textclean import article_plain_text

NOW = dt.datetime(2026, 2, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_process_memory() -> None:
    """Each test starts as a new process would: nothing remembered in memory."""
    forget_remembered_facts()


def article(
    article_id: str,
    source: str,
    title: str,
    *paragraphs: str,
    published: str = "2026-01-20T12:00:00+00:00",
    on_topic: bool = True,
) -> Article:
    return Article(
        id=article_id,
        source=source,
        title=title,
        link=f"https://example.org/{article_id}",
        author="",
        published=published,
        summary="",
        content="".join(f"<p>{html.escape(p)}</p>" for p in paragraphs),
        first_seen=published,
        on_topic=on_topic,
    )


def merged(*articles: Article) -> list[KeyFact]:
    return merge_facts(f for a in articles for f in extract_facts(a))


def by_label(key_facts: list[KeyFact]) -> dict[str, KeyFact]:
    return {k.label: k for k in key_facts}


def values(key_fact: KeyFact) -> list[float | str]:
    return [v.value for v in key_fact.values]


# --------------------------------------------------------------------------- subjects


def test_subjects_from_the_words_around_each_figure() -> None:
    facts = extract_facts(
        article(
            "a",
            "Wire",
            "Labels sue shadow library",
            "The site scraped 86 million music files and 256 million rows of metadata, "
            "about 300 TB in all.",
            "The complaint, filed on Dec. 29 and unsealed on Jan. 16, seeks $13 trillion "
            "in damages, or up to $150,000 per work.",
            "The files cover 99.6% of listens.",
        )
    )
    assert [(f.figure.text, f.label) for f in facts] == [
        ("86 million music files", "Music files scraped"),
        ("256 million rows of metadata", "Metadata rows scraped"),
        ("300 TB", "Data scraped (size)"),
        ("Dec. 29", "Lawsuit filed"),
        ("Jan. 16", "Complaint unsealed"),
        ("$13 trillion", "Damages sought"),
        ("$150,000", "Statutory damages per work"),
        ("99.6%", "Share of listens covered"),
    ]


def test_money_subject_tells_sought_from_awarded_and_negated_awards() -> None:
    facts = extract_facts(
        article(
            "a",
            "Wire",
            "Judge rules",
            "A jury awarded $5 million, far below the $20 million the labels had sought.",
            "A request is not an award: the $13 trillion is what the labels asked for.",
        )
    )
    assert [(f.figure.text, f.label) for f in facts] == [
        ("$5 million", "Damages awarded"),
        ("$20 million", "Damages sought"),
        ("$13 trillion", "Damages sought"),
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        # the verb comes before its object, not next to the amount
        "A jury awarded the labels $10 million in damages.",
        "The judge awarded the plaintiffs statutory damages of $10 million.",
        # "damages award": the head noun is "award"
        "A $10 million damages award was handed down.",
        "The $10 million damages award stands.",
    ],
)
def test_an_award_is_an_award_even_with_damages_nearby(sentence: str) -> None:
    (fact,) = extract_facts(article("a", "Wire", "Ruling", sentence))
    assert (fact.figure.text, fact.label) == ("$10 million", "Damages awarded")


def test_a_damages_award_stays_apart_from_the_damages_sought() -> None:
    key_facts = merged(
        article("a", "One", "Ruling", "A jury awarded the labels $10 million in damages."),
        article("b", "Two", "Ruling", "A $10 million damages award was handed down."),
        article("c", "Three", "Suit", "The labels seek $13 trillion in damages."),
        article("d", "Four", "Suit", "The labels want $10 million in damages from the uploader."),
    )
    labels = by_label(key_facts)
    awarded = labels["Damages awarded"]
    assert (awarded.status, values(awarded), awarded.sources) == ("agreed", [10e6], ("One", "Two"))
    sought = labels["Damages sought"]
    assert sought.status == "differs" and sorted(values(sought)) == [10e6, 13e12]
    assert sought.sources == ("Three", "Four")


def test_datelines_are_not_events() -> None:
    facts = extract_facts(
        article("a", "Wire", "Labels sue", "NEW YORK, Jan. 16 (Wire) – The labels filed suit.")
    )
    assert facts == []


def test_facts_without_a_subject_are_dropped_but_remain_figures() -> None:
    body = "Two people familiar with the case spoke on Jan. 3."
    assert extract_facts(article("a", "Wire", "Quiet week", body)) == []


def labelled(
    *paragraphs: str, title: str = "Update", published: str = "2025-06-10"
) -> list[tuple[str, str]]:
    stamp = f"{published}T08:00:00+00:00"
    facts = extract_facts(article("a", "Wire", title, *paragraphs, published=stamp))
    return [(f.figure.text, f.label) for f in facts]


@pytest.mark.parametrize(
    ("sentence", "label"),
    [
        ("The outage began on June 3 and lasted most of the day.", "Outage began"),
        ("The disruption, which started on June 3, hit payments.", "Outage began"),
        ("Its servers went dark on June 3 after a power failure.", "Outage began"),
        ("A bad config push on June 3 wiped the routing tables.", "Outage began"),
        ("The intrusion started on June 3, the firm said.", "Breach occurred"),
        ("Service was back online on June 4, the company said.", "Service restored"),
        ("The company expects to restore every account by June 30.", "Restoration target"),
        ("By June 8 engineers had recovered most of the lost files.", "Data recovered"),
    ],
)
def test_when_an_outage_began_and_ended_from_generic_event_words(sentence: str, label: str) -> None:
    """In an article about an outage, 'began', 'went dark' and 'restored' date it."""
    assert labelled(sentence, "Engineers blamed a routing fault for the outage.") == [
        ("June " + sentence.split("June ", 1)[1].split()[0].rstrip(",."), label)
    ]


def test_generic_event_words_say_nothing_without_their_subject() -> None:
    # No outage, breach, data or deal in sight: "began", "restored", "closed" tell when,
    # not what, so there is no fact rather than a guess.
    assert labelled("The tour began on June 3 in Leeds.") == []
    assert labelled("The museum restored the organ on June 3.") == []
    assert labelled("The shop closed on June 3.") == []
    # A site going dark, in an article about no outage, is still a takedown.
    assert labelled("The site went dark on June 3 after the seizure.") == [
        ("June 3", "Site taken down")
    ]


@pytest.mark.parametrize(
    ("sentence", "label"),
    [
        ("The hearing ended on Jan. 16, 2025, without a ruling on the 86 million files.", "Hearing"),
        ("OCLC's lawsuit began on Jan. 16, 2025, after the scraping attacks on WorldCat.",
         "Lawsuit filed"),
        ("The trial started on March 3, 2025, a week after hackers attacked the servers.",
         "Hearing"),
    ],
)  # fmt: skip
def test_a_court_event_before_a_generic_verb_keeps_its_own_label(sentence: str, label: str) -> None:
    """'began', 'ended', 'started' after a hearing or a lawsuit date that, not an outage,
    a breach or a recovery, even in an article about an outage."""
    found = dict(
        (text, got)
        for text, got in labelled(sentence, "Engineers blamed a routing fault for the outage.")
    )
    date = next(text for text in found if "2025" in text)
    assert found[date] == label


def test_a_deal_closes_on_its_own_date() -> None:
    assert labelled("The acquisition was completed on June 3, a month early.") == [
        ("June 3", "Deal closed")
    ]
    assert labelled("Both firms said the merger closed on June 3.") == [("June 3", "Deal closed")]


def test_data_recovered_stays_apart_from_data_lost_however_close() -> None:
    key_facts = merged(
        article("a", "One", "Crash", "A faulty disk array erased 3.2 PB of customer backups."),
        article("b", "Two", "Crash", "The crash destroyed about 3.2 petabytes of data."),
        article("c", "One", "Recovery", "Engineers have since recovered 2.9 PB, or 90% of it."),
    )
    labels = by_label(key_facts)
    assert (labels["Data (size)"].status, values(labels["Data (size)"])) == ("agreed", [3.2e15])
    recovered = labels["Data recovered (size)"]
    assert (recovered.status, values(recovered)) == ("single", [2.9e15])
    assert values(labels["Share of data recovered"]) == [90.0]


def test_clients_and_customers_are_one_share_but_users_are_not() -> None:
    key_facts = merged(
        article("a", "One", "Outage", "The outage hit 30% of its clients."),
        article("b", "Two", "Outage", "About 30 percent of customers lost access."),
        article("c", "Three", "Outage", "Some 30% of users saw errors."),
    )
    labels = by_label(key_facts)
    assert labels["Share of customers"].sources == ("One", "Two")
    assert labels["Share of customers"].status == "agreed"
    assert labels["Share of users"].sources == ("Three",)


def test_refunds_and_compensation_are_not_damages_even_in_a_lawsuit() -> None:
    facts = labelled(
        "Customers have filed a lawsuit over the outage.",
        "Refunds will total $4 million, and the firm set aside $9 million for compensation.",
        "The lawsuit seeks $50 million in damages.",
    )
    assert facts == [
        ("$4 million", "Refunds"),
        ("$9 million", "Compensation"),
        ("$50 million", "Damages sought"),
    ]


# --------------------------------------------------------------------------- statuses


def test_agreed_when_every_source_gives_the_same_value_once_normalised() -> None:
    key_facts = merged(
        article("a", "One", "Suit", "The site scraped 86 million music files."),
        article("b", "Two", "Suit", "It copied about eighty-six million audio files."),
        article("c", "Three", "Suit", "It scraped 86,000,000 tracks."),
    )
    fact = by_label(key_facts)["Music files scraped"]
    assert fact.status == "agreed"
    assert values(fact) == [86e6]
    assert fact.sources == ("One", "Two", "Three")
    assert "about" in fact.note  # hedges are explained, not lost


def test_differs_with_rounding_explained() -> None:
    key_facts = merged(
        article("a", "One", "Suit", "The labels seek $13 trillion in damages."),
        article("b", "Two", "Suit", "The labels seek $12.9 trillion in damages."),
        article("c", "Three", "Suit", "Damages sought: $13 trillion."),
    )
    fact = by_label(key_facts)["Damages sought"]
    assert fact.status == "differs"
    assert [(v.text, v.sources) for v in fact.values] == [
        ("$13 trillion", ("One", "Three")),
        ("$12.9 trillion", ("Two",)),
    ]
    assert "agree to within rounding" in fact.note
    assert "$12.9 trillion rounds to $13 trillion" in fact.note


def test_really_different_values_are_a_plain_differs() -> None:
    key_facts = merged(
        article("a", "One", "Suit", "The suit was filed on Dec. 29."),
        article("b", "Two", "Suit", "The suit was filed on December 22."),
        article("c", "Three", "Suit", "They filed the lawsuit on January 2, 2026."),
        article("d", "Four", "Suit", "The site scraped 86 million music files."),
        article("e", "Five", "Suit", "The site scraped 8.6 million music files."),
    )
    filed = by_label(key_facts)["Lawsuit filed"]
    assert filed.status == "differs"
    assert sorted(str(v) for v in values(filed)) == ["2025-12-22", "2025-12-29", "2026-01-02"]
    assert filed.note == ""
    files = by_label(key_facts)["Music files scraped"]
    assert files.status == "differs"
    assert files.note == ""  # an order of magnitude is not rounding


@pytest.mark.parametrize(
    ("one", "two"),
    [
        ("$10 million", "$14 million"),
        ("$100,000", "$140,000"),
        ("$20 million", "$19 million"),
    ],
)
def test_a_trailing_zero_is_not_a_rounding_step(one: str, two: str) -> None:
    key_facts = merged(
        article("a", "One", "Suit", f"The labels seek {one} in damages."),
        article("b", "Two", "Suit", f"The labels seek {two} in damages."),
    )
    fact = by_label(key_facts)["Damages sought"]
    assert fact.status == "differs"
    assert "rounding" not in fact.note and "rounds" not in fact.note


def test_counts_and_shares_that_really_differ_are_not_called_rounding() -> None:
    key_facts = merged(
        article(
            "a",
            "One",
            "Suit",
            "The site scraped 86 million music files.",
            "It holds 37% of all songs.",
        ),
        article(
            "b",
            "Two",
            "Suit",
            "The site scraped 90 million music files.",
            "It holds 40% of all songs.",
        ),
    )
    labels = by_label(key_facts)
    for label in ("Music files scraped", "Share of songs"):
        assert labels[label].status == "differs"
        assert labels[label].note == ""


@pytest.mark.parametrize(
    ("one", "two", "rounds"),
    [
        ("$13 trillion", "$12.9 trillion", "$12.9 trillion rounds to $13 trillion"),
        ("$150,000 per work", "$151,000 per work", "$151,000 rounds to $150,000"),
        ("$2 billion", "$2.04 billion", "$2.04 billion rounds to $2 billion"),
    ],
)
def test_rounding_is_still_explained(one: str, two: str, rounds: str) -> None:
    key_facts = merged(
        article("a", "One", "Suit", f"The labels seek {one} in damages."),
        article("b", "Two", "Suit", f"The labels seek {two} in damages."),
    )
    fact = next(k for k in key_facts if k.kind is FigureKind.MONEY)
    assert fact.status == "differs"
    assert fact.note.startswith("Sources agree to within rounding")
    assert rounds in fact.note


def test_a_share_rounded_to_a_whole_percent_is_rounding() -> None:
    key_facts = merged(
        article("a", "One", "Suit", "It holds 40% of all songs."),
        article("b", "Two", "Suit", "It holds 39.6% of all songs."),
    )
    assert by_label(key_facts)["Share of songs"].note == (
        "Sources agree to within rounding: 39.6% rounds to 40%."
    )


def test_a_hedge_stays_visible_when_sources_differ() -> None:
    key_facts = merged(
        article("a", "One", "Suit", "Damages can reach up to $150,000 per work."),
        article("b", "Two", "Suit", "Statutory damages are $150,000 per work."),
        article("c", "Three", "Suit", "Statutory damages are $151,000 per work."),
    )
    fact = by_label(key_facts)["Statutory damages per work"]
    assert fact.status == "differs"
    assert "$151,000 rounds to $150,000" in fact.note
    assert "“up to”" in fact.note and "$150,000" in fact.note.split("“up to”")[0]
    assert "maximum" in fact.note
    # A hedge every statement of a value makes is shown in the value itself.
    every = by_label(
        merged(
            article("a", "One", "Suit", "Damages can reach up to $150,000 per work."),
            article("c", "Three", "Suit", "Statutory damages are $30,000 per work."),
        )
    )["Statutory damages per work"]
    assert [v.text for v in every.values] == ["up to $150,000", "$30,000"]


def test_single_when_one_source_states_it() -> None:
    key_facts = merged(
        article("a", "One", "Suit", "The site released about 2.8 million files."),
        article("b", "One", "More", "It released about 2.8 million files so far."),
    )
    fact = by_label(key_facts)["Music files released"]
    assert fact.status == "single"
    assert fact.values[0].articles == ("a", "b")
    assert fact.values[0].text == "about 2.8 million files"


def test_month_and_day_precision_are_explained() -> None:
    key_facts = merged(
        article("a", "One", "Order", "A judge granted an injunction on Jan. 20."),
        article("b", "Two", "Order", "An injunction issued in January kept the site offline."),
    )
    fact = by_label(key_facts)["Injunction issued"]
    assert fact.status == "differs"
    assert "precision" in fact.note


# --------------------------------------------------------------------------- apart and together


def test_distinct_quantities_are_never_merged() -> None:
    key_facts = merged(
        article(
            "a",
            "One",
            "Release",
            "The site scraped 86 million music files and has released 2.8 million files.",
        ),
        article("b", "Two", "Ruling", "A judge awarded $30 million in damages."),
        article("c", "Three", "Suit", "The labels seek $13 trillion in damages."),
    )
    labels = by_label(key_facts)
    assert values(labels["Music files scraped"]) == [86e6]
    assert values(labels["Music files released"]) == [2.8e6]
    assert values(labels["Damages awarded"]) == [30e6]
    assert values(labels["Damages sought"]) == [13e12]


def test_an_unqualified_count_joins_the_subject_it_restates_by_value() -> None:
    key_facts = merged(
        article("a", "One", "Suit", "The site scraped 86 million music files."),
        article("b", "Two", "Suit", "The collection holds 86m tracks."),
        article("c", "Three", "Suit", "Only 2.8 million tracks are online."),
    )
    labels = by_label(key_facts)
    assert labels["Music files scraped"].status == "agreed"
    assert labels["Music files scraped"].sources == ("One", "Two")
    assert values(labels["Music files"]) == [2.8e6]  # a different number stays apart


def test_ranking_puts_more_sources_first_and_differences_before_agreement() -> None:
    key_facts = merged(
        article("a", "One", "T", "They scraped 86 million music files; damages of $13 trillion."),
        article("b", "Two", "T", "They scraped 86 million music files; damages of $12.9 trillion."),
        article("c", "Three", "T", "They scraped 86 million music files, about 300 TB."),
        article("d", "Four", "T", "The archive is 300 TB."),
    )
    assert [(k.label, len(k.sources), k.status) for k in key_facts] == [
        ("Music files scraped", 3, "agreed"),
        ("Damages sought", 2, "differs"),
        ("Data scraped (size)", 2, "agreed"),
    ]


def test_facts_from_off_topic_articles_never_appear() -> None:
    briefing = build_briefing(
        [
            article("a", "One", "Suit", "The labels seek $13 trillion in damages."),
            article("x", "Two", "Other", "A rival raised $7 billion in funding.", on_topic=False),
        ],
        "Topic",
        now=NOW,
    )
    assert [k.label for k in briefing.facts] == ["Damages sought"]
    assert all("x" not in fact_articles(k) for k in briefing.facts)


# --------------------------------------------------------------------------- provenance


def test_every_value_points_to_its_article_and_sentence() -> None:
    articles = [a for a in load_sample_articles() if a.on_topic]
    texts = {a.id: article_plain_text(a.title, a.body_html) for a in articles}
    briefing = build_briefing(articles, "Sample", now=NOW)
    assert briefing.facts
    for key_fact in briefing.facts:
        for value in key_fact.values:
            assert len(value.quotes) == len(value.spans) == len(value.articles)
            for quote, (article_id, start, end) in zip(value.quotes, value.spans, strict=True):
                assert texts[article_id][start:end] == quote
        assert fact_articles(key_fact) == {a for v in key_fact.values for a in v.articles}


def test_a_list_item_is_quoted_without_its_marker() -> None:
    one = Article(
        **{
            **{name: getattr(article("a", "One", "T"), name) for name in Article.__slots__},
            "content": "<ul><li>Complaint filed: Dec. 29, under seal</li></ul>",
        }
    )
    (fact,) = extract_facts(one)
    assert fact.sentence == "Complaint filed: Dec. 29, under seal"
    text = article_plain_text(one.title, one.body_html)
    assert text[fact.sentence_start - 2 : fact.sentence_start] == "- "


def test_the_quote_prefers_a_body_sentence_over_the_headline() -> None:
    key_facts = merged(
        article("a", "One", "Labels seek $13 trillion", "In the complaint they seek $13 trillion.")
    )
    assert key_facts[0].values[0].quotes == ("In the complaint they seek $13 trillion.",)


# --------------------------------------------------------------------------- timeline


def test_timeline_orders_dated_events_with_their_sources() -> None:
    facts = [
        f
        for a in (
            article("a", "One", "T", "It was filed on Dec. 29 and unsealed on Jan. 16."),
            article("b", "Two", "T", "A judge granted an injunction on Jan. 20."),
            article("c", "Three", "T", "The suit, filed in late December, was unsealed Jan. 16."),
        )
        for f in extract_facts(a)
    ]
    timeline = build_timeline(facts)
    assert [(e.date, e.label, e.sources) for e in timeline] == [
        # "late December" joins the day it agrees with rather than standing alone
        ("2025-12-29", "Lawsuit filed", ("One", "Three")),
        ("2026-01-16", "Complaint unsealed", ("One", "Three")),
        ("2026-01-20", "Injunction issued", ("Two",)),
    ]


def test_events_given_on_conflicting_dates_are_disputed() -> None:
    facts = [
        f
        for a in (
            article("a", "One", "T", "The suit was filed on Dec. 29 and unsealed on Jan. 16."),
            article("b", "Two", "T", "The labels filed the lawsuit on January 2, 2026."),
            article("c", "Three", "T", "The suit, filed in late December, was unsealed Jan. 16."),
            article("d", "Four", "T", "It was filed December 22 under seal."),
            article("e", "Five", "T", "A judge granted an injunction on Jan. 20."),
        )
        for f in extract_facts(a)
    ]
    timeline = build_timeline(facts)
    disputes = timeline_disputes(timeline)
    assert disputes == {"Lawsuit filed": ("2025-12", "2025-12-22", "2025-12-29", "2026-01-02")}
    # A month that holds the day given elsewhere is no dispute on its own.
    calm = build_timeline(
        [
            f
            for a in (
                article("a", "One", "T", "The suit was filed on Dec. 29."),
                article("c", "Three", "T", "The suit, filed in late December, is pending."),
            )
            for f in extract_facts(a)
        ]
    )
    assert timeline_disputes(calm) == {}


# --------------------------------------------------------------------------- the sample briefing


def test_the_sample_briefing_reads_well() -> None:
    briefing = build_briefing(load_sample_articles(), "Sample", now=NOW)
    labels = by_label(list(briefing.facts))
    damages = labels["Damages sought"]
    assert damages.status == "differs"
    assert [v.text for v in damages.values] == ["$13 trillion", "$12.9 trillion"]
    assert "rounds to" in damages.note
    per_work = labels["Statutory damages per work"]
    assert [v.value for v in per_work.values] == [150_000.0, 151_000.0]
    filed = labels["Lawsuit filed"]
    assert filed.status == "differs" and filed.values[0].value == "2025-12-29"
    assert len(filed.values) == 3
    assert labels["Music files scraped"].status == "agreed"
    assert labels["Music files released"].values[0].value == 2.8e6
    assert labels["Metadata rows scraped"].values[0].value == 256e6
    assert labels["Data scraped (size)"].values[0].value == 300e12
    assert labels["Share of listens covered"].values[0].value == 99.6
    # The most-sourced facts lead, and the off-topic items add nothing.
    assert briefing.facts[0].label == "Damages sought"
    assert len(briefing.facts[0].sources) == 6
    assert briefing.extra["articles"] == 18
    dates = [e.date for e in briefing.timeline]
    assert dates == sorted(dates)
    assert ("2026-01-20", "Injunction issued") in [(e.date, e.label) for e in briefing.timeline]


def test_accuracy_on_the_corpus_meets_the_target() -> None:
    stories = all_stories()
    assert sum(len(s.articles) for s in stories[:-1]) >= 20
    figures = score_figures(stories)
    facts = score_facts(stories)
    assert figures.precision >= 0.95 and figures.recall >= 0.95, figures.misses + figures.extras
    assert facts.precision >= 0.95 and facts.recall >= 0.95, facts.misses + facts.extras


def test_the_audit_cases_are_all_right() -> None:
    audit = load_corpus("audit.toml")
    figures = score_figures(audit)
    facts = score_facts(audit)
    assert figures.misses + figures.extras == []
    assert facts.misses + facts.extras == []


# --------------------------------------------------------------------------- cache


def test_facts_survive_a_json_round_trip() -> None:
    one = article("a", "One", "Suit", "They filed on Dec. 29 and seek up to $150,000 per work.")
    facts = extract_facts(one)
    assert len(facts) == 2
    for fact in facts:
        data = json.loads(json.dumps(fact_to_dict(fact)))
        assert fact_from_dict(data) == fact
    entry = json.loads(json.dumps(facts_to_cache_entry(facts, one)))
    assert facts_from_cache_entry(entry, one) == facts
    assert len(entry[0]["sentences"]) == 1  # both facts share their sentence


def test_cache_key_follows_content_and_extractor_version() -> None:
    one = article("a", "One", "Suit", "They seek $13 trillion.")
    changed = article("a", "One", "Suit", "They seek $12.9 trillion.")
    assert fact_cache_key(one) == fact_cache_key(one)
    assert fact_cache_key(one) != fact_cache_key(changed)
    assert fact_cache_key(one).startswith(EXTRACTOR_VERSION + ":")


def test_only_changed_articles_are_re_extracted(monkeypatch: pytest.MonkeyPatch) -> None:
    articles = [a for a in load_sample_articles() if a.on_topic]
    cache = MemoryFactCache()
    calls: list[str] = []
    real_extract = facts_module.extract_facts

    def counting_extract(item: Article) -> list[Fact]:
        calls.append(item.id)
        return real_extract(item)

    monkeypatch.setattr(facts_module, "extract_facts", counting_extract)

    first = build_briefing(articles, "Sample", cache=cache, now=NOW)
    assert len(calls) == 18 and first.extra["extracted"] == 18
    assert all(key.startswith(EXTRACTOR_VERSION) for key in cache.data)
    for stored in cache.data.values():
        assert isinstance(json.loads(stored), list)  # plain JSON, never pickles

    # Same process: facts come from memory, the store is not even asked.
    calls.clear()
    loads_before = len(cache.loads)
    second = build_briefing(articles, "Sample", cache=cache, now=NOW)
    assert calls == [] and second.extra == {**first.extra, "extracted": 0, "cached": 18}
    assert second.facts == first.facts and second.timeline == first.timeline
    assert len(cache.loads) == loads_before

    # A new process: facts come back from the store's JSON, identical.
    forget_remembered_facts()
    from_store = build_briefing(articles, "Sample", cache=cache, now=NOW)
    assert calls == [] and from_store.extra == second.extra
    assert from_store.facts == first.facts and from_store.timeline == first.timeline

    edited = list(articles)
    old = edited[0]
    edited[0] = Article(
        **{
            **{name: getattr(old, name) for name in old.__slots__},
            "content": old.content + "<p>They now say 90 million music files were scraped.</p>",
        }
    )
    calls.clear()
    forget_remembered_facts()
    third = build_briefing(edited, "Sample", cache=cache, now=NOW)
    assert calls == [old.id]
    assert third.extra["extracted"] == 1 and third.extra["cached"] == 17
    assert 90e6 in values(by_label(list(third.facts))["Music files scraped"])


def test_an_unreadable_cache_entry_is_re_extracted() -> None:
    one = article("a", "One", "Suit", "They seek $13 trillion in damages.")
    cache = MemoryFactCache()
    cache.data[fact_cache_key(one)] = json.dumps([{"kind": "nonsense"}])
    briefing = build_briefing([one], "T", cache=cache, now=NOW)
    assert briefing.extra["extracted"] == 1
    assert [k.label for k in briefing.facts] == ["Damages sought"]
    stored: list[dict[str, Any]] = json.loads(cache.data[fact_cache_key(one)])
    assert stored[0]["facts"][0][0] == FigureKind.MONEY.value


def test_the_memory_of_facts_is_bounded() -> None:
    memo = facts_module._FactMemo(capacity=2)
    one, two, three = ([], [], [])
    memo.put_many({"a": one, "b": two})
    assert memo.get_many(["a"]) == {"a": one}  # "a" is now the most recent
    memo.put_many({"c": three})
    assert set(memo.get_many(["a", "b", "c"])) == {"a", "c"}
    assert len(memo) == 2


def test_generated_is_utc_iso() -> None:
    briefing = build_briefing([], "Empty", now=dt.datetime(2026, 1, 1, 9, 30))
    assert briefing.generated == "2026-01-01T09:30:00+00:00"
    assert briefing.facts == () and briefing.timeline == ()


def _many_articles(count: int) -> list[Article]:
    """``count`` distinct articles made from the sample's (new ids, sources, dates)."""
    samples = load_sample_articles()
    made: list[Article] = []
    for index in range(count):
        base = samples[index % len(samples)]
        fields = {name: getattr(base, name) for name in base.__slots__}
        fields.update(
            id=f"{base.id}-copy{index}",
            source=f"{base.source} {index % 7}",
            on_topic=True,
        )
        made.append(Article(**fields))
    return made


def test_a_large_cold_extraction_in_workers_equals_the_serial_one() -> None:
    articles = _many_articles(facts_module._POOL_THRESHOLD + 10)
    serial = [facts_module._extract_one(item) for item in articles]
    # Every chunk in a worker (raises if the pool fails), then shared with this process.
    in_workers = facts_module._extract_in_pool(articles, help_here=False)
    assert in_workers == serial
    assert facts_module._extract_in_pool(articles) == serial
    assert sum(len(found) for found, _entry in serial) > 200

    cache = MemoryFactCache()
    briefing = build_briefing(articles, "Many", cache=cache, now=NOW)
    assert briefing.extra["extracted"] == len(articles)
    expected = merge_facts(fact for found, _entry in serial for fact in found)
    assert list(briefing.facts) == expected
    # What the workers stored decodes to what this process extracts.
    forget_remembered_facts()
    again = build_briefing(articles, "Many", cache=cache, now=NOW)
    assert again.extra["cached"] == len(articles) and again.facts == briefing.facts


def test_workers_are_not_started_for_a_few_articles(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []

    def no_pool(items: list[Article]) -> list[Any]:
        started.append(len(items))
        raise AssertionError("no pool for a few articles")

    monkeypatch.setattr(facts_module, "_extract_in_pool", no_pool)
    few = _many_articles(facts_module._POOL_THRESHOLD - 1)
    briefing = build_briefing(few, "Few", cache=MemoryFactCache(), now=NOW)
    assert started == [] and briefing.extra["extracted"] == len(few)
    # From the threshold on, the pool is asked (and a failing pool falls back here).
    enough = _many_articles(facts_module._POOL_THRESHOLD)
    forget_remembered_facts()
    fallback = build_briefing(enough, "Enough", cache=MemoryFactCache(), now=NOW)
    assert started == [len(enough)] and fallback.extra["extracted"] == len(enough)


def test_an_unchanged_re_merge_reuses_the_last_merge_and_any_change_misses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    one = article("a", "One", "Suit", "They seek $13 trillion in damages.")
    two = article("b", "Two", "Suit", "The labels seek $12.9 trillion in damages.")
    first = build_briefing([one, two], "T", now=NOW)
    merges: list[int] = []
    real_merge = facts_module.merge_facts

    def counting_merge(found: Any) -> list[KeyFact]:
        merges.append(1)
        return real_merge(found)

    monkeypatch.setattr(facts_module, "merge_facts", counting_merge)
    later = dt.datetime(2026, 2, 11, 8, 0, tzinfo=dt.UTC)
    again = build_briefing([one, two], "T", now=later)
    assert merges == [] and again.facts == first.facts and again.timeline == first.timeline
    assert again.generated == "2026-02-11T08:00:00+00:00"
    assert again.extra == {**first.extra, "extracted": 0, "cached": 2}

    # A dropped article, or changed content, is merged afresh.
    only_one = build_briefing([one], "T", now=NOW)
    assert merges == [1] and [v.value for v in only_one.facts[0].values] == [13e12]
    edited = article("b", "Two", "Suit", "The labels seek $14 trillion in damages.")
    changed = build_briefing([one, edited], "T", now=NOW)
    assert merges == [1, 1] and 14e12 in values(by_label(list(changed.facts))["Damages sought"])
