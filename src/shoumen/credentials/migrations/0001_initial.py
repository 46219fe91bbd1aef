"""The signing keys, moved from the gate: the table exists (gate 0001 made it), so this only
tells Django's state that the model is here now."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('gate', '0004_device_revoked_reason'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SigningKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kid', models.CharField(help_text='Base64 of the first 8 bytes of SHA-256 of the public key', max_length=24, unique=True, verbose_name='key id')),
                        ('public_key_der', models.BinaryField()),
                        ('private_key_encrypted', models.TextField(editable=False)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                        ('retired_at', models.DateTimeField(blank=True, null=True, verbose_name='retired')),
                    ],
                    options={
                        'verbose_name': 'signing key',
                        'verbose_name_plural': 'signing keys',
                        'ordering': ['-created_at', '-id'],
                        'db_table': 'gate_signingkey',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
