"""The similar-answers measure: same reason in the top 3, plain TF-IDF against the index, by agency."""

from __future__ import annotations

from otklik.understanding.annotations import held_out
from otklik.understanding.similar_evaluation import SPB, evaluate


def _row(i: int, text: str, reason: str, agency: str) -> dict[str, str]:
    answer = f"{reason}: работы выполнены, замечание устранено."
    return {
        "id": str(i), "text": text, "answer_text": answer, "reason": reason, "executor_org": agency,
        "category": reason, "answer_dt": "2021-03-01",
    }  # fmt: skip


def test_the_measure_counts_same_reason_suggestions_and_scopes_by_agency() -> None:
    texts = [
        ("Не горят фонари во дворе", "Освещение", "Ленсвет"),
        ("Фонарь во дворе не горит неделю", "Освещение", "Ленсвет"),
        ("Яма на дороге у школы", "Дороги", "Дорожная служба"),
        ("Огромная яма на проезжей части", "Дороги", "Дорожная служба"),
        ("Мусор на газоне у дома", "Мусор", "Жилищное агентство"),
        ("Мусор во дворе не убирают", "Мусор", "Жилищное агентство"),
    ]
    rows = []
    i = 0
    # enough ids that both parts of the fixed split get every text
    while {held_out(SPB, r["id"]) for r in rows} != {True, False} or len(rows) < 60:
        text, reason, agency = texts[i % len(texts)]
        rows.append(_row(1000 + i, f"{text} {i}", reason, agency))
        i += 1
    report = evaluate(rows)
    names = [m.name for m in report.methods]
    assert names == ["tfidf", "index", "index+agency"]
    for method in report.methods:
        assert method.queries == sum(held_out(SPB, r["id"]) for r in rows)
        assert method.share > 0.9
    drafts = report.drafts
    assert drafts is not None and drafts.offered == drafts.queries == report.methods[0].queries
    assert drafts.same_reason == drafts.offered and drafts.passes == drafts.offered
