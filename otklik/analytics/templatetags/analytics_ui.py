"""Display helpers of the analytics pages."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def working_time(minutes: float | None) -> str:
    """Working minutes as minutes, hours or working days (8 hours)."""
    if minutes is None:
        return "—"
    if minutes < 60:
        return f"{minutes:.0f} {_('min')}"
    if minutes < 480:
        return f"{_short(minutes / 60)} {_('h')}"
    return f"{_short(minutes / 480)} {_('wd')}"


def _short(value: float) -> str:
    rounded = round(value, 1)
    return number_format(rounded, 0 if rounded == int(rounded) else 1)
