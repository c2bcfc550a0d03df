"""The residents' web form: validation, consent, honeypot, rate limit and idempotent submission."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from otklik.cases.models import Case
from otklik.directory.choices import Channel
from otklik.directory.models import Territory
from otklik.intake.models import DeadLetter, Message
from otklik.intake.pipeline import Stage
from otklik.public import services
from otklik.understanding import places

from .appeal_data import TEXT, URL, form_data

pytestmark = pytest.mark.django_db


def test_the_form_page_offers_districts_consent_and_a_fresh_token(client, region):
    assert reverse("public:appeal") == URL
    response = client.get(URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert len(form.initial["form_token"]) == 32
    assert client.get(URL).context["form"].initial["form_token"] != form.initial["form_token"]
    content = response.content.decode()
    assert "Энгельсский район" in content and "Балаковский район" in content
    assert 'name="consent"' in content and 'name="website"' in content


def test_invalid_fields_are_shown_with_their_errors_and_nothing_is_stored(client, region):
    response = client.post(URL, form_data(name="", contact="позвоните мне", text="плохо"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"name", "contact", "text"}
    with translation.override("ru"):
        expected = gettext("Enter a valid email address or phone number.")
    assert expected in response.content.decode()
    assert not Message.objects.exists()


def test_consent_to_personal_data_processing_is_required(client, region):
    response = client.post(URL, form_data(consent=""))
    assert response.status_code == 400
    with translation.override("ru"):
        expected = gettext(
            "Without your consent to the processing of personal data we cannot accept the appeal."
        )
    assert expected in response.content.decode()
    assert not Message.objects.exists()


def test_a_filled_honeypot_is_thanked_and_dropped(client, region):
    response = client.post(URL, form_data(website="http://spam.example"))
    assert response.status_code == 200
    assert "public/received.html" in [t.name for t in response.templates]
    assert not Message.objects.exists() and not Case.objects.exists()


def test_an_appeal_becomes_a_web_form_case_and_the_resident_gets_its_status_page(client, region):
    district = Territory.objects.get(name="Энгельсский район")
    response = client.post(URL, form_data(district=str(district.pk)), follow=True)
    message = Message.objects.get()
    case = message.case
    assert case is not None and case.channel == Channel.WEB_FORM
    assert message.channel == Channel.WEB_FORM and message.source.code == "web-form"
    assert message.source.connector == "web_form"
    assert message.author_contact == "+7 (917) 123-45-67"
    assert message.text.endswith("Энгельсский район, ул. Тельмана, 12")
    assert message.raw["form"]["district_id"] == district.pk
    assert message.raw["form"]["personal_data_consent_at"]
    status_url = reverse("public:status", args=[case.number, services.status_token(case)])
    assert response.redirect_chain == [(status_url, 302)]
    assert case.number in response.content.decode()


def test_sending_the_same_form_twice_makes_one_case(client, region):
    data = form_data()
    first = client.post(URL, data)
    second = client.post(URL, {**data, "text": TEXT + " (повторно)"})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Message.objects.count() == 1 and Case.objects.count() == 1


def test_a_forged_form_token_is_refused(client, region):
    response = client.post(URL, form_data(form_token="../../etc"))
    assert response.status_code == 400
    assert "form_token" in response.context["form"].errors


def test_submissions_per_address_are_limited(client, region, settings):
    settings.OTKLIK_PUBLIC_APPEALS_PER_HOUR = 2
    texts = [
        "Не вывозят мусор во дворе дома 5 уже неделю, контейнеры переполнены",
        "Огромная яма на дороге у остановки на улице Мира, машины бьют колёса",
        "Не горят фонари на улице Гагарина уже месяц, вечером опасно ходить",
    ]
    codes = [client.post(URL, form_data(text=t)).status_code for t in texts]
    assert codes == [302, 302, 429]
    assert Message.objects.count() == 2
    other = client.post(URL, form_data(text=texts[2]), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_an_appeal_the_pipeline_fails_on_is_kept_in_dead_letters_and_the_resident_is_told(
    client, region, monkeypatch
):

    def broken(*args, **kwargs):
        raise RuntimeError("gazetteer unavailable")

    monkeypatch.setattr(places, "locate", broken)
    data = form_data()
    response = client.post(URL, data)

    assert response.status_code == 400
    with translation.override("ru"):
        expected = gettext("We could not accept the appeal. Please check it and send it again.")
    assert expected in response.content.decode()
    assert not Message.objects.exists() and not Case.objects.exists()
    letter = DeadLetter.objects.get()  # the appeal itself is kept, with the reason
    assert letter.stage == Stage.PLACE and "gazetteer unavailable" in letter.reason
    assert TEXT in letter.payload and letter.external_id == f"form-{data['form_token']}"

    monkeypatch.undo()  # fixed: the same form sent again goes through
    assert client.post(URL, data).status_code == 302
    assert Message.objects.get().external_id == letter.external_id
