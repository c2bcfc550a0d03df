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

from . import services
from .models import Deputy


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
        """The deputies' rating (403 for those who may not see it); ``kwargs``: the router's
        ``format`` of /api/deputies/rating.json."""
        deputies = services.visible_deputies(request.user).filter(is_active=True)
        try:
            days = int(request.query_params.get("days", services.RATING_DAYS))
        except ValueError:
            days = services.RATING_DAYS
        days = days if days in (30, 90, 365) else services.RATING_DAYS
        rows = services.rating(deputies, services.rating_scope(days))
        return Response({"days": days, "prior": services.PRIOR, "results": [_row(r) for r in rows]})


def _row(row: services.DeputyScore) -> dict[str, Any]:
    return {
        "deputy": row.deputy.pk,
        "full_name": row.deputy.full_name,
        "faction": str(row.deputy.faction) if row.deputy.faction else None,
        "score": row.score,
        "shares": row.shares,
        "received": row.kpi.received,
        "answered": row.kpi.answered,
        "ratings": row.kpi.ratings,
        "final_median_minutes": row.kpi.final_median,
        "visits": row.visits,
        "from_page": row.portal,
        "by_phone": row.calls,
        "reply_questions": {"asked": row.replies.asked, "yes": row.replies.yes, "no": row.replies.no},
    }
