"""Quotes bound to the text they were made on (verify/quotes.py): matching forgives typography
only, and a selector finds its passage again in edited text or says it is gone. The workflow
around them (a changed quote puts a decided claim back in the queue) is tested in test_model.py."""

from __future__ import annotations

from verify.text import quotes


def test_quote_matching_forgives_typography_only():
    text = (
        "He said \u2018we won\u2019 \u2013 twice.\u00a0Then   left. 21 people died in the attack."
    )
    assert quotes.find_quote(text, "'we won' - twice. Then left") == (8, text.index(". 21"))
    assert quotes.find_quote(text, "22 people died in the attack") is None
    assert quotes.find_quote(text, "21 people died in an attack") is None
    assert quotes.find_quote(text, "WE WON") is None  # the words as written, case included
    assert quotes.find_quote(text, "   ") is None
    old = (
        "Intro. The toll was 22 people, officials said. Later: the toll was 22 people, police said."
    )
    start = old.index("the toll was 22 people, police")
    sel = quotes.make_selector(old, start, start + len("the toll was 22 people"))
    assert quotes.locate(sel, old) == (start, start + len("the toll was 22 people"))
    new = "Update added.\n\n" + old.replace("Later:", "Later \u2014")
    got = quotes.locate(sel, new)
    assert new[got[1] : got[1] + 14] == ", police said."
    edited = "Intro. Officials spoke. Later on, the death toll was 23 people, police said."
    assert quotes.locate(sel, edited) is None
