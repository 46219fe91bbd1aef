"""The frame of the benchmarks behind ``shoumen bench`` / ``make bench``; the benchmarks
themselves live in their apps (``<app>/bench``), found through :func:`discover`.

An app's ``bench`` module offers ``BENCHMARKS``, a dict of name → ``run(options)`` returning
a :class:`Result` or a list of them, and optionally ``add_arguments(parser)`` for its own
options. Each benchmark measures a figure and, in the same run, a ceiling to compare it with (the same
query in raw SQL, openpyxl alone reading the same file, ...), because on a shared machine an
absolute time is noise and a ratio is not. Results print as Markdown rows for
docs/benchmarks.md.
"""

import importlib
import statistics
import time
from dataclasses import dataclass

from django.apps import apps


@dataclass
class Result:
    name: str
    figure: str  # what we measured, with its unit
    ceiling: str  # what we compared it with
    ratio: float  # figure / ceiling
    target: str
    met: bool

    def markdown_row(self) -> str:
        verdict = "met" if self.met else "**not met**"
        return (f"| {self.name} | {self.figure} | {self.ceiling} | {self.ratio:.2f}× | "
                f"{self.target} | {verdict} |")


def timed(fn, repeat: int) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls of ``fn`` (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def median(values: list[float]) -> float:
    return statistics.median(values)


def discover() -> list:
    """The ``bench`` modules of the installed apps, in the order of INSTALLED_APPS."""
    found = []
    for config in apps.get_app_configs():
        try:
            found.append(importlib.import_module(f"{config.name}.bench"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.bench":
                raise
    return found
