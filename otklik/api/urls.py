"""The REST API's routes; serializers and viewsets live in each app's ``api.py``."""

from rest_framework.routers import DefaultRouter

from otklik.cases.api import CaseViewSet
from otklik.deputies.api import DeputyViewSet
from otklik.directory.api import AgencyViewSet, CategoryViewSet, TerritoryViewSet
from otklik.elections.api import (
    DashboardViewSet,
    IncidentViewSet,
    ReportViewSet,
    StationViewSet,
    ViolationTypeViewSet,
)

app_name = "api"

router = DefaultRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("categories", CategoryViewSet, basename="category")
router.register("territories", TerritoryViewSet, basename="territory")
router.register("agencies", AgencyViewSet, basename="agency")
router.register("deputies", DeputyViewSet, basename="deputy")
router.register("elections/stations", StationViewSet, basename="election-station")
router.register("elections/reports", ReportViewSet, basename="election-report")
router.register("elections/incidents", IncidentViewSet, basename="election-incident")
router.register("elections/dashboard", DashboardViewSet, basename="election-dashboard")
router.register("elections/violation-types", ViolationTypeViewSet, basename="election-violation-type")

urlpatterns = router.urls
