"""The people registry's benchmarks (``shoumen bench people-list import import-memory``): the
resident list against raw SQL, a ledger import against openpyxl alone, and the import's
memory against its ceiling."""


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=100_000,
                        help="rows for the import and import-memory benchmarks")


def _list(options):
    from . import listing

    return listing.run(repeat=options["repeat"])


def _import(options):
    from . import importing

    return importing.run(rows=options["rows"])


def _import_memory(options):
    from . import import_memory

    return import_memory.run(rows=options["rows"])


BENCHMARKS = {"people-list": _list, "import": _import, "import-memory": _import_memory}
