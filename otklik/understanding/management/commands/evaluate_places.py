"""``otklik evaluate-places [FILE]``: precision and recall of the place resolver.

With a FILE (CSV, .csv.gz or XLSX): any labelled file of the loaded region — a text column and the
true territory, named in a column (any spelling, former names too) or given by a point checked
against the polygons; district- and okrug-level figures on every row and on the texts that name an
address or a place, and the resolver's speed::

    otklik evaluate-places appeals.csv.gz --territory-col municipality \\
        --lat-col latitude --lon-col longitude

Without a FILE, the Kursk appeals of ``../shared/data``: loads the Kursk region inside a
transaction that is rolled back at the end, so the database is left as it was; prints the district
figures against the executor and the district, settlement and street figures against the hand
annotations. With ``--learn-institutions`` the registry of institutions is first filled from the
train split's executors (as moderators' confirmed places would fill it) and the figures of the
texts naming an institution are printed too.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from otklik.understanding.places import data as place_data
from otklik.understanding.places import evaluation as ev


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Precision and recall of place extraction on a labelled file (text + true territory or point), "
        "or on the real Kursk appeals (../shared/data) without one."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", help="a labelled CSV/XLSX (default: the Kursk appeals)")
        parser.add_argument("--text-col", default="text")
        parser.add_argument("--territory-col", help="the true territory's name")
        parser.add_argument("--lat-col", help="the true point's latitude (placed by polygon)")
        parser.add_argument("--lon-col", help="the true point's longitude")
        parser.add_argument("--region", help="the region of the file (default: the only one loaded)")
        parser.add_argument("--split", choices=["train", "test", "both"], default="both")
        parser.add_argument(
            "--ner", action="store_true", help="also run natasha NER where the gazetteer fails"
        )
        parser.add_argument(
            "--derive-streets",
            action="store_true",
            help="rewrite data/gazetteer/streets.csv from the train split before evaluating",
        )
        parser.add_argument(
            "--learn-institutions",
            action="store_true",
            help="fill the institution registry from the train split's executors (as moderators "
            "would) before evaluating; the registry is rolled back with the region",
        )
        parser.add_argument("--confusions", type=int, default=0, help="print the N most frequent mistakes")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["file"]:
            self._file(options)
            return
        if not (ev.shared_data() / "kursk_pos_2022").exists():
            raise CommandError(f"No shared data at {ev.shared_data()}")
        try:
            with transaction.atomic():
                self._run(options)
                raise _Rollback
        except _Rollback:
            pass

    def _run(self, options: dict[str, Any]) -> None:
        region = ev.load_kursk()
        gazetteer = ev.region_gazetteer(region)
        if options["derive_streets"]:
            streets = ev.derive_streets(ev.read_rows("train"), gazetteer)
            ev.write_streets(streets)
            place_data.known_streets.cache_clear()
            gazetteer = ev.region_gazetteer(region)
            self.stdout.write(f"derived {len(streets)} streets from the train split")
        if options["learn_institutions"]:
            learned = ev.learn_institutions(ev.read_rows("train"), gazetteer)
            gazetteer = ev.region_gazetteer(region)
            known = sum(len(found) for found in gazetteer.institutions.values())
            self.stdout.write(f"learned {learned} institution mentions of the train split into {known} rows")
        self.stdout.write(
            f"gazetteer: {len(gazetteer.territories)} territories, {len(gazetteer.forms)} word forms, "
            f"{len(gazetteer.streets)} known streets"
        )
        splits = ["train", "test"] if options["split"] == "both" else [options["split"]]
        modes = [False, True] if options["ner"] else [False]
        for use_ner in modes:
            for split in splits:
                score, rate = ev.evaluate_by_executor(ev.read_rows(split), gazetteer, use_ner=use_ner)
                note = " (streets derived from this split)" if split == "train" else ""
                self.stdout.write(f"{split:5} {score.line()}  {rate:,.0f} texts/s{note}")
                self._confusions(score, options["confusions"])
                if not use_ner:
                    for found in ev.evaluate_institutions(ev.read_rows(split), gazetteer):
                        self.stdout.write(f"{split:5} {found.line()}")
                        self._confusions(found, options["confusions"])
            annotations = ev.read_annotations()
            if annotations:
                rows = ev.read_rows("test")
                for score in ev.evaluate_annotations(annotations, rows, gazetteer, use_ner=use_ner):
                    self.stdout.write(f"test  {score.line()}")
                    self._confusions(score, options["confusions"])

    def _file(self, options: dict[str, Any]) -> None:
        from otklik.directory.tables import FileProblems, find_region

        try:
            scores = ev.evaluate_file(
                options["file"],
                find_region(options["region"]),
                text_col=options["text_col"],
                territory_col=options["territory_col"],
                lat_col=options["lat_col"],
                lon_col=options["lon_col"],
                use_ner=options["ner"],
            )
        except FileProblems as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("\n".join(scores.lines()))
        for score in (scores.district_named, scores.okrug_named):
            self._confusions(score, options["confusions"])

    def _confusions(self, score: ev.Score, limit: int) -> None:
        for (truth, predicted), n in score.confusions.most_common(limit):
            self.stdout.write(f"        {n:3d} × truth {truth!r} → predicted {predicted!r}")
