from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "otklik.api"
