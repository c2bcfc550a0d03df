from django.urls import path

from . import webhook

app_name = "intake"

urlpatterns = [
    path("webhook/<slug:code>/", webhook.receive, name="webhook"),
]
