"""REST API of cases: read-only, always scoped by ``Case.objects.visible_to`` / ``access_case``.

Changes of a case go through the operator screens (and :mod:`otklik.cases.actions`); this API lists
and shows cases for integrations and exports.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet, prefetch_related_objects
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from otklik.accounts.permissions import Capability, can
from otklik.directory.choices import Channel
from otklik.directory.models import Agency, Category, Territory

from .access import access_case
from .choices import CaseStatus
from .filters import CaseFilter
from .models import Answer, Case, CaseEvent, Rating

# --- serializers ----------------------------------------------------------------------------------


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "parent"]


class TerritoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Territory
        fields = ["id", "name", "kind"]


class AgencyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "short_name"]


LIST_RELATIONS = (
    "category",
    "territory",
    "agency",
    "suggested_category",
    "suggested_territory",
    "suggested_agency",
)


class CaseListSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    category = CategoryRefSerializer(read_only=True, allow_null=True)
    territory = TerritoryRefSerializer(read_only=True, allow_null=True)
    agency = AgencyRefSerializer(read_only=True, allow_null=True)
    # What the pipeline suggested; the filters match it while nothing is decided.
    suggested_category = CategoryRefSerializer(read_only=True, allow_null=True)
    suggested_territory = TerritoryRefSerializer(read_only=True, allow_null=True)
    suggested_agency = AgencyRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "status",
            "status_label",
            "title",
            "channel",
            *LIST_RELATIONS,
            "is_urgent",
            "is_overdue",
            "address",
            "lat",
            "lon",
            "message_count",
            "author_count",
            "created_at",
            "assigned_at",
            "deadline_at",
            "interim_deadline_at",
            "first_answer_at",
            "answered_at",
            "published_at",
            "closed_at",
            "reopen_count",
        ]
        read_only_fields = fields


def _mask(name: str) -> str:
    """«Иван Петров» → «И. П.»: analysts read cases with personal data masked (152-FZ)."""
    return " ".join(f"{part[0]}." for part in name.split() if part)


def _message_model() -> type[Model]:
    """intake's Message, reached through a case's ``messages`` (intake sits above cases)."""
    model = Case._meta.get_field("messages").related_model
    assert isinstance(model, type) and issubclass(model, Model)
    return model


class MessageSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = _message_model()
        fields = [
            "id",
            "source",
            "external_id",
            "channel",
            "author_name",
            "author_contact",
            "text",
            "url",
            "posted_at",
            "lat",
            "lon",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Model) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not can(request.user if request is not None else None, Capability.SEE_PERSONAL_DATA):
            data["author_name"] = _mask(data["author_name"] or "")
            data["author_contact"] = ""
        return data


class AnswerSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    agency = AgencyRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Answer
        fields = [
            "id",
            "kind",
            "kind_label",
            "status",
            "status_label",
            "text",
            "author",
            "agency",
            "review_comment",
            "created_at",
            "reviewed_at",
            "published_at",
        ]
        read_only_fields = fields


class CaseEventSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "kind",
            "kind_label",
            "actor",
            "from_status",
            "to_status",
            "before",
            "after",
            "comment",
            "created_at",
        ]
        read_only_fields = fields


class RatingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rating
        fields = ["id", "score", "comment", "created_at"]
        read_only_fields = fields


class CaseDetailSerializer(CaseListSerializer):
    messages = MessageSerializer(many=True, read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)
    events = CaseEventSerializer(many=True, read_only=True)
    ratings = RatingSerializer(many=True, read_only=True)
    deadline_policy = serializers.StringRelatedField(read_only=True, allow_null=True)

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "text",
            "deadline_policy",
            "merged_into",
            "escalated_at",
            "answer_working_minutes",
            "messages",
            "answers",
            "events",
            "ratings",
        ]
        read_only_fields = fields


# The filters' documentation (the one filter itself is otklik.cases.filters.CaseFilter).
SHOWN = "; matches the decided value or, while none is decided, the suggested one"
CASE_FILTERS = [
    OpenApiParameter(
        "status", OpenApiTypes.STR, description="Statuses, comma-separated: " + ", ".join(CaseStatus.values)
    ),
    OpenApiParameter(
        "channel", OpenApiTypes.STR, description="Channels, comma-separated: " + ", ".join(Channel.values)
    ),
    OpenApiParameter(
        "category",
        OpenApiTypes.INT,
        description="Category id; a top category covers its subcategories" + SHOWN,
    ),
    OpenApiParameter(
        "territory", OpenApiTypes.INT, description="Territory id; a district covers its settlements" + SHOWN
    ),
    OpenApiParameter("agency", OpenApiTypes.INT, description="Agency id" + SHOWN),
    OpenApiParameter(
        "overdue",
        OpenApiTypes.BOOL,
        description="true: awaiting the agency past the deadline; false: every other case",
    ),
    OpenApiParameter("q", OpenApiTypes.STR, description="Search in the number, title, text and address"),
]


# --- views ------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Cases visible to the user",
        description="Filtered as the operator queue is: category, territory and agency match the decided "
        "value or, while none is decided, the suggested one (suggested_category, suggested_territory, "
        "suggested_agency). A bad parameter is a 400 that names it.",
        parameters=CASE_FILTERS,
    ),
    retrieve=extend_schema(summary="One case with its messages, answers, ratings and history"),
)
class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CaseListSerializer
    queryset = Case.objects.none()  # the real queryset is always scoped to the user: see get_queryset
    filter_backends = [DjangoFilterBackend]  # a bad parameter is a 400 naming it
    filterset_class = CaseFilter

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        return (
            Case.objects.visible_to(self.request.user)
            .select_related(*LIST_RELATIONS)
            .order_by("-created_at", "-id")
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return CaseDetailSerializer if self.action == "retrieve" else CaseListSerializer

    def get_object(self) -> Case:
        case = access_case(self.request.user, self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        self.check_object_permissions(self.request, case)
        prefetch_related_objects(
            [case],
            *LIST_RELATIONS,
            "deadline_policy",
            "messages__source",
            "answers__author",
            "answers__agency",
            "events__actor",
            "ratings",
        )
        return case
