"""``shoumen bench``: run the benchmarks and print Markdown rows for docs/benchmarks.md."""

import platform
from datetime import datetime

from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    help = "Run benchmarks (use the city-scale data on PostgreSQL) and print the results."

    def add_arguments(self, parser):
        parser.add_argument("which", nargs="*", default=["people-list", "import"],
                            help="people-list, import")
        parser.add_argument("--rows", type=int, default=100_000, help="rows for the import benchmark")
        parser.add_argument("--repeat", type=int, default=30)

    def handle(self, *args, which, rows, repeat, **options):
        from shoumen.core.benchmarks import people_import, people_list

        runners = {
            "people-list": lambda: people_list.run(repeat=repeat),
            "import": lambda: people_import.run(rows=rows),
        }
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()" if connection.vendor == "postgresql"
                           else "SELECT 'SQLite ' || sqlite_version()")
            db_version = cursor.fetchone()[0].split(" on ")[0]
        self.stdout.write(f"Run {datetime.now():%Y-%m-%d %H:%M}, {platform.node()}, "
                          f"{platform.processor() or platform.machine()}, {db_version}\n")
        self.stdout.write("| Benchmark | Figure | Ceiling (same run) | Ratio | Target | Verdict |")
        self.stdout.write("|---|---|---|---|---|---|")
        for name in which:
            if name not in runners:
                self.stderr.write(f"unknown benchmark {name!r}; choose from {', '.join(runners)}")
                continue
            self.stdout.write(runners[name]().markdown_row())
