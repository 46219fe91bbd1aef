"""``shoumen bench``: run the benchmarks and print Markdown rows for docs/benchmarks.md."""

import os
import platform
from datetime import datetime

from django.core.management.base import BaseCommand
from django.db import connection

from shoumen.core.benchmarks import discover


class Command(BaseCommand):
    help = ("Run benchmarks (use the city-scale data on PostgreSQL) and print the results. "
            "Each app's own are in its bench module (shoumen.core.benchmarks.discover).")

    def add_arguments(self, parser):
        self.modules = discover()
        names = [name for module in self.modules for name in module.BENCHMARKS]
        parser.add_argument("which", nargs="*", default=names,
                            help=", ".join(names) + " (default: all)")
        parser.add_argument("--repeat", type=int, default=30)
        for module in self.modules:
            if hasattr(module, "add_arguments"):
                module.add_arguments(parser)

    def handle(self, *args, which, **options):
        runners = {name: run for module in self.modules
                   for name, run in module.BENCHMARKS.items()}
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()" if connection.vendor == "postgresql"
                           else "SELECT 'SQLite ' || sqlite_version()")
            db_version = cursor.fetchone()[0].split(" on ")[0]
            if connection.vendor == "postgresql":
                # What decides the gate's figures most, after the cores (docs/running.md).
                cursor.execute("SELECT name, setting, unit FROM pg_settings WHERE name IN "
                               "('shared_buffers', 'max_wal_size', 'synchronous_commit') "
                               "ORDER BY name")
                db_version += " (" + ", ".join(
                    f"{name} {_size(setting, unit)}" for name, setting, unit in cursor.fetchall()
                ) + ")"
        self.stdout.write(f"Run {datetime.now():%Y-%m-%d %H:%M}, {platform.node()}, "
                          f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
                          f"{db_version}\n")
        rows_out = []
        for name in which:
            if name not in runners:
                self.stderr.write(f"unknown benchmark {name!r}; choose from {', '.join(runners)}")
                continue
            self.stdout.write(f"Running {name}…")
            self.stdout.flush()
            outcome = runners[name](options)
            for result in outcome if isinstance(outcome, list) else [outcome]:
                self.stdout.write(result.markdown_row())
                rows_out.append(result.markdown_row())
        self.stdout.write("")
        self.stdout.write("| Benchmark | Figure | Ceiling (same run) | Ratio | Target | Verdict |")
        self.stdout.write("|---|---|---|---|---|---|")
        for row in rows_out:
            self.stdout.write(row)


def _size(setting: str, unit: str | None) -> str:
    """A pg_settings value with its unit, memory in MB (shared_buffers is in 8 kB pages)."""
    if unit in ("8kB", "MB", "kB"):
        megabytes = int(setting) * {"8kB": 8 / 1024, "kB": 1 / 1024, "MB": 1}[unit]
        return f"{megabytes:,.0f} MB"
    return setting
