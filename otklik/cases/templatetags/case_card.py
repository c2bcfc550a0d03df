"""The case card's tags: its action forms, messages and history written in Python
(:mod:`otklik.cases.card`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from otklik.cases.card import action_form as _action_form
from otklik.cases.card import history_markup as _history_markup
from otklik.cases.card import messages_markup as _messages_markup
from otklik.cases.card import similar_markup as _similar_markup

register = template.Library()


@register.simple_tag(takes_context=True)
def action_form(context: Any, spec: Any, form: Any, open: bool = False) -> SafeString:
    """``{% action_form spec form open %}``: the action's form for the card's case."""
    return _action_form(spec, form, context["case"].pk, context.get("csrf_token"), open=bool(open))


@register.simple_tag(takes_context=True)
def card_messages(context: Any) -> SafeString:
    """``{% card_messages %}``: the messages' list items (:func:`otklik.cases.card.messages_markup`)."""
    return _messages_markup(context, context["case"], context["case_messages"])


@register.simple_tag
def card_history(events: Any) -> SafeString:
    """``{% card_history events %}``: the history's rows (:func:`otklik.cases.card.history_markup`)."""
    return _history_markup(events)


@register.simple_tag(takes_context=True)
def card_similar(context: Any) -> SafeString:
    """``{% card_similar %}``: the draft answer and the similar past cases
    (:func:`otklik.cases.card.similar_markup`)."""
    return _similar_markup(
        context, context.get("similar_cases") or [], context.get("answer_draft"), context.get("can_draft")
    )
