"""``otklik evaluate FILE``: stratified k-fold cross-validation of the learned classifier on a
labelled CSV — macro-F1, weighted F1, accuracy, per-class precision/recall, confusion matrix —
as text, and as an HTML report with ``--report``.

``--fine-col COL`` names a column of finer labels (the topic under a category): their names are
learned as examples of their label, and a second model over them adds its best score per label.
``--test FILE`` trains on all of FILE instead and scores the rows of the test file.
``--places`` adds the place found in the text (the gazetteer) as a feature, for routing labels;
with ``--region-geojson`` and ``--region-towns`` the region is loaded inside a transaction that is
rolled back at the end, so the database is left as it was.
``--time-col COL --recent-practice K`` adds the current routing practice as features: the labels
of the K training rows nearest in time (COL orders the rows: a timestamp, or a sequential id, i.e.
arrival order); ``--practice-past-only`` counts only the rows before each one, as a new appeal
would see them.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from otklik.directory.regions import load_region
from otklik.understanding import ml, places
from otklik.understanding.classify import (
    RuleClassifier,
    default_rules,
    get_classifier,
    place_tokens,
    with_rule_features,
)
from otklik.understanding.places.evaluation import region_gazetteer
from otklik.understanding.reports import render_html


class _Rollback(Exception):
    pass


def _read(
    path: str,
    text_col: str,
    label_col: str,
    names_col: str | None,
    fine_col: str | None = None,
    time_col: str | None = None,
) -> tuple[list[ml.Example], dict]:
    try:
        examples = ml.read_labeled_csv(
            path, text_col=text_col, label_col=label_col, fine_col=fine_col, time_col=time_col
        )
    except (OSError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    names: dict[str, str] = {}
    if names_col:
        with Path(path).open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                label, name = (row.get(label_col) or "").strip(), (row.get(names_col) or "").strip()
                if label and name:
                    names.setdefault(label, name)
    return examples, names


class Command(BaseCommand):
    help = "Cross-validate the learned classifier on a labelled CSV and print (and save) the figures."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--text-col", default="text")
        parser.add_argument("--label-col", default="category")
        parser.add_argument("--names-col", help="a column naming the labels, for display")
        parser.add_argument("--fine-col", help="a column of finer labels under the label (e.g. the topic)")
        parser.add_argument(
            "--no-fine-head", action="store_true", help="learn the finer labels' names only, no second model"
        )
        parser.add_argument(
            "--table-router",
            action="store_true",
            help="no text model: the label most frequent for the --fine-col value (and the place, with "
            "--places) in the training folds — what routing by a known topic and place reaches",
        )
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--min-per-class", type=int, default=5)
        parser.add_argument("--seed", type=int, default=0, help="the folds' shuffle")
        parser.add_argument(
            "--rules",
            choices=["default", "db", "none"],
            default="none",
            help="rule features: the shipped default tree, this database's, or none (the default: "
            "measured better)",
        )
        parser.add_argument("--c", type=float, default=0.3, help="LinearSVC regularization")
        parser.add_argument("--class-weight", choices=["balanced", "none"], default="balanced")
        parser.add_argument(
            "--extra-weight", type=float, default=0.5, help="weight of the rule and place tokens"
        )
        parser.add_argument(
            "--label-doc-weight",
            type=float,
            default=1.0,
            help="how many examples each label document (a --fine-col name) counts as; "
            "`otklik train` uses 3 for the finer labels' names",
        )
        parser.add_argument("--no-chars", action="store_true", help="no character n-grams")
        parser.add_argument("--no-embeddings", action="store_true", help="no navec word vectors")
        parser.add_argument(
            "--time-col", help="a column ordering the rows in time (a timestamp or a sequential id)"
        )
        parser.add_argument(
            "--recent-practice",
            type=int,
            default=0,
            metavar="K",
            help="with --time-col: the labels of the K training rows nearest in time as features "
            "(the current routing practice)",
        )
        parser.add_argument("--practice-weight", type=float, default=3.0)
        parser.add_argument(
            "--practice-past-only",
            action="store_true",
            help="the practice from the rows before each one only (as a new appeal sees it)",
        )
        parser.add_argument("--test", metavar="FILE", help="train on all of FILE, score this file")
        parser.add_argument("--test-label-col", help="the label column of the test file")
        parser.add_argument("--places", action="store_true", help="the place in the text as a feature")
        parser.add_argument("--region-geojson")
        parser.add_argument("--region-towns")
        parser.add_argument("--region-filter")
        parser.add_argument("--region-name", default="Region under evaluation")
        parser.add_argument("--report", metavar="OUT.html")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["region_geojson"] and options["region_towns"]:
            try:
                with transaction.atomic():
                    region = load_region(
                        name=options["region_name"],
                        geojson_path=options["region_geojson"],
                        towns_csv_path=options["region_towns"],
                        region_filter=options["region_filter"],
                    ).region
                    self._run(options, region_gazetteer(region))
                    raise _Rollback
            except _Rollback:
                pass
        else:
            self._run(options, places.get_gazetteer() if options["places"] else None)

    def _run(self, options: dict[str, Any], gazetteer: places.Gazetteer | None) -> None:
        started = time.perf_counter()
        examples, names = _read(
            options["file"],
            options["text_col"],
            options["label_col"],
            options["names_col"],
            options["fine_col"],
            options["time_col"],
        )
        if options["recent_practice"] and not options["time_col"]:
            raise CommandError("--recent-practice needs --time-col (what orders the rows in time).")
        rules: RuleClassifier | None = {
            "default": default_rules,
            "db": lambda: get_classifier(),
            "none": lambda: None,
        }[options["rules"]]()
        use_places = options["places"] and gazetteer is not None

        def featurize(rows: list[ml.Example]) -> list[ml.Prepared]:
            rows = with_rule_features(rows, rules)
            if use_places:
                assert gazetteer is not None
                rows = [
                    ml.Example(e.text, e.label, (*e.extra, *place_tokens(e.text, gazetteer)), e.fine)
                    for e in rows
                ]
            return [ml.prepare(e.text, e.extra) for e in rows]

        docs = featurize(examples)
        labels = [e.label for e in examples]
        fine = [e.fine for e in examples] if options["fine_col"] else None
        times = [float(e.time or 0.0) for e in examples] if options["recent_practice"] else None
        label_docs = ml.fine_label_docs(examples) if options["fine_col"] else []
        c = options["c"]
        class_weight = None if options["class_weight"] == "none" else "balanced"

        def make_model() -> ml.TextModel:
            return ml.TextModel(
                c=c,
                class_weight=class_weight,
                char_ngrams=None if options["no_chars"] else (3, 5),
                embeddings=not options["no_embeddings"],
                fine_weight=0.0 if options["no_fine_head"] else 1.0,
                label_doc_weight=options["label_doc_weight"],
                extra_weight=options["extra_weight"],
                practice_k=options["recent_practice"],
                practice_weight=options["practice_weight"],
                practice_past_only=options["practice_past_only"],
            )

        if options["table_router"]:
            if not options["fine_col"]:
                raise CommandError("--table-router needs --fine-col (the key of the table).")
            # the municipality is the last place token (a settlement, if any, comes first)
            keys = [
                (e.fine, *[t for t in d.extra if t.startswith("p_")][-1:])
                for e, d in zip(examples, docs, strict=True)
            ]
            evaluation = ml.cross_validate_table(
                keys,
                labels,
                folds=options["folds"],
                min_per_class=options["min_per_class"],
                seed=options["seed"],
            )
            self.stdout.write(
                f"{options['file']}: {options['label_col']} by a table of {options['fine_col']}"
                + (" + place" if use_places else "")
            )
            self.stdout.write(evaluation.as_text(names))
            return
        if options["test"]:
            test_label = options["test_label_col"] or options["label_col"]
            test_examples, _ = _read(
                options["test"], options["text_col"], test_label, None, time_col=options["time_col"]
            )
            model = make_model().fit(docs, labels, fine=fine, label_docs=label_docs, times=times)
            test_times = [float(e.time or 0.0) for e in test_examples] if times is not None else None
            predictions = model.predict(featurize(test_examples), times=test_times)
            evaluation = ml.Evaluation(
                y_true=[e.label for e in test_examples],
                y_pred=[p.label for p in predictions],
                confidence=[p.confidence for p in predictions],
                folds=0,
            )
            heading = f"trained on {options['file']} ({len(examples)} rows), scored on {options['test']}"
        else:
            evaluation = ml.cross_validate(
                docs,
                labels,
                folds=options["folds"],
                min_per_class=options["min_per_class"],
                make_model=make_model,
                seed=options["seed"],
                fine=fine,
                label_docs=label_docs,
                times=times,
            )
            heading = f"{options['file']}: {options['label_col']}"
        features = ["lemmas 1-2"]
        features += [] if options["no_chars"] else ["char 3-5"]
        features += [] if options["no_embeddings"] else ["navec"]
        features += [f"rules={options['rules']}"] if rules is not None else []
        features += ["places"] if use_places else []
        if rules is not None or use_places:
            features[-1] += f" (weight {options['extra_weight']})"
        if options["fine_col"]:
            head = "" if options["no_fine_head"] else f" + {options['fine_col']} head"
            features.append(f"names of {options['fine_col']}{head}")
        if times is not None:
            features.append(
                f"routing practice: the {options['recent_practice']} training rows nearest by "
                f"{options['time_col']}{' before' if options['practice_past_only'] else ''} "
                f"(weight {options['practice_weight']})"
            )
        description = f"{', '.join(features)}; LinearSVC C={c}, class weight {options['class_weight']}"
        self.stdout.write(f"{heading} ({description})")
        self.stdout.write(evaluation.as_text(names))
        self.stdout.write(f"\n{time.perf_counter() - started:.1f} s")
        if options["report"]:
            Path(options["report"]).write_text(
                render_html(evaluation, title=f"{heading} ({description})", names=names), encoding="utf-8"
            )
            self.stdout.write(f"report: {options['report']}")
