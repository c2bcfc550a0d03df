"""Places the demo's residents write about: the loaded region's towns and the district centers.

Town names, codes and coordinates come from the loaded region (hflabs/city). The demo adds the
administrative centers of the districts that have no town in that list (villages and urban-type
settlements, real names, no coordinates or codes). Their streets are the demo's synthetic address
layer (:mod:`.addresses`).
"""

from __future__ import annotations

from dataclasses import dataclass

from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory

# District (or ZATO) → its administrative center when it is not a town of hflabs/city: (kind, name).
DISTRICT_CENTERS: dict[str, tuple[str, str]] = {
    "Александрово-Гайский район": ("с.", "Александров Гай"),
    "Базарно-Карабулакский район": ("р.п.", "Базарный Карабулак"),
    "Балтайский район": ("с.", "Балтай"),
    "Воскресенский район": ("с.", "Воскресенское"),
    "Дергачевский район": ("р.п.", "Дергачи"),
    "Духовницкий район": ("р.п.", "Духовницкое"),
    "Екатериновский район": ("р.п.", "Екатериновка"),
    "Ивантеевский район": ("с.", "Ивантеевка"),
    "Краснопартизанский район": ("р.п.", "Горный"),
    "Лысогорский район": ("р.п.", "Лысые Горы"),
    "Новобурасский район": ("р.п.", "Новые Бурасы"),
    "Озинский район": ("р.п.", "Озинки"),
    "Перелюбский район": ("с.", "Перелюб"),
    "Питерский район": ("с.", "Питерка"),
    "Ровенский район": ("р.п.", "Ровное"),
    "Романовский район": ("р.п.", "Романовка"),
    "Самойловский район": ("р.п.", "Самойловка"),
    "Саратовский район": ("с.", "Усть-Курдюм"),
    "Советский район": ("р.п.", "Степное"),
    "Татищевский район": ("р.п.", "Татищево"),
    "Турковский район": ("р.п.", "Турки"),
    "Федоровский район": ("р.п.", "Мокроус"),
    "ЗАТО Михайловский": ("п.", "Михайловский"),
    "ЗАТО Светлый": ("п.", "Светлый"),
}

# "в …" forms of the towns (the prepositional case residents write).
LOCATIVE: dict[str, str] = {
    "Саратов": "Саратове",
    "Энгельс": "Энгельсе",
    "Балаково": "Балаково",
    "Балашов": "Балашове",
    "Вольск": "Вольске",
    "Маркс": "Марксе",
    "Петровск": "Петровске",
    "Пугачев": "Пугачеве",
    "Ртищево": "Ртищево",
    "Аткарск": "Аткарске",
    "Красноармейск": "Красноармейске",
    "Ершов": "Ершове",
    "Калининск": "Калининске",
    "Красный Кут": "Красном Куте",
    "Новоузенск": "Новоузенске",
    "Аркадак": "Аркадаке",
    "Хвалынск": "Хвалынске",
    "Шиханы": "Шиханах",
}


@dataclass(frozen=True)
class Place:
    """A settlement residents write from, with the territory a case about it belongs to."""

    name: str
    kind: str  # "г.", "р.п.", "с.", "п."
    territory_id: int  # the settlement, or the okrug when the town is the okrug
    municipality_name: str
    population: int
    lat: float | None
    lon: float | None
    geometry: dict | None  # the okrug's polygon when the place is a whole okrug

    @property
    def is_town(self) -> bool:
        return self.kind == "г."

    @property
    def locative(self) -> str:
        """Where, as residents write it: "в Энгельсе", "в р.п. Дергачи"."""
        if self.is_town and self.name in LOCATIVE:
            return f"в {LOCATIVE[self.name]}"
        return f"в {self.kind} {self.name}"

    @property
    def label(self) -> str:
        """How an address starts: "г. Энгельс", "Балтайский район, с. Балтай"."""
        if self.is_town:
            return f"г. {self.name}"
        return f"{self.municipality_name}, {self.kind} {self.name}"


def ensure_district_centers(region: Territory) -> list[Territory]:
    """Add the district centers that are not towns of the loaded list as settlements (idempotent)."""
    created = []
    for municipality in Territory.objects.filter(parent=region, name__in=list(DISTRICT_CENTERS)):
        _, name = DISTRICT_CENTERS[municipality.name]
        settlement, _ = Territory.objects.get_or_create(
            parent=municipality, kind=TerritoryKind.SETTLEMENT, name=name
        )
        created.append(settlement)
    return created


# Rural places get a nominal weight (no population in the town list): a district center of a few thousand.
RURAL_WEIGHT = 9000


def region_places(region: Territory) -> list[Place]:
    """Every place of a loaded region, in a stable order (the generator's determinism depends on it)."""
    places: list[Place] = []
    municipalities = Territory.objects.filter(parent=region).order_by("name")
    centers = {name: kind for kind, name in DISTRICT_CENTERS.values()}
    for municipality in municipalities:
        settlements = list(
            Territory.objects.filter(parent=municipality, kind=TerritoryKind.SETTLEMENT).order_by("name")
        )
        for settlement in settlements:
            kind = "г." if settlement.population else centers.get(settlement.name, "с.")
            places.append(
                Place(
                    name=settlement.name,
                    kind=kind,
                    territory_id=settlement.pk,
                    municipality_name=municipality.name,
                    population=settlement.population or RURAL_WEIGHT,
                    lat=settlement.lat,
                    lon=settlement.lon,
                    geometry=None,
                )
            )
        if municipality.kind == TerritoryKind.OKRUG and municipality.population and not settlements:
            town = municipality.name.removeprefix("ЗАТО ").strip()
            places.append(
                Place(
                    name=town,
                    kind="г.",
                    territory_id=municipality.pk,
                    municipality_name=municipality.name,
                    population=municipality.population,
                    lat=municipality.lat,
                    lon=municipality.lon,
                    geometry=municipality.geometry,
                )
            )
    return places
