from django.urls import path

from . import meeting_views, video_views, views

app_name = "elections"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("station/", views.station, name="station"),
    path("stations/", views.find_station, name="find_station"),
    path("stations/<int:number>/", views.station_detail, name="station_detail"),
    path("observers/", views.observers, name="observers"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/<int:pk>/", views.incident, name="incident"),
    path("incidents.xlsx", views.incidents_xlsx, name="incidents_xlsx"),
    path("reports/<int:pk>/photo/", views.photo, name="photo"),
    path("events/", meeting_views.events, name="events"),
    path("events/questions/", meeting_views.analysis, name="questions"),
    path("events/questions.xlsx", meeting_views.analysis_xlsx, name="questions_xlsx"),
    path("sessions/", video_views.sessions, name="sessions"),
    path("calls/", views.calls, name="calls"),
    path("calls/home-voting.xlsx", views.home_voting_xlsx, name="home_voting_xlsx"),
    path("events/<int:pk>/", meeting_views.event, name="event"),
]
