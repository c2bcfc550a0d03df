"""Celery application: the scale-out engine of the pipeline (Redis or RabbitMQ broker)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")

app = Celery("otklik")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
