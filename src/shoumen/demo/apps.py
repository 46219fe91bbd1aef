from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo world (``shoumen demo-data``): the real places of the source story, demo
    accounts and a generated city, put together from each app's own demo data
    (``people.demo``, ``gate.demo``). It sits above every app; nothing imports it."""

    name = "shoumen.demo"
    verbose_name = "Demo data"
