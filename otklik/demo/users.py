"""The demo's people: one login per role (``DEMO_LOGINS``, printed by ``otklik demo``) and agency staff.

Every agency also gets a staff account without a password (``staff-…``): the demo's history shows
who answered, as it would in a real deployment.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from otklik.accounts.choices import Role
from otklik.accounts.models import User
from otklik.accounts.permissions import Capability, holders
from otklik.directory.models import Agency, Territory

from .agencies import DemoDirectory


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    full_name: str
    agency: str = ""  # an agency spec key, or "mo:<municipality name>" for a municipal administration
    is_admin: bool = False


# The one place the demo's logins are written down (README and `otklik demo` print this table).
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("moderator", "moderator-demo", Role.MODERATOR, "Мария Модераторова"),
    DemoLogin("supervisor", "supervisor-demo", Role.SUPERVISOR, "Сергей Руководителев"),
    DemoLogin("analyst", "analyst-demo", Role.ANALYST, "Анна Аналитикова"),
    DemoLogin("admin", "admin-demo", Role.ADMINISTRATOR, "Алексей Администраторов", is_admin=True),
    DemoLogin("engels", "engels-demo", Role.EXECUTOR, "Елена Исполнителева", agency="mo:Энгельсский район"),
    DemoLogin("vodokanal", "vodokanal-demo", Role.EXECUTOR, "Василий Водопроводов", agency="vodokanal"),
    DemoLogin("mintrans", "mintrans-demo", Role.EXECUTOR, "Дмитрий Дорожкин", agency="mintrans"),
    DemoLogin("deputy", "deputy-demo", Role.EXECUTOR, "Пётр Иванов", agency="deputy:Иванов Пётр Сергеевич"),
    DemoLogin("coordinator", "coordinator-demo", Role.COORDINATOR, "Ольга Координаторова"),
    DemoLogin("observer", "observer-demo", Role.OBSERVER, "Никита Наблюдателев"),
    DemoLogin("lawyer", "lawyer-demo", Role.LAWYER, "Юлия Юристова"),
)

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)


def slugify_ru(text: str) -> str:
    """Transliterate for a username: "Энгельсский район" → "engelsskiy-rayon"."""
    out = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    out = out.replace("iy ", "iy-").replace("yy ", "yy-")
    return "-".join("".join(ch if ch.isalnum() else " " for ch in out).split())


def login_agency(login: DemoLogin, directory: DemoDirectory) -> Agency | None:
    if not login.agency:
        return None
    if login.agency.startswith("deputy:"):
        return Agency.objects.filter(deputy__full_name=login.agency.removeprefix("deputy:")).first()
    if login.agency.startswith("mo:"):
        municipality = Territory.objects.filter(
            parent=directory.region, name=login.agency.removeprefix("mo:")
        ).first()
        return directory.municipal.get(municipality.pk) if municipality else None
    return directory.agencies.get(login.agency)


def _split_name(full_name: str) -> tuple[str, str]:
    first, _, last = full_name.partition(" ")
    return first, last


def ensure_demo_users(directory: DemoDirectory) -> dict[str, User]:
    """Create or update the demo logins with their documented passwords (idempotent)."""
    users: dict[str, User] = {}
    with transaction.atomic():
        for login in DEMO_LOGINS:
            first, last = _split_name(login.full_name)
            user, _ = User.objects.update_or_create(
                username=login.username,
                defaults={
                    "role": login.role,
                    "agency": login_agency(login, directory),
                    "first_name": first,
                    "last_name": last,
                    "email": f"{login.username}@demo.example.com",
                    "is_active": True,
                    "is_staff": login.is_admin,
                    "is_superuser": login.is_admin,
                },
            )
            user.set_password(login.password)
            user.save(update_fields=["password"])
            users[login.username] = user
    return users


def ensure_agency_staff(directory: DemoDirectory) -> dict[int, User]:
    """One passwordless staff account per agency (the demo's login where there is one): agency id → user."""
    staff: dict[int, User] = {}
    logins = {
        u.agency_id: u
        for u in User.objects.filter(
            holders(Capability.ANSWER_FOR_AGENCY), username__in=[x.username for x in DEMO_LOGINS]
        )
    }
    agencies = list(directory.agencies.values()) + list(directory.municipal.values())
    with transaction.atomic():
        for agency in agencies:
            if agency.pk in logins:
                staff[agency.pk] = logins[agency.pk]
                continue
            username = f"staff-{slugify_ru(agency.short_name or agency.name)}"[:150]
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "role": Role.EXECUTOR,
                    "agency": agency,
                    "first_name": "Исполнитель",
                    "last_name": agency.short_name[:150],
                },
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            staff[agency.pk] = user
    return staff
