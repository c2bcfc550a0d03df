"""Read-only REST API of the reference data: the category tree, territories (without geometry), agencies."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError

from .choices import TerritoryKind
from .models import Agency, Category, Territory


class SubcategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "parent", "order"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    children = SubcategorySerializer(many=True, read_only=True)

    class Meta:
        model = Category
        fields = ["id", "code", "name", "parent", "order", "children"]
        read_only_fields = fields


class TerritorySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Territory
        fields = ["id", "parent", "kind", "kind_label", "name", "oktmo", "population", "lat", "lon", "bbox"]
        read_only_fields = fields


class AgencySerializer(serializers.ModelSerializer):
    # Not every agency has an address: "" is an answer too (an "email" format would refuse it).
    email = serializers.CharField(read_only=True, allow_blank=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    territories = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    categories = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Agency
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "kind_label",
            "email",
            "phone",
            "is_active",
            "territories",
            "categories",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="The category tree: active top categories with their active subcategories"),
)
class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CategorySerializer
    pagination_class = None  # the tree is small and is read whole

    def get_queryset(self) -> QuerySet[Category]:
        children = Prefetch(
            "children", queryset=Category.objects.filter(is_active=True).order_by("order", "name")
        )
        qs = Category.objects.filter(is_active=True).prefetch_related(children)
        if self.action == "list":
            qs = qs.filter(parent__isnull=True)
        return qs.order_by("order", "name")


@extend_schema_view(
    list=extend_schema(
        summary="Territories (without geometry)",
        parameters=[
            OpenApiParameter("parent", OpenApiTypes.INT, description="Children of this territory"),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=list(TerritoryKind.values)),
        ],
    ),
)
class TerritoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TerritorySerializer

    def get_queryset(self) -> QuerySet[Territory]:
        qs = Territory.objects.defer("geometry").order_by("name", "id")
        params = self.request.query_params if getattr(self, "request", None) else {}
        parent = params.get("parent")
        if parent:
            if not parent.isdigit():
                raise ValidationError({"parent": _("Give a number.")})
            qs = qs.filter(parent_id=int(parent))
        kind = params.get("kind")
        if kind:
            if kind not in TerritoryKind.values:
                raise ValidationError({"kind": f"Unknown kind: {kind}"})
            qs = qs.filter(kind=kind)
        return qs


class AgencyViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AgencySerializer

    def get_queryset(self) -> QuerySet[Agency]:
        return Agency.objects.prefetch_related("territories", "categories").order_by("name")
