# ruff: noqa: E501  (the template as it was, one line a line)
"""The card's messages and history written in Python (otklik/cases/card.py) give the markup the
template's loops gave (kept below as they were) byte for byte: quotes, ``<`` and ``&``, line breaks,
long texts, photos shown and hidden, events with and without an actor, details, statuses, empty lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from otklik.accounts.choices import Role
from otklik.accounts.permissions import Capabilities
from otklik.cases import actions
from otklik.cases.choices import CaseStatus, EventKind
from otklik.cases.models import Case, CaseEvent
from otklik.intake.models import Message
from otklik.testing.factories import make_agency, make_case, make_source, make_user

pytestmark = pytest.mark.django_db

MESSAGES_LOOP = """{% load i18n %}
        {% for m in case_messages %}
          <li class="msg">
            <div class="msg-head">
              <strong>{{ m.author_name|default:_("Anonymous") }}</strong>
              <span class="muted">{{ m.get_channel_display }} · {{ m.source.name }} · {{ m.posted_at|date:"d.m.Y H:i" }}</span>
              {% if m.url %}<a class="msg-link" href="{{ m.url }}" target="_blank" rel="noopener noreferrer">{% translate "original" %} ↗</a>{% endif %}
            </div>
            <div class="msg-text">{{ m.text|linebreaksbr }}</div>
            {% if m.photo %}{% url 'cases:message-photo' case.pk m.pk as photo_url %}<a class="msg-photo" href="{{ photo_url }}" target="_blank" rel="noopener" data-testid="message-photo"><img src="{{ photo_url }}" alt="{% translate "Photo from the resident" %}" loading="lazy" class="msg-photo-img"></a>
            {% include "intake/_photo_publicity.html" %}{% endif %}
          </li>
        {% empty %}
          <li class="msg"><div class="msg-text">{{ case.text|linebreaksbr }}</div></li>
        {% endfor %}"""

HISTORY_LOOP = """{% load i18n otklik_ui %}
          {% for e in events %}
            <tr>
              <td class="ev-when nowrap">{{ e.created_at|date:"d.m.Y H:i" }}</td>
              <td class="ev-who">{% if e.actor %}{{ e.actor.get_full_name|default:e.actor.username }}{% else %}<span class="muted">{% translate "system" %}</span>{% endif %}</td>
              <td class="ev-what">{{ e.get_kind_display }}{% with d=e|event_details %}{% if d %}<div class="sub muted">{{ d }}</div>{% endif %}{% endwith %}</td>
              <td class="ev-status nowrap">{% if e.to_status %}{% if e.from_status %}{% status_badge e.from_status %} → {% endif %}{% status_badge e.to_status %}{% endif %}</td>
              <td class="ev-comment">{{ e.comment }}</td>
            </tr>
          {% empty %}
            <tr><td colspan="5" class="muted">{% translate "No events yet." %}</td></tr>
          {% endfor %}"""

TRICKY = "<b>\"Кавычки\" & 'апостроф'</b>"
LONG = "Очень длинный текст обращения. " * 400


def _old(loop: str, **values: Any) -> str:
    load, _newline, body = loop.partition("\n")  # the loop without the indentation before it
    return Template(load + body.lstrip()).render(Context(values))


def _new(tag: str, **values: Any) -> str:
    return Template("{% load case_card %}" + tag).render(Context(values))


def _messages(case: Case, user: Any) -> list[Message]:
    return list(case.messages.select_related("source").order_by("posted_at", "id"))


@pytest.fixture
def case() -> Case:
    case = make_case(status=CaseStatus.IN_PROGRESS, text=f"{TRICKY}\r\nвторая строка\n\nтретья")
    source = make_source("odd-feed", name=f"Лента {TRICKY}")
    at = timezone.now().replace(hour=23, minute=59) - timedelta(days=3)  # past midnight in Saratov
    rows = [
        {
            "author_name": TRICKY,
            "text": f"{TRICKY}\r\nстрока\rещё",
            "url": f'https://vk.com/wall-1_2?a=1&b="{TRICKY}"',
        },
        {"author_name": "", "text": LONG, "url": ""},
        {"author_name": "Иван", "text": "с фото", "photo": "intake/photos/2026/12/a.jpg"},
        {
            "author_name": "Пётр",
            "text": "фото скрыто",
            "photo": "intake/photos/2026/12/b.jpg",
            "photo_hidden": True,
        },
        {"author_name": "", "text": "", "url": "https://t.me/x"},
    ]
    for n, row in enumerate(rows):
        Message.objects.create(
            source=source,
            external_id=f"odd{n}",
            channel="telegram",
            case=case,
            posted_at=at + timedelta(minutes=n),
            **row,
        )
    return case


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.EXECUTOR])
@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_messages_render_as_the_loop_did(case, role, language):
    user = make_user(role)
    with translation.override(language):
        values = {
            "case": case,
            "case_messages": _messages(case, user),
            "can": Capabilities(user),
            "csrf_token": "tok<en>",
        }
        expected = _old(MESSAGES_LOOP, **values)
        assert _new("{% card_messages %}", **values) == expected
    assert expected.count('data-testid="message-photo"') == 2
    assert ("photo-toggle" in expected) == (role == Role.MODERATOR)


def test_a_case_without_messages_shows_its_text_as_the_loop_did(case):
    values = {"case": case, "case_messages": [], "can": Capabilities(make_user()), "csrf_token": "t"}
    expected = _old(MESSAGES_LOOP, **values)
    assert _new("{% card_messages %}", **values) == expected
    assert "&lt;b&gt;" in expected and "<br>" in expected


def _events(case: Case) -> list[CaseEvent]:
    return list(case.events.select_related("actor").order_by("created_at", "id"))


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_history_renders_as_the_loop_did(case, language):
    agency = make_agency(TRICKY)
    named = make_user(Role.MODERATOR, first_name="Анна", last_name=TRICKY)
    bare = make_user(Role.SUPERVISOR, username="bare&<user>")
    at = timezone.now() - timedelta(days=2)
    for n, (actor, kind, before, after, after_json, comment) in enumerate(
        [
            (None, EventKind.CREATED, "", CaseStatus.NEW, {}, ""),
            (
                named,
                EventKind.ASSIGNED,
                CaseStatus.NEW,
                CaseStatus.ASSIGNED,
                {"agency": {"id": agency.pk, "name": TRICKY}},
                TRICKY,
            ),
            (bare, EventKind.RATED, "", "", {"score": 4, "kind": "final"}, LONG),
            (
                named,
                EventKind.MERGED,
                CaseStatus.ASSIGNED,
                CaseStatus.MERGED,
                {"into": {"name": "C-1 <&>"}, "category": {"name": ""}},
                "",
            ),
            (None, EventKind.COMMENT, "", CaseStatus.IN_PROGRESS, "not a dict", "\r\n"),
        ]
    ):
        CaseEvent.objects.create(
            case=case,
            actor=actor,
            kind=kind,
            from_status=before,
            to_status=after,
            after=after_json,
            comment=comment,
            created_at=at + timedelta(hours=n * 7),
        )
    with translation.override(language):
        events = _events(case)
        expected = _old(HISTORY_LOOP, events=events)
        assert _new("{% card_history events %}", events=events) == expected
    assert "bare&amp;&lt;user&gt;" in expected and "&lt;b&gt;" in expected


def test_an_empty_history_renders_as_the_loop_did():
    assert _new("{% card_history events %}", events=[]) == _old(HISTORY_LOOP, events=[])


def test_the_card_shows_the_lists_as_the_loops_did(client, case):
    """Through the view: the card's page holds what the old loops make of its messages and events."""
    moderator = make_user(Role.MODERATOR)
    actions.add_note(case, moderator, text=TRICKY)
    client.force_login(moderator)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    messages = _old(
        MESSAGES_LOOP,
        case=case,
        case_messages=_messages(case, moderator),
        can=Capabilities(moderator),
        csrf_token=token,
    )
    assert messages in page and "&lt;b&gt;" in messages
    history = _old(HISTORY_LOOP, events=_events(case))
    assert history in page and "&lt;b&gt;" in history


def test_many_messages_and_events_cost_no_query_more(client, case):
    """The messages are read without their raw payloads and their sources' connector state (never
    shown): no field the card shows is left to a query of its own, however many messages."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    single = make_case(status=CaseStatus.IN_PROGRESS, text="Одно сообщение")
    client.force_login(make_user(Role.MODERATOR))

    def queries(shown: Case) -> int:
        client.get(reverse("cases:detail", args=[shown.pk]))  # the process's caches warm
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("cases:detail", args=[shown.pk])).status_code == 200
        return len(captured.captured_queries)

    assert case.messages.count() == 6
    assert queries(case) == queries(single)
