"""The featurizer's words and label documents: what a text is before it becomes features."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..text import AnalyzedText, strip_links, word_readings

TAG_RE = re.compile(r"<[^>]{0,400}>")
# Words for the featurizer: runs of Cyrillic or Latin letters and digits, hyphenated parts kept
# together ("северо-запад"), on lower-cased text with ё folded to е.
TOKEN_RE = re.compile(r"[0-9a-zа-яё]+(?:-[0-9a-zа-яё]+)*")


def clean_html(text: str) -> str:
    """Text without HTML tags and entities ("<p>Яма&nbsp;на дороге</p>" → " Яма на дороге ")."""
    if "<" not in text and "&" not in text:
        return text
    return html.unescape(TAG_RE.sub(" ", text))


def tokens(text: str) -> tuple[str, ...]:
    """The featurizer's words: HTML, links and mentions removed, lower case, ё → е."""
    return tuple(TOKEN_RE.findall(strip_links(clean_html(text)).lower().replace("ё", "е")))


@dataclass(frozen=True)
class Prepared:
    """One text as the featurizer reads it: its words and extra tokens (rules' verdicts, places)."""

    words: tuple[str, ...]
    extra: tuple[str, ...] = ()

    @property
    def folded(self) -> str:
        return " ".join(self.words)

    @property
    def lemmas(self) -> str:
        return " ".join(word_readings(w)[0] for w in self.words)


def prepare(text: str, extra: Iterable[str] = ()) -> Prepared:
    return Prepared(words=tokens(text), extra=tuple(extra))


def prepare_analyzed(analyzed: AnalyzedText, extra: Iterable[str] = ()) -> Prepared:
    """The same as :func:`prepare` for a text the pipeline has already analyzed. The featurizer
    tokenizes the text again with its own regex (≈ 30 µs): the model sees exactly the words it
    was trained on, whatever tokenizer the pipeline uses."""
    return prepare(analyzed.text, extra)


@dataclass(frozen=True)
class LabelDoc:
    """A description of a label learned as one more example of it: the name of a finer label under
    it (a topic of a category), or a category's name and keywords."""

    doc: Prepared
    label: str
    fine: str = ""  # the finer label this text names, for the fine head ("" for none)
    keep_terms: bool = False  # keep its words even when no example has them (curated keywords)
    weight: float = 1.0  # how many examples it counts as (times the model's label_doc_weight)


# What `otklik train` counts a topic's name as: measured on the Kursk appeals (docs/benchmarks.md,
# category [2b]: accuracy better at five seeds of five, 0.844 → 0.850 on the held-out file).
# `otklik evaluate` keeps 1 unless --label-doc-weight says otherwise, as its recorded rows were.
FINE_DOC_WEIGHT = 3.0


def label_docs_from_fine(fine_to_label: dict[str, str], *, weight: float = 1.0) -> list[LabelDoc]:
    """Every finer label's own text (e.g. a topic's name) as a description of its label, counted
    as ``weight`` examples."""
    return [
        LabelDoc(prepare(fine), label, fine, weight=weight) for fine, label in sorted(fine_to_label.items())
    ]
