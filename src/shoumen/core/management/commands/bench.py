"""``shoumen bench``: run the benchmarks and print Markdown rows for docs/benchmarks.md."""

import os
import platform
from datetime import datetime

from django.core.management.base import BaseCommand
from django.db import connection

BENCHMARKS = ("people-list", "import", "import-memory", "gate-scan", "gate-batch",
              "gate-contacts")


class Command(BaseCommand):
    help = "Run benchmarks (use the city-scale data on PostgreSQL) and print the results."

    def add_arguments(self, parser):
        parser.add_argument("which", nargs="*", default=list(BENCHMARKS),
                            help=", ".join(BENCHMARKS) + " (default: all)")
        parser.add_argument("--rows", type=int, default=100_000,
                            help="rows for the import and import-memory benchmarks")
        parser.add_argument("--repeat", type=int, default=30)
        gate = parser.add_argument_group("gate benchmarks")
        gate.add_argument("--clients", type=int, default=32,
                          help="concurrent HTTP clients (and pgbench clients) for gate-scan")
        gate.add_argument("--seconds", type=int, default=30, help="duration of each gate-scan run")
        gate.add_argument("--workers", type=int, default=2, help="web server worker processes")
        gate.add_argument("--threads", type=int, default=2, help="threads per web server worker")
        gate.add_argument("--sweep", action="store_true",
                          help="gate-scan: first try several web server configurations briefly and "
                               "measure with the best")
        gate.add_argument("--batch-size", type=int, default=2000,
                          help="entries per request for gate-batch (1 to 5,000)")
        gate.add_argument("--batch-entries", type=int, default=100_000,
                          help="entries uploaded in all by gate-batch")
        gate.add_argument("--batch-clients", type=int, default=3,
                          help="concurrent uploaders for gate-batch")
        gate.add_argument("--cases", type=int, default=5,
                          help="gate-contacts: how many cases (each with 20 entries)")

    def handle(self, *args, which, rows, repeat, **options):
        from shoumen.core.benchmarks import (
            gate_batch,
            gate_contacts,
            gate_scan,
            import_memory,
            people_import,
            people_list,
        )
        from shoumen.core.benchmarks.gate_server import ServerConfig

        config = ServerConfig(options["workers"], options["threads"])

        def scan():
            nonlocal config
            if options["sweep"]:
                self.stdout.write(f"Trying web server configurations ({options['clients']} clients):")
                config = gate_scan.sweep(clients=options["clients"])[0][0]
                self.stdout.write(f"Best: {config}")
            return gate_scan.run(config=config, clients=options["clients"],
                                 seconds=options["seconds"])

        runners = {
            "people-list": lambda: people_list.run(repeat=repeat),
            "import": lambda: people_import.run(rows=rows),
            "import-memory": lambda: import_memory.run(rows=rows),
            "gate-scan": scan,
            "gate-batch": lambda: gate_batch.run(
                config=config, batch_size=options["batch_size"], total=options["batch_entries"],
                clients=options["batch_clients"]),
            "gate-contacts": lambda: gate_contacts.run(cases=options["cases"], repeat=repeat),
        }
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
            outcome = runners[name]()
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
