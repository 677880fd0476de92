"""Numbers in text, read as quantities; and whether two texts give different ones for the same thing.

Pure: no database, no network. `quantities(text)` finds every number a reader would see, in any
spelling ("22", "22.0", "twenty-two", "two dozen", "1.2 million", "1,200,000", "12 percent",
"$5bn", "the 1980s", "20 November"), and keeps with it what it counts (the noun after it, so
"650 German soldiers" counts soldiers) and how it is bounded ("at least 22" is 22 or more, "about
650" is within ten percent, "two dozen" is a round figure). Every quantity is an interval
[low, high]: two quantities agree when their intervals meet.

`clash(claim, passage)` says whether a passage speaks of the same thing as a claim but gives a
number, year or date that cannot be the claim's: "21 people died" against "At least 22 people
died" clashes; "Seven people were wounded" does not (wounded is not died). "The same thing" is
judged from the words around each number, with a small table of synonyms (died, killed, dead,
death toll are one idea; wounded and injured another)."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from verify.text.aliases import fold_aliases
from verify.text.lemmas import lemma

# --------------------------------------------------------------------------- vocabulary

_ONES = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
    "trillion": 1_000_000_000_000,
}
_SUFFIX_SCALES = {"k": 1_000, "m": 1_000_000, "mn": 1_000_000, "bn": 1_000_000_000, "b": 1e9}
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "january february march april may june july august september october november december".split()
    )
}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
del _MONTHS["may"]  # "may" is a verb far more often than a month after a number ...
_MAY = "may"  # ... but "20 May" and "May 20" are still dates (handled where adjacent)
_CURRENCIES = {
    "$": "$",
    "us$": "$",
    "€": "€",
    "£": "£",
    "dollars": "$",
    "euros": "€",
    "pounds": "£",
}
_CURRENCIES.update({"dollar": "$", "euro": "€", "usd": "$", "eur": "€", "gbp": "£"})

# Bounds written before a number: words -> bound kind.
_BOUNDS: dict[tuple[str, ...], str] = {
    ("at", "least"): "at_least",
    ("no", "fewer", "than"): "at_least",
    ("no", "less", "than"): "at_least",
    ("not", "less", "than"): "at_least",
    ("a", "minimum", "of"): "at_least",
    ("more", "than"): "more_than",
    ("over",): "more_than",
    ("above",): "more_than",
    ("upwards", "of"): "more_than",
    ("in", "excess", "of"): "more_than",
    ("exceeding",): "more_than",
    ("at", "most"): "at_most",
    ("up", "to"): "at_most",
    ("no", "more", "than"): "at_most",
    ("a", "maximum", "of"): "at_most",
    ("fewer", "than"): "less_than",
    ("less", "than"): "less_than",
    ("under",): "less_than",
    ("below",): "less_than",
    ("nearly",): "nearly",
    ("almost",): "nearly",
    ("close", "to"): "nearly",
    ("just", "under"): "nearly",
    ("about",): "about",
    ("around",): "about",
    ("approximately",): "about",
    ("roughly",): "about",
    ("some",): "about",
    ("an", "estimated"): "about",
    ("estimated",): "about",
    ("circa",): "about",
    ("approx",): "about",
}
_BOUND_MAX = max(len(k) for k in _BOUNDS)
_ORDINALS = {
    w: i + 1
    for i, w in enumerate(
        """first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth
        thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth
        twentieth""".split()
    )
}
_ORDINAL_SUFFIXES = frozenset(("st", "nd", "rd", "th"))
# A number of these is a duration, compared only with a duration in the same unit.
_TIME_UNITS = frozenset(
    """second seconds minute minutes hour hours day days week weeks month months year years
    decade decades century centuries""".split()
)
# Words before "the 1980s" / "the nineteenth century" that narrow it: (from, to) as shares of it.
_PERIOD_PARTS: dict[tuple[str, ...], tuple[float, float]] = {
    ("early",): (0.0, 0.5),
    ("beginning", "of"): (0.0, 0.5),
    ("start", "of"): (0.0, 0.5),
    ("mid",): (0.2, 0.8),
    ("middle", "of"): (0.2, 0.8),
    ("late",): (0.5, 1.0),
    ("end", "of"): (0.5, 1.0),
    ("turn", "of"): (0.8, 1.0),
}
ABOUT = 0.1  # "about 650" means 585-715
_YEAR_BEFORE = frozenset(
    "in since by until till from of before after during year early late mid".split()
)

# Function words (evidence.py ranks passages without them too).
COMMON_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    said says say according per cent percent""".split()
)
# ...and the words around a number that do not say what it counts.
STOPWORDS = COMMON_WORDS | frozenset(
    """least than including nearly almost around roughly approximately estimated year years
    month months day days week weeks time times total number last first since ago were being
    another""".split()
)
# Words between a number and the noun it counts ("650 armed German soldiers").
_ADJECTIVES = frozenset(
    """more other new additional armed foreign local international national regional extra
    young old civilian elderly unarmed injured further separate different major minor small large
    big suspected alleged confirmed registered full part total""".split()
)

# Words that mean one thing for the purpose of "is this the same thing?".
_GROUPS = {
    "death": """die died dies dying dead death deaths kill killed killing killings fatality
        fatalities toll perish perished slain lives lost""",
    "injury": "wound wounded wounds wounding injure injured injuries injury hurt casualties casualty",
    "people": "people person persons individuals individual",
    "soldier": "soldier soldiers troop troops servicemen personnel",
    "hostage": "hostage hostages captive captives held seized",
    "attack": "attack attacks attacked assault assaults raid raids strike strikes",
    "attacker": "gunmen gunman attacker attackers assailant assailants militants militant",
    "found": "found founded founding formed established establish created create",
    "increase": "rise rose risen rising increase increased increases grew grow grown up",
    "decrease": "fall fell fallen falling decrease decreased decline declined drop dropped down",
    "money": "cost costs spent spend spending budget funding funds",
    "percent": "percent percentage pct per cent",
}
_GROUP_OF = {w: g for g, words in _GROUPS.items() for w in words.split()}
# Shared ideas that on their own say two counts are about the same event (a toll, hostages).
_EVENT_GROUPS = frozenset(("death", "injury", "hostage", "attack", "attacker", "soldier"))
# What a toll counts: two counts of different ones of these are two facts ("22 died" / "seven
# were wounded"), whatever else they share.
_COUNTED_EVENTS = frozenset(("death", "injury", "hostage"))

_TOKEN = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)*)|(?P<word>[^\W\d_]+(?:['\u2019][^\W\d_]+)*)|(?P<sym>US\$|[$€£%])",
    re.UNICODE,
)
_SENTENCE_END = re.compile(r"[.!?;:]\s|[.!?]$|\n")


def stem(word: str) -> str:
    """The word's dictionary form (verify.text.lemmas): 'killed' -> 'kill', 'causes' -> 'cause'."""
    return lemma(word)


@functools.lru_cache(maxsize=65536)
def concept(word: str) -> str:
    """The idea a word stands for: synonyms share one ('killed', 'dead' -> 'death'), others
    their lemma."""
    low = word.lower().replace("\u2019", "'")
    return _GROUP_OF.get(low) or _GROUP_OF.get(stem(low)) or stem(low)


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class _Tok:
    text: str
    low: str
    kind: str  # num, word, sym
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "word"
        tok = m.group(0)
        out.append(_Tok(tok, tok.lower(), kind, m.start(), m.end()))
    return out


def _split_hyphens(text: str) -> list[_Tok]:
    """Tokens, with hyphenated words split into their parts ('twenty-two' -> 'twenty', 'two')."""
    return _tokens(text.replace("-", " ").replace("\u2010", " ").replace("\u2013", " "))


# --------------------------------------------------------------------------- quantities


@dataclass(frozen=True)
class Quantity:
    """One number in a text. `text` is the number as written, without its bound ("22" from
    "at least 22", "1.2 million", "twenty-two"); [low, high] the values it allows."""

    text: str
    value: float
    low: float
    high: float
    bound: str  # exact, at_least, more_than, at_most, less_than, nearly, about
    kind: str  # count, percent, money, year, decade, date
    unit: str | None  # what it counts, as a concept ("people", "soldier"); currency; month
    start: int
    end: int

    def agrees(self, other: Quantity) -> bool:
        """Can both be true at once? (their intervals meet)"""
        return self.low <= other.high + 1e-9 * abs(other.high) and (
            other.low <= self.high + 1e-9 * abs(self.high)
        )


_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")
_DOT_THOUSANDS = re.compile(r"\d{1,3}(\.\d{3}){2,}")
_PLAIN = re.compile(r"\d+(\.\d+)?")
_INTEGER = re.compile(r"\d+")
_NOT_SPACE = re.compile(r"[^\s\-]")
_NOT_SPACE_OR_CURRENCY = re.compile(r"[^\s\-$€£]")


def _parse_digits(tok: str) -> tuple[float, int] | None:
    """'3,000' -> (3000, 0); '22.0' -> (22.0, 1); '1.2' -> (1.2, 1); '3,5' -> (3.5, 1).
    The second item is the number of decimals written."""
    if _PLAIN.fullmatch(tok):
        core = tok
    elif _THOUSANDS.fullmatch(tok):
        core = tok.replace(",", "")
    elif _DECIMAL_COMMA.fullmatch(tok):
        core = tok.replace(",", ".")  # a decimal comma
    elif _DOT_THOUSANDS.fullmatch(tok):
        core = tok.replace(".", "")  # 1.200.000
    else:
        return None
    decimals = len(core.split(".", 1)[1]) if "." in core else 0
    return float(core), decimals


def _word_number(toks: list[_Tok], i: int) -> tuple[float, int, bool, bool] | None:
    """A number in words starting at toks[i]: (value, next index, round, approximate).
    'twenty two thousand', 'a hundred', 'two dozen', 'one hundred and seventy'. 'one' and 'a'
    alone are not numbers (too often pronoun and article)."""
    total, current, j, words = 0.0, 0.0, i, 0
    approximate = False
    seen_scale = False
    n = len(toks)
    while j < n:
        low = toks[j].low
        if toks[j].kind != "word":
            break
        if low in _ONES:
            if current % 100 and current % 10 == 0 and current % 100 >= 20 and _ONES[low] < 10:
                current += _ONES[low]  # twenty two
            elif current % 100 == 0:
                current += _ONES[low]
            else:
                break
        elif low in _TENS:
            if current % 100:
                break
            current += _TENS[low]
        elif (
            low == "a"
            and j + 1 < n
            and toks[j + 1].low in ("hundred", "thousand", "million", "billion", "dozen")
        ):
            current += 1
        elif low == "half" and j + 1 < n and toks[j + 1].low in ("a",):
            if j + 2 < n and toks[j + 2].low in _SCALES:
                total += 0.5 * _SCALES[toks[j + 2].low]
                j += 3
                words += 3
                seen_scale = True
                break
            break
        elif low == "dozen" and (words or current):
            current = (current or 1) * 12
            approximate = True
        elif low in _SCALES and (words or current):
            scale = _SCALES[low]
            seen_scale = True
            if scale == 100:
                current = (current or 1) * 100
            else:
                total += (current or 1) * scale
                current = 0
        elif (
            low == "and"
            and words
            and j + 1 < n
            and (toks[j + 1].low in _ONES or toks[j + 1].low in _TENS)
        ):
            pass
        else:
            break
        words += 1
        j += 1
    if not words:
        return None
    value = total + current
    if words == 1 and toks[i].low in ("one", "a", "zero"):
        return None
    if value == 0 and toks[i].low != "zero":
        return None
    return value, j, seen_scale, approximate


def _bound_before(toks: list[_Tok], i: int, text: str) -> str:
    for size in range(_BOUND_MAX, 0, -1):
        if i - size < 0:
            continue
        words = tuple(t.low for t in toks[i - size : i])
        if words in _BOUNDS and not _punct_between(text, toks[i - size : i + 1]):
            return _BOUNDS[words]
    return "exact"


def _punct_between(text: str, toks: list[_Tok]) -> bool:
    return any(
        re.search(r"[^\s\-$€£]", text[a.end : b.start])
        for a, b in zip(toks, toks[1:], strict=False)
    )


def _gap_ok(text: str, a: _Tok, b: _Tok) -> bool:
    return a.end == b.start or not _NOT_SPACE.search(text, a.end, b.start)


def _unit_after(toks: list[_Tok], j: int, text: str) -> tuple[str | None, int]:
    """The noun a number counts: the first ordinary word after it, skipping adjectives, names
    and 'of the'. Returns (concept or None, index after the unit)."""
    k = j
    prev = toks[j - 1] if j > 0 else None
    for _ in range(4):
        if k >= len(toks) or (prev is not None and not _gap_ok(text, prev, toks[k])):
            return None, j
        tok = toks[k]
        if tok.kind != "word":
            return None, j
        if tok.low in ("of", "the") and k + 1 < len(toks):
            prev, k = tok, k + 1
            continue
        if tok.text[0].isupper() or tok.low in _ADJECTIVES:
            prev, k = tok, k + 1
            continue
        if tok.low in STOPWORDS or tok.low in _SCALES or tok.low.endswith("ed"):
            return None, j
        if tok.low in _CURRENCIES:
            return None, j
        return concept(tok.low), k + 1
    return None, j


def _interval(value: float, bound: str, spread: float) -> tuple[float, float]:
    lo, hi = value - spread, value + spread
    if bound == "at_least":
        return value, math.inf
    if bound == "more_than":
        return value + max(spread, 1e-9), math.inf
    if bound == "at_most":
        return -math.inf, value
    if bound == "less_than":
        return -math.inf, value - max(spread, 1e-9)
    if bound == "nearly":
        return value * (1 - ABOUT), value
    if bound == "about":
        return min(lo, value * (1 - ABOUT)), max(hi, value * (1 + ABOUT))
    return lo, hi


def quantities(text: str) -> list[Quantity]:
    """Every number in text, in order, as a Quantity. Offsets point into text."""
    toks = _split_hyphens(text)
    out: list[Quantity] = []
    i = 0
    n = len(toks)
    while i < n:
        tok = toks[i]
        parsed = None
        spread = 0.0
        approximate = False
        written_scale = False
        scale: float
        if tok.kind == "num" and _glued_to_name(toks, i, text):
            i += 1  # "CO2", "H2O", "G7", "COVID-19": part of a name or formula, not a count
            continue
        century = _century(toks, i, text)
        if century is not None:
            number, j = century
            lo, hi = _period_part(toks, i, (number - 1) * 100, (number - 1) * 100 + 99)
            out.append(
                Quantity(
                    text[tok.start : toks[j - 1].end],
                    lo,
                    lo,
                    hi,
                    "exact",
                    "decade",
                    None,
                    tok.start,
                    toks[j - 1].end,
                )
            )
            i = j
            continue
        if (
            tok.kind == "num"
            and i + 1 < n
            and toks[i + 1].low in _ORDINAL_SUFFIXES
            and toks[i + 1].start == tok.end
            and not (i + 2 < n and (toks[i + 2].low in _MONTHS or toks[i + 2].low == _MAY))
            and not (i > 0 and (toks[i - 1].low in _MONTHS or toks[i - 1].low == _MAY))
        ):
            i += 2  # "the 3rd largest", "19th": an ordinal, not a count (dates are read below)
            continue
        if tok.kind == "num":
            found = _parse_digits(tok.text)
            if found is None:
                i += 1
                continue
            value, decimals = found
            j = i + 1
            if j < n and toks[j].low in _ORDINAL_SUFFIXES and toks[j].start == tok.end:
                j += 1  # "20th November": the date is read below
            if j < n and toks[j].low in _SCALES and _gap_ok(text, tok, toks[j]):
                scale = _SCALES[toks[j].low]
                spread = 0.5 * 10**-decimals * scale if decimals else 0.0
                value *= scale
                written_scale = True
                j += 1
            elif j < n and toks[j].low in _SUFFIX_SCALES and toks[j].start == tok.end:
                scale = _SUFFIX_SCALES[toks[j].low]
                spread = 0.5 * 10**-decimals * scale if decimals else 0.0
                value *= scale
                written_scale = True
                j += 1
            parsed = (value, j)
        elif tok.kind == "word" and (
            tok.low in _ONES or tok.low in _TENS or tok.low in ("a", "half")
        ):
            found_words = _word_number(toks, i)
            if found_words is not None:
                value, j, written_scale, approximate = found_words
                parsed = (value, j)
        if parsed is None:
            i += 1
            continue
        value, j = parsed
        start, end = tok.start, toks[j - 1].end
        surface = text[start:end] if end <= len(text) else tok.text
        bound = _bound_before(toks, i, text)
        if approximate and bound == "exact":
            bound = "about"
        kind, unit = "count", None
        # currency before: "$5", "US$ 3 million"
        if i > 0 and toks[i - 1].low in _CURRENCIES and toks[i - 1].kind == "sym":
            kind, unit = "money", _CURRENCIES[toks[i - 1].low]
        # percent after
        if j < n and toks[j].low == "%" and _gap_ok(text, toks[j - 1], toks[j]):
            kind, unit, end, j = "percent", "%", toks[j].end, j + 1
        elif j < n and toks[j].low in ("percent", "pct", "percentage"):
            kind, unit, end, j = "percent", "%", toks[j].end, j + 1
        elif j + 1 < n and toks[j].low == "per" and toks[j + 1].low == "cent":
            kind, unit, end, j = "percent", "%", toks[j + 1].end, j + 2
        elif kind == "count" and j < n and toks[j].low in _CURRENCIES and toks[j].kind == "word":
            kind, unit = "money", _CURRENCIES[toks[j].low]
            j += 1
        is_integer = tok.kind == "num" and _INTEGER.fullmatch(tok.text) is not None
        # decades: "the 1980s"
        if (
            kind == "count"
            and is_integer
            and not written_scale
            and j < n
            and toks[j].low == "s"
            and toks[j].start == tok.end
            and value % 10 == 0
        ):
            if value < 100:  # "the 80s": 1980-1989; "the 20s": the 1920s or the 2020s
                first = value + 1900
                last = first + 9 if value >= 30 else value + 2009
            else:
                span = 100 if value % 100 == 0 else 10  # the 1900s: the century
                first, last = value, value + span - 1
            first, last = _period_part(toks, i, first, last)
            out.append(
                Quantity(
                    tok.text + "s",
                    first,
                    first,
                    last,
                    "exact",
                    "decade",
                    None,
                    start,
                    toks[j].end,
                )
            )
            i = j + 1
            continue
        # dates: "20 November", "November 20", "20 May"
        month = None
        if kind == "count" and is_integer and 1 <= value <= 31 and not written_scale:
            if (
                j < n
                and (toks[j].low in _MONTHS or toks[j].low == _MAY)
                and _gap_ok(text, toks[j - 1], toks[j])
            ):
                month = toks[j].low
            elif (
                i > 0
                and (toks[i - 1].low in _MONTHS or toks[i - 1].low == _MAY)
                and _gap_ok(text, toks[i - 1], tok)
            ):
                month = toks[i - 1].low
        if month is not None:
            number = _MONTHS.get(month, 5)
            out.append(
                Quantity(
                    surface, value, value, value, "exact", "date", f"month{number}", start, end
                )
            )
            i = j
            continue
        if (
            kind == "count"
            and j < n
            and toks[j].low in _TIME_UNITS
            and _gap_ok(text, toks[j - 1], toks[j])
        ):
            kind, unit = "duration", lemma(toks[j].low)
        elif kind == "count":
            unit, after = _unit_after(toks, j, text)
            year_like = is_integer and len(tok.text) == 4 and 1500 <= value <= 2100
            if year_like and not written_scale and bound == "exact":
                if unit is None or (i > 0 and toks[i - 1].low in _YEAR_BEFORE):
                    kind, unit = "year", None
        upper = None
        if (
            kind == "count"
            and unit is None
            and j + 1 < n
            and toks[j].low in ("to", "and", "or")
            and toks[j + 1].kind == "num"
        ):
            # a range, "10 to 15 feet", "between 200 and 270 cm": one quantity, its unit after
            second = _parse_digits(toks[j + 1].text)
            if second is not None and second[0] >= value:
                upper = second[0]
                unit, _after = _unit_after(toks, j + 2, text)
                if j + 2 < n and toks[j + 2].low in _TIME_UNITS:
                    kind, unit = "duration", lemma(toks[j + 2].low)
                end = toks[j + 1].end
                j += 2
        lo, hi = _interval(value, bound, spread)
        if kind == "year":
            lo, hi = _interval(value, bound, 0.0)
        if upper is not None:
            hi = max(hi, upper)
        out.append(Quantity(surface.strip(), value, lo, hi, bound, kind, unit, start, end))
        i = j
    return out


def _glued_to_name(toks: list[_Tok], i: int, text: str) -> bool:
    """A figure written onto letters before it ("CO2", "G7") or hyphened onto a capitalised word
    ("COVID-19", "F-16")."""
    if i == 0 or toks[i - 1].kind != "word":
        return False
    prev, tok = toks[i - 1], toks[i]
    if prev.end == tok.start:
        return True
    return (
        prev.end + 1 == tok.start
        and text[prev.end] in "-\u2010"
        and any(ch.isupper() for ch in prev.text)
        and prev.low not in _MONTHS
    )


def _century(toks: list[_Tok], i: int, text: str) -> tuple[int, int] | None:
    """'the nineteenth century', 'the 19th century', 'the twenty-first century': (the
    century's number, index after 'century'), else None."""
    n = len(toks)
    tok = toks[i]
    j = None
    number = 0
    if tok.kind == "num" and i + 2 < n and toks[i + 1].low in _ORDINAL_SUFFIXES:
        if toks[i + 1].start == tok.end and tok.text.isdigit():
            number, j = int(tok.text), i + 2
    elif tok.low in _ORDINALS:
        number, j = _ORDINALS[tok.low], i + 1
    elif tok.low in _TENS and i + 1 < n and toks[i + 1].low in _ORDINALS:
        number, j = _TENS[tok.low] + _ORDINALS[toks[i + 1].low], i + 2
    if j is None or j >= n or toks[j].low not in ("century", "centuries") or not 1 <= number <= 30:
        return None
    return number, j + 1


def _period_part(toks: list[_Tok], i: int, first: float, last: float) -> tuple[float, float]:
    """Narrow a decade or century by the words before its 'the': 'the end of the 80s' is
    1986-1989, 'the early 1900s' 1900-1939, 'the mid-1990s' 1993-1997."""
    k = i - 1
    if k >= 0 and toks[k].low in ("early", "mid", "late"):
        words: tuple[str, ...] = (toks[k].low,)
    else:
        if k >= 0 and toks[k].low == "the":
            k -= 1
        words = tuple(t.low for t in toks[max(0, k - 1) : k + 1])
        if k >= 0 and toks[k].low in ("early", "mid", "late"):
            words = (toks[k].low,)
    part = _PERIOD_PARTS.get(words)
    if part is None:
        return first, last
    width = last - first + 1
    lo = first + math.floor(part[0] * width)
    hi = first + math.ceil(part[1] * width) - 1
    return float(lo), float(max(lo, hi))


def same_value(a: str, b: str) -> bool:
    """Do two written numbers mean the same amount? ('twenty-two' and '22.0' do)."""
    qa, qb = quantities(a), quantities(b)
    return bool(qa and qb) and qa[0].value == qb[0].value and qa[0].kind == qb[0].kind


def key(q: Quantity) -> str:
    """A search key for a quantity, the same for every spelling: 'n22', 'p12d5' (12.5%),
    'y2014', 'm5000000' ($5 million). Letters and digits only, so a full-text index keeps it whole."""
    prefix = {"percent": "p", "year": "y", "decade": "y", "money": "m", "date": "d"}.get(
        q.kind, "n"
    )
    value = q.value
    text = str(int(value)) if float(value).is_integer() else f"{value:.6g}"
    return prefix + text.replace(".", "d").replace("-", "minus").replace("+", "")


# --------------------------------------------------------------------------- same thing, clash

WINDOW = 6  # words either side of a number that say what it is about


def _sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    start = 0
    for m in _SENTENCE_END.finditer(text, 0, pos):
        start = m.end()
    end = _SENTENCE_END.search(text, pos)
    return start, (end.start() + 1 if end else len(text))


_DIVIDER = re.compile(r"[,;]|\b(?:and|but|while|whereas|as well as)\b", re.IGNORECASE)


def contexts(text: str, found: list[Quantity] | None = None) -> list[frozenset[str]]:
    """For each quantity of text (in order), the concepts of the ordinary words near it inside
    its sentence, its unit included. Words between two numbers are split at a comma or 'and'
    ("Seven people were wounded and 21 died": wounded goes with seven, died with 21); with no
    such divider both numbers share them."""
    found = quantities(text) if found is None else found
    out = []
    for idx, q in enumerate(found):
        lo, hi = _sentence_bounds(text, q.start)
        if idx > 0 and found[idx - 1].end > lo:
            prev_end = found[idx - 1].end
            dividers = list(_DIVIDER.finditer(text, prev_end, q.start))
            lo = dividers[-1].end() if dividers else prev_end
        if idx + 1 < len(found) and found[idx + 1].start < hi:
            next_start = found[idx + 1].start
            divider = _DIVIDER.search(text, q.end, next_start)
            hi = divider.start() if divider else next_start
        before = [t for t in _tokens(text[lo : q.start]) if t.kind == "word"]
        after = [t for t in _tokens(text[q.end : max(hi, q.end)]) if t.kind == "word"]
        words = [t.low for t in before[::-1] if _plain(t.low)][:WINDOW]
        words += [t.low for t in after if _plain(t.low)][:WINDOW]
        concepts = {concept(w) for w in words}
        if q.unit and q.kind == "count":
            concepts.add(q.unit)
        out.append(frozenset(concepts))
    return out


def _plain(low: str) -> bool:
    return (
        len(low) > 1
        and low not in STOPWORDS
        and low not in _ONES
        and low not in _TENS
        and low not in _SCALES
        and low not in _MONTHS
        and low not in ("dozen", _MAY)
    )


@dataclass(frozen=True)
class Clash:
    claim: str  # the claim's number as written ("22")
    passage: str  # the passage's ("21")
    about: tuple[str, ...]  # the shared words that make it the same thing

    def reason(self) -> str:
        """Why this is a clash, in one line: the two figures and what makes them the same thing."""
        about = ", ".join(self.about) if self.about else "the same thing"
        return f"the claim says {self.claim}, this passage says {self.passage}, both about {about}"

    def as_dict(self) -> dict[str, object]:
        return {
            "claim": self.claim,
            "passage": self.passage,
            "about": list(self.about),
            "reason": self.reason(),
        }


_GENERIC_UNIT = "people"


def _comparable(a: Quantity, b: Quantity) -> bool:
    kinds = {a.kind, b.kind}
    if kinds <= {"year", "decade"}:
        return True
    if a.kind != b.kind:
        return False
    if a.kind in ("money", "date", "duration"):
        return a.unit == b.unit
    if a.kind == "count" and a.unit and b.unit and a.unit != b.unit:
        # "people" counts whoever the sentence is about: "21 dead" / "22 people died"
        return _GENERIC_UNIT in (a.unit, b.unit)
    return True


def _about(ca: frozenset[str], a: Quantity, cb: frozenset[str], b: Quantity) -> frozenset[str]:
    """What makes two quantities the same thing: shared context beyond a shared unit."""
    shared = ca & cb
    if a.unit and a.unit == b.unit:
        shared = shared - {a.unit}
    return shared


_NAME = re.compile(
    r"(?<![\w'\u2019-])[A-Z][\w'\u2019]*(?:-[\w'\u2019]+)*(?:\s+(?:(?:al|bin|de|du|van|von|of|la)[-\s]+)?[A-Z][\w'\u2019]*(?:-[\w'\u2019]+)*)*"
)
_FRAME_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_NOT_NAMES = frozenset({"may"})  # days and months are names here: "on Friday" vs "on Saturday"
_ARTICLES = frozenset({"the", "a", "an"})


def _names(text: str) -> list[tuple[str, int, int]]:
    """Capitalised names in text, (name, start, end). A single capitalised word opening a
    sentence is left out (it is usually an ordinary word) unless it is an acronym, hyphenated,
    or capitalised elsewhere in the text too."""
    out = []
    for m in _NAME.finditer(text):
        name = m.group(0)
        before = text[max(0, m.start() - 3) : m.start()].strip()
        opening = m.start() == 0 or not before or before[-1] in '.!?"\u201c:'
        if name.lower() in STOPWORDS or name.lower() in _NOT_NAMES:
            continue
        if opening and " " not in name and not (name.isupper() or "-" in name):
            again = re.search(r"(?<=[\w,;] )" + re.escape(name) + r"\b", text)
            if again is None:
                continue
        out.append((name, m.start(), m.end()))
    return out


def _frames(text: str, start: int, end: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The two words before and the two after a span (articles skipped), as concepts; a frame
    is empty unless one of its words is an ordinary word (not a function word)."""
    left = [
        w.lower()
        for w in _FRAME_WORD.findall(text[max(0, start - 60) : start])
        if w.lower() not in _ARTICLES
    ][-2:]
    right = [
        w.lower() for w in _FRAME_WORD.findall(text[end : end + 60]) if w.lower() not in _ARTICLES
    ][:2]

    def frame(words: list[str]) -> tuple[str, ...]:
        telling = len(words) == 2 and any(w not in STOPWORDS and len(w) > 2 for w in words)
        return tuple(concept(w) for w in words) if telling else ()

    return frame(left), frame(right)


_ADJECTIVAL = re.compile(r"(?:ian|ean|ese|ish|ican)$")


@functools.lru_cache(maxsize=64)
def _claim_names(claim: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The claim's names with their left frames, those with a telling frame only (cached)."""
    out = []
    for name, a, b in _names(claim):
        left, _ = _frames(claim, a, b)
        if left:
            out.append((name, left))
    return tuple(out)


def name_clash(claim: str, passage: str) -> Clash | None:
    """A passage that puts another name in the claim's name's place: the same two words before
    it ("claimed by X" / "claimed by Y", "died in X" / "died in Y"), one of them an ordinary word,
    and neither name found in the other text. Names in the subject's place ("X was founded" /
    "Y was founded") are two facts, not a clash, and are left alone."""
    mine = _claim_names(claim)
    if not mine:
        return None
    claim_low, passage_low = claim.lower(), passage.lower()
    theirs = [(n, _frames(passage, a, b)) for n, a, b in _names(passage)]
    for name, left in mine:
        if name.lower() in passage_low:
            continue
        for other, (oleft, _) in theirs:
            if other.lower() in claim_low or set(other.lower().split()) & set(name.lower().split()):
                continue
            if " " not in other and _ADJECTIVAL.search(other):
                continue  # "the Malian capital" describes Bamako, it does not replace it
            if left and left == oleft:
                return Clash(name, other, left)
    return None


def clash(claim: str, passage: str) -> Clash | None:
    """The first of the claim's quantities that the passage contradicts: the passage speaks of
    the same thing (shared words besides the unit) but none of its figures for it can be the
    claim's; else a name the passage replaces (name_clash). None when nothing clashes."""
    found = _number_clash(claim, passage)
    return found if found is not None else name_clash(claim, passage)


_WHEN = frozenset({"year", "decade", "date"})


def _sentence_names(text: str, q: Quantity) -> set[str]:
    lo, hi = _sentence_bounds(text, q.start)
    sentence = text[lo:hi]
    return {w.lower() for name, _, _ in _names(sentence) for w in name.split()}


def _other_names(claim: str, q: Quantity, passage: str, p: Quantity) -> bool:
    """Do the two sentences name different things (names on both sides, none shared)? A year
    or date belongs to whatever the sentence names."""
    mine, theirs = _sentence_names(claim, q), _sentence_names(passage, p)
    return bool(mine and theirs and not (mine & theirs))


@functools.lru_cache(maxsize=64)
def _analysed(text: str) -> tuple[tuple[Quantity, frozenset[str]], ...]:
    """Quantities of text with their contexts (cached: one claim meets many passages)."""
    found = quantities(text)
    return tuple(zip(found, contexts(text, found), strict=True))


# Words between a number and its noun, or in the phrase after it, that say WHICH things are
# counted ("650 German soldiers", "200 in the EU training mission"); quantity words are not.
_NOT_QUALIFIERS = frozenset(
    """more other new additional extra further total full part some many several few most all
    least about than estimated the a an of in at for from with to on by""".split()
)
_QUALIFIER_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*", re.UNICODE)
_PHRASE_OPENERS = frozenset(("in", "of", "at", "for", "from", "with"))


def _qualifiers(text: str, q: Quantity) -> frozenset[str]:
    """What narrows a count to one group: the names and adjectives between the number and its
    noun, and the names of an "in/of/at ... " phrase right after them (up to a divider).
    '650 German soldiers' -> {german}; 'about 200 in the EU training mission' -> {eu}."""
    if q.kind not in ("count", "percent", "money"):
        return frozenset()
    words = [m.group(0) for m in _QUALIFIER_WORD.finditer(text[q.end : q.end + 80])]
    stop = _DIVIDER.search(text, q.end, q.end + 80)
    if stop is not None:
        words = [m.group(0) for m in _QUALIFIER_WORD.finditer(text[q.end : stop.start()])]
    out: set[str] = set()
    k = 0
    while k < len(words) and k < 4:  # modifiers before the noun
        w = words[k]
        low = w.lower()
        if low in _NOT_QUALIFIERS or not (w[0].isupper() or low in _ADJECTIVES):
            break
        out.add(concept(low))
        k += 1
    if k < len(words) and words[k].lower() not in _PHRASE_OPENERS:
        k += 1  # the counted noun itself
    if k < len(words) and words[k].lower() in _PHRASE_OPENERS:
        for w in words[k + 1 : k + 5]:  # the names of the phrase: "in the EU training mission"
            low = w.lower()
            if low in _NOT_QUALIFIERS:
                continue
            if low in STOPWORDS or low in _TIME_UNITS:
                break
            if w[0].isupper():
                out.add(concept(low))
    return frozenset(out)


def _sentence_concepts(text: str, q: Quantity) -> frozenset[str]:
    lo, hi = _sentence_bounds(text, q.start)
    return frozenset(concept(m.group(0).lower()) for m in _QUALIFIER_WORD.finditer(text[lo:hi]))


def _other_subject(claim: str, q: Quantity, passage: str, p: Quantity) -> bool:
    """Do the two counts count different groups? Each side's qualifiers must be found in the
    other side's sentence ("650 German soldiers" against "200 in the EU training mission": no)."""
    mine, theirs = _qualifiers(claim, q), _qualifiers(passage, p)
    if mine and not mine <= _sentence_concepts(passage, p):
        return True
    return bool(theirs and not theirs <= _sentence_concepts(claim, q))


_FORMULA = re.compile(r"\b[A-Z][A-Za-z]?\d[A-Za-z\d]*\b")


@functools.lru_cache(maxsize=256)
def _formulas(text: str) -> frozenset[str]:
    """Chemical formulas and similar names in text, aliases folded: "CO2", "CH4" (methane)."""
    return frozenset(m.group(0).lower() for m in _FORMULA.finditer(fold_aliases(text)))


def _number_clash(claim: str, passage: str) -> Clash | None:
    mine = _analysed(claim)
    if not mine:
        return None
    formulas = _formulas(claim), _formulas(passage)
    if formulas[0] and formulas[1] and not formulas[0] & formulas[1]:
        return None  # "CO2 rose by 40%" / "methane rose by 2%": about two gases
    passage_found = quantities(passage)
    theirs = list(zip(passage_found, contexts(passage, passage_found), strict=True))
    for q, cq in mine:
        best: tuple[tuple[int, int], Quantity, frozenset[str]] | None = None
        if any(_comparable(q, p) and q.agrees(p) for p, _ in theirs):
            continue  # the passage gives the claim's figure somewhere: no clash on it
        for p, cp in theirs:
            if not _comparable(q, p):
                continue
            about = _about(cq, q, cp, p)
            if not about:
                continue
            events_q, events_p = cq & _COUNTED_EVENTS, cp & _COUNTED_EVENTS
            if events_q and events_p and not events_q & events_p:
                continue  # "22 died" / "seven were wounded": two events, not one
            if q.kind in _WHEN:
                if _other_names(claim, q, passage, p):
                    continue  # "ISIS was founded in 2014" / "Al-Qaeda was founded in 1988"
            elif (
                len(about) < 2
                and not (q.unit and q.unit == p.unit and q.kind == "count")
                and not about & _EVENT_GROUPS
            ):
                continue  # one shared word is not enough to say it is the same thing
            if (
                q.kind == "count"
                and bool(q.unit) != bool(p.unit)
                and len(about) < 3
                and not about & _EVENT_GROUPS
            ):
                continue  # "15 feet" against a bare "10": too little to say it is the same
            if q.kind not in _WHEN and _other_subject(claim, q, passage, p):
                continue  # the same noun, but another group of it
            rank = (int(bool(q.unit) and q.unit == p.unit), len(about))
            if best is None or rank > best[0]:
                best = (rank, p, about)
        if best is not None:
            return Clash(q.text, best[1].text, tuple(sorted(best[2])))
    return None
