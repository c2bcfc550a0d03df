"""Russian text basics: tokens (razdel), lemmas (pymorphy3), normalized text and its hash, phrase matching.

One ``MorphAnalyzer`` per process; every word's analysis sits behind an ``lru_cache`` so a batch
pays for each distinct word once. Lemmas are lower case with ``ё`` folded to ``е``.

A token may have several readings ("стали": стать / сталь). :func:`analyze` keeps, per token, the
set of normal forms whose parse score is within a factor of the best one, so a keyword given in
its dictionary form matches any inflected form of the word, while rare readings stay out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from typing import Any, Generic, TypeVar

import pymorphy3
from razdel import tokenize as razdel_tokenize

URL_RE = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:ru|рф|com|net|org|su|me|info)(?:/\S*)?", re.IGNORECASE
)
MENTION_RE = re.compile(r"(?<!\w)[@#][\w.]+")
WORD_RE = re.compile(r"\w", re.UNICODE)

# Readings scoring below this share of the best reading are ignored (e.g. "стали" as сталь).
_READING_SHARE = 0.1
# Function words dropped from keyword phrases; negation and "без" carry meaning and stay.
_FUNCTION_POS = frozenset({"PREP", "CONJ", "PRCL", "INTJ"})
_KEPT_FUNCTION_WORDS = frozenset({"не", "нет", "без"})


@lru_cache(maxsize=1)
def morph() -> pymorphy3.MorphAnalyzer:
    """The process-wide analyzer (loading it costs ~0.1 s and some memory: do it once)."""
    return pymorphy3.MorphAnalyzer()


def fold(word: str) -> str:
    return word.lower().replace("ё", "е")


@lru_cache(maxsize=500_000)
def word_readings(word: str) -> tuple[str, ...]:
    """Normal forms of a (lower-case, folded) word, most likely first."""
    parses = morph().parse(word)
    if not parses:
        return (word,)
    best = parses[0].score or 1.0
    seen: dict[str, None] = {}
    for parse in parses:
        if parse.score < best * _READING_SHARE and seen:
            continue
        seen.setdefault(fold(parse.normal_form), None)
    return tuple(seen)


def terms(text: str) -> list[str]:
    """A list of keywords written as one comma- or line-separated string (for long rule lists)."""
    return [term.strip() for term in re.split(r"[,\n]", text) if term.strip()]


def lemma(word: str) -> str:
    """The most likely normal form of one word."""
    return word_readings(fold(word))[0]


@lru_cache(maxsize=100_000)
def is_function_word(word: str) -> bool:
    word = fold(word)
    if word in _KEPT_FUNCTION_WORDS:
        return False
    parses = morph().parse(word)
    return bool(parses) and parses[0].tag.POS in _FUNCTION_POS


@dataclass(frozen=True)
class Token:
    text: str  # as written
    start: int
    stop: int

    @property
    def folded(self) -> str:
        return fold(self.text)


def tokenize(text: str) -> list[Token]:
    """Word tokens (anything with a letter or digit) with their character offsets."""
    return [Token(t.text, t.start, t.stop) for t in razdel_tokenize(text) if WORD_RE.search(t.text)]


def strip_links(text: str) -> str:
    """The text without URLs, @mentions and #hashtags (they carry no words of the problem)."""
    return MENTION_RE.sub(" ", URL_RE.sub(" ", text))


def words(text: str) -> list[str]:
    """Lower-case folded words of the text, links and mentions removed."""
    return [t.folded for t in tokenize(strip_links(text))]


def lemmas(text: str) -> list[str]:
    """The most likely lemma of every word of the text."""
    return [word_readings(w)[0] for w in words(text)]


def normalize_text(text: str) -> str:
    """Lower case, ``ё`` → ``е``, links, mentions, punctuation and extra spaces removed."""
    return " ".join(words(text))


def text_hash(text: str) -> str:
    """A stable 40-hex hash of the normalized text: equal for reposts and copy-pasted complaints."""
    return hashlib.sha1(normalize_text(text).encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass
class AnalyzedText:
    """A text tokenized once for all stages: tokens, per-token readings and lemma → positions."""

    text: str
    tokens: list[Token]
    readings: list[tuple[str, ...]]
    positions: dict[str, list[int]] = field(default_factory=dict)

    @property
    def lemmas(self) -> list[str]:
        return [r[0] for r in self.readings]

    @property
    def lemma_set(self) -> frozenset[str]:
        return frozenset(self.positions)


def analyze(text: str) -> AnalyzedText:
    tokens = tokenize(strip_links(text))
    readings = [word_readings(t.folded) for t in tokens]
    positions: dict[str, list[int]] = {}
    for i, options in enumerate(readings):
        for option in options:
            positions.setdefault(option, []).append(i)
    return AnalyzedText(text=text, tokens=tokens, readings=readings, positions=positions)


def phrase_readings(phrase: str) -> tuple[tuple[str, ...], ...]:
    """Readings of every content word of a keyword phrase (prepositions, conjunctions and
    particles dropped): "ямы на дороге" → (("ям", "яма"), ("дорога",))."""
    ws = [t.folded for t in tokenize(phrase)]
    content = [w for w in ws if not is_function_word(w)] or ws
    return tuple(word_readings(w) for w in content)


def phrase_lemmas(phrase: str) -> tuple[str, ...]:
    """The most likely lemma of every content word of a keyword phrase."""
    return tuple(readings[0] for readings in phrase_readings(phrase))


P = TypeVar("P")


@dataclass(frozen=True)
class Phrase(Generic[P]):
    text: str
    readings: tuple[tuple[str, ...], ...]
    payload: P

    @property
    def lemmas(self) -> tuple[str, ...]:
        return tuple(r[0] for r in self.readings)

    @property
    def weight(self) -> int:
        return len(self.readings)


class PhraseMatcher(Generic[P]):
    """Finds keyword phrases in a text by lemmas, in any word form and any word order.

    A phrase of *k* words matches when all of them occur within a window of ``k + slack`` tokens
    ("нет горячей воды" matches "горячей воды в доме нет"); a word matches a token when one of
    its readings is one of the token's. Compile once, scan many texts.
    """

    def __init__(self, phrases: Iterable[tuple[str, P]], *, slack: int = 3) -> None:
        self.slack = slack
        self.phrases: list[Phrase[P]] = []
        self._by_first: dict[str, list[int]] = {}
        seen: set[tuple[tuple[tuple[str, ...], ...], Any]] = set()
        for text, payload in phrases:
            readings = phrase_readings(text)
            if not readings or (readings, payload) in seen:
                continue
            seen.add((readings, payload))
            for first in readings[0]:
                self._by_first.setdefault(first, []).append(len(self.phrases))
            self.phrases.append(Phrase(text=text.strip(), readings=readings, payload=payload))

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(r for phrase in self.phrases for readings in phrase.readings for r in readings)

    def find(self, analyzed: AnalyzedText) -> list[Phrase[P]]:
        found: dict[int, Phrase[P]] = {}
        positions = analyzed.positions
        for first in positions:
            for index in self._by_first.get(first, ()):
                if index not in found and self._matches(self.phrases[index].readings, positions):
                    found[index] = self.phrases[index]
        return [found[i] for i in sorted(found)]

    def _matches(self, readings: Sequence[tuple[str, ...]], positions: dict[str, list[int]]) -> bool:
        options: list[list[int]] = []
        for word in readings:
            at = sorted({p for r in word for p in positions.get(r, ())})
            if not at:
                return False
            options.append(at[:8])
        if len(options) == 1:
            return True
        window = len(options) + self.slack
        for combo in product(*options):
            if len(set(combo)) == len(combo) and max(combo) - min(combo) < window:
                return True
        return False
