"""Serve Shoumen in production mode: granian for the web, a task worker and the scheduler
beside it.

``make run`` ends here. The web server is granian (not runserver; see docs/decisions/0009);
background work (imports, exports, scheduled clean-ups) runs in django-tasks' database worker,
and ``shoumen scheduler`` enqueues the daily jobs (entry retention, pass key rotation; see
``core.schedule``). Both are child processes, stopped with the server."""

import errno
import os
import signal
import socket
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Run the web server (granian) and the background task worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("WEB_WORKERS", str(os.cpu_count() or 1))),
                            help="web worker processes (default: one per core)")
        parser.add_argument("--threads", type=int,
                            default=int(os.environ.get("WEB_THREADS", "2")),
                            help="threads per web worker running the app")
        parser.add_argument("--no-worker", action="store_true",
                            help="do not start the background task worker")
        parser.add_argument("--no-scheduler", action="store_true",
                            help="do not start the scheduler of daily jobs (run "
                                 "`shoumen gate-retention` from cron instead)")

    def handle(self, *args, host, port, workers, threads, no_worker, no_scheduler, **options):
        refuse_taken_address(host, port)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shoumen.settings"}
        children = []
        if not no_worker:
            children.append(subprocess.Popen(
                [sys.executable, "-m", "shoumen", "db_worker", "--interval", "1"], env=env
            ))
        if not no_scheduler:
            children.append(subprocess.Popen([sys.executable, "-m", "shoumen", "scheduler"],
                                             env=env))
        self.print_banner(host, port)
        web = subprocess.Popen(web_command(host=host, port=port, workers=workers,
                                           threads=threads), env=env)

        def stop(signum, frame):
            web.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            code = web.wait()
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.wait(timeout=10)
        sys.exit(code)

    def print_banner(self, host, port):
        shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
        lines = ["", f"守门 Shoumen is running at http://{shown}:{port}/", ""]
        if settings.SERVE_BANNER_FUNCTION:
            lines += import_string(settings.SERVE_BANNER_FUNCTION)()
        lines += [f"Database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}",
                  "Stop with Ctrl+C.", ""]
        self.stdout.write("\n".join(lines))


def refuse_taken_address(host: str, port: int) -> None:
    """Raise CommandError if something already listens on ``host:port``.

    granian binds with SO_REUSEPORT, so a second server on a taken port would start without
    error and the kernel would share the connections between the two (and their databases).
    A plain bind, without that option, fails while any socket listens there."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CommandError(f"Cannot serve on {host}:{port}: {exc.strerror}. Give a host name "
                           "or address of this machine, e.g. HOST=127.0.0.1.") from exc
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"{host}:{port} is already in use: another Shoumen (or another program) "
                    f"listens there. Stop it, or serve elsewhere, e.g. PORT={port + 1} make run."
                ) from exc
            raise CommandError(f"Cannot serve on {host}:{port}: {exc.strerror}.") from exc


def web_command(*, host: str, port: int, workers: int, threads: int,
                access_log: bool = True) -> list[str]:
    """The web server's command line (also what the benchmarks run): granian serving the
    WSGI app, ``workers`` processes each running the app on ``threads`` threads."""
    return [sys.executable, "-m", "granian", "--interface", "wsgi", "shoumen.wsgi:application",
            "--host", host, "--port", str(port), "--workers", str(workers),
            "--blocking-threads", str(threads), "--backlog", "2048",
            "--respawn-failed-workers", "--workers-kill-timeout", "30",
            "--log-level", "warning", "--access-log" if access_log else "--no-access-log"]
