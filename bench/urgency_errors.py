"""The combined urgency verdict's errors on one wave's development rows, with a coarse cause each.

    .venv/bin/python bench/urgency_errors.py [--wave N (default FRESH_WAVE)] [--rules-only] [--text 160]

Recomputes the rules' reading (verdict, cue kinds, guards) and the shipped model's p for every row of
the wave, as ``otklik evaluate-urgency`` combines them, and prints each development row's false alarm
or miss (``otklik.understanding.urgency_errors``). Held-out rows are counted, never listed. The p is
the shipped model's: a first-sight figure only for waves after ``TRAINED_THROUGH_WAVE``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")

import django

django.setup()

from otklik.understanding import urgency_annotations as ua  # noqa: E402
from otklik.understanding.urgency.learned import load_model  # noqa: E402
from otklik.understanding.urgency_errors import format_errors, wave_errors  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wave", type=int, default=ua.FRESH_WAVE)
    parser.add_argument("--rules-only", action="store_true", help="the rules' verdict alone")
    parser.add_argument("--text", type=int, default=0, help="characters of each development row's text")
    args = parser.parse_args()
    model = None if args.rules_only else load_model()
    score = model.score if model is not None else None
    rows = ua.released(ua.annotated_appeals())
    result = wave_errors(
        rows,
        args.wave,
        score,
        model.with_rules if model else 0.0,
        model.alone if model else 1.0,
        model.with_guard if model else 1.0,
    )
    for line in format_errors(result, text=args.text):
        print(line)


if __name__ == "__main__":
    main()
