"""The duties benchmarks (``shoumen bench duties-compliance duties-heatmap duties-sweep
duties-layout``) on a year of windows for 20,000 sites (``world.py``), each against raw SQL in
the same run."""


def _run(name):
    def run(options):
        from . import measures, world

        district = world.ensure()
        return getattr(measures, name)(district, repeat=options["repeat"])

    return run


BENCHMARKS = {
    "duties-compliance": _run("compliance"),
    "duties-heatmap": _run("heatmap"),
    "duties-sweep": _run("sweep"),
    "duties-layout": _run("layout"),
}
