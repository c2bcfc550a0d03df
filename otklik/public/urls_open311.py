from django.urls import path, re_path

from . import views_open311 as views

app_name = "open311"

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    path("", views.root, name="root"),
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services, name="services"),
    re_path(r"^services/(?P<code>[-\w]+)" + FMT, views.service, name="service"),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(r"^requests/(?P<number>[-\w]+)" + FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[-\w]+)" + FMT, views.token, name="token"),
]
