"""The shape every command loading a region's table shares (onboarding's import-territories,
-categories, -agencies, -routing; understanding's import-addresses, -places and -osm): FILE,
``--map field=Column`` (a table's, not an OpenStreetMap extract's), ``--dry-run`` and ``--region``; a
file with problems is a :class:`CommandError` listing them, nothing written."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.directory.tables import FileProblems, Report, find_region, parse_mapping


class ImportCommand(BaseCommand):
    fields: tuple[str, ...] = ()  # the table's fields --map may name; none: the file has no columns
    needs_region = True
    file_help = "CSV (optionally .gz) or XLSX, one header row"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=self.file_help)
        if self.fields:
            parser.add_argument(
                "--map",
                action="append",
                metavar="FIELD=Column",
                help=f"the file's column for a field ({', '.join(self.fields)}); the rest is found by header",
            )
        parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
        parser.add_argument(
            "--region",
            help="the region's name (default: the only region loaded)"
            + ("" if self.needs_region else "; needed only to name territories"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            region = find_region(options["region"]) if self.needs_region or options["region"] else None
            reports = self.load(options["file"], region, parse_mapping(options.get("map")), options)
        except FileProblems as exc:
            raise CommandError(str(exc)) from exc
        for report in reports if isinstance(reports, list) else [reports]:
            self.stdout.write("\n".join(report.lines()))

    def load(
        self, path: str, region: Any, mapping: dict[str, str], options: dict[str, Any]
    ) -> Report | list[Report]:
        raise NotImplementedError
