"""Resident pass API: list and filters, one pass, issue / reissue, bulk issue, revoke; scoping
(another jurisdiction's pass is a 404), permissions and bad input."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shoumen.core.models import AuditEvent
from shoumen.credentials import keys
from shoumen.gate.passes import cose
from shoumen.gate.passes import services as passes
from shoumen.gate.passes.models import ResidentPass
from shoumen.people.models import PersonKind
from tests import factories

LIST = "/api/gate/passes/"


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def other(world):
    return passes.issue_pass(factories.person(world.worker_b, world.community_b, "赵六"),
                             actor=world.worker_b)


def numbers(response):
    return {item["number"] for item in response.json()["results"]}


def test_list_is_scoped_and_shows_the_pass_as_issued(world, issued, other):
    r = api(world.worker_a).get(LIST)
    assert r.status_code == 200 and numbers(r) == {issued.number}
    item = r.json()["results"][0]
    assert item["state"] == "live" and item["holder_name"] == "欧阳小明"
    assert item["holder_display"] == "欧**明" and item["person"] == issued.person_id
    assert item["jurisdiction"] == world.community_a.pk
    assert item["jurisdiction_code"] == world.community_a.code
    assert item["kid"] == keys.signing_key().kid and item["qr_text"] == issued.qr_text
    assert item["issued_by"] == "worker_a"
    assert numbers(api(world.commander).get(LIST)) == {issued.number, other.number}


def test_list_filters_like_the_page(world, issued, other):
    w = world.worker_a
    zhang = passes.issue_pass(factories.person(w, world.community_a, "张三"), actor=w)
    passes.revoke_pass(zhang, actor=w, reason="遗失")
    client = api(world.commander)
    assert numbers(client.get(LIST, {"state": "revoked"})) == {zhang.number}
    assert numbers(client.get(LIST, {"state": "live"})) == {issued.number, other.number}
    assert numbers(client.get(LIST, {"q": "赵"})) == {other.number}
    assert numbers(client.get(LIST, {"q": issued.number})) == {issued.number}
    assert numbers(client.get(LIST, {"community": world.community_b.pk})) == {other.number}
    assert numbers(client.get(LIST, {"community": world.grid_a1.pk})) == {issued.number}
    r = api(world.worker_a).get(LIST, {"community": world.community_b.pk})
    assert r.status_code == 400 and "community" in r.json()
    assert api(world.worker_a).get(LIST, {"state": "lost"}).status_code == 400


def test_detail_and_404_for_another_jurisdiction(world, issued, other):
    client = api(world.worker_a)
    r = client.get(f"{LIST}{issued.pk}/")
    assert r.status_code == 200 and r.json()["number"] == issued.number
    assert client.get(f"{LIST}{other.pk}/").status_code == 404
    assert client.post(f"{LIST}{other.pk}/revoke/", {"reason": "x"}).status_code == 404
    assert client.get(f"{LIST}999999/").status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


def test_reading_needs_gate_passes(world, issued):
    assert api(world.grid_worker).get(LIST).status_code == 200  # sees no pass
    assert api(world.grid_worker).get(LIST).json()["results"] == []
    assert api(world.grid_worker).get(f"{LIST}{issued.pk}/").status_code == 404
    assert APIClient().get(LIST).status_code in (401, 403)


def test_issue_and_reissue(world, resident):
    client = api(world.worker_a)
    r = client.post(LIST, {"person": resident.pk}, format="json")
    assert r.status_code == 201
    first = r.json()
    assert first["state"] == "live" and first["holder_display"] == "欧**明"
    claims = cose.verify(first["qr_text"], keys.public_keys())
    assert claims.number == first["number"] and claims.community_code == world.community_a.code

    r = client.post(LIST, {"person": resident.pk, "valid_days": 30}, format="json")
    assert r.status_code == 201
    second = r.json()
    assert second["number"] != first["number"]
    valid_until = ResidentPass.objects.get(pk=second["id"]).valid_until
    assert abs(valid_until - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert client.get(f"{LIST}{first['id']}/").json()["state"] == "revoked"


def test_issue_bad_input_is_400_with_the_field(world, resident):
    client = api(world.worker_a)
    stranger = factories.person(world.worker_b, world.community_b, "王五")
    visitor = factories.person(world.worker_a, world.community_a, "访客", kind=PersonKind.VISITOR)
    cases = [({}, "person"), ({"person": "abc"}, "person"), ({"person": stranger.pk}, "person"),
             ({"person": resident.pk, "valid_days": 0}, "valid_days"),
             ({"person": resident.pk, "valid_days": 181}, "valid_days"),
             ({"person": visitor.pk}, "non_field_errors")]
    for body, field in cases:
        r = client.post(LIST, body, format="json")
        assert r.status_code == 400, body
        assert field in r.json(), (body, r.json())
    assert "within your area" in client.post(LIST, {"person": stranger.pk}, format="json").json()[
        "person"][0]
    assert not ResidentPass.objects.exists()


def test_issue_without_gate_passes_is_403(world, resident):
    r = api(world.grid_worker).post(LIST, {"person": resident.pk}, format="json")
    assert r.status_code == 403
    duty = factories.user("duty", "duty_officer", world.community_a)
    assert api(duty).post(LIST, {"person": resident.pk}, format="json").status_code == 403
    assert not ResidentPass.objects.exists()


def test_issue_where_one_sees_but_may_not_issue_is_403(world, resident):
    # A community worker in 乙社区 who also volunteers in 甲社区: sees 甲's people, issues in 乙.
    from shoumen.accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=world.worker_b, role="volunteer", node=world.community_a)
    r = api(world.worker_b).post(LIST, {"person": resident.pk}, format="json")
    assert r.status_code == 403
    assert not ResidentPass.objects.exists()


def test_bulk_issue_counts_and_is_idempotent(world, issued):
    w = world.worker_a
    for name in ("张一", "张二"):
        factories.person(w, world.community_a, name)
    factories.person(w, world.community_a, "访客", kind=PersonKind.VISITOR)
    factories.person(world.worker_b, world.community_b, "王五")
    client = api(w)
    url = f"{LIST}bulk/"
    r = client.post(url, {"jurisdiction": world.community_a.pk}, format="json")
    assert r.status_code == 200
    assert r.json() == {"jurisdiction": world.community_a.pk, "issued": 2, "skipped": 1,
                        "renewed": 0}
    assert AuditEvent.objects.filter(note="Passes issued in bulk", actor=w).count() == 2
    again = client.post(url, {"jurisdiction": world.community_a.pk}, format="json").json()
    assert (again["issued"], again["skipped"]) == (0, 3)
    assert ResidentPass.objects.filter(jurisdiction=world.community_b).count() == 0


def test_bulk_issue_bad_input(world):
    client = api(world.worker_a)
    url = f"{LIST}bulk/"
    r = client.post(url, {"jurisdiction": world.community_b.pk}, format="json")
    assert r.status_code == 400 and "jurisdiction" in r.json()
    r = client.post(url, {"jurisdiction": world.luoyuan.pk}, format="json")
    assert r.status_code == 400  # above worker_a's community: not in scope
    r = api(world.commander).post(url, {"jurisdiction": world.luoyuan.pk}, format="json")
    assert r.status_code == 400 and "community or a grid" in r.json()["jurisdiction"][0]
    r = client.post(url, {"jurisdiction": world.community_a.pk, "valid_days": "x"}, format="json")
    assert r.status_code == 400 and "valid_days" in r.json()
    assert api(world.grid_worker).post(url, {"jurisdiction": world.grid_a1.pk},
                                       format="json").status_code == 403
    assert not ResidentPass.objects.exists()


def test_revoke(world, issued):
    client = api(world.worker_a)
    url = f"{LIST}{issued.pk}/revoke/"
    r = client.post(url, {"reason": ""}, format="json")
    assert r.status_code == 400 and "Say why" in r.json()["reason"][0]
    r = client.post(url, {}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    r = client.post(url, {"reason": "遗失"}, format="json")
    assert r.status_code == 200
    assert r.json()["state"] == "revoked" and r.json()["revoke_reason"] == "遗失"
    with pytest.raises(passes.Refused) as exc:
        passes.check_pass(issued.qr_text, direction="in")
    assert exc.value.reason == "revoked"
    duty = factories.user("duty", "duty_officer", world.community_a)
    assert api(duty).post(url, {"reason": "x"}, format="json").status_code == 404


def test_schema_documents_the_pass_endpoints(world):
    r = api(world.admin).get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = r.json()["paths"] if r.headers["Content-Type"].startswith("application/json") else None
    if paths is None:
        import yaml

        paths = yaml.safe_load(r.content)["paths"]
    for path in ("/api/gate/passes/", "/api/gate/passes/{id}/", "/api/gate/passes/bulk/",
                 "/api/gate/passes/{id}/revoke/"):
        assert path in paths
    assert "post" in paths["/api/gate/passes/"] and "get" in paths["/api/gate/passes/"]
