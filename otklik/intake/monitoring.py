"""Monitoring queries: boolean keyword queries over residents' posts, written by an administrator.

Syntax (see also docs in the admin's help text)::

    (нет | отключили) & (вода | отопление) & !реклама
    "горячей воды нет"            a phrase: these words, adjacent, in this order, any word forms
    "яма дорога"~3                proximity: all the words, any order, at most 3 other words between
    яма NEAR/3 дорога             the same for two operands (words or phrases)
    =воды                         exactly this form only
    отключ*                       any word starting with "отключ"

* ``|`` or ``OR`` — either; ``&`` or ``AND`` — both; two operands side by side mean ``AND`` too;
  ``!`` or ``NOT`` — not; parentheses group. ``NOT`` binds tighter than ``AND``, ``AND`` than ``OR``.
* A plain word matches **every form of its lemma** (``вода`` finds "воды", "воду", "водой"…;
  ``отключили`` finds "отключат", "отключена"…). Case and ``ё``/``е`` do not matter.

**Compile once, scan fast.** :func:`compile_query` parses a query and expands each word to all the
forms of its lemma (pymorphy3's lexeme) once. :class:`Scanner` joins the terms of all active queries
into one table *word form → term ids* (a hash-based multi-pattern matcher over word tokens — an
Aho-Corasick automaton restricted to whole words): scanning a post is one tokenizing regex and one
dictionary look-up per word, never a morphological analysis. The boolean tree of each query is then
evaluated over the set of matched term ids, with word positions for phrases and proximity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from django.db.models.signals import m2m_changed
from django.utils.translation import gettext as _

from otklik.caching import ProcessCache, bump, bump_on_change
from otklik.understanding.text import fold, morph

# Readings scoring below this share of the best one are not expanded ("стали" as сталь).
_READING_SHARE = 0.1
WORD_TOKEN_RE = re.compile(r"\w+(?:-\w+)*")
_MAX_POSITIONS = 16  # per term when checking phrases and proximity: enough for any real post
COMPILED_VERSION = 1


class QuerySyntaxError(ValueError):
    """An invalid monitoring query; ``position`` is the character offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(_("%(message)s (at character %(n)d)") % {"message": message, "n": position + 1})
        self.message = message
        self.position = position


# --- terms and their word forms -----------------------------------------------------------------


class Mode:
    LEXEME = "lexeme"  # every form of the word's lemma(s)
    EXACT = "exact"  # =word
    PREFIX = "prefix"  # word*


@dataclass(frozen=True)
class TermSpec:
    text: str  # folded word as written
    mode: str

    @property
    def key(self) -> str:
        return {Mode.LEXEME: self.text, Mode.EXACT: f"={self.text}", Mode.PREFIX: f"{self.text}*"}[self.mode]


def word_forms(word: str) -> list[str]:
    """All forms of the lemma(s) of a word (folded), the word itself included."""
    word = fold(word)
    parses = morph().parse(word)
    forms = {word}
    if parses:
        best = parses[0].score or 1.0
        for parse in parses:
            if parse.score < best * _READING_SHARE:
                continue
            forms.update(fold(form.word) for form in parse.lexeme)
    return sorted(forms)


def expand(spec: TermSpec) -> list[str]:
    if spec.mode == Mode.LEXEME:
        return word_forms(spec.text)
    return [spec.text]


# --- the query tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    term: int  # index into CompiledQuery.terms


@dataclass(frozen=True)
class Phrase:
    terms: tuple[int, ...]
    slop: int | None  # None: adjacent and in order; n: any order, at most n other words between


@dataclass(frozen=True)
class Near:
    left: Word | Phrase
    right: Word | Phrase
    distance: int


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Word | Phrase | Near | Not | And | Or


# --- lexer and parser -----------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<or>\|)
  | (?P<and>&)
  | (?P<not>!)
  | (?P<near>NEAR/(?P<near_n>\d+))
  | (?P<phrase>"(?P<phrase_text>[^"]*)"(?:~(?P<slop>\d+))?)
  | (?P<word>=?\w+(?:-\w+)*\*?)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"OR": "or", "AND": "and", "NOT": "not"}


@dataclass
class _Tok:
    kind: str
    value: str
    position: int
    number: int = 0


def _lex(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    at = 0
    while at < len(text):
        m = _TOKEN_RE.match(text, at)
        if m is None:
            if text[at] == '"':
                raise QuerySyntaxError(_("a phrase is not closed with a quote"), at)
            raise QuerySyntaxError(_("unexpected character “%(char)s”") % {"char": text[at]}, at)
        kind = m.lastgroup or ""
        if kind == "near_n":
            kind = "near"
        if kind == "phrase_text" or kind == "slop":
            kind = "phrase"
        if m.group("near") is not None:
            tokens.append(_Tok("near", m.group(0), at, int(m.group("near_n"))))
        elif m.group("phrase") is not None:
            slop = m.group("slop")
            tokens.append(_Tok("phrase", m.group("phrase_text"), at, int(slop) if slop is not None else -1))
        elif m.group("word") is not None:
            word = m.group("word")
            tokens.append(_Tok(_KEYWORDS.get(word, "word"), word, at))
        elif m.group("space") is None:
            tokens.append(_Tok(kind, m.group(0), at))
        at = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _lex(text)
        self.at = 0
        self.terms: list[TermSpec] = []
        self._term_index: dict[TermSpec, int] = {}

    def peek(self) -> _Tok | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Tok:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def end_position(self) -> int:
        return len(self.text)

    def parse(self) -> Node:
        if not self.tokens:
            raise QuerySyntaxError(_("the query is empty"), 0)
        node = self.parse_or()
        if isinstance(node, Not) or (
            isinstance(node, And) and all(isinstance(o, Not) for o in node.operands)
        ):
            raise QuerySyntaxError(_("a query cannot consist of negations only: say what to look for"), 0)
        token = self.peek()
        if token is not None:
            if token.kind == "rparen":
                raise QuerySyntaxError(_("a closing parenthesis without an opening one"), token.position)
            raise QuerySyntaxError(_("unexpected “%(token)s”") % {"token": token.value}, token.position)
        return node

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "or":
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_unary()]
        while (token := self.peek()) is not None and token.kind in ("and", "not", "word", "phrase", "lparen"):
            if token.kind == "and":
                self.take()
            operands.append(self.parse_unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_unary(self) -> Node:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError(
                _("the query ends where a word, a phrase or “(” is expected"), len(self.text)
            )
        if token.kind == "not":
            self.take()
            return Not(self.parse_unary())
        return self.parse_near()

    def parse_near(self) -> Node:
        left = self.parse_primary()
        while (token := self.peek()) is not None and token.kind == "near":
            self.take()
            right = self.parse_primary()
            if not isinstance(left, Word | Phrase) or not isinstance(right, Word | Phrase):
                raise QuerySyntaxError(_("NEAR/n joins two words or phrases"), token.position)
            left = Near(left, right, token.number)
        return left

    def parse_primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError(
                _("the query ends where a word, a phrase or “(” is expected"), len(self.text)
            )
        if token.kind == "lparen":
            self.take()
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != "rparen":
                raise QuerySyntaxError(_("a parenthesis is not closed"), token.position)
            self.take()
            return node
        if token.kind == "word":
            self.take()
            return Word(self.term(token.value, token.position))
        if token.kind == "phrase":
            self.take()
            words = WORD_TOKEN_RE.findall(token.value)
            if not words:
                raise QuerySyntaxError(_("an empty phrase"), token.position)
            terms = tuple(self.term(w, token.position) for w in words)
            slop = token.number if token.number >= 0 else None
            if len(terms) == 1:
                return Word(terms[0])
            return Phrase(terms, slop)
        raise QuerySyntaxError(_("unexpected “%(token)s”") % {"token": token.value}, token.position)

    def term(self, raw: str, position: int) -> int:
        mode = Mode.LEXEME
        if raw.startswith("="):
            mode, raw = Mode.EXACT, raw[1:]
        if raw.endswith("*"):
            if mode == Mode.EXACT:
                raise QuerySyntaxError(_("“=” and “*” cannot be combined"), position)
            mode, raw = Mode.PREFIX, raw[:-1]
            if len(raw) < 3:
                raise QuerySyntaxError(_("a prefix needs at least 3 letters before “*”"), position)
        if not raw:
            raise QuerySyntaxError(_("an empty word"), position)
        spec = TermSpec(fold(raw), mode)
        if spec not in self._term_index:
            self._term_index[spec] = len(self.terms)
            self.terms.append(spec)
        return self._term_index[spec]


def parse(text: str) -> tuple[Node, list[TermSpec]]:
    """The tree of a query and its distinct terms; :class:`QuerySyntaxError` when it is invalid."""
    parser = _Parser(text)
    return parser.parse(), parser.terms


# --- compiled queries and the scanner -------------------------------------------------------------


@dataclass
class CompiledQuery:
    text: str
    tree: Node
    terms: list[TermSpec]
    forms: list[list[str]]  # per term
    key: Any = None  # the owner's id (a MonitoringQuery pk)
    name: str = ""
    categories: list[str] = field(default_factory=list)
    sources: frozenset[int] = frozenset()  # only posts of these sources (empty: every source)
    territories: frozenset[int] = frozenset()  # only posts placed in or under these (empty: anywhere)

    def cache(self) -> dict[str, Any]:
        """What is worth keeping between processes: the expanded word forms of each term."""
        return {
            "version": COMPILED_VERSION,
            "text": self.text,
            "forms": {t.key: f for t, f in zip(self.terms, self.forms, strict=True)},
        }


def compile_query(
    text: str,
    *,
    cache: dict[str, Any] | None = None,
    key: Any = None,
    name: str = "",
    categories: Sequence[str] = (),
    sources: Iterable[int] = (),
    territories: Iterable[int] = (),
) -> CompiledQuery:
    """Parse a query and expand its terms to word forms (reusing ``cache`` of the same text)."""
    tree, terms = parse(text)
    cached: dict[str, list[str]] = {}
    if cache and cache.get("version") == COMPILED_VERSION and cache.get("text") == text:
        cached = cache.get("forms") or {}
    forms = [list(cached[t.key]) if t.key in cached else expand(t) for t in terms]
    return CompiledQuery(
        text,
        tree,
        terms,
        forms,
        key=key,
        name=name,
        categories=list(categories),
        sources=frozenset(sources),
        territories=frozenset(territories),
    )


MAX_QUERY_CHARS = 4000  # a long list of alternatives fits; a pasted document, matched on every post, not


def compile_edited(text: str, **kwargs: Any) -> CompiledQuery:
    """:func:`compile_query` for a query being written (the page's form, its preview, the admin): one
    longer than :data:`MAX_QUERY_CHARS` is refused like a syntax error. Stored queries compile without
    the limit, so none already saved stops working."""
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            _("the query is longer than %(max)d characters") % {"max": MAX_QUERY_CHARS}, MAX_QUERY_CHARS
        )
    return compile_query(text, **kwargs)


@dataclass(frozen=True)
class QueryMatch:
    key: Any
    name: str
    terms: list[str]  # the query's terms found in the post, as written in the query
    found: list[str]  # the words of the post they matched
    categories: list[str]
    territories: frozenset[int] = frozenset()  # the query's territory scope, checked once placed

    def in_place(self, chain: Iterable[int]) -> bool:
        """Whether a post placed in the territory ``chain`` (it and its ancestors' ids) is in scope."""
        return not self.territories or not self.territories.isdisjoint(chain)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "name": self.name,
            "terms": self.terms,
            "found": self.found,
            "categories": self.categories,
        }


Hits = dict[int, list[int]]  # local term index → word positions


def _spans(node: Word | Phrase, hits: Hits) -> list[tuple[int, int]]:
    if isinstance(node, Word):
        return [(p, p) for p in hits.get(node.term, ())]
    options = [hits.get(t, ())[:_MAX_POSITIONS] for t in node.terms]
    if not all(options):
        return []
    if node.slop is None:
        first, rest = options[0], [set(o) for o in options[1:]]
        return [(p, p + len(rest)) for p in first if all(p + i + 1 in at for i, at in enumerate(rest))]
    k = len(options)
    spans = []
    for combo in product(*options):
        if len(set(combo)) == k and (max(combo) - min(combo) + 1) - k <= node.slop:
            spans.append((min(combo), max(combo)))
    return spans


def evaluate(node: Node, hits: Hits) -> bool:
    if isinstance(node, Word):
        return node.term in hits
    if isinstance(node, Phrase):
        return bool(_spans(node, hits))
    if isinstance(node, Near):
        left, right = _spans(node.left, hits), _spans(node.right, hits)
        return any(
            max(a[0], b[0]) - min(a[1], b[1]) - 1 <= node.distance and (a[1] < b[0] or b[1] < a[0])
            for a in left
            for b in right
        )
    if isinstance(node, Not):
        return not evaluate(node.operand, hits)
    if isinstance(node, And):
        return all(evaluate(o, hits) for o in node.operands)
    return any(evaluate(o, hits) for o in node.operands)


class Scanner:
    """All compiled queries joined into one word-form table; ``scan`` says which queries match a post."""

    def __init__(self, queries: Iterable[CompiledQuery]) -> None:
        self.queries = list(queries)
        # global term id → (query index, local term index); form → global term ids
        self._owners: list[tuple[int, int]] = []
        self._forms: dict[str, list[int]] = {}
        prefixes: dict[int, dict[str, list[int]]] = {}
        for qi, query in enumerate(self.queries):
            for ti, (spec, forms) in enumerate(zip(query.terms, query.forms, strict=True)):
                gid = len(self._owners)
                self._owners.append((qi, ti))
                if spec.mode == Mode.PREFIX:
                    prefixes.setdefault(len(spec.text), {}).setdefault(spec.text, []).append(gid)
                    continue
                for form in forms:
                    self._forms.setdefault(form, []).append(gid)
        self._prefixes = sorted(prefixes.items())

    def __bool__(self) -> bool:
        return bool(self.queries)

    @property
    def form_count(self) -> int:
        return len(self._forms)

    def hits(self, text: str) -> dict[int, list[int]]:
        """Global term id → positions of the words of ``text`` that are its forms."""
        tokens = WORD_TOKEN_RE.findall(text.lower().replace("ё", "е"))
        found: dict[int, list[int]] = {}
        forms, prefixes = self._forms, self._prefixes
        for position, token in enumerate(tokens):
            ids = forms.get(token)
            if ids is not None:
                for gid in ids:
                    found.setdefault(gid, []).append(position)
            for length, table in prefixes:
                pids = table.get(token[:length]) if len(token) >= length else None
                if pids is not None:
                    for gid in pids:
                        found.setdefault(gid, []).append(position)
        return found

    def matching(self, text: str, source: int | None = None) -> list[int]:
        """Indexes of the queries matching ``text`` (the fast path: no details); with ``source``, only
        the queries that watch that source."""
        found = self.hits(text)
        if not found:
            return []
        per_query = self._per_query(found, source)
        return [qi for qi, hits in per_query.items() if evaluate(self.queries[qi].tree, hits)]

    def _per_query(self, found: dict[int, list[int]], source: int | None = None) -> dict[int, Hits]:
        per_query: dict[int, Hits] = {}
        for gid, positions in found.items():
            qi, ti = self._owners[gid]
            per_query.setdefault(qi, {})[ti] = positions
        if source is not None:
            queries = self.queries
            return {
                qi: h
                for qi, h in per_query.items()
                if not queries[qi].sources or source in queries[qi].sources
            }
        return per_query

    def scan(self, text: str, source: int | None = None) -> list[QueryMatch]:
        """The queries matching ``text``, with the terms and words that matched; with ``source`` (a
        Source id), only the queries that watch that source. A query's territory scope is checked
        once the post is placed (:meth:`QueryMatch.in_place`)."""
        found = self.hits(text)
        if not found:
            return []
        per_query = self._per_query(found, source)
        words: list[str] | None = None
        matches = []
        for qi, hits in per_query.items():
            query = self.queries[qi]
            if not evaluate(query.tree, hits):
                continue
            if words is None:
                words = WORD_TOKEN_RE.findall(text)
            positive = _positive_terms(query.tree)
            terms = [query.terms[ti].key for ti in sorted(hits) if ti in positive]
            found_words = sorted({words[p] for ti in hits if ti in positive for p in hits[ti]})
            matches.append(
                QueryMatch(query.key, query.name, terms, found_words, query.categories, query.territories)
            )
        return sorted(matches, key=lambda m: (str(m.name), str(m.key)))


def _positive_terms(node: Node) -> set[int]:
    """Terms that count for a match (those under a NOT do not)."""
    if isinstance(node, Word):
        return {node.term}
    if isinstance(node, Phrase):
        return set(node.terms)
    if isinstance(node, Near):
        return _positive_terms(node.left) | _positive_terms(node.right)
    if isinstance(node, Not):
        return set()
    return set().union(*(_positive_terms(o) for o in node.operands))


# --- the active queries of the database -----------------------------------------------------------

QUERIES = "monitoring-queries"  # the version of the compiled queries (otklik.caching)
bump_on_change(QUERIES, "intake.MonitoringQuery")


def _compile_active() -> Scanner:
    from .models import MonitoringQuery

    compiled = []
    active = MonitoringQuery.objects.filter(is_active=True).order_by("pk")
    for query in active.prefetch_related("categories", "sources", "territories"):
        try:
            compiled.append(query.compile())
        except QuerySyntaxError:  # saved around the admin's validation: skip, do not fail the pipeline
            continue
    return Scanner(compiled)


scanner_cache = ProcessCache(QUERIES, build=_compile_active)


def _scope_changed(**kwargs: Any) -> None:
    if kwargs.get("action", "").startswith("post_"):
        bump(QUERIES)


def watch_scopes() -> None:
    """A query's categories, sources and territories are rows of their own: a change there counts."""
    from .models import MonitoringQuery

    for relation in (MonitoringQuery.categories, MonitoringQuery.sources, MonitoringQuery.territories):
        m2m_changed.connect(
            _scope_changed,
            sender=relation.through,
            weak=False,
            dispatch_uid=f"otklik.monitoring:{relation.field.name}",
        )


def active_scanner() -> Scanner:
    """A scanner over the active MonitoringQuery rows, rebuilt only when one of them changed."""
    return scanner_cache.get()


__all__ = [
    "CompiledQuery",
    "QueryMatch",
    "QuerySyntaxError",
    "Scanner",
    "active_scanner",
    "compile_query",
    "evaluate",
    "parse",
    "word_forms",
]
