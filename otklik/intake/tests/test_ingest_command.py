"""``otklik ingest FILE``: JSONL and CSV files through the pipeline; bad lines become dead letters."""

from __future__ import annotations

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from otklik.cases.models import Case
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.pipeline import Stage

pytestmark = pytest.mark.django_db

ROWS = [
    {
        "external_id": "p-1",
        "text": "Во дворе на улице Ленина 5 в Энгельсе не вывозят мусор, контейнеры переполнены",
        "posted_at": "2026-03-02T09:00:00+04:00",
        "author_id": "a1",
    },
    {
        "external_id": "p-2",
        "text": "Огромная яма на дороге у остановки, машины бьют колёса",
        "posted_at": "2026-03-02T10:00:00+04:00",
        "author_id": "a2",
    },
    {
        "external_id": "p-3",
        "text": "Скидки на окна! Звоните +7 927 000-00-00, пишите в личку",
        "posted_at": "2026-03-02T11:00:00+04:00",
    },
]


def _ingest(*args: str) -> str:
    out = StringIO()
    call_command("ingest", *args, "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_jsonl_file_with_a_malformed_line(region, tmp_path) -> None:
    path = tmp_path / "posts.jsonl"
    lines = [json.dumps({**r, "source": "vk-engels"}, ensure_ascii=False) for r in ROWS]
    lines.insert(1, '{"external_id": "broken", "text": "нет воды"')  # cut off mid-object
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")

    summary = _ingest(str(path), "--batch-size", "2")

    assert "received: 4" in summary and "created cases: 2" in summary and "dead letters: 1" in summary
    assert Message.objects.count() == 3 and Case.objects.count() == 2
    letter = DeadLetter.objects.get()
    assert letter.stage == Stage.PARSE and "line 2" in letter.reason and '"broken"' in letter.payload

    again = _ingest(str(path))
    assert "duplicates: 3" in again and Case.objects.count() == 2
    assert "dead letters: 1" in again  # the broken line is counted, and kept once
    assert DeadLetter.objects.get().attempts == 2


def test_csv_file_with_the_default_source(region, tmp_path) -> None:
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["external_id", "text", "posted_at", "author_id", "lat", "lon"]
        )
        writer.writeheader()
        for row in ROWS:
            writer.writerow({**row, "lat": "", "lon": ""})

    summary = _ingest(str(path), "--source", "vk-engels")

    assert "created cases: 2" in summary and "irrelevant: 1" in summary
    assert set(Message.objects.values_list("source__code", flat=True)) == {"vk-engels"}
    garbage = Case.objects.get(messages__external_id="p-1")
    assert garbage.suggested_category.top.code == "waste"
    assert garbage.suggested_territory == region["engels"]


def test_format_can_be_forced_and_unknown_extension_is_refused(region, tmp_path) -> None:
    path = tmp_path / "posts.txt"
    path.write_text(
        json.dumps({**ROWS[1], "source": "vk-engels"}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    with pytest.raises(CommandError):
        _ingest(str(path))
    assert "created cases: 1" in _ingest(str(path), "--format", "jsonl")


def test_unknown_default_source_is_created(region, tmp_path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps(ROWS[1], ensure_ascii=False) + "\n", encoding="utf-8")
    _ingest(str(path), "--source", "call-center")
    assert Source.objects.get(code="call-center").connector == "file"
    assert Message.objects.get().source.code == "call-center"
