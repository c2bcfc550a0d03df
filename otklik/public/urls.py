from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("appeal/", views.appeal, name="appeal"),
    path("status/<str:number>/<str:token>/", views.status, name="status"),
    path("status/<str:number>/<str:token>/rate/", views.rate, name="rate"),
]
