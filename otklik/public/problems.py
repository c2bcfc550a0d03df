"""The public problem map and a problem's public page: residents see what others reported, where,
and what the agency answered — the same cases and the same masking as the Open311 list
(:mod:`otklik.public.open311`), shown as points on the region's own district outlines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe

from otklik.caching.compiled import CompiledQuery
from otklik.directory.models import Category

from . import counters, open311
from .places import PRECISION, public_point

PERIODS = (30, 90, 365)  # days a resident may look back on the map
STATUSES = ("open", "closed")
EXCERPT = 200
MAX_POINTS = 3000  # the newest problems drawn; the counts cover them all
LATEST = 10


@dataclass(frozen=True)
class MapFilter:
    category: str = ""  # a top category's code, or a service's
    status: str = ""  # "open", "closed" or "" (both)
    days: int = 90

    @classmethod
    def from_query(cls, params: dict[str, str]) -> MapFilter:
        """Unknown values fall back to the defaults: a shared link with a typo still shows the map."""
        try:
            days = int(params.get("days", ""))
        except ValueError:
            days = 90
        status = params.get("status", "")
        return cls(
            category=params.get("category", "").strip(),
            status=status if status in STATUSES else "",
            days=days if days in PERIODS else 90,
        )


def top_categories() -> list[Category]:
    return list(
        Category.objects.filter(is_active=True, is_public=True, parent=None).order_by("order", "name")
    )


def _service_codes(code: str) -> list[str]:
    """The services (leaf categories) a chosen category stands for: itself or its subcategories."""
    return [
        c.code
        for c in open311.services()
        if c.code == code or (c.parent is not None and c.parent.code == code)
    ]


Row = tuple[str, float | None, float | None, str, str | None]  # number, lat, lon, status, precision


@dataclass
class ProblemMap:
    filter: MapFilter
    placed_rows: list[Row] = field(default_factory=list)  # the points drawn as read, newest first
    latest: list[dict[str, Any]] = field(default_factory=list)
    open: int = 0
    closed: int = 0
    unplaced: int = 0

    @property
    def points(self) -> list[dict[str, Any]]:
        """The points drawn as the map's JSON has them."""
        return [_point(*row) for row in self.placed_rows]

    @property
    def drawn(self) -> int:
        return len(self.placed_rows)

    @property
    def placed(self) -> int:
        return self.open + self.closed - self.unplaced

    @property
    def drawn_all(self) -> bool:
        return self.drawn >= self.placed

    def points_json(self) -> str:
        """``points`` in JSON as ``json_script`` writes it (escaped for a ``<script>``), each point's
        text made once per process (:func:`_point_json`)."""
        return "[" + ", ".join([_point_json(*row) for row in self.placed_rows]) + "]"


# Stand-ins for the window's ends in the points' compiled SQL (any instants no case has).
START = datetime(1901, 1, 1, tzinfo=UTC)
END = datetime(1902, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=64)
def _placed_query(shape: tuple[tuple[str, str], ...], ids: tuple[int, ...], limit: int) -> CompiledQuery[Any]:
    """The points' query of a filter's shape — its services (``ids``: their categories now) and
    status — compiled once; the window's ends are its values. Building it and compiling its SQL was
    ~2 ms a map, the 3,000 rows' fetch through Django's iterator ~1 ms more."""
    params = dict(shape)
    return CompiledQuery(
        lambda start, end: (
            open311.matching_requests(
                {**params, "start_date": start.isoformat(), "end_date": end.isoformat()}
            )
            .filter(lat__isnull=False, lon__isnull=False)
            .prefetch_related(None)
            .annotate(place_precision=PRECISION)
            .values_list("number", "lat", "lon", "status", "place_precision")[:limit]
        ),
        start=START,
        end=END,
    )


@lru_cache(maxsize=64)
def _latest_query(shape: tuple[tuple[str, str], ...], ids: tuple[int, ...], limit: int) -> CompiledQuery[Any]:
    """The list's newest problems of a filter's shape with what a row shows (its directory rows,
    published answers and photos prefetched), the cases' query compiled once (its five joins ~1.5 ms
    to build and compile)."""
    params = dict(shape)
    return CompiledQuery(
        lambda start, end: open311.matching_requests(
            {**params, "start_date": start.isoformat(), "end_date": end.isoformat()}
        )[:limit],
        start=START,
        end=END,
    )


def problem_map(chosen: MapFilter) -> ProblemMap:
    now = timezone.now()
    params = {"start_date": (now - timedelta(days=chosen.days)).isoformat()}
    if chosen.status:
        params["status"] = chosen.status
    ids: tuple[int, ...] = ()
    if chosen.category:
        codes = _service_codes(chosen.category)
        if not codes:
            return ProblemMap(chosen)
        params["service_code"] = ",".join(codes)
        ids = tuple(sorted(Category.objects.filter(code__in=codes).values_list("pk", flat=True)))
    counts = counters.window(params)  # from the daily public counters, not every case of the window
    # A point is only where (as exactly as decision 0008 allows) and whether answered: its popup asks
    # the Open311 API for the rest.
    shape = tuple(sorted((k, v) for k, v in params.items() if k != "start_date"))
    start = datetime.fromisoformat(params["start_date"])
    placed = _placed_query(shape, ids, MAX_POINTS).rows(start=start, end=now)
    latest = _latest_query(shape, ids, LATEST)(start=start, end=now)
    return ProblemMap(
        chosen,
        placed_rows=placed,  # type: ignore[arg-type]
        latest=[_listed(open311.request_row(case)) for case in latest],
        open=counts.total - counts.closed,
        closed=counts.closed,
        unplaced=counts.unplaced,
    )


def _point(
    number: str, lat: float | None, lon: float | None, status: str, precision: str | None
) -> dict[str, Any]:
    shown = public_point(lat, lon, precision)
    assert shown is not None
    return {
        "id": number,
        "lat": shown.lat,
        "lon": shown.lon,
        "closed": status in open311.CLOSED,
        "town": shown.town,
    }


# json_script's escapes (django.utils.html): a text in the page's <script> cannot close it.
SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@lru_cache(maxsize=16384)
def _point_json(number: str, lat: float | None, lon: float | None, status: str, precision: str | None) -> str:
    """One point in the map's JSON, escaped as ``json_script`` escapes: the same cases come back
    request after request (~3 µs a point made, 3,000 a map)."""
    return json.dumps(_point(number, lat, lon, status, precision), cls=DjangoJSONEncoder).translate(
        SCRIPT_ESCAPES
    )


def config_script(found: ProblemMap, config: dict[str, Any], element_id: str) -> SafeString:
    """``json_script({"points": found.points, **config}, element_id)``, the points' part written by
    :meth:`ProblemMap.points_json`."""
    rest = str(json_script(config, element_id))
    head, brace, tail = rest.partition(">{")
    assert brace and tail != "}</script>", "the map's config has more than its points"
    return mark_safe(f'{head}>{{"points": {found.points_json()}, {tail}')  # each part escaped


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rsplit(" ", 1)[0] + "…"


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    """A problem as the list beside the map shows it."""
    return {
        "id": row["service_request_id"],
        "closed": row["status"] == "closed",
        "category": row["service_name"],
        "date": day(row["requested_datetime"]),
        "address": row["address"],
        "text": _excerpt(row["description"]),
    }


def day(moment: str | None) -> str:
    """An Open311 date and time as the site's short date (28.11.2026)."""
    return date_format(datetime.fromisoformat(moment), "SHORT_DATE_FORMAT") if moment else ""


def problem(number: str) -> dict[str, Any]:
    """One problem's public page (the Open311 row with its dates for reading); Open311Error 404 when
    it is not public."""
    case = open311.find_request(number)
    row = open311.request_row(case)
    return {
        **row,
        "received": day(row["requested_datetime"]),
        "due": day(row["expected_datetime"]),
        "earlier_answer": open311.earlier_answer(case) if row["status"] == "open" else "",
        "photos": open311.photo_paths(case),
    }


def public_photo(number: str, message_id: int) -> FieldFile:
    """A photo of a public problem the public may see; Open311Error 404 otherwise."""
    case = open311.find_request(number)
    for message in getattr(case, "public_photos", []):
        if message.pk == message_id:
            return message.photo
    raise open311.Open311Error(404, "photo not found")
