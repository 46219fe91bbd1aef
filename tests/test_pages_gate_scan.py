"""The guard's checkpoint page and its service worker: who may open it, what it hands to its
script, and the headers a service worker needs."""

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from shoumen.gate.entries.models import RefusalReason
from tests import factories

GATE_STATIC = Path(__file__).resolve().parents[1] / "src/shoumen/gate/static/gate"


@pytest.fixture
def gate(world):
    world.guard = factories.user("guard_a", "checkpoint_guard", world.community_a)
    world.gate_a = factories.checkpoint(world.community_a, "甲社区东门", guards=[world.guard])
    world.gate_b = factories.checkpoint(world.community_b, "乙社区南门")
    return world


@pytest.fixture
def client_en(client):
    # English msgids: the assertions must not depend on which translations are compiled.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def scan_url(checkpoint):
    return reverse("gate:scan", kwargs={"pk": checkpoint.pk})


def page_config(response) -> dict:
    match = re.search(r'<script id="gate-config" type="application/json">(.*?)</script>',
                      response.content.decode(), re.S)
    assert match, "the page hands its settings to the script in a json_script block"
    return json.loads(match.group(1))


def test_guard_sees_the_page_with_what_its_script_needs(gate, client_en):
    client_en.force_login(gate.guard)
    response = client_en.get(scan_url(gate.gate_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert "甲社区东门" in body and "甲社区" in body
    for element in ("gate-scan-input", "gate-temp-input", "gate-confirm", "gate-queue",
                    "gate-recent", "gate-visitor-id_number", "gate-lookup-input"):
        assert f'id="{element}"' in body
    for script in ("credentials/credential.js", "gate/pass.js", "gate/queue.js", "gate/camera.js",
                   "gate/checkpoint.js"):
        assert f"/static/{script}" in body
    config = page_config(response)
    assert config["checkpoint"] == {"id": gate.gate_a.pk, "name": "甲社区东门"}
    assert config["api"]["batch"] == "/api/gate/entries/batch/"
    assert config["api"]["context"] == f"/api/gate/checkpoints/{gate.gate_a.pk}/context/"
    assert config["sw"] == {"url": "/gate/sw.js", "scope": "/gate/"}
    assert config["fever_threshold"] == 37.3 and config["temperature_range"] == [34.0, 43.0]
    assert "/static/vendor/jsqr/jsQR.js" in config["assets"]
    assert config["reasons"]["bad_signature"] == str(RefusalReason.BAD_SIGNATURE.label)
    # The script's sentences come from the page, translated; the user's name is filled in.
    assert config["strings"]["device_name"] == "guard_a's phone"
    assert "%(n)s" in config["strings"]["queue"]
    assert 'data-retention-note="28"' in body
    assert response["Cache-Control"].startswith("max-age=0")  # never a stale shell from HTTP caches


def test_community_staff_may_stand_in_at_their_checkpoint(gate, client_en):
    client_en.force_login(gate.worker_a)
    assert client_en.get(scan_url(gate.gate_a)).status_code == 200


@pytest.mark.parametrize("who", ["worker_b", "volunteer", "other_guard", "lixia_guard"])
def test_others_get_404(gate, client_en, who):
    users = {
        "worker_b": gate.worker_b,  # another community's staff
        "volunteer": gate.volunteer,  # same community, no gate.register
        "other_guard": factories.user("guard_x", "checkpoint_guard", gate.community_a),  # not its guard
        "lixia_guard": factories.user("guard_l", "checkpoint_guard", gate.lixia_community),
    }
    client_en.force_login(users[who])
    response = client_en.get(scan_url(gate.gate_a))
    assert response.status_code == 404
    assert "甲社区东门" not in response.content.decode()


def test_inactive_or_missing_checkpoint_is_404(gate, client_en):
    client_en.force_login(gate.guard)
    gate.gate_a.active = False
    gate.gate_a.save()
    assert client_en.get(scan_url(gate.gate_a)).status_code == 404
    assert client_en.get(reverse("gate:scan", kwargs={"pk": 999999})).status_code == 404


def test_anonymous_is_sent_to_sign_in(gate, client_en):
    response = client_en.get(scan_url(gate.gate_a))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_service_worker_is_served_with_its_scope_and_the_shell_files(gate, client):
    response = client.get(reverse("gate:sw"))  # public: a phone checks for updates signed out
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/gate/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert '"/static/gate/checkpoint.js"' in body and '"/static/vendor/bootstrap.min.css"' in body
    assert 'var SCOPE = "/gate/"' in body
    assert "{{" not in body and "{%" not in body


def test_service_worker_caches_the_hashed_names_the_page_uses(gate, client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    client.force_login(gate.guard)
    page = client.get(scan_url(gate.gate_a)).content.decode()
    worker = client.get(reverse("gate:sw")).content.decode()
    hashed = re.search(r'/static/gate/checkpoint\.[0-9a-f]{12}\.js', page)
    assert hashed, "the page references the hashed script"
    assert f'"{hashed.group(0)}"' in worker
    assert '"/static/gate/checkpoint.js"' not in worker
    assert re.search(r'/static/vendor/jsqr/jsQR\.[0-9a-f]{12}\.js', worker)


def test_scripts_hold_no_user_facing_text():
    """Every sentence the page shows comes translated from the server: the scripts hold no
    Chinese, and no English sentence passed to the screen."""
    cjk = re.compile(r"[\u3400-\u9fff]")
    for script in GATE_STATIC.glob("*.js"):
        source = script.read_text()
        assert not cjk.search(source), f"{script.name} holds Chinese text"
        assert not re.search(r"(textContent|flash\()\s*=?\s*\"[A-Z][a-z]+ [a-z]+", source), script.name
