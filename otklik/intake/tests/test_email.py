"""Email connector against local fake IMAP and SMTP servers speaking the real protocols."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from otklik.cases.models import Answer, Case
from otklik.directory.choices import Channel
from otklik.intake.connectors.base import ConnectorError, NormalizeError, connector_for
from otklik.intake.connectors.email_imap import EmailConnector, html_to_text, parse_cursor
from otklik.intake.fakes.mail import FakeIMAPServer, FakeSMTPServer
from otklik.intake.fetching import fetch_source
from otklik.intake.models import DeadLetter, Message, Source

from .conftest import NOW

PASSWORD_ENV = "OTKLIK_TEST_MAIL_PASSWORD"


def letter(
    subject: str,
    body: str,
    *,
    sender: str = "Иван Петров <ivan@example.test>",
    message_id: str | None = None,
    html: str | None = None,
    attachment: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "cur@example.test"
    msg["Subject"] = subject  # non-ASCII → RFC 2047 encoded words on the wire
    msg["Date"] = format_datetime(NOW)
    digest = hashlib.sha1(f"{subject}|{body}".encode()).hexdigest()[:16]
    msg["Message-ID"] = message_id or f"<{digest}@mail.example.test>"
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if attachment:
        msg.add_attachment(b"\x89PNG fake", maintype="image", subtype="png", filename=attachment)
    return msg


@pytest.fixture
def imap() -> Iterator[FakeIMAPServer]:
    with FakeIMAPServer() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[FakeSMTPServer]:
    with FakeSMTPServer(username="cur@example.test", password="secret") as server:
        yield server


@pytest.fixture
def source(db, imap, smtp, monkeypatch) -> Source:
    monkeypatch.setenv(PASSWORD_ENV, "secret")
    return Source.objects.create(
        code="mail-cur",
        name="Почта ЦУР",
        channel=Channel.EMAIL,
        connector="email",
        settings={
            "imap_host": imap.host,
            "imap_port": imap.port,
            "imap_ssl": False,
            "username": "cur@example.test",
            "password_env": PASSWORD_ENV,
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "from_address": "cur@example.test",
            "batch_size": 2,
            "timeout_seconds": 5,
        },
    )


def pull(source: Source) -> dict[str, int]:
    """One run of the real fetch loop (fetch → normalize → pipeline → cursor after commit)."""
    report = fetch_source(source, now=NOW)
    assert report.ok, report.error
    source.refresh_from_db()
    dead = report.dead_letters + report.result.dead_letters
    return {
        "fetched": report.fetched,
        "dead": dead,
        "skipped": report.skipped,
        "cases": report.result.created_cases,
    }


def test_cursor_is_uidvalidity_and_last_uid():
    assert parse_cursor("1700000000:42") == (1700000000, 42)
    assert parse_cursor("") == (0, 0)
    assert parse_cursor("garbage") == (0, 0)


def test_html_only_letters_become_plain_text():
    assert html_to_text("<p>Нет&nbsp;воды</p><script>x()</script><div>ул. Ленина, 5</div>") == (
        "Нет воды\n\nул. Ленина, 5"
    )


@pytest.mark.django_db
def test_letters_become_cases_malformed_ones_dead_letters_and_refetch_changes_nothing(region, source, imap):
    imap.add(letter("Нет горячей воды", "Третий день нет горячей воды на ул. Тельмана в Энгельсе, помогите!"))
    imap.add(
        letter(
            "Яма на дороге",
            "",
            html="<p>Огромная яма на дороге у остановки, машины бьют колёса</p>",
            attachment="яма.png",
            sender="=?utf-8?b?0J/RkdGC0YA=?= <petr@example.test>",
        )
    )
    imap.add(b"this is not a letter at all\r\n\r\n")  # no headers: no sender → dead letter
    imap.add(letter("Отпуск", "Я в отпуске до понедельника", headers={"Auto-Submitted": "auto-replied"}))
    imap.add(
        letter(
            "Мусор",
            "Не вывозят мусор во дворе уже неделю, контейнеры переполнены",
            sender="anna@example.test",
        )
    )

    counts = pull(source)
    assert counts == {"fetched": 5, "dead": 1, "skipped": 1, "cases": 3}
    source.refresh_from_db()
    assert source.cursor == f"{imap.uidvalidity}:5"

    water = Message.objects.get(author_contact="ivan@example.test")
    assert water.channel == Channel.EMAIL
    assert water.author_name == "Иван Петров"
    assert water.text.startswith("Нет горячей воды\n\nТретий день")
    assert water.raw["email"]["subject"] == "Нет горячей воды"  # decoded from RFC 2047
    pit = Message.objects.get(author_contact="petr@example.test")
    assert pit.author_name == "Пётр"
    assert "Огромная яма на дороге" in pit.text and "<p>" not in pit.text
    assert pit.raw["attachments"] == ["яма.png"]
    dead = DeadLetter.objects.get()
    assert "no sender address" in dead.reason
    assert base64.b64decode(json.loads(dead.payload)["rfc822"]).startswith(b"this is not")
    # The letters were read with BODY.PEEK: still unseen in the mailbox.
    assert all("\\Seen" not in m.flags for m in imap.mails)

    # Again from the same cursor: nothing new. From scratch (a lost cursor): duplicates only.
    assert pull(source)["fetched"] == 0
    source.cursor = ""
    again = pull(source)
    assert again["fetched"] == 5 and again["cases"] == 0
    assert Case.objects.count() == 3 and Message.objects.count() == 3
    assert DeadLetter.objects.get().attempts == 2  # the malformed letter read again: no second dead letter


@pytest.mark.django_db
def test_a_rebuilt_mailbox_is_read_again_without_new_cases(region, source, imap):
    imap.add(letter("Нет воды", "Нет холодной воды в доме на улице Мира в Энгельсе второй день"))
    pull(source)
    imap.reset_uids(1800000000)
    imap.add(letter("Фонари", "Не горят фонари на улице Гагарина в Энгельсе, темно и опасно"))
    connector = connector_for(source)
    source.refresh_from_db()
    fetched = connector.fetch(source.cursor)
    assert [p["uid"] for p in fetched.payloads] == [1, 2]
    assert "UIDVALIDITY changed" in fetched.notes[0]
    assert pull(source)["cases"] == 1
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_unseen_only_skips_letters_already_read(region, source, imap):
    imap.add(letter("Старое", "Уже прочитанное письмо про отопление в школе"), seen=True)
    imap.add(letter("Новое", "Нет отопления в детском саду номер 7, дети мёрзнут"))
    source.settings["unseen_only"] = True
    fetched = connector_for(source).fetch("")
    assert [p["uid"] for p in fetched.payloads] == [2]
    assert any("UNSEEN" in c for c in imap.commands)


@pytest.mark.django_db
def test_wrong_password_is_a_permanent_error_and_an_absent_server_a_retriable_one(source, imap, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    with pytest.raises(ConnectorError) as refused:
        connector_for(source).fetch("")
    assert not refused.value.retriable and "login refused" in str(refused.value)
    monkeypatch.setenv(PASSWORD_ENV, "secret")
    imap.down = True
    with pytest.raises(ConnectorError) as away:
        connector_for(source).fetch("")
    assert away.value.retriable
    assert connector_for(source).health().ok is False
    imap.down = False
    health = connector_for(source).health()
    assert health.ok and health.checked["uidvalidity"] == imap.uidvalidity


@pytest.mark.django_db
def test_a_letter_in_an_unknown_charset_is_a_dead_letter_not_a_crash(source):
    raw = (
        b"From: x@example.test\r\nSubject: test\r\nDate: Mon, 02 Mar 2026 09:00:00 +0400\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\n\xff\xfe body\r\n"
    )
    payload = {"uid": 1, "uidvalidity": 1, "internaldate": "", "rfc822": base64.b64encode(raw).decode()}
    with pytest.raises(NormalizeError, match="cannot parse"):
        EmailConnector(source).normalize(payload)
    with pytest.raises(NormalizeError, match="holds no letter"):
        EmailConnector(source).normalize({"uid": 2, "rfc822": "not base64!"})


@pytest.mark.django_db
def test_the_answer_goes_back_as_a_threaded_reply(region, source, imap, smtp):
    imap.add(
        letter(
            "Нет горячей воды",
            "Третий день нет горячей воды на ул. Тельмана в Энгельсе",
            message_id="<first@mail.example.test>",
            headers={"References": "<earlier@mail.example.test>"},
        )
    )
    pull(source)
    message = Message.objects.get()
    answer = Answer.objects.create(case=message.case, text="Подачу воды восстановят сегодня к 18:00.")
    result = connector_for(source).publish_reply(message.case, answer, message)
    assert result.sent
    (delivered,) = smtp.messages
    assert delivered.recipients == ["ivan@example.test"]
    reply = delivered.message
    assert str(reply["Subject"]) == "Re: Нет горячей воды"
    assert reply["In-Reply-To"] == "<first@mail.example.test>"
    assert reply["References"] == "<earlier@mail.example.test> <first@mail.example.test>"
    assert reply["Message-ID"].strip("<>") == result.external_id
    body = reply.get_body().get_content()
    assert "Подачу воды восстановят" in body and message.case.number in body

    smtp.reject.add("ivan@example.test")
    refused = connector_for(source).publish_reply(message.case, answer, message)
    assert not refused.sent and "refused" in refused.detail
    smtp.down = True
    with pytest.raises(ConnectorError) as away:
        connector_for(source).publish_reply(message.case, answer, message)
    assert away.value.retriable
