"""The gate's demo data: checkpoints, guards, passes and 14 days of entries through them
(:mod:`.seed`), walked by the residents as a city moves (:mod:`.movements`);
``shoumen demo-data`` (:mod:`shoumen.demo`) runs it after the world and the residents."""
