"""The signing keys are the credentials app's now (same table): only Django's state moves."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('gate', '0004_device_revoked_reason'),
        ('credentials', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='residentpass',
                    name='signing_key',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='credentials.signingkey'),
                ),
                migrations.DeleteModel(name='SigningKey'),
            ],
            database_operations=[],
        ),
    ]
