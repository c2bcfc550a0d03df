"""CSV/XLSX import with column mapping, the real ЦУР export, and the round trip through cur43."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from otklik.cases.models import Case, CaseEvent
from otklik.intake.cur_schema import CUR43_HEADERS
from otklik.intake.importing import MappingError, detect_mapping, export_cur43, import_table
from otklik.intake.models import DeadLetter, Message

from .conftest import NOW

DATA = Path(settings.BASE_DIR).parent / "shared" / "data" / "omsk_cur_incidents"
FULL = DATA / "omsk_incidents_39_fullschema_nopii.csv"
SHORT = DATA / "test_40.csv"
OMSK = ZoneInfo("Asia/Omsk")
needs_real_export = pytest.mark.skipif(
    not FULL.exists(), reason="real ЦУР export not found in ../shared/data/omsk_cur_incidents"
)

ROWS = [
    ["Номер", "Дата", "Текст обращения", "Автор", "Район"],
    [
        "a-1",
        "02.03.2026 09:15",
        "Третий день нет горячей воды на ул. Тельмана в Энгельсе",
        "Ирина",
        "Энгельс",
    ],
    ["a-2", "2026-03-02 10:00:00", "Огромная яма на дороге у остановки, машины бьют колёса", "Пётр", ""],
    ["a-3", "позавчера", "Не вывозят мусор во дворе уже неделю", "Анна", ""],
    ["a-4", "2026-03-02 11:00:00", "", "Олег", ""],
]


def _write_csv(path: Path, rows: list[list[str]], delimiter: str = ";") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def test_known_russian_headers_are_mapped_without_help():
    mapping = detect_mapping(["Номер", "Дата", "Текст обращения", "Автор", "Телефон"])
    assert mapping == {
        "external_id": "Номер",
        "text": "Текст обращения",
        "posted_at": "Дата",
        "author_name": "Автор",
        "author_contact": "Телефон",
    }


def test_a_portals_building_address_is_mapped_for_near_duplicates():
    # St Petersburg's portal export: the building of each appeal ("full_address"), empty for a street
    mapping = detect_mapping(["id", "created", "text", "latitude", "longitude", "full_address"])
    assert mapping["address"] == "full_address" and mapping["lat"] == "latitude"
    assert detect_mapping(["Текст", "Адрес"])["address"] == "Адрес"


def test_a_given_mapping_wins_and_a_missing_column_is_refused():
    mapping = detect_mapping(["Код", "Жалоба", "Дата"], {"external_id": "Код", "text": "Жалоба"})
    assert mapping == {"external_id": "Код", "text": "Жалоба", "posted_at": "Дата"}
    with pytest.raises(MappingError, match="no column 'Суть'"):
        detect_mapping(["Код", "Жалоба"], {"text": "Суть"})
    with pytest.raises(MappingError, match="no text column"):
        detect_mapping(["Код", "Дата"])


@pytest.mark.django_db
def test_bad_rows_go_to_dead_letters_with_the_row_and_the_rest_is_imported(region, tmp_path):
    path = _write_csv(tmp_path / "appeals.csv", ROWS)
    outcome = import_table(path, source=region["source"], tz=ZoneInfo("Europe/Saratov"), now=NOW)
    result = outcome.result
    assert outcome.kind == "mapped"
    assert result.received == 4
    assert result.dead_letters == 2
    assert result.created_cases == 2
    assert set(Message.objects.values_list("external_id", flat=True)) == {"a-1", "a-2"}
    letters = {json.loads(d.payload)["row"]: d for d in DeadLetter.objects.all()}
    assert set(letters) == {4, 5}
    assert "not a date" in letters[4].reason and "row 4" in letters[4].reason
    assert json.loads(letters[4].payload)["columns"]["Текст обращения"].startswith("Не вывозят мусор")
    assert "is empty" in letters[5].reason
    first = Message.objects.get(external_id="a-1")
    assert first.posted_at == datetime(2026, 3, 2, 9, 15, tzinfo=ZoneInfo("Europe/Saratov"))
    assert first.author_name == "Ирина"
    assert first.raw["columns"] == {"Район": "Энгельс"}

    # The same table again: the bad rows are the same dead letters, read a second time.
    again = import_table(path, source=region["source"], tz=ZoneInfo("Europe/Saratov"), now=NOW).result
    assert (again.dead_letters, again.duplicates) == (2, 2)
    assert sorted(DeadLetter.objects.values_list("attempts", flat=True)) == [2, 2]


@pytest.mark.django_db
def test_importing_the_same_table_twice_makes_nothing_new(region, tmp_path):
    path = _write_csv(tmp_path / "appeals.csv", ROWS[:3])
    import_table(path, source=region["source"], now=NOW)
    cases, events = Case.objects.count(), CaseEvent.objects.count()
    again = import_table(path, source=region["source"], now=NOW).result
    assert again.duplicates == 2
    assert again.created_cases == 0
    assert (Case.objects.count(), CaseEvent.objects.count(), Message.objects.count()) == (cases, events, 2)


@pytest.mark.django_db
def test_a_table_without_an_id_column_gets_stable_row_ids(region, tmp_path):
    rows = [["Текст", "Дата"], ["Не горят фонари на улице Мира в Энгельсе", "2026-03-02 20:00"]]
    path = _write_csv(tmp_path / "no-ids.csv", rows, delimiter=",")
    import_table(path, source=region["source"], now=NOW)
    import_table(path, source=region["source"], now=NOW)
    (external_id,) = Message.objects.values_list("external_id", flat=True)
    assert external_id.startswith("row-")


@pytest.mark.django_db
def test_xlsx_import_with_an_explicit_mapping(region, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Код", "Когда", "Суть жалобы", "Широта", "Долгота"])
    sheet.append(
        [101, datetime(2026, 3, 2, 9, 0), "Нет отопления в школе номер 5, дети мёрзнут", 51.49, 46.12]
    )
    sheet.append([102, None, "Прорвало трубу во дворе на улице Тельмана", None, None])
    path = tmp_path / "calls.xlsx"
    workbook.save(path)
    mapping = {"external_id": "Код", "posted_at": "Когда", "text": "Суть жалобы"}
    result = import_table(path, mapping=mapping, source=region["source"], now=NOW).result
    assert (result.received, result.dead_letters) == (2, 1)
    message = Message.objects.get()
    assert message.external_id == "101"  # a whole number read from a spreadsheet, not "101.0"
    assert (message.lat, message.lon) == (51.49, 46.12)
    assert "date column is empty" in DeadLetter.objects.get().reason


@pytest.mark.django_db
def test_import_command_maps_columns_and_reports(region, tmp_path):
    path = _write_csv(
        tmp_path / "appeals.csv", [["Код", "Суть", "Дата"], ROWS[1][:1] + ROWS[1][2:3] + ROWS[1][1:2]]
    )
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_cases",
        str(path),
        "--source",
        "vk-engels",
        "--map",
        "external_id=Код",
        "--map",
        "text=Суть",
        stdout=out,
        stderr=err,
    )
    assert "received: 1" in out.getvalue() and "created cases: 1" in out.getvalue()
    assert "external_id←Код" in err.getvalue()
    assert Message.objects.get().source.code == "vk-engels"


@needs_real_export
@pytest.mark.django_db
def test_the_real_cur_export_is_imported_row_by_row(region):
    result = import_table(FULL, tz=OMSK, now=NOW)
    assert result.kind == "cur43"
    assert result.result.received == 39
    assert result.result.dead_letters == 0
    assert Message.objects.filter(source__code="cur-import").count() == 39
    message = Message.objects.get(external_id="39520480")
    assert message.raw["cur"]["Номер инцидента"] == "717475"
    assert not message.text.startswith("'")
    assert message.posted_at == datetime(2025, 12, 24, 20, 6, 2, tzinfo=OMSK)
    cases = Case.objects.count()
    assert cases >= 30  # real incidents: the relevance filter keeps nearly all of them
    again = import_table(FULL, tz=OMSK, now=NOW).result
    assert (again.duplicates, again.created_cases) == (39, 0)
    assert Case.objects.count() == cases


@pytest.mark.skipif(not SHORT.exists(), reason="test_40.csv not found in ../shared/data/omsk_cur_incidents")
@pytest.mark.django_db
def test_the_shortened_cur_export_without_ids_and_dates_is_imported_idempotently(region):
    first = import_table(SHORT, default_posted_at=NOW, now=NOW)
    assert first.kind == "cur43"
    assert first.result.received == 39 and first.result.dead_letters == 0
    assert import_table(SHORT, default_posted_at=NOW, now=NOW).result.duplicates == 39
    assert Message.objects.count() == 39


def _export_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@needs_real_export
@pytest.mark.django_db
def test_cur43_round_trip_keeps_the_cases_and_makes_no_duplicates(region, tmp_path):
    import_table(FULL, tz=OMSK, now=NOW)
    cases = Case.objects.count()
    out_csv, out_xlsx = tmp_path / "cases.csv", tmp_path / "cases.xlsx"
    assert export_cur43(Case.objects.all(), out_csv, tz=OMSK) == cases
    assert export_cur43(Case.objects.all(), out_xlsx, tz=OMSK) == cases
    with out_csv.open(encoding="utf-8", newline="") as fh:
        assert tuple(next(csv.reader(fh))) == CUR43_HEADERS
    sheet = load_workbook(out_xlsx, read_only=True).worksheets[0]
    assert tuple(next(sheet.iter_rows(values_only=True))) == CUR43_HEADERS
    originals = {r["ID"]: r for r in csv.DictReader(FULL.open(encoding="utf-8", newline=""))}
    rows = _export_rows(out_csv)
    assert {r["ID"] for r in rows} <= set(originals)
    for row in rows:  # what only the ЦУР system knows comes back as imported
        assert row["Аудитория"] == originals[row["ID"]]["Аудитория"]
        # How the ЦУР handled it is not ours to repeat: our handling columns describe our case.
        assert row["Текущий шаг инцидента"] in {"Модерация", "В работе"} and row["Дата окончания"] == ""
        assert row["Общий текст первого ответа"] == "" and row["Причина закрытия"] == ""
        assert (
            row["Текст инцидента"].lstrip("'") == originals[row["ID"]]["Текст инцидента"].lstrip("'").strip()
        )

    # Into the same installation: every message is found again, nothing new.
    for path in (out_csv, out_xlsx):
        again = import_table(path, tz=OMSK, now=NOW).result
        assert (again.duplicates, again.created_cases, again.dead_letters) == (cases, 0, 0)
    assert Case.objects.count() == cases

    # Into an empty one: the same number of cases.
    texts = sorted(Case.objects.values_list("text", flat=True))
    Message.objects.all().delete()
    Case.objects.all().delete()
    restored = import_table(out_xlsx, tz=OMSK, now=NOW).result
    assert restored.created_cases == cases
    assert sorted(Case.objects.values_list("text", flat=True)) == texts


@needs_real_export
@pytest.mark.django_db
def test_export_command_writes_the_schema(region, tmp_path):
    import_table(FULL, tz=OMSK, now=NOW)
    out = tmp_path / "export.xlsx"
    stdout = io.StringIO()
    call_command("export_cases", "--format", "cur43", "--out", str(out), "--no-progress", stdout=stdout)
    assert f"{Case.objects.count()} cases" in stdout.getvalue()
    rows = list(load_workbook(out, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert tuple(rows[0]) == CUR43_HEADERS
    assert len(rows) - 1 == Case.objects.count()
