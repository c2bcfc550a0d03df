"""The two-week question to residents who wrote to a deputy ("did you get a reply?"): who is asked
and when, the answer on the status page, the rating's "replied" share and the public table."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from otklik.analytics.rollups import rebuild_rollups
from otklik.cases.choices import CaseStatus, EventKind
from otklik.cases.models import Case
from otklik.deputies import followup, services
from otklik.deputies.models import Deputy, Reply, ReplyCheck
from otklik.directory.choices import Channel
from otklik.public.services import status_token, submit_appeal
from otklik.public.tests.appeal_data import TEXT
from otklik.testing.factories import make_case

pytestmark = pytest.mark.django_db


def appeal(deputy: Deputy, *, days_ago: float, contact: str = "irina@example.test") -> Case:
    """An appeal from the deputy's page, made ``days_ago``."""
    submitted = submit_appeal(
        form_token=uuid.uuid4().hex,
        name="Ирина Смирнова",
        contact=contact,
        text=TEXT,
        district=None,
        address="ул. Тельмана, 12",
        office=deputy.office,
        now=timezone.now() - timedelta(days=days_ago),
    )
    assert submitted.case is not None and submitted.case.agency == deputy.office
    return submitted.case


def test_two_weeks_after_an_appeal_the_resident_is_asked_once(council, django_capture_on_commit_callbacks):
    ivanov = council["ivanov"]
    due = appeal(ivanov, days_ago=15)
    by_phone = appeal(ivanov, days_ago=16, contact="+7 917 123-45-67")
    appeal(ivanov, days_ago=13)  # too early
    appeal(ivanov, days_ago=15 + followup.LOOKBACK_DAYS)  # before the question existed: not asked
    rejected = appeal(ivanov, days_ago=20)
    Case.objects.filter(pk=rejected.pk).update(status=CaseStatus.REJECTED)
    make_case(channel=Channel.WEB_FORM, created_at=timezone.now() - timedelta(days=15))  # not to a deputy
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        asked = followup.ask_about_replies()
    assert {c.case for c in asked} == {due, by_phone}
    assert {c.case: c.emailed for c in asked} == {due: True, by_phone: False}
    assert [m.to for m in mail.outbox] == [["irina@example.test"]]
    message = mail.outbox[0]
    assert ivanov.full_name in message.subject and due.number in message.subject
    assert f"/public/status/{due.number}/{status_token(due)}/" in message.body
    assert "Ирина Смирнова" in message.body

    with django_capture_on_commit_callbacks(execute=True):
        assert followup.ask_about_replies() == []  # once per appeal
    assert len(mail.outbox) == 1


def reply_url(case):
    return f"/deputies/reply/{case.number}/{status_token(case)}/"


def test_the_resident_answers_on_the_status_page(client, council, django_capture_on_commit_callbacks):
    case = appeal(council["ivanov"], days_ago=15)
    status = f"/public/status/{case.number}/{status_token(case)}/"
    assert b'data-testid="reply-check"' not in client.get(status).content  # not asked yet
    with django_capture_on_commit_callbacks(execute=True):
        followup.ask_about_replies()
    mail.outbox.clear()
    page = client.get(status)
    assert b'data-testid="reply-check"' in page.content and "Иванов Пётр Сергеевич" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reply_url(case), {"reply": "no"}, follow=True)
    assert response.redirect_chain[-1][0] == status
    check = ReplyCheck.objects.get(case=case)
    assert check.reply == Reply.NO and check.answered_at is not None
    event = case.events.get(kind=EventKind.REPLY_CHECKED)
    assert (event.before, event.after, event.actor) == ({"reply": ""}, {"reply": "no"}, None)
    # The deputy's office hears that the resident has no reply.
    assert [m.to for m in mail.outbox] == [[council["ivanov_user"].email]]
    assert case.number in mail.outbox[0].subject

    client.post(reply_url(case), {"reply": "yes"})  # the reply came after all
    check.refresh_from_db()
    assert check.reply == Reply.YES and case.events.filter(kind=EventKind.REPLY_CHECKED).count() == 2
    assert "Да, ответ получен" in client.get(status).content.decode()

    bad = client.post(reply_url(case), {"reply": "maybe"}, follow=True)
    assert "Ответьте «да» или «нет»." in bad.content.decode()
    check.refresh_from_db()
    assert check.reply == Reply.YES
    assert client.post(f"/deputies/reply/{case.number}/{'0' * 32}/", {"reply": "no"}).status_code == 404
    other = appeal(council["petrova"], days_ago=1)  # not asked yet: the answer is refused, not stored
    refused = client.post(reply_url(other), {"reply": "yes"}, follow=True)
    assert (
        "ещё не спрашивали" in refused.content.decode() and not ReplyCheck.objects.filter(case=other).exists()
    )


def _answers(deputy: Deputy, *, yes: int, no: int, unanswered: int = 0) -> None:
    now = timezone.now()
    for reply in [Reply.YES] * yes + [Reply.NO] * no + [""] * unanswered:
        case = make_case(
            agency=deputy.office,
            channel=Channel.DEPUTY,
            status=CaseStatus.CLOSED,
            created_at=now - timedelta(days=20),
        )
        ReplyCheck.objects.create(
            case=case,
            deputy=deputy,
            asked_at=now - timedelta(days=6),
            reply=reply,
            answered_at=now if reply else None,
        )


def test_the_answers_make_the_replied_share_and_the_public_table(client, council):
    ivanov, petrova = council["ivanov"], council["petrova"]
    _answers(ivanov, yes=6, no=2, unanswered=3)
    _answers(petrova, yes=2, no=0)  # too few answers for a share
    rebuild_rollups()

    rows = {r.deputy: r for r in services.rating(Deputy.objects.all(), services.rating_scope(30))}
    assert rows[ivanov].shares["replied"] == pytest.approx(6 / 8) and rows[petrova].shares["replied"] == 1.0
    assert (rows[ivanov].replies.asked, rows[ivanov].replies.answered) == (11, 8)

    page = client.get("/deputies/responsiveness/")  # public: no login
    assert page.status_code == 200
    table = page.context["rows"]
    assert [r.deputy for r in table] == [ivanov, petrova]  # a share first; too few answers after
    assert (table[0].appeals, table[0].replies.replied_pct, table[0].replies.enough) == (11, 75.0, True)
    assert not table[1].replies.enough
    html = page.content.decode()
    assert "75,0 %" in html or "75.0 %" in html
    assert "мало ответов" in html
    assert client.get("/deputies/responsiveness/", {"days": "7"}).context["days"] == services.RATING_DAYS
    record = client.get(f"/deputies/{ivanov.pk}/").context["record"]  # the deputy's own page says it too
    assert (record.replies.replied_pct, record.replies.answered) == (75.0, 8)
    assert "мало ответов" not in client.get(f"/deputies/{ivanov.pk}/").content.decode()
