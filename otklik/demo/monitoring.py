"""The demo's monitoring queries: what a regional center watches social networks for.

Generic words of a region's everyday problems (utilities, roads, waste, transport, health, schools,
social payments, the environment), never a list of one city's streets or places, so the same
queries serve any region. They watch the demo's social sources; messages written to the center on
purpose (the form, calls, letters) are never filtered by queries. Idempotent: updated by name.
"""

from __future__ import annotations

from otklik.intake.models import MonitoringQuery, Source

from .messages import SOCIAL_SOURCES

# (name, query): each word matches every form of it (see otklik.intake.monitoring).
DEMO_QUERIES: tuple[tuple[str, str], ...] = (
    (
        "ЖКХ: вода, тепло, канализация",
        "вода | водоснабжение | водопровод | колонка | напор | отопление | батарея | радиатор | тепло"
        " | теплоснабжение | канализация | канализационный | засор | нечистоты | прорыв | порыв",
    ),
    (
        "ЖКХ: дом и управляющая компания",
        'крыша | кровля | подъезд | лифт | подвал | "управляющая компания" | управляйка | УК'
        " | аварийный | расселение | капремонт",
    ),
    ("Газ и электричество", "газ | газификация | догазификация | свет | электричество | провод | столб"),
    (
        "Дороги и тротуары",
        "яма | ямы | ямочный | асфальт | дорога | тротуар | светофор | гололёд | снег | сугроб"
        ' | наледь | "не чистят" | переход',
    ),
    (
        "Мусор и свалки",
        'мусор | мусорный | мусоровоз | контейнер | контейнерный | свалка | отходы | ТКО | "не вывозят"',
    ),
    (
        "Транспорт",
        "(автобус | маршрут | маршрутка | остановка | расписание | перевозчик | электричка) & !продам",
    ),
    (
        "Благоустройство и дворы",
        "двор | детская NEAR/2 площадка | площадка | фонарь | освещение | дерево"
        " | аварийное NEAR/2 дерево | ветка | трава | покос | борщевик | вырубка | кладбище | парк"
        " | сквер | лавочка | собака | бездомный",
    ),
    (
        "Здравоохранение",
        "поликлиника | больница | врач | терапевт | регистратура | записаться | запись | талон | скорая"
        " | лекарство | аптека | ФАП | фельдшер | рентген",
    ),
    (
        "Образование и соцзащита",
        "школа | детский NEAR/1 сад | садик | учитель | пособие | выплата | зарплата | пенсия | льгота"
        " | соцзащита | многодетный",
    ),
    (
        "Экология, связь, досуг",
        "(выброс | запах | дым | река | загрязнение | интернет | связь | вышка | шум | шумят | бассейн"
        ' | "спортивная площадка" | "дом культуры" | библиотека | кружок) & !заработок',
    ),
)


def ensure_monitoring_queries() -> list[MonitoringQuery]:
    """The demo's queries, scoped to the demo's social sources (created or updated by name)."""
    sources = list(Source.objects.filter(code__in=SOCIAL_SOURCES))
    made = []
    for name, text in DEMO_QUERIES:
        query, _created = MonitoringQuery.objects.update_or_create(
            name=name, defaults={"query": text, "is_active": True}
        )
        query.sources.set(sources)
        made.append(query)
    return made
