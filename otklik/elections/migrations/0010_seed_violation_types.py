"""The common kinds of violations on election day (as the observers' movement classifies them on its
«Карта нарушений»), with the words an observer's message names them by. Edited in the admin after."""

from django.db import migrations


def seed(apps, schema_editor):
    from otklik.elections.violations import seed as seed_types

    seed_types(apps.get_model("elections", "ViolationType"))


class Migration(migrations.Migration):
    dependencies = [("elections", "0009_violation_types")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
