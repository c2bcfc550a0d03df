"""The pipeline's shortcuts give what the long way gives: links, titles, fingerprints, the collector."""

from __future__ import annotations

import copy
import gc
import random

import pytest
from django.core.exceptions import ValidationError
from razdel import sentenize

from otklik.cases.models import Case
from otklik.intake import dedup
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.pipeline import normalize, run_batch, runner, titles
from otklik.intake.pipeline.titles import make_title
from otklik.understanding import classify, places

from .conftest import NOW
from .test_pipeline import WATER


def _accepted(check, url: str) -> bool:
    try:
        check(url)
    except ValidationError:
        return False
    return True


def test_remembered_link_hosts_decide_as_the_url_validator_does() -> None:
    hosts = [
        "http://vk.com",
        "https://t.me",
        "HTTPS://VK.COM",
        "https://a_b",
        "http://a_b?c@d.ru",
        "https://user:pw@vk.com",
        "https://[::1]",
        "https://[::g]",
        "http://localhost:80",
        "https://x.ru:999999",
        "https://-a.ru",
        "https://саратов.рф",
        "ftp://x.ru",
        "https://1.2.3.400",
        "https://" + "a" * 64 + ".ru",
    ]
    rests = [
        "",
        "/",
        "/wall-1_2",
        "?w=wall-1",
        "#x",
        "/a b",
        "/@club",
        "?x@y.ru",
        "@evil.com",
        "/" + "x" * 2100,
    ]
    combos = [host + rest for host in hosts for rest in rests]
    for seed in (1, 2):
        normalize._GOOD_URL_HOSTS.clear()
        random.Random(seed).shuffle(combos)
        for url in combos:
            assert _accepted(normalize._check_url, url) == _accepted(normalize._url_validator, url), url
    assert "http://vk.com" in normalize._GOOD_URL_HOSTS
    assert "https://a_b" not in normalize._GOOD_URL_HOSTS


def _title_the_long_way(text: str, limit: int = titles.TITLE_LENGTH) -> str:
    flat = " ".join(text.split())
    sentences = [s.text for s in sentenize(flat)] or [flat]
    meaningful = [s for s in sentences if not (len(s.split()) <= 4 and titles._OPENERS.match(s))]
    sentence = (meaningful or sentences)[0]
    if len(sentence) <= limit:
        return sentence
    return sentence[: limit - 1].rsplit(" ", 1)[0] + "…"


@pytest.mark.parametrize(
    "text",
    [
        "Здравствуйте! Помогите. " + "Во дворе дома 5 по ул. Ленина огромная яма. " * 30,
        "Здравствуйте! " * 60 + "Нет воды.",
        "Добрый день. " + "Очень длинное предложение без точки " * 40,
        "Срочно! Люди! В д. 15 на ул. Мира нет света, т. к. оборван провод. " + "Ждём. " * 100,
        "",
        "Нет горячей воды",
    ],
)
def test_a_long_texts_title_comes_from_its_beginning_as_from_the_whole(text: str) -> None:
    assert make_title(text) == _title_the_long_way(text)


def test_titles_of_random_texts_come_out_as_from_the_whole_text() -> None:
    parts = [
        "Здравствуйте!",
        "Добрый день.",
        "Помогите!!!",
        "Срочно!",
        "На ул. Ленина, д. 15 нет воды",
        "т. к. прорвало трубу",
        "Ура :))) всё починили",
        "«Нет света!» — пишут жители",
        "(дом 7)",
        "Когда дадут отопление?",
        "Сколько можно терпеть…",
        "мусор не вывозят неделю",
        "Уважаемая администрация,",
        "см. фото",
        "и т. д.",
    ]
    rng = random.Random(20261129)
    for _ in range(400):
        text = " ".join(rng.choice(parts) for _ in range(rng.randint(1, 40)))
        assert make_title(text) == _title_the_long_way(text), text


def test_fingerprints_of_a_batch_are_those_of_each_text() -> None:
    texts = [
        "Нет горячей воды третий день в доме 12 по улице Тельмана",
        "Нет горячей воды уже третий день, дом 12, улица Тельмана!",
        "",
        "и в на",
        "Яма на дороге https://vk.com/wall-1_2 @cur #Энгельс",
    ]
    batch = dedup.fingerprints(texts)
    for text, fp in zip(texts, batch, strict=True):
        one = dedup.fingerprint(text)
        assert (fp.bands, fp.head, fp.features, fp.numbers, fp.normalized) == (
            one.bands,
            one.head,
            one.features,
            one.numbers,
            one.normalized,
        )
    assert dedup.signatures([[], ["abc"]])[0].tolist() == dedup.signature([]).tolist()


@pytest.mark.django_db
def test_a_large_batch_pauses_the_garbage_collector_and_restores_it(region) -> None:
    items = [
        {
            "source": "vk-engels",
            "external_id": f"gc-{n}",
            "text": f"Нет света в доме {n} на улице Тельмана в Энгельсе",
            "posted_at": "2026-03-02T09:15:00+04:00",
        }
        for n in range(runner._GC_PAUSE_ITEMS)
    ]
    timings: dict[str, float] = {}
    assert gc.isenabled()
    result = run_batch(items, now=NOW, timings=timings)
    assert result.received == len(items) and not result.dead_letters
    assert gc.isenabled()
    assert {"setup", "normalize", "persist", "commit"} <= set(timings)
    gc.disable()
    try:
        run_batch([dict(i, external_id=f"again-{i['external_id']}") for i in items], now=NOW)
        assert not gc.isenabled()  # a collector the caller turned off stays off
    finally:
        gc.enable()


@pytest.mark.django_db
def test_warm_up_builds_the_caches_and_writes_nothing(region, caplog) -> None:
    classify.classifier_cache.clear()
    places.invalidate_cache()
    sources = Source.objects.count()

    assert runner.warm_up() > 0

    assert "warm-up" not in caplog.text  # its sample went through every stage
    assert classify.classifier_cache.peek() is not None and places.cache.places_cache.peek() is not None
    assert (Message.objects.count(), Case.objects.count(), DeadLetter.objects.count()) == (0, 0, 0)
    assert Source.objects.count() == sources
    # and the pipeline runs as before
    assert run_batch([WATER], now=NOW).created_cases == 1


def test_a_shallow_copy_of_an_item_is_what_copy_copy_makes() -> None:
    item = runner.Item(index=3, payload={"text": "Нет воды"}, text="Нет воды", word_count=2, tokens=[])
    clone = runner._shallow_copy(item)
    assert type(clone) is runner.Item and clone is not item
    assert clone.__dict__ == copy.copy(item).__dict__
    assert clone.tokens is item.tokens  # shallow, as copy.copy
    clone.done = True
    assert item.done is False


def _positions_the_long_way(text: str) -> frozenset[str]:
    out = set()
    for found in dedup._WORD_CASED.finditer(text):
        word = found.group()
        if word[0].isupper() and dedup._inside_sentence(text, found):
            continue
        position = dedup._POSITIONS.get(dedup._reading(dedup.fold(word))[0])
        if position is not None:
            out.add(position)
    return frozenset(out)


FINGERPRINTED = [
    "Нет горячей воды третий день в доме 12 по улице Тельмана",
    "Течёт крыша над 5 подъездом, 9 этаж, справа от лифта; второе обращение",
    "Слева от входа яма 2м, между3 и 4 подъездами. Фото 20.02.2021, 19:59",
    "Правое полотно ворот сломано. Справа Нижняя часть забора у дома № 7 на Можайской",
    "На первом этаже в тамбуре 2 недели не горит свет https://vk.com/wall-1_25 @cur",
    "Во-первых, нет воды; во-вторых, 3-й раз пишу. Верх фасада, по верху трещина",
    "и в на",
    "",
    "Сверху капает. СВЕРХУ капает! Левая Сторона дома 15а",
]


@pytest.mark.parametrize("text", FINGERPRINTED)
def test_a_fingerprints_parts_read_once_are_those_of_each_function(text: str) -> None:
    dedup._RECENT.clear()
    made = dedup.fingerprints([text])[0]
    bare = dedup.normalize(dedup.DATES.sub(" ", text))
    assert made.normalized == dedup.normalize(text)
    assert made.numbers == dedup.numbers(bare, dedup.link_numbers(text))
    assert made.numbered == dedup.numbered(bare)
    assert made.content == dedup.says(bare)
    assert made.things == dedup.things(bare) and made.spots == dedup.spots(bare)
    plain = dedup.strip_links(text)
    assert made.positions == _positions_the_long_way(dedup.DATES.sub(" ", plain))
    assert dedup.positions(text) == _positions_the_long_way(text)


def _agency_of_a_new_case(n: int):
    """The agency of the case a new message (another entrance: not a near-duplicate) opens."""
    item = dict(WATER, external_id=f"rules-{n}", text=f"{WATER['text']} (подъезд {n})", author_id=f"r{n}")
    assert run_batch([item], now=NOW).created_cases == 1
    return Case.objects.get(messages__external_id=item["external_id"]).agency


@pytest.mark.django_db
def test_the_batches_routing_rules_come_from_the_process_until_a_rule_or_an_agency_changes(region) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from otklik.cases.routing import rules_cache

    rules_cache.clear()
    housing, rule = region["housing"], region["engels_district"].routingrule_set.get()
    assert _agency_of_a_new_case(1) == housing
    batch = runner._new_batch([WATER], NOW, None)
    with CaptureQueriesContext(connection) as reading:
        runner._setup(batch)
    assert len(reading.captured_queries) == 1  # the four caches' versions; no rule read again
    assert batch.rules is not None and batch.rules.rules == rules_cache.get()

    rule.is_active = False
    rule.save()  # the next batch routes without it
    assert _agency_of_a_new_case(2) is None
    rule.is_active = True
    rule.save()
    assert _agency_of_a_new_case(3) == housing
    housing.is_active = False
    housing.save()  # an agency turned off takes its rules with it
    assert _agency_of_a_new_case(4) is None
    rule.delete()
    housing.is_active = True
    housing.save()
    assert _agency_of_a_new_case(5) is None
