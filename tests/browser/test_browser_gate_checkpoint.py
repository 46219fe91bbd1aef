"""The guard's checkpoint page in a real browser on a phone-sized screen: scanning with a
USB scanner (the QR text typed into the scan field), confirming with a temperature, working
offline (passes verified by WebCrypto, entries queued in IndexedDB, uploaded when the network
is back), fevers, look-up, visitors, a revoked phone, and reloading with no network."""

import base64
import zlib
from datetime import date, timedelta

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse
from django.utils import timezone, translation

from shoumen.credentials import keys
from shoumen.gate.alerts.models import FeverAlert
from shoumen.gate.checkpoints import services
from shoumen.gate.checkpoints.models import CheckpointDevice, DeviceRevocation
from shoumen.gate.entries.models import Entry, Refusal, RefusalReason
from shoumen.gate.passes import cose
from shoumen.gate.passes import services as passes
from shoumen.people import fake
from shoumen.people.models import PersonStatus
from shoumen.people.services import change_status
from tests.browser.conftest import _wait_for_functions_not_expressions, login
from tests.factories import World, checkpoint, person, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

READY = "document.documentElement.dataset.gateReady === '1'"
REFRESHED = "document.getElementById('gate-refreshed').dataset.refreshedAt !== ''"


class Gate:
    """A guard at 甲社区东门 and three residents with passes."""

    def __init__(self):
        self.world = w = World()
        self.guard = user("guard_a", "checkpoint_guard", w.community_a)
        self.checkpoint = checkpoint(w.community_a, "甲社区东门", guards=[self.guard])
        self.residents = [person(w.worker_a, w.grid_a1, name) for name in ("李四", "王五", "赵六")]
        self.passes = [passes.issue_pass(r, actor=w.worker_a) for r in self.residents]

    @property
    def url(self):
        return reverse("gate:scan", kwargs={"pk": self.checkpoint.pk})


@pytest.fixture
def gate(page):
    # A script error on the page fails the test, with what the console said before it.
    page.console_lines = []
    page.on("console", lambda m: page.console_lines.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: page.console_lines.append(f"pageerror: {e}"))
    page.on("response", lambda r: r.status >= 400 and page.console_lines.append(
        f"response: {r.status} {r.request.method} {r.url}"))
    yield Gate()
    print("\n".join(page.console_lines))  # shown when the test fails
    errors = [line for line in page.console_lines if line.startswith("pageerror")]
    assert not errors, "\n".join(page.console_lines)


def tampered(qr_text: str) -> str:
    """The same pass with another pass number in its payload, the signature left as it was."""
    message = cbor2.loads(zlib.decompress(base45.b45decode(qr_text[len(cose.PREFIX):])))
    claims = cbor2.loads(message.value[2])
    claims[cose.CLAIM_PASS]["n"] = "9999999999"
    message.value[2] = cbor2.dumps(claims)
    return cose.PREFIX + base45.b45encode(zlib.compress(cbor2.dumps(message), 9)).decode()


def open_page(page, gate, username="guard_a"):
    login(page, username)
    page.goto(page.base_url + gate.url)
    page.wait_for_function(READY)


def scan(page, text, verdict="ok"):
    page.fill("#gate-scan-input", text)
    page.press("#gate-scan-input", "Enter")
    page.wait_for_selector(f"#gate-current[data-verdict={verdict}]")


def confirm(page, temperature="36.5"):
    page.click(f".gate-temps [data-temperature='{temperature}']")
    page.click("#gate-confirm")
    page.wait_for_selector("#gate-current", state="hidden")


def queue_length(page) -> int:
    return int(page.get_attribute("#gate-queue", "data-count"))


def test_guard_scans_a_pass_and_the_entry_is_stored(page, gate):
    open_page(page, gate)
    device = CheckpointDevice.objects.get(checkpoint=gate.checkpoint)  # the phone registered itself
    assert device.registered_by == gate.guard and device.revoked_at is None

    scan(page, gate.passes[0].qr_text)
    assert page.inner_text("#gate-card-name") == "李*"  # masked, as when checked offline
    assert gate.residents[0].id_number_masked in page.inner_text("#gate-card-id")
    assert str(gate.passes[0].valid_until.year) in page.inner_text("#gate-card-more")
    assert page.get_attribute("#gate-temp-input", "placeholder")  # the free field says what it is
    confirm(page, "36.5")

    page.wait_for_selector("#gate-recent li[data-state=synced]")
    entry = Entry.objects.get()
    assert (entry.person, entry.checkpoint, entry.method, str(entry.temperature), entry.direction) == (
        gate.residents[0], gate.checkpoint, "pass", "36.5", "in")
    assert entry.device == device and entry.guard == gate.guard
    recent = page.inner_text("#gate-recent")
    assert "李*" in recent and "36.5" in recent
    assert queue_length(page) == 0

    # Refused by the server: the reason in the guard's language, no developer's detail.
    scan(page, tampered(gate.passes[0].qr_text), verdict="refused")
    reason = page.inner_text("#gate-card-reason")
    assert str(RefusalReason.BAD_SIGNATURE.label) in reason and "signature" not in reason


def test_offline_three_entries_queue_then_sync_once(page, gate):
    passes.revoke_pass(gate.passes[2], actor=gate.world.worker_a, reason="遗失")
    replacement = passes.issue_pass(gate.residents[2], actor=gate.world.worker_a)
    open_page(page, gate)
    page.wait_for_function(REFRESHED)  # keys and lists are on the phone

    page.context.set_offline(True)
    page.wait_for_selector("#gate-network[data-online='0']")
    for n, resident_pass in enumerate([gate.passes[0], gate.passes[1], replacement], start=1):
        scan(page, resident_pass.qr_text)
        assert "离线" in page.inner_text("#gate-card-how")  # checked offline (zh-CN browser)
        confirm(page, "36.6")
        page.wait_for_function(f"document.getElementById('gate-queue').dataset.count === '{n}'")
    assert page.locator("#gate-alerts .alert-info").count() == 1  # "kept on this phone", once

    # Refused on the phone, with its own reason; nothing queued for them.
    scan(page, tampered(gate.passes[0].qr_text), verdict="refused")
    assert page.get_attribute("#gate-current", "data-reason") == "bad_signature"
    assert str(RefusalReason.BAD_SIGNATURE.label) in page.inner_text("#gate-card-reason")
    scan(page, gate.passes[2].qr_text, verdict="refused")  # revoked: from the cached list
    assert page.get_attribute("#gate-current", "data-reason") == "revoked"
    page.click("#gate-cancel")

    assert queue_length(page) == 3
    assert page.locator("#gate-recent li[data-state=queued]").count() == 3
    assert Entry.objects.count() == 0

    # Back online, the first upload is stored but its answer is lost on the way back: the
    # phone keeps the three and uploads them again; the server answers "duplicate".
    uploads = []

    def answer_lost_once(route):
        response = route.fetch()
        uploads.append(response.json()["counts"])
        if len(uploads) == 1:
            route.abort()
        else:
            route.fulfill(response=response)

    page.route("**/api/gate/entries/batch/", answer_lost_once)
    page.context.set_offline(False)
    for _ in range(100):  # route handlers run while Playwright waits
        if uploads:
            break
        page.wait_for_timeout(100)
    page.wait_for_function("document.getElementById('gate-queue').dataset.flushing === '0'")
    assert uploads[0]["stored"] == 3 and Entry.objects.count() == 3
    assert queue_length(page) == 3  # no answer: nothing leaves the queue
    page.click("#gate-sync")
    page.wait_for_function("document.getElementById('gate-queue').dataset.count === '0'")
    page.wait_for_function("document.querySelectorAll('#gate-recent li[data-state=synced]').length === 3")
    assert page.locator("#gate-alerts .alert-info").count() == 0  # no longer kept on the phone
    assert uploads[-1] == {"stored": 0, "duplicate": 3, "refused": 0, "invalid": 0}
    assert Entry.objects.count() == 3
    assert set(Entry.objects.values_list("person__name", flat=True)) == {"李四", "王五", "赵六"}
    assert not Refusal.objects.exists()


def test_offline_checks_each_refusal_reason(page, gate):
    w = gate.world
    change_status(gate.residents[1], actor=w.worker_a, status=PersonStatus.HOME_OBSERVATION,
                  reason="密接")
    now = timezone.now()
    signing = keys.private_key(keys.signing_key())
    expired = cose.sign(private_key=signing, number="1111111111", community_code="370103001001",
                        holder="李*", issued_at=now - timedelta(days=40),
                        expires_at=now - timedelta(days=1))
    forged = cose.sign(private_key=ec.generate_private_key(ec.SECP256R1()), number="2222222222",
                       community_code="370103001001", holder="李*", issued_at=now,
                       expires_at=now + timedelta(days=30))
    open_page(page, gate)
    page.wait_for_function(REFRESHED)
    page.context.set_offline(True)
    page.wait_for_selector("#gate-network[data-online='0']")

    cases = [(tampered(gate.passes[0].qr_text), "bad_signature"), (forged, "unknown_key"),
             (expired, "expired"), ("SM1:not-a-pass", "malformed"),
             (base64.b64encode(b"hello").decode(), "malformed")]
    for text, reason in cases:
        scan(page, text, verdict="refused")
        assert page.get_attribute("#gate-current", "data-reason") == reason, text
        assert str(RefusalReason(reason).label) in page.inner_text("#gate-card-reason")
        assert page.is_hidden("#gate-confirm")

    page.click("label[for=gate-dir-out]")  # confined: may come home, may not go out
    scan(page, gate.passes[1].qr_text, verdict="refused")
    assert page.get_attribute("#gate-current", "data-reason") == "status"
    page.click("label[for=gate-dir-in]")
    page.wait_for_selector("#gate-current[data-verdict=ok]")
    assert queue_length(page) == 0


def test_fever_shows_red_and_raises_an_alert(page, gate):
    open_page(page, gate)
    scan(page, gate.passes[0].qr_text)

    page.fill("#gate-temp-input", "33.0")
    assert "34.0" in page.inner_text("#gate-temp-error") and "43.0" in page.inner_text("#gate-temp-error")
    assert page.is_disabled("#gate-confirm")

    page.fill("#gate-temp-input", "38.2")
    page.wait_for_selector("#gate-fever-warning:not(.d-none)")
    colour = page.eval_on_selector("#gate-temp-input", "e => getComputedStyle(e).backgroundColor")
    red, green, blue = (int(c) for c in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3])
    assert red > 180 and green < 100 and blue < 100, colour
    assert "37.3" in page.inner_text("#gate-fever-warning")
    page.click("#gate-confirm")
    page.wait_for_selector("#gate-recent li[data-state=synced] .text-bg-danger")
    entry = Entry.objects.get()
    assert entry.fever and str(entry.temperature) == "38.2"
    assert FeverAlert.objects.get().entry == entry


def test_look_up_and_visitor_with_field_errors(page, gate):
    open_page(page, gate)
    resident = gate.residents[1]
    page.click("#gate-tab-lookup")
    page.fill("#gate-lookup-input", resident.id_number[-4:])
    page.press("#gate-lookup-input", "Enter")
    page.click(f"#gate-lookup-results [data-person='{resident.pk}']")
    confirm(page, "36.4")
    page.wait_for_function("document.querySelectorAll('#gate-recent li[data-state=synced]').length === 1")
    assert Entry.objects.get().method == "lookup"

    page.click("#gate-tab-visitor")
    page.fill("#gate-visitor-name", "孙七")
    page.fill("#gate-visitor-phone", "13912345678")
    page.fill("#gate-visitor-id_number", "370103198503070000")  # wrong check digit
    page.fill("#gate-visitor-reason", "探亲")
    page.fill("#gate-visitor-visiting", "3号楼2单元")
    page.click("#gate-visitor-form button[type=submit]")
    page.click(".gate-temps [data-temperature='36.5']")
    page.click("#gate-confirm")
    error = page.wait_for_selector("[data-errors-for='visitor.id_number']:not(:empty)")
    assert error.is_visible()
    assert page.get_attribute("#gate-visitor-id_number", "class").count("is-invalid") == 1
    assert Entry.objects.count() == 1

    page.fill("#gate-visitor-id_number", fake.id_number("370103", date(1985, 3, 7), 777))
    page.click("#gate-visitor-form button[type=submit]")
    page.click(".gate-temps [data-temperature='36.5']")
    page.click("#gate-confirm")
    page.wait_for_function("document.querySelectorAll('#gate-recent li[data-state=synced]').length === 2")
    visit = Entry.objects.get(method="visitor")
    assert visit.person.name == "孙七" and visit.visiting == "3号楼2单元"


def test_revoked_phone_is_told_and_registers_again(page, gate):
    open_page(page, gate)
    first = CheckpointDevice.objects.get()
    services.revoke_device(first, actor=gate.world.worker_a)

    scan(page, gate.passes[0].qr_text)  # the preview meets the 401 and falls back to the phone
    confirm(page, "36.5")  # kept on the phone, not lost
    page.wait_for_selector("#gate-device:not(.d-none) #gate-register:not(.d-none)")
    assert queue_length(page) == 1 and Entry.objects.count() == 0

    page.click("#gate-register")
    page.wait_for_function("document.getElementById('gate-queue').dataset.count === '0'")
    second = CheckpointDevice.objects.exclude(pk=first.pk).get()
    assert Entry.objects.get().device == second


def test_phone_of_an_unassigned_guard_says_why_it_stopped(page, gate):
    """The guard is taken off the checkpoint while the page is open: the next scan meets the
    device's 401, the page shows the server's reason and keeps the entry."""
    open_page(page, gate)
    services.set_guards(gate.checkpoint, [], actor=gate.world.worker_a)

    scan(page, gate.passes[0].qr_text)
    confirm(page, "36.5")
    page.wait_for_selector("#gate-device:not(.d-none)")
    with translation.override("zh-hans"):
        reason = str(DeviceRevocation.NOT_A_GUARD.label)
    assert reason in page.inner_text("#gate-device-message")
    assert queue_length(page) == 1 and Entry.objects.count() == 0


def test_page_reloads_offline_from_the_service_worker(page, gate):
    open_page(page, gate)
    page.wait_for_function("!!document.documentElement.dataset.gateOffline")
    page.reload()  # now controlled by the worker: the navigation itself is kept
    page.wait_for_function(READY)
    page.wait_for_function("!!document.documentElement.dataset.gateOffline")

    page.context.set_offline(True)
    page.reload()
    page.wait_for_function(READY)
    assert page.get_attribute("#gate-network", "data-online") == "0"
    scan(page, gate.passes[0].qr_text)  # keys from IndexedDB, scripts from the worker's cache
    confirm(page, "36.5")
    page.wait_for_function("document.getElementById('gate-queue').dataset.count === '1'")
    page.context.set_offline(False)
    page.wait_for_function("document.getElementById('gate-queue').dataset.count === '0'")
    assert Entry.objects.count() == 1


def test_demo_guard_scans_a_demo_pass_and_it_is_in_the_residents_trace(page):
    """The issue's "done means": on the demo data, the demo guard scans a demo pass (its QR
    text fed into the scan field) and the entry appears in the resident's movement trace."""
    from io import StringIO

    from django.core.management import call_command

    from shoumen.accounts.models import User
    from shoumen.demo.world import DEMO_PASSWORD
    from shoumen.gate.passes.models import ResidentPass

    call_command("demo-data", "--residents", "200", "--seed", "7", stdout=StringIO())
    checkpoint_ = User.objects.get(username="guard").guarded_checkpoints.order_by("pk").first()
    assert checkpoint_ is not None, "the demo guard guards a checkpoint"
    resident_pass = (ResidentPass.objects.select_related("person")
                     .filter(revoked_at=None, valid_until__gt=timezone.now(),
                             jurisdiction=checkpoint_.place.jurisdiction)
                     .order_by("number").first())
    before = set(Entry.objects.filter(person=resident_pass.person).values_list("pk", flat=True))

    login(page, "guard", DEMO_PASSWORD)
    page.goto(page.base_url + reverse("gate:scan", kwargs={"pk": checkpoint_.pk}))
    page.wait_for_function(READY)
    scan(page, resident_pass.qr_text)
    assert page.inner_text("#gate-card-name") == passes.mask_name(resident_pass.person.name)
    confirm(page, "36.8")
    page.wait_for_selector("#gate-recent li[data-state=synced]")
    entry = Entry.objects.filter(person=resident_pass.person).exclude(pk__in=before).get()
    assert (entry.checkpoint, str(entry.temperature), entry.method) == (checkpoint_, "36.8", "pass")

    # The service worker keeps the page with the guard's cookies in the background; leaving
    # before it is done let its late request (now without a session) set a second CSRF
    # cookie under the next login form, which then failed as "CSRF token incorrect".
    page.wait_for_function("!!document.documentElement.dataset.gateOffline")
    page.context.clear_cookies()  # the community's staff open the resident's trace
    login(page, "community", DEMO_PASSWORD)
    page.goto(page.base_url + reverse("gate:person-trace", kwargs={"pk": resident_pass.person.pk}))
    row = page.locator(f"[data-trace-list] li[data-entry='{entry.pk}']")
    assert checkpoint_.place.name in row.inner_text() and "36.8" in row.inner_text()


def test_plain_http_on_a_lan_still_works_online(page, gate, settings):
    """Over plain http from another machine (not localhost) the browser gives no WebCrypto,
    no service worker and no camera: the page says offline checks are unavailable, hides the
    camera, and scans and stores entries through the server all the same."""
    lan, server = "http://gate.lan", page.base_url
    settings.CSRF_TRUSTED_ORIGINS = [lan]

    def through_the_lan(route):
        url = route.request.url.replace(lan, server, 1)
        route.fulfill(response=route.fetch(url=url, max_redirects=0))

    page.route(f"{lan}/**", through_the_lan)
    page.base_url = lan
    open_page(page, gate)
    assert page.evaluate("window.isSecureContext") is False
    assert page.evaluate("!!(window.crypto && crypto.subtle)") is False
    assert "HTTPS" in page.inner_text("#gate-alerts")
    assert page.is_hidden("#gate-camera")

    scan(page, gate.passes[0].qr_text)
    assert page.inner_text("#gate-card-how") == page.evaluate(
        "JSON.parse(document.getElementById('gate-config').textContent).strings.checked_online")
    confirm(page, "36.5")
    page.wait_for_selector("#gate-recent li[data-state=synced]")
    assert Entry.objects.get().person == gate.residents[0]

    # With no network it cannot check a pass: it says so, and the server checks on upload.
    page.context.set_offline(True)
    page.wait_for_selector("#gate-network[data-online='0']")
    scan(page, tampered(gate.passes[1].qr_text), verdict="unchecked")
    assert "HTTPS" in page.inner_text("#gate-card-reason")
    confirm(page, "36.5")
    page.wait_for_function("document.getElementById('gate-queue').dataset.count === '1'")
    page.context.set_offline(False)
    page.wait_for_selector("#gate-recent li[data-state=refused]")
    assert queue_length(page) == 0
    assert Refusal.objects.get().reason == "bad_signature" and Entry.objects.count() == 1


def fake_camera_video(text: str, path, width=640, height=480) -> None:
    """A one-frame Y4M video of the QR code of ``text``, for Chromium's fake camera."""
    import segno

    rows = list(segno.make_qr(text, error="m").matrix_iter(scale=1, border=4))
    module = (height - 40) // len(rows)
    left, top = (width - module * len(rows)) // 2, (height - module * len(rows)) // 2
    luma = bytearray(b"\xff" * (width * height))
    for y in range(module * len(rows)):
        row = rows[y // module]
        for x in range(module * len(rows)):
            if row[x // module]:
                luma[(top + y) * width + left + x] = 0
    chroma = b"\x80" * (width // 2 * height // 2)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        out.write(b"FRAME\n" + bytes(luma) + chroma + chroma)


def test_camera_reads_the_pass_with_jsqr(browser, live_server, settings, tmp_path):
    """The camera button: Chromium's fake camera shows a pass's QR code; with no
    BarcodeDetector on this platform the page decodes the frames with the vendored jsQR."""
    from tests.browser.conftest import CHROMIUM

    settings.ALLOWED_HOSTS = ["*"]
    gate = Gate()
    video = tmp_path / "pass.y4m"
    fake_camera_video(gate.passes[0].qr_text, video)
    camera_browser = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera_browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
        context.grant_permissions(["camera"])
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base_url = live_server.url
        _wait_for_functions_not_expressions(page)
        open_page(page, gate)
        page.click("#gate-camera")
        page.wait_for_selector("#gate-current[data-verdict=ok]")
        assert page.inner_text("#gate-card-name") == "李*"  # masked, as when checked offline
        assert page.is_hidden("#gate-camera-box")  # the camera stops once it has read a code
        assert page.evaluate("'BarcodeDetector' in window || typeof window.jsQR === 'function'")
        confirm(page, "36.5")
        page.wait_for_selector("#gate-recent li[data-state=synced]")
        assert Entry.objects.get().person == gate.residents[0]
    finally:
        camera_browser.close()


def test_an_upload_the_server_refuses_is_kept_aside_with_its_errors(page, gate):
    """A visitor typed in offline with a wrong ID number: the upload answers "invalid"; the
    entry leaves the queue but stays on the phone, shown with the server's message, until
    the guard removes it."""
    open_page(page, gate)
    page.context.set_offline(True)
    page.wait_for_selector("#gate-network[data-online='0']")
    page.click("#gate-tab-visitor")
    for field, value in (("name", "孙七"), ("phone", "13912345678"),
                         ("id_number", "370103198503070000"), ("reason", "探亲")):
        page.fill(f"#gate-visitor-{field}", value)
    page.click("#gate-visitor-form button[type=submit]")
    assert page.get_attribute("#gate-current", "data-verdict") == "unchecked"
    confirm(page, "36.5")
    page.wait_for_function("document.getElementById('gate-queue').dataset.count === '1'")

    page.context.set_offline(False)
    page.wait_for_selector("#gate-invalid:not(.d-none) li[data-uuid]")
    assert queue_length(page) == 0
    assert "孙七" in page.inner_text("#gate-invalid-list")
    assert page.inner_text("#gate-invalid-list .text-danger").strip()  # the server's message
    assert page.locator("#gate-recent li[data-state=invalid]").count() == 1
    assert not Entry.objects.exists()

    page.click("#gate-invalid-list button")
    page.wait_for_selector("#gate-invalid", state="hidden")
    assert page.locator("#gate-recent li[data-state=invalid]").count() == 0
