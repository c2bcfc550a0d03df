"""A case's title from its first message: the first sentence that says something."""

from __future__ import annotations

import re

from razdel import sentenize
from razdel.segmenters.sentenize import DELIMITERS as SENTENCE_DELIMITERS

TITLE_LENGTH = 120

# Openers that say nothing about the problem: a title starts after them.
_OPENERS = re.compile(
    r"^(здравствуйте|добрый (день|вечер)|доброе утро|доброго времени суток|привет\w*|помогите|"
    r"уважаемые?( \w+)?|администрация,? ау|сколько можно( терпеть)?|срочно|люди|подскажите)\b",
    re.IGNORECASE,
)


# razdel splits sentences only at these marks (razdel.segmenters.sentenize.DELIMITER)
_SENTENCE_MARKS = re.compile(f"[{re.escape(SENTENCE_DELIMITERS)}]")
# The title is looked for in the text's beginning first — up to its first sentence mark, then 400
# characters: razdel decides a sentence end by the 10 characters after it (its window), so the
# sentences of a beginning that end before its last 10 characters are those of the whole text.
_TITLE_HEAD = 400
_RAZDEL_WINDOW = 10


def _title_sentence(flat: str, *, whole: bool = False) -> str | None:
    """The first sentence that says something; of a text's beginning (``whole=False``) only when
    its end is certain, else None."""
    if not _SENTENCE_MARKS.search(flat):
        return flat if whole else None
    first: str | None = None
    # razdel yields sentences lazily, in order: the sentences after the title are never split
    for s in sentenize(flat):
        if not whole and s.stop + _RAZDEL_WINDOW > len(flat):
            break  # (its end, and every later sentence's, is not certain in a beginning)
        if not (len(s.text.split()) <= 4 and _OPENERS.match(s.text)):
            return str(s.text)
        if first is None:
            first = s.text
    if whole:
        return first if first is not None else flat
    return None


def make_title(text: str, limit: int = TITLE_LENGTH) -> str:
    """The first sentence that says something (greetings and cries skipped), cut at a word boundary.

    Sentences are split by razdel, which knows Russian abbreviations ("ул.", "д.", "кв.").
    """
    flat = " ".join(text.split())
    mark = _SENTENCE_MARKS.search(flat)
    if mark is None:
        sentence: str | None = flat
    else:
        sentence = None
        for head in (mark.end() + _RAZDEL_WINDOW, _TITLE_HEAD):
            if sentence is None and head < len(flat):
                sentence = _title_sentence(flat[:head])
        if sentence is None:
            sentence = _title_sentence(flat, whole=True)
    assert sentence is not None
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0]
    return f"{cut}…"
