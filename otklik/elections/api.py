"""REST API of the situational center, for observers' apps and the center's own screens.

* ``/api/elections/stations/`` — polling stations: the center and lawyers see all, an observer their own;
* ``/api/elections/reports/`` — reports of the active election (same scoping); an observer POSTs a
  report (multipart with an optional photo). ``client_id`` makes a retry safe: the same id from the
  same observer returns the first report with 200 instead of 201;
* ``/api/elections/incidents/`` — incidents with their type of violation, for the center and lawyers;
* ``/api/elections/violation-types/`` — the types of violations a report may name (by code);
* ``/api/elections/dashboard/`` — the dashboard's figures, map data, silent stations and the check of
  the commissions' protocols, for the center and lawyers.

Everything goes through the app's services (access, reports, dashboard), so the rules of the pages apply.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from otklik.accounts.permissions import Capability, can
from otklik.security.parsers import SafeJSONParser

from . import access, live, protocols, reports
from .models import Incident, PollingStation, Report, ReportKind, ViolationType


class StationSerializer(serializers.ModelSerializer):
    commission = serializers.CharField(source="commission.name", read_only=True)
    territory = serializers.IntegerField(source="commission.territory_id", read_only=True, allow_null=True)

    class Meta:
        model = PollingStation
        fields = ["number", "commission", "territory", "address", "registered_voters", "lat", "lon"]
        read_only_fields = fields


class StationViewSet(viewsets.ReadOnlyModelViewSet):
    """Polling stations: every one for the center and lawyers, their own for an observer."""

    serializer_class = StationSerializer
    lookup_field = "number"

    def get_queryset(self) -> QuerySet[PollingStation]:
        user = self.request.user
        stations = PollingStation.objects.select_related("commission").order_by("number")
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema reads the model only
            return stations.none()
        if access.is_headquarters(user):
            return stations
        if can(user, Capability.REPORT_AS_OBSERVER):
            return stations.filter(observers__user=user)
        raise PermissionDenied


class ReportSerializer(serializers.ModelSerializer):
    station = serializers.IntegerField(source="station.number", read_only=True)
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    incident = serializers.SerializerMethodField()
    photo = serializers.FileField(write_only=True, required=False)
    checklist = serializers.DictField(
        child=serializers.BooleanField(), required=False, help_text="opening checklist: question id → yes"
    )
    has_photo = serializers.SerializerMethodField()
    violation_type = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ViolationType.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="a violation's type (code from /api/elections/violation-types/); "
        "when absent, the type the text names",
    )

    class Meta:
        model = Report
        fields = [
            "id",
            "station",
            "kind",
            "turnout",
            "text",
            "photo",
            "has_photo",
            "client_id",
            "checklist",
            "violation_type",
            "created_at",
            "incident",
        ]
        read_only_fields = ["id", "station", "created_at", "incident", "has_photo"]
        extra_kwargs = {"turnout": {"required": False}, "text": {"required": False}}

    @extend_schema(
        responses={
            "type": "object",
            "nullable": True,
            "properties": {"id": {"type": "integer"}, "status": {"type": "string"}},
        }
    )
    def get_incident(self, report: Report) -> dict[str, Any] | None:
        incident = getattr(report, "incident", None)
        return {"id": incident.pk, "status": incident.status} if incident is not None else None

    def get_has_photo(self, report: Report) -> bool:
        return bool(report.photo)


class ReportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Reports of the active election; an observer sends one from their station."""

    serializer_class = ReportSerializer
    parser_classes = [MultiPartParser, FormParser, SafeJSONParser]

    def get_queryset(self) -> QuerySet[Report]:
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        election = access.active_election()
        found = access.visible_reports(self.request.user).filter(election=election)
        station = self.request.query_params.get("station")
        if station and station.isdigit():
            found = found.filter(station__number=int(station))
        since = self.request.query_params.get("since")
        if since:
            found = found.filter(pk__gt=int(since)) if since.isdigit() else found.none()
        return found.select_related("station", "incident").order_by("-created_at", "-pk")

    @extend_schema(
        parameters=[
            OpenApiParameter("station", OpenApiTypes.INT, description="a station's number"),
            OpenApiParameter("since", OpenApiTypes.INT, description="only reports with a larger id"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        election = access.active_election()
        if election is None:
            raise ApiValidationError({"detail": _("No active election: reports cannot be sent.")})
        client_id = str(data.get("client_id") or "")
        replay = bool(client_id) and Report.objects.filter(author=request.user, client_id=client_id).exists()
        try:
            report = reports.file_report(
                observer=request.user,
                election=election,
                kind=data["kind"],
                turnout=data.get("turnout"),
                text=data.get("text") or "",
                photo=data.get("photo"),
                client_id=client_id,
                checklist=_checklist(data.get("checklist") or {}),
                violation_type=data.get("violation_type"),
            )
        except ValidationError as exc:
            raise ApiValidationError({"detail": exc.messages}) from exc
        body = self.get_serializer(report).data
        return Response(body, status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)


def _checklist(answers: dict[str, bool]) -> dict[int, bool]:
    try:
        return {int(key): bool(value) for key, value in answers.items()}
    except ValueError as exc:
        raise ApiValidationError({"checklist": "question ids are numbers"}) from exc


class ViolationTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ViolationType
        fields = ["code", "name"]
        read_only_fields = fields


class ViolationTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """The types of violations an observer's report may name (the active reference list)."""

    serializer_class = ViolationTypeSerializer
    lookup_field = "code"
    queryset = ViolationType.objects.filter(is_active=True).order_by("order", "name")


class IncidentSerializer(serializers.ModelSerializer):
    station = serializers.IntegerField(source="report.station.number", read_only=True)
    text = serializers.CharField(source="report.text", read_only=True)
    reported_at = serializers.DateTimeField(source="report.created_at", read_only=True)
    lawyer = serializers.CharField(source="lawyer.username", read_only=True, allow_null=True, default=None)
    violation_type = serializers.CharField(
        source="report.violation_type.code", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "station",
            "violation_type",
            "text",
            "reported_at",
            "status",
            "lawyer",
            "resolution",
            "updated_at",
        ]
        read_only_fields = fields


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    """Incidents of the active election, for the center and lawyers (new first)."""

    serializer_class = IncidentSerializer

    def get_queryset(self) -> QuerySet[Incident]:
        if getattr(self, "swagger_fake_view", False):
            return Incident.objects.none()
        access.require_headquarters(self.request.user)
        return (
            Incident.objects.filter(report__election=access.active_election())
            .select_related("report__station", "report__violation_type", "lawyer")
            .order_by("-report__created_at", "-pk")
        )


class DashboardViewSet(viewsets.ViewSet):
    """The dashboard's figures (per commission and hour) and its map's data, for the center and lawyers."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def list(self, request: Request, **kwargs: Any) -> Response:
        access.require_headquarters(request.user)
        election = access.active_election()
        if election is None:
            return Response({"election": None})
        figures = live.current(election)  # the dashboard's shared snapshot (live.py)
        board = figures.board
        return Response(
            {
                "election": {"id": election.pk, "name": election.name, "day": election.day},
                "stations": board.total_stations,
                "opened": board.total_opened,
                "closed": board.total_closed,
                "open_incidents": board.total_incidents,
                "turnout_pct": board.turnout_pct,
                "hours": [{"hour": hour, "turnout_pct": pct} for hour, pct in board.hours],
                "commissions": [
                    {
                        "name": row.commission.name,
                        "stations": row.stations,
                        "opened": row.opened,
                        "closed": row.closed,
                        "turnout_pct": row.turnout_pct,
                        "open_incidents": row.open_incidents,
                    }
                    for row in board.rows
                ],
                "map": figures.map_data,
                "silent": [
                    {
                        "station": silence.station.number,
                        "reason": silence.reason,
                        "since": silence.since,
                        "phones": list(silence.phones),
                    }
                    for silence in board.silent
                ],
                "protocols": _protocols(figures.protocol_check),
            }
        )


def _protocols(found: protocols.ProtocolCheck) -> dict[str, Any]:
    return {
        "loaded": found.protocols,
        "turnout_pct": found.turnout_pct,
        "compared": found.compared,
        "discrepancies": [
            {
                "station": d.protocol.station.number,
                "observed": d.observed,
                "observed_at": d.observed_at,
                "issued": d.protocol.issued,
                "gap_pct": d.gap_pct,
            }
            for d in found.discrepancies
        ],
        "options": [
            {
                "name": o.name,
                "official_pct": o.official_pct,
                "exit_poll_pct": o.exit_poll_pct,
                "margin95_pct": o.margin95_pct,
                "outside": o.outside,
            }
            for o in found.options
        ],
        "station_gaps": [
            {
                "station": g.protocol.station.number,
                "option": g.option,
                "official_pct": g.official_pct,
                "poll_pct": g.poll_pct,
                "respondents": g.respondents,
            }
            for g in found.station_gaps
        ],
    }
