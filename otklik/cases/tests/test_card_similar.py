# ruff: noqa: E501  (the template as it was, one line a line)
"""The card's similar past cases and draft answer written in Python (otklik/cases/card.py) give the
markup ``cases/_similar_cases.html`` gave (kept below as it was) byte for byte: quotes, ``<`` and ``&``,
line breaks, long answers truncated, titles missing, answers missing, drafts with and without a
passing check, Russian and English, kept items shown again."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.utils import translation

from otklik.cases import card
from otklik.understanding.answer_draft import Draft
from otklik.understanding.quality import AnswerQuality, SimilarCase

SIMILAR_TEMPLATE = """{% load i18n %}
{# The understanding app's list of similar past cases plus "use as a draft" (fills the answer form). #}
{% if answer_draft %}
  <section class="panel answer-draft" data-testid="answer-draft">
    <h2>{% translate "Draft answer" %}</h2>
    <p class="muted">{% translate "From the approved answer to a similar case of this category and agency. Edit it for this case: fill in the blanks […]; it cannot be sent unchanged." %}
      <a href="{% url 'cases:detail' answer_draft.source_case_id %}">{% translate "source case" %}</a></p>
    <blockquote>{{ answer_draft.text|linebreaksbr }}</blockquote>
    {% include "understanding/_answer_quality.html" with answer_quality=answer_draft.quality %}
    <button type="button" class="btn" data-use-draft="{{ answer_draft.text }}" data-draft-source="{{ answer_draft.source_case_id }}" data-testid="use-draft">{% translate "Edit this draft" %}</button>
  </section>
{% endif %}
{% if similar_cases %}
  <section class="panel" data-testid="similar-cases">
    <h2>{% translate "Similar past cases" %} <span class="count">{{ similar_cases|length }}</span></h2>
    <ol class="similar-cases">
      {% for similar in similar_cases %}
        <li data-testid="similar-case" data-case-id="{{ similar.case_id }}">
          <a href="{% url 'cases:detail' similar.case_id %}">{{ similar.title|default:similar.case_id }}</a>
          <span class="muted">{% blocktranslate with value=similar.similarity|floatformat:2 %}similarity {{ value }}{% endblocktranslate %}</span>
          <blockquote>{{ similar.answer|truncatechars:400|linebreaksbr }}</blockquote>
          {% if can_draft and similar.answer %}
            <button type="button" class="btn btn-ghost" data-use-draft="{{ similar.answer }}" data-draft-source="{{ similar.case_id }}" data-testid="use-as-draft">{% translate "Use as a draft" %}</button>
          {% endif %}
        </li>
      {% endfor %}
    </ol>
  </section>
{% endif %}
"""

TRICKY = "<b>\"Кавычки\" & 'апостроф'</b>"
LONG = "Очень длинный ответ.\r\nСтрока " * 60

SIMILAR = [
    SimilarCase(1201, 0.91234, TRICKY, f"{TRICKY}\r\nстрока\rещё\n\nабзац"),
    SimilarCase(7, 0.5, "", LONG),
    SimilarCase(1234567, 0.105, "Без ответа", ""),
    SimilarCase(42, 1.0, "Ровно", "Короткий ответ"),
]
DRAFTS = [
    Draft(
        f"Черновик {TRICKY}\r\nпо [адрес]",
        1201,
        0.9,
        AnswerQuality(0.81, [], f"Объяснение {TRICKY}", overlap=0.456),
    ),
    Draft("Коротко", 7, 0.3, AnswerQuality(0.2, ["formal"], "Отписка", overlap=0.0)),
]


def _old(**values: Any) -> str:
    return Template(SIMILAR_TEMPLATE).render(Context(values))


def _new(**values: Any) -> str:
    return Template("{% load case_card %}{% card_similar %}").render(Context(values))


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("can_draft", [True, False])
def test_the_similar_cases_and_the_draft_render_as_the_template_did(language, can_draft):
    with translation.override(language):
        for draft in [None, *DRAFTS]:
            for similar in ([], SIMILAR, SIMILAR[1:2]):
                values = {"similar_cases": similar, "answer_draft": draft, "can_draft": can_draft}
                for _kept in range(2):  # made, then kept
                    assert _new(**values) == _old(**values)


def test_the_list_shows_the_answer_truncated_with_its_line_breaks():
    shown = str(card.similar_markup(Context({}), SIMILAR, None, True))
    assert (
        "&lt;b&gt;&quot;Кавычки&quot; &amp; &#x27;апостроф&#x27;&lt;/b&gt;<br>строка<br>ещё<br><br>абзац"
        in shown
    )
    assert "…</blockquote>" in shown and LONG[:300].replace("\r\n", "<br>") in shown
    assert 'data-draft-source="1234567"' not in shown  # no answer: nothing to take as a draft
