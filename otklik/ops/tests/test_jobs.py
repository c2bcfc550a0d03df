"""A periodic job runs once however many processes call it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.ops.jobs import claim, run_once
from otklik.ops.models import JobRun

pytestmark = pytest.mark.django_db


def test_second_process_skips_a_job_already_run():
    calls = []
    now = timezone.now()
    assert run_once("rollups", 60, lambda: calls.append(1), now=now).ran
    assert not run_once("rollups", 60, lambda: calls.append(2), now=now + timedelta(seconds=5)).ran
    assert calls == [1]
    row = JobRun.objects.get(name="rollups")
    assert row.runs == 1 and row.ok and row.finished_at is not None and row.every == 60


def test_job_is_due_again_after_its_interval():
    now = timezone.now()
    assert claim("overdue", 60, now=now)
    assert not claim("overdue", 60, now=now + timedelta(seconds=30))
    assert claim("overdue", 60, now=now + timedelta(seconds=50))  # 0.8 of the interval: clocks drift
    assert JobRun.objects.get(name="overdue").runs == 2


def test_failure_is_recorded_not_raised():
    outcome = run_once("broken", 60, lambda: {}["missing"])
    assert outcome.ran and outcome.error
    row = JobRun.objects.get(name="broken")
    assert not row.ok and "KeyError" in row.error


def test_a_registered_job_runs_once_however_many_schedulers_call_it():
    from otklik import periodic

    calls = []
    job = periodic.Job("scheduled-twice", 60, lambda: calls.append(1) or "done")
    assert periodic.run(job) == "done"  # a web process's runner
    assert periodic.run(job) is None  # beat, or a second web process, in the same minute
    assert calls == [1]
    assert JobRun.objects.get(name="scheduled-twice").runs == 1
