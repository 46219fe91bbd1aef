"""The resumption confirmation (复工确认书): issued on approval as a signed credential, checked
by the platform and offline, refused when altered, forged, revoked or the enterprise
suspended."""

import zlib
from datetime import timedelta

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse
from django.utils import timezone

from shoumen.credentials import cose
from shoumen.resumption import confirmations, declaring
from tests.factories import user
from tests.helpers_resumption import Resumption


@pytest.fixture
def resumed(world, media_root, english):
    res = Resumption(world)
    res.review(res.to_onsite())
    declaring.approve(res.firm, actor=world.commander)
    res.confirmation = res.firm.confirmations.get()
    return res


def test_approval_issues_a_signed_confirmation_that_checks_valid(world, resumed):
    confirmation = resumed.confirmation
    assert confirmation.qr_text.startswith("SM1:") and confirmation.revoked_at is None
    assert confirmation.valid_until > timezone.now() + timedelta(days=100)
    result = confirmations.check(confirmation.qr_text)
    assert result.valid and resumed.firm.name in result.message
    from shoumen.credentials import keys

    body = cose.verify(confirmation.qr_text, keys.public_keys(),
                       claim=confirmations.CLAIM_CONFIRMATION).body
    assert body == {"n": confirmation.number, "e": resumed.firm.name,
                    "u": resumed.firm.credit_code}


def test_an_altered_or_forged_qr_is_refused(world, resumed):
    text = resumed.confirmation.qr_text
    raw = cbor2.loads(zlib.decompress(base45.b45decode(text[4:])))
    protected, unprotected, payload, signature = raw.value
    claims = cbor2.loads(payload)
    claims[confirmations.CLAIM_CONFIRMATION]["e"] = "别的企业"
    altered = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, cbor2.dumps(claims),
                                              signature]))
    result = confirmations.check("SM1:" + base45.b45encode(zlib.compress(altered)).decode())
    assert not result.valid and result.reason == "bad_signature"
    forged = cose.sign(private_key=ec.generate_private_key(ec.SECP256R1()),
                       claim=confirmations.CLAIM_CONFIRMATION,
                       body={"n": resumed.confirmation.number, "e": resumed.firm.name,
                             "u": resumed.firm.credit_code},
                       issued_at=timezone.now(), expires_at=timezone.now() + timedelta(days=9))
    result = confirmations.check(forged)
    assert not result.valid and result.reason == "unknown_key"
    assert confirmations.check("hello").reason == "malformed"
    # a resident pass is signed the same way but is not a confirmation
    from shoumen.credentials import keys

    pass_text = cose.sign(private_key=keys.private_key(keys.signing_key()), claim=-70001,
                          body={"n": "1", "c": "2", "h": "张*"}, issued_at=timezone.now(),
                          expires_at=timezone.now() + timedelta(days=1))
    assert confirmations.check(pass_text).reason == "malformed"


def test_suspension_revokes_the_confirmation_and_the_check_fails(world, resumed):
    declaring.suspend(resumed.firm, actor=world.commander, note="员工发热未上报")
    resumed.confirmation.refresh_from_db()
    assert resumed.confirmation.revoked_at is not None
    assert "员工发热未上报" in resumed.confirmation.revoked_reason
    result = confirmations.check(resumed.confirmation.qr_text)
    assert not result.valid and result.reason == "revoked"
    assert resumed.confirmation.number in confirmations.revoked_numbers(world.commander)


def test_an_expired_confirmation_fails(world, resumed):
    later = resumed.confirmation.valid_until + timedelta(days=1)
    assert confirmations.check(resumed.confirmation.qr_text, now=later).reason == "expired"


def test_the_print_page_and_the_check_page(world, login, resumed):
    url = reverse("resumption:confirmation", args=[resumed.confirmation.number])
    page = login(resumed.liaison).get(url).content.decode()
    assert "<svg" in page and 'data-check="valid"' in page and resumed.firm.credit_code in page
    assert login(resumed.other_liaison).get(url).status_code == 404
    outsider = user("lixia_commander", "subdistrict_commander", world.lixia)
    assert login(outsider).get(url).status_code == 404
    check = reverse("resumption:confirmation-check")
    client = login(world.commander)
    page = client.get(check)
    assert page.status_code == 200 and page.context["offline"]["keys"]
    answer = client.post(check, {"text": resumed.confirmation.qr_text}).content.decode()
    assert 'data-result="valid"' in answer
    declaring.suspend(resumed.firm, actor=world.commander, note="停业整顿")
    answer = client.post(check, {"text": resumed.confirmation.qr_text})
    assert 'data-result="invalid"' in answer.content.decode()
    assert resumed.confirmation.number in answer.context["offline"]["revoked"]
    detail = login(world.commander).get(reverse("resumption:enterprise-detail",
                                                args=[resumed.firm.pk])).content.decode()
    assert "revoked" in detail
