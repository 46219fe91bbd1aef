"""Deterministic demo and benchmark data (``shoumen demo-data``), at the top of the house.

* :mod:`.world` — the real places of the source story, enterprises, demo accounts
  (:data:`~.world.DEMO_ACCOUNTS`, :data:`~.world.DEMO_PASSWORD`) and the generated city;
* each app's own part: :mod:`shoumen.people.demo` (residents in households, fictional
  names) and :mod:`shoumen.gate.demo` (checkpoints, passes, 14 days of entries).
"""
