from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from shoumen.core import ids  # noqa: F401  (registers the ``<id:…>`` path converter)
from shoumen.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("", core_views.home, name="home"),
    path("", include("shoumen.core.urls")),
    path("", include("shoumen.accounts.urls")),
    path("people/", include("shoumen.people.urls")),
    path("places/", include("shoumen.geo.urls")),
    path("enterprises/", include("shoumen.resumption.urls")),
    path("ledgers/", include("shoumen.ledgers.urls")),
    path("gate/", include("shoumen.gate.urls")),
    path("evidence/", include("shoumen.evidence.urls")),
    path("duties/", include("shoumen.duties.urls")),
    path("checklists/", include("shoumen.checklists.urls")),
    path("inspections/", include("shoumen.inspections.urls")),
    path("disinfection/", include("shoumen.disinfection.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/", include("shoumen.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler403 = "shoumen.core.views.permission_denied"  # says why (core.authz.NotAllowed)
handler500 = "shoumen.core.outage.server_error"  # a database outage is a 503 (core.outage)
