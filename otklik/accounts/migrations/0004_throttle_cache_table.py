"""The database table of the ``throttle`` cache (login and password-reset counters when no Redis is
configured); created whatever the cache setting is now, so that dropping Redis later works."""

from django.core.management import call_command
from django.db import migrations


def create_table(apps, schema_editor):
    call_command("createcachetable", "otklik_throttle_cache", database=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_alter_user_role")]

    operations = [migrations.RunPython(create_table, migrations.RunPython.noop)]
