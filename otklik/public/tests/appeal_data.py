"""What a resident types into the public appeal form, for the tests that post it."""

from __future__ import annotations

import uuid

URL = "/public/appeal/"
TEXT = "Третий день нет горячей воды в доме 12 на улице Тельмана, просим разобраться"


def form_data(**overrides: str) -> dict[str, str]:
    """A valid submission (a fresh one-time token each call); ``overrides`` change fields."""
    data = {
        "name": "Ирина Смирнова",
        "contact": "+7 (917) 123-45-67",
        "text": TEXT,
        "district": "",
        "address": "ул. Тельмана, 12",
        "consent": "on",
        "website": "",
        "form_token": uuid.uuid4().hex,
    }
    data.update(overrides)
    return data
