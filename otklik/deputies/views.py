"""The deputies' pages: the public directory, a deputy's page with the appeal form (the public
form's flow, addressed to the deputy's reception office), the public responsiveness table, and the
rating for the party, and the service's figures for the center head."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from otklik.analytics.filters import municipalities
from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory
from otklik.public.services import case_for_status
from otklik.public.views import take_appeal

from . import followup, ratings, services
from . import statistics as statistics_service
from .models import Deputy, Faction, Level

PERIODS = ratings.PERIODS
PAGE_SIZE = 50


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    level = request.GET.get("level", "")
    level = level if level in Level.values else ""
    faction, territory = _int(request.GET.get("faction")), _int(request.GET.get("territory"))
    region = _int(request.GET.get("region"))
    q = request.GET.get("q", "")[:100]
    chosen = {"level": level, "faction": faction, "territory": territory, "region": region, "q": q}
    found = services.directory(level=level, faction=faction, territory=territory, region=region, q=q)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    territories = municipalities().only("pk", "name")
    if region:
        territories = territories.filter(parent_id=region)
    context = {
        "page": page,
        "deputies": page.object_list,
        "chosen": chosen,
        "levels": Level.choices,
        "regions": services.regions().order_by("name"),
        "factions": Faction.objects.all(),
        "territories": territories,
    }
    return render(request, "deputies/directory.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def deputy(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Deputy.objects.select_related("faction", "office"), pk=pk, is_active=True)
    if request.method == "GET":
        services.count_visit(found)
    context = {
        "deputy": found,
        # Read when the page is drawn: a posted appeal that is taken is answered by a redirect.
        "record": SimpleLazyObject(lambda: services.public_record(found)),
        "territories": found.territories.only("pk", "name").order_by("name"),
    }
    return take_appeal(request, template="deputies/deputy.html", context=context, office=found.office)


@login_required
@require_GET
def rating(request: HttpRequest) -> HttpResponse:
    """The party's rating: the federal view (every region the user may see, the regions compared and
    the deputies ranked across them) or a region's (its deputies by level, the topics of their
    appeals by territory and week). A regional coordinator sees their region only."""
    reach = services.reach(request.user)  # PermissionDenied → 403 for others
    visible = reach.deputies()
    allowed = list(reach.regions) if reach.regions is not None else None  # None: every region
    days = _int(request.GET.get("days"))
    days = days if days in PERIODS else services.RATING_DAYS
    faction, level, region = (
        _int(request.GET.get("faction")),
        request.GET.get("level", ""),
        _int(request.GET.get("region")),
    )
    if region is None and allowed is not None and len(allowed) == 1:
        region = allowed[0]  # a regional coordinator lands on their region
    if region is not None and allowed is not None and region not in allowed:
        raise PermissionDenied
    chosen = visible
    if faction:
        chosen = chosen.filter(faction_id=faction)
    if level in Level.values:
        chosen = chosen.filter(level=level)
    regional = chosen.filter(region_id=region) if region else chosen
    ratings.ensure(days, page=True)
    page = Paginator(ratings.rows(days, regional, fresh=True), PAGE_SIZE).get_page(request.GET.get("page"))
    regions_seen = services.regions()
    if allowed is not None:
        regions_seen = regions_seen.filter(pk__in=allowed)
    context = {
        "page": page,
        "rows": page.object_list,
        "offset": page.start_index() - 1 if page.object_list else 0,
        "days": days,
        "periods": PERIODS,
        "faction": faction,
        "level": level,
        "region": get_object_or_404(
            Territory.objects.only("pk", "name"), pk=region, kind=TerritoryKind.REGION
        )
        if region
        else None,
        "regions": regions_seen.order_by("name"),
        "federal": allowed is None,
        "by_region": ratings.by_region(days, chosen, fresh=True) if region is None else None,
        "topics": ratings.topics(region) if region else None,
        "levels": Level.choices,
        "factions": Faction.objects.filter(pk__in=visible.values("faction_id")),
        "prior": services.PRIOR,
    }
    return render(request, "deputies/rating.html", context)


@require_GET
def responsiveness(request: HttpRequest) -> HttpResponse:
    """The public table (WriteToThem's): for each deputy, the residents asked two weeks after their
    appeal whether they got a reply, and the share who said yes."""
    days = _int(request.GET.get("days"))
    days = days if days in PERIODS else services.RATING_DAYS
    scope = services.rating_scope(days)
    context = {
        "rows": followup.responsiveness(scope.date_from, scope.date_to),
        "days": days,
        "periods": PERIODS,
        "min_responses": followup.MIN_RESPONSES,
        "follow_up_days": followup.follow_up_days(),
    }
    return render(request, "deputies/responsiveness.html", context)


@require_POST
def reply(request: HttpRequest, number: str, token: str) -> HttpResponse:
    """The resident's answer to "did the deputy reply?" on their status page (:mod:`.followup`)."""
    case = case_for_status(number, token)
    if case is None:
        raise Http404("No such appeal")
    try:
        followup.record_reply(case, request.POST.get("reply", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Thank you. Your answer counts in the deputies' responsiveness table."))
    return redirect(reverse("public:status", args=[number, token]))


STAT_WEEKS = (4, 8, 12, 26, 52)


@login_required
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """«Мой депутат» as a service, for the center head: calls, page visits, appeals by channel,
    answered and on time, by week and district (a coordinator: their factions' deputies)."""
    reach = services.reach(request.user)  # PermissionDenied → 403 for others
    weeks = _int(request.GET.get("weeks"))
    weeks = weeks if weeks in STAT_WEEKS else 12
    today = timezone.localdate()
    start = statistics_service.monday(today) - timedelta(weeks=weeks - 1)
    context = {
        "stats": statistics_service.service_stats(reach, start, today),
        "weeks": weeks,
        "periods": STAT_WEEKS,
    }
    return render(request, "deputies/statistics.html", context)
