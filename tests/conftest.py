import os
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from tests.factories import World

# SHOUMEN_TEST_CLOCK=23:30 runs every test (but the browser's, whose clock is Chromium's own,
# and those marked own_clock, whose server process keeps the machine's) with the clock set to
# that local time today and ticking on: dates that mix UTC and Asia/Shanghai differ just
# before and just after local midnight. CI runs 23:30 and 00:30.
TEST_CLOCK = os.environ.get("SHOUMEN_TEST_CLOCK", "")


@pytest.fixture(autouse=True)
def _local_clock(request):
    if not TEST_CLOCK or "browser" in request.keywords or "own_clock" in request.keywords:
        yield
        return
    import time_machine

    shanghai = ZoneInfo("Asia/Shanghai")
    start = datetime.combine(datetime.now(shanghai).date(), time.fromisoformat(TEST_CLOCK),
                             tzinfo=shanghai)
    with time_machine.travel(start, tick=True):
        yield


@pytest.fixture(autouse=True)
def _fast_and_local(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                                  "QUEUES": ["default"]}}


@pytest.fixture
def login(client):
    """``login(user)`` → the test client signed in as ``user``, asking for English pages:
    assertions use the English msgids, whatever translations are compiled."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded and generated files (evidence, ledgers) in the test's own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def english():
    """English msgids: assertions must not depend on which translations are compiled."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def resident(world):
    """A resident of 甲社区's first grid (the pass tests' holder)."""
    from tests import factories

    return factories.person(world.worker_a, world.grid_a1, "欧阳小明")


@pytest.fixture
def issued(world, resident):
    """The resident's pass, issued by 甲社区's worker."""
    from shoumen.gate.passes import services as passes

    return passes.issue_pass(resident, actor=world.worker_a)


@pytest.fixture(autouse=True)
def _fresh_pass_keys():
    """Each test's database has its own signing keys and checkpoints (whose ids a rolled-back
    SQLite database hands out again): never reuse another test's cache."""
    from shoumen.credentials import keys
    from shoumen.gate.checkpoints import services

    keys.forget_cached_keys()
    keys._private_cache.clear()
    services.forget_cached_checkpoints()

