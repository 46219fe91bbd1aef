from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "shoumen.core"
    verbose_name = _("Core")

    def ready(self):
        from django.contrib import admin

        from . import audit  # noqa: F401  (connects the audit signal handlers)
        from .ids import guard_related_lookups

        guard_related_lookups()

        admin.site.site_header = _("Shoumen administration")
        admin.site.site_title = _("Shoumen administration")
        admin.site.index_title = _("System administration")
