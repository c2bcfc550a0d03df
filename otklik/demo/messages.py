"""A deterministic generator of residents' messages: templates × places × problems.

``generate(seed=…, count=…, start=…, end=…, region=…)`` returns pipeline items (the intake schema:
source, external_id, text, channel, posted_at, author_name, author_id, author_contact, url, lat, lon)
spread over the period with a daily and weekly rhythm. The same seed, period and region always give
the same items. :func:`generate_messages` returns them with the truth behind each (problem, place,
incident, spam), which the demo's moderators use and a classifier can be measured against.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from shapely.geometry import Point, shape

from otklik.directory.choices import Channel
from otklik.directory.models import Territory

from . import catalog
from .addresses import TownStreet, town_streets
from .catalog import PROBLEMS, Problem
from .places import Place, region_places


@dataclass(frozen=True)
class DemoSource:
    code: str
    name: str
    channel: str


# Where the demo's messages come from, with realistic shares: VK dominates social monitoring.
DEMO_SOURCES: tuple[tuple[DemoSource, float], ...] = (
    (DemoSource("demo-vk", "ВКонтакте: паблики районов (демо)", Channel.VK), 0.54),
    (DemoSource("demo-telegram", "Telegram: городские чаты (демо)", Channel.TELEGRAM), 0.16),
    (DemoSource("demo-ok", "Одноклассники: группы районов (демо)", Channel.OK), 0.10),
    (DemoSource("demo-web", "Форма на сайте (демо)", Channel.WEB_FORM), 0.08),
    (DemoSource("demo-phone", "Колл-центр ЦУР (демо)", Channel.PHONE), 0.05),
    (DemoSource("demo-email", "Электронная почта (демо)", Channel.EMAIL), 0.04),
    (DemoSource("demo-official", "Письменные обращения, 59-ФЗ (демо)", Channel.OFFICIAL), 0.03),
)
SOURCES_BY_CODE = {source.code: source for source, _ in DEMO_SOURCES}
SOCIAL_SOURCES = ("demo-vk", "demo-telegram", "demo-ok")

SPAM_SHARE = 0.08
DUPLICATE_SHARE = 0.1  # incidents several residents write about
BURST_SHARE = 0.004  # mass incidents: a dozen messages within hours
EXACT_REPOST_SHARE = 0.03
COORDINATES_SHARE = 0.35  # social and web messages that carry a geotag
HOUSE_WITH_STREET = 0.8  # a street named without a house in the template gets one this often

# Relative activity by local hour (0–23) and by weekday (Monday first).
HOUR_WEIGHTS = (
    0.3,
    0.15,
    0.1,
    0.08,
    0.08,
    0.15,
    0.4,
    0.8,
    1.2,
    1.5,
    1.6,
    1.5,
    1.3,
    1.3,
    1.3,
    1.3,
    1.3,
    1.3,
    1.4,
    1.6,
    1.7,
    1.6,
    1.2,
    0.7,
)
WEEKDAY_WEIGHTS = (1.15, 1.05, 1.0, 1.0, 0.95, 0.75, 0.7)

FIRST_NAMES_M = (
    "Александр",
    "Сергей",
    "Дмитрий",
    "Андрей",
    "Алексей",
    "Николай",
    "Владимир",
    "Игорь",
    "Михаил",
    "Евгений",
    "Олег",
    "Виктор",
    "Павел",
    "Роман",
    "Артём",
    "Денис",
)
FIRST_NAMES_F = (
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Светлана",
    "Марина",
    "Анна",
    "Юлия",
    "Екатерина",
    "Людмила",
    "Галина",
    "Надежда",
    "Оксана",
    "Мария",
    "Валентина",
)
SURNAMES = (
    "Иванов",
    "Петров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
)
NICKNAMES = ("Жительница", "Сосед", "Мама двоих", "Пенсионер", "Водитель", "Активист")
ROUTES = ("2", "6", "11", "13", "17", "53", "90", "102", "284", "5Д")
VK_GROUPS = (160017, 160342, 161105, 162778, 163021, 164558)
TG_CHATS = ("gorod_chat", "rayon_online", "novosti_zhiteley", "chp_rayon")
OK_GROUPS = (5101, 5177, 5230, 5306)


@dataclass(frozen=True)
class DemoMessage:
    """A generated item with the truth behind it."""

    item: dict[str, Any]
    problem: Problem | None  # None for spam
    place: Place
    incident: int | None  # messages of one incident describe one problem in one place
    is_spam: bool
    is_urgent: bool

    @property
    def posted_at(self) -> datetime:
        return datetime.fromisoformat(self.item["posted_at"])


class _TimeSampler:
    """Draws moments of [start, end) weighted by the hour of day and the day of week."""

    def __init__(self, start: datetime, end: datetime) -> None:
        tz = timezone.get_current_timezone()
        self.start = start
        self.end = end
        self.slots: list[datetime] = []
        cumulative: list[float] = []
        total = 0.0
        slot = start
        while slot < end:
            local = timezone.localtime(slot, tz)
            total += HOUR_WEIGHTS[local.hour] * WEEKDAY_WEIGHTS[local.weekday()]
            self.slots.append(slot)
            cumulative.append(total)
            slot += timedelta(hours=1)
        if not self.slots:
            raise ValueError("The period to generate messages for is empty.")
        self.cumulative = cumulative

    def draw(self, rng: random.Random) -> datetime:
        index = bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])
        slot = self.slots[min(index, len(self.slots) - 1)]
        moment = slot + timedelta(seconds=rng.randrange(3600))
        return min(moment, self.end - timedelta(seconds=1))


def _streets(place: Place) -> tuple[list[TownStreet], list[float]]:
    """The place's streets in the demo's address layer, its main streets written about more often."""
    streets = list(town_streets(place))
    return streets, [1 / (1 + i / 4) for i in range(len(streets))]


def _pick_weighted(rng: random.Random, items: list[Any], weights: list[float]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


def _colloquial(text: str, rng: random.Random) -> str:
    """How people type in comments: no capitals, no full stops, doubled marks, a slip of the finger."""
    roll = rng.random()
    if roll < 0.15:
        text = text.lower()
    elif roll < 0.35:
        text = text[0].lower() + text[1:]
    if rng.random() < 0.3:
        text = text.rstrip(".")
    if rng.random() < 0.15:
        text = text.replace(",", "")
    if rng.random() < 0.12:
        text = text.rstrip(".!") + rng.choice(("!!!", "((", ")))", "!!", "?!"))
    if rng.random() < 0.1:
        words = text.split(" ")
        i = rng.randrange(len(words))
        word = words[i]
        if len(word) > 4 and word.isalpha():
            j = rng.randrange(1, len(word) - 2)
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
            text = " ".join(words)
    for formal, spoken in (("сейчас", "щас"), ("вообще", "ваще"), ("пожалуйста", "пжлст")):
        if formal in text and rng.random() < 0.4:
            text = text.replace(formal, spoken)
    return text


class _Writer:
    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        self.seed = seed
        self.counter = itertools.count(1)

    def fill(self, template: str, place: Place, street: str, house: str) -> str:
        rng = self.rng
        # residents often give the house with the street ("на ул. Мира, 12"), not only in {addr}
        with_house = "{house}" not in template and "{addr}" not in template and "перекрёст" not in template
        values = {
            "loc": place.locative,
            "street": f"{street}, {house}" if with_house and rng.random() < HOUSE_WITH_STREET else street,
            "house": house,
            "addr": f"{street}, д. {house}",
            "n": str(rng.randint(1, 45)),
            "days": rng.choice(catalog.DAYS),
            "route": rng.choice(ROUTES),
        }
        text = template.format(**values)
        if "{loc}" not in template and place.name not in text and rng.random() < 0.8:
            text = (
                f"{text} ({place.label})"
                if rng.random() < 0.5
                else f"{place.label}, {text[0].lower()}{text[1:]}"
            )
        text = re.sub(r"\s+", " ", text).strip()
        return text[0].upper() + text[1:]

    def dress(self, text: str, source: DemoSource, place: Place, *, urgent: bool, repeat: bool) -> str:
        rng = self.rng
        if source.code in SOCIAL_SOURCES:
            opening = (
                rng.choice(catalog.REPEAT_OPENINGS)
                if repeat and rng.random() < 0.5
                else rng.choice(catalog.OPENINGS_SOCIAL)
            )
            if opening.endswith(", "):
                text = text[0].lower() + text[1:]
            text = f"{opening}{text}{rng.choice(catalog.CLOSINGS_SOCIAL)}"
            if urgent and "рочно" not in text and rng.random() < 0.5:
                text = f"СРОЧНО! {text}"
            if rng.random() < 0.4:
                text = _colloquial(text, rng)
            if rng.random() < 0.12:
                text = f"{text} #{place.name.replace(' ', '').replace('-', '')}"
            return text
        if source.channel == Channel.PHONE:
            return f"Звонок в колл-центр. Житель сообщает: {text[0].lower()}{text[1:]}"
        opening = rng.choice(catalog.OPENINGS_FORMAL)
        closing = rng.choice(catalog.CLOSINGS_FORMAL)
        if source.channel == Channel.OFFICIAL:
            closing = " Прошу рассмотреть обращение в порядке, установленном Федеральным законом № 59-ФЗ."
        return f"{opening}{text}{closing}"

    def author(self, source: DemoSource) -> tuple[str, str, str]:
        rng = self.rng
        female = rng.random() < 0.58
        first = rng.choice(FIRST_NAMES_F if female else FIRST_NAMES_M)
        surname = rng.choice(SURNAMES) + ("а" if female else "")
        number = rng.randrange(10_000_000, 800_000_000)
        if source.code in SOCIAL_SOURCES and rng.random() < 0.08:
            name = rng.choice(NICKNAMES)
        else:
            name = f"{first} {surname}"
        if source.channel in (Channel.EMAIL, Channel.WEB_FORM, Channel.OFFICIAL):
            contact = f"resident{number}@example.com"
        elif source.channel == Channel.PHONE:
            contact = f"+7 900 {number % 1000:03d}-{number // 1000 % 100:02d}-{number // 100000 % 100:02d}"
        else:
            contact = ""
        return name, f"{source.channel}:{number}", contact

    def address(self, source: DemoSource) -> tuple[str, str]:
        n = next(self.counter)
        rng = self.rng
        tag = f"{self.seed}{n:06d}"
        if source.code == "demo-vk":
            group = rng.choice(VK_GROUPS)
            return f"-{group}_{tag}", f"https://vk.example.com/wall-{group}_{tag}"
        if source.code == "demo-telegram":
            chat = rng.choice(TG_CHATS)
            return f"{chat}/{tag}", f"https://t.example.com/{chat}/{tag}"
        if source.code == "demo-ok":
            group = rng.choice(OK_GROUPS)
            return f"{group}/{tag}", f"https://ok.example.com/group/{group}/topic/{tag}"
        if source.code == "demo-email":
            return f"<{tag}@mail.example.com>", ""
        return f"{source.code.removeprefix('demo-')}-{tag}", ""

    def point(self, place: Place) -> tuple[float | None, float | None]:
        if place.lat is None or place.lon is None:
            return None, None
        rng = self.rng
        spread = 0.03 if place.population > 300_000 else 0.012 if place.population > 50_000 else 0.006
        polygon = shape(place.geometry) if place.geometry else None
        for _ in range(5):
            lat = round(place.lat + rng.uniform(-spread, spread) * 0.7, 6)
            lon = round(place.lon + rng.uniform(-spread, spread), 6)
            if polygon is None or polygon.contains(Point(lon, lat)):
                return lat, lon
        return place.lat, place.lon


def _item(
    writer: _Writer, source: DemoSource, text: str, posted_at: datetime, place: Place, *, with_point: bool
) -> dict[str, Any]:
    external_id, url = writer.address(source)
    name, author_id, contact = writer.author(source)
    lat, lon = writer.point(place) if with_point else (None, None)
    return {
        "source": source.code,
        "external_id": external_id,
        "text": text,
        "channel": source.channel,
        "posted_at": posted_at.isoformat(),
        "author_name": name,
        "author_id": author_id,
        "author_contact": contact,
        "url": url,
        "lat": lat,
        "lon": lon,
    }


def generate_messages(
    *, seed: int, count: int, start: datetime, end: datetime, region: Territory
) -> list[DemoMessage]:
    """``count`` messages posted in [start, end) about the places of ``region``, sorted by time."""
    rng = random.Random(seed)
    places = region_places(region)
    if not places:
        raise ValueError(f"{region} has no settlements: load the region first.")
    sampler = _TimeSampler(start, end)
    writer = _Writer(rng, seed)
    sources = [source for source, _ in DEMO_SOURCES]
    source_weights = [share for _, share in DEMO_SOURCES]
    social = [SOURCES_BY_CODE[code] for code in SOCIAL_SOURCES]
    place_weights = [p.population**0.75 for p in places]
    messages: list[DemoMessage] = []
    streets: dict[tuple[str, str], tuple[list[TownStreet], list[float]]] = {}
    incident = 0
    while len(messages) < count:
        moment = sampler.draw(rng)
        place = _pick_weighted(rng, places, place_weights)
        if rng.random() < SPAM_SHARE:
            source = _pick_weighted(rng, social, [0.6, 0.25, 0.15])
            text = rng.choice(catalog.SPAM_TEXTS).format(loc=place.locative)
            messages.append(
                DemoMessage(
                    _item(writer, source, text, moment, place, with_point=False),
                    None,
                    place,
                    None,
                    is_spam=True,
                    is_urgent=False,
                )
            )
            continue
        month = timezone.localtime(moment).month
        candidates = [p for p in PROBLEMS if place.is_town or not p.urban]
        weights = [p.weight * (1.0 if p.season is None or month in p.season else 0.08) for p in candidates]
        problem: Problem = _pick_weighted(rng, candidates, weights)
        incident += 1
        key = (place.municipality_name, place.name)
        if key not in streets:
            streets[key] = _streets(place)
        street = _pick_weighted(rng, *streets[key])
        # now and then a number the registry lacks: placed at the nearest house of the street
        house = str(rng.randint(1, street.houses + 6)) + (rng.choice(("", "", "", "а", "/2", " корп. 1")))
        roll = rng.random()
        size = (
            rng.randint(8, 16) if roll < BURST_SHARE else rng.randint(2, 4) if roll < DUPLICATE_SHARE else 1
        )
        templates = list(problem.texts)
        first_text = ""
        is_urgent = problem.urgent
        for k in range(size):
            if len(messages) >= count:
                break
            posted = (
                moment if k == 0 else moment + timedelta(minutes=rng.randint(5, 60 * (6 if size > 6 else 30)))
            )
            if posted >= end:
                continue
            source = (
                _pick_weighted(rng, sources, source_weights)
                if k == 0
                else _pick_weighted(rng, social, [0.6, 0.25, 0.15])
            )
            if k > 0 and rng.random() < EXACT_REPOST_SHARE * 5:
                text = first_text  # a repost: the very same words from someone else
            else:
                template = rng.choice(templates)
                is_urgent = problem.urgent or isinstance(template, catalog.UrgentText)
                body = writer.fill(template, place, street.name, house)
                text = writer.dress(body, source, place, urgent=is_urgent, repeat=k > 0)
            first_text = first_text or text
            with_point = source.channel in (Channel.VK, Channel.TELEGRAM, Channel.OK, Channel.WEB_FORM) and (
                rng.random() < COORDINATES_SHARE
            )
            messages.append(
                DemoMessage(
                    _item(writer, source, text, posted, place, with_point=with_point),
                    problem,
                    place,
                    incident,
                    is_spam=False,
                    is_urgent=is_urgent,
                )
            )
        if size == 1 and rng.random() < EXACT_REPOST_SHARE and len(messages) < count:
            original = messages[-1]
            later = original.posted_at + timedelta(minutes=rng.randint(3, 240))
            if later < end:
                source = _pick_weighted(rng, social, [0.6, 0.25, 0.15])
                messages.append(
                    DemoMessage(
                        _item(writer, source, original.item["text"], later, place, with_point=False),
                        problem,
                        place,
                        incident,
                        is_spam=False,
                        is_urgent=original.is_urgent,
                    )
                )
    messages.sort(key=lambda m: (m.item["posted_at"], m.item["source"], m.item["external_id"]))
    return messages


def generate(
    *, seed: int, count: int, start: datetime, end: datetime, region: Territory
) -> list[dict[str, Any]]:
    """Pipeline items only (see :func:`generate_messages` for the truth behind them)."""
    return [m.item for m in generate_messages(seed=seed, count=count, start=start, end=end, region=region)]


def demo_texts(count: int) -> list[str]:
    """``count`` residents' posts of the demo region for the fake sources (``otklik fake-sources``);
    empty when no region is loaded (the fakes then serve their built-in posts)."""
    from otklik.directory.choices import TerritoryKind
    from otklik.directory.models import Territory

    try:
        region = Territory.objects.filter(kind=TerritoryKind.REGION).first()
        if region is None:
            return []
        end = timezone.now()
        items = generate(seed=2026, count=count, start=end - timedelta(days=1), end=end, region=region)
    except Exception:  # no demo data: the built-in posts will do
        return []
    return [str(i["text"]) for i in items if i.get("text")]
