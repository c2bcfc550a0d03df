"""A draft answer for the executor, from the region's own approved answers.

:func:`make_draft` takes the past answers of the most similar cases (the caller narrows them to the
same category and agency, best first) and returns the first that passes the answer check
(:func:`.quality.assess_answer`), with what belonged to that other resident blanked: the appeal's
number and the dates of that case become ``[…]`` placeholders the executor fills. The executor edits
it; the answer form refuses a draft sent unchanged or with a placeholder left (:func:`unedited`), and
:func:`kept_share` records how much of the draft the sent answer kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher

from django.utils.translation import gettext_lazy

from .quality import AnswerQuality, assess_answer

PLACEHOLDER = "[…]"
_APPEAL_NUMBER = re.compile(r"(№|N)\s*\d{5,}")
_DATE = re.compile(r"\b\d{1,2}[./]\d{1,2}[./](?:19|20)?\d{2}\b(?:\s*(?:г\.|года|год))?")
_PLACEHOLDERS = re.compile(r"\[…\]|\[\.\.\.\]")
# Why an answer written from a draft is refused (:func:`unedited`): said by the server and, before the
# form is sent, by the page's script (otklik.js, keeping what the executor wrote).
REFUSALS = {
    "unchanged": gettext_lazy("The draft is someone else's answer: edit it for this case before sending."),
    "placeholder": gettext_lazy("Fill in the blanks […] the draft left for this case's dates and numbers."),
}


@dataclass(frozen=True)
class Draft:
    text: str
    source_case_id: int
    similarity: float
    quality: AnswerQuality  # the check on the draft as offered


@dataclass(frozen=True)
class DraftSource:
    case_id: int
    similarity: float
    answer: str


def generalize(answer: str) -> str:
    """The past answer with the other case's appeal number and dates blanked."""
    text = _APPEAL_NUMBER.sub(lambda m: f"{m.group(1)} {PLACEHOLDER}", answer)
    return _DATE.sub(PLACEHOLDER, text).strip()


def make_draft(
    question_text: str, sources: Iterable[DraftSource], *, answered_on: date | None = None, tries: int = 5
) -> Draft | None:
    """The draft from the best-matching past answer that passes the check (on its own wording: the
    placeholders stand for the new case's dates), or ``None``."""
    for n, source in enumerate(sources):
        if n >= tries:
            break
        if not source.answer.strip() or not assess_answer(question_text, source.answer).passes:
            continue
        text = generalize(source.answer)
        quality = assess_answer(question_text, text, answered_on=answered_on)
        return Draft(text, source.case_id, source.similarity, quality)
    return None


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def unedited(text: str, draft: str) -> str | None:
    """Why an answer written from ``draft`` may not be sent yet ("unchanged", "placeholder"), or None."""
    if not draft.strip():
        return None
    if _normal(text) == _normal(draft):
        return "unchanged"
    if _PLACEHOLDERS.search(text):
        return "placeholder"
    return None


def kept_share(text: str, draft: str) -> float:
    """How much of the draft the sent answer kept (0 … 1, word by word)."""
    a, b = _normal(draft).split(), _normal(text).split()
    if not a:
        return 0.0
    matched = sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return round(matched / len(a), 3)
