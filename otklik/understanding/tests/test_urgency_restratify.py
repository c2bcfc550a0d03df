"""Wave 11's strata: the texts no wave 1-10 drew, by round 8's frozen score (urgency.md).

Only counts are asserted: no test prints or reads a drawn row of wave 11 (it is read blind).
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
# Unread distinct texts per (data set, stratum): all, held-out (docs/annotation/urgency.md).
DOCUMENTED = {
    (ua.SPB, ua.R8_FLAGGED): (148, 38),
    (ua.SPB, ua.R8_NEAR): (556, 155),
    (ua.SPB, ua.R8_REST): (11_327, 3_175),
    (ua.KURSK, ua.R8_FLAGGED): (82, 17),
    (ua.KURSK, ua.R8_NEAR): (118, 17),
    (ua.KURSK, ua.R8_REST): (1_691, 383),
}


def test_the_r8_file_lists_ids_and_the_two_named_strata_only() -> None:
    listed = ua.read_r8_draw()
    assert set(listed.values()) == {ua.R8_FLAGGED, ua.R8_NEAR}
    assert {d for d, _ in listed} == {ua.SPB, ua.KURSK} and all(i.isdigit() for _, i in listed)
    assert len(listed) == sum(n for (_, s), (n, _) in DOCUMENTED.items() if s != ua.R8_REST)


def test_a_wave_of_r8_strata_draws_the_unread_texts_under_the_new_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = [ua.Unit(ua.SPB, str(i), "", (str(i),)) for i in range(10)]
    strata = {(ua.SPB, "cue_strong"): read}
    waves = ((1, {(ua.SPB, "cue_strong"): 4}, False),)
    monkeypatch.setattr(ua, "WAVES", waves)
    monkeypatch.setattr(ua, "R8_AFTER_WAVE", 1)
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
    counts = {key: (len(strata[key]), sum(held_out(key[0], u.id) for u in strata[key])) for key in DOCUMENTED}
    assert counts == DOCUMENTED
    unread = {(u.dataset, u.id) for u in ua.unread_after(strata, ua.R8_AFTER_WAVE)}
    assert {(u.dataset, u.id) for key in DOCUMENTED for u in strata[key]} == unread
    assert set(ua.read_r8_draw()) <= unread
    # Wave 11 (counted only, never listed): its sizes, the new names, nothing read before, and the
    # held-out preference where a stratum has enough held-out texts.
    seed, sizes, _ = ua.WAVES[10]
    assert seed == 20261216  # FRESH_WAVE stays 10 until its rows are labelled; then 11
    wave11 = [row for row in ua.draw_sample(strata, through_wave=11) if row[3] == 11]
    assert Counter((d, s) for d, _, s, _ in wave11) == sizes
    assert {(d, i) for d, i, _, _ in wave11} <= unread
    held = Counter((d, s) for d, i, s, _ in wave11 if held_out(d, i))
    for key, n in sizes.items():
        if DOCUMENTED[key][1] >= n:
            assert held[key] == n, key


# The commit that wrote urgency_draw_r8.csv, whose shipped detector is round 8's (its fingerprint is
# ROUND8_FINGERPRINT): once the detector moves on, round 8 is run from it, in its own process.
R8_COMMIT = "f9c1f1a"
_ROUND8_IN_ITS_OWN_TREE = """
import json, os, sys
sys.path.insert(0, os.getcwd())
os.environ["DJANGO_SETTINGS_MODULE"] = "otklik.settings"
import django
django.setup()
from otklik.understanding import urgency_annotations as ua, urgency_restratify as ur
assert ur.round8_fingerprint() == ur.ROUND8_FINGERPRINT, "not round 8's detector"
appeals = ua.read_appeals()
computed = ur.score_strata(appeals, ua.stratify(appeals, r8={}))
print(json.dumps(sorted([list(k), s] for k, s in computed.items() if s != ua.R8_REST)))
"""


def _round8_tree(tmp_path: Path) -> Path | None:
    """Round 8's code (``R8_COMMIT``) beside a link to ../shared, or None without that git history."""
    root = Path(__file__).resolve().parents[3]
    if shutil.which("git") is None or not (root / ".git").exists():
        return None
    probe = subprocess.run(["git", "-C", str(root), "cat-file", "-e", f"{R8_COMMIT}^{{commit}}"], check=False)
    if probe.returncode != 0:
        return None
    tree = tmp_path / "otklik-r8"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", R8_COMMIT, "otklik"], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    (tmp_path / "shared").symlink_to(shared_data().parent)
    return tree


@needs_data
def test_the_r8_file_is_what_round_8_computes(tmp_path: Path) -> None:
    if ur.round8_fingerprint() == ur.ROUND8_FINGERPRINT:
        appeals = ua.read_appeals()
        computed = ur.score_strata(appeals, ua.stratify(appeals, r8={}))
        listed = {key: s for key, s in computed.items() if s != ua.R8_REST}
    else:  # the shipped detector moved on (round 9): round 8 from the commit that wrote the file
        tree = _round8_tree(tmp_path)
        if tree is None:
            pytest.skip(f"round 8's detector is in commit {R8_COMMIT}, not in this checkout's git history")
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        done = subprocess.run(
            [sys.executable, "-c", _ROUND8_IN_ITS_OWN_TREE],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        listed = {(d, i): s for (d, i), s in json.loads(done.stdout.strip().splitlines()[-1])}
    assert listed == ua.read_r8_draw()
