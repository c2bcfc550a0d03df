"""``otklik fetch``: run the pulling sources once.

Without options: the sources that are due (their back-off or interval has passed) — what the runner
does every tick. ``--all``: every enabled pulling source now. ``--source CODE``: that source now,
whatever its schedule (after fixing a token, say). ``--health``: ask the sources' health endpoints.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from otklik.intake.connectors.base import ConnectorError, get_connector_class
from otklik.intake.fetching import FetchReport, check_health, fetch_due_sources, fetch_source
from otklik.intake.models import Source


class Command(BaseCommand):
    help = "Fetch new messages from the enabled sources (VK, Telegram, feeds …) once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", metavar="CODE", help="fetch this source now, whatever its schedule")
        parser.add_argument("--all", action="store_true", help="fetch every enabled source now")
        parser.add_argument("--health", action="store_true", help="check the sources' health instead")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["source"]:
            source = Source.objects.filter(code=options["source"]).first()
            if source is None:
                raise CommandError(f"No source “{options['source']}”.")
            sources = [source]
        elif options["all"] or options["health"]:
            sources = [s for s in Source.objects.filter(is_enabled=True).order_by("code") if _pulls(s)]
        else:
            sources = []
        if options["health"]:
            for source in sources:
                health = check_health(source, now=now)
                line = f"{source.code}: {'ok' if health.ok else 'FAILING'} — {health.detail}"
                self.stdout.write(self.style.SUCCESS(line) if health.ok else self.style.ERROR(line))
            return
        if options["source"] or options["all"]:
            reports = [fetch_source(source, now=now) for source in sources]
        else:
            reports = fetch_due_sources(now)
        if not reports:
            self.stdout.write("No source is due.")
        for report in reports:
            self._print(report)
        if options["source"] and not reports[0].ok:
            raise CommandError(reports[0].error)

    def _print(self, report: FetchReport) -> None:
        if report.ok:
            self.stdout.write(self.style.SUCCESS(report.summary()))
        else:
            self.stderr.write(self.style.ERROR(report.summary()))
        for note in report.notes:
            self.stdout.write(f"  {note}")


def _pulls(source: Source) -> bool:
    try:
        return get_connector_class(source.connector).pulls
    except ConnectorError:
        return False
