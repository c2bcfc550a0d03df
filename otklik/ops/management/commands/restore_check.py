from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from otklik.ops.backup import BackupError, restore_check


class Command(BaseCommand):
    help = "Restore a backup into a fresh database and compare every table's rows with its manifest."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("folder", help="a folder written by `otklik backup`")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = restore_check(Path(options["folder"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for table, (expected, got) in report.mismatches.items():
            self.stderr.write(f"{table}: {expected} in the backup, {got} restored")
        media = "" if report.media_files is None else f", {report.media_files} media files"
        if not report.ok:
            raise CommandError(
                f"restore check FAILED: {len(report.mismatches)} of {report.tables} tables differ"
            )
        self.stdout.write(f"restore check ok: {report.tables} tables, {report.rows} rows{media}")
