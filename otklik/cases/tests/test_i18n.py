"""The Russian catalog: the operator UI speaks Russian by default, English on request, and the
compiled catalog matches its source (nothing untranslated, fuzzy or stale)."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from otklik.accounts.choices import Role
from otklik.cases import actions
from otklik.cases.choices import AnswerKind
from otklik.testing.factories import (
    make_agency,
    make_case,
    make_category,
    make_policy,
    make_rule,
    make_territory,
    make_user,
)

CATALOG_DIR = Path(settings.BASE_DIR) / "otklik" / "locale" / "ru" / "LC_MESSAGES"

# Words of the operator UI that must never show up untranslated on a Russian page.
ENGLISH_UI_WORDS = ["Incoming queue", "Deadline", "History", "Messages", "Answers", "Log out", "Assigned"]


@pytest.fixture
def worked_case(db: Any) -> dict[str, Any]:
    """A case that went through moderation, work, an interim answer, and a returned final answer."""
    district = make_territory("Энгельсский район", lat=51.5, lon=46.0)
    utilities = make_category("ЖКХ", code="zhkh")
    agency = make_agency("Администрация Энгельсского района")
    make_rule(agency, category=utilities)
    make_policy(1)
    moderator = make_user(Role.MODERATOR)
    executor = make_user(Role.EXECUTOR, agency=agency)
    case = make_case(text="Нет горячей воды третий день", is_urgent=True)
    actions.moderate_case(case, moderator, category=utilities, territory=district)
    case.refresh_from_db()
    actions.start_work(case, executor)
    actions.write_answer(case, executor, text="Бригада выехала, работы ведутся.", kind=AnswerKind.INTERIM)
    answer = actions.write_answer(case, executor, text="Горячая вода подана, авария устранена.")
    actions.return_answer(answer, moderator, comment="Уточните, когда подали воду")
    case.refresh_from_db()
    return {"case": case, "moderator": moderator}


def _page(client: Any, url: str, language: str = "ru") -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_login_page_is_russian_by_default(client, db):
    page = _page(client, reverse("accounts:login"))
    assert '<html lang="ru">' in page
    for word in ("Войти", "Имя пользователя", "Пароль", "Отклик"):
        assert word in page
    assert "Log in" not in page and "Password" not in page


def test_queue_speaks_russian(client, worked_case):
    client.force_login(worked_case["moderator"])
    page = _page(client, reverse("cases:queue") + "?tab=all")
    for word in ("Очередь обращений", "Срок", "Исполнитель", "Статус", "В работе", "Быстрые фильтры"):
        assert word in page
    assert "1 обращение" in page
    assert "осталось" in page  # the deadline countdown of the case in work
    for word in ENGLISH_UI_WORDS:
        assert word not in page


def test_case_card_speaks_russian(client, worked_case):
    client.force_login(worked_case["moderator"])
    page = _page(client, reverse("cases:detail", args=[worked_case["case"].pk]))
    for word in (
        "История",
        "Срок",
        "Сообщения",
        "Ответы",
        "Промежуточный",
        "Ответ возвращён на доработку",
        "Проверено модератором",
        "Дан ответ",
        "В работе",
        "Действия",
        "Срочно",
    ):
        assert word in page
    for word in ENGLISH_UI_WORDS:
        assert word not in page


def test_english_on_request(client, worked_case):
    client.force_login(worked_case["moderator"])
    queue = _page(client, reverse("cases:queue") + "?tab=all", language="en")
    card = _page(client, reverse("cases:detail", args=[worked_case["case"].pk]), language="en")
    assert '<html lang="en">' in queue
    assert "Incoming queue" in queue and "In progress" in queue and "1 case" in queue
    assert "History" in card and "Deadline" in card and "Answer returned for rework" in card
    for word in ("Очередь обращений", "История", "В работе"):
        assert word not in queue + card


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "1 обращение"), (3, "3 обращения"), (5, "5 обращений"), (11, "11 обращений"), (21, "21 обращение")],
)
def test_russian_plural_forms(n, expected):
    with translation.override("ru"):
        text = translation.ngettext("%(counter)s case", "%(counter)s cases", n) % {"counter": n}
    assert text == expected


# --- the catalog file itself ------------------------------------------------------------------


def _po_entries(path: Path) -> list[dict[str, Any]]:
    """A small .po reader: msgid, msgid_plural, msgstr / msgstr[i] and flags of every entry."""
    entries: list[dict[str, Any]] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict[str, Any] = {"flags": "", "msgstr": {}}
        key: tuple[str, Any] | None = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += line
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                assert key is not None
                value = ast.literal_eval(line)
                if key[0] == "msgstr":
                    entry["msgstr"][key[1]] += value
                else:
                    entry[key[0]] += value
            else:
                word, rest = line.split(" ", 1)
                value = ast.literal_eval(rest)
                match = re.fullmatch(r"msgstr\[(\d)\]", word)
                if match or word == "msgstr":
                    key = ("msgstr", int(match.group(1)) if match else None)
                    entry["msgstr"][key[1]] = value
                else:
                    key = (word, None)
                    entry[word] = value
        if "msgid" in entry:
            entries.append(entry)
    return entries


def test_catalog_has_no_untranslated_or_fuzzy_entries():
    entries = [e for e in _po_entries(CATALOG_DIR / "django.po") if e["msgid"]]
    assert len(entries) > 300
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []
    plural_forms = [len(e["msgstr"]) for e in entries if "msgid_plural" in e]
    assert plural_forms and set(plural_forms) == {3}


def test_placeholders_survive_translation():
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
    for entry in _po_entries(CATALOG_DIR / "django.po"):
        expected = sorted(placeholder.findall(entry["msgid"]))
        for text in entry["msgstr"].values():
            if entry["msgid"] and text:
                assert sorted(placeholder.findall(text)) == expected, entry["msgid"]


def test_compiled_catalog_is_up_to_date():
    with (CATALOG_DIR / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for entry in _po_entries(CATALOG_DIR / "django.po"):
        if not entry["msgid"]:
            continue
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            for n, form in ((1, 0), (3, 1), (5, 2)):
                if context is None:
                    got = compiled.ngettext(entry["msgid"], entry["msgid_plural"], n)
                else:
                    got = compiled.npgettext(context, entry["msgid"], entry["msgid_plural"], n)
                assert got == entry["msgstr"][form], entry["msgid"]
        else:
            if context is None:
                got = compiled.gettext(entry["msgid"])
            else:
                got = compiled.pgettext(context, entry["msgid"])
            assert got == entry["msgstr"][None], entry["msgid"]
