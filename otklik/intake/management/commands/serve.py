"""``otklik serve [ADDR:PORT]``: the web app and the in-process pipeline runner in one process."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from otklik.intake.runner import Runner, inbox_dir


class Command(BaseCommand):
    help = "Start the web app and, in the embedded mode, the in-process pipeline runner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.OTKLIK_PIPELINE == "inprocess":
            Runner().start()
            self.stdout.write(f"In-process pipeline: drop JSONL/CSV files into {inbox_dir()} to ingest them.")
        else:
            self.stdout.write("Pipeline runs in Celery workers (OTKLIK_PIPELINE=celery).")
        call_command("runserver", options["addrport"], use_reloader=False, use_threading=True)
