"""The current routing practice as features of the routing model: the labels of the decisions
nearest in time (``ml.recent_practice``, ``TextModel(practice_k=…)``, ``evaluate --time-col``).

The texts are a small synthetic Russian set built here (never real appeals): road complaints go to
the city administration at first, then to the road committee, then to the administration again —
what the text cannot tell, the time does."""

from __future__ import annotations

import csv
import itertools
import pickle
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from otklik.understanding import ml

ADMIN = "Администрация города Курска"
ROADS = "Комитет дорожного хозяйства города Курска"
HOUSING = "Комитет жилищно-коммунального хозяйства города Курска"

ROAD_PROBLEMS = ["огромная яма на дороге", "разбитый асфальт на проезжей части", "дорогу не ремонтируют"]
WATER_PROBLEMS = ["нет горячей воды", "из крана течёт ржавая вода", "отключили холодную воду"]
WHERE = ["на улице Ленина", "в нашем дворе", "возле школы", "у дома 5", "на Карла Маркса"]
TAILS = ["уже неделю", "третий день", "помогите, пожалуйста", "когда это закончится?"]


def road_executor(time: float) -> str:
    """The practice shifts: the administration routes roads until 20, the committee until 40."""
    return ROADS if 20 <= time < 40 else ADMIN


def shifted_examples() -> list[ml.Example]:
    """60 road complaints over times 0–59 (their executor by the period) and 60 water complaints
    over the same times (always the housing committee), the texts of both spread over time."""
    out = []
    for problems, offset in ((ROAD_PROBLEMS, 0.0), (WATER_PROBLEMS, 0.5)):
        combos = list(itertools.product(problems, WHERE, TAILS))
        for n, (problem, where, tail) in enumerate(combos):
            time = float((n * 7) % len(combos)) + offset  # texts and times do not go together
            label = road_executor(time) if problems is ROAD_PROBLEMS else HOUSING
            out.append(ml.Example(f"{problem.capitalize()} {where} {tail}", label, time=time))
    return out


def test_recent_practice_counts_the_nearest_decisions_in_time() -> None:
    labels = [ADMIN, ROADS]
    ref_times = [1, 2, 3, 10, 11, 12]
    ref_labels = [ADMIN, ADMIN, ADMIN, ROADS, ROADS, ROADS]
    shares = ml.recent_practice([2, 11, 7], ref_times, ref_labels, labels, k=3, smoothing=0.0)
    assert np.allclose(shares, [[1, 0], [0, 1], [1 / 3, 2 / 3]])  # at 7 the nearest are 10, 3 and 11
    # only what came before: at 11 the latest three decisions are 10, 3 and 2
    past = ml.recent_practice([11], ref_times, ref_labels, labels, k=3, past_only=True, smoothing=0.0)
    assert np.allclose(past, [[2 / 3, 1 / 3]])
    own = ml.recent_practice([3], ref_times, ref_labels, labels, k=1, exclude_self=True, smoothing=0.0)
    assert own.tolist() == [[1.0, 0.0]]  # its own decision (3) left out: 2 is the nearest
    smoothed = ml.recent_practice([1], ref_times, ref_labels, labels, k=2, smoothing=0.5)
    assert np.allclose(smoothed, [[2.5 / 3, 0.5 / 3]])
    nothing = ml.recent_practice([0], ref_times, ref_labels, labels, k=3, past_only=True)
    assert nothing.tolist() == [[0.5, 0.5]]  # no decision before: the uniform share


def test_the_model_learns_the_shift_of_practice_from_the_times() -> None:
    rows = shifted_examples()
    docs = [ml.prepare(e.text) for e in rows]
    model = ml.TextModel(embeddings=False, practice_k=10).fit(
        docs, [e.label for e in rows], times=[e.time or 0.0 for e in rows]
    )
    assert model.uses_practice
    pothole = [ml.prepare("Огромная яма на дороге на улице Ленина уже неделю")]
    water = [ml.prepare("Нет горячей воды возле школы третий день")]
    assert model.predict(pothole, times=[5.0])[0].label == ADMIN
    assert model.predict(pothole, times=[30.0])[0].label == ROADS
    assert model.predict(pothole, times=[55.0])[0].label == ADMIN
    assert all(model.predict(water, times=[t])[0].label == HOUSING for t in (5.0, 30.0, 55.0))
    # a new appeal without a time: the latest decisions (the administration again) decide
    assert model.predict(pothole)[0].label == ADMIN
    restored = ml.load_model(ml.dump_model(model))
    assert restored.predict(pothole, times=[30.0])[0].label == ROADS


def test_cross_validation_with_times_beats_the_text_alone() -> None:
    rows = shifted_examples()
    docs = [ml.prepare(e.text) for e in rows]
    labels = [e.label for e in rows]
    times = [e.time or 0.0 for e in rows]

    def text_only() -> ml.TextModel:
        return ml.TextModel(embeddings=False)

    def with_practice() -> ml.TextModel:
        return ml.TextModel(embeddings=False, practice_k=10)

    alone = ml.cross_validate(docs, labels, folds=5, make_model=text_only)
    timed = ml.cross_validate(docs, labels, folds=5, make_model=with_practice, times=times)
    # the text cannot tell the road executors apart (at best the administration: 40 of 60)
    assert alone.accuracy <= 0.85
    assert timed.accuracy >= 0.95
    # a model asked for the practice but fitted without times is the text model
    assert not with_practice().fit(docs, labels).uses_practice


def test_a_model_stored_before_the_practice_features_still_loads() -> None:
    rows = shifted_examples()
    model = ml.TextModel(embeddings=False).fit([ml.prepare(e.text) for e in rows], [e.label for e in rows])
    state = model.__dict__.copy()
    for name in ("practice_k", "practice_weight", "practice_past_only", "practice_times", "practice_labels"):
        del state[name]
    old = ml.TextModel.__new__(ml.TextModel)
    old.__dict__.update(state)
    restored = pickle.loads(pickle.dumps(old))
    assert restored.practice_k == 0 and not restored.uses_practice
    assert restored.predict([ml.prepare("Нет горячей воды")])[0].label == HOUSING


def _write(path: Path, rows: list[ml.Example]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "executor"])
        for e in rows:
            writer.writerow([int((e.time or 0.0) * 2), e.text, e.label])  # the id: arrival order


def test_evaluate_command_reads_the_practice_from_the_time_column(tmp_path: Path) -> None:
    path = tmp_path / "routed.csv"
    _write(path, shifted_examples())
    out = StringIO()
    call_command(
        "evaluate", str(path), "--text-col", "text", "--label-col", "executor", "--time-col", "id",
        "--recent-practice", "10", "--no-embeddings", stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "routing practice: the 10 training rows nearest by id" in text
    accuracy = float(text.split("accuracy ")[1].split()[0])
    assert accuracy >= 0.95
    assert ml.read_labeled_csv(path, text_col="text", label_col="executor", time_col="id")[0].time is not None


def test_evaluate_command_needs_a_time_column_for_the_practice(tmp_path: Path) -> None:
    path = tmp_path / "routed.csv"
    _write(path, shifted_examples())
    with pytest.raises(CommandError, match="--time-col"):
        call_command(
            "evaluate", str(path), "--text-col", "text", "--label-col", "executor", "--recent-practice", "5"
        )
