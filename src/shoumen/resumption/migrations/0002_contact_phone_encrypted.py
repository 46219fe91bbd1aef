# The contact's phone held like a resident's: encrypted, with a blind index and a mask.

from django.db import migrations, models


def encrypt_phones(apps, schema_editor):
    """Every number stored in clear so far, encrypted; the clear column goes next."""
    from shoumen.core import pii

    Enterprise = apps.get_model("resumption", "Enterprise")
    for enterprise in Enterprise.objects.exclude(contact_phone="").iterator():
        phone = pii.normalize_phone(enterprise.contact_phone).replace("-", "")
        (enterprise.contact_phone_encrypted, enterprise.contact_phone_index,
         enterprise.contact_phone_masked) = pii.phone_columns(phone)
        enterprise.save(update_fields=["contact_phone_encrypted", "contact_phone_index",
                                       "contact_phone_masked"])


class Migration(migrations.Migration):

    dependencies = [
        ('resumption', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='enterprise',
            name='contact_phone_encrypted',
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name='enterprise',
            name='contact_phone_index',
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name='enterprise',
            name='contact_phone_masked',
            field=models.CharField(blank=True, editable=False, max_length=20, verbose_name='contact phone'),
        ),
        migrations.RunPython(encrypt_phones, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(
            model_name='enterprise',
            name='contact_phone',
        ),
    ]
