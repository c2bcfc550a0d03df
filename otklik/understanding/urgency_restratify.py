"""Strata of the unread texts by a round's frozen score (``docs/annotation/urgency.md``, waves 11-18).

When the cue strata had run out, the distinct texts no earlier wave drew were restratified by what the
detector shipped at the time — the combined verdict and p of the rules and the learned model — made of
them (:class:`~.urgency_annotations.FrozenScore`: round 8 after wave 10, 9 after 11, 10 after 12,
11 after 13, 12 after 14, 13 after 15, 14 after 16, 15 after 17):

* ``r<N>_flagged`` — the combined verdict is urgent;
* ``r<N>_near`` — not urgent, but the rules flag it (the model vetoed it), p ≥ :data:`NEAR_P`, or
  (from round 9 on, ``near_on_guard``) a guard dropped a cue;
* ``r<N>_rest`` — the others.

The assignment is computed once and committed as ids only (``FrozenScore.file``:
``dataset,id,stratum`` of the flagged and near texts; every other unread text is in the rest), so the
strata stay where that round put them when a later round changes the detector. ``FrozenScore.fingerprint``
names the detector that computed it (:func:`detector_fingerprint`); :func:`write_frozen_strata` writes
the file only with that detector shipped, and the test recomputes it from the commit that wrote it.

    .venv/bin/python -m otklik.understanding.urgency_restratify 15   # writes urgency_draw_r15.csv
"""

from __future__ import annotations

import csv
import hashlib
import sys
from collections.abc import Mapping
from pathlib import Path

from .text import analyze
from .urgency import read_rules
from .urgency.learned import MODEL_FILE, combine, load_model
from .urgency_annotations import (
    FROZEN_SCORES,
    SPB,
    Appeal,
    FrozenScore,
    Unit,
    read_frozen_draw,
    stratify,
    unread_after,
)
from .urgency_training import UNKNOWN_MONTH

NEAR_P = 0.20
URGENCY_PACKAGE = Path(__file__).resolve().parent / "urgency"


def detector_fingerprint() -> str:
    """SHA-256 of the shipped detector: the urgency package's sources and the model file."""
    digest = hashlib.sha256()
    for path in [*sorted(URGENCY_PACKAGE.glob("*.py")), MODEL_FILE]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def strata_before(
    appeals: Mapping[str, list[Appeal]], frozen: FrozenScore
) -> dict[tuple[str, str], list[Unit]]:
    """The strata ``frozen`` is computed on: the cue strata and the committed files of the frozen scores
    before it (their waves decide which texts are still unread)."""
    earlier = {f: read_frozen_draw(f) for f in FROZEN_SCORES if f.after_wave < frozen.after_wave}
    return stratify(appeals, frozen=earlier)


def score_strata(
    appeals: Mapping[str, list[Appeal]], strata: Mapping[tuple[str, str], list[Unit]], frozen: FrozenScore
) -> dict[tuple[str, str], str]:
    """(dataset, id) → ``frozen``'s stratum of every distinct text unread after wave ``frozen.after_wave``,
    by the shipped rules and model (each text read in the month of its first row, as annotated)."""
    model = load_model()
    if model is None:
        raise RuntimeError(f"No learned model at {MODEL_FILE}")
    month = {(a.dataset, a.id): a.month for rows in appeals.values() for a in rows}
    out: dict[tuple[str, str], str] = {}
    for unit in unread_after(strata, frozen.after_wave):
        analyzed = analyze(unit.text)
        reading = read_rules(analyzed, month[(unit.dataset, unit.id)] or UNKNOWN_MONTH)
        rules = reading.urgency.is_urgent
        guarded = bool(reading.guards)
        p = model.score(analyzed, reading.hits)
        if combine(rules, p, model.with_rules, model.alone, guarded=guarded, with_guard=model.with_guard):
            stratum = frozen.flagged
        elif rules or p >= NEAR_P or (frozen.near_on_guard and guarded):
            stratum = frozen.near
        else:
            stratum = frozen.rest
        out[(unit.dataset, unit.id)] = stratum
    return out


def write_draw_file(assignment: Mapping[tuple[str, str], str], path: Path, rest: str) -> int:
    """Write the ids of every stratum but ``rest`` (the unread rest); rows written."""
    listed = sorted(
        ((d, i, s) for (d, i), s in assignment.items() if s != rest),
        key=lambda row: (row[0] != SPB, int(row[1])),
    )
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["dataset", "id", "stratum"])
        writer.writerows(listed)
    return len(listed)


def write_frozen_strata(frozen: FrozenScore, appeals: Mapping[str, list[Appeal]] | None = None) -> int:
    """Score the unread texts by the shipped detector, which must be ``frozen``'s, and write its file."""
    from .urgency_annotations import read_appeals

    if detector_fingerprint() != frozen.fingerprint:
        raise RuntimeError(f"The shipped detector is not round {frozen.round}'s ({detector_fingerprint()})")
    appeals = appeals or read_appeals()
    return write_draw_file(
        score_strata(appeals, strata_before(appeals, frozen), frozen), frozen.file, frozen.rest
    )


def main(argv: list[str]) -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
    django.setup()
    frozen = {f.round: f for f in FROZEN_SCORES}[int(argv[0])]
    print(f"{frozen.file.name}: {write_frozen_strata(frozen)} rows")


if __name__ == "__main__":
    main(sys.argv[1:])
