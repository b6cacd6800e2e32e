"""Merging facts across sources by evidence: one quantity in other words, different
quantities kept apart, and disagreement, rounding and revision told apart. Every
story here is invented for the tests; none is the shipped one."""

from __future__ import annotations

from _facts_cases import article, holding, merged, one_holding, same_fact, values

from briefing.core.facts.labels import _words_once
from briefing.core.models import Article, FactsVocabulary

# --------------------------------------------------------------------------- one quantity


def test_one_quantity_in_other_words_is_one_fact_by_its_value() -> None:
    facts = merged(
        article("a", "One", "Outage", "The faulty update crashed 8.5 million Windows devices."),
        article("b", "Two", "Outage", "Microsoft said 8.5 million computers were affected."),
        article("c", "Three", "Outage", "Some 8.5 million machines went down on Friday."),
    )
    fact = one_holding(facts, 8.5e6)
    assert len(fact.sources) == 3 and fact.status == "agreed"
    assert any("same 8.5 million" in reason for reason in fact.why)


def test_words_linked_by_one_value_carry_a_disagreement_on_another() -> None:
    """Once "devices" and "computers" are one quantity in this story, an outlet's
    8.4 million computers disagrees with the 8.5 million devices."""
    facts = merged(
        article("a", "One", "Outage", "The update crashed 8.5 million Windows devices."),
        article("b", "Two", "Outage", "Microsoft said 8.5 million computers were affected."),
        article("c", "Three", "Outage", "The update crashed 8.5 million Windows devices."),
        article("d", "Four", "Outage", "The update crashed 8.4 million computers."),
    )
    fact = one_holding(facts, 8.5e6)
    assert values(fact) == {8.5e6, 8.4e6} and fact.status == "differs"
    assert not fact.within_rounding


def test_a_figure_that_says_less_joins_the_fact_of_its_value() -> None:
    facts = merged(
        article("a", "One", "Suit", "The labels seek statutory damages of $150,000 per work."),
        article("b", "Two", "Suit", "That is $150,000 for each infringed work."),
        article("c", "Three", "Suit", "The figure of $150,000 is the statutory maximum."),
    )
    assert len(one_holding(facts, 150_000.0).sources) == 3


# --------------------------------------------------------------------------- apart


def test_different_quantities_stay_apart_however_close_their_words() -> None:
    facts = merged(
        article(
            "a",
            "One",
            "Quake",
            "The earthquake killed six people and injured six others on Tuesday.",
        ),
        article("b", "Two", "Quake", "Six people were killed and six were injured."),
    )
    assert len(holding(facts, 6.0)) == 2
    assert {k.label.split()[-1] for k in holding(facts, 6.0)} == {"killed", "injured"}


def test_per_unit_scope_and_another_period_make_other_quantities() -> None:
    facts = merged(
        article(
            "a",
            "Wire",
            "Results",
            "Revenue was $35.1 billion in the quarter, up from $18.1 billion a year earlier.",
            "Data center revenue was $30.8 billion.",
        ),
        article(
            "b",
            "Daily",
            "Results",
            "Revenue reached $35.1 billion, and data center revenue was $30.8 billion.",
            "A year earlier, revenue was $18.1 billion.",
        ),
        article("c", "Post", "Pay", "He earns £300,000 a week, or £15.6 million a year."),
    )
    assert not same_fact(facts, 35.1e9, 18.1e9)  # this quarter's, last year's
    assert not same_fact(facts, 35.1e9, 30.8e9)  # all revenue, one division's
    assert not same_fact(facts, 300_000.0, 15.6e6)  # a week, a year


def test_seats_stated_side_by_side_are_two_quantities() -> None:
    """One article giving 412 and 121 seats is telling of two quantities."""
    facts = merged(
        article("a", "One", "Election", "Labour won 412 seats and the Conservatives 121 seats."),
        article("b", "Two", "Election", "Labour took 412 seats, the Conservatives 121 seats."),
        article("c", "Three", "Election", "The party won 411 seats."),
    )
    assert not same_fact(facts, 412.0, 121.0)


def test_sought_and_awarded_are_never_one_fact() -> None:
    facts = merged(
        article("a", "One", "Verdict", "The families sought $550 million in damages."),
        article("b", "Two", "Verdict", "The jury awarded $965 million in damages."),
        article(
            "c", "Three", "Verdict", "A jury awarded $965 million; lawyers had sought $550 million."
        ),
    )
    assert not same_fact(facts, 550e6, 965e6)


def test_the_company_forecast_is_not_the_result_nor_the_analysts_consensus() -> None:
    facts = merged(
        article(
            "a",
            "One",
            "Results",
            "Revenue was $35.1 billion, above the $33.2 billion analysts had expected.",
        ),
        article("b", "Two", "Results", "Analysts expected revenue of $33.2 billion."),
        article("c", "Three", "Results", "Revenue came in at $35.1 billion."),
    )
    assert not same_fact(facts, 35.1e9, 33.2e9)


# --------------------------------------------------------------------------- differs, rounding, revised


def test_within_rounding_only_where_the_written_precision_allows() -> None:
    rounded = merged(
        article("a", "One", "Suit", "The damages sought reach $13 trillion."),
        article("b", "Two", "Suit", "The damages sought reach $12.9 trillion."),
    )
    fact = one_holding(rounded, 13e12)
    assert fact.status == "differs" and fact.within_rounding and "rounds to" in fact.note
    exact = merged(
        article("a", "One", "Suit", "Statutory damages are capped at $150,000 per work."),
        article("b", "Two", "Suit", "Statutory damages are capped at $150,000 per work."),
        article("c", "Three", "Suit", "Statutory damages are capped at $151,000 per work."),
    )
    fact = one_holding(exact, 150_000.0)
    assert fact.status == "differs" and not fact.within_rounding
    assert "rounds" not in fact.note


def test_a_toll_revised_over_days_is_revised_with_its_history() -> None:
    facts = merged(
        quake("a", "One", "The quake killed 296 people.", "2023-09-09"),
        article(
            "b", "Two", "Quake", "At least 296 people died.", published="2023-09-09T10:00:00+00:00"
        ),
        article(
            "c",
            "Three",
            "Quake",
            "The death toll rose to 2,012.",
            published="2023-09-10T09:00:00+00:00",
        ),
        article(
            "d",
            "Four",
            "Quake",
            "The quake killed 2,012 people.",
            published="2023-09-10T12:00:00+00:00",
        ),
        article(
            "e",
            "Five",
            "Quake",
            "The death toll rose to 2,946.",
            published="2023-09-13T09:00:00+00:00",
        ),
        article(
            "f",
            "Six",
            "Quake",
            "In all, 2,946 people were killed.",
            published="2023-09-13T12:00:00+00:00",
        ),
    )
    fact = one_holding(facts, 2946.0)
    assert fact.status == "revised"
    assert [(r.value, r.first, r.last) for r in fact.history] == [
        (296.0, "2023-09-09", "2023-09-09"),
        (2012.0, "2023-09-10", "2023-09-10"),
        (2946.0, "2023-09-13", "2023-09-13"),
    ]
    assert fact.note.startswith("Revised:")


def test_an_outbreak_tally_given_as_of_a_day_is_revised_by_that_day() -> None:
    # Every article is dated the same day; the sentences say which day each count is
    # of, and the states reached are counted whatever happened there.
    same_day = "2024-08-01T12:00:00+00:00"
    facts = merged(
        article("a", "One", "Recall", "As of July 25, 2024, 34 people were sickened in 13 states.",
                published=same_day),
        article("b", "Two", "Recall", "As of July 30, 2024, 34 people have fallen ill in 13 states.",
                published=same_day),
        article("c", "Three", "Recall",
                "Since the last update, 14 more illnesses have been reported, bringing the total"
                " to 57.", published=same_day),
        article("d", "Four", "Recall", "In all, 57 people have been sickened across 18 states.",
                published=same_day),
    )  # fmt: skip
    sickened = one_holding(facts, 57.0)
    assert values(sickened) == {34.0, 57.0}
    assert sickened.status == "revised"
    assert [r.value for r in sickened.history] == [34.0, 57.0]
    assert values(one_holding(facts, 18.0)) == {13.0, 18.0}


def test_a_toll_that_moved_within_one_day_is_one_fact() -> None:
    # The morning reports say 12 dead, the evening ones 20: two sources on each side,
    # every report of the first value no later than every report of the second.
    facts = merged(
        article("a", "One", "Flood", "Twelve people died in the floods, officials said.",
                published="2025-03-04T07:00:00+00:00"),
        article("b", "Two", "Flood", "The floods killed 12 people.",
                published="2025-03-04T09:00:00+00:00"),
        article("c", "Three", "Flood", "The floods have killed 20 people.",
                published="2025-03-04T18:00:00+00:00"),
        article("d", "Four", "Flood", "Twenty people died in the floods.",
                published="2025-03-04T21:00:00+00:00"),
    )  # fmt: skip
    toll = one_holding(facts, 20.0)
    assert values(toll) == {12.0, 20.0}
    assert toll.status in {"differs", "revised"}


def test_a_count_one_source_gives_without_its_owner_still_differs() -> None:
    # "411 seats declared" names no party where its neighbours say "the Progress
    # Party won 412": an owner left unsaid is not another owner, for values this close.
    facts = merged(
        article("a", "One", "Vote", "The Progress Party won 412 seats in the parliament."),
        article("b", "Two", "Vote", "The Progress Party secured 412 seats, a majority of 174."),
        article("c", "Three", "Vote", "By dawn 411 seats had been declared, one count remained."),
        article("d", "Four", "Vote", "The Unity Party won 121 seats."),
    )
    seats = one_holding(facts, 412.0)
    assert values(seats) == {412.0, 411.0}
    assert seats.status == "differs"
    assert 121.0 not in values(seats) and 174.0 not in values(seats)


def test_lives_lost_count_as_deaths() -> None:
    facts = merged(
        article("a", "One", "Quake", "The earthquake killed at least 2,122 people.",
                published="2023-09-10T12:00:00+00:00"),
        article("b", "Two", "Quake", "The death toll rose to 2,122.",
                published="2023-09-10T18:00:00+00:00"),
        article("c", "Three", "Quake", "The quake has now claimed 2,946 lives.",
                published="2023-09-13T09:00:00+00:00"),
        article("e", "Five", "Quake", "Rescuers saved 300 lives in the first week.",
                published="2023-09-13T10:00:00+00:00"),
    )  # fmt: skip
    toll = one_holding(facts, 2946.0)
    assert values(toll) == {2122.0, 2946.0}
    assert toll.status in {"differs", "revised"}
    assert 300.0 not in values(toll)


def test_each_partys_share_and_seats_are_their_own_facts() -> None:
    facts = merged(
        article("a", "One", "Vote", "Labour took 33.7% of the vote and won 412 seats."),
        article("b", "Two", "Vote", "Labour won 33.7% of the vote, up 1.6 points on 2019."),
        article("c", "Three", "Vote", "The Conservatives took 23.7% of the vote."),
        article("d", "Four", "Vote", "Labour won 412 seats, giving it a majority of 174."),
    )
    labour = one_holding(facts, 33.7)
    assert values(labour) == {33.7} and labour.status == "agreed"
    assert 23.7 not in values(labour)
    assert one_holding(facts, 412.0).status == "agreed"
    assert 174.0 not in values(one_holding(facts, 412.0))


def test_a_quake_toll_risen_over_days_is_one_revised_fact() -> None:
    facts = merged(
        article("a", "One", "Quake", "The death toll from the earthquake has risen to 820.",
                published="2023-09-09T10:00:00+00:00"),
        article("b", "Two", "Quake", "The quake killed at least 820 people.",
                published="2023-09-09T12:00:00+00:00"),
        article("c", "Three", "Quake", "The death toll from the earthquake has risen to 2,122.",
                published="2023-09-10T18:00:00+00:00"),
        article("d", "Four", "Quake", "Officials said 2,122 people have died.",
                published="2023-09-10T20:00:00+00:00"),
        article("e", "Five", "Quake", "More than 2,400 people were injured.",
                published="2023-09-10T20:00:00+00:00"),
    )  # fmt: skip
    toll = one_holding(facts, 2122.0)
    assert values(toll) == {820.0, 2122.0}
    assert toll.status == "revised"
    assert 2400.0 not in values(toll)


def test_a_toll_that_grew_from_a_first_small_report_still_takes_its_later_values() -> None:
    """A toll is compared with its nearest earlier report, not its first one: 430 on
    the first day, then 3,688 and 5,914 are one tally, though 5,914 is 14x 430."""
    facts = merged(
        article("a", "One", "Quake", "In Syria, about 430 people had been killed.",
                published="2023-02-06T10:00:00+00:00"),
        article("b", "Two", "Quake", "Medics said 3,688 people had died in Syria.",
                published="2023-02-14T12:00:00+00:00"),
        article("c", "Three", "Quake", "Officials said 3,688 people were killed in Syria.",
                published="2023-02-14T18:00:00+00:00"),
        article("d", "Four", "Quake", "In Syria, 5,914 people have been killed.",
                published="2023-02-24T20:00:00+00:00"),
    )  # fmt: skip
    toll = one_holding(facts, 3688.0)
    assert values(toll) == {430.0, 3688.0, 5914.0}
    assert toll.status in ("revised", "differs")


def test_the_death_toll_and_the_deaths_are_one_count_whatever_the_report() -> None:
    """ "the latest death toll", "deaths", "the death toll": "death" is part of the
    event's noun and "latest" says which report; neither makes another quantity.
    Split by those words, the later tolls stood apart from the early ones, and 5,914
    against 6,760 on one day was never shown as a disagreement."""
    facts = merged(
        article("a", "One", "Quake", "About 430 people had been killed in Syria.",
                published="2023-02-06T10:00:00+00:00"),
        article("f", "Six", "Quake", "The number of deaths in Syria is at least 2,992.",
                published="2023-02-13T10:00:00+00:00"),
        article("b", "Two", "Quake", "Medics said 3,688 people had died in Syria.",
                published="2023-02-14T10:00:00+00:00"),
        article("g", "Seven", "Quake", "Officials said 3,688 people died in Syria.",
                published="2023-02-15T08:00:00+00:00"),
        article("c", "Three", "Quake", "The latest death toll in Syria was 5,900.",
                published="2023-02-15T10:00:00+00:00"),
        article("d", "Four", "Quake", "The death toll in Syria was 5,914.",
                published="2023-02-24T10:00:00+00:00"),
        article("e", "Five", "Quake", "Also, 6,760 deaths were reported across Syria.",
                published="2023-02-24T12:00:00+00:00"),
    )  # fmt: skip
    toll = one_holding(facts, 5914.0)
    assert {5914.0, 6760.0} <= values(toll)
    assert toll.status in ("differs", "revised")


def test_an_amount_per_unit_joins_across_the_words_for_the_unit() -> None:
    facts = merged(
        article("a", "One", "Deal", "The settlement covers 500,000 works, or $3,000 per work."),
        article("b", "Two", "Deal", "Authors get $3,000 for each of the 500,000 books."),
        article("c", "Three", "Deal", "Statutory damages reach $150,000 per work."),
    )
    assert values(one_holding(facts, 3000.0)) == {3000.0}
    assert len(one_holding(facts, 3000.0).sources) == 2
    assert 150_000.0 not in values(one_holding(facts, 3000.0))


def test_a_name_misspelt_by_one_outlet_is_the_same_owner() -> None:
    facts = merged(
        article("a", "One", "Verdict", "The jury awarded Jacqueline Barden $28.8 million."),
        article("b", "Two", "Verdict", "Jacqueline Barden was awarded $28.8 million."),
        article("c", "Three", "Verdict", "Jaqueline Barden was awarded $28.8 million."),
    )
    assert len(one_holding(facts, 28.8e6).sources) == 3


def test_an_early_stray_figure_is_a_disagreement_not_a_revision() -> None:
    facts = merged(
        article(
            "a",
            "One",
            "Suit",
            "Damages are capped at $151,000 per work.",
            published="2026-01-15T08:00:00+00:00",
        ),
        article(
            "b",
            "Two",
            "Suit",
            "Damages are capped at $150,000 per work.",
            published="2026-01-17T08:00:00+00:00",
        ),
        article(
            "c",
            "Three",
            "Suit",
            "Damages are capped at $150,000 per work.",
            published="2026-01-18T08:00:00+00:00",
        ),
    )
    assert one_holding(facts, 150_000.0).status == "differs"


def test_single_when_one_source_states_it() -> None:
    facts = merged(article("a", "One", "Suit", "The firm paid a $4 million fine."))
    assert one_holding(facts, 4e6).status == "single"


def test_single_source_trivia_ranks_below_what_several_sources_state() -> None:
    facts = merged(
        article(
            "a",
            "One",
            "Outage",
            "Delta cancelled 7,000 flights. Its chief earns $9 million a year.",
        ),
        article("b", "Two", "Outage", "Delta cancelled 7,000 flights on Friday."),
        article("c", "Three", "Outage", "The airline, Delta, cancelled 7,000 flights."),
    )
    assert facts[0].values[0].value == 7000.0
    assert facts.index(one_holding(facts, 9e6)) > 0


# --------------------------------------------------------------------------- labels and the user's words


def test_labels_are_built_from_what_most_articles_state() -> None:
    facts = merged(
        article("a", "One", "Quake", "The earthquake killed 2,946 people."),
        article("b", "Two", "Quake", "In all, 2,946 people were killed."),
        article("c", "Three", "Flights", "On Friday, Delta cancelled 7,000 flights."),
        article("d", "Four", "Flights", "On Friday, Delta cancelled 7,000 flights."),
    )
    assert one_holding(facts, 2946.0).label == "People killed"
    assert one_holding(facts, 7000.0).label == "Delta: flights cancelled"


def test_the_users_words_join_and_relabel_facts() -> None:
    stories = [
        article("a", "One", "Scrape", "The group ripped 86 million songs."),
        article("b", "Two", "Scrape", "The group ripped 87 million tunes."),
    ]
    assert not same_fact(merged(*stories), 86e6, 87e6)
    words = FactsVocabulary(
        synonyms=(("songs", "tunes"),),
        events=(("scraped", ("rip",)),),
        labels=(("Songs scraped", "Songs taken from the service"),),
    )
    facts = merged(*stories, vocabulary=words)
    fact = one_holding(facts, 86e6)
    assert values(fact) == {86e6, 87e6}
    assert fact.label == "Songs taken from the service"


# --------------------------------------------------------------------------- coordination


def test_a_count_that_said_its_noun_once_joins_its_quantity_and_shows_the_noun() -> None:
    """ "the Congress 99" is the Congress's 99 seats won, stated by other outlets in
    full; the 240 beside it is another party's, and apart."""
    facts = merged(
        article("a", "One", "Results", "The BJP won 240 seats and the Congress 99."),
        article("b", "Two", "Results", "The Congress won 99 seats, up from 52."),
        article("c", "Three", "Results", "As counting ended, the Congress won 99 seats."),
    )
    fact = one_holding(facts, 99.0)
    assert set(fact.sources) == {"One", "Two", "Three"}
    assert 240.0 not in values(fact)
    assert {v.text for v in fact.values if v.value == 99.0} == {"99 seats"}


def quake(article_id: str, source: str, sentence: str, day: str) -> Article:
    """An article of the quake stories below, published at 08:00 on ``day``."""
    return article(article_id, source, "Quake", sentence, published=f"{day}T08:00:00+00:00")


def test_a_weekday_date_is_shown_with_its_date_and_joins_the_dated_fact() -> None:
    facts = merged(
        quake("a", "One", "The quake struck on Monday.", "2023-02-07"),
        quake("b", "Two", "The quake struck on February 6.", "2023-02-08"),
    )
    fact = one_holding(facts, "2023-02-06")
    assert set(fact.sources) == {"One", "Two"}
    assert [v.text for v in fact.values] == ["February 6, 2023"]
    alone = merged(quake("a", "One", "The quake struck on Monday.", "2023-02-07"))
    assert [v.text for v in one_holding(alone, "2023-02-06").values] == ["Monday, February 6, 2023"]


def test_amounts_in_other_currencies_are_other_values_never_a_disagreement() -> None:
    """€100m and £100m are two amounts, never one value; one amount per currency is no
    disagreement (a briefing cannot compare them without an exchange rate), two amounts
    in one currency are."""
    facts = merged(
        article("a", "One", "Transfer", "Bayern agreed a fee of €100m for the striker."),
        article("b", "Two", "Transfer", "Bayern agreed a fee of £100m for the striker."),
        article("c", "Three", "Transfer", "Bayern agreed a fee of €100m for the striker."),
    )
    fact = one_holding(facts, 100e6)
    assert sorted((v.unit, v.sources) for v in fact.values) == [
        ("EUR", ("One", "Three")),
        ("GBP", ("Two",)),
    ]
    assert fact.status == "agreed" and "not compared" in fact.note
    facts = merged(
        article("a", "One", "Transfer", "Bayern agreed a fee of €100m for the striker."),
        article("b", "Two", "Transfer", "Bayern agreed a fee of £100m for the striker."),
        article("c", "Three", "Transfer", "Bayern agreed a fee of €98m for the striker."),
    )
    fact = one_holding(facts, 98e6)
    assert {(v.value, v.unit) for v in fact.values} == {
        (100e6, "EUR"), (100e6, "GBP"), (98e6, "EUR")
    }  # fmt: skip
    assert fact.status in ("differs", "revised")  # €100m against €98m


def test_a_place_said_as_whose_the_figure_is_reads_as_the_place() -> None:
    """ "Syria's death toll" and "the death toll in Syria" are one quantity, and
    apart from Turkey's."""
    facts = merged(
        article("a", "One", "Quake", "Syria's death toll rose to 5,900."),
        article("b", "Two", "Quake", "The death toll in Syria rose to 5,900."),
        article("c", "Three", "Quake", "The death toll in Turkey rose to 35,418."),
    )
    fact = one_holding(facts, 5900.0)
    assert set(fact.sources) == {"One", "Two"} and 35418.0 not in values(fact)


def test_a_weekday_read_from_a_late_article_date_is_no_disagreement() -> None:
    """A feed dated a week late makes "on Monday" another Monday: where sources write
    the date out, that weekday is left out, not shown as a second date."""
    facts = merged(
        quake("a", "One", "The quake struck on February 6.", "2023-02-07"),
        quake("b", "Two", "The quake struck on February 6.", "2023-02-08"),
        quake("c", "Three", "The quake struck on Monday.", "2023-02-14"),
    )
    fact = one_holding(facts, "2023-02-06")
    assert values(fact) == {"2023-02-06"} and fact.status == "agreed"
    assert not holding(facts, "2023-02-13")


def test_an_owner_named_by_its_initials_or_the_start_of_its_name_is_one_owner() -> None:
    """ "the Green Liberal Party", "the GLP" and "Green Liberal" are one party: its
    seats are one fact with a disagreement, not three facts, and not the other party's."""
    facts = merged(
        article("a", "One", "Vote", "The Green Liberal Party won 88 seats."),
        article("b", "Two", "Vote", "The GLP won 88 seats, results showed."),
        article("c", "Three", "Vote", "Results showed Green Liberal won 86 seats."),
        article("d", "Four", "Vote", "The Social Union won 61 seats."),
    )
    party = one_holding(facts, 88.0)
    assert values(party) == {88.0, 86.0}
    assert party.status == "differs"
    assert len(party.sources) == 3
    assert 61.0 not in values(party)


def test_an_amount_converted_in_brackets_is_the_same_amount() -> None:
    """ "€60 million (£52 million)": one amount in two currencies, so the fact holds
    both, and another outlet's £50 million still differs from the £52 million."""
    facts = merged(
        article("a", "One", "Transfer", "The club agreed a fee of €60 million (£52 million)."),
        article("b", "Two", "Transfer", "The club agreed a fee of £50 million."),
        article("c", "Three", "Transfer", "The club agreed a fee of €60 million."),
    )
    fact = one_holding(facts, 52e6)
    assert {(v.value, v.unit) for v in fact.values} == {
        (60e6, "EUR"), (52e6, "GBP"), (50e6, "GBP")
    }  # fmt: skip
    assert fact.status in ("differs", "revised")


def test_labels_say_a_word_once() -> None:
    """ "Raise raised", "Share of the vote share" and "Nvidia: AI chip maker Nvidia
    pledged" were labels before."""
    facts = merged(
        article("a", "One", "Vote", "The Greens won a vote share of 31.5%, officials said."),
        article("b", "Two", "Vote", "The Greens won a vote share of 31.5% on Sunday."),
        article("c", "Three", "Deal", "Chip maker Nvidia pledged $100 million to the fund."),
        article("d", "Four", "Deal", "Chip maker Nvidia pledged $100 million, it said."),
    )
    assert one_holding(facts, 31.5).label == "The Greens: vote share won"
    assert one_holding(facts, 100e6).label == "Nvidia: amount pledged"
    # the scope word before a name that already says it: only the first is kept, and
    # a phrase after a comma is its own ("year on year")
    assert _words_once("Adjusted earnings adjusted per share (consensus)") == (
        "Adjusted earnings per share (consensus)"
    )
    assert _words_once("Change in revenue, year on year") == "Change in revenue, year on year"


def test_a_list_of_places_is_one_scope_and_reads_as_written() -> None:
    """ "in Turkey and Syria": both countries, apart from the toll of either, and the
    label keeps "and" in lower case ("Turkey And Syria" was the title-cased form)."""
    facts = merged(
        article("a", "One", "Quake", "The quakes killed 48,000 people in Turkey and Syria."),
        article("b", "Two", "Quake", "In Turkey and Syria, 48,000 people died."),
        article("c", "Three", "Quake", "In Turkey alone, 44,218 people died."),
    )
    both = one_holding(facts, 48_000.0)
    assert values(both) == {48_000.0} and len(both.sources) == 2
    assert both.label.endswith("in Turkey and Syria"), both.label


def test_voter_turnout_and_turnout_are_one_quantity() -> None:
    """ "voter turnout" says the turnout's own event again, as "death toll" does: no
    modifier that makes another quantity of it."""
    facts = merged(
        article("a", "One", "Poll", "A voter turnout of 65.79% was recorded."),
        article("b", "Two", "Poll", "The turnout was 65.79%, the commission said."),
        article("c", "Three", "Poll", "Turnout was 65.34%, by an early count."),
    )
    turnout = one_holding(facts, 65.79)
    assert values(turnout) == {65.79, 65.34} and len(turnout.sources) == 3


def test_a_projection_for_one_year_is_apart_from_the_next_years_and_revised_with_its_own() -> None:
    """ "2.5% in 2024, 2.2% in 2025": each figure is of its year; March's 2.0% for 2025
    is that same projection revised, and never 2024's."""
    facts = merged(
        article("a", "One", "Bank", "Staff see inflation at 2.5% in 2024 and 2.2% in 2025.",
                published="2024-06-06T10:00:00+00:00"),
        article("b", "Two", "Bank", "The bank expects inflation to average 2.2% in 2025.",
                published="2024-06-06T12:00:00+00:00"),
        article("c", "Three", "Bank", "In March it expected inflation of 2.0% in 2025.",
                published="2024-03-07T10:00:00+00:00"),
    )  # fmt: skip
    next_year = one_holding(facts, 2.2)
    assert values(next_year) == {2.2, 2.0}
    assert 2.5 not in values(next_year)
    assert "2025" in next_year.label, next_year.label


def test_modifiers_that_share_a_word_may_name_one_quantity() -> None:
    """ "impacted ready-to-eat deli meat products" and "deli meats" share "deli": two
    dates of their production are a disagreement; "data-center revenue" and "revenue"
    share no modifier and stay two quantities."""
    facts = merged(
        article("a", "One", "Recall",
                "The impacted ready-to-eat deli meat products were produced on June 27.",
                published="2024-07-31T10:00:00+00:00"),
        article("b", "Two", "Recall", "Other ready-to-eat deli meat products were produced on June 27.",
                published="2024-07-31T10:00:00+00:00"),
        article("c", "Three", "Recall", "The deli meats were produced on June 17.",
                published="2024-07-31T10:00:00+00:00"),
        article("d", "Four", "Earnings", "Data-center revenue was $30.8 billion."),
        article("e", "Five", "Earnings", "Revenue was $31.1 billion in the quarter."),
    )  # fmt: skip
    produced = one_holding(facts, "2024-06-27")
    assert values(produced) == {"2024-06-27", "2024-06-17"}
    assert produced.status == "differs"
    assert one_holding(facts, 30.8e9) is not one_holding(facts, 31.1e9)


def test_counts_of_a_state_on_two_days_are_no_revision_without_two_reports_each() -> None:
    """ "542 seats" counted on one day by two outlets, "406 seats" the day before by
    one: nothing is said to have happened to the seats, so the days alone do not make
    one a revision of the other (a toll, which something happened to, may be)."""
    facts = merged(
        article("a", "One", "Poll", "Votes were counted for 542 seats.",
                published="2024-06-05T10:00:00+00:00"),
        article("b", "Two", "Poll", "Counting was under way for 542 seats.",
                published="2024-06-05T12:00:00+00:00"),
        article("c", "Three", "Poll", "Early trends in 406 seats showed a lead.",
                published="2024-06-04T10:00:00+00:00"),
    )  # fmt: skip
    assert 406.0 not in values(one_holding(facts, 542.0))
