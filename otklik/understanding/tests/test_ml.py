"""The learned classifier: training, storage, thresholds, routing decisions and the commands.

The training texts are a small synthetic Russian set built here (never real appeals)."""

from __future__ import annotations

import csv
import itertools
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import override_settings

from otklik.testing.factories import make_case, make_category, make_user
from otklik.understanding import ml
from otklik.understanding.classify import (
    Classification,
    classify,
    get_classifier,
    should_auto_route,
    train_category_model,
)
from otklik.understanding.models import ClassifierModel

PROBLEMS = {
    "water": [
        "нет горячей воды",
        "из крана течёт ржавая вода",
        "отключили холодную воду",
        "слабый напор воды",
    ],
    "roads": [
        "огромная яма на дороге",
        "разбитый асфальт на проезжей части",
        "дорогу не ремонтируют",
        "ямы на трассе",
    ],
    "trash": [
        "мусор не вывозят",
        "переполнены мусорные контейнеры",
        "свалка мусора во дворе",
        "баки с отходами стоят",
    ],
}
PLACES = ["на улице Ленина", "в нашем дворе", "возле школы", "у дома 5", "в посёлке"]
TAILS = ["уже неделю", "третий день", "помогите, пожалуйста", "когда это закончится?"]


def synthetic(label: str, *, skip: int = 0) -> list[str]:
    combos = itertools.product(PROBLEMS[label], PLACES, TAILS)
    return [f"{p.capitalize()} {where} {tail}" for i, (p, where, tail) in enumerate(combos) if i % 3 == skip]


def examples(skip: int = 0) -> list[ml.Example]:
    return [ml.Example(text, label) for label in PROBLEMS for text in synthetic(label, skip=skip)]


def test_model_round_trip_predicts_the_same_after_save_and_load() -> None:
    trained = ml.train(examples())
    held_out = examples(skip=1)
    docs = [ml.prepare(e.text) for e in held_out]
    before = trained.model.predict(docs)
    restored = ml.load_model(ml.dump_model(trained.model))
    after = restored.predict(docs)
    assert [p.label for p in after] == [p.label for p in before]
    assert [p.confidence for p in after] == [p.confidence for p in before]
    accuracy = sum(p.label == e.label for p, e in zip(after, held_out, strict=True)) / len(held_out)
    assert accuracy >= 0.9
    assert all(0 < p.confidence <= 1 for p in after)
    assert set(trained.model.labels) == set(PROBLEMS)


def test_html_is_stripped_before_features() -> None:
    assert ml.prepare("<p>Яма&nbsp;на дороге</p>").folded == "яма на дороге"
    assert ml.prepare("Разбитые дороги").lemmas == "разбитый дорога"


GROUP = {"water": "housing", "trash": "housing", "roads": "roads"}  # fine label → its coarse label


def test_fine_head_adds_its_best_score_per_coarse_label_and_survives_a_round_trip() -> None:
    rows = examples()
    docs = [ml.prepare(e.text) for e in rows]
    model = ml.TextModel().fit(
        docs,
        [GROUP[e.label] for e in rows],
        fine=[e.label for e in rows],
        label_docs=ml.label_docs_from_fine({"вода": "housing", "мусор": "housing", "дороги": "roads"}),
    )
    assert model.labels == ["housing", "roads"]
    assert model.fine_head is not None and sorted(model.fine_head.labels) == [
        "roads",
        "trash",
        "water",
        "вода",
        "дороги",
        "мусор",
    ]
    housing = model.labels.index("housing")
    assert sorted(model.fine_head.labels[i] for i in model.fine_columns[housing]) == [
        "trash",
        "water",
        "вода",
        "мусор",
    ]
    held_out = examples(skip=1)
    test_docs = [ml.prepare(e.text) for e in held_out]
    predictions = model.predict(test_docs)
    assert (
        sum(p.label == GROUP[e.label] for p, e in zip(predictions, held_out, strict=True)) / len(held_out)
        >= 0.9
    )
    restored = ml.load_model(ml.dump_model(model))
    np.testing.assert_array_equal(restored.decision(test_docs), model.decision(test_docs))


def test_label_docs_of_labels_without_examples_are_not_learned() -> None:
    rows = examples()
    model = ml.TextModel(embeddings=False).fit(
        [ml.prepare(e.text) for e in rows],
        [e.label for e in rows],
        label_docs=[
            ml.LabelDoc(ml.prepare("Лифты, подъезды"), "lifts"),
            ml.LabelDoc(ml.prepare("Вода"), "water"),
        ],
    )
    assert model.labels == ["roads", "trash", "water"]


def test_cross_validation_passes_fine_labels_and_label_docs_of_the_training_folds_only() -> None:
    rows = [ml.Example(e.text, GROUP[e.label], fine=e.label) for e in examples()]
    seen: list[tuple[int, set[str]]] = []

    class Spy(ml.TextModel):
        def fit(self, docs, labels, *, fine=None, label_docs=()):  # type: ignore[no-untyped-def]
            assert fine is not None and len(fine) == len(docs)
            seen.append((len(docs), {d.fine for d in label_docs}))
            return super().fit(docs, labels, fine=fine, label_docs=label_docs)

    label_docs = [*ml.fine_label_docs(rows), ml.LabelDoc(ml.prepare("Лифты"), "housing", "lifts")]
    evaluation = ml.cross_validate(
        [ml.prepare(e.text) for e in rows],
        [e.label for e in rows],
        folds=3,
        make_model=Spy,
        fine=[e.fine for e in rows],
        label_docs=label_docs,
    )
    assert len(seen) == 3 and all(fines == {"water", "trash", "roads"} for _, fines in seen)  # no "lifts"
    assert evaluation.accuracy >= 0.9


def test_a_model_of_an_older_format_is_refused_clearly() -> None:
    model = ml.TextModel(embeddings=False).fit(
        [ml.prepare(e.text) for e in examples()], [e.label for e in examples()]
    )
    model.format = 1
    with pytest.raises(ml.IncompatibleModel, match="otklik train"):
        ml.load_model(ml.dump_model(model))


def test_threshold_is_the_lowest_confidence_reaching_the_target_precision() -> None:
    y_pred = ["a"] * 6 + ["b"] * 3
    confidence = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.9, 0.8, 0.7]
    y_true = ["a", "a", "a", "a", "x", "x", "x", "b", "x"]
    thresholds = ml.learn_thresholds(y_true, y_pred, confidence, target=0.9, min_support=3)
    assert thresholds["a"] == 0.6  # 4 of 4 right down to 0.6; adding 0.5 drops precision to 0.8
    assert thresholds["b"] is None  # never 90 % precise


def test_cross_validation_leaves_out_rare_classes_and_reports_figures() -> None:
    rows = [*examples(), ml.Example("Сломалась качеля на детской площадке", "rare")]
    evaluation = ml.cross_validate([ml.prepare(e.text) for e in rows], [e.label for e in rows], folds=3)
    assert evaluation.dropped == {"rare": 1}
    assert evaluation.accuracy >= 0.9 and evaluation.macro_f1 >= 0.9
    text = evaluation.as_text()
    assert "macro-F1" in text and "confusion matrix" in text and "roads" in text


@pytest.mark.django_db
def test_trained_model_decides_and_its_version_is_recorded() -> None:
    categories = {code: make_category(code.title(), code=code) for code in PROBLEMS}
    assert classify("Огромная яма на дороге возле школы").category is None  # no rules, no model yet
    row = train_category_model(examples(), source="test")
    assert row.version.startswith("ml-0001-") and row.size == len(bytes(row.blob)) > 0
    assert set(row.thresholds) == set(PROBLEMS)
    result = classify("Огромная яма на дороге возле школы уже неделю")
    assert result.category == categories["roads"]
    assert result.decided_by == "model" and result.version == row.version
    assert get_classifier().version.endswith(f"+{row.version}")


@pytest.mark.django_db
def test_should_auto_route_uses_the_learned_threshold() -> None:
    category = make_category("Дороги", code="roads")
    model = Classification(category, 0.7, [], "ml-1", threshold=0.6, decided_by="model")
    assert should_auto_route(model)
    assert not should_auto_route(Classification(category, 0.5, [], "ml-1", threshold=0.6, decided_by="model"))
    # a category that never reached the target precision always goes to moderation
    assert not should_auto_route(Classification(category, 0.99, [], "ml-1", decided_by="model"))
    assert not should_auto_route(Classification(None, 0.0, [], "rules-x"))
    with override_settings(OTKLIK_AUTO_ROUTE_CONFIDENCE=0.6):
        assert should_auto_route(Classification(category, 0.7, [], "rules-x"))
        assert not should_auto_route(Classification(category, 0.5, [], "rules-x"))


def _moderate(case, category, user) -> None:
    case_event = apps.get_model("cases", "CaseEvent")
    case_event.objects.create(
        case=case,
        actor=user,
        kind="moderated",
        after={"category": {"id": category.pk, "name": category.name}},
    )


@pytest.mark.django_db
def test_retraining_picks_up_a_moderators_correction() -> None:
    categories = {code: make_category(code.title(), code=code) for code in PROBLEMS}
    housing = make_category("Лифты", code="lifts")
    moderator = make_user()
    for label in PROBLEMS:
        for text in synthetic(label):
            _moderate(make_case(text=text, with_message=False), categories[label], moderator)
    lift_texts = [f"Не работает лифт {where} {tail}" for where, tail in itertools.product(PLACES, TAILS)]
    lift_cases = [make_case(text=text, with_message=False) for text in lift_texts]
    for case in lift_cases:  # first moderated wrongly as roads …
        _moderate(case, categories["roads"], moderator)
    first = train_category_model(ml.moderated_examples(), source="moderation")
    assert classify(lift_texts[0]).category == categories["roads"]
    for case in lift_cases:  # … then corrected: the later decision wins
        _moderate(case, housing, moderator)
    labels = {e.text: e.label for e in ml.moderated_examples()}
    assert all(labels[text] == "lifts" for text in lift_texts)
    second = train_category_model(ml.moderated_examples(), source="moderation")
    assert second.version != first.version
    result = classify(lift_texts[0])
    assert result.category == housing and result.version == second.version


@pytest.mark.django_db
def test_train_command_learns_from_a_csv(tmp_path: Path) -> None:
    for code in PROBLEMS:
        make_category(code.title(), code=code)
    path = tmp_path / "labeled.csv"
    _write_csv(path, examples())
    out = StringIO()
    call_command(
        "train", "--from-csv", str(path), "--text-col", "text", "--label-col", "category", stdout=out
    )
    assert "model ml-0001-" in out.getvalue() and "automatic routing for" in out.getvalue()
    assert ClassifierModel.objects.get().examples == len(examples())


def _write_csv(path: Path, rows: list[ml.Example]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "category"])
        for i, e in enumerate(rows):
            writer.writerow([i, e.text, e.label])


def test_evaluate_command_prints_figures_and_writes_the_report(tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv"
    _write_csv(path, [*examples(), ml.Example("Сломалась качеля на площадке", "rare")])
    report = tmp_path / "report.html"
    out = StringIO()
    call_command(
        "evaluate", str(path), "--text-col", "text", "--label-col", "category", "--folds", "3",
        "--rules", "none", "--report", str(report), stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "macro-F1" in text and "weighted F1" in text and "accuracy" in text
    assert "left out" in text and "'rare': 1" in text
    assert "confusion matrix" in text
    page = report.read_text(encoding="utf-8")
    assert "Confusion matrix" in page and "<td" in page and "roads" in page


@pytest.mark.django_db
def test_a_stored_model_of_an_older_format_leaves_the_decision_to_the_rules() -> None:
    category = make_category("Дороги", code="roads", keywords="яма\nдорога")
    make_category("Вода", code="water", keywords="вода")
    old = ml.TextModel(embeddings=False).fit(
        [ml.prepare(e.text) for e in examples()], [e.label for e in examples()]
    )
    old.format = 1
    blob = ml.dump_model(old)
    ClassifierModel.objects.create(version="ml-0001-old", labels=old.labels, blob=blob, size=len(blob))
    result = classify("Огромная яма на дороге возле школы")
    assert result.category == category and result.decided_by == "rules"
    assert result.version.startswith("rules-")
    assert get_classifier() is get_classifier()  # the unreadable model is not re-read on every call


@pytest.mark.django_db
def test_training_learns_the_category_names_and_keywords_too() -> None:
    categories = {code: make_category(code.title(), code=code, keywords="") for code in PROBLEMS}
    Category = type(categories["water"])
    Category.objects.filter(code="roads").update(name="Дороги", keywords="асфальт\nщебёнка\nгрейдер")
    row = train_category_model(examples(), source="test")
    # "грейдер" appears in no example: only the category's keywords teach it
    assert classify("Когда пришлют грейдер?").category == categories["roads"]
    assert row.version.startswith("ml-")


def test_evaluate_command_learns_finer_labels(tmp_path: Path) -> None:
    path = tmp_path / "with_topics.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "category", "topic"])
        for i, e in enumerate(examples()):
            writer.writerow([i, e.text, GROUP[e.label], e.label])
    out = StringIO()
    call_command(
        "evaluate", str(path), "--text-col", "text", "--label-col", "category", "--fine-col", "topic",
        "--folds", "3", stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "names of topic + topic head" in text and "macro-F1" in text
    assert "housing" in text and "roads" in text


def test_table_router_takes_the_most_frequent_label_of_the_key_and_backs_off() -> None:
    keys = [("roads", "p_Курск")] * 10 + [("roads", "p_Льгов")] * 10 + [("water",)] * 10
    labels = ["Комитет дорожного хозяйства"] * 10 + ["Администрация Льгова"] * 10 + ["Водоканал"] * 10
    evaluation = ml.cross_validate_table(keys, labels, folds=5)
    assert evaluation.accuracy == 1.0
    mixed = ml.cross_validate_table([("roads",)] * 20, ["a"] * 12 + ["b"] * 8, folds=4, min_per_class=4)
    assert set(mixed.y_pred) == {"a"} and mixed.accuracy == 0.6  # no place: the majority of the topic


def test_a_weighted_label_document_counts_as_that_many_examples() -> None:
    rows = examples()
    docs = [ml.prepare(e.text) for e in rows]
    lifts = ml.LabelDoc(ml.prepare("Не работает лифт в подъезде, лифт стоит"), "housing", "lifts")
    text = [ml.prepare("Лифт в подъезде не работает вторую неделю")]

    def housing_score(weight: float) -> float:
        model = ml.TextModel(label_doc_weight=weight).fit(
            docs, [GROUP[e.label] for e in rows], fine=[e.label for e in rows], label_docs=[lifts]
        )
        return float(model.decision(text)[0, model.labels.index("housing")])

    # one named example among dozens barely moves the model; counted five times it pulls harder
    assert housing_score(5.0) > housing_score(1.0)


def test_a_label_documents_own_weight_counts_like_the_models_multiplier() -> None:
    rows = examples()
    docs = [ml.prepare(e.text) for e in rows]
    text = [ml.prepare("Лифт в подъезде не работает вторую неделю")]

    def decision(doc_weight: float, model_weight: float) -> np.ndarray:
        lifts = ml.LabelDoc(ml.prepare("Не работает лифт в подъезде"), "housing", "lifts", weight=doc_weight)
        model = ml.TextModel(label_doc_weight=model_weight).fit(
            docs, [GROUP[e.label] for e in rows], fine=[e.label for e in rows], label_docs=[lifts]
        )
        return model.decision(text)

    np.testing.assert_allclose(decision(3.0, 1.0), decision(1.0, 3.0), rtol=1e-5)
    assert not np.allclose(decision(3.0, 1.0), decision(1.0, 1.0))


@pytest.mark.django_db
def test_training_counts_each_topic_name_as_the_measured_number_of_examples(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for code in PROBLEMS:
        make_category(code.title(), code=code, keywords="")
    seen: list[ml.LabelDoc] = []
    real_train = ml.train

    def spy(*args: object, label_docs: list[ml.LabelDoc], **kwargs: object) -> ml.TrainedModel:
        seen.extend(label_docs)
        return real_train(*args, label_docs=label_docs, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ml, "train", spy)
    rows = [ml.Example(e.text, e.label, fine=f"{e.label}: подтема") for e in examples()]
    train_category_model(rows, source="test")
    topics = {d.fine: d.weight for d in seen if d.fine}
    assert topics == {f"{code}: подтема": ml.FINE_DOC_WEIGHT for code in PROBLEMS}
    assert {d.weight for d in seen if not d.fine} == {1.0}  # category names and keywords: as before
