"""Plausible agencies of the demo region and the routing rules that send cases to them.

Regional ministries (named as such bodies are named), the administration of every municipality,
and utilities (water, gas distribution, power grid, the regional waste operator, the heat supplier
of the big cities; their names are illustrative, not real companies'). Each agency serves
territories and the categories its name patterns find in the loaded tree; rules are
category × territory → agency with priorities, every municipality has a fallback rule to its own
administration, and the region a fallback to the government's appeals office.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from otklik.directory.choices import AgencyKind, TerritoryKind
from otklik.directory.models import Agency, Category, RoutingRule, Territory

from .categories import CategoryMatcher

# A municipality this populous (or holding a town this populous) has its own city roads, transport
# and central heating.
BIG_CITY_POPULATION = 150_000


@dataclass(frozen=True)
class AgencySpec:
    key: str
    name: str  # "{rg}" is the region in the genitive: "Саратовской области"
    short_name: str
    kind: str
    categories: tuple[str, ...]
    priority: int = 10
    big_cities_only: bool = False


REGIONAL: tuple[AgencySpec, ...] = (
    AgencySpec(
        "minstroy",
        "Министерство строительства и жилищно-коммунального хозяйства {rg}",
        "Минстрой",
        AgencyKind.MINISTRY,
        (r"аварийн.*жиль|переселен|ветх", r"строительство и|долгостро|дольщик"),
    ),
    AgencySpec(
        "gzhi",
        "Государственная жилищная инспекция {rg}",
        "ГЖИ",
        AgencyKind.MINISTRY,
        (r"управляющ.*компан|содержани.*(дом|мкд|общего имущ)|подъезд|лифт", r"кровл|крыш"),
    ),
    AgencySpec(
        "mintrans",
        "Министерство транспорта и дорожного хозяйства {rg}",
        "Минтранс",
        AgencyKind.MINISTRY,
        (
            r"дорог",
            r"\bямы",
            r"общественн.*транспорт|автобус|маршрут|пассажир",
            r"светофор|дорожн.*знак|разметк",
            r"остановк",
        ),
    ),
    AgencySpec(
        "minzdrav",
        "Министерство здравоохранения {rg}",
        "Минздрав",
        AgencyKind.MINISTRY,
        (r"здравоохр|медиц|поликлин|больниц|врач|скор|лекарств|аптек",),
    ),
    AgencySpec(
        "minobr",
        "Министерство образования {rg}",
        "Минобр",
        AgencyKind.MINISTRY,
        (r"образован|школ|детск.*сад|дошкольн",),
    ),
    AgencySpec(
        "mintrud",
        "Министерство труда и социальной защиты {rg}",
        "Минтруд",
        AgencyKind.MINISTRY,
        (r"социальн.*защит|соцзащит|льгот|пособ|пенси|мер.*поддерж", r"зарплат|заработн|занятост|\bтруд"),
    ),
    AgencySpec(
        "minprirody",
        "Министерство природных ресурсов и экологии {rg}",
        "Минприроды",
        AgencyKind.MINISTRY,
        (r"загрязн|природ|выброс|водоем|\bлес",),
    ),
    AgencySpec(
        "mincult",
        "Министерство культуры {rg}",
        "Минкультуры",
        AgencyKind.MINISTRY,
        (r"культур|библиотек|музе|досуг",),
    ),
    AgencySpec(
        "minsport",
        "Министерство молодёжной политики и спорта {rg}",
        "Минспорт",
        AgencyKind.MINISTRY,
        (r"спортивн|физкультур|молодеж",),
    ),
    AgencySpec(
        "mincifra",
        "Министерство цифрового развития и связи {rg}",
        "Минцифры",
        AgencyKind.MINISTRY,
        (r"^связь|мобильн.*связ|интернет|сотов|телевид",),
    ),
    AgencySpec(
        "mineconom",
        "Министерство экономического развития {rg}",
        "Минэкономразвития",
        AgencyKind.MINISTRY,
        (r"торговл|потребит|предприним|рынок|нестацион",),
    ),
    AgencySpec(
        "police",
        "Главное управление МВД России по {rg_dative}",
        "ГУ МВД",
        AgencyKind.FEDERAL,
        (r"правопоряд|общественн.*порядок|шум|тишин",),
        priority=5,
    ),
    AgencySpec(
        "vodokanal",
        "Региональный водоканал {rg}",
        "Водоканал",
        AgencyKind.UTILITY,
        (r"холодн.*вод|водоотвед|канализ|водопровод|авари.*водо|колонк",),
        priority=30,
    ),
    AgencySpec(
        "gaz",
        "Газораспределительная организация {rg}",
        "Газораспределение",
        AgencyKind.UTILITY,
        (r"газоснаб|газифик",),
        priority=30,
    ),
    AgencySpec(
        "energo",
        "Распределительные электрические сети {rg}",
        "Электросети",
        AgencyKind.UTILITY,
        (r"электроснаб|электроэнерг|электричеств|электросет",),
        priority=30,
    ),
    AgencySpec(
        "tko",
        "Региональный оператор по обращению с ТКО {rg}",
        "Регоператор ТКО",
        AgencyKind.UTILITY,
        (r"вывоз|контейнер|мусор|отход",),
        priority=30,
    ),
    AgencySpec(
        "teplo",
        "Теплоснабжающая организация {rg}",
        "Теплосети",
        AgencyKind.UTILITY,
        (r"отоплен|теплоснаб|горяч.*вод|гвс",),
        priority=30,
        big_cities_only=True,
    ),
)
APPEALS_OFFICE = AgencySpec(
    "appeals",
    "Управление по работе с обращениями граждан Правительства {rg}",
    "Управление по обращениям",
    AgencyKind.OTHER,
    (),
)

MUNICIPAL_CATEGORIES: tuple[str, ...] = (
    r"благоустр",
    r"освещен|фонар",
    r"двор|придомов",
    r"детск.*площад|игров",
    r"дерев|зелен|озелен|покос|борщевик",
    r"безнадзорн|бездомн|животн(?!овод)|собак|отлов",
    r"подтоплен|ливнев",
    r"кладбищ|захорон|ритуал",
    r"свалк|несанкц",
    r"уборк",
    r"снег|налед|гололед",
    r"тротуар|пешеход",
    r"жкх|жилищно-коммун",
)
# In the big cities the city itself keeps its streets and its public transport.
BIG_CITY_CATEGORIES: tuple[str, ...] = (
    r"дорог",
    r"\bямы",
    r"светофор|дорожн.*знак|разметк",
    r"общественн.*транспорт|автобус|маршрут|пассажир",
    r"остановк",
)


def region_genitive(name: str) -> str:
    """The genitive: "Саратовская область" → "Саратовской области"."""
    words = name.split()
    if len(words) == 2 and words[0].endswith("ая") and words[1] == "область":
        return f"{words[0][:-2]}ой области"
    return name


def region_dative(name: str) -> str:
    """The dative: "Саратовская область" → "Саратовской области" (the same ending)."""
    return region_genitive(name)


def municipal_administration_name(municipality: Territory) -> tuple[str, str]:
    """(name, short name) of a municipality's administration."""
    name = municipality.name
    if municipality.kind == TerritoryKind.DISTRICT and name.endswith(" район"):
        adjective = name.removesuffix(" район")
        genitive = adjective[:-2] + "ого" if adjective.endswith(("ий", "ый")) else adjective
        return f"Администрация {genitive} муниципального района", f"Администрация {genitive} района"
    if name.startswith("ЗАТО "):
        return f"Администрация городского округа {name}", f"Администрация {name}"
    return f"Администрация муниципального образования «Город {name}»", f"Администрация г. {name}"


@dataclass
class DemoDirectory:
    region: Territory
    agencies: dict[str, Agency] = field(default_factory=dict)  # by spec key
    municipal: dict[int, Agency] = field(default_factory=dict)  # municipality id → its administration
    rules: int = 0

    def agency(self, key: str) -> Agency:
        return self.agencies[key]


def _big_city_municipalities(region: Territory) -> list[Territory]:
    found = []
    for municipality in Territory.objects.filter(parent=region).order_by("name"):
        biggest_town = max(
            (t.population or 0 for t in Territory.objects.filter(parent=municipality)), default=0
        )
        own = (municipality.population or 0) if municipality.kind == TerritoryKind.OKRUG else 0
        if max(own, biggest_town) >= BIG_CITY_POPULATION:
            found.append(municipality)
    return found


def _upsert_agency(spec: AgencySpec, region: Territory) -> Agency:
    rg = region_genitive(region.name)
    name = spec.name.format(rg=rg, rg_dative=region_dative(region.name))
    agency, _ = Agency.objects.update_or_create(
        name=name, defaults={"short_name": spec.short_name, "kind": spec.kind, "is_active": True}
    )
    return agency


def _rule(
    agency: Agency,
    category: Category | None,
    territory: Territory | None,
    *,
    priority: int,
    fallback: bool = False,
) -> int:
    RoutingRule.objects.update_or_create(
        agency=agency,
        category=category,
        territory=territory,
        is_fallback=fallback,
        defaults={"priority": priority, "is_active": True},
    )
    return 1


def setup_agencies(region: Territory, matcher: CategoryMatcher | None = None) -> DemoDirectory:
    """Create or update the demo's agencies and routing rules for ``region`` (idempotent)."""
    matcher = matcher or CategoryMatcher()
    directory = DemoDirectory(region=region)
    municipalities = list(Territory.objects.filter(parent=region).order_by("name"))
    big_cities = _big_city_municipalities(region)
    with transaction.atomic():
        office = _upsert_agency(APPEALS_OFFICE, region)
        office.territories.set([region])
        directory.agencies[APPEALS_OFFICE.key] = office
        directory.rules += _rule(office, None, region, priority=0, fallback=True)
        for spec in REGIONAL:
            agency = _upsert_agency(spec, region)
            directory.agencies[spec.key] = agency
            categories = matcher.covering(spec.categories)
            territories = big_cities if spec.big_cities_only else [region]
            agency.categories.set(categories)
            agency.territories.set(territories)
            for category in categories:
                for territory in territories:
                    directory.rules += _rule(agency, category, territory, priority=spec.priority)
        municipal_categories = matcher.covering(MUNICIPAL_CATEGORIES)
        city_categories = matcher.covering(BIG_CITY_CATEGORIES)
        for municipality in municipalities:
            name, short_name = municipal_administration_name(municipality)
            agency, _ = Agency.objects.update_or_create(
                name=name,
                defaults={"short_name": short_name, "kind": AgencyKind.MUNICIPALITY, "is_active": True},
            )
            directory.municipal[municipality.pk] = agency
            served = municipal_categories + (city_categories if municipality in big_cities else [])
            agency.territories.set([municipality])
            agency.categories.set(served)
            for category in served:
                directory.rules += _rule(agency, category, municipality, priority=10)
            directory.rules += _rule(agency, None, municipality, priority=0, fallback=True)
    return directory
