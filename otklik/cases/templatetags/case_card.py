"""The case card's tags: its action forms written in Python (:func:`otklik.cases.card.action_form`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from otklik.cases.card import action_form as _action_form

register = template.Library()


@register.simple_tag(takes_context=True)
def action_form(context: Any, spec: Any, form: Any, open: bool = False) -> SafeString:
    """``{% action_form spec form open %}``: the action's form for the card's case."""
    return _action_form(spec, form, context["case"].pk, context.get("csrf_token"), open=bool(open))
