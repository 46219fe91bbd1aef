"""``shoumen scheduler``: enqueue the daily background jobs when due (see core.schedule).

``shoumen serve`` starts it beside the task worker. Run it alone (one per installation is
enough; more do no harm) when the web server is started some other way, or use cron with
``shoumen gate-retention`` instead.
"""

import signal
import threading

from django.core.management.base import BaseCommand

from shoumen.core.schedule import Scheduler


class Command(BaseCommand):
    help = ("Enqueue the daily background jobs (backup, retention, device sweep, pass key "
            "rotation) when they are due.")

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=30.0,
                            help="seconds between checks (default 30)")
        parser.add_argument("--once", action="store_true",
                            help="enqueue what is due now and exit")

    def handle(self, *args, interval, once, **options):
        scheduler = Scheduler()
        if once:
            for job in scheduler.run_pending():
                self.stdout.write(f"enqueued {job.task_path}")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: stop.set())
        jobs = ", ".join(f"{job.task_path} at {job.at:%H:%M}" for job in scheduler.jobs)
        self.stdout.write(f"scheduler: {jobs}")
        scheduler.run_forever(interval, stop)
