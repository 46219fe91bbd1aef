from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class LedgersConfig(AppConfig):
    name = "shoumen.ledgers"
    verbose_name = _("Ledgers")

    def ready(self):
        # Every installed app may declare its importers and exporters in ``<app>/ledger.py``
        # (e.g. shoumen.people.ledger); importing the module registers them.
        autodiscover_modules("ledger")
