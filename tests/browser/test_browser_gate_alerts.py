"""Main path in a real browser, on a phone-sized screen: a community worker sees the open
fever alert on the gate home, opens it and follows it up to the end (clinic, cleared)."""

import os

import pytest

from shoumen.gate.alerts.models import FeverAlert
from tests.browser.conftest import login
from tests.factories import World
from tests.helpers_gate_manage import enter, gate_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOUMEN_SHOTS")  # a directory: save screenshots there to look at


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_follow_up_a_fever_alert_from_the_gate_home(page):
    gate = gate_world(World())
    enter(gate, "38.3")
    enter(gate, "36.6")
    alert = FeverAlert.objects.get()

    login(page, "worker_a")
    page.goto(page.base_url + "/gate/")
    badge = page.locator("[data-open-alerts]")
    assert badge.get_attribute("data-open-alerts") == "1"
    assert page.locator("[data-count=entries]").inner_text() == "2"
    shot(page, "gate-home")

    badge.click()
    page.locator(f"[data-alert='{alert.pk}'] a").click()
    page.wait_for_url(f"**/gate/alerts/{alert.pk}/")
    assert "李*" in page.content() and "李四" not in page.content()

    page.check("input[name=stage][value=clinic]")
    page.click("[data-follow-up-form] button[type=submit]")  # no clinic named yet
    page.locator("[data-field=clinic] .invalid-feedback").wait_for()
    shot(page, "gate-alert-error")
    page.check("input[name=stage][value=clinic]")
    page.fill("input[name=clinic]", "省立医院发热门诊")
    page.click("[data-follow-up-form] button[type=submit]")
    page.locator("[data-step=clinic]").wait_for()
    assert page.locator("input[name=stage][value=remeasured]").count() == 0  # forward only

    page.check("input[name=stage][value=cleared]")
    page.click("[data-follow-up-form] button[type=submit]")
    page.locator("[data-closed]").wait_for()
    shot(page, "gate-alert-closed")
    assert page.locator("[data-follow-up-form]").count() == 0
    alert.refresh_from_db()
    assert not alert.is_open and [s.stage for s in alert.follow_ups.all()] == ["clinic", "cleared"]
