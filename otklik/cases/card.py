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

import html
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db.models import Model
from django.forms import BoundField
from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.defaultfilters import floatformat, linebreaksbr, truncatechars
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import normalize_newlines
from django.utils.timezone import is_aware, localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from otklik.caching import ProcessCache, bump_on_change
from otklik.caching.compiled import CompiledQuery
from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Agency, Category, DeadlinePolicy, Territory

from .filters import DIRECTORY, QueueDirectory, QuickSelect, queue_directory
from .models import Case
from .templatetags.otklik_ui import event_details, status_badge

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
    # the categories' names by code (the explanation of the pipeline's scores names them)
    category_names: dict[str, str] = field(default_factory=dict)
    # the outlines (GeoJSON) the cards drew, by territory id: read once each, as the cards ask
    outlines: dict[int, Any] = field(default_factory=dict)

    def outline(self, pk: int) -> Any:
        """The territory's outline (one query the first time a card of this process draws it)."""
        if pk not in self.outlines:
            self.outlines[pk] = Territory.objects.filter(pk=pk).values_list("geometry", flat=True).first()
        return self.outlines[pk]

    def region(self) -> Territory | None:
        """The region (the first by id, as the card always took it), without its outline."""
        regions = (row for row in self.territories.values() if row.kind == TerritoryKind.REGION)
        return min(regions, key=lambda row: row.pk, default=None)


def _linked(rows: dict[int, Any]) -> dict[int, Any]:
    """Each row's ``parent`` set from ``rows`` (no query when a card walks up the tree)."""
    for row in rows.values():
        if row.parent_id is None or row.parent_id in rows:
            type(row).parent.field.set_cached_value(row, rows.get(row.parent_id))
    return rows


def _build() -> CardDirectory:
    categories = _linked({row.pk: row for row in Category.objects.all()})
    return CardDirectory(
        categories=categories,
        territories=_linked({row.pk: row for row in Territory.objects.defer("geometry")}),
        agencies={row.pk: row for row in Agency.objects.all()},
        policies={row.pk: row for row in DeadlinePolicy.objects.all()},
        queue=queue_directory.get(),
        category_names={row.code: row.name for row in categories.values()},
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
    case._card_directory = held  # type: ignore[attr-defined]  # held_directory
    for name, rows in DIRECTORY_FIELDS.items():
        pk = getattr(case, f"{name}_id")
        if pk is None:
            _set(case, name, None)
        elif (row := getattr(held, rows).get(pk)) is not None:
            _set(case, name, row)
    if case.merged_into_id is not None:  # the card links it by its number
        _set(case, "merged_into", Case.objects.only("pk", "number").filter(pk=case.merged_into_id).first())


def held_directory(case: Case) -> CardDirectory:
    """The directory :func:`attach_directory` gave ``case`` (the process's, read now if none)."""
    held = getattr(case, "_card_directory", None)
    return held if held is not None else directory.get()


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


RADIO_OPTION = "django/forms/widgets/radio_option.html"


def _radio_option(option: dict[str, Any]) -> str:
    """``radio_option.html`` (``input_option.html``) as ``multiple_input.html`` includes it: its input
    in its label, the included templates' line ends kept."""
    assert option["template_name"] == RADIO_OPTION, option["template_name"]
    shown = f"{_input(option)}\n"
    if option["wrap_label"]:
        pk = option["attrs"].get("id")
        head = f'<label for="{conditional_escape(pk)}">' if pk else "<label>"
        shown = f"{head}{shown} {conditional_escape(option['label'])}</label>"
    return f"{shown}\n\n"


def _radio(widget: dict[str, Any]) -> str:
    """``django/forms/widgets/radio.html`` (``multiple_input.html``): the answer form's kind."""
    attrs = widget["attrs"]
    parts = ["<div"]
    if attrs.get("id"):
        parts.append(f' id="{conditional_escape(attrs["id"])}"')
    if attrs.get("class"):
        parts.append(f' class="{conditional_escape(attrs["class"])}"')
    parts.append(">")
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{conditional_escape(group)}</label>")
        parts.extend(f"<div>\n    {_radio_option(option)}</div>" for option in options)
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


# Django's widget templates the card's forms use (each input type's includes input.html; the renderer
# strips the output).
WIDGET_TEMPLATES: dict[str, Callable[[dict[str, Any]], str]] = {
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/widgets/radio.html": _radio,
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


# --- the messages and the history ----------------------------------------------------------------
#
# The card's two longest lists: a case joined from many posts has dozens of messages, and every step of
# its road is a row of its history. The template's loops over them — a dozen variable look-ups, filters
# and tags per item, resolved through the template's context — were ~half of the card's rendering.
# They are written here with the same markup, byte for byte (``test_card_lists.py`` compares them with
# the loops as they were, kept there), the template placing them where its loops were.


def _local(value: datetime) -> datetime:
    """As the template shows a datetime: in the current time zone (``USE_TZ`` is on)."""
    return localtime(value) if is_aware(value) else value


def _shown(value: Any) -> str:
    """``{{ value }}``: localized, then escaped unless it is safe markup already."""
    if isinstance(value, datetime):
        value = _local(value)
    value = localize(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))  # as django.utils.html.escape


def _when(value: datetime | None) -> str:
    """``{{ value|date:"d.m.Y H:i" }}`` (in the current time zone, as the filter takes it)."""
    if value is None:
        return ""
    local = _local(value)
    return f"{local.day:02d}.{local.month:02d}.{local.year:04d} {local.hour:02d}:{local.minute:02d}"


def _display(row: Model, name: str) -> str:
    """``{{ row.get_<name>_display }}``: the choice's label, kept per process and language (Django
    builds a dict of every choice, each label translated, on every call: ~0.3 ms a card's history)."""
    return _choice_shown(type(row), name, getattr(row, name), get_language() or "")


@lru_cache(maxsize=1024)
def _choice_shown(model: type[Model], name: str, value: Any, language: str) -> str:
    return _shown(model(**{name: value})._get_FIELD_display(model._meta.get_field(name)))  # type: ignore[attr-defined]


def _lines(value: Any) -> str:
    """``{{ value|linebreaksbr }}``."""
    return html.escape(normalize_newlines(str(value))).replace("\n", "<br>")


def _words() -> dict[str, str]:
    return _card_words(get_language() or "")


@lru_cache(maxsize=16)
def _card_words(language: str) -> dict[str, str]:
    """The card's fixed words written in Python, translated and escaped once per language."""
    return {
        key: html.escape(str(text))
        for key, text in {
            "anonymous": _("Anonymous"),
            "original": _("original"),
            "photo": _("Photo from the resident"),
            "system": _("system"),
            "no_events": _("No events yet."),
            # the similar past cases and the draft answer
            "draft": _("Draft answer"),
            "from": _(
                "From the approved answer to a similar case of this category and agency. Edit it for this "
                "case: fill in the blanks […]; it cannot be sent unchanged."
            ),
            "source": _("source case"),
            "edit": _("Edit this draft"),
            "similar": _("Similar past cases"),
            "use": _("Use as a draft"),
        }.items()
    }


PHOTO_PUBLICITY = "intake/_photo_publicity.html"


def messages_markup(context: Context, case: Case, case_messages: list[Any]) -> SafeString:
    """The card's ``{% for m in case_messages %}`` loop: each message (with its photo and the
    intake's photo switch, through that template) or, with none, the case's own text."""
    if not case_messages:
        return mark_safe(
            f'\n          <li class="msg"><div class="msg-text">{_lines(case.text)}</div></li>\n        '
        )
    words = _words()
    photo_url = _message_photo_url()
    parts = []
    for m in case_messages:
        link = (
            f'<a class="msg-link" href="{_shown(m.url)}" target="_blank" rel="noopener noreferrer">'
            f"{words['original']} ↗</a>"
            if m.url
            else ""
        )
        photo = ""
        if m.photo:
            url = _shown(photo_url(case.pk, m.pk))
            with context.push(m=m, photo_url=url):  # as {% include %} does, in the card's context
                publicity = context.template.engine.get_template(PHOTO_PUBLICITY).render(context)  # type: ignore[union-attr]
            photo = (
                f'<a class="msg-photo" href="{url}" target="_blank" rel="noopener"'
                f' data-testid="message-photo"><img src="{url}" alt="{words["photo"]}" loading="lazy"'
                f' class="msg-photo-img"></a>\n            {publicity}'
            )
        source = m.source.name if m.source_id is not None else ""
        author = _shown(m.author_name) if m.author_name else words["anonymous"]
        parts.append(
            '\n          <li class="msg">\n            <div class="msg-head">\n'
            f"              <strong>{author}</strong>\n"
            f'              <span class="muted">{_display(m, "channel")} · {_shown(source)} · '
            f"{_when(m.posted_at)}</span>\n"
            f"              {link}\n            </div>\n"
            f'            <div class="msg-text">{_lines(m.text)}</div>\n'
            f"            {photo}\n          </li>\n        "
        )
    return mark_safe("".join(parts))


def _message_photo_url() -> Callable[[int, int], str]:
    head, tail = _photo_url_parts()
    return lambda case_pk, message_pk: f"{head}{case_pk}{tail[0]}{message_pk}{tail[1]}"


@lru_cache(maxsize=1)
def _photo_url_parts() -> tuple[str, tuple[str, str]]:
    url = reverse("cases:message-photo", args=[7_070_707, 8_080_808])
    head, _sep, rest = url.partition("7070707")
    middle, _sep, end = rest.partition("8080808")
    return head, (middle, end)


def history_markup(events: list[Any]) -> SafeString:
    """The card's ``{% for e in events %}`` loop: a row of the history table per event."""
    words = _words()
    if not events:
        return mark_safe(
            f'\n            <tr><td colspan="5" class="muted">{words["no_events"]}</td></tr>\n          '
        )
    parts = []
    for e in events:
        actor = e.actor
        who = (
            _shown(actor.get_full_name() or actor.username)
            if actor is not None
            else f'<span class="muted">{words["system"]}</span>'
        )
        details = event_details(e)
        status = status_badge(e.to_status) if e.to_status else ""
        if status and e.from_status:
            status = f"{status_badge(e.from_status)} → {status}"
        what = _display(e, "kind")
        if details:
            what += f'<div class="sub muted">{_shown(details)}</div>'
        parts.append(
            "\n            <tr>\n"
            f'              <td class="ev-when nowrap">{_when(e.created_at)}</td>\n'
            f'              <td class="ev-who">{who}</td>\n'
            f'              <td class="ev-what">{what}</td>\n'
            f'              <td class="ev-status nowrap">{status}</td>\n'
            f'              <td class="ev-comment">{_shown(e.comment)}</td>\n'
            "            </tr>\n          "
        )
    return mark_safe("".join(parts))


# --- the similar past cases and the draft answer ------------------------------------------------------
#
# The executor's card lists up to five similar past cases with their answers (each truncated to 400
# characters, its line breaks and the similarity localized) and, when it may answer, a draft: through
# the template ~1.3 ms a card. The same past cases come back card after card (the index answers are
# kept, :class:`~otklik.cases.similar.Asked`), so each item's markup is made once per process and
# language, with the same markup as ``_similar_cases.html`` had (``test_card_similar.py`` keeps it).


def _case_url(pk: int) -> str:
    return _action_url("cases:detail")(pk)


@lru_cache(maxsize=4096)
def _similar_item(similar: Any, can_draft: bool, language: str) -> str:
    """One similar case's list item (``similar``: an index answer, immutable)."""
    words = _card_words(language)
    shown_id = _shown(similar.case_id)
    title = _shown(similar.title) if similar.title else shown_id
    value = floatformat(similar.similarity, 2)
    answer = linebreaksbr(truncatechars(similar.answer, 400), autoescape=True)
    button = (
        '\n            <button type="button" class="btn btn-ghost" '
        f'data-use-draft="{_shown(similar.answer)}" data-draft-source="{shown_id}" '
        f'data-testid="use-as-draft">{words["use"]}</button>\n          '
        if can_draft and similar.answer
        else ""
    )
    return (
        f'\n        <li data-testid="similar-case" data-case-id="{shown_id}">\n'
        f'          <a href="{_case_url(similar.case_id)}">{title}</a>\n'
        f'          <span class="muted">{_("similarity %(value)s") % {"value": value}}</span>\n'
        f"          <blockquote>{answer}</blockquote>\n"
        f"          {button}\n        </li>\n      "
    )


ANSWER_QUALITY = "understanding/_answer_quality.html"
_drafts: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_drafts_lock = threading.Lock()


def _draft_markup(context: Context, draft: Any, language: str) -> str:
    """The draft's panel, kept by what it shows (its text, source, quality) and the language."""
    quality = draft.quality
    key = (draft.text, draft.source_case_id, quality.score, quality.explanation, quality.overlap, language)
    with _drafts_lock:
        kept = _drafts.get(key)
    if kept is not None:
        return kept
    words = _card_words(language)
    with context.push(answer_quality=quality):  # as {% include … with answer_quality=… %}
        checked = context.template.engine.get_template(ANSWER_QUALITY).render(context)  # type: ignore[union-attr]
    made = (
        '\n  <section class="panel answer-draft" data-testid="answer-draft">\n'
        f"    <h2>{words['draft']}</h2>\n"
        f'    <p class="muted">{words["from"]}\n'
        f'      <a href="{_case_url(draft.source_case_id)}">{words["source"]}</a></p>\n'
        f"    <blockquote>{_lines(draft.text)}</blockquote>\n"
        f"    {checked}\n"
        f'    <button type="button" class="btn" data-use-draft="{_shown(draft.text)}" '
        f'data-draft-source="{_shown(draft.source_case_id)}" data-testid="use-draft">'
        f"{words['edit']}</button>\n"
        "  </section>\n"
    )
    with _drafts_lock:
        _drafts[key] = made
        if len(_drafts) > 256:
            _drafts.popitem(last=False)
    return made


def similar_markup(context: Context, similar_cases: list[Any], draft: Any, can_draft: bool) -> SafeString:
    """``_similar_cases.html``: the draft answer's panel (with ``draft``) and the similar past cases."""
    language = get_language() or ""
    parts = ["\n\n", _draft_markup(context, draft, language) if draft else "", "\n"]
    if similar_cases:
        words = _card_words(language)
        parts.append(
            '\n  <section class="panel" data-testid="similar-cases">\n'
            f'    <h2>{words["similar"]} <span class="count">{_shown(len(similar_cases))}</span></h2>\n'
            '    <ol class="similar-cases">\n      '
        )
        parts.extend(_similar_item(similar, bool(can_draft), language) for similar in similar_cases)
        parts.append("\n    </ol>\n  </section>\n")
    parts.append("\n")
    return mark_safe("".join(parts))


# --- the lists' queries ------------------------------------------------------------------------------
#
# The card's four lists were read through the case's related managers, Django compiling each query's
# SQL on every card (~3 ms of CPU a card for the four: the answers' four joins alone ~0.9 ms). They are
# the same queries compiled once per thread (:class:`~otklik.caching.compiled.CompiledQuery`); each
# instance gets its case as the related manager gave it.

STAND_IN = -7_070_707  # where the case's id goes in the compiled SQL

# What the card never shows of its messages and their sources: the message's raw payload and the
# connector's state, JSON a driver decodes on every row (the source's repeated on each of its messages).
CARD_MESSAGES_UNREAD = ("raw", "source__settings", "source__health", "source__cursor", "source__last_error")


def _related(name: str) -> Any:
    """The model of the case's reverse relation ``name`` (messages: intake's, never imported here)."""
    return Case._meta.get_field(name).related_model


class CardLists:
    """The card's messages, answers, history and ratings of a case, each by one compiled query."""

    def __init__(self) -> None:
        self._messages = CompiledQuery(
            lambda case_id: (
                _related("messages")
                ._default_manager.filter(case_id=case_id)
                .select_related("source")
                .defer(*CARD_MESSAGES_UNREAD)
                .order_by("posted_at", "id")
            ),
            case_id=STAND_IN,
        )
        self._answers = CompiledQuery(
            lambda case_id: (
                _related("answers")
                ._default_manager.filter(case_id=case_id)
                .select_related("author", "reviewed_by", "agency", "delivery")
            ),
            case_id=STAND_IN,
        )
        self._events = CompiledQuery(
            lambda case_id: (
                _related("events")
                ._default_manager.filter(case_id=case_id)
                .select_related("actor")
                .defer("before")
                .order_by("created_at", "id")
            ),
            case_id=STAND_IN,
        )
        self._ratings = CompiledQuery(
            lambda case_id: (
                _related("ratings")._default_manager.filter(case_id=case_id).order_by("created_at")
            ),
            case_id=STAND_IN,
        )

    @staticmethod
    def _of(case: Case, name: str, query: CompiledQuery[Any]) -> list[Any]:
        rows = query(case_id=case.pk)
        to_case = Case._meta.get_field(name).field  # type: ignore[union-attr]  # the rows' foreign key
        for row in rows:
            to_case.set_cached_value(row, case)
        return rows

    def messages(self, case: Case) -> list[Any]:
        """``case.messages`` with their sources, oldest first, without what the card never shows."""
        return self._of(case, "messages", self._messages)

    def answers(self, case: Case) -> list[Any]:
        """``case.answers`` with their authors, reviewers, agencies and deliveries."""
        return self._of(case, "answers", self._answers)

    def events(self, case: Case) -> list[Any]:
        """``case.events`` with their actors, without the state before each."""
        return self._of(case, "events", self._events)

    def ratings(self, case: Case) -> list[Any]:
        """``case.ratings``, oldest first."""
        return self._of(case, "ratings", self._ratings)


lists = CardLists()
