"""Sentence splitting, check-worthiness scoring and hyperlink-to-sentence mapping.

Pure: no database, no network. Everything here is plain Python with precompiled regexes, so an
article of a thousand words splits and scores in well under a millisecond per sentence.

Splitting rules (see split_sentences):
  * a blank line always ends a sentence; so does the start of a bullet line ("- ", "* ", "1. ")
    and a heading line (a Markdown "#" line, or a short unpunctuated line followed by prose);
  * ".", "!", "?", "..." and "\u2026", optionally followed by closing quotes or brackets, end a
    sentence when whitespace and a character that is not a lower-case letter follow;
  * a period does not end a sentence after a title or Latin abbreviation (Mr., Dr., Gen., Sen.,
    e.g., i.e., vs.), nor after an ambiguous abbreviation (U.S., Jan., Inc., St., Ill., an
    initial such as "J.") unless the next word is one that typically opens a sentence ("The",
    "He"), nor after "No.", "p.", "Fig." when a number follows, nor in a decimal (3.9);
  * an ellipsis with a space before it ("the plan ... Congress") marks an omission, not an end.
Offsets index the original text exactly and every non-space character lands in a sentence.

Scoring (see score_sentence): a logistic model over ~35 hand-made features (numbers,
quantities, money, dates, named entities, attributions, comparisons, verbs of record and change;
questions, first-person opinion, hedges, predictions, value words, filler, imperatives) and word
uni- and bigrams, calibrated (Platt scaling with a ceiling) so a score is a probability. The
weights live in checkworthy_model.json beside this module; they were fitted on public labelled
debate sentences (ClaimBuster's training split and the CLEF 2019 CheckThat! training data) by
bench/train_checkworthy.py, which rebuilds them. Scoring is dictionary look-ups and one
exponential per sentence: no numerical library is needed at run time.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import cast

MODEL_PATH = Path(__file__).with_name("checkworthy_model.json")
# The default for ingest's --min-score, on the calibrated scale: the score that maximised F1 on
# cross-validated ClaimBuster sentences (0.325; bench/train_checkworthy.py records it in the
# model file as "threshold"), rounded down.
DEFAULT_MIN_SCORE = 0.3


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offsets in the text that was split: text[start:end] == self.text
    end: int


# ---------------------------------------------------------------------------------------------
# Splitting
# ---------------------------------------------------------------------------------------------

# Abbreviations after which a period never ends a sentence (titles and Latin abbreviations that
# are always followed by something).
_STRICT_ABBR = frozenset(
    """mr mrs ms messrs mmes dr prof gen sen rep gov lt col sgt capt cpl maj adm cmdr rev hon
    pres supt det insp atty mt ft e.g eg i.e ie vs v cf viz approx ca al""".split()
)
# Abbreviations that can also end a sentence: split only when the next word typically opens one.
_AMBIGUOUS_ABBR = frozenset(
    """jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat
    sun st inc ltd co corp bros jr sr etc ed eds est
    dept univ assn ave blvd rd hwy min max pt ph.d ala ariz ark calif colo conn fla ga ill
    ind kan ky md mass mich minn miss mo mont neb nev okla ore pa tenn tex va vt wash wis
    wyo""".split()
)
# Abbreviations that stand before a number ("No. 5", "p. 12"); before anything else the period
# ends a sentence ("He voted no. The bill...").
_NUMBER_ABBR = frozenset("no nos fig figs p pp vol vols art sec ch".split())
# Words that commonly open a sentence: after an ambiguous abbreviation, these mean "new sentence".
_STARTERS = frozenset(
    """the a an this that these those there here it its he she they we i you his her their our
    my your but and or so yet in on at by for from with without after before during since when
    while where if as although though because however meanwhile still then now today yesterday
    tomorrow last next some many most all both each no not one two three officials police
    critics experts analysts data what who why how is are was were do does did can could will
    would should has have had""".split()
)

_SPACE = " \t\n\r\f\v"
_LINE_RE = re.compile(r"[^\n]*\n?")
_BULLET_RE = re.compile(
    r"[ \t]*(?:[-*+\u2022\u2013\u2014\u25aa\u25cf]|\d{1,3}[.)]|[a-zA-Z][.)])[ \t]+\S"
)
_HEADING_MARK_RE = re.compile(r"[ \t]*#{1,6}[ \t]")
# A candidate end: terminal punctuation, optional closers, then whitespace and something.
# It starts only where a run of terminal marks starts and takes the whole run (atomic), so a
# long run of dots costs linear time, not quadratic.
_END_RE = re.compile(r"(?<![.!?\u2026])([.!?\u2026]++)([\"'\u201d\u2019)\]]*+)(?=\s+(\S))")
_PREV_TOKEN_RE = re.compile(r"(\S*)$")
_NEXT_WORD_RE = re.compile(r"[\"'\u201c\u2018(\[]*([A-Za-z]+)(\.?)")
_OPENERS = "\"'\u201c\u2018([{"
_LINE_END_PUNCT = ".!?,;:\u2026\"'\u201d\u2019)]"
_LIST_MARK_RE = re.compile(r"\d{1,3}|[A-Za-z]|[ivxIVX]{1,4}")
_INITIALISM_RE = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")


def _hard_segments(text: str) -> list[tuple[int, int]]:
    """Split into runs that no sentence may cross: blank lines, bullets, headings."""
    lines = [(m.start(), m.end()) for m in _LINE_RE.finditer(text) if m.end() > m.start()]
    segments: list[tuple[int, int]] = []
    seg_start: int | None = None
    for i, (ls, le) in enumerate(lines):
        line = text[ls:le]
        stripped = line.strip()
        if not stripped:
            if seg_start is not None:
                segments.append((seg_start, ls))
                seg_start = None
            continue
        if seg_start is not None and _BULLET_RE.match(line):
            segments.append((seg_start, ls))
            seg_start = None
        if seg_start is None:
            seg_start = ls
        if _is_heading(text, lines, i, stripped, line):
            # the heading ends its segment (a heading is its own sentence when it opened it)
            segments.append((seg_start, le))
            seg_start = None
    if seg_start is not None:
        segments.append((seg_start, len(text)))
    return segments


def _is_heading(text: str, lines: list[tuple[int, int]], i: int, stripped: str, line: str) -> bool:
    if i + 1 >= len(lines):
        return False  # the last line ends its segment anyway
    nxt = text[lines[i + 1][0] : lines[i + 1][1]].strip()
    if not nxt:
        return False  # a blank line follows: it ends the segment anyway
    if _HEADING_MARK_RE.match(line):
        return True
    if stripped[-1] in _LINE_END_PUNCT or _BULLET_RE.match(line):
        return False
    first = nxt[0]
    if not (first.isupper() or first.isdigit() or first in _OPENERS):
        return False
    # A wrapped prose line is about as long as the next one; a heading is short.
    return len(stripped.split()) <= 12 and len(stripped) < 0.6 * len(nxt) and stripped[0].isupper()


def _is_boundary(seg: str, m: re.Match[str], piece_start: int) -> bool:
    term = m.group(1)
    nxt_char = m.group(3)
    if nxt_char.islower():
        return False
    pos = m.start()
    if "!" in term or "?" in term:
        return True
    if term != ".":  # an ellipsis: an omission when spaced, an end when attached to a word
        return pos > 0 and seg[pos - 1] not in _SPACE
    raw = cast(re.Match, _PREV_TOKEN_RE.search(seg, max(0, pos - 40), pos)).group(1)
    prev = raw.lstrip(_OPENERS)
    if not prev:
        return True
    if _LIST_MARK_RE.fullmatch(prev) and not seg[piece_start : pos - len(raw)].strip():
        return False  # "1." or "a." opening a numbered line
    low = prev.lower()
    if low in _STRICT_ABBR:
        return False
    if low in _NUMBER_ABBR:
        return not nxt_char.isdigit()
    ambiguous = (
        low in _AMBIGUOUS_ABBR
        or (len(prev) == 1 and prev.isupper())
        or _INITIALISM_RE.fullmatch(prev) is not None
    )
    if not ambiguous:
        return True
    if nxt_char.isdigit():
        return False  # "No. 5", "Jan. 20", "p. 12"
    w = _NEXT_WORD_RE.match(seg, _skip_space(seg, m.end()))
    if w is None:
        return False
    word, dot = w.group(1), w.group(2)
    if dot and len(word) <= 2:
        return False  # another initial or abbreviation: "J. K. Rowling", "U.S. U.N."
    return word.lower() in _STARTERS


def _skip_space(s: str, i: int) -> int:
    n = len(s)
    while i < n and s[i] in _SPACE:
        i += 1
    return i


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text`, in order, with exact offsets (text[s.start:s.end] == s.text)."""
    out: list[Sentence] = []
    for seg_start, seg_end in _closed_segments(text):
        seg = text[seg_start:seg_end]
        piece_start = 0
        for m in _END_RE.finditer(seg):
            if m.start() < piece_start or not _is_boundary(seg, m, piece_start):
                continue
            _emit(out, text, seg_start + piece_start, seg_start + m.end())
            piece_start = m.end()
        _emit(out, text, seg_start + piece_start, seg_end)
    return out


# Full stops that end a sentence with no space after them: CJK 。！？, the
# Burmese and Devanagari section marks, the Arabic question mark; with any closing quotes.
_CLOSED_END_RE = re.compile(
    "[\u3002\uff01\uff1f\u104b\u0964\u0965\u061f]+[\"'\u201d\u2019)\\]\u300d\u300f\uff09\u3011]*"
)


def _closed_segments(text: str):
    """The hard segments, cut again after every closed full stop."""
    for seg_start, seg_end in _hard_segments(text):
        start = seg_start
        for m in _CLOSED_END_RE.finditer(text, seg_start, seg_end):
            yield start, m.end()
            start = m.end()
        if start < seg_end:
            yield start, seg_end


def _emit(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start] in _SPACE:
        start += 1
    while end > start and text[end - 1] in _SPACE:
        end -= 1
    if end > start:
        out.append(Sentence(text[start:end], start, end))


def sentence_for_span(sentences: list[Sentence], start: int, end: int) -> int | None:
    """Index of the sentence holding the span [start, end): the span's start decides.

    A span that starts in the whitespace between two sentences belongs to the next sentence if
    it reaches into it; a span outside every sentence gives None."""
    i = bisect_right(sentences, start, key=lambda s: s.start) - 1
    if i >= 0 and start < sentences[i].end:
        return i
    j = i + 1
    if j < len(sentences) and sentences[j].start < max(end, start + 1):
        return j
    return None


# ---------------------------------------------------------------------------------------------
# Check-worthiness features
# ---------------------------------------------------------------------------------------------

FEATURES: tuple[str, ...] = (
    "bias",
    "number",  # a figure other than a year
    "numbers",  # how many figures (capped), scaled to [0, 1]
    "percent",
    "money",
    "magnitude",  # million, billion, thousand, dozen
    "quantity",  # a figure or a spelled-out number followed by a word: "170 hostages"
    "spelled_number",  # two, twice, half, a third
    "year",
    "date",  # months, weekdays, "last year", "ago", "since"
    "entities",  # capitalised words not at the start, scaled to [0, 1]
    "acronym",  # NATO, GDP, U.S.
    "attribution",  # said, according to, reported, told
    "evidence",  # study, survey, data, census, report
    "comparison",  # more than, fewer, most, largest, -est, record
    "change_verb",  # rose, fell, doubled, cut
    "record_verb",  # voted, signed, passed, killed, approved
    "past",  # past-tense verbs (-ed and irregular), scaled
    "has_link",
    "question",
    "opinion",  # I think, we believe, in my view
    "first_person",  # I, me, my, we, our
    "second_person",  # you, your
    "hedge",  # might, perhaps, arguably
    "future",  # will, going to
    "normative",  # should, must, need to
    "value",  # ridiculous, wonderful, disgrace, great
    "intensifier",  # very, really, so, absolutely
    "filler",  # thank you, folks, applause, okay
    "imperative",  # a sentence that opens with a bare verb
    "exclaim",
    "short",  # four words or fewer
    "length",  # number of words (capped at 40) / 40
    "interjection",  # yes, no, well, oh at the start
)
_F = {name: i for i, name in enumerate(FEATURES)}
_BIAS = _F["bias"]
_NUMBER = _F["number"]
_NUMBERS = _F["numbers"]
_PERCENT = _F["percent"]
_MONEY = _F["money"]
_QUANTITY = _F["quantity"]
_SPELLED_NUMBER = _F["spelled_number"]
_YEAR = _F["year"]
_DATE = _F["date"]
_ENTITIES = _F["entities"]
_ACRONYM = _F["acronym"]
_COMPARISON = _F["comparison"]
_PAST = _F["past"]
_HAS_LINK = _F["has_link"]
_QUESTION = _F["question"]
_OPINION = _F["opinion"]
_FIRST_PERSON = _F["first_person"]
_IMPERATIVE = _F["imperative"]
_EXCLAIM = _F["exclaim"]
_SHORT = _F["short"]
_LENGTH = _F["length"]
_INTERJECTION = _F["interjection"]


def _lexicon() -> dict[str, tuple[int, ...]]:
    groups = {
        "magnitude": "million millions billion billions trillion trillions thousand thousands "
        "hundred hundreds dozen dozens bn mn",
        "spelled_number": "two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty "
        "seventy eighty ninety hundred thousand million billion twice thrice half halved third "
        "thirds quarter quarters double doubled triple tripled quadrupled dozen",
        "date": "january february march april may june july august september october november "
        "december monday tuesday wednesday thursday friday saturday sunday yesterday ago since "
        "decade decades century weekend annual annually yearly monthly weekly quarterly "
        "fiscal jan feb mar apr jun jul aug sep sept oct nov dec",
        "attribution": "said says say told according reported reports announced announces "
        "stated confirmed confirms estimated estimates testified wrote added noted disclosed "
        "revealed acknowledged admitted showed shows found finds concluded recorded "
        "counted published cited claims claimed",
        "evidence": "study studies survey surveys data figures census poll polls polling "
        "analysis statistics records report research researchers audit records filings "
        "database official officials agency ministry department spokesman spokeswoman "
        "spokesperson documents",
        "comparison": "more less fewer most least than largest biggest highest lowest smallest "
        "fastest slowest worst best record records top first only lower higher larger bigger "
        "smaller faster slower older newer cheaper costlier majority minority compared "
        "whereas average median per",
        "change_verb": "rose rise rises risen fell fall falls fallen increased increase "
        "increases decreased decrease decreases declined decline declines dropped drop drops "
        "doubled tripled halved grew grow grows grown jumped jumps surged surges climbed "
        "climbs plunged plunges cut cuts raised raises reduced reduces gained gains lost "
        "added soared slumped slid tumbled shrank shrunk expanded widened narrowed",
        "record_verb": "voted vote votes signed passed killed approved rejected vetoed banned "
        "arrested charged convicted sentenced died injured wounded opened closed built "
        "created spent won elected appointed resigned fired hired launched filed sued ruled "
        "invested founded paid owed borrowed collected received awarded released deployed "
        "seized evacuated shot destroyed enacted repealed introduced sponsored supported "
        "opposed funded cost costs employed employs sold bought acquired merged produced "
        "exported imported recorded reached held hosted took took killed attacked",
        "opinion_verb": "think thinks thought believe believes feel feels hope hopes guess "
        "suppose wish want wants love loves like hate hates agree disagree know trust "
        "doubt imagine",
        "first_person": "i me my mine myself we us our ours ourselves i'm i've we're we've "
        "i'll we'll i'd",
        "second_person": "you your yours yourself yourselves you're you've you'll",
        "hedge": "might may perhaps maybe possibly probably arguably seems seem seemed "
        "appears appear likely unlikely could suggests suggest apparently presumably "
        "somewhat kind sort potentially",
        "future": "will won't shall gonna going tomorrow soon future promise pledge",
        "normative": "should shouldn't must ought need needs needed deserve deserves have_to",
        "value": "great greatest terrible horrible ridiculous disgrace disgraceful wonderful "
        "amazing incredible fantastic tremendous beautiful awful shameful outrageous absurd "
        "stupid crazy sad unfair wrong dangerous disaster disastrous weak bad good nice "
        "proud honored pleased happy excellent brilliant pathetic nonsense lie lies liar evil "
        "corrupt reckless radical extreme phony fake shameful scandal failed failure "
        "important wonderful right unacceptable appalling decent fair strong hard better "
        "love important terrific tragic tragedy",
        "intensifier": "very really so truly totally absolutely clearly obviously simply "
        "just frankly honestly indeed certainly definitely completely entirely literally "
        "incredibly extremely",
        "filler": "thank thanks applause laughter welcome goodnight hello hi okay ok folks "
        "ladies gentlemen congratulations crosstalk pleasure bless everybody everyone "
        "please sir madam moderator",
    }
    lex: dict[str, list[int]] = {}
    for group, words in groups.items():
        for w in words.split():
            lex.setdefault(w, []).append(_GROUP_INDEX[group])
    return {w: tuple(v) for w, v in lex.items()}


# Groups that are features of their own, plus helper groups used by the token loop.
_OPINION_VERB = len(FEATURES)
_GROUP_INDEX = dict(_F)
_GROUP_INDEX["opinion_verb"] = _OPINION_VERB
_LEX = _lexicon()
_IMPERATIVE_STARTS = frozenset(
    """let let's look imagine think consider remember go vote join stop tell give make read
    watch listen take please don't do come help ask check see keep believe get put say try
    wait fix bring send call stand fight enjoy trust""".split()
)
_PAST_IRREGULAR = frozenset(
    """was were had did went took made gave got came saw knew told said found left became
    began brought bought built caught chose drew drove ate fell felt fought flew forgot froze
    grew hung heard hid hit held hurt kept laid led lent let lost meant met paid put quit ran
    rose sent set shook shot shut sang sank sat slept spent spoke stood stole struck swore
    taught tore thought threw understood woke wore won wrote""".split()
)
_NOT_PAST_ED = frozenset(
    """need indeed united speed seed feed breed red bed shed proceed exceed succeed naked
    sacred wicked hundred kindred tired""".split()
)
_NOT_SUPERLATIVE = frozenset(
    """interest honest forest protest latest request suggest invest arrest contest modest
    west rest test guest harvest manifest digest earnest conquest quest nest chest vest
    pest crest zest lest unrest inquest behest tempest priest midwest northwest southwest
    attest detest infest divest congest ingest molest""".split()
)
_TOKEN_RE = re.compile(
    r"[A-Za-z][A-Za-z'\u2019.\-]*[A-Za-z]|[A-Za-z]|\d[\d,.:]*|[$\u00a3\u20ac\u00a5%]"
)
_LEAD_RE = re.compile(r"^[\s\"'\u201c\u2018(\[#*\u2022\-\u2013\u2014>]*(?:\d{1,3}[.)]\s+)?")
_DISCOURSE_OPENERS = frozenset(("first", "only", "more", "most", "now", "so", "well"))
_PERCENT_WORDS = frozenset(("percent", "per", "pct", "percentage"))
_MONEY_WORDS = frozenset(
    """dollars dollar euros euro pounds pence cents yen yuan rupees francs budget
    taxpayer taxpayers""".split()
)


_WORD, _FIGURE, _YEAR_TOKEN, _MONEY_SIGN, _PERCENT_SIGN = range(5)
_PLAIN, _NAME, _CAPS, _SELF = range(4)  # how a word is capitalised
_TOKEN_CACHE: dict[str, tuple] = {}


def _token_info(tok: str) -> tuple:
    """What the feature loop needs to know about one token (memoised: words repeat a lot).

    (kind, lower-cased word, lexicon groups, capitalisation, past-tense count, superlative,
    1 for a percent word / 2 for a money word / 3 for "per")."""
    c = tok[0]
    if c.isdigit():
        digits = tok.rstrip(".,:")
        year = len(digits) == 4 and digits.isdigit() and 1800 <= int(digits) <= 2099
        if year:
            return (_YEAR_TOKEN, "", None, _PLAIN, 0, False, 0, "<year>")
        return (_FIGURE, "", None, _PLAIN, 0, False, 0, "<num>")
    if c in "$\u00a3\u20ac\u00a5":
        return (_MONEY_SIGN, "", None, _PLAIN, 0, False, 0, "<money>")
    if c == "%":
        return (_PERCENT_SIGN, "", None, _PLAIN, 0, False, 0, "%")
    low = tok.lower().replace("\u2019", "'")
    past = 1 if low in _PAST_IRREGULAR else 0
    superlative = False
    if c.isupper():
        if tok == "I" or tok.startswith(("I'", "I\u2019")):
            cap = _SELF
        else:
            upper = sum(1 for ch in tok if ch.isupper())
            caps = upper >= 2 and upper >= len(tok) - tok.count(".") - 1
            cap = _CAPS if caps else _NAME
    else:
        cap = _PLAIN
        if len(low) > 4 and low.endswith("ed") and low not in _NOT_PAST_ED:
            past += 1
        elif len(low) > 4 and low.endswith("est") and low not in _NOT_SUPERLATIVE:
            superlative = True
    unit = 3 if low == "per" else 1 if low in _PERCENT_WORDS else 2 if low in _MONEY_WORDS else 0
    return (_WORD, low, _LEX.get(low), cap, past, superlative, unit, low)


def sentence_features(text: str, *, has_link: bool = False) -> list[float]:
    """The hand-made feature vector of one sentence (same order as FEATURES)."""
    return _analyse(text, has_link)[0]


def sentence_terms(text: str) -> set[str]:
    """The word uni- and bigrams the model looks up: lower-cased words, figures as "<num>",
    years as "<year>", currency signs as "<money>"; "<s>" marks the start of the sentence."""
    return _ngrams(_analyse(text, False)[1])


def _ngrams(terms: list[str]) -> set[str]:
    grams = set(terms)
    prev = "<s>"
    for t in terms:
        grams.add(prev + " " + t)
        prev = t
    return grams


def _analyse(text: str, has_link: bool) -> tuple[list[float], list[str]]:
    """(hand-made features, the sentence's terms in order): one pass over the tokens."""
    f = [0.0] * (len(FEATURES) + 1)
    f[_BIAS] = 1.0
    body = text.strip()
    body = body[cast(re.Match, _LEAD_RE.match(body)).end() :]
    tokens = _TOKEN_RE.findall(body)
    cache = _TOKEN_CACHE
    if len(cache) > 200_000:
        cache.clear()
    numbers = 0
    words = 0
    entities = 0
    past = 0
    last_first_person = -9
    prev_number = False
    n_tokens = len(tokens)
    terms = []
    for i, tok in enumerate(tokens):
        info = cache.get(tok)
        if info is None:
            info = cache[tok] = _token_info(tok)
        kind, low, groups, cap, tok_past, superlative, unit, term = info
        terms.append(term)
        if kind:
            if kind == _FIGURE:
                numbers += 1
                prev_number = True
            elif kind == _YEAR_TOKEN:
                f[_YEAR] = 1.0
                prev_number = True
            elif kind == _MONEY_SIGN:
                f[_MONEY] = 1.0
            else:
                f[_PERCENT] = 1.0
                prev_number = False
            continue
        words += 1
        if prev_number:
            f[_QUANTITY] = 1.0  # quantity: a figure followed by a word
            prev_number = False
        if low == "may" and cap and i > 0:
            groups = (_DATE,)  # the month, not the hedge
        elif i == 0 and low in _DISCOURSE_OPENERS:
            groups = None  # "First, ...", "Now, ...": discourse markers, not comparisons
        elif low == "going" and (i + 1 == n_tokens or tokens[i + 1].lower() != "to"):
            groups = None  # "going up" is a change, only "going to" looks ahead
        if groups is not None:
            for g in groups:
                if g == _SPELLED_NUMBER and i + 1 < n_tokens and tokens[i + 1][0].isalpha():
                    f[_QUANTITY] = 1.0  # "three times", "two thirds"
                if g == _FIRST_PERSON and low != "i'd":
                    last_first_person = i
                elif g == _OPINION_VERB:
                    if i - last_first_person <= 2:
                        f[_OPINION] = 1.0  # opinion
                    continue
                f[g] += 1.0
        if unit:
            if unit == 1 or (unit == 3 and "cent" in body):
                f[_PERCENT] = 1.0
            elif unit == 2:
                f[_MONEY] = 1.0
        if cap:
            if i > 0:
                if cap == _NAME:
                    entities += 1
                elif cap == _CAPS:
                    f[_ACRONYM] = 1.0
        elif superlative:
            f[_COMPARISON] += 1.0
        past += tok_past
    if numbers:
        f[_NUMBER] = 1.0
        f[_NUMBERS] = min(numbers, 3) / 3.0
    if f[_QUANTITY] and not (f[_NUMBER] or f[_SPELLED_NUMBER]):
        f[_QUANTITY] = 0.0
    f[_ENTITIES] = min(entities, 4) / 4.0
    f[_PAST] = min(past, 3) / 3.0
    f[_HAS_LINK] = 1.0 if has_link else 0.0
    end = body.rstrip("\"'\u201d\u2019) ")
    first = tokens[0].lower() if tokens else ""
    if end.endswith("?"):
        f[_QUESTION] = 1.0
    if end.endswith("!"):
        f[_EXCLAIM] = 1.0
    if first in _IMPERATIVE_STARTS and not f[_QUESTION]:
        f[_IMPERATIVE] = 1.0
    f[_SHORT] = 1.0 if words <= 4 and not f[_NUMBER] else 0.0
    f[_LENGTH] = min(words, 40) / 40.0
    if first in ("yes", "no", "well", "oh", "look", "listen", "okay", "ok", "now", "so"):
        f[_INTERJECTION] = 1.0
    # cap the counted groups at 1 (presence), the model is on presence
    for k in range(_PERCENT, len(FEATURES)):
        if f[k] > 1.0:
            f[k] = 1.0
    del f[-1]
    return f, terms


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _load_model(path: Path = MODEL_PATH) -> dict:
    model = json.loads(path.read_text(encoding="utf-8"))
    if list(model["features"]) != list(FEATURES):
        raise RuntimeError(f"{path.name} does not match this version's features: rebuild it")
    return model


class _Model:
    """The shipped weights, read from checkworthy_model.json on first use."""

    def __init__(self, path: Path = MODEL_PATH) -> None:
        model = _load_model(path)
        # One weight per hand-made feature (order of FEATURES). The training data has no
        # hyperlinks, so has_link takes the fixed weight the training script records.
        self.weights: tuple[float, ...] = tuple(
            float(model["link_weight"]) if name == "has_link" else float(w)
            for name, w in model["features"].items()
        )
        self.grams: dict[str, float] = model["grams"]
        self.intercept = float(model["intercept"])
        # Platt scaling with a ceiling: p = ceiling * sigmoid(a * z + b)
        cal = model["calibration"]
        self.a, self.b, self.ceiling = float(cal["a"]), float(cal["b"]), float(cal["ceiling"])
        self.threshold = float(model["threshold"])


_MODEL: _Model | None = None


def model() -> _Model:
    global _MODEL
    if _MODEL is None:
        _MODEL = _Model()
    return _MODEL


def score_whole(text: str, *, has_link: bool = False) -> float:
    """Check-worthiness of the sentence as a whole, in [0, 1]: the calibrated probability that a
    fact-checker would mark it as a check-worthy factual claim. No clause is looked at."""
    m = _MODEL or model()
    f, terms = _analyse(text, has_link)
    z = m.intercept
    for w, x in zip(m.weights, f, strict=True):
        if x:
            z += w * x
    get = m.grams.get
    for gram in _ngrams(terms):
        z += get(gram, 0.0)
    return m.ceiling * _sigmoid(m.a * z + m.b)


# ---------------------------------------------------------------------------------------------
# Clauses: a fact inside a hedged, opinionated or long sentence
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """The most check-worthy clause of a sentence, when it scores higher than the sentence.

    start/end index the sentence (sentence[start:end] is the clause as written); text is what
    was scored: the clause with its hedges and discourse markers set aside ("seems to be" read
    as "is", "on the other hand" dropped)."""

    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Scored:
    """A sentence's score (the higher of the whole sentence's and its best clause's) and the
    clause that gave it (None when the whole sentence scored highest)."""

    score: float
    part: Part | None


# A clause is looked at only when it holds something checkable: a figure, a year, a spelled-out
# number, a percentage or money.
_ANCHOR_RE = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen|"
    r"dozens|half|twice|percent|most|first|largest|biggest|highest|lowest)\b",
    re.IGNORECASE,
)
# Where a sentence divides into clauses: punctuation that separates clauses, and the words that
# open a new clause. The divider itself stays with the clause it opens.
_CLAUSE_BREAK_RE = re.compile(
    r"\s*[;:\u2014\u2013]\s*|\s+-{1,2}\s+|,\s*|\s+\((?=[^)]*\))|\)\s*"
    r"|\s+(?=(?:but|while|whereas|although|though|because|which|who|yet|so that|and)\s)",
    re.IGNORECASE,
)
# Hedges and discourse markers: set aside before a clause is scored, so "X seems to be Y" reads
# as "X is Y". Only the scored text changes; the clause keeps its offsets.
_HEDGE_SUBS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), repl)
    for pattern, repl in (
        (r"\b(?:seems|appears|seem|appear|seemed|appeared|looks|tends) to be\b", "is"),
        (r"\b(?:seems|appears|seem|appear|seemed|appeared|tends|tend) to\b", ""),
        (r"\b(?:it|this) (?:seems|appears|is likely|is possible|is clear) (?:that )?", ""),
        (
            r"\b(?:on the other hand|by contrast|in contrast|however|of course|in fact|indeed|"
            r"meanwhile|for its part|moreover|furthermore|in turn|after all|admittedly)\b,?",
            "",
        ),
        (
            r"\b(?:perhaps|maybe|arguably|probably|possibly|apparently|presumably|surely|"
            r"clearly|obviously|frankly|honestly|certainly|undoubtedly)\b,?",
            "",
        ),
        (r"\b(?:i|we) (?:think|believe|feel|guess|suppose|reckon) (?:that )?", ""),
        (r"\bin (?:my|our) (?:view|opinion),?", ""),
    )
)
_SPACES_RE = re.compile(r"\s{2,}")
_EDGE_PUNCT = " ,;:\u2014\u2013-()"


_STRAY_COMMA_RE = re.compile(r"\s*,(?:\s*,)*\s*(?=(?:is|are|was|were)\b)|\s+(?=,)|(?<=,)\s*,")


_ANY_HEDGE_RE = re.compile("|".join(f"(?:{p.pattern})" for p, _ in _HEDGE_SUBS), re.IGNORECASE)


def _set_hedges_aside(text: str) -> str:
    if _ANY_HEDGE_RE.search(text) is None:
        return text.strip(_EDGE_PUNCT)
    for pattern, repl in _HEDGE_SUBS:
        text = pattern.sub(repl, text)
    text = _STRAY_COMMA_RE.sub(" ", _SPACES_RE.sub(" ", text))
    return _SPACES_RE.sub(" ", text).strip(_EDGE_PUNCT)


def split_clauses(sentence: str) -> list[tuple[int, int]]:
    """The clauses of a sentence as (start, end) offsets into it, in order: the sentence cut at
    clause punctuation (, ; : dashes, brackets) and before words that open a clause (but, while,
    although, because, which, and ...). Spaces and the cutting punctuation are left out."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _CLAUSE_BREAK_RE.finditer(sentence):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = max(pos, m.end())
    if pos < len(sentence):
        spans.append((pos, len(sentence)))
    out = []
    for a, b in spans:
        while a < b and sentence[a] in _EDGE_PUNCT:
            a += 1
        while b > a and sentence[b - 1] in _EDGE_PUNCT + ".!?\"'\u201d\u2019":
            b -= 1
        if b > a:
            out.append((a, b))
    return out


def _parts(sentence: str) -> list[tuple[int, int, str]]:
    """Candidate parts: the whole sentence with its hedges set aside, each clause that holds an
    anchor, and each such clause joined to the clause before it (which often holds its
    subject: "ISIS, | on the other hand, | seems to be ... in 2014")."""
    out: list[tuple[int, int, str]] = []
    whole = _set_hedges_aside(sentence)
    if whole and whole != sentence.strip(_EDGE_PUNCT):
        out.append((0, len(sentence), whole))
    clauses = split_clauses(sentence)
    if len(clauses) < 2:
        return out
    kept = [
        (a, b, _set_hedges_aside(sentence[a:b])) for a, b in clauses
    ]  # a clause that is only a hedge or a marker comes back empty
    kept = [c for c in kept if c[2]]
    for i, (a, b, text) in enumerate(kept):
        if not _ANCHOR_RE.search(text):
            continue
        out.append((a, b, text))
        if i > 0:
            pa, _pb, ptext = kept[i - 1]
            out.append((pa, b, ptext + " " + text))
    return out


# Below this many words a clause is too bare to stand as a claim on its own.
_MIN_PART_WORDS = 4
# A sentence scoring this much is queued and near the top whatever its clauses say.
_CLEARLY_WORTHY = 0.9
# A part must beat the whole sentence by this much to be kept (ties go to the sentence).
_PART_MARGIN = 0.02


def clause_candidates(text: str) -> list[tuple[int, int, str]]:
    """The parts of a sentence that score_claim scores besides the whole: (start, end) in the
    sentence and the text scored. None for a question (its clauses are not statements) or a
    sentence with nothing checkable in it."""
    body = text.rstrip("\"'\u201d\u2019) ")
    if body.endswith("?") or not _ANCHOR_RE.search(text):
        return []
    return [
        (start, end, scored.rstrip(".!") + ".")
        for start, end, scored in _parts(text)
        if len(scored.split()) >= _MIN_PART_WORDS
    ]


def score_claim(text: str, *, has_link: bool = False) -> Scored:
    """Score a sentence and its clauses: the sentence's score is the higher of the two, and the
    clause is kept when it wins by a margin. A question is scored whole."""
    whole = score_whole(text, has_link=has_link)
    if whole >= _CLEARLY_WORTHY:
        return Scored(whole, None)
    best: Part | None = None
    for start, end, scored_text in clause_candidates(text):
        score = score_whole(scored_text, has_link=has_link)
        if score > whole + _PART_MARGIN and (best is None or score > best.score):
            best = Part(scored_text.removesuffix("."), start, end, score)
    return Scored(best.score, best) if best else Scored(whole, None)


def score_sentence(text: str, *, has_link: bool = False) -> float:
    """Check-worthiness of one sentence in [0, 1]: the higher of the sentence's own score and its
    most check-worthy clause's (see score_claim)."""
    return score_claim(text, has_link=has_link).score


def score_sentences(texts: list[str], *, has_link: list[bool] | None = None) -> list[float]:
    """score_sentence over a list (has_link, when given, has one flag per text)."""
    return [s.score for s in score_claims(texts, has_link=has_link)]


def score_claims(texts: list[str], *, has_link: list[bool] | None = None) -> list[Scored]:
    """score_claim over a list (has_link, when given, has one flag per text)."""
    if has_link is None:
        return [score_claim(t) for t in texts]
    if len(has_link) != len(texts):
        raise ValueError("has_link must have one flag per text")
    return [score_claim(t, has_link=f) for t, f in zip(texts, has_link, strict=True)]
