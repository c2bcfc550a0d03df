"""The common kinds of violations on election day (as the observers' movement classifies them on its
«Карта нарушений»), with the words an observer's message names them by. Edited in the admin after.

The list is frozen here as it was when this migration was written (2026-12-06); the application's
``otklik.elections.violations.DEFAULT_TYPES`` may change later without changing what a fresh
database gets from this migration (a later change to the seeded kinds is a new data migration)."""

from django.db import migrations

# (code, name, keywords), in their order
TYPES = (
    ("stuffing", "Вброс бюллетеней", "вброс, вбросил, вбрасыва, пачк"),
    ("carousel", "«Карусель»", "карусел, подвоз, подвез, автобус"),
    ("pressure", "Давление на избирателей, подкуп", "давлен, принужд, подкуп, угрож, заставля, принуд"),
    ("observers", "Препятствование наблюдателям", "наблюдател, удалил, выгнал, не пуска, не допуска, запрет"),
    ("mobile_box", "Нарушения при голосовании вне помещения", "переносн, вне помещ, на дому, надомн, выездн"),
    ("campaigning", "Агитация в день голосования", "агитац, агитир, листовк"),
    ("other", "Другое", ""),
)


def seed(apps, schema_editor):
    model = apps.get_model("elections", "ViolationType")
    for order, (code, name, keywords) in enumerate(TYPES):
        model.objects.get_or_create(code=code, defaults={"name": name, "keywords": keywords, "order": order})


class Migration(migrations.Migration):
    dependencies = [("elections", "0009_violation_types")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
