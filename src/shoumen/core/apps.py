from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "shoumen.core"
    verbose_name = _("Core")

    def ready(self):
        from . import audit  # noqa: F401  (connects the audit signal handlers)
