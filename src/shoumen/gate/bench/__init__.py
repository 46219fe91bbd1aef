"""The gate's benchmarks (``shoumen bench gate-scan gate-batch gate-contacts``): scans per
second against pgbench's inserts, offline batches against COPY, close contacts against raw
SQL, all on the project's real web server where a request is measured."""

from .server import ServerConfig


def add_arguments(parser) -> None:
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


def _config(options) -> ServerConfig:
    return ServerConfig(options["workers"], options["threads"])


def _scan(options):
    from . import scan

    config = _config(options)
    if options["sweep"]:
        print(f"Trying web server configurations ({options['clients']} clients):", flush=True)
        config = scan.sweep(clients=options["clients"])[0][0]
        print(f"Best: {config}", flush=True)
    return scan.run(config=config, clients=options["clients"], seconds=options["seconds"])


def _batch(options):
    from . import batch

    return batch.run(config=_config(options), batch_size=options["batch_size"],
                     total=options["batch_entries"], clients=options["batch_clients"])


def _contacts(options):
    from . import contacts

    return contacts.run(cases=options["cases"], repeat=options["repeat"])


BENCHMARKS = {"gate-scan": _scan, "gate-batch": _batch, "gate-contacts": _contacts}
