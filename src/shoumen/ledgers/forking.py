"""CPU work in a forked child process beside this one, on the other core.

An import reads the workbook there (:mod:`.reading`) and an importer may encrypt there (the
people ledger does), while this process checks what arrives through the pipe.
"""

import contextlib
import multiprocessing
import signal
from collections.abc import Callable

PIPE_BYTES = 1 << 20


def can_fork() -> bool:
    """Whether :func:`forked_child` can run here (POSIX, and not inside a daemonic process,
    which may not have children)."""
    return ("fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


@contextlib.contextmanager
def forked_child(target: Callable, *args, name: str = "ledger-worker"):
    """Run ``target(sender, *args)`` in a forked process; yield the receiving end of its pipe.

    For CPU work beside this process on another core (an import reads the file, or encrypts,
    there). The child shares this process's memory as it was at the fork, so it needs no
    arguments pickled, but it must never use the database connection it inherits. Signals
    get their default handlers in the child (an inherited graceful-shutdown handler must not
    keep it alive); on leaving the block the child is killed if still running.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    # Linux: a 1 MB pipe instead of 64 KB lets the child run further ahead of this process.
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(sender.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    child = context.Process(target=child_main, args=(target, sender, *args), daemon=True,
                            name=name)
    child.start()
    sender.close()
    try:
        yield receiver
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()


def child_main(target, sender, *args) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    target(sender, *args)
