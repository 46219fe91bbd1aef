"""Every API operation, fuzzed from the OpenAPI schema against the live test server: no input,
valid or not, may answer 5xx — as the administrator and as a user scoped to one community.

Schemathesis generates the requests (data that fits the schema and data that does not) with
Hypothesis, derandomised so that a run is repeatable and bounded: ``FUZZ_EXAMPLES`` cases per
operation and mode (default 6; raise it locally, e.g. ``FUZZ_EXAMPLES=100``, for a deeper
search). A failure lists each operation, status and request, to be replayed with curl.
"""

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
pytestmark = pytest.mark.django_db(transaction=True)


def _schema():
    import schemathesis
    from drf_spectacular.generators import SchemaGenerator

    return schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


@pytest.fixture
def fuzz_world(world):
    """Some of everything, so that valid-looking ids sometimes hit real rows."""
    from shoumen.gate.checkpoints import services
    from shoumen.gate.passes import services as passes
    from tests import factories

    guard = factories.user("guard_f", "checkpoint_guard", world.community_a)
    gate = factories.checkpoint(world.community_a, guards=[guard])
    person = factories.person(world.worker_a, world.grid_a1, "赵六")
    passes.issue_pass(person, actor=world.worker_a)
    services.register_device(gate, actor=guard, name="phone")
    return world


def _fuzz(base_url, token):
    from schemathesis import GenerationMode

    failures = []
    headers = {"Authorization": f"Token {token}", "Accept-Language": "en"}
    for result in _schema().get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                response = case.call(base_url=base_url, headers=headers, timeout=30)
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} {case.as_curl_command()}")

            try:
                run()
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE  # nothing in it can be made invalid
    return failures


def test_no_operation_answers_5xx_to_the_administrator(live_server, fuzz_world):
    token = Token.objects.create(user=fuzz_world.admin)
    failures = _fuzz(live_server.url, token.key)
    assert not failures, "\n".join(failures)


def test_no_operation_answers_5xx_to_a_community_worker(live_server, fuzz_world):
    token = Token.objects.create(user=fuzz_world.worker_a)
    failures = _fuzz(live_server.url, token.key)
    assert not failures, "\n".join(failures)
