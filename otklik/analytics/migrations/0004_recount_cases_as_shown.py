"""Cases now count under the category and territory they show (decided, or while none is decided,
suggested — as the one case filter matches them): the next refresh recounts every case."""

from django.db import migrations


def recount_on_next_refresh(apps, schema_editor):
    RollupState = apps.get_model("analytics", "RollupState")
    RollupState.objects.filter(name="cases").update(refreshed_at=None, last_updated_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_concrete_answers"),
    ]

    operations = [migrations.RunPython(recount_on_next_refresh, migrations.RunPython.noop)]
