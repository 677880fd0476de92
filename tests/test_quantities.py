"""verify.text.quantities: numbers read as quantities, and clashes between a claim and a passage."""

import math

import pytest

from verify.text.quantities import clash, contexts, key, quantities, same_value


def one(text):
    found = quantities(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    "text,value",
    [
        ("22", 22),
        ("22.0", 22),
        ("twenty-two", 22),
        ("twenty two", 22),
        ("Twenty-Two", 22),
        ("3,000", 3000),
        ("3000", 3000),
        ("three thousand", 3000),
        ("1.2 million", 1_200_000),
        ("1,200,000", 1_200_000),
        ("one hundred and seventy", 170),
        ("a hundred", 100),
        ("half a million", 500_000),
        ("two dozen", 24),
        ("a dozen", 12),
        ("3,5", 3.5),
        ("1.200.000", 1_200_000),
        ("$5bn", 5e9),
        ("12k", 12_000),
    ],
)
def test_spellings_of_a_number(text, value):
    assert one(text).value == value


def test_spellings_are_the_same_value_and_key():
    for a, b in [("twenty-two", "22"), ("22.0", "22"), ("1.2 million", "1,200,000")]:
        assert same_value(a, b)
        assert key(one(a)) == key(one(b))
    assert not same_value("21", "22")
    assert key(one("12%")) == key(one("12 percent")) == key(one("12 per cent")) == "p12"
    assert key(one("in 2014")) == "y2014"
    assert key(one("12.5%")) == "p12d5"


def test_units_and_scale_words_are_kept():
    q = one("650 German soldiers")
    assert (q.text, q.value, q.unit, q.kind) == ("650", 650, "soldier", "count")
    q = one("1.2 million people")
    assert (q.text, q.unit) == ("1.2 million", "people")
    assert one("170 hostages").unit == one("one hundred and seventy hostages").unit == "hostage"
    assert one("22 of the hostages").unit == "hostage"
    assert one("3 attacks").unit == "attack"
    assert one("21 died").unit is None  # a verb is not what a number counts


def test_kinds():
    assert one("12%").kind == "percent"
    assert one("12 percent").kind == "percent"
    assert one("$5 million").kind == "money" and one("$5 million").unit == "$"
    assert one("5 million euros").unit == "€"
    assert one("ISIS was founded in 2014").kind == "year"
    decade = one("the end of the 1980s")
    assert (decade.kind, decade.low, decade.high) == ("decade", 1985, 1989)
    date = quantities("on 20 November 2015")
    assert [(q.kind, q.value) for q in date] == [("date", 20), ("year", 2015)]
    assert one("November 20").unit == one("20 Nov").unit == "month11"
    assert one("20 May").kind == "date"


def test_bounds_become_intervals():
    q = one("at least 22 people")
    assert (q.text, q.bound, q.low, q.high) == ("22", "at_least", 22, math.inf)
    assert one("more than 100").low > 100
    assert one("fewer than 100").high < 100
    assert one("up to 650 troops").high == 650 and one("up to 650 troops").low == -math.inf
    about = one("about 650")
    assert about.low == pytest.approx(585) and about.high == pytest.approx(715)
    nearly = one("nearly 1,000")
    assert nearly.low == pytest.approx(900) and nearly.high == 1000
    assert one("two dozen").bound == "about"  # a round figure
    scaled = one("1.2 million")
    assert scaled.low == pytest.approx(1_150_000) and scaled.high == pytest.approx(1_250_000)


def test_agreement():
    at_least_22 = one("at least 22")
    assert not at_least_22.agrees(one("21"))
    assert at_least_22.agrees(one("25"))
    assert at_least_22.agrees(one("22"))
    assert one("two dozen").agrees(one("22"))
    assert not one("650").agrees(one("500"))
    assert one("1.2 million").agrees(one("1,210,000"))


def test_words_that_are_not_numbers():
    assert quantities("one of the gunmen fled") == []
    assert quantities("a man was arrested") == []
    assert quantities("No numbers here at all.") == []


def test_offsets_point_into_the_text():
    text = "Officials said at least twenty-two people died."
    q = one(text)
    assert text[q.start : q.end] == "twenty-two" == q.text


CLAIM = "At least 22 people died in the attack."


@pytest.mark.parametrize(
    "passage,expected",
    [
        ("21 people died in the attack.", ("22", "21")),
        ("The death toll rose to 21.", ("22", "21")),
        ("Twenty-one people were killed in the attack.", ("22", "Twenty-one")),
        ("Seven people were wounded and 21 died.", ("22", "21")),
        ("Gunmen killed 21 and wounded seven.", ("22", "21")),
        ("Seven people were wounded.", None),  # wounded is not died
        ("25 people died.", None),  # at least 22: 25 is fine
        ("22 people died, including 2 attackers.", None),
        ("Gunmen held 170 hostages.", None),  # another thing
        ("Twenty-two people were killed.", None),
    ],
)
def test_clash(passage, expected):
    found = clash(CLAIM, passage)
    if expected is None:
        assert found is None, found
    else:
        assert found is not None and (found.claim, found.passage) == expected
        assert found.as_dict()["claim"] == expected[0]
        assert "death" in found.about


def test_clash_on_years_dates_and_units():
    assert clash("ISIS was founded in 2014.", "ISIS was founded in 2013.").passage == "2013"
    assert clash("ISIS was founded in 2014.", "In 2013 the group attacked a hotel.") is None
    assert (
        clash("Al-Qaeda was founded at the end of the 1980s.", "Al-Qaeda was founded in 1988.")
        is None
    )
    assert clash("Al-Qaeda was founded at the end of the 1980s.", "Al-Qaeda was founded in 1995.")
    assert (
        clash(
            "Germany will send 650 soldiers to Mali.", "Germany will send up to 650 troops to Mali."
        )
        is None
    )
    assert (
        clash(
            "Germany will send 650 soldiers to Mali.", "Germany will send 500 troops to Mali."
        ).passage
        == "500"
    )
    assert (
        clash(
            "Germany will send 650 soldiers to Mali.",
            "Germany will send 650 million euros to Mali.",
        )
        is None
    )
    assert (
        clash("The attack began on 20 November.", "The attack began on 21 November.").passage
        == "21"
    )
    # the same day in another month is a different date (the month is the name that differs)
    assert clash("The attack began on 20 November.", "The attack began on 20 October.").passage == (
        "October"
    )
    assert clash("Unemployment fell to 3.9 percent.", "Unemployment fell to 4.1%.").passage == "4.1"
    assert clash("Unemployment fell to 3.9 percent.", "Unemployment fell to 3.9%.") is None


def test_contexts_split_at_and():
    text = "Seven people were wounded and 21 died."
    wounded, died = contexts(text)
    assert "injury" in wounded and "death" not in wounded
    assert "death" in died and "injury" not in died


def test_year_of_another_named_thing_is_no_clash():
    assert (
        clash("ISIS was founded in 2014.", "Al-Qaeda was founded at the end of the 1980s.") is None
    )
    assert clash("ISIS was founded in 2014.", "ISIS was founded in 2013.") is not None


@pytest.mark.parametrize(
    "claim,passage,expected",
    [
        (
            "The attack was claimed by Al-Mourabitoun.",
            "The attack was claimed by Ansar Dine on Saturday.",
            ("Al-Mourabitoun", "Ansar Dine"),
        ),
        (
            "The hotel is owned by the Rezidor Hotel Group.",
            "The hotel is owned by Carlson, an American company.",
            ("Rezidor Hotel Group", "Carlson"),
        ),
        (
            "At least 22 people died in Bamako, Mali.",
            "At least 22 people died in Niamey, Niger.",
            ("Bamako", "Niamey"),
        ),
        (
            "The siege ended on Friday.",
            "The siege ended on Saturday, officials said.",
            ("Friday", "Saturday"),
        ),
        # not clashes: a shorter form of the same name, an adjective, another subject
        ("President Ibrahim Boubacar Keita spoke.", "President Keita spoke.", None),
        (
            "Gunmen stormed a hotel in Bamako.",
            "Troops surrounded the hotel in the Malian capital.",
            None,
        ),
        ("Ansar Dine was founded in 2012.", "Al-Mourabitoun was founded in 2012.", None),
        ("The attack was claimed by Al-Mourabitoun.", "Al-Mourabitoun claimed the attack.", None),
    ],
)
def test_name_clash(claim, passage, expected):
    found = clash(claim, passage)
    if expected is None:
        assert found is None, found
    else:
        assert found is not None and (found.claim, found.passage) == expected
