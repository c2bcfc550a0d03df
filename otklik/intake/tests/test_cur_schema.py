"""The ЦУР 43-column schema: the header of the real export, values both ways, a case as a row."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from otklik.cases.choices import AnswerStatus, CaseStatus
from otklik.cases.models import Answer, Rating
from otklik.directory.choices import TerritoryKind
from otklik.intake import cur_schema
from otklik.intake.cur_schema import CUR43_HEADERS, RowError
from otklik.testing.factories import make_agency, make_case, make_category, make_territory

DATA = Path(settings.BASE_DIR).parent / "shared" / "data" / "omsk_cur_incidents"
FULL = DATA / "omsk_incidents_39_fullschema_nopii.csv"
OMSK = ZoneInfo("Asia/Omsk")


@pytest.mark.skipif(
    not FULL.exists(), reason="real ЦУР export not found in ../shared/data/omsk_cur_incidents"
)
def test_headers_are_exactly_those_of_the_real_export():
    with FULL.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == CUR43_HEADERS
    assert len(CUR43_HEADERS) == 43


def test_durations_are_written_and_read_like_pandas():
    assert cur_schema.format_duration(timedelta(hours=12, minutes=30, seconds=37, microseconds=103000)) == (
        "0 days 12:30:37.103000"
    )
    assert cur_schema.format_duration(timedelta(days=11, minutes=7)) == "11 days 00:07:00"
    assert cur_schema.parse_duration("11 days 12:10:25.217000") == timedelta(
        days=11, hours=12, minutes=10, seconds=25, microseconds=217000
    )
    assert cur_schema.parse_duration("not a duration") is None


def test_local_dates_take_the_given_zone_and_fractional_seconds():
    moment = cur_schema.parse_local("2025-12-24 20:06:02", OMSK)
    assert moment == datetime(2025, 12, 24, 20, 6, 2, tzinfo=OMSK)
    assert cur_schema.parse_local("24.12.2025 20:06", OMSK) == datetime(2025, 12, 24, 20, 6, tzinfo=OMSK)
    assert cur_schema.format_local(moment, OMSK) == "2025-12-24 20:06:02"
    with pytest.raises(RowError, match="not a date"):
        cur_schema.parse_local("вчера", OMSK)
    with pytest.raises(RowError, match="empty"):
        cur_schema.parse_local("", OMSK)


@pytest.mark.django_db
def test_a_row_becomes_an_item_without_the_text_mark_and_keeps_the_rest():
    row = dict.fromkeys(CUR43_HEADERS, "")
    row.update(
        {
            "ID": "39520480",
            "Номер инцидента": "717475",
            "Дата создания": "2025-12-24 20:06:02",
            "Текст инцидента": "'Нет воды на ул. Ленина",
            "Аудитория": "2899.0",
            "Тема": "Водоснабжение",
        }
    )
    item = cur_schema.row_to_item(row, tz=OMSK)
    assert item["source"] == "cur-import"
    assert item["external_id"] == "39520480"
    assert item["text"] == "Нет воды на ул. Ленина"
    assert item["posted_at"] == "2025-12-24T20:06:02+06:00"
    assert item["cur"]["Аудитория"] == "2899.0"
    assert "Текст инцидента" not in item["cur"]
    with pytest.raises(RowError, match="Текст инцидента"):
        cur_schema.row_to_item({**row, "Текст инцидента": "'"}, tz=OMSK)
    with pytest.raises(RowError, match="ID"):
        cur_schema.row_to_item({**row, "ID": "", "Номер инцидента": ""}, tz=OMSK)


@pytest.mark.django_db
def test_a_case_is_written_in_the_43_columns_with_what_we_know():
    region = make_territory("Омская область", kind=TerritoryKind.REGION)
    district = make_territory("Тарский район", parent=region)
    town = make_territory("Тара", kind=TerritoryKind.SETTLEMENT, parent=district)
    group = make_category("Дороги")
    topic = make_category("Ямы на дорогах", parent=group)
    agency = make_agency("Администрация Тарского района")
    created = datetime(2026, 3, 2, 9, 0, tzinfo=OMSK)
    case = make_case(
        agency=agency,
        status=CaseStatus.CLOSED,
        text="=Яма на дороге у школы",
        created_at=created,
        territory=town,
        category=topic,
        address="ул. Ленина, 15а",
        assigned_at=created + timedelta(hours=1),
        deadline_at=created + timedelta(days=1),
        answered_at=created + timedelta(hours=5),
        closed_at=created + timedelta(days=2),
        published_at=created + timedelta(hours=6),
    )
    Answer.objects.create(
        case=case,
        text="Яму заделают до пятницы",
        agency=agency,
        status=AnswerStatus.PUBLISHED,
        created_at=created + timedelta(hours=3),
        reviewed_at=created + timedelta(hours=4),
    )
    Rating.objects.create(case=case, score=5)
    message = case.messages.get()
    row = cur_schema.case_to_row(
        case, first_message=message, answers=list(case.answers.all()), last_rating=5, tz=OMSK
    )
    assert list(row) == list(CUR43_HEADERS)
    assert row["ID"] == f"test-feed:{message.external_id}"
    assert row["Номер инцидента"] == case.number
    assert row["Кабинет"] == row["Регион"] == "Омская область"
    assert (row["Муниципалитет"], row["Населенный пункт"]) == ("Тарский район", "Тара")
    assert (row["Улица"], row["Дом"]) == ("ул. Ленина", "15а")
    assert (row["Группа тем"], row["Тема"]) == ("Дороги", "Ямы на дорогах")
    assert row["Текст инцидента"] == "'=Яма на дороге у школы"  # the text mark also defuses a formula
    assert row["1ый ответ ПИ"] == "'Яму заделают до пятницы"
    assert row["Дата создания"] == "2026-03-02 09:00:00"
    assert row["Время 1го ответа ПИ"] == "2026-03-02 12:00:00"
    assert row["Первая реакция с момента назн. ПИ"] == "0 days 02:00:00"
    assert row["Время, которое первый ответ ПИ находился на согласовании"] == "0 days 01:00:00"
    assert row["Время с начала создания инцидента до окончания"] == "2 days 00:00:00"
    assert row["Уложились или нет после назн. ПИ"] == "Да"
    assert (row["Текущий шаг инцидента"], row["Итог"]) == ("Готово", "Решено")
    assert row["Причина закрытия"] == "Автор доволен"
    assert row["Объект"] == row["Теги"] == ""
