"""``otklik demo``: the Saratov demo — region, agencies, users, weeks of messages through their lifecycle."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from otklik.demo.run import format_logins, run_demo


class Command(BaseCommand):
    help = "Load the demo region, agencies, routing, users and weeks of residents' messages (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--messages", type=int, default=4000, help="How many messages to generate (4000)")
        parser.add_argument(
            "--seed", type=int, default=2024, help="Seed of the generator (same seed, same demo)"
        )
        parser.add_argument("--weeks", type=int, default=6, help="How many weeks back the messages go (6)")
        parser.add_argument("--reset", action="store_true", help="Delete the demo's cases and messages first")

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_demo(
            messages=options["messages"],
            seed=options["seed"],
            weeks=options["weeks"],
            reset=options["reset"],
            progress=self.stdout.write,
        )
        if not result.skipped:
            self.stdout.write(f"Ingested {result.ingested} messages in {result.seconds:.1f} s.")
        self.stdout.write("Cases by status: " + ", ".join(f"{k} {v}" for k, v in result.statuses.items()))
        self.stdout.write(self.style.SUCCESS("Demo logins:"))
        for line in format_logins():
            self.stdout.write("  " + line)
        self.stdout.write(
            "Without a login: the problem map /public/map/, the appeal form /public/appeal/, "
            "Open311 /open311/v2/services.json"
        )
