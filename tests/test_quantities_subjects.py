"""Clashes only where two quantities are about the same thing (issue 19): decades and centuries
in the right century, names and formulas and ordinals not counts, the same subject and the same
event required, and the reason said."""

from __future__ import annotations

import pytest

from verify.text.quantities import clash, quantities


def _one(text: str):
    (q,) = quantities(text)
    return q


@pytest.mark.parametrize(
    "text, low, high",
    [
        ("founded at the end of the 80s", 1985, 1989),
        ("the end of the 1980s", 1985, 1989),
        ("in the 1980s", 1980, 1989),
        ("the nineteenth century", 1800, 1899),
        ("the 19th century", 1800, 1899),
        ("the twenty-first century", 2000, 2099),
        ("the early 1900s", 1900, 1949),
    ],
)
def test_decades_and_centuries_are_ranges_in_their_century(text, low, high) -> None:
    q = _one(text)
    assert (q.kind, q.low, q.high) == ("decade", low, high)


@pytest.mark.parametrize(
    "text", ["CO2 levels rose", "one of the largest", "COVID-19 spread", "the 3rd largest city"]
)
def test_names_formulas_ordinals_and_one_of_are_not_counts(text) -> None:
    assert quantities(text) == []


def test_durations_and_ranges() -> None:
    q = _one("within 35 years")
    assert (q.kind, q.unit) == ("duration", "year")
    r = _one("a rise of 10 to 15 feet")
    assert (r.low, r.high, r.unit) == (10, 15, "foot")


@pytest.mark.parametrize(
    "claim, passage",
    [
        ("Al-Qaeda was founded at the end of the 80s.", "Al-Qaeda was founded in 1988."),
        ("Al-Qaeda was founded at the end of the 80s.", "It was founded at the end of the 1980s."),
        (
            "Germany plans to send 650 German soldiers to Mali.",
            "About 200 soldiers already serve in the EU training mission.",
        ),
        ("CO2 levels rose by 40 percent.", "Methane levels rose by 2 percent."),
        ("At least 22 people died in the attack.", "Seven people were wounded in the attack."),
        ("The sea could rise by 10 to 15 feet.", "The sea could rise by 3.3 metres (11 ft)."),
    ],
)
def test_no_clash_between_different_things(claim, passage) -> None:
    assert clash(claim, passage) is None


def test_a_real_disagreement_is_marked_with_its_reason() -> None:
    found = clash("At least 22 people died in the attack.", "The attack left 21 dead.")
    assert found is not None and (found.claim, found.passage) == ("22", "21")
    assert found.reason() == "the claim says 22, this passage says 21, both about attack, death"
    assert found.as_dict()["reason"] == found.reason()
    century = clash(
        "The bridge was built in the nineteenth century.", "The bridge was built in 1750."
    )
    assert century is not None and century.passage == "1750"
