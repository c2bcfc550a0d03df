from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("appeal/", views.appeal, name="appeal"),
    path("map/", views.problem_map, name="map"),
    path("problems/<str:number>/", views.problem, name="problem"),
    path("problems/<str:number>/photos/<int:message_id>/", views.problem_photo, name="problem-photo"),
    path("status/<str:number>/<str:token>/", views.status, name="status"),
    path("status/<str:number>/<str:token>/rate/", views.rate, name="rate"),
]
