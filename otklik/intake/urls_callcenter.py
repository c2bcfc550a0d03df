from django.urls import path

from . import views_callcenter

app_name = "callcenter"

urlpatterns = [
    path("", views_callcenter.callcenter, name="form"),
]
