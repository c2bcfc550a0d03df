"""Side effects leave only after commit, as Celery tasks: on the workers' notify queue with Celery, in
this process in the embedded mode; a broker that is away never loses them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from kombu.exceptions import OperationalError

from otklik.aftercommit import task_after_commit
from otklik.cases.notifications import Recipients, send_after_commit, send_notification
from otklik.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


class FakeTask:
    name = "otklik.tests.send_fake"

    def __init__(self, *, broker_down: bool = False) -> None:
        self.queued: list[tuple[Any, ...]] = []
        self.ran_here: list[tuple[Any, ...]] = []
        self.broker_down = broker_down

    def apply_async(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if self.broker_down:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.queued.append((args, kwargs))

    def apply(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.ran_here.append((args, kwargs))


def test_a_task_is_sent_once_the_transaction_commits_and_never_for_a_rollback() -> None:
    task = FakeTask()
    with transaction.atomic():
        task_after_commit(task, 7, text="committed")  # type: ignore[arg-type]
        assert task.queued == []  # not before the commit
    assert task.queued == [((7,), {"text": "committed"})]

    with pytest.raises(RuntimeError), transaction.atomic():
        task_after_commit(task, 8)  # type: ignore[arg-type]
        raise RuntimeError("the action failed")
    assert len(task.queued) == 1


def test_a_broker_that_is_away_runs_the_task_here(caplog) -> None:
    task = FakeTask(broker_down=True)
    with transaction.atomic():
        task_after_commit(task, 1)  # type: ignore[arg-type]
    assert task.ran_here == [((1,), {})]
    assert "could not queue otklik.tests.send_fake" in caplog.text


def test_embedded_mode_emails_in_this_process_after_commit() -> None:
    with transaction.atomic():
        send_after_commit(Recipients(emails=["duty@example.ru"]), "Срочно: 2611-000001", "Нет воды")
        assert mail.outbox == []
    [sent] = mail.outbox
    assert (sent.to, sent.subject) == (["duty@example.ru"], "Срочно: 2611-000001")


def test_with_celery_a_notification_goes_to_the_notify_queue(monkeypatch) -> None:
    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(send_notification, "apply_async", lambda **call: queued.append(call))
    with transaction.atomic():
        send_after_commit(Recipients(emails=["a@example.ru"], chats=["42"]), "Тема", "Текст", about="x")
    assert queued == [{"args": ("Тема", "Текст", ["a@example.ru"], ["42"], "x"), "kwargs": {}}]
    assert mail.outbox == []  # the worker sends it, not the web process
    assert app.amqp.router.route({}, send_notification.name)["queue"].name == "notify"
