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
