from django.apps import AppConfig


class UnderstandingConfig(AppConfig):
    name = "otklik.understanding"

    def ready(self) -> None:
        # Connect the cache-invalidation signals of the classifier and the gazetteer.
        from . import classify, places  # noqa: F401
