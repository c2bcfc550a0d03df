"""Finding a caller's earlier cases for the call-center form: by phone (any of the usual ways of
writing a Russian number) or by name, only among the cases the operator may see."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet

from otklik.accounts.permissions import AnyUser
from otklik.cases.models import Case
from otklik.cases.search import folded
from otklik.understanding.text import fold

from .models import Message

LIMIT = 20
NAME_MIN = 3
PHONE_MIN_DIGITS = 5
PHONE_CHARS_RE = re.compile(r"^\+?[\d\s().-]+$")


def phone_digits(phone: str) -> str:
    """A phone as its digits, a Russian number as its 10 national digits (+7, 8 and 7 prefixes,
    spaces, dashes and brackets dropped): "+7 (927) 555-12-34" and "89275551234" → "9275551234"."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits[0] in "78":
        return digits[1:]
    return digits


def phone_author_ids(phone: str) -> list[str]:
    """Every ``tel:`` author id a call from this number may have been stored under."""
    national = phone_digits(phone)
    if len(national) == 10:
        return [f"tel:{national}", f"tel:7{national}", f"tel:8{national}"]
    return [f"tel:{national}"]


def is_phone(query: str) -> bool:
    return bool(PHONE_CHARS_RE.match(query)) and len(re.sub(r"\D", "", query)) >= PHONE_MIN_DIGITS


@dataclass
class CallerLookup:
    query: str
    by_phone: bool
    cases: list[Case]
    more: bool  # more cases than shown

    @property
    def too_short(self) -> bool:
        return not self.by_phone and len(self.query) < NAME_MIN


# The expression ``author_name_folded__icontains`` asks on PostgreSQL, as trigrams (migration 0013).
NAME_INDEX = "message_author_name_trgm"
NAME_INDEX_SQL = (
    f'CREATE INDEX IF NOT EXISTS "{NAME_INDEX}" ON "intake_message" USING gin '
    "((UPPER(REPLACE(REPLACE(\"author_name\", 'ё', 'е'), 'Ё', 'Е'))) gin_trgm_ops)"
)


def _name_condition(name: str) -> Q:
    """Names match ignoring ё/е and case: on PostgreSQL one ``UPPER(…) LIKE`` a trigram index
    answers; on SQLite (whose LIKE folds only ASCII) the usual capitalizations."""
    base = fold(name)
    if connection.vendor == "postgresql":
        return Q(author_name_folded__icontains=base)
    condition = Q()
    for variant in dict.fromkeys([base, base.capitalize(), base.title(), base.upper()]):
        condition |= Q(author_name_folded__contains=variant)
    return condition


def by_caller(query: str, *, by_phone: bool) -> QuerySet[Message]:
    """The messages from this phone (any of its stored forms) or with this name in the author's."""
    if by_phone:
        return Message.objects.filter(author_id__in=phone_author_ids(query))
    return Message.objects.alias(author_name_folded=folded("author_name")).filter(_name_condition(query))


def find_caller_cases(user: AnyUser, query: str, *, limit: int = LIMIT) -> CallerLookup:
    """The cases of earlier calls and messages from this phone or name, newest first, that ``user``
    may see (never more: the look-up narrows ``Case.objects.visible_to(user)``)."""
    query = " ".join(query.split())[:200]
    by_phone = is_phone(query)
    if not by_phone and len(query) < NAME_MIN:
        return CallerLookup(query=query, by_phone=False, cases=[], more=False)
    messages = by_caller(query, by_phone=by_phone).exclude(case=None)
    rows = list(
        Case.objects.visible_to(user)
        .filter(pk__in=messages.values("case_id"))
        .order_by("-created_at", "-id")[: limit + 1]
    )
    return CallerLookup(query=query, by_phone=by_phone, cases=rows[:limit], more=len(rows) > limit)
