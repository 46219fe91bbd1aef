"""The close-contact search and the traces read entries by person and by site and need only
a few columns: covering indexes let PostgreSQL answer from the index alone (decision 0008).
Built beside the old ones without blocking the gate's writes, then the old ones dropped."""

from django.db import migrations, models

from shoumen.core.migration_ops import AddIndexWhileWriting, RemoveIndexWhileWriting


class Migration(migrations.Migration):

    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ('gate', '0002_checkpoints_for_existing_places'),
    ]

    operations = [
        AddIndexWhileWriting(
            model_name='entry',
            index=models.Index(fields=['person', 'at'], include=('site_id', 'checkpoint', 'id'),
                               name='gate_entry_person_at_cov'),
        ),
        AddIndexWhileWriting(
            model_name='entry',
            index=models.Index(fields=['site_id', 'at'], include=('person', 'checkpoint', 'id'),
                               name='gate_entry_site_at_cov'),
        ),
        RemoveIndexWhileWriting(
            model_name='entry',
            name='gate_entry_person_at',
        ),
        RemoveIndexWhileWriting(
            model_name='entry',
            name='gate_entry_site_at',
        ),
    ]
