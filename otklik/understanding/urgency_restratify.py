"""The strata of the unread texts by round 8's frozen score (``docs/annotation/urgency.md``, wave 11).

After wave 10 the cue strata had run out (2 unread ``cue_strong`` texts in St Petersburg, none in
Kursk), so every distinct text no wave 1–10 drew is restratified by what round 8 — the combined
verdict and p of the rules and the learned model as shipped when wave 11 was defined — made of it:

* ``r8_flagged`` — the combined verdict is urgent;
* ``r8_near`` — not urgent, but the rules flag it (the model vetoed it) or p ≥ :data:`NEAR_P`;
* ``r8_rest`` — the others.

The assignment is computed once and committed as ids only
(``data/annotations/urgency_draw_r8.csv``: ``dataset,id,stratum`` of the ``r8_flagged`` and ``r8_near``
texts; every other unread text is ``r8_rest``), so the strata stay where round 8 put them when a later
round changes the detector. :func:`round8_fingerprint` names the detector that computed it; the test
recomputes the file only while the shipped detector is still that one.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Mapping
from pathlib import Path

from .text import analyze
from .urgency import read_rules
from .urgency.learned import MODEL_FILE, combine, load_model
from .urgency_annotations import (
    R8_AFTER_WAVE,
    R8_DRAW_FILE,
    R8_FLAGGED,
    R8_NEAR,
    R8_REST,
    SPB,
    Appeal,
    Unit,
    unread_after,
)
from .urgency_training import UNKNOWN_MONTH

NEAR_P = 0.20
URGENCY_PACKAGE = Path(__file__).resolve().parent / "urgency"
# round8_fingerprint() of the detector that wrote urgency_draw_r8.csv (main at a702fb9: round 8).
ROUND8_FINGERPRINT = "6286ff183055e1e94890ff89c29096037fe4c004d39113dbbc86cfb15abfebe8"


def round8_fingerprint() -> str:
    """SHA-256 of the shipped detector: the urgency package's sources and the model file."""
    digest = hashlib.sha256()
    for path in [*sorted(URGENCY_PACKAGE.glob("*.py")), MODEL_FILE]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def score_strata(
    appeals: Mapping[str, list[Appeal]], strata: Mapping[tuple[str, str], list[Unit]]
) -> dict[tuple[str, str], str]:
    """(dataset, id) → ``r8_*`` stratum of every distinct text unread after wave :data:`R8_AFTER_WAVE`,
    by the shipped rules and model (each text read in the month of its first row, as annotated)."""
    model = load_model()
    if model is None:
        raise RuntimeError(f"No learned model at {MODEL_FILE}")
    month = {(a.dataset, a.id): a.month for rows in appeals.values() for a in rows}
    out: dict[tuple[str, str], str] = {}
    for unit in unread_after(strata, R8_AFTER_WAVE):
        analyzed = analyze(unit.text)
        reading = read_rules(analyzed, month[(unit.dataset, unit.id)] or UNKNOWN_MONTH)
        rules = reading.urgency.is_urgent
        p = model.score(analyzed, reading.hits)
        if combine(rules, p, model.with_rules, model.alone) is not None:
            stratum = R8_FLAGGED
        elif rules or p >= NEAR_P:
            stratum = R8_NEAR
        else:
            stratum = R8_REST
        out[(unit.dataset, unit.id)] = stratum
    return out


def write_draw_file(assignment: Mapping[tuple[str, str], str], path: Path = R8_DRAW_FILE) -> int:
    """Write the ``r8_flagged`` and ``r8_near`` ids (``r8_rest`` is the unread rest); rows written."""
    listed = sorted(
        ((d, i, s) for (d, i), s in assignment.items() if s != R8_REST),
        key=lambda row: (row[0] != SPB, int(row[1])),
    )
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["dataset", "id", "stratum"])
        writer.writerows(listed)
    return len(listed)
