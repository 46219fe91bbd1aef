"""``shoumen serve`` refuses an address that something already listens on, before starting
anything, and says which address is taken."""

import socket
import subprocess

import pytest
from django.core.management import CommandError, call_command


@pytest.fixture
def taken():
    """A port held as granian holds it: listening, with SO_REUSEPORT."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_second_server_on_a_taken_port_refuses_to_start(db, taken, monkeypatch):
    def no_child(*args, **kwargs):
        raise AssertionError("nothing may start on a taken address")

    monkeypatch.setattr(subprocess, "Popen", no_child)
    with pytest.raises(CommandError, match=rf"127\.0\.0\.1:{taken} is already in use"):
        call_command("serve", "--host", "127.0.0.1", "--port", str(taken))


def test_the_check_lets_a_free_port_through_and_leaves_it_free(taken):
    from shoumen.core.management.commands.serve import refuse_taken_address

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    refuse_taken_address("127.0.0.1", free)
    with socket.socket() as again:  # not left bound
        again.bind(("127.0.0.1", free))


def test_an_unknown_host_is_refused_with_a_hint(db):
    from shoumen.core.management.commands.serve import refuse_taken_address

    with pytest.raises(CommandError, match="HOST=127.0.0.1"):
        refuse_taken_address("no-such-host.invalid", 8000)
