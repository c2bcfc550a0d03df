"""Waves 11-18's strata: the texts no earlier wave drew, by round 8's, 9's, 10's, 11's, 12's, 13's, 14's
and 15's frozen score (urgency.md, ``FrozenScore``).

Only counts are asserted: no test prints or reads a drawn row of waves 11-18 (they are read blind).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from otklik.understanding import urgency_annotations as ua
from otklik.understanding import urgency_restratify as ur
from otklik.understanding.annotations import held_out, shared_data

needs_data = pytest.mark.skipif(
    not (shared_data() / ua.SPB).exists() or not (shared_data() / ua.KURSK).exists(),
    reason=f"the real appeals live in {shared_data()} (not shipped with the project)",
)
# Unread distinct texts per (data set, stratum): all, held-out (docs/annotation/urgency.md), per frozen
# score in the order flagged / near / rest, St Petersburg then Kursk.
_COUNTS = {
    ua.R8: (((148, 38), (556, 155), (11_327, 3_175)), ((82, 17), (118, 17), (1_691, 383))),
    ua.R9: (((107, 28), (468, 75), (11_286, 3_128)), ((60, 8), (90, 17), (1_661, 359))),
    ua.R10: (((66, 14), (707, 144), (10_918, 3_032)), ((44, 6), (99, 15), (1_588, 350))),
    ua.R11: (((57, 14), (421, 72), (11_043, 3_069)), ((26, 4), (48, 4), (1_577, 347))),
    ua.R12: (((18, 6), (268, 52), (11_065, 3_064)), ((6, 1), (13, 2), (1_552, 340))),
    # Round 13 flags no unread Kursk text: Kursk r13_flagged is empty (wave 16 draws nothing there).
    ua.R13: (((10, 2), (96, 17), (11_097, 3_068)), ((0, 0), (1, 0), (1_531, 336))),
    # Round 14 flags two unread St Petersburg texts and no Kursk one (wave 17 draws nothing there).
    ua.R14: (((2, 1), (48, 10), (11_013, 3_051)), ((0, 0), (4, 2), (1_507, 328))),
    # Round 15 (own and guard arms off) flags one unread St Petersburg text and no Kursk one (wave 18 draws
    # nothing there); its near holds the texts with p >= NEAR_P the rules do not flag.
    ua.R15: (((1, 0), (344, 92), (10_588, 2_938)), ((0, 0), (101, 32), (1_366, 292))),
}
DOCUMENTED = {
    frozen: {
        (d, s): n
        for d, per_stratum in zip((ua.SPB, ua.KURSK), counts, strict=True)
        for s, n in zip(frozen.strata, per_stratum, strict=True)
    }
    for frozen, counts in _COUNTS.items()
}
DOCUMENTED_R8 = DOCUMENTED[ua.R8]


@pytest.mark.parametrize("frozen", ua.FROZEN_SCORES, ids=lambda f: f"r{f.round}")
def test_the_frozen_file_lists_ids_and_the_two_named_strata_only(frozen: ua.FrozenScore) -> None:
    listed = ua.read_frozen_draw(frozen)
    assert set(listed.values()) == {frozen.flagged, frozen.near}
    assert {d for d, _ in listed} == {ua.SPB, ua.KURSK} and all(i.isdigit() for _, i in listed)
    assert len(listed) == sum(n for (_, s), (n, _) in DOCUMENTED[frozen].items() if s != frozen.rest)
    assert (frozen.after_wave, frozen.flagged, frozen.rest) == (
        frozen.round + 2,
        f"r{frozen.round}_flagged",
        f"r{frozen.round}_rest",
    )


def test_each_frozen_score_names_its_own_strata_apart_from_the_cue_strata() -> None:
    names = [s for f in ua.FROZEN_SCORES for s in f.strata]
    assert len(set(names)) == len(names) and not set(names) & set(ua.STRATA)
    assert [f.after_wave for f in ua.FROZEN_SCORES] == sorted({f.after_wave for f in ua.FROZEN_SCORES})
    # wave 17 read blind, fresh after round 15's freeze; wave 18 defined by round 15's score, not yet read
    assert ua.FRESH_WAVE == 17 and len(ua.WAVES) == 18


def test_only_the_latest_frozen_score_may_be_the_shipped_detector() -> None:
    # Its file is recomputed in process; every earlier one from the commit that wrote its file (round 15
    # ships: r15 in process, r14 from 7397d6b). A detector change after a round's freeze moves the
    # latest one to its commit too.
    shipped = ur.detector_fingerprint()
    assert len({f.fingerprint for f in ua.FROZEN_SCORES}) == len(ua.FROZEN_SCORES)
    latest = ua.FROZEN_SCORES[-1].round
    assert [f.round for f in ua.FROZEN_SCORES if f.fingerprint == shipped] in ([], [latest])


def test_a_wave_of_r8_strata_draws_the_unread_texts_under_the_new_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = [ua.Unit(ua.SPB, str(i), "", (str(i),)) for i in range(10)]
    strata = {(ua.SPB, "cue_strong"): read}
    waves = ((1, {(ua.SPB, "cue_strong"): 4}, False),)
    monkeypatch.setattr(ua, "WAVES", waves)
    drawn = {i for _, i, _, _ in ua.draw_sample(strata, through_wave=1)}
    unread = ua.unread_after(strata, 1)
    assert {u.id for u in unread} == {str(i) for i in range(10)} - drawn
    flagged = sorted(unread, key=lambda u: int(u.id))[0]
    full = {**strata, (ua.SPB, ua.R8_FLAGGED): [flagged], (ua.SPB, ua.R8_REST): unread[1:]}
    monkeypatch.setattr(
        ua, "WAVES", (*waves, (2, {(ua.SPB, ua.R8_FLAGGED): 1, (ua.SPB, ua.R8_REST): 2}, False))
    )
    second = [row for row in ua.draw_sample(full, through_wave=2) if row[3] == 2]
    assert Counter(s for _, _, s, _ in second) == {ua.R8_FLAGGED: 1, ua.R8_REST: 2}
    assert not {i for _, i, _, _ in second} & drawn


@needs_data
def test_the_r8_strata_are_the_unread_texts_and_wave_11_draws_its_sizes_from_them() -> None:
    strata = ua.stratify(ua.read_appeals())
    counts = {
        key: (len(strata[key]), sum(held_out(key[0], u.id) for u in strata[key])) for key in DOCUMENTED_R8
    }
    assert counts == DOCUMENTED_R8
    unread = {(u.dataset, u.id) for u in ua.unread_after(strata, ua.R8.after_wave)}
    assert {(u.dataset, u.id) for key in DOCUMENTED_R8 for u in strata[key]} == unread
    assert set(ua.read_frozen_draw(ua.R8)) <= unread
    # Wave 11 (counted only, never listed): its sizes, the new names, nothing read before, and the
    # held-out preference where a stratum has enough held-out texts.
    seed, sizes, _ = ua.WAVES[10]
    assert seed == 20261216  # FRESH_WAVE stays 10 until its rows are labelled; then 11
    wave11 = [row for row in ua.draw_sample(strata, through_wave=11) if row[3] == 11]
    assert Counter((d, s) for d, _, s, _ in wave11) == sizes
    assert {(d, i) for d, i, _, _ in wave11} <= unread
    held = Counter((d, s) for d, i, s, _ in wave11 if held_out(d, i))
    for key, n in sizes.items():
        if DOCUMENTED_R8[key][1] >= n:
            assert held[key] == n, key


@needs_data
@pytest.mark.parametrize(
    ("frozen", "seed", "total", "development", "rest"),
    [
        (ua.R9, 20261217, 250, 196, (40, 20)),
        (ua.R10, 20261218, 250, 199, (40, 20)),
        (ua.R11, 20261219, 250, 205, (40, 20)),
        (ua.R12, 20261220, 187, 145, (40, 20)),
        (ua.R13, 20261221, 161, 130, (40, 20)),
        (ua.R14, 20261222, 174, 136, (80, 40)),  # the rest draws doubled (urgency.md "Wave 17 as defined")
        (ua.R15, 20261223, 251, 188, (80, 40)),  # sized as wave 17 (urgency.md "Wave 18 as defined")
    ],
    ids=["r9_wave12", "r10_wave13", "r11_wave14", "r12_wave15", "r13_wave16", "r14_wave17", "r15_wave18"],
)
def test_the_frozen_strata_are_the_texts_no_earlier_wave_read_and_the_next_wave_draws_its_sizes_from_them(
    frozen: ua.FrozenScore, seed: int, total: int, development: int, rest: tuple[int, int]
) -> None:
    strata = ua.stratify(ua.read_appeals())
    documented = DOCUMENTED[frozen]
    counts = {  # an empty stratum (wave 16's Kursk r13_flagged) is absent from stratify's output
        key: (len(strata.get(key, [])), sum(held_out(key[0], u.id) for u in strata.get(key, [])))
        for key in documented
    }
    assert counts == documented
    read_before = {(d, i) for d, i, _, _ in ua.draw_sample(strata, through_wave=frozen.after_wave)}
    unread = {(u.dataset, u.id) for u in ua.unread_after(strata, frozen.after_wave)}
    waves_before = ua.WAVES[: frozen.after_wave]
    assert not unread & read_before and len(read_before) == sum(sum(n.values()) for _, n, _ in waves_before)
    assert {(u.dataset, u.id) for key in documented for u in strata.get(key, [])} == unread
    assert set(ua.read_frozen_draw(frozen)) <= unread
    # The next wave (counted only, never listed): its sizes from this round's strata, nothing read
    # before, and no held-out preference: each stratum of both data sets gives development and held-out rows.
    wave = frozen.after_wave + 1
    assert (ua.WAVES[wave - 1][0], ua.WAVES[wave - 1][2]) == (seed, False)
    sizes = ua.WAVES[wave - 1][1]
    assert {s for _, s in sizes} == set(frozen.strata)
    # SPb 40 / 90 / rest, Kursk 20 / 40 / rest (40 / 20, waves 17-18 80 / 40); a stratum with fewer
    # unread texts takes all of them (wave 15), an empty one nothing (Kursk r13_flagged, r14_flagged,
    # r15_flagged: not in its sizes).
    nominal = ua.frozen_sizes(frozen, spb=(40, 90, rest[0]), kursk=(20, 40, rest[1]))
    assert sizes == {key: m for key, n in nominal.items() if (m := min(n, documented[key][0]))}
    drawn = [row for row in ua.draw_sample(strata, through_wave=wave) if row[3] == wave]
    assert Counter((d, s) for d, _, s, _ in drawn) == sizes and len(drawn) == total
    assert {(d, i) for d, i, _, _ in drawn} <= unread
    held = Counter((d, s, held_out(d, i)) for d, i, s, _ in drawn)
    for key, n in sizes.items():
        if n == documented[key][0]:  # taken whole: its held-out rows are the stratum's
            assert held[(*key, True)] == documented[key][1], key
        else:
            assert held[(*key, True)] and held[(*key, False)], key
    assert sum(n for (_, _, h), n in held.items() if not h) == development  # development rows to read
    # Wave 17 read whole and fresh (FRESH_WAVE raised after round 15 was frozen): the files are waves 1-17;
    # wave 18 is drawn only for the annotator until its rows are in.
    assert {row[3] for row in ua.draw_sample(strata)} == set(range(1, 18))


def test_a_wave_12_to_18_row_weighs_nothing_in_the_population_and_its_stratum_in_its_wave() -> None:
    from otklik.understanding.urgency_evaluation import wave_weights

    ids = [str(i) for i in range(1, 200) if not held_out(ua.SPB, str(i))][:10]
    units_ = [ua.Unit(ua.SPB, i, "", (i,)) for i in ids]
    # Ten texts of one cue stratum: waves 1-10 read one, wave 11 one of the r8 strata (the nine
    # unread), wave 12 one of r9_near (three of the six texts left unread), wave 13 one of r10_near
    # (two of the five texts left unread), wave 14 one of r11_near (two of the four texts left unread),
    # wave 15 one of r12_near (two of the three texts left unread), wave 16 one of r13_near (two of the
    # three texts left unread), wave 17 one of r14_near (two of the three texts left unread), wave 18 one
    # of r15_near (the two texts left unread).
    strata = {
        (ua.SPB, "cue_broad"): units_,
        (ua.SPB, ua.R8_REST): units_[1:],
        (ua.SPB, ua.R9_NEAR): units_[2:5],
        (ua.SPB, ua.R9_REST): units_[5:],
        (ua.SPB, ua.R10_NEAR): units_[3:5],
        (ua.SPB, ua.R10_REST): units_[5:],
        (ua.SPB, ua.R11_NEAR): units_[4:6],
        (ua.SPB, ua.R11_REST): units_[6:],
        (ua.SPB, ua.R12_NEAR): units_[5:7],
        (ua.SPB, ua.R12_REST): units_[7:],
        (ua.SPB, ua.R13_NEAR): units_[6:8],
        (ua.SPB, ua.R13_REST): units_[8:],
        (ua.SPB, ua.R14_NEAR): units_[7:9],
        (ua.SPB, ua.R14_REST): units_[9:],
        (ua.SPB, ua.R15_NEAR): units_[8:10],
    }
    rows = [
        ua.AnnotatedAppeal(ua.SPB, ids[0], "", None, "none", "cue_broad", "", 2),
        ua.AnnotatedAppeal(ua.SPB, ids[1], "", None, "none", ua.R8_REST, "", 11),
        ua.AnnotatedAppeal(ua.SPB, ids[2], "", None, "life_health", ua.R9_NEAR, "", 12),
        ua.AnnotatedAppeal(ua.SPB, ids[3], "", None, "life_health", ua.R10_NEAR, "", 13),
        ua.AnnotatedAppeal(ua.SPB, ids[4], "", None, "none", ua.R11_NEAR, "", 14),
        ua.AnnotatedAppeal(ua.SPB, ids[5], "", None, "life_health", ua.R12_NEAR, "", 15),
        ua.AnnotatedAppeal(ua.SPB, ids[6], "", None, "none", ua.R13_NEAR, "", 16),
        ua.AnnotatedAppeal(ua.SPB, ids[7], "", None, "life_health", ua.R14_NEAR, "", 17),
        ua.AnnotatedAppeal(ua.SPB, ids[8], "", None, "none", ua.R15_NEAR, "", 18),
    ]
    weights = ua.population_weights(rows, strata)
    assert weights == {(ua.SPB, ids[0]): 10.0, **{(ua.SPB, i): 0.0 for i in ids[1:9]}}
    assert wave_weights(rows, strata, 12) == {(ua.SPB, ids[2]): 3.0}
    assert wave_weights(rows, strata, 13) == {(ua.SPB, ids[3]): 2.0}
    assert wave_weights(rows, strata, 14) == {(ua.SPB, ids[4]): 2.0}
    assert wave_weights(rows, strata, 15) == {(ua.SPB, ids[5]): 2.0}
    assert wave_weights(rows, strata, 16) == {(ua.SPB, ids[6]): 2.0}
    assert wave_weights(rows, strata, 17) == {(ua.SPB, ids[7]): 2.0}
    assert wave_weights(rows, strata, 18) == {(ua.SPB, ids[8]): 2.0}


class _StubModel:
    """Round 13's arms (urgency_model.json): rules and p >= 0.32, p >= 0.88 alone, a guard's drop and
    p >= 0.86; p is given per text."""

    with_rules, alone, with_guard = 0.32, 0.88, 0.86

    def __init__(self, p: dict[str, float]) -> None:
        self.p = p

    def score(self, analyzed: str, hits: list[str]) -> float:
        return self.p[analyzed]

    def may_flag_without_rules(self, guarded: bool) -> bool:
        return True


class _StubModel15(_StubModel):
    """Round 15's point (urgency_model.json): rules and p >= 0.40, the own and guard arms off (1.00), so
    the model is not asked about a text the rules do not flag."""

    with_rules, alone, with_guard = 0.40, 1.0, 1.0

    def may_flag_without_rules(self, guarded: bool) -> bool:
        return False


def _assert_flagged_is_judges_urgent(
    monkeypatch: pytest.MonkeyPatch,
    cases: dict[str, tuple[bool, bool, float, str]],
    model: _StubModel,
    frozen: ua.FrozenScore,
) -> None:
    """``score_strata`` puts each text (rules flag it, a guard dropped a cue, p) in its stratum, and its
    flagged stratum is exactly what ``judge`` (the pipeline's verdict) calls urgent."""
    from otklik.understanding import urgency

    def read_rules(text: str, month: int) -> urgency.RuleReading:
        rules, guarded, _, _ = cases[text]
        guards = frozenset({"past"}) if guarded else frozenset()
        return urgency.RuleReading(urgency.Urgency(is_urgent=rules), frozenset(), guards)

    for module in (ur, urgency):
        monkeypatch.setattr(module, "analyze", lambda text: text)
        monkeypatch.setattr(module, "read_rules", read_rules)
        monkeypatch.setattr(module, "load_model", lambda: model)
    ids = {t: str(n) for n, t in enumerate(cases, start=1)}
    units_ = [ua.Unit(ua.SPB, ids[t], t, (ids[t],)) for t in cases]
    appeals = {ua.SPB: [ua.Appeal(ua.SPB, ids[t], t, 6) for t in cases]}
    computed = ur.score_strata(appeals, {(ua.SPB, "cue_broad"): units_}, frozen)
    assert computed == {(ua.SPB, ids[t]): c[3] for t, c in cases.items()}
    assert {t for t in cases if urgency.judge(t, month=6).is_urgent} == {
        t for t in cases if computed[(ua.SPB, ids[t])] == frozen.flagged
    }


def test_the_flagged_stratum_is_the_shipped_combined_verdict_with_the_own_and_guard_arms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # text -> (rules flag it, a guard dropped a cue, p, the stratum)
    cases = {
        "rules_kept": (True, False, 0.40, "r13_flagged"),
        "rules_vetoed": (True, False, 0.20, "r13_near"),
        "own_arm": (False, False, 0.90, "r13_flagged"),
        "guard_arm": (False, True, 0.87, "r13_flagged"),
        "guard_under_its_arm": (False, True, 0.50, "r13_near"),
        "p_near": (False, False, 0.25, "r13_near"),
        "nothing": (False, False, 0.05, "r13_rest"),
    }
    model = _StubModel({t: c[2] for t, c in cases.items()})
    _assert_flagged_is_judges_urgent(monkeypatch, cases, model, ua.FrozenScore(13, 0, "", near_on_guard=True))


def test_round_15s_flagged_stratum_is_the_shipped_verdict_with_the_own_and_guard_arms_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # near still takes p >= NEAR_P and a guard's drop, though the shipped verdict no longer asks the model
    # about a text the rules do not flag
    cases = {
        "rules_kept": (True, False, 0.40, "r15_flagged"),
        "rules_vetoed": (True, False, 0.39, "r15_near"),
        "rules_guarded_kept": (True, True, 0.50, "r15_flagged"),
        "no_own_arm": (False, False, 0.99, "r15_near"),
        "no_guard_arm": (False, True, 0.99, "r15_near"),
        "guard_only": (False, True, 0.05, "r15_near"),
        "p_near": (False, False, 0.20, "r15_near"),
        "nothing": (False, False, 0.19, "r15_rest"),
    }
    model = _StubModel15({t: c[2] for t, c in cases.items()})
    _assert_flagged_is_judges_urgent(monkeypatch, cases, model, ua.FrozenScore(15, 0, "", near_on_guard=True))


# A frozen score is run in the tree of the commit that wrote its file, in its own process, once the
# shipped detector has moved on (round 8's file: f9c1f1a, whose code predates FrozenScore). While round
# 15 is shipped r15 is recomputed in process; r14 is recomputed from the commit that wrote
# urgency_draw_r14.csv (7397d6b, urgency.md "Wave 17 as defined") since round 15 ships, and once round 16
# ships r15 is recomputed from the commit that wrote urgency_draw_r15.csv (urgency.md "Wave 18 as defined").
_FROZEN_IN_ITS_OWN_TREE = """
import json, os, sys
sys.path.insert(0, os.getcwd())
os.environ["DJANGO_SETTINGS_MODULE"] = "otklik.settings"
import django
django.setup()
from otklik.understanding import urgency_annotations as ua, urgency_restratify as ur
appeals = ua.read_appeals()
if hasattr(ua, "FROZEN_SCORES"):
    frozen = {f.round: f for f in ua.FROZEN_SCORES}[int(sys.argv[1])]
    assert ur.detector_fingerprint() == frozen.fingerprint, "not the detector that wrote the file"
    computed = ur.score_strata(appeals, ur.strata_before(appeals, frozen), frozen)
    rest = frozen.rest
else:  # round 8's own commit
    assert sys.argv[1] == "8" and ur.round8_fingerprint() == ur.ROUND8_FINGERPRINT, "not round 8's detector"
    computed = ur.score_strata(appeals, ua.stratify(appeals, r8={}))
    rest = ua.R8_REST
print(json.dumps(sorted([list(k), s] for k, s in computed.items() if s != rest)))
"""


def _writing_commit(frozen: ua.FrozenScore) -> str | None:
    """The commit that last wrote ``frozen.file``, or None without that git history."""
    root = Path(__file__).resolve().parents[3]
    if shutil.which("git") is None or not (root / ".git").exists():
        return None
    git = ["git", "-C", str(root)]
    shallow = subprocess.run([*git, "rev-parse", "--is-shallow-repository"], capture_output=True, text=True)
    if shallow.returncode != 0 or shallow.stdout.strip() != "false":
        return None
    relative = frozen.file.relative_to(root)
    done = subprocess.run(
        [*git, "log", "-1", "--format=%H", "--", str(relative)], capture_output=True, text=True
    )
    return done.stdout.strip() or None


def _tree_of(commit: str, tmp_path: Path) -> Path:
    """The commit's code beside a link to ../shared."""
    root = Path(__file__).resolve().parents[3]
    tree = tmp_path / "otklik-frozen"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", commit, "otklik"], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    (tmp_path / "shared").symlink_to(shared_data().parent)
    return tree


@needs_data
@pytest.mark.parametrize("frozen", ua.FROZEN_SCORES, ids=lambda f: f"r{f.round}")
def test_the_frozen_file_is_what_its_round_computes(frozen: ua.FrozenScore, tmp_path: Path) -> None:
    if ur.detector_fingerprint() == frozen.fingerprint:  # still the shipped detector
        appeals = ua.read_appeals()
        computed = ur.score_strata(appeals, ur.strata_before(appeals, frozen), frozen)
        listed = {key: s for key, s in computed.items() if s != frozen.rest}
    else:  # the shipped detector moved on: the round from the commit that wrote the file
        commit = _writing_commit(frozen)
        if commit is None:
            pytest.skip(f"round {frozen.round}'s detector is in the commit that wrote {frozen.file.name}")
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        done = subprocess.run(
            [sys.executable, "-c", _FROZEN_IN_ITS_OWN_TREE, str(frozen.round)],
            cwd=_tree_of(commit, tmp_path),
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        listed = {(d, i): s for (d, i), s in json.loads(done.stdout.strip().splitlines()[-1])}
    assert listed == ua.read_frozen_draw(frozen)
