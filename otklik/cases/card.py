"""What the case card shows, worked out in plain Python (issue 13, item 6: the card at most 25 ms of CPU).

The card names eight directory rows of its case — the category and the suggested one with their
parents, the territory and the suggested one with their parents' chain, the agency and the suggested
one, the deadline policy. Joining them to the case cost more CPU than the rest of the card's queries
together: Django compiles a query of eight joins with the outlines deferred in ~4 ms, on every card.
The directory changes seldom, so the card reads its case alone and takes those rows from the process's
copy (:data:`directory`, rebuilt when a category, territory, agency or deadline policy is saved or
deleted, under the queue directory's version and one of its own, read by one query).

The rows kept are shared by the requests of the process: the card only reads them (their outlines are
not loaded; the one the map draws is read by itself).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import Model
from django.forms import BoundField
from django.forms.renderers import DjangoTemplates
from django.urls import reverse
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from otklik.caching import ProcessCache, bump_on_change
from otklik.directory.models import Agency, Category, DeadlinePolicy, Territory

from .filters import DIRECTORY, QueueDirectory, QuickSelect, queue_directory
from .models import Case

POLICIES = "cases.card-policies"
bump_on_change(POLICIES, DeadlinePolicy)

# The case's foreign keys into the directory, each with the rows it is named from.
DIRECTORY_FIELDS = {
    "category": "categories",
    "suggested_category": "categories",
    "territory": "territories",
    "suggested_territory": "territories",
    "agency": "agencies",
    "suggested_agency": "agencies",
    "deadline_policy": "policies",
}


@dataclass(frozen=True)
class CardDirectory:
    """The directory rows a card may name, by id, parents linked; and the queue's directory (the
    card's selects' options and the outlined territories) of the same version."""

    categories: dict[int, Category]
    territories: dict[int, Territory]
    agencies: dict[int, Agency]
    policies: dict[int, DeadlinePolicy]
    queue: QueueDirectory


def _linked(rows: dict[int, Any]) -> dict[int, Any]:
    """Each row's ``parent`` set from ``rows`` (no query when a card walks up the tree)."""
    for row in rows.values():
        if row.parent_id is None or row.parent_id in rows:
            type(row).parent.field.set_cached_value(row, rows.get(row.parent_id))
    return rows


def _build() -> CardDirectory:
    return CardDirectory(
        categories=_linked({row.pk: row for row in Category.objects.all()}),
        territories=_linked({row.pk: row for row in Territory.objects.defer("geometry")}),
        agencies={row.pk: row for row in Agency.objects.all()},
        policies={row.pk: row for row in DeadlinePolicy.objects.all()},
        queue=queue_directory.get(),
    )


# Category, Territory and Agency bump the queue directory's key (filters.py); deadline policies ours.
directory = ProcessCache(DIRECTORY, POLICIES, build=_build, max_age=600)


def _set(case: Case, name: str, value: Model | None) -> None:
    Case._meta.get_field(name).set_cached_value(case, value)  # type: ignore[union-attr]


def attach_directory(case: Case) -> None:
    """Give ``case`` its directory rows (and the case it was merged into) as ``select_related`` would
    have: from the process's directory; a row saved after this request read the version is read
    from the database as a lazy foreign key would."""
    held = directory.get()
    case._directory = held.queue  # type: ignore[attr-defined]  # forms.card_directory
    for name, rows in DIRECTORY_FIELDS.items():
        pk = getattr(case, f"{name}_id")
        if pk is None:
            _set(case, name, None)
        elif (row := getattr(held, rows).get(pk)) is not None:
            _set(case, name, row)
    if case.merged_into_id is not None:  # the card links it by its number
        _set(case, "merged_into", Case.objects.only("pk", "number").filter(pk=case.merged_into_id).first())


# --- the action forms ------------------------------------------------------------------------------
#
# A moderator's card holds six to nine action forms. Django rendered each through an include of
# ``_action.html`` and each field's widget through two or three more templates (the input, its
# attributes): ~5 ms of a card. They are written here in Python with the same markup, byte for byte
# (``tests/…/test_card_directory.py`` compares them with Django's own rendering).


def _attrs(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``."""
    parts = []
    for name, value in attrs.items():
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        elif value is not False:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    """``django/forms/widgets/input.html``."""
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(value)}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: dict[str, Any]) -> str:
    """``django/forms/widgets/textarea.html``."""
    value = widget["value"]
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{conditional_escape(value) if value else ''}</textarea>"
    )


# Django's widget templates the card's forms use (each input type's includes input.html; the renderer
# strips the output).
WIDGET_TEMPLATES: dict[str, Callable[[dict[str, Any]], str]] = {
    "django/forms/widgets/textarea.html": _textarea,
    **{f"django/forms/widgets/{kind}.html": _input for kind in ("text", "number", "hidden", "checkbox")},
}


class CardWidgets(DjangoTemplates):
    """The form renderer of the card's action forms: the widgets above in Python, any other through
    its template."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        written = WIDGET_TEMPLATES.get(template_name)
        if written is None:
            return super().render(template_name, context, request)
        return written(context["widget"])


@lru_cache(maxsize=64)
def _action_url(url_name: str) -> Callable[[int], str]:
    head, _sep, tail = reverse(url_name, args=[7_070_707]).partition("7070707")
    return lambda pk: f"{head}{pk}{tail}"


def _csrf_input(token: Any) -> str:
    """``{% csrf_token %}``."""
    if not token or token == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{conditional_escape(token)}">'


def _field(field: BoundField) -> str:
    kind = getattr(field.field.widget, "input_type", None)
    head = f'\n        <div class="field field-{conditional_escape(field.name)}'
    if kind == "checkbox":
        return (
            f'{head} field-check">\n          \n'
            f'            <label for="{conditional_escape(field.id_for_label)}">{field} '
            f"{conditional_escape(field.label)}</label>\n          \n        </div>\n      "
        )
    text = conditional_escape(field.label)
    if kind == "radio":
        label = f'<span class="label">{text}</span>'
    else:
        label = f'<label for="{conditional_escape(field.id_for_label)}">{text}</label>'
    inner = f"\n            {label}\n            {field}\n          "
    return f'{head}">\n          {inner}\n        </div>\n      '


def action_form(spec: Any, form: Any, case_pk: int, csrf_token: Any, *, open: bool) -> SafeString:
    """``cases/_action.html``: an action's form (folded, unless ``open``) or, with no field to fill,
    its button."""
    url = _action_url(spec.url_name)(case_pk)
    name = conditional_escape(spec.name)
    label = conditional_escape(spec.label)
    button = f"btn {'btn-danger' if spec.danger else 'btn-primary'}"
    hidden = "".join(str(field) for field in form.hidden_fields())
    visible = form.visible_fields()
    if not visible:
        return mark_safe(
            "\n\n\n"
            f'  <form method="post" action="{url}" class="action action-inline" hx-post="{url}"'
            f' hx-target="#case-card" hx-swap="outerHTML" data-testid="action-{name}">\n'
            f"    {_csrf_input(csrf_token)}\n    {hidden}\n"
            f'    <button type="submit" class="{button}">{label}</button>\n  </form>\n\n'
        )
    help_text = f'<p class="help muted">{conditional_escape(spec.help)}</p>' if spec.help else ""
    return mark_safe(
        "\n\n\n"
        f'  <details class="action action-{name}{" danger" if spec.danger else ""}" '
        f'{"open" if open else ""} data-testid="action-{name}">\n'
        f"    <summary>{label}</summary>\n"
        f'    <form method="post" action="{url}" class="action-form" hx-post="{url}" hx-target="#case-card"'
        ' hx-swap="outerHTML">\n'
        f"      {_csrf_input(csrf_token)}\n      {help_text}\n      {hidden}\n      "
        f"{''.join(_field(field) for field in visible)}\n"
        f'      <button type="submit" class="{button}">{label}</button>\n    </form>\n  </details>\n\n'
    )


@lru_cache(maxsize=8192)
def _option(text: str, label: str) -> tuple[str, str]:
    """An option's markup, unselected and selected: escaped once per process (the card's selects list
    every category, territory and agency, ~400 options, the same ones card after card)."""
    head, tail = f'<option value="{escape(text)}"', f">{escape(label)}</option>"
    return head + tail, f"{head} selected{tail}"


class CardSelect(QuickSelect):
    """:class:`~otklik.cases.filters.QuickSelect` (the same markup) with its options' markup kept."""

    def option_markup(self, text: str, label: str, selected: bool) -> str:
        return _option(text, label)[selected]
