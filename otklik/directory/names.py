"""Keys made from the names of master data, shared by the region's onboarding (:mod:`otklik.onboarding`)
and the reading of labelled histories (:mod:`otklik.understanding.labels`): a category's code, an
agency's matching key and its kind guessed from its name."""

from __future__ import annotations

import re

from .choices import AgencyKind

CODE_LENGTH = 64


def category_code(name: str) -> str:
    """A code made from a name: transliterated (iuliia's Wikipedia scheme), lower case, words joined
    by "-", at most :data:`CODE_LENGTH` characters."""
    import iuliia

    latin = iuliia.WIKIPEDIA.translate(" ".join(name.split())).lower()
    words = re.findall(r"[a-z0-9]+", latin)
    code = "-".join(words)[:CODE_LENGTH].strip("-")
    return code or "category"


_NAME_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?:министерство|комитет|департамент|управление|инспекция)\b"), AgencyKind.MINISTRY),
    (re.compile(r"^(?:администрация|местная администрация|глава)\b"), AgencyKind.MUNICIPALITY),
    (
        # "ГКУ …", "СПб ГБУ …", "МУП …", "ООО …": an institution, an enterprise or a company
        re.compile(
            r"^(?:[а-я]{2,4}\s+)?(?:[а-я]{0,4}(?:гку|гбу|гуп|гау|муп|мку|мбу|мау)|ук|ооо|ао|пао|зао|оао|тсж|жск)\b"
        ),
        AgencyKind.UTILITY,
    ),
    (
        re.compile(r"^(?:гу\s+)?(?:мчс|мвд|фнс|роспотребнадзор|росреестр|прокуратура|уфас)\b"),
        AgencyKind.FEDERAL,
    ),
)


def kind_from_name(name: str) -> str:
    folded = " ".join(name.lower().replace("ё", "е").split())
    for pattern, kind in _NAME_KINDS:
        if pattern.match(folded):
            return kind
    return AgencyKind.OTHER


def agency_key(name: str) -> str:
    """An agency's name for matching: lower case, ё = е, without quotes, spaces collapsed."""
    return " ".join(re.sub(r"[\"'«»“”„]", " ", name.lower().replace("ё", "е")).split())
