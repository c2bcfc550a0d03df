from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.index, name="index"),
    path("heatmap/", views.heatmap_page, name="heatmap"),
    path("heatmap/data.json", views.heatmap_data, name="heatmap-data"),
    path("heatmap/hex.json", views.heatmap_hex, name="heatmap-hex"),
    path("dynamics/", views.dynamics_page, name="dynamics"),
    path("agencies/", views.agencies_page, name="agencies"),
    path("agencies/<int:agency_id>/", views.agency_page, name="agency"),
    path("summary/", views.summary_page, name="summary"),
    path("summary.xlsx", views.summary_xlsx, name="summary-xlsx"),
    path("summary.pdf", views.summary_pdf, name="summary-pdf"),
]
