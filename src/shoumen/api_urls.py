"""Every REST endpoint, under /api/. Each app contributes its own api/urls.py; add one line
per app here (URL names are prefixed ``api-``, e.g. ``api-person-list``)."""

from django.urls import include, path

urlpatterns = [
    path("", include("shoumen.accounts.api.urls")),  # auth/token/, me/
    path("geo/", include("shoumen.geo.api.urls")),  # geo/nodes/, geo/places/
    path("people/", include("shoumen.people.api.urls")),  # people/persons/, people/tags/
    path("", include("shoumen.resumption.api.urls")),  # enterprises/
    path("", include("shoumen.core.api.urls")),  # audit/events/
    path("ledgers/", include("shoumen.ledgers.api.urls")),  # ledgers/imports/, ledgers/exports/
    path("gate/", include("shoumen.gate.api.urls")),  # gate/keys/, gate/entries/, …
    path("duties/", include("shoumen.duties.api.urls")),  # duties/duties/, duties/windows/
    path("checklists/", include("shoumen.checklists.api.urls")),  # checklists/<id>/versions/
    path("inspections/", include("shoumen.inspections.api.urls")),  # plans/, inspections/, …
    path("disinfection/", include("shoumen.disinfection.api.urls")),  # sites/, records/
]
