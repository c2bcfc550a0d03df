"""The public problem map and a problem's public page: residents see what others reported, where,
and what the agency answered — the same cases and the same masking as the Open311 list
(:mod:`otklik.public.open311`), shown as points on the region's own district outlines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.formats import date_format

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


@dataclass
class ProblemMap:
    filter: MapFilter
    points: list[dict[str, Any]] = field(default_factory=list)
    latest: list[dict[str, Any]] = field(default_factory=list)
    open: int = 0
    closed: int = 0
    unplaced: int = 0

    @property
    def placed(self) -> int:
        return self.open + self.closed - self.unplaced

    @property
    def drawn_all(self) -> bool:
        return len(self.points) >= self.placed


def problem_map(chosen: MapFilter) -> ProblemMap:
    params = {"start_date": (timezone.now() - timedelta(days=chosen.days)).isoformat()}
    if chosen.status:
        params["status"] = chosen.status
    if chosen.category:
        codes = _service_codes(chosen.category)
        if not codes:
            return ProblemMap(chosen)
        params["service_code"] = ",".join(codes)
    cases = open311.matching_requests(params)
    counts = counters.window(params)  # from the daily public counters, not every case of the window
    # A point is only where (as exactly as decision 0008 allows) and whether answered: its popup asks
    # the Open311 API for the rest.
    placed = (
        cases.filter(lat__isnull=False, lon__isnull=False)
        .prefetch_related(None)
        .annotate(place_precision=PRECISION)
        .values_list("number", "lat", "lon", "status", "place_precision")[:MAX_POINTS]
    )
    return ProblemMap(
        chosen,
        points=[_point(*row) for row in placed],
        latest=[_listed(open311.request_row(case)) for case in cases[:LATEST]],
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
