"""Display helpers of the operator UI: status badges, deadline countdowns, confidence."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from otklik.cases.choices import AnswerKind, CaseStatus, choice_label

register = template.Library()


def ui_strings() -> dict[str, str]:
    """The words the countdown script needs, translated once per language (see static/otklik/otklik.js);
    a queue page asks for them twice a row."""
    return _ui_strings(get_language() or "")


@lru_cache(maxsize=16)
def _ui_strings(language: str) -> dict[str, str]:
    return {
        "days": _("d"),
        "hours": _("h"),
        "minutes": _("min"),
        "left": _("%(t)s left"),
        "overdue": _("overdue by %(t)s"),
    }


def duration_text(seconds: float) -> str:
    """Compact duration: "2 d 3 h", "3 h 15 min", "15 min"."""
    minutes = max(0, int(abs(seconds) // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    words = ui_strings()
    if days:
        return f"{days} {words['days']} {hours} {words['hours']}"
    if hours:
        return f"{hours} {words['hours']} {mins} {words['minutes']}"
    return f"{mins} {words['minutes']}"


def is_late(case: Any, now: datetime | None = None) -> bool:
    """Overdue now: the agency still owes an answer and the deadline has passed (or was flagged)."""
    if not case.awaits_agency:
        return False
    now = now or timezone.now()
    return bool(case.is_overdue or (case.deadline_at and case.deadline_at < now))


@register.filter
def late(case: Any) -> bool:
    return is_late(case)


@register.simple_tag
def countdown(case: Any, now: datetime | None = None) -> str:
    """Remaining (or overdue) time to the case's deadline; the page script keeps it ticking."""
    if case.deadline_at is None:
        return ""
    now = now or timezone.now()
    seconds = (case.deadline_at - now).total_seconds()
    words = ui_strings()
    running = case.awaits_agency
    if not running:
        return format_html(
            '<span class="countdown muted" title="{}">{}</span>',
            _("Deadline"),
            timezone.localtime(case.deadline_at).strftime("%d.%m.%Y %H:%M"),
        )
    text = (words["overdue"] if seconds < 0 else words["left"]) % {"t": duration_text(seconds)}
    css = "countdown late" if seconds < 0 else ("countdown soon" if seconds < 4 * 3600 else "countdown")
    return format_html(
        '<span class="{}" data-deadline="{}" title="{}">{}</span>',
        css,
        case.deadline_at.isoformat(),
        timezone.localtime(case.deadline_at).strftime("%d.%m.%Y %H:%M"),
        text,
    )


@register.simple_tag
def status_badge(status: str) -> str:
    return _status_badge(status, get_language() or "")


@lru_cache(maxsize=256)
def _status_badge(status: str, language: str) -> str:
    return format_html('<span class="badge st-{}">{}</span>', status, choice_label(CaseStatus, status))


@register.filter
def percent(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return str(value)


@register.simple_tag
def ui_strings_json() -> dict[str, str]:
    return dict(ui_strings())


@register.filter
def event_details(event: Any) -> str:
    """A short line from an event's ``after`` values: agency, category, territory, score, target."""
    after = event.after if isinstance(event.after, dict) else {}
    parts = []
    labels = {
        "agency": _("agency"),
        "category": _("category"),
        "territory": _("territory"),
        "into": _("into"),
    }
    for key, label in labels.items():
        value = after.get(key)
        if isinstance(value, dict) and value.get("name"):
            parts.append(f"{label}: {value['name']}")
    if after.get("score") is not None:
        parts.append(_("score: %(score)s") % {"score": after["score"]})
    if after.get("kind") in AnswerKind.values:
        parts.append(str(AnswerKind(after["kind"]).label))
    return "; ".join(parts)


@register.filter
def hours(minutes: Any) -> str:
    if minutes is None:
        return ""
    return duration_text(int(minutes) * 60)


_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def json_data(value: Any, element_id: str) -> SafeString:
    """Django's ``json_script``, compact and in UTF-8: a Cyrillic letter stays two bytes instead of
    the six of a ``\\u`` escape (the situational center's thousands of station addresses)."""
    text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return format_html(
        '<script id="{}" type="application/json">{}</script>',
        element_id,
        mark_safe(text.translate(_JSON_ESCAPES)),
    )
