"""Russian text basics: tokens, lemmas (pymorphy3), normalized text and its hash, phrase matching.

**Tokens** are razdel's word tokens, produced by one compiled regular expression that follows
razdel's rules (``razdel.segmenters.tokenize``): token for token the same, 4–5 times faster on
residents' messages. Runs of Russian or Latin letters, numbers, hyphenated words ("кое-как",
"Ростов-на-Дону", "10-й"), decimals and fractions ("1,5", "1/2"), letters split from digits ("15а"
→ "15", "а"), symbols such as emoji glued to a letter. The pipeline tokenizes a message once and
shares its :class:`AnalyzedText` between the stages that read words.

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
from typing import Any, Generic, NamedTuple, TypeVar

import pymorphy3
from razdel import tokenize as razdel_tokenize
from razdel.segmenters.punct import DASHES
from razdel.segmenters.tokenize import PUNCTS

URL_RE = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:ru|рф|com|net|org|su|me|info)(?:/\S*)?", re.IGNORECASE
)
MENTION_RE = re.compile(r"(?<!\w)[@#][\w.]+")
# What any match of URL_RE contains: a text without it has no link.
_MAYBE_URL = re.compile(r"https?://|www\.|\.(?:ru|рф|com|net|org|su|me|info)", re.IGNORECASE)
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


@lru_cache(maxsize=500_000)
def _token_readings(word: str) -> tuple[str, ...]:
    """:func:`word_readings` of a token as written (saves folding every token of every message)."""
    return word_readings(fold(word))


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


class Token(NamedTuple):
    text: str  # as written
    start: int
    stop: int

    @property
    def folded(self) -> str:
        return fold(self.text)


# razdel's atoms are runs of Russian letters, runs of Latin letters, runs of digits, single
# punctuation marks (PUNCTS) and single other symbols; two atoms with no space between join into
# one token by its rules. The same rules as one regex:
_P = re.escape(PUNCTS)
_LINK = re.escape(DASHES) + "_"  # dash and underscore rules: any two non-punctuation atoms
_NUM_LINK = r"[.,/\\]"  # float and fraction rules: digits on both sides
# razdel matches letters case-insensitively: these are the characters its [а-яё] and [a-z] match
_RU = "а-яёА-ЯЁ\u1c80-\u1c86"
_LAT = "a-zA-Z\u0130\u0131\u017f\u212a"
_OTHER = rf"[^\s\d{_P}{_RU}{_LAT}]"  # an atom that is neither letters, digits nor punctuation
# letters (Russian and Latin runs glued only through an "other" symbol: "ΔP", "😀привет"), or digits
_LETTERS = rf"(?:[{_RU}]+|[{_LAT}]+)"
_CORE = rf"(?:{_LETTERS}(?:{_OTHER}{_LETTERS}?)*|\d+|(?:{_OTHER}{_LETTERS}?)+)"
_TOKEN_RE = re.compile(
    rf"{_CORE}(?:[{_LINK}]{_CORE}|(?<=\d){_NUM_LINK}\d+)*"
    # a connector before a space joins the atom after it ("кое- как" → "кое-", "5, 6" → "5,")
    rf"(?:[{_LINK}](?=\s+[^\s{_P}])|(?<=\d){_NUM_LINK}(?=\s+\d))?"
    # a connector after a space joins the next atom when the atom before the space allows it ("-5")
    rf"|(?P<lead>(?<=\s)(?:[{_LINK}](?=[^\s{_P}])|{_NUM_LINK}(?=\d)))"
    rf"{_CORE}(?:[{_LINK}]{_CORE}|(?<=\d){_NUM_LINK}\d+)*"
    rf"(?:[{_LINK}](?=\s+[^\s{_P}])|(?<=\d){_NUM_LINK}(?=\s+\d))?"
    # an underscore joined to nothing is a token of its own (it is a word character)
    r"|_",
)
_PUNCT_SET = frozenset(PUNCTS)
_LINK_SET = frozenset(DASHES + "_")
_DIGIT_RE = re.compile(r"\d")
_RAZDEL_ONLY = re.compile(r"yahoo", re.IGNORECASE)  # razdel's one exception ("Yahoo!"): leave it to razdel


def _lead_joins(text: str, start: int, connector: str) -> bool:
    """Whether a connector after a space joins: the atom before the space (razdel's left_2) must be
    no punctuation (dash, underscore) or digits (decimal point, fraction bar)."""
    j = start - 1
    while j >= 0 and text[j].isspace():
        j -= 1
    if j < 0:
        return False
    before = text[j]
    if connector in _LINK_SET:
        return before not in _PUNCT_SET
    return bool(_DIGIT_RE.match(before))


def tokenize(text: str) -> list[Token]:
    """Word tokens (anything with a letter or digit) with their character offsets, as razdel gives."""
    if _RAZDEL_ONLY.search(text):
        return razdel_tokens(text)
    tokens: list[Token] = []
    append, has_word, new = tokens.append, WORD_RE.search, tuple.__new__
    for match in _TOKEN_RE.finditer(text):
        word, start = match.group(), match.start()
        if match.lastgroup is not None and not _lead_joins(text, start, word[0]):  # a "lead" connector
            if word[0] == "_":
                append(new(Token, ("_", start, start + 1)))
            word, start = word[1:], start + 1
        if word[0].isalnum() or has_word(word):  # (str.isalnum is what \w matches, minus "_")
            append(new(Token, (word, start, start + len(word))))
    return tokens


def razdel_tokens(text: str) -> list[Token]:
    """The same word tokens by razdel itself (the reference; slow)."""
    return [Token(t.text, t.start, t.stop) for t in razdel_tokenize(text) if WORD_RE.search(t.text)]


def strip_links(text: str) -> str:
    """The text without URLs, @mentions and #hashtags (they carry no words of the problem)."""
    if _MAYBE_URL.search(text):  # URL_RE backtracks on every word: look for its anchors first
        text = URL_RE.sub(" ", text)
    if "@" in text or "#" in text:
        text = MENTION_RE.sub(" ", text)
    return text


def _blank(match: re.Match[str]) -> str:
    return " " * (match.end() - match.start())


def mask_links(text: str) -> str:
    """:func:`strip_links` keeping the length: links become spaces, so offsets of the words left stay
    those of the original text (the tokens are the same as of ``strip_links(text)``)."""
    if _MAYBE_URL.search(text):  # URL_RE backtracks on every word: look for its anchors first
        text = URL_RE.sub(_blank, text)
    if "@" in text or "#" in text:
        text = MENTION_RE.sub(_blank, text)
    return text


def word_tokens(text: str) -> list[Token]:
    """The tokens of a message without its links and mentions, offsets into ``text``."""
    return tokenize(mask_links(text))


def message_tokens(text: str) -> tuple[list[Token], list[Token]]:
    """A message tokenized once for every stage: (all its tokens, its tokens without links and mentions).

    The second are :func:`word_tokens`; without links both are the same list (no second pass)."""
    tokens = tokenize(text)
    masked = mask_links(text)
    return tokens, (tokens if masked == text else tokenize(masked))


def normalize_tokens(tokens: Sequence[Token]) -> str:
    """:func:`normalize_text` of the text these :func:`word_tokens` come from."""
    return " ".join([fold(t[0]) for t in tokens])


def words(text: str) -> list[str]:
    """Lower-case folded words of the text, links and mentions removed."""
    return [fold(t.text) for t in word_tokens(text)]


def lemmas(text: str) -> list[str]:
    """The most likely lemma of every word of the text."""
    return [word_readings(w)[0] for w in words(text)]


def normalize_text(text: str) -> str:
    """Lower case, ``ё`` → ``е``, links, mentions, punctuation and extra spaces removed."""
    return normalize_tokens(word_tokens(text))


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


def analyze(text: str, tokens: list[Token] | None = None) -> AnalyzedText:
    """Tokens (links and mentions left out; offsets into ``text``), readings and positions.

    ``tokens`` are :func:`word_tokens` of ``text`` when the caller has them already."""
    if tokens is None:
        tokens = word_tokens(text)
    readings = [_token_readings(t[0]) for t in tokens]
    positions: dict[str, list[int]] = {}
    for i, options in enumerate(readings):
        for option in options:
            if option in positions:
                positions[option].append(i)
            else:
                positions[option] = [i]
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
        # Each phrase is looked up by one of its words, its longest (rarer than "не", "нет", "в"):
        # a text without that word cannot hold the phrase.
        self._by_anchor: dict[str, list[int]] = {}
        seen: set[tuple[tuple[tuple[str, ...], ...], Any]] = set()
        for text, payload in phrases:
            readings = phrase_readings(text)
            if not readings or (readings, payload) in seen:
                continue
            seen.add((readings, payload))
            anchor = max(readings, key=lambda word: min(len(r) for r in word))
            for reading in anchor:
                self._by_anchor.setdefault(reading, []).append(len(self.phrases))
            self.phrases.append(Phrase(text=text.strip(), readings=readings, payload=payload))

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(r for phrase in self.phrases for readings in phrase.readings for r in readings)

    def find(self, analyzed: AnalyzedText) -> list[Phrase[P]]:
        found: dict[int, Phrase[P]] = {}
        positions = analyzed.positions
        by_anchor = self._by_anchor
        for anchor in positions.keys() & by_anchor.keys():  # the few readings that anchor a phrase
            for index in by_anchor[anchor]:
                if index not in found and self._matches(self.phrases[index].readings, positions):
                    found[index] = self.phrases[index]
        return [found[i] for i in sorted(found)]

    def _matches(self, readings: Sequence[tuple[str, ...]], positions: dict[str, list[int]]) -> bool:
        if len(readings) == 1:  # its one word is in the text: that is how find() got here
            return True
        for word in readings:  # most phrases miss a word: tell that before collecting positions
            if not any(r in positions for r in word):
                return False
        options: list[list[int]] = []
        for word in readings:
            if len(word) == 1:  # one reading: its positions are ascending and distinct already
                at = positions.get(word[0])
            else:
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
