"""One registry of periodic jobs, read alike by the in-process runner and by Celery beat."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from otklik import periodic
from otklik.celery import Scheduler, app, run_periodic_job
from otklik.intake.runner import Runner
from otklik.ops.models import JobRun

# What the apps register (name → interval in seconds, queue): the schedule beat had before.
EXPECTED = {
    "fetch-sources": (5.0, "intake"),
    "retrain-models": (3600.0, "understanding"),
    "mark-overdue": (60.0, "periodic"),
    "send-replies": (30.0, "notify"),
    "remind-deadlines": (300.0, "periodic"),
    "telegram-bot": (10.0, "notify"),
    "refresh-analytics-rollups": (60.0, "periodic"),
    "ask-about-deputies-replies": (3600.0, "periodic"),
    "deputies-rating": (300.0, "periodic"),
    "deputies-service-figures": (60.0, "periodic"),
    "official-pages-reminders": (3600.0, "periodic"),
}


@pytest.fixture
def only_these_jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, periodic.Job]]:
    jobs: dict[str, periodic.Job] = {}
    monkeypatch.setattr(periodic, "_jobs", jobs)
    yield jobs


def test_every_app_registers_its_jobs_and_each_resolves_to_a_function() -> None:
    found = {job.name: (job.every, job.queue) for job in periodic.jobs()}
    assert found == EXPECTED
    assert all(callable(job.function) for job in periodic.jobs())


@pytest.mark.django_db  # a run is claimed and recorded (otklik.ops.jobs)
def test_registering_is_one_line_and_a_name_is_taken_once(only_these_jobs) -> None:
    calls: list[int] = []
    job = periodic.register("count", 30, lambda: calls.append(1))
    assert periodic.register("count", 30, job.target) == job  # a second ready(): nothing changes
    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        periodic.register("count", 60, job.target)
    with pytest.raises(ImproperlyConfigured, match="positive"):
        periodic.register("never", 0, job.target)
    with pytest.raises(LookupError, match="no periodic job 'missing'; registered: count"):
        periodic.get("missing")
    periodic.run(periodic.get("count"))
    assert calls == [1]


def test_beat_schedules_every_registered_job_on_its_queue(tmp_path: Path) -> None:
    scheduler = Scheduler(app=app, schedule_filename=str(tmp_path / "beat"), lazy=True)
    scheduler.setup_schedule()
    try:
        for name, (every, queue) in EXPECTED.items():
            entry = scheduler.schedule[name]
            assert entry.task == periodic.TASK_NAME and entry.args == (name,)
            assert entry.schedule.run_every.total_seconds() == every
            assert entry.options["queue"] == queue
    finally:
        scheduler.close()


@pytest.mark.django_db
def test_the_celery_task_runs_a_job_by_its_name_and_its_run_is_recorded(only_these_jobs) -> None:
    periodic.register("answer", 60, lambda: 42)
    assert run_periodic_job.delay("answer").get() == 42
    row = JobRun.objects.get(name="answer")  # for the health page (otklik.ops.signals)
    assert (row.runs, row.every, row.ok) == (1, 60.0, True) and row.finished_at is not None
    with pytest.raises(LookupError):
        run_periodic_job("missing")


@pytest.mark.django_db
def test_the_runner_runs_each_job_at_its_own_interval_and_outlives_a_failing_one(
    only_these_jobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("otklik.intake.runner.drain_inbox", lambda: [])
    monkeypatch.setattr("otklik.ops.jobs.claim", lambda *args, **kwargs: True)  # the clock here is simulated
    calls: list[str] = []

    def broken() -> None:
        calls.append("broken")
        raise RuntimeError("boom")

    periodic.register("often", 5, lambda: calls.append("often"))
    periodic.register("broken", 10, broken)
    periodic.register("hourly", 3600, lambda: calls.append("hourly"))
    runner = Runner()

    assert runner.tick(clock=1000.0) == ["often", "broken", "hourly"]  # all due at the start
    assert runner.tick(clock=1004.0) == []
    assert runner.tick(clock=1005.0) == ["often"]
    assert runner.tick(clock=1010.0) == ["often", "broken"]
    assert runner.tick(clock=4600.0) == ["often", "broken", "hourly"]
    assert calls.count("often") == 4 and calls.count("broken") == 3 and calls.count("hourly") == 2
