"""Text search over cases that matches word forms and treats ё as е.

PostgreSQL: full-text search with the ``russian`` configuration over the title, the text and the
address (ё is folded to е on both sides first); each query word is asked in all its forms from
pymorphy3, as the Snowball stemmer splits some of a word's forms, and as a prefix (a word typed in
part, "отоп"); the forms are turned into lexemes by PostgreSQL itself. The vector is the
expression of a GIN index (:data:`SEARCH_INDEX`, migration cases/0011), so the search reads the
index instead of scanning the table; the case number is matched as a substring through a trigram
index (:data:`NUMBER_INDEX`). SQLite: each query word is lemmatized
with pymorphy3 and its stems — the part every form of the word shares — are matched with LIKE
against the same fields folded ё → е, and a substring match of the whole query still counts. Every
query word must match (AND).
"""

from __future__ import annotations

from functools import lru_cache

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Index, Q, TextField, Value
from django.db.models.expressions import Expression
from django.db.models.functions import Cast, Concat, Replace

from otklik.understanding.text import fold, morph, word_readings

from .models import CaseQuerySet

SEARCHED_FIELDS = ("title", "text", "address")
# A stem shorter than this is too loose to match on its own (ёлка/ёлок share only "ёл").
MIN_STEM = 4
# A word whose forms do not reduce to a few stems is matched as written and by its lemma.
MAX_STEMS = 12
# PostgreSQL's stemmer maps some forms of a word apart ("подвал" → подва, "подвале" → подвал): the
# query asks for every form of the word, up to this many.
MAX_FORMS = 60
WORD_MIN = 2
# A word this long is also asked as a prefix on PostgreSQL ("отоп" finds "отопление").
PREFIX_MIN = 3
# PostgreSQL-only indexes (migration cases/0011 creates them there and nothing on SQLite).
SEARCH_INDEX = "case_search_vector"
NUMBER_INDEX = "case_number_trgm"


def folded(expression: str | Expression) -> Replace:
    """A text column with ё/Ё replaced by е/Е (in SQL, on both databases)."""
    inner = Replace(expression, Value("ё"), Value("е"), output_field=TextField())
    return Replace(inner, Value("Ё"), Value("Е"), output_field=TextField())


def query_words(text: str) -> list[str]:
    """The words of a search query, folded (lower case, ё → е), in order, without repeats."""
    words = (fold(w) for w in _split(text))
    return list(dict.fromkeys(w for w in words if len(w) >= WORD_MIN))


def _split(text: str) -> list[str]:
    cleaned = "".join(ch if ch.isalnum() else " " for ch in text)
    return cleaned.split()


@lru_cache(maxsize=10_000)
def lexemes(word: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each likely reading of ``word`` (folded) as (lemma, its forms), all folded."""
    readings = set(word_readings(word))
    found: dict[str, tuple[str, ...]] = {}
    for parse in morph().parse(word):
        lemma = fold(parse.normal_form)
        if lemma in readings and lemma not in found:
            found[lemma] = tuple(sorted({fold(f.word) for f in parse.lexeme}))
    return tuple(found.items())


def word_forms(word: str) -> list[str]:
    """The word and the forms of its likely readings (lemmas first), at most :data:`MAX_FORMS`."""
    forms = [word, *(lemma for lemma, _ in lexemes(word))]
    forms += [f for _, lexeme in lexemes(word) for f in lexeme]
    return [f for f in dict.fromkeys(forms) if f.isalnum()][:MAX_FORMS]


@lru_cache(maxsize=10_000)
def word_stems(word: str) -> tuple[str, ...]:
    """The prefixes that together cover every form of every likely reading of ``word`` (folded):
    "отопления" → ("отоплен",); "елка" → ("елк", "елок")."""
    stems: set[str] = {word}
    for lemma, forms in lexemes(word):
        stems.update(_cover(list(forms), lemma))
    if len(stems) > MAX_STEMS:
        stems = {word, *(lemma for lemma, _ in lexemes(word))}
    return tuple(_prefix_free(stems))


def tsquery_text(words: list[str]) -> str:
    """A ``to_tsquery('simple', …)`` expression: every word (AND) as any of its forms' lexemes or as
    a prefix of its own lexeme (OR). The lexemes are PostgreSQL's (``to_tsvector('russian', …)`` of
    the forms, each once: repeats would make the planner think the query matches most rows); a
    stop word has none and is left out. They are letters and digits only, quoted, so nothing in the
    expression is tsquery syntax from the user. PostgreSQL only."""
    groups = []
    for word in words:
        stem, lexemes = _pg_lexemes(word)
        if not stem:  # a stop word: the vector holds none of it
            continue
        asked = [f"'{lex}'" for lex in lexemes if not lex.startswith(stem)]
        asked.append(f"'{stem}':*" if len(word) >= PREFIX_MIN else f"'{stem}'")
        groups.append("(" + " | ".join(asked) + ")")
    return " & ".join(groups)


@lru_cache(maxsize=10_000)
def _pg_lexemes(word: str) -> tuple[str, tuple[str, ...]]:
    """The word's own lexeme ("" for a stop word) and the distinct lexemes of its forms."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(to_tsvector('russian', %s)),"
            " tsvector_to_array(to_tsvector('russian', %s))",
            [word, " ".join(word_forms(word))],
        )
        own, of_forms = cursor.fetchone()
    clean = [lex for lex in of_forms if lex.isalnum()]
    stem = own[0] if len(own) == 1 and own[0].isalnum() else ""
    return stem, tuple(sorted(clean))


def search_vector() -> SearchVector:
    """The searched text as PostgreSQL's ``tsvector``: the expression of :data:`SEARCH_INDEX`
    (a query must build it exactly so for the planner to use the index)."""
    return SearchVector(*(folded(f) for f in SEARCHED_FIELDS), config="russian")


def search_index() -> Index:
    """The GIN index of the full-text vector (PostgreSQL only)."""
    return GinIndex(search_vector(), name=SEARCH_INDEX)


# ``number__icontains`` is ``UPPER(number::text) LIKE UPPER(…)``: trigrams of that expression (an
# operator class inside an expression index is SQL Django's Index cannot write).
NUMBER_INDEX_SQL = (
    f'CREATE INDEX IF NOT EXISTS "{NUMBER_INDEX}" ON "cases_case" '
    'USING gin ((UPPER(("number")::text)) gin_trgm_ops)'
)


def common_prefix(words: list[str]) -> str:
    """The longest beginning every one of ``words`` shares ("" for none)."""
    if not words:
        return ""
    first, last = min(words), max(words)
    n = 0
    while n < len(first) and first[n] == last[n]:
        n += 1
    return first[:n]


def _cover(forms: list[str], lemma: str) -> list[str]:
    common = common_prefix(forms)
    if len(common) >= min(MIN_STEM, len(lemma)):
        return [common]
    # The forms that keep the lemma's stem but its last letter share one prefix; the rest stand alone.
    base = lemma[: max(len(common) + 1, len(lemma) - 1)]
    near = [f for f in forms if f.startswith(base)]
    return ([common_prefix(near)] if near else []) + [f for f in forms if not f.startswith(base)]


def _prefix_free(stems: set[str]) -> list[str]:
    """Drop any stem that a shorter one already covers (LIKE '%елк%' covers '%елки%')."""
    kept: list[str] = []
    for stem in sorted(stems, key=len):
        if not any(k in stem for k in kept):
            kept.append(stem)
    return sorted(kept)


def _case_forms(stem: str) -> list[str]:
    """SQLite's LIKE folds only ASCII case: a folded stem as it may start a word or stand in capitals."""
    return list(dict.fromkeys([stem, stem.capitalize(), stem.upper()]))


def case_variants(text: str) -> list[str]:
    """SQLite's LIKE folds only ASCII case; try the usual Cyrillic spellings there (PostgreSQL needs one)."""
    if connection.vendor != "sqlite":
        return [text]
    return list(dict.fromkeys([text, text.lower(), text.upper(), text.capitalize(), text.title()]))


def search_cases(qs: CaseQuerySet, text: str) -> CaseQuerySet:
    """Cases whose number holds ``text`` or whose title, text or address match it by word forms."""
    text = text.strip()
    by_number = Q(number__icontains=text)
    words = query_words(text)
    if connection.vendor == "postgresql":  # both arms read a GIN index (a BitmapOr, no scan)
        asked = tsquery_text(words)
        if not asked:
            return qs.filter(by_number)
        query = SearchQuery(asked, config="simple", search_type="raw")
        return qs.alias(search_vector=search_vector()).filter(by_number | Q(search_vector=query))
    substring = by_number
    for v in case_variants(text):
        substring |= Q(title__icontains=v) | Q(text__icontains=v) | Q(address__icontains=v)
    if not words:
        return qs.filter(substring)
    haystack = folded(Concat(*_spaced(SEARCHED_FIELDS), output_field=TextField()))
    by_forms = Q()
    for word in words:
        any_stem = Q()
        for stem in word_stems(word):
            for form in _case_forms(stem):
                any_stem |= Q(search_haystack__contains=form)
        by_forms &= any_stem
    return qs.alias(search_haystack=haystack).filter(substring | by_forms)


def _spaced(fields: tuple[str, ...]) -> list[Expression]:
    """The fields, separated by spaces, as text (so Concat need not reconcile CharField and TextField)."""
    parts: list[Expression] = []
    for f in fields:
        if parts:
            parts.append(Value(" ", output_field=TextField()))
        parts.append(Cast(f, output_field=TextField()))
    return parts
