from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResumptionConfig(AppConfig):
    name = "shoumen.resumption"
    verbose_name = _("Work resumption")
