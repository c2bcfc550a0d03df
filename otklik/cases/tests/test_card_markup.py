# ruff: noqa: E501  (the template as it was, one line a line)
"""The card's action forms written in Python (otklik/cases/card.py) give the markup Django's templates
gave — ``cases/_action.html`` (kept below as it was) around the widgets' own templates — byte for byte."""

from __future__ import annotations

from typing import Any

import pytest
from django.forms.renderers import get_default_renderer
from django.template import Context, Template

from otklik.accounts.choices import Role
from otklik.cases import forms
from otklik.cases.card import action_form
from otklik.cases.choices import AnswerKind, AnswerStatus, CaseStatus
from otklik.cases.models import Answer
from otklik.testing.factories import make_agency, make_case, make_category, make_territory, make_user

pytestmark = pytest.mark.django_db

ACTION_TEMPLATE = """{% load i18n %}
{% url spec.url_name case.pk as action_url %}
{% if form.visible_fields %}
  <details class="action action-{{ spec.name }}{% if spec.danger %} danger{% endif %}" {% if open %}open{% endif %} data-testid="action-{{ spec.name }}">
    <summary>{{ spec.label }}</summary>
    <form method="post" action="{{ action_url }}" class="action-form" hx-post="{{ action_url }}" hx-target="#case-card" hx-swap="outerHTML">
      {% csrf_token %}
      {% if spec.help %}<p class="help muted">{{ spec.help }}</p>{% endif %}
      {% for field in form.hidden_fields %}{{ field }}{% endfor %}
      {% for field in form.visible_fields %}
        <div class="field field-{{ field.name }}{% if field.field.widget.input_type == 'checkbox' %} field-check{% endif %}">
          {% if field.field.widget.input_type == 'checkbox' %}
            <label for="{{ field.id_for_label }}">{{ field }} {{ field.label }}</label>
          {% else %}
            {% if field.field.widget.input_type == 'radio' %}<span class="label">{{ field.label }}</span>{% else %}<label for="{{ field.id_for_label }}">{{ field.label }}</label>{% endif %}
            {{ field }}
          {% endif %}
        </div>
      {% endfor %}
      <button type="submit" class="btn {% if spec.danger %}btn-danger{% else %}btn-primary{% endif %}">{{ spec.label }}</button>
    </form>
  </details>
{% else %}
  <form method="post" action="{{ action_url }}" class="action action-inline" hx-post="{{ action_url }}" hx-target="#case-card" hx-swap="outerHTML" data-testid="action-{{ spec.name }}">
    {% csrf_token %}
    {% for field in form.hidden_fields %}{{ field }}{% endfor %}
    <button type="submit" class="btn {% if spec.danger %}btn-danger{% else %}btn-primary{% endif %}">{{ spec.label }}</button>
  </form>
{% endif %}
"""

TRICKY = "<b>\"Кавычки\" & 'апостроф'</b>"


def _django(spec: Any, form: Any, case: Any, token: str, *, open: bool) -> str:
    form.renderer = get_default_renderer()  # the widgets through their templates
    context = Context({"spec": spec, "form": form, "case": case, "open": open, "csrf_token": token})
    return Template(ACTION_TEMPLATE).render(context)


def _forms(user: Any, case: Any, **initial: Any) -> list[tuple[Any, Any]]:
    shown = []
    for spec in (*forms.CASE_ACTIONS, *forms.ANSWER_ACTIONS, forms.PLACE_ACTION):
        form_class = spec.form_for(user)
        kwargs = {"auto_id": f"id_{spec.name}_%s", "initial": initial}
        shown.append((spec, lambda c=form_class, k=kwargs: c(case=case, user=user, **k)))
    return shown


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.SUPERVISOR, Role.EXECUTOR])
@pytest.mark.parametrize("open", [True, False])
def test_every_action_form_renders_as_the_template_did(role, open):
    agency = make_agency("Водоканал", short_name='МУП "Водоканал" & Ко')
    make_territory("Энгельсский район")
    make_category("ЖКХ", code="zhkh")
    case = make_case(status=CaseStatus.MODERATION, agency=agency)
    answer = Answer.objects.create(case=case, kind=AnswerKind.FINAL, status=AnswerStatus.DRAFT, text="Ответ")
    user = make_user(role, agency=agency if role == Role.EXECUTOR else None)
    initial = {"reason": TRICKY, "target": TRICKY, "comment": TRICKY, "text": TRICKY, "answer": answer.pk}
    for spec, make in _forms(user, case, **initial):
        expected = _django(spec, make(), case, "tok<en>", open=open)
        assert str(action_form(spec, make(), case.pk, "tok<en>", open=open)) == expected, spec.name
    spec = forms.ACTIONS_BY_NAME["close"]  # no field to fill: a button
    assert str(action_form(spec, forms.EmptyForm(case=case, user=user), case.pk, "", open=False)) == _django(
        spec, forms.EmptyForm(case=case, user=user), case, "", open=False
    )


def test_a_bound_form_with_values_renders_as_the_template_did():
    case = make_case(status=CaseStatus.PUBLISHED)
    user = make_user(Role.MODERATOR)
    for name, data in (
        ("rate", {"score": "4", "comment": TRICKY, "reopen": "on"}),
        ("place", {"lat": "51.5", "lon": "46.05"}),
        ("extend", {"days": "12", "reason": TRICKY}),
        ("merge", {"target": TRICKY}),
    ):
        spec = forms.ACTIONS_BY_NAME[name]
        make = lambda s=spec, d=data: s.form_for(user)(d, case=case, user=user, auto_id=f"id_{s.name}_%s")  # noqa: E731
        assert str(action_form(spec, make(), case.pk, "t", open=True)) == _django(
            spec, make(), case, "t", open=True
        ), name


def test_the_card_select_renders_as_the_quick_select():
    from otklik.cases.card import CardSelect
    from otklik.cases.filters import QuickSelect

    choices = [("", "---------"), (1, TRICKY), (2, "Водоканал"), (3, "Водоканал")]
    for value in (None, "", 2, "3", 7):
        attrs = {"id": "id_x", "required": True}
        assert CardSelect(choices=choices).render("agency", value, attrs) == QuickSelect(
            choices=choices
        ).render("agency", value, attrs), value


def test_a_radio_renders_as_django_renders_it():
    from django import forms as django_forms

    from otklik.cases.card import CardWidgets

    choices = [("a", TRICKY), ("b", "Второй"), (TRICKY, [("c", "В группе"), ("d", "<d>")])]
    for value in (None, "b", "d", ["a"]):
        for attrs in ({"id": "id_kind", "class": "r<&>"}, {}, {"required": True, "id": 'x"y'}):
            widget = django_forms.RadioSelect(choices=choices)
            ours = widget.render("kind", value, dict(attrs), renderer=CardWidgets())
            assert ours == widget.render("kind", value, dict(attrs), renderer=get_default_renderer())
