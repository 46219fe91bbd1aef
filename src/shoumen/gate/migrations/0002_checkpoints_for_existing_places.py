from django.db import migrations


def add_checkpoints(apps, schema_editor):
    """Places of kind "checkpoint" made before the gate app get their checkpoint row."""
    Place = apps.get_model("geo", "Place")
    Checkpoint = apps.get_model("gate", "Checkpoint")
    ids = Place.objects.filter(kind="checkpoint").values_list("pk", flat=True)
    Checkpoint.objects.bulk_create([Checkpoint(place_id=pk) for pk in ids], batch_size=5000,
                                   ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("gate", "0001_initial"),
        ("geo", "0001_initial"),
    ]

    operations = [migrations.RunPython(add_checkpoints, migrations.RunPython.noop)]
