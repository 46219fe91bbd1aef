"""Main path in a real browser, on a phone-sized screen: sign in, find a resident by pinyin
initials, open the record, reveal the ID number (audited)."""

import pytest

from shoumen.core.models import AuditEvent
from tests.browser.conftest import login
from tests.factories import World, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_by_pinyin_initials_and_open_record(page):
    world = World()
    target = person(world.worker_a, world.community_a, "张三丰", phone="13812345678")
    person(world.worker_a, world.community_a, "李四")
    person(world.worker_b, world.community_b, "张三")  # other community: must not appear

    login(page, "worker_a")
    page.goto(page.base_url + "/people/")
    page.fill("input[name=q]", "zsf")
    page.keyboard.press("Enter")
    rows = page.locator("table tbody tr")
    rows.first.wait_for()
    page.wait_for_function("document.querySelectorAll('table tbody tr').length === 1")
    assert "张三丰" in rows.first.inner_text()
    assert "138****5678" in rows.first.inner_text()

    page.click("text=张三丰")
    page.wait_for_url(f"**/people/{target.pk}/")
    assert target.id_number_masked in page.content()
    assert target.id_number not in page.content()

    page.click("[data-action=reveal]")
    page.wait_for_selector(f"text={target.id_number}")
    assert AuditEvent.objects.filter(action="view_pii", object_id=str(target.pk),
                                     actor=world.worker_a).exists()


def test_one_request_per_search_and_filters_still_ask(page):
    """Enter sends the search once: a second answer pushed into the history would cancel a
    link clicked meanwhile (the flake this test replaced). Typing and other filters still ask."""
    world = World()
    person(world.worker_a, world.community_a, "张三丰")
    person(world.worker_a, world.community_a, "李四")
    login(page, "worker_a")
    page.goto(page.base_url + "/people/")
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/people/?" in r.url else None)

    page.fill("input[name=q]", "zsf")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('table tbody tr').length === 1")
    page.wait_for_timeout(600)  # past the typing delay: nothing more may be sent
    assert len(asked) == 1

    page.fill("input[name=q]", "李")  # typed, no Enter
    page.wait_for_function("() => document.querySelector('table tbody').innerText.includes('李四')")
    assert len(asked) == 2

    page.click("[data-bs-target='#filters-more']")  # folded away on a phone
    page.select_option("select[name=key_person]", "true")
    page.wait_for_function("() => new URL(location.href).searchParams.get('key_person') === 'true'")
    assert len(asked) == 3


def test_refused_reveal_says_why(page):
    """A 403 answered to htmx is swapped in (one htmx config for every page)."""
    world = World()
    target = person(world.worker_a, world.community_a, "张三丰")
    login(page, "worker_a")
    page.goto(page.base_url + f"/people/{target.pk}/")
    world.worker_a.role_assignments.update(role="grid_worker")  # may view, may not reveal
    page.click("[data-action=reveal]")
    page.wait_for_selector("[data-forbidden]")
    assert target.id_number not in page.content()


def test_a_status_moves_only_by_the_steps_its_workflow_allows(page):
    """The status page offers the next steps from where the person stands; a step taken shows
    in their history, and from there the page offers the next ones (zh-hans pages)."""
    world = World()
    target = person(world.worker_a, world.community_a, "张三丰")
    login(page, "worker_a")
    page.goto(page.base_url + f"/people/{target.pk}/status/")
    offered = page.eval_on_selector_all("select[name=status] option[value]",
                                        "options => options.map(o => o.value).filter(Boolean)")
    assert "released" not in offered and "normal" not in offered
    page.select_option("select[name=status]", "confirmed")
    page.fill("textarea[name=reason]", "核酸阳性")
    page.click("[data-form=status] button[type=submit]")
    page.wait_for_url(f"**/people/{target.pk}/")
    assert "核酸阳性" in page.inner_text("[data-table=status-history]")
    page.goto(page.base_url + f"/people/{target.pk}/status/")
    offered = page.eval_on_selector_all("select[name=status] option[value]",
                                        "options => options.map(o => o.value).filter(Boolean)")
    assert "home_observation" not in offered and "released" in offered
