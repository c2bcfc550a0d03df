"""REST API of the deputies: the directory (what the public pages show) and the rating (for the
same people as the rating page: the center, analysts, a faction's coordinators)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from . import ratings, services
from .models import Deputy, rating_shares


class DeputySerializer(serializers.ModelSerializer):
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    faction = serializers.StringRelatedField()
    territories = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Deputy
        fields = [
            "id",
            "full_name",
            "level",
            "level_label",
            "council",
            "faction",
            "constituency",
            "territories",
            "office",
            "reception_hours",
        ]
        read_only_fields = fields


class DeputyViewSet(viewsets.ReadOnlyModelViewSet):
    """Active deputies with their reception office (the agency their appeals go to)."""

    serializer_class = DeputySerializer

    def get_queryset(self) -> QuerySet[Deputy]:
        return (
            Deputy.objects.filter(is_active=True)
            .select_related("faction")
            .prefetch_related("territories")
            .order_by("-level", "full_name")
        )

    @extend_schema(
        parameters=[OpenApiParameter("days", OpenApiTypes.INT, description="30, 90 or 365 (default)")],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=False)
    def rating(self, request: Request, **kwargs: Any) -> Response:
        """The deputies' rating as the rating page shows it — the stored rating of the period
        (:mod:`otklik.deputies.ratings`), by rank — for those the user may see (403 for those who
        may see none); ``kwargs``: the router's ``format`` of /api/deputies/rating.json."""
        deputies = services.visible_deputies(request.user)
        try:
            days = int(request.query_params.get("days", services.RATING_DAYS))
        except ValueError:
            days = services.RATING_DAYS
        days = days if days in ratings.PERIODS else services.RATING_DAYS
        ratings.ensure(days, page=True)
        # Plain rows, not model objects: every deputy the user may see, thousands for the center.
        rows = ratings.rows(days, deputies, fresh=True).values(
            *RATING_FIELDS,
            "deputy_id",
            "deputy__full_name",
            "deputy__faction__name",
            "deputy__faction__short_name",
        )
        return Response({"days": days, "prior": services.PRIOR, "results": [_row(r) for r in rows]})


RATING_FIELDS = (
    "rank",
    "score",
    "received",
    "answered",
    "on_time",
    "reopened",
    "ratings",
    "ratings_good",
    "published",
    "concrete",
    "replies_asked",
    "replies_answered",
    "replies_yes",
    "final_median",
    "visits",
    "portal",
    "calls",
)


def _row(row: dict[str, Any]) -> dict[str, Any]:
    faction = row["deputy__faction__short_name"] or row["deputy__faction__name"]  # as Faction.__str__
    return {
        "deputy": row["deputy_id"],
        "full_name": row["deputy__full_name"],
        "faction": faction,
        "rank": row["rank"],
        "score": row["score"],
        "shares": rating_shares(row),
        "received": row["received"],
        "answered": row["answered"],
        "ratings": row["ratings"],
        "final_median_minutes": row["final_median"],
        "visits": row["visits"],
        "from_page": row["portal"],
        "by_phone": row["calls"],
        "reply_questions": {
            "asked": row["replies_asked"],
            "yes": row["replies_yes"],
            "no": row["replies_answered"] - row["replies_yes"],
        },
    }
