"""The people registry's demo data: residents in households generated from a seed
(:mod:`.residents`) and fictional Chinese names (:mod:`.names`); ``shoumen demo-data``
(:mod:`shoumen.demo`) puts them in the demo world."""
