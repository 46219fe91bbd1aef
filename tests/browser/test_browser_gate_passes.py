"""Resident passes in a real browser: issue from the person page, print the A4 sheet, show the
pass on a phone — and every QR drawn on screen is read back by a QR decoder (jsQR, the one the
checkpoint page uses) as exactly the signed text."""

import base64
import re
from pathlib import Path

import pytest
from django.templatetags.static import static

from shoumen.gate.passes import services as passes
from shoumen.gate.passes.models import ResidentPass
from tests.browser.conftest import login
from tests.factories import World, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JSQR = Path(__file__).resolve().parents[2] / "src/shoumen/static/vendor/jsqr/jsQR.js"

DECODE = """async (png) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + png;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const code = jsQR(data.data, data.width, data.height);
  return code ? code.data : null;
}"""


def read_qr(page, element) -> str | None:
    """Decode what the screen shows: a screenshot of ``element``, read by jsQR in the page."""
    if not JSQR.exists():
        pytest.skip("jsQR is not vendored (static/vendor/jsqr/jsQR.js)")
    if not page.evaluate("typeof jsQR === 'function'"):
        page.add_script_tag(url=page.base_url + static("vendor/jsqr/jsQR.js"))  # CSP: a file
    png = base64.b64encode(element.screenshot()).decode()
    return page.evaluate(DECODE, png)


def test_issue_print_and_phone_view_scan_back(page):
    world = World()
    resident = person(world.worker_a, world.grid_a1, "欧阳小明")
    for i in range(11):
        passes.issue_pass(person(world.worker_a, world.community_a, f"居民{i:02d}"),
                          actor=world.worker_a)

    login(page, "worker_a")
    page.goto(f"{page.base_url}/people/{resident.pk}/")
    page.click("#person-pass-panel [data-action=issue]")
    page.wait_for_selector("#person-pass-panel [data-current-pass]")
    issued = ResidentPass.objects.get(person=resident)
    assert page.get_attribute("#person-pass-panel [data-current-pass]",
                              "data-current-pass") == issued.number

    # The community's sheet: 12 valid passes on two A4 sheets of 2 × 5 cards.
    page.set_viewport_size({"width": 900, "height": 1200})
    page.goto(f"{page.base_url}/gate/passes/print/?community={world.community_a.pk}")
    cards = page.locator("article.pass")
    assert cards.count() == 12 and page.locator("section.sheet").count() == 2
    for i in range(cards.count()):
        card = cards.nth(i)
        assert read_qr(page, card.locator(".qr")) == card.get_attribute("data-qr-text")
    assert issued.qr_text in {cards.nth(i).get_attribute("data-qr-text") for i in range(12)}
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2  # one sheet = one printed page

    # The phone view of the new pass.
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{page.base_url}/gate/passes/{issued.pk}/")
    qr = page.locator("[data-qr-text]")
    box = qr.bounding_box()
    assert box["width"] >= 300 and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert read_qr(page, qr) == issued.qr_text
    assert "欧**明" in page.content() and "欧阳小明" not in page.content()
