"""The combined urgency verdict's errors on one wave's development rows, with what each came from.

For every row of a wave it recomputes what ``otklik evaluate-urgency`` acts on — the rules
(:func:`urgency.read_rules`: verdict, cue kinds found, guards that dropped one) and the learned model's
probability, combined by :func:`urgency.learned.combine` — and lists the false alarms and misses of the
**development** rows with a coarse cause:

* ``veto`` — the rules said urgent, the model's p is under the with-rules threshold (a miss);
* ``guard:<names>`` — a cue's words were found, a guard dropped every one (past, hypothesis, …);
* ``no cue`` — no cue's words at all and the model below its own threshold (a miss);
* ``rules and model`` (p ≥ the model-alone threshold too) / ``rules, not vetoed`` (p between the two
  thresholds) / ``model alone`` — who raised a false alarm.

**Held-out rows are counted, never listed**: their text, note and id are not touched for output
(``docs/annotation/README.md``). ``bench/urgency_errors.py`` is the command line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .text import AnalyzedText, analyze
from .urgency import read_rules
from .urgency.learned import combine
from .urgency_annotations import AnnotatedAppeal
from .urgency_training import UNKNOWN_MONTH

Score = Callable[[AnalyzedText, list[str]], float]


@dataclass(frozen=True)
class Error:
    dataset: str
    id: str
    label: str
    borderline: bool
    rules: bool  # the rules' verdict
    kinds: tuple[str, ...]  # the rules' kinds (kept cues)
    matched: tuple[str, ...]  # cue kinds whose words were found, kept or dropped
    guards: tuple[str, ...]  # guards that dropped a cue
    terms: tuple[str, ...]
    p: float
    cause: str
    note: str
    text: str

    @property
    def miss(self) -> bool:
        return self.label != "none"


@dataclass
class WaveErrors:
    wave: int
    rows: int = 0
    urgent: int = 0
    errors: list[Error] = field(default_factory=list)  # development rows only
    held_out_rows: int = 0
    held_out_false_alarms: int = 0
    held_out_misses: int = 0
    held_out_causes: Counter[tuple[str, str]] = field(default_factory=Counter)  # counts, no ids
    # (stratum, "miss" / "false alarm", coarse cause) over both parts: counts, no ids
    by_stratum: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def causes(self) -> Counter[tuple[str, str]]:
        return Counter(("miss" if e.miss else "false alarm", e.cause) for e in self.errors)


def cause_of(
    urgent: bool, rules: bool, matched: Iterable[str], guards: Iterable[str], source: str | None
) -> str:
    """The coarse cause of an error (see the module's docstring)."""
    if not urgent:
        if source == "rules only":
            return "rules"
        return {"model": "model alone", "both": "rules and model"}.get(source or "", "rules, not vetoed")
    if rules:
        return "veto"
    if guards:
        return "guard:" + ",".join(sorted(guards))
    if matched:
        return "cue found, not kept"
    return "no cue"


def wave_errors(
    rows: Sequence[AnnotatedAppeal],
    wave: int,
    score: Score | None,
    with_rules: float,
    alone: float,
    with_guard: float = 1.0,
) -> WaveErrors:
    """The combined verdict's errors on ``wave``; ``score`` None gives the rules alone."""
    out = WaveErrors(wave)
    for row in rows:
        if row.wave != wave:
            continue
        out.rows += 1
        out.urgent += row.urgent
        analyzed = analyze(row.text)
        reading = read_rules(analyzed, row.month or UNKNOWN_MONTH)
        rules = reading.urgency.is_urgent
        p = score(analyzed, reading.hits) if score is not None else (1.0 if rules else 0.0)
        if score is not None:
            source = combine(rules, p, with_rules, alone, guarded=bool(reading.guards), with_guard=with_guard)
        else:
            source = "rules only" if rules else None
        if (source is not None) == row.urgent:
            continue
        cause = cause_of(row.urgent, rules, reading.matched, reading.guards, source)
        out.by_stratum[(row.stratum, "miss" if row.urgent else "false alarm", cause.split(":")[0])] += 1
        if row.held_out:
            result_cause = ("miss" if row.urgent else "false alarm", cause.split(":")[0])
            out.held_out_causes[result_cause] += 1
            if row.urgent:
                out.held_out_misses += 1
            else:
                out.held_out_false_alarms += 1
            continue
        out.errors.append(
            Error(
                row.dataset,
                row.id,
                row.label,
                row.borderline,
                rules,
                tuple(reading.urgency.kinds),
                tuple(sorted(reading.matched)),
                tuple(sorted(reading.guards)),
                tuple(reading.urgency.terms),
                p,
                cause,
                row.note,
                row.text,
            )
        )
    out.held_out_rows = sum(1 for r in rows if r.wave == wave and r.held_out)
    return out


def format_errors(result: WaveErrors, *, text: int = 0) -> list[str]:
    """The error table; ``text`` > 0 adds that many characters of each development row's text."""
    lines = [
        f"wave {result.wave}: {result.rows} rows, {result.urgent} urgent; "
        f"development errors listed: {len(result.errors)}; held-out rows {result.held_out_rows} "
        f"(counted only): {result.held_out_false_alarms} false alarms, {result.held_out_misses} misses"
    ]
    for e in sorted(result.errors, key=lambda e: (not e.miss, e.cause, e.dataset, e.id)):
        what = "MISS" if e.miss else "FALSE"
        lines.append(
            f"{what} {e.dataset} {e.id} [{e.label}{' ?' if e.borderline else ''}]"
            f" rules={'U' if e.rules else '-'}"
            f" kinds={','.join(e.kinds) or '-'} matched={','.join(e.matched) or '-'}"
            f" guards={','.join(e.guards) or '-'} p={e.p:.3f} cause={e.cause}"  # p 1/0: rules only
            f" terms={'; '.join(e.terms) or '-'}"
        )
        lines.append(f"    note: {e.note}")
        if text:
            lines.append(f"    text: {e.text[:text]}")
    lines.append("causes: " + _causes(result.causes()))
    if result.held_out_causes:
        lines.append("held-out causes (counts only): " + _causes(result.held_out_causes))
    if result.by_stratum:
        lines.append(
            "by stratum, both parts (counts only): "
            + "; ".join(f"{s} {w} / {c}: {n}" for (s, w, c), n in sorted(result.by_stratum.items()))
        )
    return lines


def _causes(counts: Counter[tuple[str, str]]) -> str:
    return "; ".join(f"{w} / {c}: {n}" for (w, c), n in sorted(counts.items()))
