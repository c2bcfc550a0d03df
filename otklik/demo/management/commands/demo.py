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
        parser.add_argument(
            "--deputies",
            type=int,
            default=0,
            help="Instead of the demo: the deputies' service at scale for the bench — this many deputies "
            "(3000) in --regions regions with --deputy-appeals appeals (otklik.demo.deputies_scale)",
        )
        parser.add_argument("--regions", type=int, default=10, help="Regions of --deputies (10)")
        parser.add_argument(
            "--deputy-appeals", type=int, default=100_000, help="Appeals to the --deputies (100000)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["deputies"]:
            from otklik.demo.deputies_scale import generate

            made = generate(
                options["deputies"],
                options["deputy_appeals"],
                regions=options["regions"],
                seed=options["seed"],
                progress=self.stdout.write,
            )
            self.stdout.write(
                f"{made.deputies} deputies in {made.regions} regions, {made.appeals} appeals "
                f"in {made.seconds:.0f} s."
            )
            return
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
