from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from otklik.ops.backup import BackupError, backup, prune


class Command(BaseCommand):
    help = "Back up the database and the media files into a folder (docs/deploy/backup.md)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--out",
            default=str(Path(settings.VAR_DIR) / "backups"),
            help="where the backup folder is written (default var/backups)",
        )
        parser.add_argument("--keep", type=int, default=0, help="then delete all but the N newest backups")
        parser.add_argument("--no-media", action="store_true", help="the database only")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            folder = backup(Path(options["out"]), media=not options["no_media"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(folder))
        if options["keep"]:
            for old in prune(Path(options["out"]), options["keep"]):
                self.stderr.write(f"deleted {old}")
