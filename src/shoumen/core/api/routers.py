"""The router every app's API uses: DRF's SimpleRouter with typed paths, so that a detail URL
matches only an id in the database's range (``<id:pk>``, :mod:`shoumen.core.ids`) and
``/imports/null,null/`` is a 404 rather than a query with a bad value."""

from rest_framework.routers import SimpleRouter

from shoumen.core import ids  # noqa: F401  (registers the ``id`` path converter)


class Router(SimpleRouter):
    def __init__(self, **kwargs):
        super().__init__(use_regex_path=False, **kwargs)
        self._default_value_pattern = "id"
