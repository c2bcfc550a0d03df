"""Display helpers of the analytics pages."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

register = template.Library()


@register.filter
def working_time(minutes: float | None) -> str:
    """Working minutes as minutes, hours or working days (8 hours): "3 рабочих дня", "2,5 рабочего дня"."""
    if minutes is None:
        return "—"
    if minutes < 60:
        return f"{minutes:.0f} {_('min')}"
    if minutes < 480:
        return f"{_short(minutes / 60)} {_('h')}"
    days = round(minutes / 480, 1)
    if days == int(days):
        return ngettext("%(n)s working day", "%(n)s working days", int(days)) % {"n": _short(days)}
    return pgettext("a fraction of working days", "%(n)s working days") % {"n": _short(days)}


def _short(value: float) -> str:
    rounded = round(value, 1)
    return number_format(rounded, 0 if rounded == int(rounded) else 1)
