"""Observers imported from a table: bound to their stations, bad rows skipped with reasons, staff
never demoted, re-runs update; each new observer sets a password through a one-time link."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from otklik.accounts.choices import Role
from otklik.accounts.models import User
from otklik.elections.models import Observer
from otklik.elections.observers import import_observers, normalize_phone
from otklik.testing.factories import make_user

pytestmark = pytest.mark.django_db

TABLE = """station,full_name,phone,email
101,Иванова Анна Сергеевна,8 (927) 000-11-22,anna@example.test
УИК № 201,Петров Борис,+7 927 333-44-55,
999,Сидоров Олег,+7 927 555-66-77,
102,Кузнецова Мария,12345,
102,Смирнов Игорь,,не-почта
102,Орлов Павел,,
102,Иванова Анна Сергеевна,+7 927 000 11 22,
"""


def table(tmp_path: Path, text: str = TABLE) -> Path:
    path = tmp_path / "observers.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_phones_are_checked_and_written_alike():
    assert normalize_phone("8 (927) 000-11-22") == normalize_phone("+7 927 000 11 22") == "+79270001122"
    with pytest.raises(ValueError):
        normalize_phone("12345")


def test_observers_are_bound_and_invited(tmp_path, day, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = import_observers(table(tmp_path))
    assert (result.created, result.updated, result.emailed) == (2, 0, 1)
    assert [s.split(":", 1)[0] for s in result.skipped] == ["line 4", "line 5", "line 6", "line 7", "line 8"]
    assert "no polling station '999'" in result.skipped[0]
    assert "not a phone number" in result.skipped[1] and "not an email" in result.skipped[2]
    assert "obs79270001122 is already in this file" in result.skipped[4]
    anna = User.objects.get(username="obs79270001122")
    assert (anna.role, anna.first_name, anna.last_name, anna.has_usable_password()) == (
        Role.OBSERVER,
        "Анна Сергеевна",
        "Иванова",
        False,  # nobody gets a password from a table
    )
    assert anna.observer.station == day["s1"] and anna.observer.phone == "+79270001122"
    assert User.objects.get(username="obs79273334455").observer.station == day["s3"]
    assert [m.to for m in mail.outbox] == [["anna@example.test"]]
    link = next(i.link for i in result.invitations if i.username == anna.username)
    assert link in mail.outbox[0].body and "УИК № 101" not in mail.outbox[0].subject  # "участок 101"
    assert "obs79270001122" in mail.outbox[0].body


def test_the_invitation_sets_a_password_once_and_signs_in(client, tmp_path, day):
    result = import_observers(table(tmp_path), send_email=False)
    link = next(i.link for i in result.invitations if i.username == "obs79270001122")
    path = link.removeprefix("http://127.0.0.1:8000")
    form = client.get(path, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    set_url = form.redirect_chain[-1][0]  # Django hides the token behind a session URL
    weak = client.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "password-errors" in weak.content.decode()
    done = client.post(
        set_url, {"new_password1": "Урна-1001-Энгельс", "new_password2": "Урна-1001-Энгельс"}, follow=True
    )
    assert done.redirect_chain[-1][0] == "/elections/station/"  # signed in, on her station
    assert done.context["station"] == day["s1"]
    client.logout()
    again = client.get(path, follow=True)
    assert not again.context["validlink"]  # used
    assert client.login(username="obs79270001122", password="Урна-1001-Энгельс")

    # Re-run: updated, not duplicated; only who never signed in is invited again.
    rerun = import_observers(table(tmp_path), send_email=False)
    assert (rerun.created, rerun.updated) == (0, 2)
    assert [i.username for i in rerun.invitations] == ["obs79273334455"]
    assert Observer.objects.count() == 4  # the fixture's two and these two


def test_staff_is_never_made_an_observer_and_a_move_is_followed(tmp_path, day):
    make_user(Role.SUPERVISOR, username="chief2")
    moved = import_observers(
        table(tmp_path, "station,full_name,phone,username\n101,Главный Иван,+79270009988,chief2\n"),
        send_email=False,
    )
    assert moved.created == 0 and "chief2 is a staff account" in moved.skipped[0]
    assert User.objects.get(username="chief2").role == Role.SUPERVISOR
    import_observers(
        table(tmp_path, "station,full_name,phone\n101,Лебедев Ян,+79270001100\n"), send_email=False
    )
    import_observers(
        table(tmp_path, "station,full_name,phone\n201,Лебедев Ян,+79270001100\n"), send_email=False
    )
    assert User.objects.get(username="obs79270001100").observer.station == day["s3"]


def test_the_command_writes_the_links_for_sms(tmp_path, day):
    links = tmp_path / "links.csv"
    out = StringIO()
    call_command(
        "import_observers",
        str(table(tmp_path)),
        "--links",
        str(links),
        "--no-email",
        stdout=out,
        stderr=StringIO(),
    )
    assert "2 new and 0 updated observers; 2 invitations, 0 of them emailed." in out.getvalue()
    rows = links.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "username,full_name,phone,email,station,link" and len(rows) == 3
    assert "/accounts/password/set/" in rows[1]
    with pytest.raises(CommandError, match="no column"):
        call_command(
            "import_observers", str(table(tmp_path, "station,full_name\n101,Иван\n")), stdout=StringIO()
        )
