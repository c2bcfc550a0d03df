"""``otklik load-region``: load a region's districts and towns; ``--make-shipped`` rebuilds the shipped files.

    otklik load-region                                   # the shipped demo region (Saratov oblast)
    otklik load-region --name "Курская область" \\
        --geojson ../shared/data/russia_geojson_osm/Kursk_region.geojson \\
        --towns ../shared/data/hflabs_city/city.csv --region-filter Курская
    otklik load-region --make-shipped saratov \\
        --geojson ../shared/data/russia_geojson_osm/Saratov_Region.geojson \\
        --towns ../shared/data/hflabs_city/city.csv   # a developer's step; writes otklik/directory/data/
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.directory.regions import SHIPPED_REGIONS, build_shipped_region, load_region


class Command(BaseCommand):
    help = "Load (or update) a region's territories from a district GeoJSON and an hflabs/city CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--name", help="Region name, e.g. 'Курская область' (default: the shipped region's)"
        )
        parser.add_argument("--geojson", help="Polygons of districts and urban okrugs (property 'district')")
        parser.add_argument(
            "--towns", help="hflabs/city CSV (the full file or a region's subset); none for a city's okrugs"
        )
        parser.add_argument("--region-filter", help="Keep towns whose 'region' contains this, e.g. 'Курская'")
        parser.add_argument(
            "--oktmo", help="The region's OKTMO code (default: derived from the towns' codes)"
        )
        parser.add_argument("--name-property", default="district", help="GeoJSON property holding the name")
        parser.add_argument(
            "--shipped",
            default="saratov",
            choices=sorted(SHIPPED_REGIONS),
            help="Which shipped region to load when --geojson is not given",
        )
        parser.add_argument(
            "--make-shipped",
            choices=sorted(SHIPPED_REGIONS),
            help="Rebuild the shipped simplified files of this region from --geojson and --towns",
        )
        parser.add_argument(
            "--tolerance", type=float, default=0.003, help="Simplification tolerance, degrees"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["make_shipped"]:
            self._make_shipped(options)
            return
        if options["geojson"]:
            if not options["name"]:
                raise CommandError("--geojson needs --name as well (and --towns for a region's towns).")
            result = load_region(
                name=options["name"],
                geojson_path=options["geojson"],
                towns_csv_path=options["towns"],
                region_filter=options["region_filter"],
                oktmo=options["oktmo"],
                name_property=options["name_property"],
            )
        else:
            shipped = SHIPPED_REGIONS[options["shipped"]]
            result = load_region(
                name=options["name"] or shipped.name,
                geojson_path=shipped.geojson_path,
                towns_csv_path=shipped.towns_csv_path,
                oktmo=options["oktmo"],
            )
        self.stdout.write(self.style.SUCCESS(str(result)))

    def _make_shipped(self, options: dict[str, Any]) -> None:
        shipped = SHIPPED_REGIONS[options["make_shipped"]]
        if not (options["geojson"] and options["towns"]):
            raise CommandError("--make-shipped needs --geojson and --towns (the unsimplified sources).")
        files = build_shipped_region(
            geojson_src=options["geojson"],
            towns_src=options["towns"],
            out_dir=shipped.path,
            region_filter=options["region_filter"] or shipped.region_filter,
            tolerance=options["tolerance"],
            name_property=options["name_property"],
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{files.geojson_path}: {files.vertices_before} → {files.vertices_after} vertices, "
                f"{files.geojson_bytes // 1024} KB; {files.towns_csv_path}: {files.towns} towns"
            )
        )
