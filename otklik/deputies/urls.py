from django.urls import path

from . import views

app_name = "deputies"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("rating/", views.rating, name="rating"),
    path("statistics/", views.statistics, name="statistics"),
    path("responsiveness/", views.responsiveness, name="responsiveness"),
    path("<int:pk>/", views.deputy, name="deputy"),
    path("reply/<str:number>/<str:token>/", views.reply, name="reply"),
]
