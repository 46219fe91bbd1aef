from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GateConfig(AppConfig):
    name = "shoumen.gate"
    verbose_name = _("Gate")

    def ready(self):
        from .checkpoints import signals  # noqa: F401  (devices end with their guard's right)
