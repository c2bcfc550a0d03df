"""Official pages: the page owner's answers are recorded from the connectors, the page's figures, the
ranking, reminders, the view and the one-click case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.directory.choices import AgencyKind, Channel
from otklik.intake import pages, views_pages
from otklik.intake.fakes.ok import FakeOK
from otklik.intake.fakes.vk import FakeVK
from otklik.intake.fetching import fetch_source
from otklik.intake.models import Message, OfficialPage, PageAnswer, Source
from otklik.testing.factories import make_agency, make_user

from .conftest import NOW

pytestmark = pytest.mark.django_db
T0 = int((NOW - timedelta(hours=50)).timestamp())
HOUR = 3600
OK_GROUP = "70000000000001"


@pytest.fixture
def vk(monkeypatch):
    monkeypatch.setenv("OTKLIK_TEST_VK_TOKEN", "vk-test-token")
    with FakeVK(token="vk-test-token") as fake:
        fake.server_time = int(NOW.timestamp())
        for gid, name in ((1001, "Администрация Энгельса"), (1002, "Администрация Балакова")):
            fake.add_group(gid, name)
        fake.add_user(11, "Ирина", "Петрова")
        fake.add_user(12, "Пётр", "Сидоров")
        yield fake


def vk_source(fake: FakeVK) -> Source:
    return Source.objects.create(
        code="vk-pages",
        name="VK: госпаблики",
        channel=Channel.VK,
        connector="vk",
        settings={
            "api_url": f"{fake.url}/method",
            "token_env": "OTKLIK_TEST_VK_TOKEN",
            "owner_ids": [-1001, -1002],
            "min_interval_seconds": 0,
        },
    )


def seed(fake: FakeVK) -> None:
    # Engels answers one comment in 2 h (threaded), one in 30 h (a plain comment), leaves one.
    fake.add_post(-1001, 1, from_id=-1001, date=T0, text="Отключение воды в четверг")
    fake.add_comment(-1001, 1, 10, from_id=11, date=T0 + HOUR, text="Нет горячей воды на ул. Тельмана 5")
    fake.add_comment(
        -1001, 1, 11, from_id=-1001, date=T0 + 3 * HOUR, text="Дадут к вечеру", reply_to_comment=10
    )
    fake.add_post(-1001, 2, from_id=-1001, date=T0, text="Ремонт дорог")
    fake.add_comment(-1001, 2, 20, from_id=12, date=T0 + HOUR, text="Яма у остановки на проспекте Строителей")
    fake.add_comment(
        -1001, 2, 21, from_id=-1001, date=T0 + 31 * HOUR, text="Заявка передана в дорожную службу"
    )
    fake.add_post(-1001, 3, from_id=-1001, date=T0, text="Вывоз мусора")
    fake.add_comment(
        -1001, 3, 30, from_id=11, date=T0 + 2 * HOUR, text="Не вывозят мусор на улице Мира неделю"
    )
    # Balakovo answers its only comment in one hour.
    fake.add_post(-1002, 1, from_id=-1002, date=T0, text="Прямая линия главы")
    fake.add_comment(-1002, 1, 40, from_id=12, date=T0 + HOUR, text="Не горят фонари во дворе на Ленина 7")
    fake.add_comment(
        -1002, 1, 41, from_id=-1002, date=T0 + 2 * HOUR, text="Заменим лампы завтра", reply_to_comment=40
    )


def make_pages(source: Source, region: dict) -> tuple[OfficialPage, OfficialPage]:
    engels_admin = make_agency("Администрация Энгельсского района", kind=AgencyKind.MUNICIPALITY)
    engels = OfficialPage.objects.create(
        name="Администрация Энгельса (VK)",
        source=source,
        ref="-1001",
        agency=engels_admin,
        territory=region["engels_district"],
    )
    balakovo = OfficialPage.objects.create(
        name="Администрация Балакова (VK)", source=source, ref="-1002", territory=region["balakovo_district"]
    )
    return engels, balakovo


def test_the_page_owners_comments_are_answers_not_messages(region, vk):
    seed(vk)
    source = vk_source(vk)
    engels, balakovo = make_pages(source, region)

    report = fetch_source(source, now=NOW)

    assert report.ok, report.error
    assert not Message.objects.filter(external_id__in=["wall-1001_1_r11", "wall-1001_2_r21"]).exists()
    answered = dict(PageAnswer.objects.values_list("message__external_id", "answered_at"))
    assert set(answered) == {"wall-1001_1_r10", "wall-1001_2_r20", "wall-1002_1_r40"}
    stats = pages.page_stats(engels, NOW - timedelta(days=7), NOW, now=NOW)
    assert (stats.comments, stats.answered, stats.answered_in_norm, stats.overdue) == (3, 2, 1, 1)
    assert stats.median_hours == 16.0  # 2 h and 30 h
    assert round(stats.share_answered, 2) == 0.67 and round(stats.share_in_norm, 2) == 0.33

    ranking = pages.ranking(pages.municipal_pages(), NOW - timedelta(days=7), NOW, now=NOW)
    assert [row.page for row in ranking] == [balakovo, engels]


def test_an_answer_seen_twice_is_kept_once_with_its_first_time(region, vk):
    seed(vk)
    source = vk_source(vk)
    make_pages(source, region)
    fetch_source(source, now=NOW)
    Source.objects.filter(pk=source.pk).update(cursor="")

    fetch_source(Source.objects.get(pk=source.pk), now=NOW + timedelta(minutes=5))

    assert PageAnswer.objects.count() == 3


def test_reminders_go_to_the_page_administrators_once_per_norm(
    region, vk, settings, django_capture_on_commit_callbacks
):
    seed(vk)
    source = vk_source(vk)
    engels, balakovo = make_pages(source, region)
    engels.admins.add(make_user(Role.EXECUTOR, agency=engels.agency, email="smm@engels.example"))
    balakovo.admins.add(
        make_user(Role.EXECUTOR, agency=make_agency("Администрация БМР"), email="smm@bal.example")
    )
    fetch_source(source, now=NOW)

    with django_capture_on_commit_callbacks(execute=True) as sent:  # the email is a task after commit
        assert pages.send_reminders(now=NOW) == 1  # Balakovo has nothing unanswered
    assert [c.__qualname__ for c in sent] == ["task_after_commit.<locals>.send"]
    [letter] = mail.outbox
    assert letter.to == ["smm@engels.example"] and "Администрация Энгельса" in letter.subject
    assert "Не вывозят мусор на улице Мира" in letter.body
    assert pages.send_reminders(now=NOW + timedelta(hours=2)) == 0
    assert pages.send_reminders(now=NOW + timedelta(hours=25)) == 1


def test_ranking_view_page_view_and_one_click_case(region, vk, client, monkeypatch):
    monkeypatch.setattr(views_pages, "current_time", lambda: NOW)
    seed(vk)
    source = vk_source(vk)
    engels, _balakovo = make_pages(source, region)
    fetch_source(source, now=NOW)
    comment = Message.objects.get(external_id="wall-1001_3_r30")
    comment.case.delete() if comment.case else None
    Message.objects.filter(pk=comment.pk).update(case=None, is_relevant=False)

    client.force_login(make_user(Role.EXECUTOR, agency=engels.agency))
    assert client.get(reverse("intake:pages")).status_code == 403
    analyst = make_user(Role.ANALYST)
    client.force_login(analyst)
    assert client.get(reverse("intake:pages")).status_code == 200
    assert client.post(reverse("intake:page-make-case", args=[engels.pk, comment.pk])).status_code == 403

    client.force_login(make_user(Role.MODERATOR))
    ranking = client.get(reverse("intake:pages"), {"days": 30})
    assert ranking.status_code == 200
    assert "Администрация Балакова (VK)" in ranking.content.decode()
    detail = client.get(reverse("intake:page", args=[engels.pk]), {"days": 30})
    assert detail.status_code == 200 and "Не вывозят мусор на улице Мира" in detail.content.decode()

    response = client.post(reverse("intake:page-make-case", args=[engels.pk, comment.pk]))

    comment.refresh_from_db()
    assert comment.case is not None and comment.is_relevant
    assert (
        comment.case.status == CaseStatus.MODERATION
        and comment.case.suggested_territory == region["engels_district"]
    )
    assert response.status_code == 302
    again = client.post(reverse("intake:page-make-case", args=[engels.pk, comment.pk]))
    assert again.status_code == 302 and Message.objects.get(pk=comment.pk).case_id == comment.case_id


def test_ok_and_max_pages_count_the_owners_replies(region, monkeypatch):
    from otklik.intake.fakes.max import FakeMax

    monkeypatch.setenv("OTKLIK_TEST_OK_KEY", "CBAFAKEOKAPPKEY")
    monkeypatch.setenv("OTKLIK_TEST_OK_SECRET", "fake-ok-secret")
    monkeypatch.setenv("OTKLIK_TEST_OK_TOKEN", "ok-test-token")
    monkeypatch.setenv("OTKLIK_TEST_MAX_TOKEN", "max-test-token")
    t0 = T0 * 1000
    with FakeOK() as ok, FakeMax(token="max-test-token") as fake_max:
        ok.add_group(OK_GROUP, "Администрация Энгельса")
        ok.add_topic(OK_GROUP, "900", author=f"group:{OK_GROUP}", created_ms=t0, text="Приём граждан")
        ok.add_comment("900", "c1", author_id="11", date_ms=t0 + HOUR * 1000, text="Нет воды на ул. Тельмана")
        ok.add_comment("900", "c2", author_id="12", date_ms=t0 + HOUR * 2000, text="Яма у дома 5 на Мира")
        ok.add_comment(
            "900",
            "c3",
            author_id=OK_GROUP,
            date_ms=t0 + HOUR * 5000,
            text="Передали",
            reply_to_comment_id="c2",
        )
        ok_source = Source.objects.create(
            code="ok-pages",
            name="ОК",
            channel=Channel.OK,
            connector="ok",
            settings={
                "api_url": f"{ok.url}/fb.do",
                "group_ids": [OK_GROUP],
                "min_interval_seconds": 0,
                "application_key_env": "OTKLIK_TEST_OK_KEY",
                "application_secret_key_env": "OTKLIK_TEST_OK_SECRET",
                "access_token_env": "OTKLIK_TEST_OK_TOKEN",
            },
        )
        ok_page = OfficialPage.objects.create(name="Энгельс (ОК)", source=ok_source, ref=OK_GROUP)
        fake_max.add_chat(-700, "Администрация Энгельса", chat_type="channel")
        fake_max.add_user(11, "Ирина", "Петрова")
        post = fake_max.post(-700, "Приём граждан", timestamp=t0)
        comment = fake_max.post(
            -700, "Нет отопления в школе 5", timestamp=t0 + 1000, user_id=11, reply_to=post["body"]["mid"]
        )
        fake_max.post(
            -700, "Проверим сегодня", timestamp=t0 + 4 * HOUR * 1000, reply_to=comment["body"]["mid"]
        )
        max_source = Source.objects.create(
            code="max-pages",
            name="MAX",
            channel=Channel.SOCIAL,
            connector="max",
            settings={
                "api_url": fake_max.url,
                "token_env": "OTKLIK_TEST_MAX_TOKEN",
                "min_interval_seconds": 0,
            },
        )
        max_page = OfficialPage.objects.create(name="Энгельс (MAX)", source=max_source, ref="-700")

        assert fetch_source(ok_source, now=NOW).ok and fetch_source(max_source, now=NOW).ok

    week = (NOW - timedelta(days=7), NOW)
    ok_stats = pages.page_stats(ok_page, *week, now=NOW)
    assert (ok_stats.comments, ok_stats.answered, ok_stats.median_hours) == (2, 1, 3.0)
    max_stats = pages.page_stats(max_page, *week, now=NOW)
    assert (max_stats.comments, max_stats.answered, max_stats.answered_in_norm) == (1, 1, 1)


def test_demo_official_pages_on_vk_ok_and_max_are_read_with_their_answers(region, monkeypatch):
    from django.utils import timezone

    from otklik.intake.fakes.max import FakeMax
    from otklik.intake.fakes.rss import FakeNewsSite
    from otklik.intake.fakes.seeding import MAX_CHANNEL, VK_GROUP, seed_all, seed_official_pages
    from otklik.intake.fakes.seeding import OK_GROUP as DEMO_OK_GROUP
    from otklik.intake.fakes.social_json import FakeSocialFeed
    from otklik.intake.fakes.telegram import FakeTelegram

    monkeypatch.setenv("OTKLIK_FAKE_TOKEN", "demo")
    now = timezone.now()
    with (
        FakeVK(token=None) as fake_vk,
        FakeTelegram(token=None) as tg,
        FakeSocialFeed(token=None) as feed,
        FakeNewsSite() as news,
        FakeOK(application_key=None) as ok,
        FakeMax(token=None) as fake_max,
    ):
        seed_all(fake_vk, tg, feed, news, count=12)
        seed_official_pages(fake_vk, ok, fake_max)
        specs = {
            "vk": ({"api_url": f"{fake_vk.url}/method", "owner_ids": [-VK_GROUP]}, str(-VK_GROUP)),
            "ok": (
                {
                    "api_url": f"{ok.url}/fb.do",
                    "group_ids": [DEMO_OK_GROUP],
                    "application_key_env": "OTKLIK_FAKE_TOKEN",
                    "application_secret_key_env": "OTKLIK_FAKE_TOKEN",
                    "access_token_env": "OTKLIK_FAKE_TOKEN",
                },
                DEMO_OK_GROUP,
            ),
            "max": ({"api_url": fake_max.url}, str(MAX_CHANNEL)),
        }
        for kind, (settings, ref) in specs.items():
            source = Source.objects.create(
                code=f"demo-{kind}",
                name=kind,
                channel=Channel.OK if kind == "ok" else Channel.VK if kind == "vk" else Channel.SOCIAL,
                connector=kind,
                settings={**settings, "token_env": "OTKLIK_FAKE_TOKEN", "min_interval_seconds": 0},
            )
            OfficialPage.objects.create(name=f"Демо {kind}", source=source, ref=ref)
            assert fetch_source(source, now=now).ok

    for page in OfficialPage.objects.all():
        stats = pages.page_stats(page, now - timedelta(days=7), now, now=now)
        assert 0 < stats.answered < stats.comments, page.name
