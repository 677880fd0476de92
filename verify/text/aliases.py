"""Names and phrases that stand for one thing, folded to one term for ranking and for matching
keys: "the Islamic State", "ISIL", "Daesh" and "IS" are ISIS; "carbon dioxide" is CO2; troops are
soldiers. Pure data and one function; the lists are short on purpose (each entry is a reviewed
equivalence, not a guess)."""

from __future__ import annotations

import re

# phrase (lower case, words separated by one space) -> the term it folds to
PHRASES: dict[str, str] = {
    "islamic state": "isis",
    "islamic state of iraq and syria": "isis",
    "islamic state of iraq and the levant": "isis",
    "isil": "isis",
    "daesh": "isis",
    "al qaeda": "alqaeda",
    "al qaida": "alqaeda",
    "carbon dioxide": "co2",
    "methane": "ch4",
    "nitrous oxide": "n2o",
    "united nations": "un",
    "united states": "us",
    "united kingdom": "uk",
    "european union": "eu",
    "troop": "soldier",
    "troops": "soldier",
    "soldiers": "soldier",
    "servicemen": "soldier",
    "peacekeepers": "peacekeeper",
    "blue helmets": "peacekeeper",
    # a people's adjective and its country are one key: "German soldiers" / "Germany's troops"
    "german": "germany",
    "french": "france",
    "malian": "mali",
    "british": "uk",
    "nigerian": "nigeria",
    "syrian": "syria",
    "iraqi": "iraq",
    "afghan": "afghanistan",
    "russian": "russia",
    "chinese": "china",
    "ukrainian": "ukraine",
    # sending troops
    "deploy": "deploy",
    "deploys": "deploy",
    "deployed": "deploy",
    "deploying": "deploy",
    "deployment": "deploy",
    "deployments": "deploy",
    "send": "deploy",
    "sends": "deploy",
    "sent": "deploy",
    "sending": "deploy",
    "dispatch": "deploy",
    "dispatched": "deploy",
}
# Written only in capitals, these are the alias (in lower case they are ordinary words).
UPPER_ONLY: dict[str, str] = {"IS": "isis", "US": "us"}

_PHRASE_RE = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(p).replace(r"\ ", r"[\s\-]+") for p in sorted(PHRASES, key=len, reverse=True)
    )
    + r")\b",
    re.IGNORECASE,
)
_UPPER_RE = re.compile(r"\b(?:" + "|".join(UPPER_ONLY) + r")\b")


def fold_aliases(text: str) -> str:
    """The text with every alias replaced by its term, everything else as it was. Offsets are
    not kept: use it for keys and scores, never for spans shown to people."""
    if _UPPER_RE.search(text):
        text = _UPPER_RE.sub(lambda m: UPPER_ONLY[m.group(0)].upper(), text)
    return _PHRASE_RE.sub(lambda m: _case(m.group(0), PHRASES[_norm(m.group(0))]), text)


def _norm(phrase: str) -> str:
    return re.sub(r"[\s\-]+", " ", phrase.lower())


def _case(written: str, term: str) -> str:
    # keep a name a name: "Islamic State" -> "ISIS" (a key term), "troops" -> "soldier"
    return term.upper() if any(ch.isupper() for ch in written) else term
