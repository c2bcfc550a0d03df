"""``otklik train``: a new version of the learned category classifier from moderators' decisions
(and optionally a labelled CSV whose labels are category codes); ``otklik train --agency``: a new
version of the learned router from the routing decisions (every routed case)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from otklik.understanding import agency_model, ml
from otklik.understanding.classify import train_category_model


class Command(BaseCommand):
    help = "Train and store a new version of the category classifier from moderators' decisions."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from-csv", metavar="FILE", help="also learn from a labelled CSV")
        parser.add_argument("--text-col", default="text")
        parser.add_argument("--label-col", default="category", help="category codes")
        parser.add_argument(
            "--fine-col", help="a column of finer labels under the category (their names are learned too)"
        )
        parser.add_argument("--no-moderation", action="store_true", help="ignore moderators' decisions")
        parser.add_argument(
            "--rules", action="store_true", help="the rules' matched categories as features (measured worse)"
        )
        parser.add_argument("--no-rules", action="store_true", help=argparse.SUPPRESS)  # the old default
        parser.add_argument(
            "--no-label-docs", action="store_true", help="do not learn the categories' names and keywords"
        )
        parser.add_argument("--target-precision", type=float, default=ml.DEFAULT_TARGET_PRECISION)
        parser.add_argument(
            "--agency",
            action="store_true",
            help="train the router (which agency a case goes to) from the routed cases instead",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["agency"]:
            self._train_agency(options)
            return
        examples: list[ml.Example] = []
        sources = []
        if not options["no_moderation"]:
            moderated = ml.moderated_examples()
            examples += moderated
            sources.append(f"moderation:{len(moderated)}")
        if options["from_csv"]:
            try:
                rows = ml.read_labeled_csv(
                    options["from_csv"],
                    text_col=options["text_col"],
                    label_col=options["label_col"],
                    fine_col=options["fine_col"],
                )
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            examples += rows
            sources.append(f"{options['from_csv']}:{len(rows)}")
        if len({e.label for e in examples}) < 2:
            raise CommandError(
                f"Not enough training data: {len(examples)} examples "
                f"in {len({e.label for e in examples})} categories (need two or more categories)."
            )
        row = train_category_model(
            examples,
            source=", ".join(sources),
            use_rules=options["rules"],
            use_label_docs=not options["no_label_docs"],
            target_precision=options["target_precision"],
        )
        validation = row.metrics.get("validation", {})
        self.stdout.write(
            f"model {row.version}: {row.examples} examples, {len(row.labels)} categories, "
            f"{row.size / 1e6:.1f} MB; validation macro-F1 {validation.get('macro_f1', '–')}, "
            f"accuracy {validation.get('accuracy', '–')}"
        )
        auto = {label: t for label, t in row.thresholds.items() if t is not None}
        self.stdout.write(
            f"automatic routing for {len(auto)} of {len(row.thresholds)} categories "
            f"(precision ≥ {options['target_precision']:.2f} in validation); the rest go to moderation"
        )

    def _train_agency(self, options: dict[str, Any]) -> None:
        if options["from_csv"]:
            raise CommandError("--agency learns from the routed cases only; --from-csv is not supported.")
        examples = agency_model.routing_examples()
        agencies = len({e.label for e in examples})
        if len(examples) < agency_model.MIN_EXAMPLES or agencies < 2:
            raise CommandError(
                f"Not enough routing decisions: {len(examples)} routed cases for {agencies} agencies "
                f"(need {agency_model.MIN_EXAMPLES} or more cases and two or more agencies)."
            )
        row = agency_model.train_agency_model(
            examples, source=f"routing:{len(examples)}", target_precision=options["target_precision"]
        )
        validation = row.metrics.get("validation", {})
        self.stdout.write(
            f"agency model {row.version}: {row.examples} examples, {len(row.labels)} agencies, "
            f"{row.size / 1e6:.1f} MB; validation accuracy {validation.get('accuracy', '–')}, "
            f"macro-F1 {validation.get('macro_f1', '–')}"
        )
        learned = sum(1 for t in row.thresholds.values() if t is not None)
        self.stdout.write(
            f"learned confidence thresholds for {learned} of {len(row.thresholds)} agencies "
            f"(precision ≥ {options['target_precision']:.2f} in validation); the others are suggested "
            f"from confidence {agency_model.DEFAULT_THRESHOLD}"
        )
