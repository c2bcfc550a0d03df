from django.urls import path

from . import views

app_name = "ops"

urlpatterns = [
    path("health/", views.health_page, name="health"),
]

# Mounted at the site's root by otklik/urls.py: the names proxies and monitoring expect.
root_urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_view, name="metrics"),
]
