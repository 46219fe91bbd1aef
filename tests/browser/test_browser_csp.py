"""Under the strict Content-Security-Policy the pages still work: the API docs render, the
admin opens, the language switch submits, a confirm button asks first — and nothing on them
is refused by the policy (the page fixture fails a test on any refusal)."""

import pytest

from tests.browser.conftest import login
from tests.factories import World, checkpoint

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    return World()


def test_api_docs_and_admin_render_under_the_policy(page, world):
    login(page, "admin")
    page.goto(page.base_url + "/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock-tag")  # the operations, drawn by Swagger UI
    page.goto(page.base_url + "/admin/accounts/user/add/")
    page.wait_for_selector("#user_form")


def test_language_switch_and_confirm_work_without_inline_script(page, world):
    from shoumen.gate.checkpoints import services

    gate = checkpoint(world.community_a)
    services.register_device(gate, actor=world.worker_a, name="phone")
    login(page, "worker_a")
    page.select_option("#lang", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.goto(page.base_url + f"/gate/checkpoints/{gate.pk}/")
    page.once("dialog", lambda dialog: dialog.dismiss())  # "No": nothing is revoked
    page.click("[data-action=revoke]")
    assert gate.devices.get().revoked_at is None
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-action=revoke]")
    page.wait_for_selector(".badge.text-bg-secondary")
    assert gate.devices.get().revoked_at is not None
