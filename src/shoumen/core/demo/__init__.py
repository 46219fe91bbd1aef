"""Deterministic demo and benchmark data (used by the ``demo-data`` command).

* :mod:`.world` — the real places of the source story, enterprises, demo accounts
  (:data:`~.world.DEMO_ACCOUNTS`, :data:`~.world.DEMO_PASSWORD`) and the generated city;
* :mod:`.residents` — people in households, generated from a seed;
* :mod:`.names` — fictional Chinese names.
"""
