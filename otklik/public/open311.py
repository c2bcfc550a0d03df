"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): what the API answers.

Services are the active categories without active subcategories (``group`` is the parent's name);
``service_code`` is the category's code. A service request is a case: ``service_request_id`` is the
case number, ``status`` is "closed" once the answer is published (or the case is closed or not taken
into work) and "open" otherwise, ``status_notes`` is the published answer (personal data masked) of a
closed request or the status a resident is told (a reopened case is "open", "In work again").
The internal workflow stays richer than Open311's two states.

Who sees what: the list shows cases taken into work (not those still being checked, rejected as
spam or merged into another) and every request that came in through Open311; descriptions and
answers are masked (names, phones, emails, flat numbers) as in the analytical reports.
Only a client with an API key may post (:mod:`otklik.intake.connectors.open311`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from otklik.analytics.masking import mask_personal_data
from otklik.cases.choices import AnswerKind, AnswerStatus, CaseStatus
from otklik.cases.models import Answer, Case
from otklik.cases.publicity import CLOSED, LISTED, PUBLIC
from otklik.directory.models import Category
from otklik.intake.connectors.base import NormalizeError
from otklik.intake.connectors.open311 import Open311Connector
from otklik.intake.deadletters import unreadable
from otklik.intake.direct import SubmissionError, current_case, submit
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.photos import shown_photos

from .places import PRECISION, public_point
from .services import PUBLIC_STATUS

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-29"  # when this implementation of the document last changed
FORMATS = {"json": "application/json", "xml": "text/xml"}
DEFAULT_DAYS = 90  # GeoReport v2: without start_date, the 90 days before end_date
MAX_REQUESTS = 1000  # GeoReport v2: a list answers at most 1,000 requests
NOT_FIELDS = ("api_key", "jurisdiction_id")  # posted, but not part of the request itself


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def check_jurisdiction(value: str) -> None:
    """One endpoint, one jurisdiction: a client naming another one is told it is not here."""
    ours = str(getattr(settings, "OTKLIK_OPEN311_JURISDICTION", "") or "")
    if value and ours and value != ours:
        raise Open311Error(404, f"jurisdiction_id {value!r} is not served here")


# --- discovery and services ----------------------------------------------------------------------


def discovery(base_url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": str(getattr(settings, "OTKLIK_OPEN311_CONTACT", "") or ""),
        "key_service": "API keys are issued by the regional management center (otklik open311-client)",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": list(FORMATS.values()),
            }
        ],
    }


def services() -> list[Category]:
    """The active public categories without active subcategories, in the tree's order."""
    active = list(
        Category.objects.filter(is_active=True, is_public=True)
        .select_related("parent")
        .order_by("order", "name")
    )
    parents = {c.parent_id for c in active if c.parent_id is not None}
    by_id = {c.pk: c for c in active}
    leaves = [c for c in active if c.pk not in parents and (c.parent_id is None or c.parent_id in by_id)]

    def place(c: Category) -> tuple[int, str, int, str]:
        top = by_id[c.parent_id] if c.parent_id else c
        return (top.order, top.name, c.order if c.parent_id else -1, c.name)

    return sorted(leaves, key=place)


def service_list() -> list[dict[str, Any]]:
    rows = []
    for category in services():
        group = category.parent.name if category.parent is not None else category.name
        rows.append(
            {
                "service_code": category.code,
                "service_name": category.name,
                "description": f"{group} / {category.name}" if category.parent is not None else category.name,
                "metadata": False,
                "type": "realtime",
                "keywords": ", ".join(category.keyword_list()[:10]),
                "group": group,
            }
        )
    return rows


def service_definition(code: str) -> dict[str, Any]:
    if not any(c.code == code for c in services()):
        raise Open311Error(404, f"service_code {code!r} not found")
    return {"service_code": code, "attributes": []}


# --- posting a request ---------------------------------------------------------------------------


def client_for(api_key: str) -> Source:
    """The enabled Open311 client whose key this is; 403 otherwise."""
    if api_key:
        for source in Source.objects.filter(connector=Open311Connector.kind, is_enabled=True):
            if Open311Connector(source).accepts_key(api_key):
                return source
    raise Open311Error(403, "api_key is missing or not valid")


@dataclass(frozen=True)
class Posted:
    token: str
    case: Case | None  # None: not a problem, or (Celery mode) not made yet — ask GET /tokens/{token}


# With OTKLIK_PIPELINE=celery a request is queued for the workers and answered with its token only
# (GeoReport v2's way); the token is "pending" in the shared cache until a worker stored it.
PENDING_KEY = "open311:pending:{}"
PENDING_SECONDS = 7 * 86400


def post_request(source: Source, fields: dict[str, str], *, now: datetime | None = None) -> Posted:
    """Validate a client's request and take it through the pipeline (a repeat finds the first one).
    What cannot be taken is kept as a dead letter with the reason, and is a 400 for the client."""
    now = now or timezone.now()
    connector = Open311Connector(source)
    payload = {**fields, "received_at": now.isoformat()}
    codes = {c.code for c in services()}
    try:
        item = connector.normalize(payload)
        if item["category"] not in codes:
            raise NormalizeError(f"service_code {item['category']!r} not found")
    except NormalizeError as exc:
        DeadLetter.objects.keep([unreadable(source, connector, fields, f"open311: {exc}", now)])
        raise Open311Error(400, str(exc)) from exc
    if settings.OTKLIK_PIPELINE == "celery":
        return _queue(source, item, now)
    try:
        submitted = submit(item, source=source, now=now)
    except SubmissionError as exc:
        raise Open311Error(400, str(exc)) from exc
    return Posted(token=submitted.message.external_id, case=submitted.case)


def _queue(source: Source, item: dict[str, Any], now: datetime) -> Posted:
    from kombu.exceptions import OperationalError as BrokerError

    from otklik.intake.tasks import enqueue_batches

    token = str(item["external_id"])
    try:
        enqueue_batches([item], source=source.code, now=now)
    except BrokerError as exc:
        raise Open311Error(503, "the service is busy, retry later") from exc
    cache.set(PENDING_KEY.format(token), 1, PENDING_SECONDS)
    return Posted(token=token, case=None)


def posted_rows(posted: Posted, fields: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "service_request_id": posted.case.number if posted.case is not None else None,
            "token": posted.token,
            "service_notice": "",
            "account_id": fields.get("account_id") or None,
        }
    ]


def token_rows(token: str) -> list[dict[str, Any]]:
    message = (
        Message.objects.filter(external_id=token, source__connector=Open311Connector.kind)
        .select_related("case")
        .first()
    )
    if message is None:
        if cache.get(PENDING_KEY.format(token)):
            return [{"service_request_id": None, "token": token}]  # queued, not made yet
        raise Open311Error(404, f"token {token!r} not found")
    case = current_case(message.case)
    return [{"service_request_id": case.number if case is not None else None, "token": token}]


# --- reading requests ----------------------------------------------------------------------------


# What a request row reads: never the understanding JSON or a territory's polygon.
ROW_FIELDS = (
    *("number", "status", "text", "channel", "created_at", "updated_at", "deadline_at"),
    *("address", "lat", "lon", "merged_into"),
    *("category__code", "category__name", "suggested_category__code", "suggested_category__name"),
    *("agency__name", "territory__name", "suggested_territory__name"),
)


def _with_relations(cases: QuerySet[Case]) -> QuerySet[Case]:
    published = (
        Answer.objects.filter(status=AnswerStatus.PUBLISHED, kind=AnswerKind.FINAL)
        .only("case", "text", "published_at")
        .order_by("-published_at", "-id")
    )
    photos = shown_photos().only("id", "case", "photo").order_by("posted_at", "id")
    return (
        cases.select_related("category", "suggested_category", "agency", "territory", "suggested_territory")
        .only(*ROW_FIELDS)
        .annotate(place_precision=PRECISION)  # how exactly the point may be shown (decision 0008)
        .prefetch_related(
            Prefetch("answers", queryset=published, to_attr="published_answers"),
            Prefetch("messages", queryset=photos, to_attr="public_photos"),
        )
    )


def photo_paths(case: Case) -> list[str]:
    """The paths of a public case's photos the public may see (residents' own, none hidden)."""
    return [
        reverse("public:problem-photo", args=[case.number, m.pk]) for m in getattr(case, "public_photos", [])
    ]


def public_cases() -> QuerySet[Case]:
    shown = Case.objects.filter(PUBLIC)  # otklik.cases.publicity: the one predicate
    return _with_relations(shown.exclude(category__is_public=False))  # a category kept from residents


def _moment(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value is not None else None


def _parse_date(params: dict[str, str], name: str) -> datetime | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        example = "2026-03-02T09:15:00+04:00"
        raise Open311Error(400, f"{name} is not a W3C date and time ({example}): {value!r}") from exc
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _list(params: dict[str, str], name: str) -> list[str]:
    return [part.strip() for part in params.get(name, "").split(",") if part.strip()]


def find_requests(params: dict[str, str]) -> list[Case]:
    """GET /requests: by ids (which overrides the rest), or by service, status and period; the
    newest :data:`MAX_REQUESTS`."""
    return list(matching_requests(params)[:MAX_REQUESTS])


def matching_requests(params: dict[str, str]) -> QuerySet[Case]:
    """Every public case GET /requests would answer with these parameters, newest first."""
    cases = public_cases()
    numbers = _list(params, "service_request_id")
    if numbers:
        return cases.filter(number__in=numbers[:MAX_REQUESTS]).order_by("-created_at", "-pk")
    cases = cases.filter(LISTED)
    codes = _list(params, "service_code")
    if codes:
        ids = list(Category.objects.filter(code__in=codes).values_list("pk", flat=True))
        cases = cases.filter(Q(category_id__in=ids) | Q(category__isnull=True, suggested_category_id__in=ids))
    statuses = {s.lower() for s in _list(params, "status")}
    unknown = statuses - {"open", "closed"}
    if unknown:
        raise Open311Error(400, f"status is “open” or “closed”, got {', '.join(sorted(unknown))}")
    if statuses == {"open"}:
        cases = cases.exclude(status__in=CLOSED)
    elif statuses == {"closed"}:
        cases = cases.filter(status__in=CLOSED)
    end = _parse_date(params, "end_date") or timezone.now()
    start = _parse_date(params, "start_date") or end - timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise Open311Error(400, "start_date is after end_date")
    return cases.filter(created_at__gte=start, created_at__lte=end).order_by("-created_at", "-pk")


def find_request(number: str) -> Case:
    case = public_cases().filter(number=number).first()
    if case is None:
        raise Open311Error(404, f"service_request_id {number!r} not found")
    return case


@lru_cache(maxsize=256)
def _status_label(status: str, language: str | None) -> str:
    """What a resident is told of a status, in the active language (cached: a list has 1,000 rows)."""
    return str(PUBLIC_STATUS.get(status) or CaseStatus(status).label)


def earlier_answer(case: Case) -> str:
    """The masked text of the latest published answer of a case that is open again (the resident said
    it did not solve the problem), to show as the earlier answer; empty otherwise."""
    shown = current_case(case) or case
    if shown.status in CLOSED:
        return ""
    latest = (
        Answer.objects.filter(case=shown, status=AnswerStatus.PUBLISHED, kind=AnswerKind.FINAL)
        .order_by("-published_at", "-id")
        .first()
    )
    return mask_personal_data(latest.text) if latest is not None else ""


def request_row(case: Case) -> dict[str, Any]:
    shown = current_case(case) or case
    if shown is not case:  # merged: the answer and the status are those of the case it joined
        shown = _with_relations(Case.objects.all()).get(pk=shown.pk)
    category = shown.category or shown.suggested_category
    territory = shown.territory or shown.suggested_territory
    answers: list[Answer] = getattr(shown, "published_answers", [])
    closed = shown.status in CLOSED
    point = public_point(shown.lat, shown.lon, getattr(shown, "place_precision", None))
    notes = _status_label(shown.status, get_language())
    if answers and closed:  # a reopened case is open again: its old answer is not its status
        notes = mask_personal_data(answers[0].text)
    return {
        "service_request_id": case.number,
        "status": "closed" if closed else "open",
        "status_notes": notes,
        "service_name": category.name if category is not None else "",
        "service_code": category.code if category is not None else "",
        "description": mask_personal_data(case.text),
        "agency_responsible": shown.agency.name if shown.agency is not None else "",
        "service_notice": "",
        "requested_datetime": _moment(case.created_at),
        "updated_datetime": _moment(shown.updated_at),
        "expected_datetime": _moment(shown.deadline_at),
        "address": mask_personal_data(
            ", ".join(p for p in (territory.name if territory else "", shown.address) if p)
        ),
        "address_id": "",
        "zipcode": "",
        "lat": point.lat if point else None,
        "long": point.lon if point else None,
        # GeoReport's one media URL: the first photo, a path here (the view makes it absolute).
        "media_url": next(iter(photo_paths(case)), ""),
    }


# --- the two formats -----------------------------------------------------------------------------


def _fill(element: Element, row: dict[str, Any]) -> None:
    for key, value in row.items():
        child = SubElement(element, key)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, list):
            for entry in value:
                grandchild = SubElement(child, key.removesuffix("s"))
                if isinstance(entry, dict):
                    _fill(grandchild, entry)
                else:
                    grandchild.text = str(entry)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        elif value is not None:
            child.text = str(value)


def to_xml(root: str, item: str | None, data: list[dict[str, Any]] | dict[str, Any]) -> bytes:
    """GeoReport v2's XML: ``<services><service>…</service></services>`` and the like."""
    top = Element(root)
    if isinstance(data, dict):
        _fill(top, data)
    else:
        assert item is not None
        for row in data:
            _fill(SubElement(top, item), row)
    # The elements carry no attributes, so every quote left is in a text: escaped too (valid XML), so
    # a client that pastes a text into an HTML attribute cannot be broken out of by a resident's quote.
    body = tostring(top, encoding="unicode").replace('"', "&quot;").replace("'", "&apos;")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body.encode()
