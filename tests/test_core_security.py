"""Every response carries the same security headers — pages, the API, the gate's fast lane —
and the markup gives the Content-Security-Policy nothing to allow: no inline script, event
handler or style attribute in any template."""

import re
from pathlib import Path

import pytest
from django.test import Client

from shoumen.core import security
from shoumen.gate.checkpoints import services
from shoumen.gate.entries.fastlane import GateFastLane
from shoumen.gate.passes import services as passes
from tests import factories
from tests.test_gate_fastlane import Recorder, answer, scan

SECURITY_HEADERS = {"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                    "Cross-Origin-Opener-Policy", "X-Frame-Options"}
TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "shoumen"


def _security(headers) -> dict:
    return {name: value for name, value in dict(headers).items() if name in SECURITY_HEADERS}


def test_the_policy_allows_only_the_platform_itself():
    policy = dict(part.strip().split(" ", 1) for part in security.content_security_policy().split(";"))
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert policy["worker-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in security.content_security_policy()


@pytest.mark.parametrize("url", ["/login/", "/healthz", "/api/gate/keys/", "/api/schema/",
                                 "/no-such-page/"])
def test_pages_and_the_api_carry_the_security_headers(db, url):
    response = Client().get(url)
    assert _security(response.headers) == dict(security.response_headers())


def test_the_fast_lane_takes_its_headers_from_the_same_place(world):
    world.guard = factories.user("guard_a", "checkpoint_guard", world.community_a)
    world.gate_a = factories.checkpoint(world.community_a, guards=[world.guard])
    world.pass_ = passes.issue_pass(factories.person(world.worker_a, world.grid_a1, "李四"),
                                    actor=world.worker_a)
    world.device, world.token = services.register_device(world.gate_a, actor=world.guard,
                                                         name="phone")
    django = Recorder()
    _status, lane, _payload = answer(GateFastLane(django), scan(world), token=world.token)
    assert not django.calls  # answered by the lane itself
    view = Client(HTTP_AUTHORIZATION=f"Device {world.token}").post(
        "/api/gate/entries/", scan(world), content_type="application/json")
    assert view.status_code == 201
    assert _security(lane) == _security(view.headers) == dict(security.response_headers())


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"), "inline <script>"),
    (re.compile(r"<style[\s>]"), "<style> element"),
    (re.compile(r"\sstyle=\""), "style attribute"),
    (re.compile(r"\son[a-z]+=\""), "inline event handler"),
]


def test_no_template_has_inline_script_or_style():
    found = []
    for path in TEMPLATES.rglob("templates/**/*.html"):
        text = path.read_text()
        for pattern, what in INLINE:
            found += [f"{path.relative_to(TEMPLATES)}: {what}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not found, "\n".join(found)
