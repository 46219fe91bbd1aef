"""``shoumen rotate-pass-keys``: retire the pass signing key now and make a new one.

For a key that may have leaked, or to rotate by hand; the scheduled rotation runs on its own
(every ``PASS_KEY_ROTATION_DAYS``). Passes already issued stay valid: the retired key stays
published at ``GET /api/gate/keys/`` for ``PASS_VALID_DAYS`` more. To stop passes signed by a
leaked key, reissue them as well.
"""

from django.core.management.base import BaseCommand

from shoumen.credentials import keys
from shoumen.credentials.models import SigningKey


class Command(BaseCommand):
    help = "Retire the resident pass signing key and make a new one; prints the new key id."

    def handle(self, *args, **options):
        retiring = list(SigningKey.objects.filter(retired_at=None).values_list("kid", flat=True))
        key = keys.rotate()
        for kid in retiring:
            self.stderr.write(f"retired {kid}")
        self.stdout.write(key.kid)
