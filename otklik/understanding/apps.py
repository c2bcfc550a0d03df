from django.apps import AppConfig

from otklik import periodic


class UnderstandingConfig(AppConfig):
    name = "otklik.understanding"

    def ready(self) -> None:
        # Connect the cache-invalidation signals of the classifier and the gazetteer.
        from . import classify, places  # noqa: F401

        periodic.register(
            "retrain-models", 3600, "otklik.understanding.retraining.retrain_if_due", queue="understanding"
        )
