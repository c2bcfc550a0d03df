"""Seeding the fakes (``otklik fake-sources``, tests): residents' posts (the demo generator's, given
by the demo app, or a few built-in ones) spread over VK, Telegram, a JSON feed and news, and the
demo city's official pages on VK, OK, MAX and Telegram with residents' comments and some of the pages'
answers (:mod:`.demo` wires them for ``otklik fake-sources``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .max import FakeMax
from .ok import FakeOK
from .rss import FakeNewsSite
from .social_json import FakeSocialFeed
from .telegram import FakeTelegram
from .telethon_client import FakeTelegramWorld
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


OK_GROUP = "70000000100001"
MAX_CHANNEL = -70000000100001
PAGE_ANSWERS = (
    "Спасибо, передали в управляющую компанию, ответим по итогам проверки.",
    "Заявка принята, специалисты выедут сегодня.",
    "Вопрос на контроле администрации, сроки сообщим дополнительно.",
)


def seed_official_pages(vk: FakeVK, ok: FakeOK, fake_max: FakeMax, texts: list[str] | None = None) -> None:
    """Official pages of the demo city on VK, OK and MAX: residents' comments, some answered by the
    page within an hour, some in a day and a half, some not at all (the responsiveness view's data).
    VK's page is the group of :func:`seed_all` (call it first): its comments get the answers."""
    texts = texts or sample_texts(24)
    start = int((datetime.now(UTC) - timedelta(hours=60)).timestamp())
    for n, comment in enumerate(list(vk.comments.get((-VK_GROUP, 1), []))):
        if n % 3 < 2:  # two of three answered, in an hour or in three
            delay = 3600 * (1 + 2 * (n % 3))
            vk.add_comment(
                -VK_GROUP,
                1,
                5000 + n,
                from_id=-VK_GROUP,
                date=int(comment["date"]) + delay,
                text=PAGE_ANSWERS[n % len(PAGE_ANSWERS)],
                reply_to_comment=comment["id"],
            )
    ok.add_group(OK_GROUP, "Администрация города (демо) в Одноклассниках")
    ok.add_topic(OK_GROUP, "900", author=f"group:{OK_GROUP}", created_ms=start * 1000, text="Вопросы жителей")
    fake_max.add_chat(MAX_CHANNEL, "Администрация города (демо) в MAX", chat_type="channel")
    post = fake_max.post(MAX_CHANNEL, "Задайте вопрос администрации в комментариях", timestamp=start * 1000)
    for n, text in enumerate(texts):
        moment = start + n * 1800
        user = 700 + n % 5
        ok.add_user(str(user), "Житель", str(n))
        fake_max.add_user(user, "Житель", str(n))
        answered = n % 3 == 0 or n % 4 == 0
        delay = 2 * 3600 if n % 2 == 0 else 28 * 3600
        if n % 2 == 0:
            ok.add_comment("900", f"d{n}", author_id=str(user), date_ms=moment * 1000, text=text)
            if answered:
                ok.add_comment(
                    "900",
                    f"a{n}",
                    author_id=OK_GROUP,
                    date_ms=(moment + delay) * 1000,
                    text=PAGE_ANSWERS[n % len(PAGE_ANSWERS)],
                    reply_to_comment_id=f"d{n}",
                )
        else:
            comment = fake_max.post(
                MAX_CHANNEL, text, timestamp=moment * 1000, user_id=user, reply_to=post["body"]["mid"]
            )
            if answered:
                fake_max.post(
                    MAX_CHANNEL,
                    PAGE_ANSWERS[n % len(PAGE_ANSWERS)],
                    timestamp=(moment + delay) * 1000,
                    reply_to=comment["body"]["mid"],
                )


TG_CHAT = "demo_city_chat"
TG_CHANNEL = "demo_city_admin"


def seed_telegram_public(world: FakeTelegramWorld, texts: list[str] | None = None) -> None:
    """Telegram's public side of the demo city: an open city chat where residents write, and the
    administration's channel (its official page in Telegram) whose post residents comment on in its
    discussion group; the channel answers some comments in two hours, some in 30 hours, some never."""
    texts = texts or sample_texts(16)
    start = datetime.now(UTC) - timedelta(hours=60)
    world.add_channel(
        TG_CHAT, "Город: открытый чат жителей (демо)", channel_id=1_700_000_001, broadcast=False
    )
    world.add_channel(TG_CHANNEL, "Администрация города (демо) в Telegram", channel_id=1_700_000_002)
    world.post(TG_CHANNEL, 1, "Задайте вопрос администрации в комментариях", date=start, comments=True)
    for n, text in enumerate(texts):
        moment, user = start + timedelta(minutes=40 * n), 900 + n % 7
        if user not in world.users:
            world.add_user(user, "Житель", str(n % 7), username=f"resident_{n % 7}")
        if n % 2:
            world.post(TG_CHAT, 100 + n, text, date=moment, user=user)
            continue
        world.comment(TG_CHANNEL, 1, 100 + n, text, date=moment, user=user)
        if n % 3 == 0 or n % 4 == 0:
            world.comment(
                TG_CHANNEL,
                1,
                5000 + n,
                PAGE_ANSWERS[n % len(PAGE_ANSWERS)],
                date=moment + timedelta(hours=2 if n % 4 else 30),
                user=None,
                reply_to_comment=100 + n,
            )
