"""Issue 9's main path in a real browser on a 360 px phone: an inspector opens today's list,
fails an item with a photo; the rectification appears for the enterprise's liaison, who
answers it with a photo; the inspector's re-inspection closes it; a crew member records a
patrol in full protective equipment; the duties page's compliance moves."""

import io
import os
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from shoumen.accounts import teams
from shoumen.disinfection import services as disinfection
from shoumen.geo.models import PlaceKind
from shoumen.inspections.models import Rectification, RectificationState
from tests.browser.conftest import login
from tests.factories import World, place, user
from tests.helpers_inspections import Tower

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOUMEN_SHOTS")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def jpeg() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), "orange").save(buffer, "JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def switch(page, username):
    page.context.clear_cookies()
    login(page, username)


def compliance(page) -> tuple[str, str]:
    page.goto(page.base_url + "/duties/")
    return (page.locator("[data-count=done]").inner_text(),
            page.locator("[data-count=due]").inner_text())


def test_inspect_rectify_reinspect_and_patrol_on_a_phone(page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    page.set_viewport_size({"width": 360, "height": 780})
    world = World()
    tower = Tower(world)
    subject = next(s for s in tower.subjects if s.enterprise_id == tower.firms[0].pk)
    inspector = subject.duty.owner
    crew = user("crew_1", "disinfection_crew", world.community_a)
    teams.record_training(actor=world.commander, user=crew, jurisdiction=world.luoyuan,
                          topic="disinfection", trained_on=timezone.localdate() - timedelta(days=1),
                          valid_until=timezone.localdate() + timedelta(days=90))
    site = disinfection.create_site(
        actor=world.commander, jurisdiction=world.community_a, kind="pipeline", name="东侧污水管段",
        place=place(world.community_a, "某隔离观察点", kind=PlaceKind.ISOLATION_SITE),
        party="排水科", responsible=crew, windows=[["00:00", "23:59"]],
        concentration_min=500, concentration_max=1000)

    switch(page, "commander")
    done_before, due_before = compliance(page)

    switch(page, inspector.username)
    page.goto(page.base_url + "/inspections/")
    row = page.locator(f"[data-subject='{subject.pk}']")
    shot(page, "inspections-today")
    row.locator("[data-action=inspect]").click()
    page.check("input[name='a-temperature-point'][value=no]")
    page.fill("input[name='a-chlorine']", "800")
    page.check("input[name='a-masks'][value='充足']")
    page.fill("input[name=signed_by]", "王经理")
    page.click("[data-form=inspection] button[type=submit]")  # the failed item needs its photo
    page.locator("[data-field='p-temperature-point'] .invalid-feedback").wait_for()
    shot(page, "inspection-needs-photo")
    page.check("input[name='a-temperature-point'][value=no]")
    page.check("input[name='a-masks'][value='充足']")
    page.set_input_files("input[name='p-temperature-point']", files=[jpeg()])
    page.click("[data-form=inspection] button[type=submit]")
    page.wait_for_url("**/inspections/")
    rectification = Rectification.objects.get()

    switch(page, tower.liaison.username)
    page.goto(page.base_url + "/inspections/")
    page.locator(f"[data-rectification='{rectification.pk}'] a").click()
    page.wait_for_url(f"**/inspections/rectifications/{rectification.pk}/")
    assert page.locator("[data-form=reinspect]").count() == 0
    page.fill("[data-form=answer] textarea[name=note]", "已在大堂设置测温点")
    page.set_input_files("[data-form=answer] input[name=files]", files=[jpeg()])
    page.click("[data-form=answer] button[type=submit]")
    page.locator("[data-step=answered]").wait_for()
    shot(page, "rectification-answered")

    switch(page, inspector.username)
    page.goto(page.base_url + rectification.get_absolute_url())
    assert page.locator("[data-evidence-item]").count() == 2  # the failure and the answer
    page.check("[data-form=reinspect] input[name=outcome][value=passed]")
    page.click("[data-form=reinspect] button[type=submit]")
    page.locator("[data-step=closed]").wait_for()
    rectification.refresh_from_db()
    assert rectification.state == RectificationState.CLOSED

    switch(page, crew.username)
    page.goto(page.base_url + "/disinfection/")
    page.locator(f"[data-site='{site.pk}'] a").first.click()
    page.locator("[data-action=record]").click()
    page.check("input[name=operation][value=patrolled]")
    page.fill("input[name=concentration]", "600")
    for item in ("gown", "goggles", "mask", "shoe_covers"):
        page.check(f"input[name=protection][value={item}]")
    page.set_input_files("input[name=photos]", files=[jpeg()])
    page.click("[data-form=record] button[type=submit]")
    page.locator("[data-today] [data-state=done]").wait_for()
    shot(page, "patrol-recorded")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    switch(page, "commander")
    done_after, due_after = compliance(page)
    assert int(done_after) == int(done_before) + 2  # the inspection and the patrol
    assert int(due_after) == int(due_before) + 2
