"""``{% inline_edit_button case %}``: the queue row's button that turns the row into a correction form
(shown only to those who may correct the case from the queue, see :mod:`otklik.cases.inline`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from otklik.cases.inline import can_correct_inline

register = template.Library()


@register.simple_tag(takes_context=True)
def inline_edit_button(context: template.Context, case: Any) -> SafeString | str:
    request = context.get("request")
    if request is None or not can_correct_inline(case, request.user):
        return ""
    return format_html(
        '<a class="btn-inline-edit" href="{card}#edit" hx-get="{url}" hx-target="closest tr"'
        ' hx-swap="outerHTML" data-inline-edit data-testid="inline-edit" title="{title}"'
        ' aria-label="{label}">✎</a>',
        card=reverse("cases:detail", args=[case.pk]),
        url=reverse("cases:inline-edit", args=[case.pk]),
        title=_("Correct category, place and agency here (e)"),
        label=_("Correct case %(number)s here") % {"number": case.number},
    )
