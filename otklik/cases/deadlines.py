"""Deadlines: pick the policy for a case and compute when the agency must answer.

PLACEHOLDER INTERFACE — being replaced by the full implementation over the production calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from otklik.directory.models import DeadlinePolicy

if TYPE_CHECKING:
    from .models import Case


@dataclass(frozen=True)
class DeadlineResult:
    policy: DeadlinePolicy | None
    deadline_at: datetime
    interim_deadline_at: datetime | None


def deadline_for_case(case: Case, start: datetime) -> DeadlineResult:
    return DeadlineResult(policy=None, deadline_at=start + timedelta(days=1), interim_deadline_at=None)


def working_minutes(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))
