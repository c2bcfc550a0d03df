from django.urls import path

from . import max_webhook, views_monitoring, views_pages, views_photos, webhook

app_name = "intake"

urlpatterns = [
    path("webhook/<slug:code>/", webhook.receive, name="webhook"),
    path("max/<slug:code>/", max_webhook.receive, name="max-webhook"),
    path("monitoring/", views_monitoring.query_list, name="monitoring"),
    path("monitoring/new/", views_monitoring.query_edit, name="monitoring-new"),
    path("monitoring/preview/", views_monitoring.query_preview, name="monitoring-preview"),
    path("monitoring/<int:query_id>/", views_monitoring.query_edit, name="monitoring-edit"),
    path("photos/<int:message_id>/visibility/", views_photos.photo_visibility, name="photo-visibility"),
    path("pages/", views_pages.page_ranking, name="pages"),
    path("pages/<int:pk>/", views_pages.page_detail, name="page"),
    path("pages/<int:pk>/case/<int:message_pk>/", views_pages.make_case, name="page-make-case"),
]
