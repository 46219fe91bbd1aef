"""Resident passes: the signed QR round trip, every refusal reason, an independent COSE
library, key rotation, bulk issue, scoping, and the rotate-pass-keys command."""

import base64
import zlib
from datetime import timedelta
from io import StringIO

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone, translation
from pycose.headers import KID, Algorithm
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import CoseMessage
from rest_framework.test import APIClient

from shoumen.core.authz import NotAllowed
from shoumen.core.models import AuditAction, AuditEvent
from shoumen.credentials import keys
from shoumen.credentials.models import SigningKey
from shoumen.gate.passes import cose
from shoumen.gate.passes import services as passes
from shoumen.gate.passes.models import ResidentPass
from shoumen.people.models import Person, PersonKind
from tests import factories
from tests.factories import force_update


@pytest.fixture(autouse=True)
def _english():
    """Stored texts (revoke reasons) are asserted in English; the default is zh-hans."""
    with translation.override("en"):
        yield


def unwrap(text: str):
    """The COSE_Sign1 array of a pass: [protected, unprotected, payload, signature]."""
    message = cbor2.loads(zlib.decompress(base45.b45decode(text.removeprefix(cose.PREFIX))))
    assert message.tag == cose.COSE_SIGN1_TAG
    return message.value


def wrap(parts) -> str:
    """Back to QR text: the same transport, so that a changed byte still decodes."""
    message = cbor2.dumps(cbor2.CBORTag(cose.COSE_SIGN1_TAG, parts))
    return cose.PREFIX + base45.b45encode(zlib.compress(message)).decode()


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


def refusal(text, **kwargs) -> str:
    with pytest.raises(passes.Refused) as exc:
        passes.check_pass(text, direction=kwargs.pop("direction", "in"), **kwargs)
    return exc.value.reason


# --- round trip -------------------------------------------------------------------------------

def test_round_trip_claims_are_what_was_issued_and_carry_no_id_number(world, resident, issued):
    protected, unprotected, payload, signature = unwrap(issued.qr_text)
    header = cbor2.loads(protected)
    key = keys.signing_key()
    assert header == {1: -7, 4: cose.kid_of(bytes(key.public_key_der))}
    assert base64.b64encode(header[4]).decode() == key.kid == issued.signing_key.kid
    assert unprotected == {} and len(signature) == 64
    claims = cbor2.loads(payload)
    assert claims[1] == "shoumen"
    assert claims[6] == int(issued.issued_at.timestamp())
    assert claims[4] == int(issued.valid_until.timestamp())
    assert claims[4] - claims[6] == 180 * 86400  # settings.PASS_VALID_DAYS
    assert claims[-70001] == {"n": issued.number, "c": world.community_a.code, "h": "欧**明"}
    # Never the ID number, in any form, nor the full name.
    id_number = Person.objects.get(pk=resident.pk)
    from shoumen.people.services import reveal_person

    full = reveal_person(id_number, actor=world.admin)["id_number"]
    assert len(full) == 18
    for needle in (full, full[-6:], full[:6] + full[6:14]):
        assert needle.encode() not in payload
        assert needle not in repr(claims)
    assert "欧阳小明".encode() not in payload
    # The service's own verifier agrees, and so does the gate check.
    decoded = cose.verify(issued.qr_text, keys.public_keys())
    assert (decoded.number, decoded.community_code, decoded.holder) == (
        issued.number, world.community_a.code, "欧**明")
    assert decoded.expires_at == issued.valid_until
    checked = passes.check_pass(issued.qr_text, direction="out")
    assert checked.person == resident and checked.resident_pass == issued
    # Filed under the community (the grid's parent), number with a good Luhn digit.
    assert issued.jurisdiction == world.community_a
    assert passes.luhn_digit(issued.number[:-1]) == issued.number[-1]
    assert issued.qr_digest == passes.qr_digest(issued.qr_text)


def test_issue_writes_an_audit_row_without_the_qr(world, resident):
    issued = passes.issue_pass(resident, actor=world.worker_a)
    event = AuditEvent.objects.get(content_type=ContentType.objects.get_for_model(ResidentPass),
                                   object_id=str(issued.pk), action=AuditAction.CREATE)
    assert event.actor == world.worker_a and event.jurisdiction == world.community_a
    assert "qr_text" not in event.after and event.after["number"] == issued.number


@pytest.mark.parametrize("name, masked", [("张三", "张*"), ("欧阳小明", "欧**明"), ("王", "王"),
                                          ("李小龙", "李*龙"), ("", "")])
def test_mask_name(name, masked):
    assert passes.mask_name(name) == masked


# --- refusals, each with its own reason ---------------------------------------------------------

@pytest.mark.parametrize("part, index", [("payload", 0), ("payload", -3), ("signature", 10),
                                         ("signature", 63)])
def test_a_changed_byte_is_refused_as_bad_signature(issued, part, index):
    parts = unwrap(issued.qr_text)
    slot = 2 if part == "payload" else 3
    parts[slot] = flip(parts[slot], index % len(parts[slot]))
    tampered = wrap(parts)
    assert tampered != issued.qr_text
    assert refusal(tampered) == "bad_signature"


def test_a_holder_name_changed_in_the_claims_is_refused(issued):
    parts = unwrap(issued.qr_text)
    claims = cbor2.loads(parts[2])
    claims[-70001]["h"] = "王*"
    parts[2] = cbor2.dumps(claims)
    assert refusal(wrap(parts)) == "bad_signature"


def test_a_pass_signed_by_another_key_is_refused_as_unknown_key(world, issued):
    stranger = ec.generate_private_key(ec.SECP256R1())
    now = timezone.now()
    forged = cose.sign(private_key=stranger, number=issued.number,
                       community_code=world.community_a.code, holder=issued.holder_display,
                       issued_at=now, expires_at=now + timedelta(days=30))
    assert unwrap(forged)[0] != unwrap(issued.qr_text)[0]  # same format, other kid
    assert refusal(forged) == "unknown_key"


def test_another_key_claiming_our_kid_is_refused_as_bad_signature(issued):
    stranger = ec.generate_private_key(ec.SECP256R1())
    parts = unwrap(issued.qr_text)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    der = stranger.sign(cose._sig_structure(parts[0], parts[2]), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    parts[3] = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert refusal(wrap(parts)) == "bad_signature"


def test_expired_pass_is_refused(world, resident):
    short = passes.issue_pass(resident, actor=world.worker_a, valid_days=1)
    assert refusal(short.qr_text, at=timezone.now() + timedelta(days=2)) == "expired"
    assert passes.check_pass(short.qr_text, direction="in").person == resident


def test_expired_pass_we_no_longer_hold_is_refused_as_expired(world):
    key = keys.signing_key()
    then = timezone.now() - timedelta(days=10)
    text = cose.sign(private_key=keys.private_key(key), number="1234567897",
                     community_code=world.community_a.code, holder="张*", issued_at=then,
                     expires_at=then + timedelta(days=1))
    assert refusal(text) == "expired"


def test_revoked_pass_is_refused(world, issued):
    passes.revoke_pass(issued, actor=world.worker_a, reason="遗失")
    assert refusal(issued.qr_text) == "revoked"
    assert issued.number in passes.offline_lists()["revoked"]


@pytest.mark.parametrize("text", ["hello", "SM1:!!!", "SM1:", "",
                                  "SM1:" + base45.b45encode(b"not zlib").decode(),
                                  "SM1:" + base45.b45encode(zlib.compress(b"\xff\xff")).decode(),
                                  "SM1:" + base45.b45encode(zlib.compress(cbor2.dumps([1, 2]))).decode()])
def test_malformed_text_is_refused_as_malformed(db, text):
    assert refusal(text) == "malformed"


def test_a_zip_bomb_is_malformed_not_a_memory_spike(db):
    bomb = zlib.compress(b"\x00" * 50_000_000, 9)
    assert refusal("SM1:" + base45.b45encode(bomb).decode()) == "malformed"


# --- an independent COSE library -------------------------------------------------------------

def published_ec2_keys() -> dict[bytes, EC2Key]:
    """kid → pycose key, built from what GET /api/gate/keys/ publishes."""
    response = APIClient().get("/api/gate/keys/")
    assert response.status_code == 200
    found = {}
    for item in response.json():
        assert item["alg"] == "ES256"
        public = serialization.load_der_public_key(base64.b64decode(item["public_key"]))
        numbers = public.public_numbers()
        found[base64.b64decode(item["kid"])] = EC2Key(
            crv=P256, x=numbers.x.to_bytes(32, "big"), y=numbers.y.to_bytes(32, "big"))
    return found


def test_a_pass_verifies_with_pycose(issued):
    published = published_ec2_keys()
    raw = zlib.decompress(base45.b45decode(issued.qr_text.removeprefix("SM1:")))
    message = CoseMessage.decode(raw)
    assert message.phdr[Algorithm].identifier == -7
    message.key = published[message.phdr[KID]]
    assert message.verify_signature() is True
    claims = cbor2.loads(message.payload)
    assert claims[-70001]["n"] == issued.number

    parts = unwrap(issued.qr_text)
    parts[2] = flip(parts[2], 5)
    tampered = CoseMessage.decode(cbor2.dumps(cbor2.CBORTag(18, parts)))
    tampered.key = published[tampered.phdr[KID]]
    assert tampered.verify_signature() is False


# --- key rotation -----------------------------------------------------------------------------

def test_a_pass_signed_before_rotation_verifies_after_it(world, resident, issued):
    old_kid = issued.signing_key.kid
    new = keys.rotate()
    assert new.kid != old_kid and keys.signing_key() == new
    assert {k.kid for k in keys.published()} == {old_kid, new.kid}
    assert cose.verify(issued.qr_text, keys.public_keys()).number == issued.number
    assert old_kid.encode() and base64.b64decode(old_kid) in published_ec2_keys()
    # The next pass is signed with the new key.
    other = factories.person(world.worker_a, world.community_a, "赵六")
    assert passes.issue_pass(other, actor=world.worker_a).signing_key == new


def test_keys_retired_longer_than_a_pass_lives_drop_out(settings, issued):
    old = issued.signing_key
    keys.rotate()
    now = timezone.now()
    SigningKey.objects.filter(pk=old.pk).update(
        retired_at=now - timedelta(days=settings.PASS_VALID_DAYS - 1))
    assert old in keys.published()
    SigningKey.objects.filter(pk=old.pk).update(
        retired_at=now - timedelta(days=settings.PASS_VALID_DAYS + 1))
    assert old not in keys.published()
    keys.forget_cached_keys()
    assert old.kid not in keys.public_keys()
    with pytest.raises(cose.PassError) as exc:
        cose.verify(issued.qr_text, keys.public_keys())
    assert exc.value.reason == "unknown_key"


def test_a_forgotten_cache_reloads_even_on_a_freshly_booted_machine(monkeypatch, issued):
    import time

    keys.public_keys()
    new = keys.rotate()  # forgets the cache
    monkeypatch.setattr(time, "monotonic", lambda: 5.0)  # booted five seconds ago
    assert new.kid in keys.public_keys()


def test_rotate_pass_keys_command_prints_the_new_kid(issued):
    out, err = StringIO(), StringIO()
    call_command("rotate-pass-keys", stdout=out, stderr=err)
    new = keys.signing_key()
    assert out.getvalue().strip() == new.kid != issued.signing_key.kid
    assert issued.signing_key.kid in err.getvalue()
    assert SigningKey.objects.get(pk=issued.signing_key_id).retired_at is not None


# --- issuing, reissuing, revoking ----------------------------------------------------------------

def test_reissue_revokes_the_old_pass(world, resident, issued):
    new = passes.issue_pass(resident, actor=world.worker_a)
    issued.refresh_from_db()
    assert issued.revoked_at is not None and issued.revoke_reason == "Replaced by a new pass"
    assert new.number != issued.number
    assert ResidentPass.objects.filter(person=resident, revoked_at=None).get() == new
    assert refusal(issued.qr_text) == "revoked"


def test_revoke_needs_a_reason_and_keeps_the_first_revocation(world, issued):
    with pytest.raises(ValidationError) as exc:
        passes.revoke_pass(issued, actor=world.worker_a, reason="  ")
    assert "reason" in exc.value.message_dict
    issued.refresh_from_db()
    assert issued.revoked_at is None
    passes.revoke_pass(issued, actor=world.worker_a, reason="遗失")
    first = ResidentPass.objects.get(pk=issued.pk).revoked_at
    passes.revoke_pass(issued, actor=world.worker_a, reason="搬走")
    again = ResidentPass.objects.get(pk=issued.pk)
    assert (again.revoked_at, again.revoke_reason) == (first, "遗失")


@pytest.mark.parametrize("days", [0, -1, 181])
def test_validity_outside_the_allowed_days_is_refused(world, resident, days):
    with pytest.raises(ValidationError) as exc:
        passes.issue_pass(resident, actor=world.worker_a, valid_days=days)
    assert "valid_days" in exc.value.message_dict
    with pytest.raises(ValidationError):
        passes.issue_passes(Person.objects.filter(pk=resident.pk), actor=world.worker_a,
                            valid_days=days)
    assert not ResidentPass.objects.exists()


def test_visitors_get_no_pass(world):
    visitor = factories.person(world.worker_a, world.community_a, "访客", kind=PersonKind.VISITOR)
    with pytest.raises(ValidationError):
        passes.issue_pass(visitor, actor=world.worker_a)


def test_issuing_or_revoking_outside_ones_jurisdiction_is_refused(world, resident, issued):
    with pytest.raises(NotAllowed):
        passes.issue_pass(resident, actor=world.worker_b)
    with pytest.raises(NotAllowed):
        passes.revoke_pass(issued, actor=world.worker_b, reason="x")
    with pytest.raises(NotAllowed):  # sees the person, may not issue
        passes.issue_pass(resident, actor=world.grid_worker)
    with pytest.raises(NotAllowed):
        passes.issue_passes(Person.objects.filter(jurisdiction=world.grid_a1), actor=world.worker_b)
    assert ResidentPass.objects.get() == issued and issued.revoked_at is None


def test_numbers_already_taken_are_drawn_again(world, issued, monkeypatch):
    drawn = iter([issued.number, "1000000009", "1000000009", "1000000017", "1000000025"])
    monkeypatch.setattr(passes, "_pass_number", lambda: next(drawn))
    numbers = passes._unused_numbers(3)
    assert sorted(numbers) == ["1000000009", "1000000017", "1000000025"]


# --- bulk issue -------------------------------------------------------------------------------

@pytest.fixture
def community(world):
    """甲社区: five residents (two in its grid), one visitor, one holding a valid pass, one
    holding an expired one; and 乙社区's resident, who must not be touched."""
    w = world.worker_a
    people = [factories.person(w, world.community_a, name) for name in ("张一", "张二", "张三")]
    people += [factories.person(w, world.grid_a1, name) for name in ("李一", "李二")]
    visitor = factories.person(w, world.community_a, "访客", kind=PersonKind.VISITOR)
    holder = passes.issue_pass(people[0], actor=w)
    expired = passes.issue_pass(people[3], actor=w)
    force_update(ResidentPass.objects.filter(pk=expired.pk), valid_until=timezone.now() - timedelta(days=1))
    outsider = factories.person(world.worker_b, world.community_b, "王五")
    return {"people": people, "visitor": visitor, "holder": holder, "expired": expired,
            "outsider": outsider}


def in_community_a(world):
    from shoumen.core.scoping import subtree_q

    return Person.objects.visible_to(world.worker_a, "gate.passes").filter(
        subtree_q(world.community_a.path, "jurisdiction__"))


def test_bulk_issue_gives_exactly_the_residents_without_a_valid_pass_one(world, community):
    before = set(ResidentPass.objects.values_list("pk", flat=True))
    result = passes.issue_passes(in_community_a(world), actor=world.worker_a)
    assert (result.issued, result.skipped, result.renewed) == (4, 1, 1)
    new = ResidentPass.objects.exclude(pk__in=before)
    assert {p.person.name for p in new} == {"张二", "张三", "李一", "李二"}
    live = ResidentPass.objects.filter(revoked_at=None, valid_until__gt=timezone.now())
    assert sorted(live.values_list("person__name", flat=True)) == sorted(
        ["张一", "张二", "张三", "李一", "李二"])
    assert not ResidentPass.objects.filter(person=community["visitor"]).exists()
    assert not ResidentPass.objects.filter(person=community["outsider"]).exists()
    assert ResidentPass.objects.get(pk=community["holder"].pk).revoked_at is None
    expired = ResidentPass.objects.get(pk=community["expired"].pk)
    assert expired.revoked_at is not None and "Expired" in expired.revoke_reason
    assert all(p.jurisdiction_id == world.community_a.pk for p in new)
    assert len({p.number for p in ResidentPass.objects.all()}) == ResidentPass.objects.count()
    # Every new pass verifies and says who it is for.
    for p in new:
        claims = cose.verify(p.qr_text, keys.public_keys())
        assert (claims.number, claims.holder) == (p.number, passes.mask_name(p.person.name))
    # One audit row per new pass (bulk) and one for the replaced expired pass.
    pass_type = ContentType.objects.get_for_model(ResidentPass)
    rows = AuditEvent.objects.filter(content_type=pass_type, action=AuditAction.CREATE,
                                     note="Passes issued in bulk")
    assert sorted(rows.values_list("object_id", flat=True)) == sorted(str(p.pk) for p in new)
    assert all(r.actor_id == world.worker_a.pk and r.jurisdiction_id == world.community_a.pk
               for r in rows)
    assert AuditEvent.objects.filter(content_type=pass_type, action=AuditAction.UPDATE,
                                     object_id=str(expired.pk)).exists()


def test_bulk_issue_twice_issues_nothing_the_second_time(world, community):
    passes.issue_passes(in_community_a(world), actor=world.worker_a)
    count = ResidentPass.objects.count()
    again = passes.issue_passes(in_community_a(world), actor=world.worker_a)
    assert (again.issued, again.skipped, again.renewed) == (0, 5, 0)
    assert ResidentPass.objects.count() == count


def test_bulk_issue_across_a_border_writes_nothing(world, community):
    count = ResidentPass.objects.count()
    everyone = Person.objects.all()  # includes 乙社区's resident
    with pytest.raises(NotAllowed):
        passes.issue_passes(everyone, actor=world.worker_a)
    assert ResidentPass.objects.count() == count


def test_state_filters_and_state_of_agree(world, community):
    now = timezone.now()
    for state in passes.PassState:
        chosen = ResidentPass.objects.filter(passes.state_q(state, now))
        assert all(passes.state_of(p, now) == state for p in chosen)
    assert ResidentPass.objects.filter(passes.state_q("expired", now)).get() == community["expired"]
