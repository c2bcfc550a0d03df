"""Seeding the fakes (``otklik fake-sources``, tests): residents' posts (the demo generator's, given
by the demo app, or a few built-in ones) spread over VK, Telegram, a JSON feed and news."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .rss import FakeNewsSite
from .social_json import FakeSocialFeed
from .telegram import FakeTelegram
from .vk import FakeVK

SAMPLE_TEXTS = (
    "Третий день нет горячей воды на ул. Тельмана в Энгельсе",
    "Огромная яма на дороге у остановки на проспекте Строителей, машины бьют колёса",
    "Не вывозят мусор во дворе на улице Мира уже неделю",
    "Нет отопления в школе номер 5, дети сидят в куртках",
    "Не работает светофор на перекрёстке Ленина и Чапаева",
    "Прорвало трубу во дворе, вода течёт в подвал",
    "Продам гараж недорого, звоните",
    "Во дворе не горят фонари, вечером страшно ходить",
)
VK_GROUP = 100001
CHAT = {"id": -1001000001, "type": "supergroup", "title": "Город: чат жителей", "username": "demo_city_chat"}


def sample_texts(count: int) -> list[str]:
    return [SAMPLE_TEXTS[i % len(SAMPLE_TEXTS)] for i in range(count)]


def seed_all(
    vk: FakeVK,
    telegram: FakeTelegram,
    feed: FakeSocialFeed,
    news: FakeNewsSite,
    count: int = 40,
    texts: list[str] | None = None,
) -> None:
    """Spread ``texts`` (else ``count`` built-in posts) over the four fakes."""
    texts = texts or sample_texts(count)
    start = int((datetime.now(UTC) - timedelta(hours=6)).timestamp())
    vk.add_group(VK_GROUP, "Администрация города (демо)")
    vk.add_user(1, "Ирина", "Петрова")
    vk.add_user(2, "Пётр", "Сидоров")
    vk.add_post(-VK_GROUP, 1, from_id=-VK_GROUP, date=start, text="Вопросы и жалобы жителей — в комментариях")
    for n, text in enumerate(texts):
        moment = start + n * 300
        kind = n % 4
        if kind == 0:
            vk.add_comment(-VK_GROUP, 1, 100 + n, from_id=1 + n % 2, date=moment, text=text)
        elif kind == 1:
            user: dict[str, Any] = {"id": 500 + n, "is_bot": False, "first_name": f"Житель {n}"}
            telegram.add_chat_message(CHAT, text, date=moment, user=user)
        elif kind == 2:
            feed.add_item(
                f"demo-{n}",
                text,
                datetime.fromtimestamp(moment, UTC).isoformat(),
                author={"id": f"u{n}", "name": f"Житель {n}"},
            )
        else:
            news.add_comment(
                f"demo-comment-{n}",
                text,
                datetime.fromtimestamp(moment, UTC),
                author=f"Читатель {n}",
                link=f"http://news.example/article/{n}",
            )
