"""Issue 10's main path in a real browser on a 360 px phone: a liaison declares; staff return
the papers; the liaison fixes them and submits again; an inspector passes the on-site review
with photos; approval; the confirmation's QR checks as valid, and as invalid after the
enterprise is suspended."""

import io
import os

import pytest
from PIL import Image

from shoumen.resumption.models import Confirmation, EnterpriseStatus
from tests.browser.conftest import login
from tests.factories import World
from tests.helpers_resumption import PDF, Resumption, roster

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOUMEN_SHOTS")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def pdf(name="方案.pdf") -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def jpeg() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), "green").save(buffer, "JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def switch(page, username):
    page.context.clear_cookies()
    login(page, username)


def step(page, firm, action, note=""):
    page.goto(page.base_url + f"/enterprises/{firm.pk}/")
    page.click(f"[data-panel=resumption] [data-action={action}]")
    if note:
        page.fill("[data-form=step] textarea[name=note]", note)
    page.click("[data-form=step] button[type=submit]")
    page.wait_for_url(f"**/enterprises/{firm.pk}/")


def test_declare_return_fix_review_approve_and_check_on_a_phone(page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    page.set_viewport_size({"width": 360, "height": 780})
    world = World()
    res = Resumption(world)
    firm = res.firm
    workbook = roster()

    switch(page, res.liaison.username)
    page.goto(page.base_url + f"/enterprises/{firm.pk}/")
    page.click("[data-action=declare]")
    page.fill("input[name=employees_returning]", "20")
    page.fill("input[name=disinfectant_litres]", "50")
    page.fill("input[name=masks_on_hand]", "500")
    page.fill("input[name=commitment_signed_by]", "王芳")
    page.set_input_files("input[name=file_prevention_plan]", files=[pdf()])
    page.set_input_files("input[name=file_emergency_plan]", files=[pdf("应急预案.pdf")])
    page.set_input_files("input[name=file_commitment]", files=[pdf("承诺书.pdf")])
    page.set_input_files("input[name=roster]", files=[{
        "name": "员工健康台账.xlsx", "buffer": workbook.read(),
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    shot(page, "declaration-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("[data-form=declaration] button[type=submit]")
    page.wait_for_url(f"**/enterprises/{firm.pk}/")
    assert page.locator("[data-missing]").count() == 0
    step(page, firm, "submit")

    switch(page, "commander")
    step(page, firm, "return", "应急预案缺少24小时值班电话")

    switch(page, res.liaison.username)
    page.goto(page.base_url + f"/enterprises/{firm.pk}/")
    page.get_by_text("应急预案缺少24小时值班电话").wait_for()
    page.click("[data-action=declare]")
    page.set_input_files("input[name=file_emergency_plan]", files=[pdf("应急预案v2.pdf")])
    page.click("[data-form=declaration] button[type=submit]")
    page.wait_for_url(f"**/enterprises/{firm.pk}/")
    step(page, firm, "submit", "已补充值班电话")

    switch(page, "commander")
    step(page, firm, "accept")
    subject = res.onsite_plan.subjects.get()

    switch(page, subject.duty.owner.username)
    page.goto(page.base_url + "/inspections/")
    page.locator(f"[data-subject='{subject.pk}'] [data-action=inspect]").click()
    page.check("input[name='a-temperature-point'][value=yes]")
    page.fill("input[name='a-chlorine']", "800")
    page.check("input[name='a-masks'][value='充足']")
    page.fill("input[name=signed_by]", "王芳")
    page.set_input_files("input[name=photos]", files=[jpeg(), jpeg()])
    page.click("[data-form=inspection] button[type=submit]")
    page.wait_for_url("**/inspections/")

    switch(page, "commander")
    step(page, firm, "approve")
    firm.refresh_from_db()
    assert firm.status == EnterpriseStatus.RESUMED
    confirmation = Confirmation.objects.get()
    page.click("[data-action=confirmation]")
    page.locator("[data-check=valid]").wait_for()
    assert page.locator(".qr svg").count() == 1
    shot(page, "confirmation")

    page.goto(page.base_url + "/enterprises/confirmations/check/")
    page.fill("[data-form=confirmation-check] textarea", confirmation.qr_text)
    page.locator("[data-offline-result][data-offline=valid]").wait_for()
    page.click("[data-form=confirmation-check] button[type=submit]")
    page.locator("[data-result=valid]").wait_for()

    step(page, firm, "suspend", "发现员工发热未上报")
    page.goto(page.base_url + "/enterprises/confirmations/check/")
    page.fill("[data-form=confirmation-check] textarea", confirmation.qr_text)
    page.locator("[data-offline-result][data-offline=invalid]").wait_for()  # the revoked list
    page.click("[data-form=confirmation-check] button[type=submit]")
    page.locator("[data-result=invalid][data-reason=revoked]").wait_for()
    shot(page, "confirmation-revoked")
