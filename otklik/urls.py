from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from otklik.ops.urls import root_urlpatterns as ops_root_urls

admin.site.site_header = _("Otklik administration")
admin.site.site_title = _("Otklik")
admin.site.index_title = _("Reference data and settings")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="cases:queue", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("otklik.accounts.urls")),
    path("cases/", include("otklik.cases.urls")),
    path("intake/", include("otklik.intake.urls")),
    path("analytics/", include("otklik.analytics.urls")),
    path("public/", include("otklik.public.urls")),
    path("open311/v2/", include("otklik.public.urls_open311")),
    path("deputies/", include("otklik.deputies.urls")),
    path("elections/", include("otklik.elections.urls")),
    path("callcenter/", include("otklik.intake.urls_callcenter")),
    path("api/", include("otklik.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("ops/", include("otklik.ops.urls")),
    *ops_root_urls,  # /healthz, /readyz, /metrics
]

if settings.DEBUG:  # pragma: no cover - static files come from whitenoise in production too
    pass

# The project's own error pages, JSON under /api/ (otklik/security/middleware.py).
handler400 = "otklik.security.middleware.bad_request"
handler403 = "otklik.security.middleware.permission_denied"
handler404 = "otklik.security.middleware.page_not_found"
handler500 = "otklik.security.middleware.server_error"
