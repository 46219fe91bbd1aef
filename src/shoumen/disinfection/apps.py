from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisinfectionConfig(AppConfig):
    name = "shoumen.disinfection"
    verbose_name = _("Disinfection and patrols")
