"""``otklik train``: a new version of the learned category classifier from moderators' decisions and,
with ``--from-csv``, a region's labelled history; ``otklik train --agency``: a new version of the
learned router from the routed cases and, with ``--from-csv``, a history of routed appeals.

The file's labels are mapped to the pipeline's categories (by code or by name) or agencies (by
name or short name) first, both kinds of match reported; unknown labels stop the training and are
listed, unless ``--create-unknown`` creates them or ``--skip-unknown`` leaves their rows out
(:mod:`otklik.understanding.labels`). The report of automatic routing counts only the categories
the pipeline can route: an active category with a learned threshold and a routing rule.

    otklik train --from-csv appeals.csv.gz --label-col category --fine-col reason
    otklik train --agency --from-csv appeals.csv.gz --label-col executor_org --category-col category \\
        --territory-col municipality --lat-col latitude --lon-col longitude --time-col created
"""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from otklik.directory.tables import FileProblems, find_region
from otklik.understanding import agency_model, labels, ml
from otklik.understanding.classify import train_category_model


class Command(BaseCommand):
    help = (
        "Train and store a new version of the category classifier (or, with --agency, of the router) "
        "from moderators' decisions and a labelled history file."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--from-csv", metavar="FILE", help="also learn from a labelled table (CSV, .csv.gz or XLSX)"
        )
        parser.add_argument("--text-col", default="text")
        parser.add_argument(
            "--label-col",
            help="the labels: category codes or names (default 'category'); with --agency agency names "
            "(default 'agency')",
        )
        parser.add_argument(
            "--fine-col", help="a column of finer labels under the category (their names are learned too)"
        )
        parser.add_argument(
            "--time-col", help="when each row arrived (a date or a number); default: row order"
        )
        parser.add_argument("--category-col", help="--agency: the row's category (code or name)")
        parser.add_argument("--territory-col", help="--agency: the row's territory (any spelling)")
        parser.add_argument("--lat-col", help="--agency: the row's latitude (placed by polygon)")
        parser.add_argument("--lon-col", help="--agency: the row's longitude")
        parser.add_argument(
            "--region", help="--agency: the region the territories are in (default: the only one)"
        )
        unknown = parser.add_mutually_exclusive_group()
        unknown.add_argument(
            "--create-unknown",
            action="store_true",
            help="create the categories (or agencies) the labels name and the region lacks",
        )
        unknown.add_argument(
            "--skip-unknown", action="store_true", help="leave out the rows whose label names nothing known"
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
        try:
            if options["agency"]:
                self._train_agency(options)
            else:
                self._train_categories(options)
        except FileProblems as exc:
            raise CommandError(str(exc)) from exc

    def _read(self, options: dict[str, Any], default_label: str) -> list[labels.LabelledRow]:
        columns = {
            "text": options["text_col"],
            "label": options["label_col"] or default_label,
            "fine": options["fine_col"],
            "time": options["time_col"],
        }
        if options["agency"]:
            columns.update(
                category=options["category_col"],
                territory=options["territory_col"],
                lat=options["lat_col"],
                lon=options["lon_col"],
            )
        return labels.read_labelled(options["from_csv"], columns)

    def _mapped(self, mapping: labels.LabelMap, options: dict[str, Any]) -> None:
        self.stdout.write("\n".join(mapping.lines()))
        if mapping.unknown and not options["skip_unknown"]:
            raise CommandError(mapping.refusal())

    def _train_categories(self, options: dict[str, Any]) -> None:
        examples: list[ml.Example] = []
        sources = []
        if not options["no_moderation"]:
            moderated = ml.moderated_examples()
            examples += moderated
            sources.append(f"moderation:{len(moderated)}")
        if options["from_csv"]:
            rows = self._read(options, "category")
            mapping = labels.map_categories(Counter(r.label for r in rows), create=options["create_unknown"])
            self._mapped(mapping, options)
            kept = [
                ml.Example(text=r.text, label=code, fine=r.fine.strip(), time=r.time)
                for r in rows
                if (code := mapping.get(r.label)) is not None
            ]
            examples += kept
            sources.append(f"{options['from_csv']}:{len(kept)}")
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
        self.stdout.write("\n".join(labels.auto_routing(row.thresholds).lines(options["target_precision"])))

    def _train_agency(self, options: dict[str, Any]) -> None:
        examples = agency_model.routing_examples()
        sources = [f"routing:{len(examples)}"]
        if options["from_csv"]:
            history = self._history_examples(options)
            examples = sorted([*history, *examples], key=lambda e: e.time or 0.0)
            sources.append(f"{options['from_csv']}:{len(history)}")
        agencies = len({e.label for e in examples})
        if len(examples) < agency_model.MIN_EXAMPLES or agencies < 2:
            raise CommandError(
                f"Not enough routing decisions: {len(examples)} routed cases for {agencies} agencies "
                f"(need {agency_model.MIN_EXAMPLES} or more cases and two or more agencies)."
            )
        row = agency_model.train_agency_model(
            examples, source=", ".join(sources), target_precision=options["target_precision"]
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

    def _history_examples(self, options: dict[str, Any]) -> list[ml.Example]:
        """The file's routed rows as the router's examples: agency labels mapped, the category and
        the territory of each row as its extra tokens (a place by name, else by point)."""
        rows = self._read(options, "agency")
        mapping = labels.map_agencies(Counter(r.label for r in rows), create=options["create_unknown"])
        self._mapped(mapping, options)
        categories = labels.map_categories(Counter(r.category for r in rows if r.category))
        if categories.rows:
            self.stdout.write(
                f"categories of the rows: {len(categories.target)} of {len(categories.rows)} known "
                f"({categories.count('code')} by code, {categories.count('name')} by name); rows of the "
                "others learn without a category"
            )
        territory_of = self._territories(rows, options)
        chains = agency_model.territory_chains(t for t in territory_of if t is not None)
        examples = []
        for n, (row, territory) in enumerate(zip(rows, territory_of, strict=True)):
            agency = mapping.get(row.label)
            if agency is None:
                continue
            examples.append(
                ml.Example(
                    text=row.text,
                    label=agency,
                    extra=agency_model.routing_tokens(categories.get(row.category), territory, chains),
                    time=row.time if row.time is not None else float(n),
                )
            )
        return examples

    def _territories(self, rows: list[labels.LabelledRow], options: dict[str, Any]) -> list[int | None]:
        if not (options["territory_col"] or options["lat_col"]):
            return [None] * len(rows)
        from otklik.understanding.places import get_gazetteer, get_polygons
        from otklik.understanding.places.names import territory_lookup

        lookup = territory_lookup(find_region(options["region"])) if options["territory_col"] else None
        polygons = get_polygons(get_gazetteer()) if options["lat_col"] else None
        names: dict[str, int | None] = {}
        out: list[int | None] = []
        by = Counter[str]()
        for row in rows:
            found: int | None = None
            if lookup is not None and row.territory:
                if row.territory not in names:
                    territory = lookup(row.territory)
                    names[row.territory] = territory.pk if territory is not None else None
                found = names[row.territory]
                by["name" if found is not None else "unknown name"] += 1
            if found is None and polygons is not None and row.lat is not None and row.lon is not None:
                territory = polygons.locate(row.lat, row.lon)
                found = territory.pk if territory is not None else None
                by["point" if found is not None else "point outside"] += 1
            out.append(found)
        self.stdout.write(
            f"territories of the rows: {sum(1 for t in out if t is not None)} of {len(rows)} placed ("
            + ", ".join(f"{k}: {v}" for k, v in by.most_common())
            + ")"
        )
        return out
