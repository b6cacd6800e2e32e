"""What a figure measures, read from general English: the noun, the event, whose it is,
and the qualifiers that make two figures different quantities. Sentences from many
kinds of story (written for these tests), none from the shipped one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from briefing.core.facts import facts_from_text
from briefing.core.facts.frames import Frame
from briefing.core.facts.tokens import proper_words
from briefing.core.facts.vocabulary import builtin_vocabulary

DAY = dt.date(2024, 7, 20)


def frame_of(sentence: str, figure_text: str) -> Frame:
    facts = facts_from_text(sentence, article_id="a", source="S", published_day=DAY)
    for fact in facts:
        if fact.figure.text == figure_text:
            return fact.frame
    found = [f.figure.text for f in facts]
    raise AssertionError(f"no fact for {figure_text!r} in {found}")


def parts(frame: Frame) -> dict[str, Any]:
    """The frame's parts, its event as the vocabulary's class when it has one."""
    found = {k: v for k, v in frame._asdict().items() if v and k not in ("words", "phrase",
             "event_text", "owner_text", "mods")}  # fmt: skip
    if frame.event and builtin_vocabulary().event_class(frame.event):
        found["event"] = builtin_vocabulary().event_class(frame.event)
    return found


@pytest.mark.parametrize(
    ("sentence", "figure", "expected"),
    [
        # the thing counted and what happened to it
        (
            "Six workers were killed when the bridge fell.",
            "Six workers",
            {"head": "worker", "event": "killed"},
        ),
        (
            "The update crashed 8.5 million Windows devices on Friday.",
            "8.5 million Windows devices",
            {"head": "device", "event": "crash"},
        ),
        (
            "Microsoft said 8.5 million Windows devices were affected.",
            "8.5 million Windows devices",
            {"head": "device", "event": "affected"},
        ),
        ("He is now on the hook for $1.5 million.", "$1.5 million", {"event": "paid"}),
        ("Jones owes $1.44 billion to the families.", "$1.44 billion", {"event": "paid"}),
        (
            "On Friday, Delta cancelled 7,000 flights over five days.",
            "7,000 flights",
            {"head": "flight", "event": "cancelled", "owner": "delta"},
        ),
        ("The quake killed 2,946 people and injured 5,674.", "5,674", {"event": "injured"}),
        ("The number of deaths is now nine.", "nine", {"head": "death", "cue": "new"}),
        ("The death toll rose to 41,000 on Monday.", "41,000", {"head": "toll", "cue": "new"}),
        (
            "Two hundred thousand homes lost power.",
            "Two hundred thousand homes",
            {"head": "home", "event": "lost"},
        ),
        # money: what it is for, and whose
        (
            "The outage cost Delta $500 million, the airline said.",
            "$500 million",
            {"event": "cost", "owner": "delta"},
        ),
        ("The firm agreed to a $1.5 billion settlement.", "$1.5 billion", {"head": "settlement"}),
        (
            "Revenue rose to $35.1 billion in the quarter.",
            "$35.1 billion",
            {"head": "revenue", "cue": "new"},
        ),
        (
            "Insured losses could reach $1.5 billion.",
            "$1.5 billion",
            {"head": "loss", "scope": "insured", "modality": "potential"},
        ),
        (
            "He signed a five-year contract worth £300,000 a week.",
            "£300,000",
            {"head": "contract", "event": "valued", "per": "week"},
        ),
        (
            "They seek up to $150,000 for each infringed work.",
            "$150,000",
            {"event": "sought", "per": "work"},
        ),
        (
            "Jones must pay an additional $473 million in punitive damages.",
            "$473 million",
            {"head": "damage", "event": "paid", "owner": "jones", "aspect": "increment"},
        ),
        (
            "Analysts had expected revenue of $33.16 billion.",
            "$33.16 billion",
            {"head": "revenue", "modality": "consensus"},
        ),
        (
            "Net income was $9.24 billion a year earlier.",
            "$9.24 billion",
            {"head": "income", "period": "prior"},
        ),
        # shares and changes
        (
            "Labour won 33.7% of the vote.",
            "33.7%",
            {"head": "vote", "event": "won", "aspect": "share"},
        ),
        (
            "Revenue grew 94% year over year.",
            "94%",
            {"head": "revenue", "aspect": "change", "basis": "year"},
        ),
        (
            "Union members voted to reject the offer, and 96% voted to strike.",
            "96%",
            {"event": "struck"},
        ),
        (
            "The contract would have raised wages by 25% over four years.",
            "25%",
            {"head": "wage", "aspect": "change", "modality": "potential"},
        ),
        # where, and when
        (
            "It recalled 2.03 million vehicles in the US and 2.2 million worldwide.",
            "2.2 million",
            {"head": "vehicle", "event": "recalled", "scope": "world"},
        ),
        (
            "Fourth-quarter revenue will be about $37.5 billion, the company forecast.",
            "$37.5 billion",
            {"head": "revenue", "when": "q4"},
        ),
        (
            "In 2011, more than 30 people died in a similar outbreak.",
            "30 people",
            {"event": "killed", "period": "prior"},
        ),
        # dates and their events
        (
            "On Dec. 29, the labels filed a lawsuit in New York.",
            "Dec. 29",
            {"head": "lawsuit", "event": "filed"},
        ),
        (
            "The complaint was filed on Dec. 29 under seal.",
            "Dec. 29",
            {"head": "complaint", "event": "filed"},
        ),
        ("A hearing is set for Jan. 20.", "Jan. 20", {"head": "hearing", "event": "scheduled"}),
        # what others expect, however the sentence gets there
        (
            "Analysts expect Nvidia to report earnings per share (EPS) of $0.74 on revenue"
            " of $32.87 billion.",
            "$0.74",
            {"head": "earnings", "per": "share", "modality": "consensus"},
        ),
        (
            "Analysts expect Nvidia to report earnings per share (EPS) of $0.74 on revenue"
            " of $32.87 billion.",
            "$32.87 billion",
            {"head": "revenue", "modality": "consensus"},
        ),
        (
            "Analysts expected earnings of $0.75 a share on revenue of $33.16 billion.",
            "$33.16 billion",
            {"head": "revenue", "modality": "consensus"},
        ),
        (
            "Analysts expected $33.1 billion versus $35 billion a year earlier.",
            "$35 billion",
            {"modality": None, "period": "prior"},
        ),
        (
            "Revenue beat analyst expectations, which were set at $33.12 billion.",
            "$33.12 billion",
            {"modality": "consensus"},
        ),
        # a verb that moves a figure: the new value, of the verb's object
        (
            "The aftershock raised the death toll to 2,946.",
            "2,946",
            {"event": "killed", "cue": "new"},
        ),
        (
            "Officials revised the number of confirmed deaths to 2,122 on Sunday.",
            "2,122",
            {"head": "death", "cue": "new"},
        ),
        (
            "Valuation rose from $14 billion in 2021 to $157 billion this year.",
            "$157 billion",
            {"head": "valuation", "cue": "new", "period": None},
        ),
        (
            "Valuation rose from $14 billion in 2021 to $157 billion this year.",
            "$14 billion",
            {"head": "valuation", "cue": "old"},
        ),
        (
            "It grew revenue from zero to $3.6 billion.",
            "$3.6 billion",
            {"head": "revenue", "cue": "new"},
        ),
        # another year named in the clause before
        (
            "It is the worst outbreak since 2011, when 147 people were infected.",
            "147 people",
            {"period": "prior"},
        ),
        # an event under way since a day; event phrases of three words
        (
            "The members, who have been on strike since September 13, went back.",
            "September 13",
            {"event": "struck"},
        ),
        (
            "They have been on the picket line since September 13.",
            "September 13",
            {"event": "struck"},
        ),
        (
            "They must return to work by the start of their shift on Nov. 12.",
            "Nov. 12",
            {"event": "returned"},
        ),
        ("Workers walked off the job on Sept. 13.", "Sept. 13", {"event": "struck"}),
        # a second figure after "and will" shares the noun, of a later time
        (
            "Average pay is $75,608 and will rise to $119,309 under the contract.",
            "$119,309",
            {"head": "pay", "period": "future", "cue": "new"},
        ),
        # a share of a vote is of what it was for or against
        (
            "The union says 59% of its members who cast ballots voted for the contract.",
            "59%",
            {"event": "approved"},
        ),
        ("Boeing machinists voted 64% against a new labor deal.", "64%", {"event": "rejected"}),
        ("Machinists voted 59% in favor of the new contract.", "59%", {"event": "approved"}),
        ("In all, 96% voted for the strike.", "96%", {"event": "struck"}),
        # a verb that puts a figure on its object, and whose it is
        (
            "Insurers estimated direct losses for Fortune 500 companies at $5.4 billion.",
            "$5.4 billion",
            {"head": "loss", "owner": "fortune 500", "scope": "direct"},
        ),
        ("Delta said the outage cost it $500 million.", "$500 million", {"event": "cost"}),
        # damages a suit seeks are money, not the damage a storm does
        (
            "Had the case gone to trial, potential damages could have topped $1 trillion.",
            "$1 trillion",
            {"head": "damage", "event": None, "modality": "potential"},
        ),
        # part against whole
        (
            "The storm caused $12 billion in damage, of which $4 billion was insured.",
            "$12 billion",
            {"head": "damage", "context": None},
        ),
        (
            "The storm caused $12 billion in damage, of which $4 billion was insured.",
            "$4 billion",
            {"head": "damage", "context": "part", "scope": "insured"},
        ),
        (
            "The recall covers 1.2 million vehicles, 800,000 of them in the US.",
            "800,000",
            {"head": "vehicle", "scope": "us"},
        ),
        # places reached take no event; an event word among the noun's modifiers counts
        ("Illnesses were reported in 18 states.", "18 states", {"head": "state", "event": None}),
        (
            "So far 34 sick people have been identified.",
            "34 sick people",
            {"event": "sickened"},
        ),
        ("About 40 people fell ill after the meal.", "40 people", {"event": "sickened"}),
        (
            "The company reported revenue of $35.08 billion.",
            "$35.08 billion",
            {"head": "revenue", "modality": None},
        ),
    ],
)
def test_a_frame_names_what_the_figure_measures(
    sentence: str, figure: str, expected: dict[str, Any]
) -> None:
    found = parts(frame_of(sentence, figure))
    assert {k: found.get(k) for k in expected} == expected, found


def test_numbers_written_as_words_count_like_digits() -> None:
    for sentence, figure, value in [
        ("Six workers were killed.", "Six workers", 6),
        ("A dozen people were hurt.", "A dozen people", 12),
        ("Two hundred thousand homes lost power.", "Two hundred thousand homes", 200_000),
    ]:
        facts = facts_from_text(sentence, article_id="a", source="S", published_day=DAY)
        assert [(f.figure.text, f.figure.value) for f in facts] == [(figure, value)]


def test_a_reporting_verb_is_neither_the_event_nor_the_owner() -> None:
    frame = frame_of("Microsoft said 8.5 million Windows devices were affected.",
                     "8.5 million Windows devices")  # fmt: skip
    assert frame.owner == "" and frame.event == "affect"


def test_a_figure_given_as_of_a_day_keeps_that_day() -> None:
    assert frame_of("As of July 25, 2024, 34 people were sickened.", "34 people").as_of == (
        "2024-07-25"
    )
    assert frame_of("On July 25, 34 people were sickened.", "34 people").as_of == ""


def test_a_date_with_no_event_makes_no_fact() -> None:
    facts = facts_from_text(
        "It was sunny on Dec. 29, as it said it would be in December, despite an injunction.",
        article_id="a",
        source="S",
        published_day=DAY,
    )
    assert facts == []


def test_a_title_made_from_an_address_is_not_read() -> None:
    text = "473163 alex jones ordered to pay nearly 1billion\n\nA jury awarded $965 million."
    facts = facts_from_text(text, article_id="a", source="S", published_day=DAY)
    assert [f.figure.text for f in facts] == ["$965 million"]


def test_a_capitalised_title_made_from_the_articles_address_is_not_read() -> None:
    text = "Openai raises 66 billion at 157 billion valuation\n\nIt raised $6.6 billion."
    link = "https://example.org/tech/openai-raises-66-billion-at-157-billion-valuation-1172"
    facts = facts_from_text(text, article_id="a", source="S", published_day=DAY, link=link)
    assert [f.figure.text for f in facts] == ["$6.6 billion"]
    # the same words as a real headline of another address are read
    elsewhere = facts_from_text(
        text, article_id="a", source="S", published_day=DAY, link="https://example.org/a/1"
    )
    assert len(elsewhere) > 1


def test_every_part_of_a_frame_keeps_its_words() -> None:
    frame = frame_of("On Friday, Delta cancelled 7,000 flights.", "7,000 flights")
    assert "cancelled" in frame.words and "Delta" in frame.words


@pytest.mark.parametrize(
    ("sentence", "figure", "expected"),
    [
        (
            "The commission declared the BJP winning 240 seats and the Congress 99.",
            "99",
            {"head": "seat", "event": "won", "owner": "congress"},
        ),
        (
            "Officials said 38,044 people had died in Turkey and 3,688 in Syria.",
            "3,688",
            {"head": "people", "event": "killed", "scope": "place:syria"},
        ),
    ],
)
def test_a_count_that_said_its_noun_once_takes_the_other_counts_frame(
    sentence: str, figure: str, expected: dict[str, str]
) -> None:
    found = parts(frame_of(sentence, figure))
    assert {k: found.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    ("sentence", "figure", "scope"),
    [
        ("The death toll in Syria stood at 5,900.", "5,900", "place:syria"),
        ("The number of deaths in Turkey rose to 12,391.", "12,391", "place:turkey"),
        ("Investment in Windows devices rose to $4 billion.", "$4 billion", None),
        ("The latest death toll from Syria was 5,900.", "5,900", "place:syria"),
    ],
)
def test_a_place_right_after_the_noun_is_the_figures_scope(
    sentence: str, figure: str, scope: str | None
) -> None:
    assert parts(frame_of(sentence, figure)).get("scope") == scope


def test_the_object_of_a_verb_that_moves_a_figure_is_measured_past_its_possessive() -> None:
    """ "cutting its deposit rate to 3.75%": "its" stands between the verb and what
    was cut; the deposit rate is the figure's noun, and 3.75% its new value."""
    frame = frame_of("Cutting its deposit rate to 3.75% from a record-high 4.0%.", "3.75%")
    assert (frame.head, frame.mods, frame.cue) == ("rate", "deposit", "new")


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Robbie Parker and Erica Lafferty were awarded $120 million and $76 million,"
            " respectively.",
            [("$120 million", "owner", "robbie parker"), ("$76 million", "owner", "erica lafferty")],
        ),
        (
            "Rates on the main refinancing operations, the marginal lending facility and the"
            " deposit facility will be decreased to 4.25 percent, 4.5 percent and 3.75 percent"
            " respectively.",
            [("4.25 percent", "head", "operation"), ("4.5 percent", "head", "facility"),
             ("3.75 percent", "head", "facility")],
        ),
        (
            "The party said Labour and the Conservatives won 412 and 121 seats respectively.",
            [("412", "owner", "labour"), ("121 seats", "owner", "conservatives")],
        ),
        (
            "Revenue and profit rose 12% and 8%, respectively.",
            [("12%", "head", "revenue"), ("8%", "head", "profit")],
        ),
    ],
)  # fmt: skip
def test_respectively_gives_each_figure_the_member_of_the_list_in_its_place(
    sentence: str, expected: list[tuple[str, str, str]]
) -> None:
    for figure, part, value in expected:
        assert getattr(frame_of(sentence, figure), part) == value, figure
    lending = frame_of(sentence, expected[1][0]) if "lending" in sentence else None
    assert lending is None or lending.mods == "marginal lend"


@pytest.mark.parametrize(
    ("sentence", "figure", "head"),
    [
        ("Inflation is expected to average 2.5% in 2024.", "2.5%", "inflation"),
        ("Unemployment is projected to average 4.2% next year.", "4.2%", "unemployment"),
        ("Nvidia is expected to report revenue of $33 billion.", "$33 billion", "revenue"),
    ],
)
def test_what_is_expected_to_move_is_what_the_figure_measures(
    sentence: str, figure: str, head: str
) -> None:
    frame = frame_of(sentence, figure)
    assert (frame.head, frame.modality) == (head, "forecast")


@pytest.mark.parametrize(
    ("sentence", "figure", "head", "modality"),
    [
        ("The bank raised its growth forecast to 1.4%.", "1.4%", "growth", "forecast"),
        ("The council raised its deficit forecast to $12 million.", "$12 million", "deficit",
         "forecast"),
        ("The agency lowered its unemployment projection to 4.1%.", "4.1%", "unemployment",
         "forecast"),
    ],
)  # fmt: skip
def test_a_qualifier_noun_leaves_the_noun_before_it_as_what_is_measured(
    sentence: str, figure: str, head: str, modality: str
) -> None:
    """ "its growth forecast": "forecast" says what kind of figure it is, "growth" what
    it measures (before, the frame had no noun at all)."""
    frame = frame_of(sentence, figure)
    assert frame.head == head
    assert modality == "" or frame.modality == modality


@pytest.mark.parametrize(
    "sentence",
    [
        "The bank raised its growth forecast for this year to 1.4% from the 1.1% it"
        " predicted in March.",
        "The bank raised its growth forecast for this year, to 1.4% from the 1.1% predicted"
        " in March.",
    ],
)
def test_the_old_value_after_from_is_of_what_the_verb_moved(sentence: str) -> None:
    """ "to 1.4% from the 1.1% predicted in March": the old value of the raised
    forecast, whatever verb describes it; a comma before "to" does not hide the verb."""
    new, old = frame_of(sentence, "1.4%"), frame_of(sentence, "1.1%")
    assert (new.head, new.modality, new.cue) == ("growth", "forecast", "new")
    assert (old.head, old.modality, old.cue) == ("growth", "forecast", "old")


@pytest.mark.parametrize(
    "sentence",
    [
        "Unemployment came in slightly higher than expected in March at 4.4%.",
        "Unemployment rose more than forecast to 4.4% in March.",
    ],
)
def test_than_expected_compares_with_a_forecast_and_is_not_one(sentence: str) -> None:
    """ "higher than expected at 4.4%": an actual reading, of unemployment; before,
    "expected" made it a forecast and hid the noun."""
    frame = frame_of(sentence, "4.4%")
    assert (frame.head, frame.modality) == ("unemployment", "")


def test_figures_listed_after_a_forecast_are_forecasts_too() -> None:
    sentence = "Growth is expected to average 0.9% in 2024, 1.4% in 2025 and 1.6% in 2026."
    assert [frame_of(sentence, f).modality for f in ("0.9%", "1.4%", "1.6%")] == ["forecast"] * 3
    old = frame_of("Analysts had expected 0.9% for May, up from 0.7% in April.", "0.7%")
    assert old.modality == ""


def test_a_figure_set_against_one_of_the_same_noun_is_of_the_same_owner() -> None:
    sentence = "The Greens have won 14 seats as compared to 9 seats in 2019."
    assert (frame_of(sentence, "9 seats").owner, frame_of(sentence, "9 seats").head) == (
        "greens",
        "seat",
    )
    other = "The Greens have won 14 seats, while Labour won 9 seats."
    assert frame_of(other, "9 seats").owner != "greens"


def test_a_name_after_the_counted_noun_is_whose_it_is_not_a_verb() -> None:
    """ "the 3,000 flights United Airlines cancelled": before, "United" was read as the
    verb "unite"."""
    frame = frame_of(
        "Delta cancelled 7,000 flights, far more than the 3,000 flights United Airlines cancelled.",
        "3,000 flights",
    )
    assert (frame.owner, frame.event) == ("united airlines", "cancel")


def test_a_pronoun_after_the_counted_noun_is_the_name_it_stands_for() -> None:
    sentence = (
        "Although the Greens lead in 40 seats, far fewer than the 52 seats they had won in"
        " 2019, they will stay in office."
    )
    frame = frame_of(sentence, "52 seats")
    assert (frame.owner, frame.event, frame.period) == ("greens", "win", "prior")


@pytest.mark.parametrize(
    ("sentence", "figure", "scope"),
    [
        ("In Chile alone, 1,240 people died in the fires.", "1,240 people", "place:chile"),
        ("In Peru, officials said 310 homes were destroyed.", "310 homes", "place:peru"),
        ("In March, 310 homes were destroyed.", "310 homes", ""),
        ("In Chile and Peru, 1,240 people died.", "1,240 people", "place:chile and peru"),
    ],
)
def test_a_place_the_sentence_opens_with_is_the_scope_of_its_figures(
    sentence: str, figure: str, scope: str
) -> None:
    assert frame_of(sentence, figure).scope == scope


def test_a_figure_expected_by_someone_else_is_their_consensus() -> None:
    """ "$4.1 billion expected by FactSet": what others expect, not the company's own
    forecast (which "the company expects $4.3 billion" is)."""
    frame = frame_of("Sales: $4.2 billion vs. $4.1 billion expected by FactSet", "$4.1 billion")
    assert (frame.head, frame.modality) == ("sale", "consensus")
    own = frame_of("The company expects sales of $4.3 billion next quarter.", "$4.3 billion")
    assert own.modality == "forecast"


def test_a_quarter_is_no_place() -> None:
    """ "in Q3" (read as "Q" and "3") was the place "q"."""
    frame = frame_of("The firm reported revenue of $35.1 billion in Q3, up 94%.", "$35.1 billion")
    assert (frame.head, frame.scope) == ("revenue", "")


def test_a_court_named_after_with_is_stepped_over_to_the_dates_event() -> None:
    """ "filed a lawsuit with the Southern District of New York on Dec. 26": before, the
    court's name stood between the date and its event, and the date was dropped."""
    facts = facts_from_text(
        "The unions filed a lawsuit with the Eastern District of Texas on Dec. 26.",
        article_id="a",
        source="S",
        published_day=DAY,
    )
    (date,) = [f for f in facts if f.figure.kind.value == "date"]
    assert (date.frame.head, date.frame.event) == ("lawsuit", "file")


@pytest.mark.parametrize(
    "sentence",
    [
        "The storm struck Florida and Georgia on September 26.",
        "Nearly 200 people died after the storm that struck Florida on September 26.",
    ],
)
def test_a_name_between_the_verb_and_on_is_the_verbs_object_not_the_dates_end(
    sentence: str,
) -> None:
    """ "struck Florida on September 26": the date's own "on", then the verb's object;
    and "that struck" is a verb after a relative "that". Before, neither date was kept."""
    facts = facts_from_text(sentence, article_id="a", source="S", published_day=DAY)
    (date,) = [f for f in facts if f.figure.kind.value == "date"]
    assert (date.frame.head, date.frame.event) == ("storm", "strike")


def test_respectively_keeps_a_members_parenthesis_and_a_party_in_its_name() -> None:
    sentence = (
        "Their allies, the Farmers League (United) and the River Unity Party, who have 9 and"
        " 14 seats respectively."
    )
    assert frame_of(sentence, "9").owner == "farmers league"
    assert frame_of(sentence, "14 seats").owner == "river unity party"


@pytest.mark.parametrize(
    ("sentence", "figure", "head", "hedge"),
    [
        ("The club agreed a fee in excess of £45 million.", "£45 million", "fee", "more than"),
        ("The club made a bid in the region of €50m.", "€50m", "bid", "about"),
        ("Sales came to north of $2 billion.", "$2 billion", "sale", "more than"),
    ],
)
def test_a_hedge_of_several_words_is_no_noun_the_figure_is_of(
    sentence: str, figure: str, head: str, hedge: str
) -> None:
    """ "in excess of", "in the region of": before, the fact read "Excess" and
    "Region" as what the amount measures."""
    facts = facts_from_text(sentence, article_id="a", source="S", published_day=DAY)
    (fact,) = [f for f in facts if f.figure.text == figure]
    assert (fact.frame.head, fact.figure.hedge) == (head, hedge)


def test_what_a_forecaster_projects_to_move_is_what_the_figure_measures() -> None:
    """ "the bank projects economic growth to pick up to 0.9%": before, the frame had
    only the verb "pick"."""
    frame = frame_of("The bank projects economic growth to pick up to 0.9% in 2025.", "0.9%")
    assert (frame.head, frame.modality) == ("growth", "forecast")


def test_a_noun_after_the_and_before_a_verb_in_ed_is_its_subject() -> None:
    """ "The bank lowered rates by 50 basis points": "bank" can be a verb, but after
    "the" it is the subject; before, "bank lowered rates" was read as one noun."""
    frame = frame_of("The bank lowered rates by 50 basis points on Wednesday.", "50 basis points")
    assert (frame.head, frame.event, frame.aspect) == ("rate", "lower", "change")


def test_a_range_holds_the_level_of_what_the_verb_moved() -> None:
    sentence = "The bank cut its policy rate by a quarter point to a range of 4.25% to 4.5%."
    change, level = frame_of(sentence, "a quarter point"), frame_of(sentence, "4.25%")
    assert (change.head, change.aspect) == ("rate", "change")
    assert (level.head, level.aspect) == ("rate", "rate")


def test_a_counts_own_noun_is_counted_even_when_it_can_be_a_qualifier() -> None:
    """ "58 goals": "goal" is also a word of forecasts ("a goal of 2%"), which had left
    the count with no noun."""
    assert frame_of("The striker has 58 goals for his country.", "58 goals").head == "goal"
    assert frame_of("The bank met its goal of 2% inflation.", "2%").head != "goal"


def test_a_place_after_the_nouns_from_is_no_owner() -> None:
    """ "the death toll from Syria": where the figure is from, not whose it is; the
    noun is still what is counted ("revenue from China was $5 billion")."""
    toll = frame_of("The latest death toll from Syria was 5,900.", "5,900")
    assert (toll.owner, toll.scope, toll.head) == ("", "place:syria", "toll")
    assert frame_of("Revenue from China was $5 billion.", "$5 billion").head == "revenue"


def test_names_written_with_letters_beyond_ascii_are_one_word() -> None:
    """ "Nestlé", "Véliz": a name with an accented letter was cut in pieces ("V", "é",
    "liz"), and "liz" read as a common noun."""
    assert frame_of("Nestlé recalled 71 products.", "71 products").owner == "nestlé"
    fee = frame_of("They agreed to buy Alejo Véliz from Rosario Central for €15m.", "€15m")
    assert "liz" not in (fee.owner, fee.head, fee.mods, fee.scope)
    names, plain = proper_words("They signed Alejo Véliz and Müller, with Étienne.")
    assert {"véliz", "müller", "étienne"} <= names and "signed" in plain
    assert {"šefčovič", "łukasz"} <= proper_words("It met Šefčovič and Łukasz today.")[0]


def test_which_report_a_figure_is_makes_no_other_quantity() -> None:
    """ "the latest death toll" and "the death toll" count one thing: "latest" says
    which report, so it is no modifier that keeps them apart."""
    assert "late" not in frame_of("The latest death toll was 5,900.", "5,900").mods.split()
    assert frame_of("The revised forecast is 2.5%.", "2.5%").mods == ""


def test_an_adjective_before_of_is_no_noun_the_figure_measures() -> None:
    """ "fall short of the magic figure of 272", "20 ahead of the 272 needed": "short"
    and "ahead" are not what 272 counts."""
    assert frame_of("It fell short of the magic figure of 272.", "272").head == "figure"
    frame = frame_of("They won 293 seats, 20 ahead of the 272 needed to govern.", "272")
    assert frame.head != "ahead"


@pytest.mark.parametrize(
    ("sentence", "figure", "scope"),
    [
        # a list of places is both, not the first of them
        ("The quake kills more than 1,700 in Turkey and Syria", "1,700", "place:turkey and syria"),
        ("More than 5,500 deaths were confirmed in neighboring Syria.", "5,500 deaths",
         "place:syria"),
        ("The toll in southern Turkey rose to 35,418.", "35,418", "place:turkey"),
    ],
)  # fmt: skip
def test_a_place_is_read_past_its_adjective_and_as_a_whole_list(
    sentence: str, figure: str, scope: str
) -> None:
    frame = frame_of(sentence, figure)
    assert (frame.scope, frame.owner) == (scope, "")


def test_an_earlier_estimate_after_from_is_the_old_value_of_the_figure_before() -> None:
    """ "inflation to average 2.2% in 2025, up from a previous estimate of 2.0%": the
    2.2% is this round's figure (the words after it lead to the old one), and the
    2.0% is the old estimate of the same inflation, not a quantity called "estimate"."""
    sentence = (
        "The bank expects inflation to average 2.2% in 2025, up from a previous estimate of 2.0%."
    )
    new, old = frame_of(sentence, "2.2%"), frame_of(sentence, "2.0%")
    assert (new.head, new.modality, new.period) == ("inflation", "forecast", "")
    assert (old.head, old.modality, old.cue) == ("inflation", "forecast", "old")
    # an old value said with its own time is still of that time
    assert (
        frame_of("Revenue was $5 billion, up from $4 billion a year earlier.", "$4 billion").period
        == "prior"
    )


def test_an_old_value_after_from_keeps_the_year_it_is_of() -> None:
    """ "a decrease from the 67.1% turnout in the 2019 elections": the "from" no longer
    hides the earlier year, so the 2019 turnout stays apart from this one."""
    day = dt.date(2024, 6, 6)
    facts = facts_from_text(
        "This marks a decrease from the 67.1% turnout in the 2019 elections.",
        article_id="a", source="S", published_day=day,
    )  # fmt: skip
    assert [f.frame.period for f in facts] == ["prior"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Turnout fell short of the 2019 polls, when it stood at 67.4 per cent.",
        "It is lower than the 67.4 per cent turnout five years back.",
        "Turnout was 67.4 per cent three years ago.",
    ],
)
def test_a_figure_of_an_earlier_election_or_years_back_is_of_another_time(sentence: str) -> None:
    facts = facts_from_text(sentence, article_id="a", source="S", published_day=dt.date(2024, 6, 6))
    assert [f.frame.period for f in facts if f.figure.value == 67.4] == ["prior"]


def test_the_year_a_figure_is_of_is_its_when() -> None:
    """ "2.2% in 2025": this year or a later one is the figure's own year (an earlier one
    is another time, read as such)."""
    day = dt.date(2024, 6, 6)
    facts = facts_from_text(
        "Staff see inflation at 2.5% in 2024, 2.2% in 2025, and 1.9% in 2026.",
        article_id="a", source="S", published_day=day,
    )  # fmt: skip
    assert [f.frame.when for f in facts] == ["2024", "2025", "2026"]


def test_gaap_and_non_gaap_are_scopes_and_a_diluted_share_is_a_share() -> None:
    """ "GAAP earnings per share", "Non-GAAP earnings per diluted share": an acronym in
    capitals is the scope word itself (it was taken for a name and left out), and
    "per diluted share" is per share (its noun was "share")."""
    gaap = frame_of("GAAP earnings per share was $0.78.", "$0.78")
    assert (gaap.head, gaap.per, gaap.scope) == ("earnings", "share", "reported")
    adjusted = frame_of("Non-GAAP earnings per diluted share was $0.81.", "$0.81")
    assert (adjusted.head, adjusted.per, adjusted.scope) == ("earnings", "share", "adjusted")
    assert frame_of("American Airlines cut 1,200 flights.", "1,200 flights").scope == ""


def test_an_amount_with_no_noun_of_its_own_is_of_what_it_is_for() -> None:
    """ "and about $323 million for the plaintiffs' attorney fees": the fees are what
    the amount is; a name or "each" after "for" is whose it is or a unit instead."""
    sentence = "Damages include $150 million for fraud, and about $323 million for the plaintiffs’ attorney fees."
    assert frame_of(sentence, "$323 million").head == "fee"
    assert frame_of("They bought him for €15m.", "€15m").head == ""
    assert frame_of("Authors get $3,000 for each book.", "$3,000").head != "each"


def test_the_company_money_went_into_is_not_what_the_money_is() -> None:
    """ "invested $13 billion in OpenAI": OpenAI is where the money went, not the noun
    the amount measures (as "damage" in "$34 billion in damage" is)."""
    assert frame_of("Microsoft has invested $13 billion in OpenAI.", "$13 billion").head == ""
    assert frame_of("Microsoft holds a $13 billion stake in OpenAI.", "$13 billion").head == "stake"
    assert frame_of("The storm caused $34 billion in damage.", "$34 billion").head == "damage"
