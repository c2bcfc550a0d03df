from django.apps import AppConfig


class UnderstandingConfig(AppConfig):
    name = "otklik.understanding"
