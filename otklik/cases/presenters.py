"""What a queue page shows, computed once per page in plain Python (issue 13, item 6).

The queue's template used to work each row out itself — lazy labels, filters, a tag per cell,
``{% url %}`` twice a row, a loop over the refused cases inside every row — which made rendering
most of the page's CPU. :func:`queue_rows` gives the template one dict per row holding the finished
strings (a dict: the template's lookup of a key is its cheapest), and :func:`tab_links` the tabs'
and pager's links; the template only places them in the markup, which stays in the template.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from otklik.accounts.permissions import AnyUser
from otklik.directory.models import Agency, Category, Territory

from .filters import QueueDirectory, queue_directory
from .inline import can_correct_inline
from .models import Case
from .templatetags.otklik_ui import countdown, is_late, percent, status_badge


def _escaped(value: Any) -> str:
    """``conditional_escape`` without its lazy wrappers (this runs ~20 times a row)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))  # as django.utils.html.escape


def fill(template: str, *args: Any, **kwargs: Any) -> SafeString:
    """``format_html``: every value escaped unless it is safe markup already."""
    return mark_safe(template.format(*map(_escaped, args), **{k: _escaped(v) for k, v in kwargs.items()}))


def truncate(text: str, length: int) -> str:
    """``truncatechars``: the same text, without its cost for the usual text that already fits."""
    text = unicodedata.normalize("NFC", text)
    return text if len(text) <= length else Truncator(text).chars(length)


def url_maker(name: str) -> Any:
    """A function of a primary key giving ``reverse(name, args=[pk])``, reversed once."""
    head, _sep, tail = reverse(name, args=[7_070_707]).partition("7070707")
    return lambda pk: f"{head}{pk}{tail}"


def querystring(query: QueryDict, **changes: Any) -> str:
    """Django's ``{% querystring %}``: the request's query with ``changes`` (``None`` drops a key)."""
    params = query.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    if not params and not query:
        return ""
    return f"?{params.urlencode()}"


def row_words() -> dict[str, str]:
    """The words every row repeats, translated once per language."""
    return _row_words(get_language() or "")


@lru_cache(maxsize=16)
def _row_words(language: str) -> dict[str, str]:
    return {
        "urgent": _("Urgent"),
        "suggested": _("Suggested by the pipeline"),
        "not_accepted": _("Not accepted"),
        "messages_authors": _("Messages / authors"),
        # each cell's column, for the phone, where the rows stack into cards without the table's head
        "l_num": _("No."),
        "l_case": _("Case"),
        "l_category": _("Category"),
        "l_territory": _("Territory"),
        "l_agency": _("Agency"),
        "l_channel": _("Channel"),
        "l_status": _("Status"),
        "l_deadline": _("Deadline"),
        "l_received": _("Received"),
    }


class EditButton:
    """The row's ✎ that turns it into the correction form (:mod:`otklik.cases.views_inline`), for
    those who may correct the case from the queue; links reversed and words translated once."""

    def __init__(self, user: AnyUser) -> None:
        self.user = user
        self.card = url_maker("cases:detail")
        self.edit = url_maker("cases:inline-edit")
        self.title = _("Correct category, place and agency here (e)")
        self.label = _("Correct case %(number)s here")

    def __call__(self, case: Case) -> SafeString | str:
        if not can_correct_inline(case, self.user):
            return ""
        return fill(
            '<a class="btn-inline-edit" href="{card}#edit" hx-get="{url}" hx-target="closest tr"'
            ' hx-swap="outerHTML" data-inline-edit data-testid="inline-edit" title="{title}"'
            ' aria-label="{label}">✎</a>',
            card=self.card(case.pk),
            url=self.edit(case.pk),
            title=self.title,
            label=self.label % {"number": case.number},
        )


def _shown(case: Case, field: str, names: Mapping[int, Any]) -> dict[str, Any] | None:
    """The category, territory or agency a row shows: the decided one, else the pipeline's suggestion,
    named from the queue's directory (``names``: id → name, for categories (name, parent's name))."""
    decided = getattr(case, f"{field}_id")
    pk = decided or getattr(case, f"suggested_{field}_id")
    if pk is None:
        return None
    named = names.get(pk)
    if named is None:  # saved after this page read the directory's version: read it alone
        named = _named(field, pk)
    name, parent = named if field == "category" else (named, "")
    return {
        "name": name,
        "parent": parent,
        "suggested": decided is None,
        "confidence": percent(case.category_confidence)
        if field == "category" and decided is None and case.category_confidence is not None
        else "",
    }


def _named(field: str, pk: int) -> Any:
    """One directory row's entry as :class:`~otklik.cases.filters.QueueDirectory` holds it."""
    if field == "category":
        category = Category.objects.select_related("parent").get(pk=pk)
        return category.name, category.parent.name if category.parent is not None else ""
    if field == "agency":
        return str(Agency.objects.get(pk=pk))
    return Territory.objects.get(pk=pk).name


def received(at: datetime, full: str) -> dict[str, str]:
    """The row's "received" cell: short, and in full for its title. The same cases come back page
    after page, and Django's date format is costly: kept per time zone and language."""
    return _received(at, timezone.get_current_timezone_name(), get_language() or "", full)


@lru_cache(maxsize=4096)
def _received(at: datetime, zone: str, language: str, full: str) -> dict[str, str]:
    local = timezone.localtime(at)
    return {"created": local.strftime("%d.%m %H:%M"), "created_full": dateformat.format(local, full)}


def queue_rows(
    cases: Iterable[Case],
    *,
    now: datetime,
    user: AnyUser,
    confirmable: set[int],
    refused: Mapping[int, str],
    directory: QueueDirectory | None = None,
) -> list[dict[str, Any]]:
    """One dict per case of a queue page, in order, with what each cell shows (see the module);
    ``directory`` names the rows' category, territory and agency (the process's one by default)."""
    directory = directory or queue_directory.get()
    detail = url_maker("cases:detail")
    edit = EditButton(user)
    full = get_format("DATETIME_FORMAT")
    pick_label = _("Accept the suggestion for %(number)s")
    rows = []
    for case in cases:
        late = is_late(case, now)
        rows.append(
            {
                "pk": case.pk,
                "number": case.number,
                "url": detail(case.pk),
                "edit": edit(case),
                "css": ("row-late" if late else "") + (" row-urgent" if case.is_urgent else ""),
                "urgent": case.is_urgent,
                "pick": case.pk in confirmable,
                "pick_label": pick_label % {"number": case.number} if case.pk in confirmable else "",
                "ticked": case.pk in refused,
                "refusal": refused.get(case.pk),
                "title": truncate(case.title or case.text, 90),
                "address": truncate(case.address, 60) if case.address else "",
                "category": _shown(case, "category", directory.categories),
                "territory": _shown(case, "territory", directory.territories),
                "agency": _shown(case, "agency", directory.agencies),
                "channel": case.get_channel_display(),
                "status": status_badge(case.status),
                "reply": getattr(case, "reply", None),
                "reply_can_retry": getattr(case, "reply_can_retry", False),
                "messages": case.message_count,
                "authors": case.author_count,
                "countdown": countdown(case, now),
                **received(case.created_at, full),
            }
        )
    words = row_words()
    for row in rows:
        row["head"], row["tail"] = row_markup(row, words)
    return rows


# A row's markup, filled in by :func:`row_markup` — the way Django admin's change list builds its rows
# (``admin_list.items_for_result``): the template's loop over 50 rows of some forty nodes each was
# most of the page's CPU. The row's delivery (an answer sent back to its author, rare in the queue)
# stays the template's ``cases/_delivery.html``, placed between the head and the tail.
ROW_HEAD = """<tr class="{css}" data-case="{number}">
        <td class="col-num" data-label="{l_num}">{pick}<a href="{url}">{number}</a>{edit}</td>
        <td class="col-title" data-label="{l_case}">
          <a href="{url}">{urgent}{title}</a>
          {address}
          {refusal}
        </td>
        <td class="col-category" data-label="{l_category}">{category}</td>
        <td class="col-territory" data-label="{l_territory}">{territory}</td>
        <td class="col-agency" data-label="{l_agency}">{agency}</td>
        <td class="col-channel" data-label="{l_channel}">{channel}</td>
        <td class="col-status" data-label="{l_status}">{status}"""
ROW_TAIL = """</td>
        <td class="col-n" title="{messages_authors}" data-label="{messages_authors}">{messages}<span
          class="muted">/{authors}</span></td>
        <td class="col-deadline" data-label="{l_deadline}">{countdown}</td>
        <td class="col-received nowrap muted" title="{created_full}" data-label="{l_received}">{created}</td>
      </tr>"""
# The labels of the cells (``data-label``), shown on a phone only (otklik.css, "the queue on a phone").
LABELS = ("l_num", "l_case", "l_category", "l_territory", "l_agency", "l_channel", "l_status")
NOTHING = mark_safe('<span class="muted">—</span>')


def _shown_cell(shown: dict[str, Any] | None, words: Mapping[str, str], *, category: bool = False) -> str:
    if not shown:
        return NOTHING
    parent = fill('<div class="sub muted">{}</div>', shown["parent"]) if shown["parent"] else ""
    if not shown["suggested"]:
        return fill("{}{}", shown["name"], parent)
    if not category:
        return fill('<span class="suggested" title="{}">{}</span>', words["suggested"], shown["name"])
    confidence = fill(' <span class="conf">{}</span>', shown["confidence"]) if shown["confidence"] else ""
    return fill(
        '<span class="suggested" title="{}" data-testid="suggested-category">{}</span>{}{}',
        words["suggested"],
        shown["name"],
        confidence,
        parent,
    )


def row_markup(row: Mapping[str, Any], words: Mapping[str, str]) -> tuple[SafeString, SafeString]:
    """The row's ``<tr>`` up to its status cell's content, and from there to its end (see above)."""
    pick = ""
    if row["pick"]:
        pick = fill(
            '<input type="checkbox" name="case" value="{}" form="confirm-form" class="bulk-pick"{}'
            ' aria-label="{}"> ',
            row["pk"],
            mark_safe(" checked") if row["ticked"] else "",
            row["pick_label"],
        )
    refusal = ""
    if row["refusal"] is not None:
        refusal = fill(
            '<div class="sub refusal" data-testid="refusal">{}: {}</div>',
            words["not_accepted"],
            row["refusal"],
        )
    head = fill(
        ROW_HEAD,
        css=row["css"],
        number=row["number"],
        pick=pick,
        url=row["url"],
        edit=row["edit"],
        urgent=fill('<span class="flag-urgent" title="{}">!</span> ', words["urgent"])
        if row["urgent"]
        else "",
        title=row["title"],
        address=fill('<div class="sub muted">{}</div>', row["address"]) if row["address"] else "",
        refusal=refusal,
        category=_shown_cell(row["category"], words, category=True),
        territory=_shown_cell(row["territory"], words),
        agency=_shown_cell(row["agency"], words),
        channel=row["channel"],
        status=row["status"],
        **{key: words[key] for key in LABELS},
    )
    tail = fill(
        ROW_TAIL,
        messages_authors=words["messages_authors"],
        messages=row["messages"],
        authors=row["authors"],
        countdown=row["countdown"],
        created_full=row["created_full"],
        created=row["created"],
        l_deadline=words["l_deadline"],
        l_received=words["l_received"],
    )
    return head, tail
