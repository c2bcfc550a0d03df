"""The pipeline's stage "deadline" is called "decide" (it decides between assignment and moderation;
the deadline starts in the action it calls): stored dead letters follow."""

from django.db import migrations


def rename(old: str, new: str):
    def run(apps, schema_editor):
        apps.get_model("intake", "DeadLetter").objects.filter(stage=old).update(stage=new)

    return run


class Migration(migrations.Migration):
    dependencies = [("intake", "0004_fewer_message_indexes")]

    operations = [migrations.RunPython(rename("deadline", "decide"), rename("decide", "deadline"))]
