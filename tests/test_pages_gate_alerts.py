"""Fever alert pages (list open first, detail with the follow-up form, forward-only steps)
and the refusals log. Scoped: another community's alert is a 404; people are masked."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shoumen.gate.alerts import services
from shoumen.gate.alerts.models import FeverAlert, FeverStage
from shoumen.gate.entries.services import register
from shoumen.gate.passes.services import issue_pass, revoke_pass
from tests.helpers_gate_manage import enter, gate_world

ALERTS = reverse("gate:alert-list")
REFUSALS = reverse("gate:refusal-list")


@pytest.fixture
def gate(world):
    return gate_world(world)


@pytest.fixture
def alert(gate):
    enter(gate, "38.6")
    return FeverAlert.objects.get()


def url(alert):
    return reverse("gate:alert-detail", kwargs={"pk": alert.pk})


# --- list ----------------------------------------------------------------------------------

def test_list_open_first_masked_and_scoped(gate, login, alert):
    services.follow_up(alert, actor=gate.worker_a, stage=FeverStage.CLEARED)
    enter(gate, "37.4", at=timezone.now() - timedelta(hours=3))  # older, but open
    open_alert = FeverAlert.objects.get(closed_at=None)
    r = login(gate.worker_a).get(ALERTS)
    body = r.content.decode()
    assert [a.pk for a in r.context["page_obj"]] == [open_alert.pk, alert.pk]
    assert "李*" in body and "李四" not in body and "38.6" in body and "data-open" in body
    assert "Cleared" in body and "Raised" in body


def test_list_filters(gate, login, alert):
    enter(gate, "37.5", person=gate.resident_b)  # 乙社区's alert
    client = login(gate.commander)
    assert len(client.get(ALERTS).context["page_obj"]) == 2
    only_a = client.get(ALERTS, {"node": gate.community_a.pk}).context["page_obj"]
    assert [a.pk for a in only_a] == [alert.pk]
    services.follow_up(alert, actor=gate.commander, stage=FeverStage.REMEASURED,
                       temperature="37.9")
    assert [a.pk for a in client.get(ALERTS, {"stage": "remeasured"}).context["page_obj"]] == [
        alert.pk]
    today = timezone.localdate().isoformat()
    assert len(client.get(ALERTS, {"date": today}).context["page_obj"]) == 2
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert len(client.get(ALERTS, {"date": yesterday}).context["page_obj"]) == 0


def test_list_scoped_for_other_community_and_forbidden_for_guard(gate, login, alert):
    r = login(gate.worker_b).get(ALERTS)
    assert r.status_code == 200 and not r.context["page_obj"].object_list
    assert login(gate.guard).get(ALERTS).status_code == 403


# --- detail and follow-up ------------------------------------------------------------------

def test_detail_shows_the_facts_and_the_next_steps(gate, login, alert):
    body = login(gate.worker_a).get(url(alert)).content.decode()
    assert "38.6" in body and "李*" in body and "李四" not in body and "东门" in body
    assert "138****5678" in body and "13812345678" not in body
    for label in ("Re-measured", "Sent to a fever clinic", "Cleared"):
        assert label in body
    assert "data-follow-up-form" in body


def test_follow_up_through_the_page(gate, login, alert):
    client = login(gate.worker_a)
    r = client.post(url(alert), {"stage": "remeasured", "temperature": ""})
    assert r.status_code == 200 and "Enter the re-measured temperature" in r.content.decode()
    assert not alert.follow_ups.exists()
    r = client.post(url(alert), {"stage": "remeasured", "temperature": "33"})
    assert "between 34.0 and 43.0" in r.content.decode()
    assert client.post(url(alert), {"stage": "remeasured", "temperature": "37.8"}).status_code == 302
    r = client.post(url(alert), {"stage": "clinic"})
    assert "Name the fever clinic" in r.content.decode()
    assert client.post(url(alert), {"stage": "clinic", "clinic": "省立医院"}).status_code == 302
    page = client.get(url(alert)).content.decode()
    assert "省立医院" in page and "37.8" in page and 'value="remeasured"' not in page
    r = client.post(url(alert), {"stage": "remeasured", "temperature": "36.5"})
    assert "forward only" in r.content.decode()
    assert client.post(url(alert), {"stage": "cleared", "note": "复测正常"}).status_code == 302
    page = client.get(url(alert)).content.decode()
    assert "data-closed" in page and "data-follow-up-form" not in page
    assert [s.stage for s in alert.follow_ups.all()] == ["remeasured", "clinic", "cleared"]


def test_post_to_a_closed_alert_changes_nothing(gate, login, alert):
    services.follow_up(alert, actor=gate.worker_a, stage=FeverStage.CLEARED)
    client = login(gate.worker_a)
    r = client.post(url(alert), {"stage": "remeasured", "temperature": "37.0"}, follow=True)
    assert "This alert is closed" in r.content.decode()
    assert alert.follow_ups.count() == 1


@pytest.mark.parametrize("who", ["worker_b", "guard", "volunteer"])
def test_alert_of_another_community_is_404(gate, login, alert, who):
    client = login(getattr(gate, who))
    assert client.get(url(alert)).status_code == 404
    assert client.post(url(alert), {"stage": "cleared"}).status_code == 404
    alert.refresh_from_db()
    assert alert.is_open


# --- refusals ------------------------------------------------------------------------------

@pytest.fixture
def refusal(gate):
    pass_ = issue_pass(gate.resident, actor=gate.worker_a)
    revoke_pass(pass_, actor=gate.worker_a, reason="遗失")
    return register(checkpoint=gate.gate_a, actor=gate.guard, direction="in",
                    temperature="36.5", qr_text=pass_.qr_text).refusal


def test_refusals_log(gate, login, refusal):
    body = login(gate.worker_a).get(REFUSALS).content.decode()
    assert "Pass revoked" in body and refusal.pass_number in body and "东门" in body
    assert "李*" in body and "李四" not in body
    assert "kept for 28 days" in body
    assert refusal.pass_number in login(gate.guard).get(REFUSALS).content.decode()


def test_refusals_log_scoped_and_filtered(gate, login, refusal):
    assert refusal.pass_number not in login(gate.worker_b).get(REFUSALS).content.decode()
    client = login(gate.commander)
    assert refusal.pass_number in client.get(REFUSALS, {"reason": "revoked"}).content.decode()
    assert refusal.pass_number not in client.get(REFUSALS, {"reason": "expired"}).content.decode()
    assert refusal.pass_number not in client.get(
        REFUSALS, {"node": gate.community_b.pk}).content.decode()
    assert login(gate.volunteer).get(REFUSALS).status_code == 403


def test_open_alerts_show_in_the_navigation_of_those_who_follow_them_up(gate, login, alert):
    def badge(user):
        response = login(user).get(reverse("home"))
        assert response.status_code == 200
        body = response.content.decode()
        found = re.search(r'data-badge[^>]*>(?:<span[^>]*>[^<]*</span>)?(\d+)</span>', body)
        return int(found.group(1)) if found else None

    enter(gate, "37.9", at=timezone.now() - timedelta(hours=1))
    assert badge(gate.worker_a) == 2  # their community's two open alerts
    assert badge(gate.worker_b) is None  # another community's: nothing waits for them
    assert badge(gate.guard) is None  # guards do not follow alerts up
    services.follow_up(alert, actor=gate.worker_a, stage=FeverStage.CLEARED)
    assert badge(gate.worker_a) == 1
